"""Rank-count invariance through the CLI (SPEC §2): random IC (generated per global mode),
Smagorinsky and ring forcing (keyed by seed, step and global mode), 50 steps on 1, 2 and 4 ranks.
Every diagnostic record, the spectra and the snapshots of the truth files must agree to 1e-11
relative: they differ only by the summation order of reductions and FFTs over different slabs."""
import numpy as np
import pytest

from conftest import truth

ARGS = ["-N", 32, "-steps", 50, "-dt", 0.01, "-sgs", "smagorinsky", "-forcing", "ring", "-seed", 11,
        "-stats_every", 5, "-spectra_every", 25, "-snapshot_every", 25]
FIELDS = ["E", "Z", "P", "max_omega", "cfl", "nu_t_mean", "diss_Z", "inj_Z"]


def load(out):
    with truth(out) as f:
        d = {k: f["/diagnostics"][k][()] for k in FIELDS + ["step", "time"]}
        return d, f["/spectra"][()], f["/snapshots/omega"][()], int(f.attrs["N"])


@pytest.fixture(scope="module")
def runs(ok_run, tmp_path_factory):
    base = tmp_path_factory.mktemp("ranks")
    return {p: load(ok_run(*ARGS, np=p, out=base / f"np{p}")) for p in (1, 2, 4)}


@pytest.mark.parametrize("p", [2, 4])
def test_same_diagnostics(runs, p):
    d1, d = runs[1][0], runs[p][0]
    assert np.array_equal(d1["step"], d["step"]) and len(d1["step"]) == 11
    assert np.array_equal(d1["time"], d["time"])
    for k in FIELDS:
        scale = np.abs(d1[k]).max()
        if k == "inj_Z":  # ring forcing is a stochastic kick, not a deterministic F: no <w F>
            assert scale == 0 and np.abs(d[k]).max() == 0
            continue
        assert scale > 0, f"{k} is identically zero: the case does not exercise it"
        err = np.abs(d[k] - d1[k]).max() / scale
        assert err <= 1e-11, f"{p} ranks: /diagnostics/{k} differs by {err:.2e} relative"


@pytest.mark.parametrize("p", [2, 4])
def test_same_fields_and_spectra(runs, p):
    _, s1, w1, N = runs[1]
    _, s, w, _ = runs[p]
    assert w.shape == w1.shape == (3, N, N) and s.shape == s1.shape == (3, N // 2 + 1)
    err_w = np.abs(w - w1).max() / np.abs(w1).max()
    err_s = np.abs(s - s1).max() / np.abs(s1).max()
    assert err_w <= 1e-11, f"{p} ranks: snapshots differ by {err_w:.2e} relative"
    assert err_s <= 1e-11, f"{p} ranks: spectra differ by {err_s:.2e} relative"


def test_case_is_forced(runs):
    # unforced, the div-form LES only dissipates enstrophy; the ring forcing must raise it
    Z = runs[1][0]["Z"]
    assert Z[-1] > 1.5 * Z[0], f"Z went from {Z[0]:.4g} to {Z[-1]:.4g}: is the ring forcing active?"
