"""Fixtures for the CLI tests: run the `dashi` binary under mpiexec (paths from CTest's DASHI_BIN and
DASHI_MPIEXEC), read its HDF5 outputs, and the analytic fields the tests compare with."""
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SOURCE = Path(os.environ.get("DASHI_SOURCE_DIR", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(SOURCE / "tools"))

# exit codes of include/dashi/error.h
USAGE, INPUT, NUMERICS = 2, 3, 4


def _need(var):
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"environment variable {var} is not set: run these tests through ctest "
                    f"(it sets DASHI_BIN, DASHI_MPIEXEC and DASHI_SOURCE_DIR)", pytrace=False)
    return value


class Result:
    def __init__(self, proc, out):
        self.rc, self.stdout, self.stderr, self.out = proc.returncode, proc.stdout, proc.stderr, out

    def __repr__(self):
        return f"exit {self.rc}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"

    def error_line(self):
        """The 'dashi: error: ...' line of stderr (one per failing run), or ''."""
        lines = [l for l in self.stderr.splitlines() if l.startswith("dashi: error:")]
        return lines[0] if lines else ""


@pytest.fixture(scope="session")
def dashi():
    """dashi(*args, np=1, out=None) -> Result. Options are given as strings or numbers; `out`
    (a path) is passed as -out. Runs `mpiexec --oversubscribe -n np dashi truth ...` by default;
    pass cmd=None to give the command word yourself in args."""
    binary, mpiexec = _need("DASHI_BIN"), _need("DASHI_MPIEXEC")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1",
               # mpiexec waits 1 s per failed rank before killing the job; these tests fail on purpose
               OMPI_MCA_odls_base_sigkill_timeout="0")

    def run(*args, np=1, out=None, cmd="truth", timeout=120):
        argv = [mpiexec, "--oversubscribe", "-n", str(np), binary]
        if cmd:
            argv.append(cmd)
        argv += [str(a) for a in args]
        if out is not None:
            argv += ["-out", str(out)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
        return Result(proc, Path(out) if out is not None else None)

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
