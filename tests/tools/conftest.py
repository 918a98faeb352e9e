"""Shared fixtures for the tools tests: a synthetic truth file per docs/file-formats.md and a
runner for the tools under Debian's /usr/bin/python3."""
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

PY = "/usr/bin/python3"
TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))  # lets tests import dashi_h5 / dashi_plot directly
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def wavenumbers(N):
    k = np.fft.fftfreq(N, 1.0 / N)
    return np.meshgrid(k, k, indexing="ij")  # [x][y] order: axis 0 is kx


def field(N, t, nu, seed=7):
    """Taylor-Green vortex 2 sin x sin y plus a weak random dealiased band, decaying viscously."""
    kx, ky = wavenumbers(N)
    k2 = kx ** 2 + ky ** 2
    rng = np.random.default_rng(seed)
    amp = np.where((k2 > 0) & (k2 < (N / 3) ** 2), np.maximum(k2, 1) ** -0.75, 0.0) * 0.3 * N * N
    hat = amp * np.exp(2j * np.pi * rng.random((N, N)) - nu * k2 * t)
    x = np.arange(N) * 2 * np.pi / N
    tg = 2 * np.sin(x)[:, None] * np.sin(x)[None, :] * np.exp(-2 * nu * t)
    return tg + np.fft.ifft2(hat).real


def diagnostics(omega, dt):
    """E, Z, P, max_omega, cfl and the shell spectrum of a vorticity field, spectrally."""
    N = omega.shape[0]
    kx, ky = wavenumbers(N)
    k2 = kx ** 2 + ky ** 2
    w = np.fft.fft2(omega) / N ** 2
    psi = np.divide(w, k2, out=np.zeros_like(w), where=k2 > 0)  # -lap psi = omega
    u, v = np.fft.ifft2(1j * ky * psi).real * N ** 2, -np.fft.ifft2(1j * kx * psi).real * N ** 2
    e = 0.5 * np.abs(w) ** 2 * np.divide(1.0, k2, out=np.zeros_like(k2), where=k2 > 0)
    shell = np.floor(np.sqrt(k2) + 0.5).astype(int)
    spec = np.bincount(shell.ravel(), e.ravel(), minlength=N)[: N // 2 + 1]
    return dict(E=e.sum(), Z=0.5 * np.mean(omega ** 2), P=0.5 * (k2 * np.abs(w) ** 2).sum(),
                max_omega=np.abs(omega).max(), cfl=max(np.abs(u).max(), np.abs(v).max()) * dt * N / (2 * np.pi),
                spectrum=spec)


def write(f, path, data):
    data = np.asarray(data)
    f.create_dataset(path, data=data, maxshape=(None,) + data.shape[1:],
                     chunks=(1,) + data.shape[1:] if data.ndim > 1 else True)


def make_truth(path, N=32, steps=100, stats_every=10, spectra_every=25, snapshot_every=50,
               precision="double", dt=0.01, nu0=1e-3):
    """Write a small truth file following docs/file-formats.md; returns its path."""
    options = dict(N=N, steps=steps, dt=dt, nu0=nu0, seed=7, precision=precision, sgs="none", Cs=0.17,
                   ic="taylor_green", force=False, stats_every=stats_every, spectra_every=spectra_every,
                   snapshot_every=snapshot_every, out=str(Path(path).parent))
    recs = {s: diagnostics(field(N, s * dt, nu0), dt) for s in range(0, steps + 1, stats_every)}
    with h5py.File(path, "w") as f:
        f.attrs.create("solver_id", np.bytes_("spectral_les_v1"))  # fixed-length, as C writes it
        f.attrs["solver_spec"] = json.dumps(dict(gradients="spectral", poisson="spectral", dealias="2/3",
                                                 sgs="none", time_integrator="rk2", precision=precision))
        f.attrs["implementation_spec"] = json.dumps(dict(backend="cpu", fft="fftw-3.3.10", ranks=1))
        f.attrs["options"] = json.dumps(options)
        for k, v in options.items():
            f.attrs[k] = np.int64(v) if isinstance(v, (bool, int)) else v
        f.attrs["format"] = "dashi-truth-1"
        steps_d = np.array(sorted(recs), dtype=np.int64)
        write(f, "/diagnostics/time", steps_d * dt)
        write(f, "/diagnostics/step", steps_d)
        for n in ("E", "Z", "P", "max_omega", "cfl"):
            write(f, f"/diagnostics/{n}", [recs[s][n] for s in steps_d])
        write(f, "/diagnostics/nu_t_mean", np.zeros(len(steps_d)))
        write(f, "/diagnostics/diss_Z", [2 * nu0 * recs[s]["P"] for s in steps_d])
        write(f, "/diagnostics/inj_Z", np.zeros(len(steps_d)))
        sp = np.arange(0, steps + 1, spectra_every, dtype=np.int64)
        write(f, "/spectra", [diagnostics(field(N, s * dt, nu0), dt)["spectrum"] for s in sp])
        write(f, "/spectra_time", sp * dt)
        write(f, "/spectra_step", sp)
        sn = np.arange(0, steps + 1, snapshot_every, dtype=np.int64)
        write(f, "/snapshots/omega", np.array([field(N, s * dt, nu0) for s in sn],
                                              dtype=np.float32 if precision == "single" else np.float64))
        write(f, "/snapshots/time", sn * dt)
        write(f, "/snapshots/step", sn)
    return Path(path)


def run(tool, *args, env=None):
    """Run tools/<tool> with /usr/bin/python3; returns the CompletedProcess (text mode)."""
    return subprocess.run([PY, str(TOOLS / tool), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def truth(tmp_path):
    return make_truth(tmp_path / "truth.h5")


@pytest.fixture
def make():
    return make_truth


@pytest.fixture
def run_tool():
    return run


@pytest.fixture
def png():
    def check(path):
        p = Path(path)
        assert p.is_file(), f"{p} was not written"
        data = p.read_bytes()
        assert len(data) > len(PNG_MAGIC) and data[:8] == PNG_MAGIC, f"{p} is not a PNG"
        return p
    return check


@pytest.fixture
def env_without(tmp_path):
    """An environment whose PATH is only a fresh directory (optionally with fake executables)."""
    def make_env(**scripts):
        d = tmp_path / "bin"
        d.mkdir(exist_ok=True)
        for name, body in scripts.items():
            exe = d / name
            exe.write_text(body)
            exe.chmod(0o755)
        return dict(os.environ, PATH=str(d))
    return make_env
