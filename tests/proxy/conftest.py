"""Fixtures of the proxy CLI tests: the dashi binary under mpiexec (CTest sets DASHI_BIN and
DASHI_MPIEXEC), small truth runs shared by the session, and a numpy reference of the encoder."""
import os
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(os.environ.get("DASHI_SOURCE_DIR", Path(__file__).resolve().parents[2])) / "tests"))
from dashi_testenv import DEVICE, INPUT, NUMERICS, USAGE, dashi_runner  # noqa: E402,F401 (tests import them from here)


@pytest.fixture(scope="session")
def dashi():
    """dashi(cmd, *args, np=1) -> Result"""
    launch = dashi_runner()

    def run(cmd, *args, np=1, timeout=300):
        return launch([cmd, *args], np=np, timeout=timeout)

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
