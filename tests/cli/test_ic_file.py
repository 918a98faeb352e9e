"""Initial conditions from HDF5 files (-ic file) and the Kolmogorov forcing (SPEC §2).

Kolmogorov: F = -A kf cos(kf y). With -sgs none the flow w(y) has u = u(y), v = 0 and no advection,
so w obeys the linear balance dw/dt = -nu0 kf^2 w + F, whose steady state is
w_s = -A cos(kf y) / (nu0 kf). Started at w_s (from an [N,N] dataset) the run must stay there to
round-off; started at w_s / 2 (last record of a [T,N,N] dataset) the deviation must decay as
R(-nu0 kf^2 dt)^n, R the integrator's amplification polynomial (exact for this linear problem).
nu0 = 0.2, A = 1, kf = 4 keeps the laminar flow below the Kolmogorov instability (Re < sqrt 2)."""
import h5py
import numpy as np
import pytest

from conftest import checkpoint, diagnostics, grid, last_snapshot, truth

N, A, KF, NU, DT, STEPS = 32, 1.0, 4, 0.2, 0.01, 100
KOLMO = ["-N", N, "-sgs", "none", "-nu0", NU, "-forcing", "kolmogorov", "-forcing_amp", A,
         "-kf", KF, "-dt", DT, "-steps", STEPS, "-snapshot_every", STEPS, "-stats_every", 10,
         "-progress_every", 0]


def steady():
    x, y = grid(N)
    return np.broadcast_to(-A * np.cos(KF * y) / (NU * KF), (N, N)).copy()


@pytest.mark.parametrize("np_", [1, 2])
def test_kolmogorov_steady_state(ok_run, tmp_path, np_):
    ws = steady()
    with h5py.File(tmp_path / "ic.h5", "w") as f:
        f["omega"] = ws
    out = ok_run(*KOLMO, "-ic", "file", "-ic_file", tmp_path / "ic.h5", "-ic_dataset", "/omega",
                 np=np_, out=tmp_path / "run")
    w, step, _ = last_snapshot(out)
    assert step == STEPS
    err = np.abs(w - ws).max() / np.abs(ws).max()
    assert err <= 1e-13, f"the steady Kolmogorov flow drifted by {err:.2e}"
    d = diagnostics(out)
    # balance: enstrophy injection <w F> equals the dissipation nu0 <|grad w|^2>
    assert np.abs(d["inj_Z"] - d["diss_Z"]).max() <= 1e-12 * d["diss_Z"].max()
    assert np.abs(d["Z"] - d["Z"][0]).max() <= 1e-13 * d["Z"][0]
    assert abs(d["Z"][0] - 0.5 * np.mean(ws ** 2)) <= 1e-14 * d["Z"][0]


@pytest.mark.parametrize("ts", ["rk2", "rk4"])
def test_kolmogorov_relaxation(ok_run, tmp_path, ts):
    ws = steady()
    with h5py.File(tmp_path / "ic.h5", "w") as f:  # [T, N, N]: the last record is the IC
        f["w"] = np.stack([np.full((N, N), 1e3), 0.5 * ws])
    out = ok_run(*KOLMO, "-ts", ts, "-ic", "file", "-ic_file", tmp_path / "ic.h5", "-ic_dataset",
                 "/w", out=tmp_path / "run")
    w, _, t = last_snapshot(out)
    z = -NU * KF * KF * DT
    R = 1 + z + z * z / 2 + ((z ** 3 / 6 + z ** 4 / 24) if ts == "rk4" else 0)
    want = ws + (0.5 * ws - ws) * R ** STEPS
    err = np.abs(w - want).max() / np.abs(ws).max()
    assert err <= 1e-13, f"{ts}: relaxation to the Kolmogorov state off by {err:.2e}"
    assert abs(R ** STEPS - np.exp(-NU * KF * KF * t)) < 1e-3  # and it is the physical decay


@pytest.fixture(scope="module")
def source_run(ok_run, tmp_path_factory):
    return ok_run("-N", N, "-steps", 10, "-snapshot_every", 5, "-ts", "rk4",
                  out=tmp_path_factory.mktemp("src") / "a")


def test_ic_from_truth_file(source_run, ok_run, tmp_path):
    """Default dataset /snapshots/omega, last record, through forward FFT and the 2/3 filter."""
    out = ok_run("-N", N, "-steps", 0, "-snapshot_every", 1, "-ic", "file", "-ic_file",
                 source_run / "truth.h5", np=2, out=tmp_path / "b")
    with truth(source_run) as f:
        want = f["/snapshots/omega"][-1]
    with truth(out) as f:
        got = f["/snapshots/omega"][0]
    assert np.abs(got - want).max() <= 1e-14 * np.abs(want).max()


def test_ic_from_checkpoint_is_exact(source_run, ok_run, tmp_path):
    out = ok_run("-N", N, "-steps", 0, "-snapshot_every", 1, "-ic", "file", "-ic_file",
                 checkpoint(source_run, 10), out=tmp_path / "c")
    with truth(source_run) as f, truth(out) as g:
        assert f["/snapshots/omega"][-1].tobytes() == g["/snapshots/omega"][0].tobytes()
