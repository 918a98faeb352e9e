"""-proxy_backend vulkan (GPU ensemble rollouts; on lavapipe in CI): `dashi ensemble` and `dashi run`
give the rollout states of -proxy_backend cpu (the proxy file's z datasets within 1e-10), a
diverging operator fails with the CPU's message (member and step), no Vulkan device is exit 5 with
the cause and the remedy and no output, and encode/learn say that they run on the CPU."""
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest
from conftest import DEVICE, NUMERICS, h5
from dashi_testenv import Result, mpi_env, need

NO_DEVICE = {"VK_DRIVER_FILES": "/nonexistent"}


def dashi_env(cmd, *args, np=1, env=None, timeout=300):
    """dashi under mpiexec with extra environment variables"""
    argv = [need("DASHI_MPIEXEC"), "--oversubscribe", "-n", str(np), need("DASHI_BIN"), cmd]
    argv += [str(a) for a in args]
    e = mpi_env(OMPI_MCA_odls_base_sigkill_timeout="0", **(env or {}))
    e.setdefault("XDG_RUNTIME_DIR", "/tmp")
    return Result(subprocess.run(argv, capture_output=True, text=True, env=e, timeout=timeout))


def ensemble(out, *args, np=1, env=None):
    return dashi_env("ensemble", "-out", out, "-progress_every", 0, *args, np=np, env=env)


Z_NAMES = ["ensemble/z0", "ensemble/z_mean", "ensemble/z_true", "ensemble/step"]


def read(path, names):
    with h5(path) as f:
        return {n: f[n][()] for n in names}


def assert_same_z(a, b, tol=1e-10):
    for n in a:
        assert a[n].shape == b[n].shape, n
        scale = max(np.abs(a[n]).max(), 1e-300) if a[n].size else 1.0
        err = np.abs(np.nan_to_num(a[n] - b[n], nan=0.0)).max() / scale if a[n].size else 0.0
        assert np.array_equal(np.isnan(a[n]), np.isnan(b[n])) and err <= tol, f"{n}: {err:.2e}"


@pytest.mark.parametrize("np_", [2])
def test_ensemble_gpu_rollout_matches_cpu(work, afile, zfile, truth32, np_):
    outs = {}
    for be in ("cpu", "vulkan"):
        outs[be] = work / f"ensgpu_{be}_{np_}"
        r = ensemble(outs[be], "-A", afile, "-z", zfile, "-truth", truth32, "-members", 4,
                     "-noise", 0.01, "-score_every", 30, "-proxy_backend", be, np=np_)
        assert r.rc == 0, r
        if be == "vulkan":
            assert "proxy rollouts on the GPU" in r.stdout, r
    a, b = read(outs["cpu"] / "ensemble.h5", Z_NAMES), read(outs["vulkan"] / "ensemble.h5", Z_NAMES)
    assert list(b["ensemble/step"]) == [0, 30, 60]
    assert_same_z(a, b)
    with h5(outs["vulkan"] / "ensemble.h5") as f:
        assert f.attrs["status"] == b"complete"


def test_kernel_only_gpu(work, afile, zfile):
    outs = {}
    for be in ("cpu", "vulkan"):
        outs[be] = work / f"kogpu_{be}"
        r = ensemble(outs[be], "-kernel_only", "-A", afile, "-z", zfile, "-members", 3,
                     "-score_every", 25, "-ens_steps", 50, "-proxy_backend", be)
        assert r.rc == 0, r
    names = ["ensemble/z0", "ensemble/z_mean", "ensemble/step"]
    assert_same_z(read(outs["cpu"] / "ensemble.h5", names),
                  read(outs["vulkan"] / "ensemble.h5", names))


def test_diverging_operator_same_error(work, afile, zfile, truth32):
    bad = work / "A_div_gpu.h5"
    shutil.copy(afile, bad)
    with h5py.File(bad, "r+") as f:
        f["A"][...] = f["A"][()] * 1e6
    res = {}
    for be in ("cpu", "vulkan"):
        out = work / f"ensdiv_{be}"
        r = ensemble(out, "-A", bad, "-z", zfile, "-truth", truth32, "-members", 2,
                     "-score_every", 20, "-proxy_backend", be, np=2)
        assert r.rc == NUMERICS and "diverged" in r.error_line(), r
        with h5(out / "ensemble.h5") as f:
            res[be] = (r.error_line(), f.attrs["status"], f["ensemble/step"][()])
    assert res["cpu"][0] == res["vulkan"][0]          # member and step named identically
    assert res["cpu"][1] == res["vulkan"][1]
    assert list(res["cpu"][2]) == list(res["vulkan"][2])


def test_no_device_is_exit_5(work, afile, zfile, truth32):
    out = work / "ensnodev"
    r = ensemble(out, "-A", afile, "-z", zfile, "-truth", truth32, "-proxy_backend", "vulkan",
                 np=2, env=NO_DEVICE)
    err = r.error_line()
    assert r.rc == DEVICE, r
    assert "-proxy_backend vulkan: no Vulkan device" in err and "never falls back" in err, r
    assert "-proxy_backend cpu" in err and "/nonexistent" in err, r
    assert not (out / "ensemble.h5").exists()


def test_run_no_device_before_anything_starts(work):
    out = work / "runnodev"
    r = dashi_env("run", "-N", 32, "-steps", 4, "-train_steps", 2, "-members", 2,
                  "-proxy_backend", "vulkan", "-out", out, np=3, env=NO_DEVICE)
    assert r.rc == DEVICE and "-proxy_backend vulkan: no Vulkan device" in r.error_line(), r
    assert not (out / "truth.h5").exists()


def test_encode_and_learn_say_they_run_on_the_cpu(work, truth32, zfile):
    note = "-proxy_backend vulkan applies to rollouts and decodes"
    r = dashi_env("encode", "-truth", truth32, "-proxy_backend", "vulkan", "-out", work / "encvk",
                  env=NO_DEVICE)
    assert r.rc == 0 and note in r.stdout, r
    r = dashi_env("learn", "-z", zfile, "-proxy_backend", "vulkan", "-out", work / "learnvk",
                  env=NO_DEVICE)
    assert r.rc == 0 and note in r.stdout, r


def test_run_gpu_rollout_matches_cpu(work):
    common = ["-N", 32, "-steps", 30, "-train_steps", 10, "-score_every", 10, "-members", 4,
              "-snapshot_every", 0, "-progress_every", 0]
    outs = {}
    for be in ("cpu", "vulkan"):
        outs[be] = work / f"rungpu_{be}"
        r = dashi_env("run", *common, "-proxy_backend", be, "-out", outs[be], np=3)
        assert r.rc == 0, r
    names = ["z", "A"] + Z_NAMES
    a, b = read(outs["cpu"] / "proxy.h5", names), read(outs["vulkan"] / "proxy.h5", names)
    np.testing.assert_array_equal(a["z"], b["z"])       # the LES side is the same run
    np.testing.assert_array_equal(a["A"], b["A"])
    assert list(b["ensemble/step"]) == [10, 20, 30]
    assert_same_z({n: a[n] for n in Z_NAMES}, {n: b[n] for n in Z_NAMES})
