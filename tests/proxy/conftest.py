"""Fixtures of the proxy CLI tests: the dashi binary under mpiexec (CTest sets DASHI_BIN and
DASHI_MPIEXEC), small truth runs shared by the session, and a numpy reference of the encoder."""
import os
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

USAGE, INPUT, NUMERICS, DEVICE = 2, 3, 4, 5


def _need(var):
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"{var} is not set: run these tests through ctest", pytrace=False)
    return value


class Result:
    def __init__(self, proc):
        self.rc, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr

    def __repr__(self):
        return f"exit {self.rc}\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-3000:]}"

    def error(self):
        lines = [l for l in self.stderr.splitlines() if l.startswith("dashi: error:")]
        return lines[0] if lines else ""


@pytest.fixture(scope="session")
def dashi():
    """dashi(cmd, *args, np=1) -> Result"""
    binary, mpiexec = _need("DASHI_BIN"), _need("DASHI_MPIEXEC")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_odls_base_sigkill_timeout="0")

    def run(cmd, *args, np=1, timeout=300):
        argv = [mpiexec, "--oversubscribe", "-n", str(np), binary, cmd] + [str(a) for a in args]
        return Result(subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout))

    return run


@pytest.fixture(scope="session")
def ok(dashi):
    def run(cmd, *args, **kw):
        r = dashi(cmd, *args, **kw)
        assert r.rc == 0, r
        return r
    return run


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("proxy")


@pytest.fixture(scope="session")
def truth32(ok, work):
    """N=32 LES, 60 steps, every step a snapshot"""
    out = work / "t32"
    ok("truth", "-N", 32, "-steps", 60, "-snapshot_every", 1, "-progress_every", 0, "-out", out, np=2)
    return out / "truth.h5"


@pytest.fixture(scope="session")
def zfile(ok, work, truth32):
    out = work / "enc"
    ok("encode", "-truth", truth32, "-out", out, np=2)
    return out / "z.h5"


@pytest.fixture(scope="session")
def afile(ok, work, zfile):
    out = work / "learn"
    ok("learn", "-z", zfile, "-out", out, np=2)
    return out / "A.h5"


def box_H(N, w, k):
    j = np.arange(-(w // 2), w - w // 2)
    return np.exp(2j * np.pi * np.multiply.outer(k, j) / N).sum(-1) / w


def reference_encode(omega, lowk_modes, anchors, k_cut=8, mid_cut=12, smooth_k=3, tau=0.1):
    """numpy version of SPEC §3 on one [x][y] field"""
    N = omega.shape[0]
    w = np.fft.fft2(omega)                       # [kx][ky]
    k = np.fft.fftfreq(N, 1.0 / N)
    H = box_H(N, smooth_k, k)
    R = w * (1 - np.multiply.outer(H, H))
    kx, ky = np.meshgrid(k, k, indexing="ij")
    k2 = kx ** 2 + ky ** 2
    lowk = np.array([w[a % N, b % N] for a, b in lowk_modes]) / N ** 2
    kept = np.array([R[a % N, b % N] for a, b in anchors]) / N ** 2
    anc = np.zeros_like(k2, dtype=bool)
    for a, b in anchors:
        anc[a % N, b % N] = anc[-a % N, -b % N] = True
    e = 0.5 * np.abs(R / N ** 2) ** 2
    e_mid = e[(k2 > k_cut ** 2) & (k2 <= mid_cut ** 2) & ~anc].sum()
    e_high = e[k2 > mid_cut ** 2].sum()
    a = np.abs(omega)
    support = np.mean(a > tau * a.max())
    return np.concatenate([lowk.real, lowk.imag, [support, e_mid, e_high, len(anchors)],
                           kept.real, kept.imag])


def h5(path):
    return h5py.File(path, "r")
