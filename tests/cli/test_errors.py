"""Error paths (include/dashi/error.h): each must exit with its specific code and one clear
'dashi: error:' line on stderr naming the cause (and, where there is one, the remedy)."""
import json
import os

import h5py
import numpy as np
import pytest

from conftest import INPUT, NUMERICS, USAGE, checkpoint, diagnostics

SMALL = ["-N", 32, "-steps", 4, "-progress_every", 0]


def assert_error(r, code, *needles):
    assert r.rc == code, r
    line = r.error_line()
    assert line, f"no 'dashi: error:' line on stderr\n{r}"
    assert sum(l.startswith("dashi: error:") for l in r.stderr.splitlines()) == 1, \
        f"the error must be reported once, not once per rank\n{r}"
    for n in needles:
        assert n in line, f"error message lacks {n!r}: {line}"
    return line


@pytest.mark.parametrize("np_, args, needles", [
    (3, ["-N", 32], ["-N 32", "not divisible by the rank count", "3 LES ranks"]),
    (4, ["-N", 36], ["-N 36", "not divisible by the rank count"]),  # 36 % 4 == 0 but 18 % 4 != 0
    (1, ["-N", 33], ["-N 33", "must be even"]),
    (1, ["-dt", 0], ["-dt 0", "must be positive"]),
    (1, ["-dt", -0.01], ["-dt -0.01", "must be positive"]),
    (1, ["-foo", 1], ["unknown option", "-foo"]),
    (1, ["-stpes", 10], ["unknown option", "-stpes"]),  # misspelled -steps
    (1, ["-nu", 0.1], ["unknown option", "-nu"]),  # misspelled -nu0
    (1, ["-sgs", "smag"], ["-sgs", "smag", "smagorinsky|none"]),
    (1, ["-ic", "file"], ["-ic file needs -ic_file"]),
])
def test_usage_errors(dashi, tmp_path, np_, args, needles):
    r = dashi(*SMALL, *args, np=np_, out=tmp_path / "run")
    assert_error(r, USAGE, *needles)
    assert not (tmp_path / "run" / "truth.h5").exists(), "a failed start left a truth file"


def test_unknown_command(dashi):
    assert_error(dashi("truht", cmd=None), USAGE, "unknown command", "truht")


# ---- -ic file: missing or foreign input ----

def h5_with(path, name, data):
    with h5py.File(path, "w") as f:
        f[name] = data
    return path


@pytest.mark.parametrize("kind", ["missing", "text", "wrong_size", "wrong_rank", "nan", "no_dataset"])
def test_bad_ic_file(dashi, tmp_path, kind):
    x = np.arange(32) * 2 * np.pi / 32
    good = np.sin(x)[:, None] * np.cos(2 * x)[None, :]
    if kind == "missing":
        path, needles = tmp_path / "nope.h5", ["does not exist", "nope.h5"]
    elif kind == "text":
        path = tmp_path / "omega.h5"
        path.write_text("this is not HDF5\n")
        needles = ["not an HDF5 file", "omega.h5"]
    elif kind == "wrong_size":
        path = h5_with(tmp_path / "w.h5", "omega", np.zeros((3, 16, 16)))
        needles = ["/omega", "16x16", "N=32"]
    elif kind == "wrong_rank":
        path = h5_with(tmp_path / "w.h5", "omega", np.zeros(32))
        needles = ["/omega", "rank 1", "[N,N] or [T,N,N]"]
    elif kind == "nan":
        bad = good.copy()
        bad[3, 5] = np.nan
        bad[7, 1] = np.inf
        path, needles = h5_with(tmp_path / "w.h5", "omega", bad), ["/omega", "2 non-finite values"]
    else:
        path, needles = h5_with(tmp_path / "w.h5", "vorticity", good), ["no dataset /omega", "-ic_dataset"]
    r = dashi(*SMALL, "-ic", "file", "-ic_file", path, "-ic_dataset", "/omega", np=2,
              out=tmp_path / "run")
    assert_error(r, INPUT, *needles)


# ---- numerical stops: exit 4 after a checkpoint of the last finite state ----

UNSTABLE = ["-N", 32, "-steps", 200, "-sgs", "none", "-forcing", "kolmogorov", "-forcing_amp", 5,
            "-kf", 2, "-stats_every", 5, "-progress_every", 0, "-snapshot_every", 0]


def check_stop_checkpoint(r, want_step, stop_step):
    # the checkpoint of the last good state; the manifest names the step of the stop (a record
    # between outputs rides on the step after it: the entry must not name that one)
    ck = checkpoint(r.out, want_step)
    assert ck.is_file() and str(ck) in r.error_line(), f"checkpoint {ck} not written or not named"
    with h5py.File(ck, "r") as f:
        w = f["/omega_hat"][()]
        assert f.attrs["step"] == want_step and f.attrs["complete"] == 1
    assert w.shape == (16, 32, 2) and np.all(np.isfinite(w)) and np.abs(w).max() > 0
    with open(r.out.parent / "manifest.json") as m:
        runs = {e["id"]: e for e in json.load(m)["runs"]}
    entry = runs[os.path.realpath(r.out)]
    assert entry["step"] == stop_step, entry
    return ck, entry["status"]


def test_cfl_stop_then_restart(dashi, ok_run, tmp_path):
    # the Kolmogorov forcing accelerates the flow until the CFL number passes 1 at step 15
    r = dashi(*UNSTABLE, "-dt", 0.05, out=tmp_path / "cfl")
    line = assert_error(r, NUMERICS, "CFL number", "exceeds -cfl_max 1", "dt=0.05", "reduce -dt",
                        "-restart")
    ck, status = check_stop_checkpoint(r, 15, 15)
    assert status == "failed: CFL"
    d = diagnostics(r.out)
    assert d["step"][-1] == 15 and d["cfl"][-1] > 1 and np.all(d["cfl"][:-1] <= 1), line
    out = ok_run("-restart", ck, "-dt", 0.01, "-steps", 25, out=tmp_path / "again")
    d2 = diagnostics(out)
    assert d2["step"][0] == 15 and d2["step"][-1] == 25 and np.all(d2["cfl"] < 0.5)
    assert abs(d2["Z"][0] - d["Z"][-1]) <= 1e-14 * d["Z"][-1]  # the restart starts from that state


def test_nonfinite_stop_then_restart(dashi, ok_run, tmp_path):
    # no CFL limit, no viscosity, no SGS, no dealiasing, dt = 1: non-finite by the check at step 10
    r = dashi("-N", 32, "-steps", 200, "-sgs", "none", "-nu0", 0, "-dealias", "none", "-dt", 1,
              "-cfl_max", 1e300, "-stats_every", 10, "-progress_every", 0, out=tmp_path / "nan")
    assert_error(r, NUMERICS, "non-finite values at step 10", "last good state (step 0)")
    ck, status = check_stop_checkpoint(r, 0, 10)
    assert status == "failed: non-finite"
    d = diagnostics(r.out)
    assert list(d["step"]) == [0] and np.all(np.isfinite(d["Z"])), "a non-finite record was written"
    out = ok_run("-restart", ck, "-dt", 0.01, "-steps", 10, "-cfl_max", 1, out=tmp_path / "again")
    d2 = diagnostics(out)
    assert np.all(np.isfinite(d2["Z"])) and d2["step"][-1] == 10 and abs(d2["Z"][0] - 0.5) < 1e-14


# ---- the run directory ----

def test_refuses_to_overwrite(dashi, ok_run, tmp_path):
    out = ok_run(*SMALL, out=tmp_path / "run")
    before = (out / "truth.h5").read_bytes()
    r = dashi(*SMALL, "-dt", 0.02, out=out)
    assert_error(r, USAGE, str(out), "already holds a truth file", "-force", "-resume auto")
    assert (out / "truth.h5").read_bytes() == before, "the refused run touched the truth file"
    ok_run(*SMALL, "-dt", 0.02, "-force", out=out)
    with h5py.File(out / "truth.h5", "r") as f:
        assert f.attrs["dt"] == 0.02
