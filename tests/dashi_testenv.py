"""Shared by the pytest suites (tests/cli, tests/proxy, tests/cluster): the exit codes of
include/dashi/error.h, the environment CTest passes (DASHI_BIN, DASHI_MPIEXEC, DASHI_SOURCE_DIR),
and running the dashi binary under mpiexec."""
import os
import subprocess
from pathlib import Path

import pytest

USAGE, INPUT, NUMERICS, DEVICE = 2, 3, 4, 5  # DASHI_ERR_*
EXIT_SIGNAL = 75  # DASHI_EXIT_SIGNAL


def need(var):
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"environment variable {var} is not set: run these tests through ctest "
                    "(it sets DASHI_BIN, DASHI_MPIEXEC and DASHI_SOURCE_DIR)", pytrace=False)
    return value


def mpi_env(base=None, **extra):
    """The environment for mpiexec: Open MPI as root, oversubscribed (the CI machine has 2 cores)."""
    env = dict(os.environ if base is None else base)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", **extra)
    return env


class Result:
    def __init__(self, proc, out=None):
        self.rc, self.stdout, self.stderr, self.out = proc.returncode, proc.stdout, proc.stderr, out

    def __repr__(self):
        return f"exit {self.rc}\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-3000:]}"

    def error_line(self):
        """The 'dashi: error: ...' line of stderr (one per failing run), or ''."""
        lines = [l for l in self.stderr.splitlines() if l.startswith("dashi: error:")]
        return lines[0] if lines else ""


def dashi_runner():
    """run(args, np=1, timeout=120, out=None) -> Result of `mpiexec --oversubscribe -n np dashi
    ARGS` (arguments as strings or numbers; out: the run directory recorded in the Result)."""
    binary, mpiexec = need("DASHI_BIN"), need("DASHI_MPIEXEC")
    # mpiexec waits 1 s per failed rank before killing the job; these tests fail on purpose
    env = mpi_env(OMPI_MCA_odls_base_sigkill_timeout="0")

    def run(args, np=1, timeout=120, out=None):
        argv = [mpiexec, "--oversubscribe", "-n", str(np), binary] + [str(a) for a in args]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
        return Result(proc, Path(out) if out is not None else None)

    return run
