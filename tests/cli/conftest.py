"""Fixtures for the CLI tests: run the `dashi` binary under mpiexec (paths from CTest's DASHI_BIN and
DASHI_MPIEXEC), read its HDF5 outputs, and the analytic fields the tests compare with."""
import os
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SOURCE = Path(os.environ.get("DASHI_SOURCE_DIR", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(SOURCE / "tools"))
sys.path.insert(0, str(SOURCE / "tests"))

from dashi_testenv import INPUT, NUMERICS, USAGE, dashi_runner  # noqa: E402,F401 (tests import them from here)


@pytest.fixture(scope="session")
def dashi():
    """dashi(*args, np=1, out=None) -> Result. Options are given as strings or numbers; `out`
    (a path) is passed as -out. Runs `mpiexec --oversubscribe -n np dashi truth ...` by default;
    pass cmd=None to give the command word yourself in args."""
    launch = dashi_runner()

    def run(*args, np=1, out=None, cmd="truth", timeout=120):
        argv = ([cmd] if cmd else []) + list(args) + (["-out", out] if out is not None else [])
        return launch(argv, np=np, timeout=timeout, out=out)

    return run


@pytest.fixture(scope="session")
def ok_run(dashi):
    """Like dashi() but asserts exit status 0 and returns the run directory."""
    def run(*args, **kw):
        r = dashi(*args, **kw)
        assert r.rc == 0, r
        return r.out
    return run


def truth(out):
    return h5py.File(Path(out) / "truth.h5", "r")


def last_snapshot(out):
    with truth(out) as f:
        return f["/snapshots/omega"][-1], int(f["/snapshots/step"][-1]), float(f["/snapshots/time"][-1])


def checkpoint(out, step):
    return Path(out) / "checkpoints" / f"ckpt_{step:08d}.h5"


def grid(N):
    """x, y arrays broadcasting to [N, N] in the file's [x][y] index order."""
    x = np.arange(N) * 2 * np.pi / N
    return x[:, None], x[None, :]


def diagnostics(out):
    with truth(out) as f:
        return {k: f["/diagnostics"][k][()] for k in f["/diagnostics"]}
