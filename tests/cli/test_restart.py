"""Restart and resume (SPEC §8: "Restart continues bit-identically"). A run of 40 steps in one go is
compared byte for byte with (a) 20 steps, then -restart from its step-20 checkpoint into a new -out,
and (b) 20 steps, then -resume auto on the same -out. The case uses Smagorinsky and ring forcing,
whose noise is keyed by the step number, so a restart that lost the step or the RNG position would
differ. Compared: the final checkpoint's /omega_hat, the last snapshot, and (for resume, which
truncates and recomputes the records after the checkpoint) every diagnostics record and snapshot."""
import h5py
import numpy as np
import pytest

from conftest import checkpoint, diagnostics, truth

ARGS = ["-N", 32, "-dt", 0.01, "-sgs", "smagorinsky", "-forcing", "ring", "-seed", 5,
        "-stats_every", 5, "-spectra_every", 10, "-snapshot_every", 10, "-checkpoint_every", 20]


def omega_hat(path):
    with h5py.File(path, "r") as f:
        assert f.attrs["complete"] == 1
        return f["/omega_hat"][()]


def snapshots(out):
    with truth(out) as f:
        return f["/snapshots/omega"][()], f["/snapshots/step"][()]


@pytest.fixture(scope="module")
def full(ok_run, tmp_path_factory):
    return ok_run(*ARGS, "-steps", 40, out=tmp_path_factory.mktemp("full") / "run")


def same_bytes(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_restart_into_new_out(full, ok_run, tmp_path):
    ck = checkpoint(full, 20)
    assert ck.is_file()
    out = ok_run("-restart", ck, "-steps", 40, out=tmp_path / "restarted")
    assert same_bytes(omega_hat(checkpoint(out, 40)), omega_hat(checkpoint(full, 40))), \
        "final checkpoint after -restart differs from the uninterrupted run"
    w, steps = snapshots(out)
    w_full, steps_full = snapshots(full)
    assert steps[-1] == steps_full[-1] == 40
    assert same_bytes(w[-1], w_full[-1]), "last snapshot after -restart is not bit-identical"
    # the restarted run records from step 20 on, identical to the uninterrupted records
    d, d_full = diagnostics(out), diagnostics(full)
    assert d["step"][0] == 20 and np.array_equal(d["step"], d_full["step"][4:])
    for k in ("E", "Z", "P", "max_omega", "diss_Z"):
        assert same_bytes(d[k], d_full[k][4:]), f"/diagnostics/{k} after -restart differs"


def test_resume_auto_same_out(full, ok_run, tmp_path):
    out = tmp_path / "resumed"
    ok_run(*ARGS, "-steps", 20, out=out)
    ok_run(*ARGS, "-steps", 40, "-resume", "auto", out=out)
    assert same_bytes(omega_hat(checkpoint(out, 40)), omega_hat(checkpoint(full, 40)))
    w, steps = snapshots(out)
    w_full, steps_full = snapshots(full)
    assert np.array_equal(steps, steps_full) and list(steps) == [0, 10, 20, 30, 40]
    assert same_bytes(w, w_full), "snapshots after -resume auto are not bit-identical"
    d, d_full = diagnostics(out), diagnostics(full)
    assert np.array_equal(d["step"], d_full["step"]), "resume duplicated or lost diagnostics records"
    for k in d_full:
        assert same_bytes(d[k], d_full[k]), f"/diagnostics/{k} after -resume auto differs"
    with truth(out) as f, truth(full) as g:
        assert same_bytes(f["/spectra"][()], g["/spectra"][()])


def test_restart_on_other_rank_count(full, ok_run, tmp_path):
    """The checkpoint layout is independent of the decomposition: a 1-rank checkpoint continues on
    2 ranks (not bit-identically: reductions and FFTs sum in another order; 1e-11 relative)."""
    out = ok_run("-restart", checkpoint(full, 20), "-steps", 40, np=2, out=tmp_path / "np2")
    a, b = omega_hat(checkpoint(out, 40)), omega_hat(checkpoint(full, 40))
    assert np.abs(a - b).max() <= 1e-11 * np.abs(b).max()


def test_resume_over_held_diagnostics(ok_run, tmp_path):
    """The truth file holds diagnostics records in memory and writes them in blocks of 128 (or
    after 1 s; src/io/truth_file.c), before each checkpoint and at the end: a record every step for
    300 steps (blocks at 128 and 256), resumed at step 200, gives every record once, in order,
    bit-identical to the uninterrupted run"""
    args = ARGS[:ARGS.index("-stats_every")] + ["-stats_every", 1, "-spectra_every", 0,
                                                 "-snapshot_every", 0, "-checkpoint_every", 150]
    full = ok_run(*args, "-steps", 300, out=tmp_path / "full")
    out = tmp_path / "resumed"
    ok_run(*args, "-steps", 200, out=out)
    ok_run(*args, "-steps", 300, "-resume", "auto", out=out)
    d, d_full = diagnostics(out), diagnostics(full)
    assert list(d_full["step"]) == list(range(301)), "records lost, repeated or out of order"
    assert np.allclose(d_full["time"], 0.01 * np.arange(301), rtol=1e-12, atol=0)
    for k in d_full:
        assert same_bytes(d[k], d_full[k]), f"/diagnostics/{k} after -resume auto differs"
