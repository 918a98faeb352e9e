"""Enstrophy budget without forcing (SPEC §2): dZ/dt = <w, rhs> = <w, adv> - diss_Z, and the
advection term conserves Z exactly when the nonlinear term is 2/3-dealiased (for N = 32 every
product of two kept modes, |k| <= 10, aliases only onto removed modes, |k| >= 12, so the dealiased
pseudo-spectral product equals the exact truncated one, and <w, u.grad w> = 0 for div-free u).
So dZ/dt from the diagnostics series must equal -diss_Z, the recorded dissipation rate.

Setup: random IC, N = 32, stats_every 1, 40 steps of dt = 0.002, no forcing. Measured residual
max|dZ/dt + diss_Z| / max|diss_Z| (Z ~ 0.5, diss_Z ~ 0.1):
 - rk4 + 4th-order central differences: ~5e-12 (round-off: eps Z / dt ~ 3e-13 times the stencil
   weights; the O(dt^4) difference and integrator errors are ~1e-12). Bound 1e-9.
 - 2nd-order central differences (Z[n+1] - Z[n-1]) / 2dt: ~1.3e-7 (rk4) and ~2.6e-7 (rk2), the
   difference error dt^2 Z'''/6, which drops 4x when dt halves. Bound 1e-6.
Any real defect is far above both: the aliased advection (-dealias none) leaves 6.5e-2, the
exponential filter 4.4e-2; a diss_Z that is not the tendency the integrator applies (a factor, a
missing term) leaves O(1)."""
import numpy as np
import pytest

from conftest import diagnostics

BASE = ["-N", 32, "-dt", 0.002, "-steps", 40, "-stats_every", 1, "-snapshot_every", 0,
        "-spectra_every", 0, "-progress_every", 0]
CASES = {
    "div": ["-sgs", "smagorinsky", "-sgs_form", "div"],
    "lap": ["-sgs", "smagorinsky", "-sgs_form", "lap"],
    "none_drag": ["-sgs", "none", "-nu0", 1e-3, "-drag", 0.05],
}


def residuals(d):
    Z, D, t = d["Z"], d["diss_Z"], d["time"]
    dt = t[1] - t[0]
    assert np.allclose(np.diff(t), dt, rtol=1e-9, atol=0)
    c2 = (Z[2:] - Z[:-2]) / (2 * dt)
    c4 = (-Z[4:] + 8 * Z[3:-1] - 8 * Z[1:-3] + Z[:-4]) / (12 * dt)
    scale = np.abs(D).max()
    return np.abs(c2 + D[1:-1]).max() / scale, np.abs(c4 + D[2:-2]).max() / scale


@pytest.mark.parametrize("ts", ["rk4", "rk2"])
@pytest.mark.parametrize("case", list(CASES))
def test_budget_closes(ok_run, tmp_path, case, ts):
    d = diagnostics(ok_run(*BASE, *CASES[case], "-ts", ts, out=tmp_path / case))
    assert len(d["Z"]) == 41 and np.all(d["inj_Z"] == 0)
    r2, r4 = residuals(d)
    assert r2 <= 1e-6, f"{case}/{ts}: 2nd-order dZ/dt + diss_Z = {r2:.2e} of diss_Z"
    if ts == "rk4":  # Heun's own O(dt^2) error in the rate (~1e-7) hides below 2nd-order differences
        assert r4 <= 1e-9, f"{case}/{ts}: 4th-order dZ/dt + diss_Z = {r4:.2e} of diss_Z"
    nu0 = 1e-3 if case == "none_drag" else 1e-4
    lin = 2 * nu0 * d["P"] + (2 * 0.05 * d["Z"] if case == "none_drag" else 0)
    if case == "none_drag":  # diss_Z = nu0 <|grad w|^2> + mu <w^2> exactly
        assert np.abs(d["diss_Z"] - lin).max() <= 1e-13 * lin.max()
    elif case == "div":  # the div form adds <nu_t |grad w|^2> > 0 to the molecular part
        assert np.all(d["diss_Z"] > lin) and np.all(d["nu_t_mean"] > 0)


def test_budget_detects_aliasing(ok_run, tmp_path):
    """The check is sharp: without dealiasing the advection does not conserve Z."""
    d = diagnostics(ok_run(*BASE, "-ts", "rk4", "-dealias", "none", out=tmp_path / "aliased"))
    r2, r4 = residuals(d)
    assert r4 > 1e-3, f"aliased advection closed the budget to {r4:.2e}?"
