"""-proxy_backend vulkan, the GPU decode (lavapipe in CI): `dashi ensemble` writes the carrier
records of -proxy_backend cpu exactly (support, majority, annihilation counts and history,
fining statistics, gain), and the scores and saved decoded fields within round-off (VkFFT vs
FFTW), on 1 and 2 proxy ranks and with -kernel_only."""
import numpy as np
import pytest
from conftest import h5

CARRIER = ["support", "after_majority", "after_annihilation", "annihilate_iters", "alive",
           "mean_life", "p95_life", "killed", "gain", "e_target", "residual_skipped", "history"]
SCORES = ["rel_l2", "corr", "dE", "dZ", "spec_err", "z_err"]


def run(ok, out, *args, np_=1):
    ok("ensemble", "-out", out, "-progress_every", 0, *args, np=np_)
    with h5(out / "ensemble.h5") as f:
        g = f["ensemble"]
        rec = {f"carrier/{n}": g["carrier"][n][()] for n in CARRIER}
        if "scores" in g and "rel_l2" in g["scores"]:
            rec.update({f"scores/{n}": g["scores"][n][()] for n in SCORES})
        if "decoded" in g:
            rec["decoded"] = g["decoded"][()]
        return rec


@pytest.mark.parametrize("np_", [1, 2])
def test_gpu_decode_records(ok, work, afile, zfile, truth32, np_):
    args = ["-A", afile, "-z", zfile, "-truth", truth32, "-members", 4, "-noise", 0.02,
            "-score_every", 10, "-save_decoded", 2]
    cpu = run(ok, work / f"dec_cpu_{np_}", *args, "-proxy_backend", "cpu", np_=np_)
    gpu = run(ok, work / f"dec_gpu_{np_}", *args, "-proxy_backend", "vulkan", np_=np_)
    for n in cpu:
        a, b = cpu[n], gpu[n]
        assert a.shape == b.shape, n
        if n.startswith("carrier/"):
            assert np.array_equal(a, b), n  # bit for bit
        else:
            scale = max(np.abs(a).max(), 1e-300)
            assert np.abs(a - b).max() <= 1e-12 * scale, (n, np.abs(a - b).max() / scale)
    assert cpu["carrier/support"].shape[1] >= 5 and (cpu["carrier/alive"] > 0).all()


def test_gpu_decode_kernel_only(ok, work, afile, zfile):
    args = ["-kernel_only", "-A", afile, "-z", zfile, "-members", 3, "-score_every", 20,
            "-ens_steps", 60, "-annihilate_iters", 4, "-plateau", 3]
    cpu = run(ok, work / "ko_dec_cpu", *args, "-proxy_backend", "cpu")
    gpu = run(ok, work / "ko_dec_gpu", *args, "-proxy_backend", "vulkan")
    for n in cpu:
        assert np.array_equal(cpu[n], gpu[n], equal_nan=True), n
