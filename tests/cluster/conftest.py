"""Fixtures of the cluster tests: the dashi binary under mpiexec, the job scripts, the tools."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
SOURCE = Path(os.environ.get("DASHI_SOURCE_DIR", HERE.parents[1]))
JOBS = SOURCE / "jobs"
TOOLS = SOURCE / "tools"
PY = "/usr/bin/python3"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(SOURCE / "tests"))

from dashi_testenv import EXIT_SIGNAL, mpi_env, need  # noqa: E402,F401 (tests import them from here)
from dashi_testenv import INPUT as EXIT_INPUT  # noqa: E402,F401


@pytest.fixture(scope="session")
def dashi_bin():
    return need("DASHI_BIN")


@pytest.fixture(scope="session")
def mpiexec():
    return need("DASHI_MPIEXEC")


def run(cmd, cwd=None, env=None, timeout=600):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or mpi_env(), capture_output=True,
                       text=True, timeout=timeout)
    r.log = f"$ {' '.join(map(str, cmd))}\nexit {r.returncode}\n--- stdout\n{r.stdout[-4000:]}\n--- stderr\n{r.stderr[-4000:]}"
    return r


def start_and_signal(cmd, wait_for, sig=signal.SIGUSR1, cwd=None, env=None, timeout=300):
    """Start cmd, wait until a line of its output contains wait_for, send sig to the launched
    process (mpiexec or a job script), and wait for it to end. Returns (exit status, output)."""
    out_path = Path(cwd or ".") / f"signal-{int(time.time() * 1e6)}.log"
    with open(out_path, "w") as out:
        p = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env or mpi_env(), stdout=out,
                             stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + timeout
    sent = False
    try:
        while time.time() < deadline:
            if p.poll() is not None:
                break
            if not sent and wait_for in out_path.read_text(errors="replace"):
                p.send_signal(sig)
                sent = True
            time.sleep(0.02)
        else:
            p.kill()
            p.wait()
            pytest.fail(f"{cmd} did not end within {timeout} s:\n{out_path.read_text()[-3000:]}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = out_path.read_text(errors="replace")
    assert sent, f"the run ended before '{wait_for}' appeared, so no signal was sent:\n{text[-3000:]}"
    return p.returncode, text


def checkpoints(run_dir):
    return sorted((Path(run_dir) / "checkpoints").glob("ckpt_*.h5"))


def ckpt_step(path):
    return int(Path(path).stem.split("_")[1])


def omega_hat(path):
    with h5py.File(path, "r") as f:
        return f["omega_hat"][()]


def truth_records(run_dir):
    with h5py.File(Path(run_dir) / "truth.h5", "r") as f:
        return dict(omega=f["snapshots/omega"][()], snap_step=f["snapshots/step"][()],
                    diag={k: f["diagnostics"][k][()] for k in f["diagnostics"]})


def same_bits(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
