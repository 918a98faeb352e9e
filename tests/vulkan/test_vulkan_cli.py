"""The Vulkan backend through the dashi binary (on lavapipe in CI):

- 100 steps of the random-IC Smagorinsky case at N=64: the final state of -backend vulkan on 1 and
  2 ranks within 1e-10 (double) of the CPU backend, and of each other; single precision too;
- other configurations (lap form + exp filter + Kolmogorov, SSP-RK3 + ring forcing, RK4 + drag);
- Taylor-Green exact decay on the GPU backend (1e-10 relative, double);
- restart CPU -> GPU -> CPU continues within parity tolerance of an uninterrupted CPU run;
- no Vulkan device (VK_DRIVER_FILES=/nonexistent): clear error and exit status 5, no fallback;
- a field larger than the device's largest buffer: exit 5, the sizes and the remedy named;
- a device out of memory (DASHI_VK_MEMORY_BYTES makes lavapipe small): exit 5, what dashi held and
  the remedy named; on one rank of two, every rank stops with that rank's message (no rank left
  waiting in a collective); no room for the riding record's state: records computed apart, the
  same values;
- a device lost in the time loop (DASHI_VK_LOSE_DEVICE_AFTER_STEPS): exit 5 naming it and how to
  go on; one rank closes its truth file with every record, several stop the job at once; then
  -resume auto ends where an uninterrupted run ends, bit for bit;
- `dashi validate` passes, and fails (non-zero exit) beyond its tolerance;
- `dashi info` lists the Vulkan devices of every rank;
- -log_view adds the GPU time per stage of the time loop (timestamps), changing no value."""
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

DEVICE = 5  # DASHI_ERR_DEVICE
NUMERICS = 4
USAGE = 2


def _env(extra=None):
    for v in ("DASHI_BIN", "DASHI_MPIEXEC"):
        if not os.environ.get(v):
            pytest.fail(f"{v} is not set: run these tests through ctest", pytrace=False)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_odls_base_sigkill_timeout="0")
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    env.update(extra or {})
    return env


def dashi(*args, np=1, cmd="truth", env=None, timeout=300):
    argv = [os.environ.get("DASHI_MPIEXEC", "mpiexec"), "--oversubscribe", "-n", str(np),
            os.environ.get("DASHI_BIN", "dashi"), cmd] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, env=_env(env), timeout=timeout)


def run_ok(out, *args, np=1):
    p = dashi(*args, "-out", out, np=np)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    # e.g. VkFFT's device memory not given back with its plans (vk_fft_destroy)
    assert "dashi: internal error" not in p.stderr, p.stderr[-3000:]
    return Path(out)


def final_state(out):
    ck = sorted((Path(out) / "checkpoints").glob("ckpt_*.h5"))[-1]
    with h5py.File(ck, "r") as f:
        return f["/omega_hat"][()], int(f.attrs["step"])


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b), np.abs(a - b).max() / np.abs(b).max()


CASE = ["-N", 64, "-steps", 100, "-stats_every", 50, "-snapshot_every", 0, "-spectra_every", 0,
        "-checkpoint_every", 0, "-progress_every", 0]


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    return final_state(run_ok(tmp_path_factory.mktemp("cpu") / "run", *CASE, "-backend", "cpu"))


@pytest.mark.parametrize("np_", [1, 2])
def test_smagorinsky_run_matches_cpu(cpu_run, tmp_path, np_):
    w, step = final_state(run_ok(tmp_path / "gpu", *CASE, "-backend", "vulkan", np=np_))
    ref, rstep = cpu_run
    assert step == rstep == 100
    l2, mx = rel(w, ref)
    assert l2 <= 1e-10 and mx <= 1e-10, \
        f"vulkan np={np_} vs cpu after 100 steps: rel L2 {l2:.2e}, max {mx:.2e}"


def test_one_and_two_ranks_agree(tmp_path):
    w1, _ = final_state(run_ok(tmp_path / "g1", *CASE, "-backend", "vulkan", np=1))
    w2, _ = final_state(run_ok(tmp_path / "g2", *CASE, "-backend", "vulkan", np=2))
    l2, mx = rel(w2, w1)
    assert l2 <= 1e-10 and mx <= 1e-10, f"vulkan 2 ranks vs 1 rank: rel L2 {l2:.2e}, max {mx:.2e}"


def test_single_precision_run_matches_cpu(tmp_path):
    args = CASE + ["-precision", "single"]
    w, _ = final_state(run_ok(tmp_path / "gpu", *args, "-backend", "vulkan"))
    ref, _ = final_state(run_ok(tmp_path / "cpu", *args, "-backend", "cpu"))
    l2, mx = rel(w, ref)
    assert l2 <= 1e-5 and mx <= 1e-5, f"single precision: rel L2 {l2:.2e}, max {mx:.2e}"


@pytest.mark.parametrize("precision,np_,tol", [("double", 1, 1e-10), ("single", 1, 1e-5),
                                               ("single", 2, 1e-5)])
def test_snapshots_match_cpu(tmp_path, precision, np_, tol):
    """The truth file's snapshots: the Vulkan backend hands them over in its own precision
    (real_get_native, no conversion on the host) and the file stores that precision; every
    snapshot against the CPU backend's"""
    args = ["-N", 64, "-steps", 20, "-stats_every", 10, "-snapshot_every", 5, "-spectra_every", 0,
            "-checkpoint_every", 0, "-progress_every", 0, "-precision", precision]
    snaps = {}
    for backend, n in (("vulkan", np_), ("cpu", 1)):
        out = run_ok(tmp_path / backend, *args, "-backend", backend, np=n)
        with h5py.File(out / "truth.h5", "r") as f:
            snaps[backend] = f["/snapshots/omega"][()]
            assert list(f["/snapshots/step"][()]) == [0, 5, 10, 15, 20]
    gpu, cpu = snaps["vulkan"], snaps["cpu"]
    assert gpu.dtype == cpu.dtype == (np.float32 if precision == "single" else np.float64)
    for k in range(len(cpu)):
        l2, mx = rel(gpu[k], cpu[k])
        assert l2 <= tol and mx <= tol, f"snapshot {k}: rel L2 {l2:.2e}, max {mx:.2e}"


@pytest.mark.parametrize("extra", [
    ["-sgs_form", "lap", "-dealias", "exp", "-forcing", "kolmogorov", "-kf", 3],
    ["-ts", "ssprk3", "-forcing", "ring", "-seed", 5],
    ["-ts", "rk4", "-sgs", "none", "-drag", 0.1],
], ids=["lap-exp-kolmogorov", "ssprk3-ring", "rk4-drag"])
def test_configurations_match_cpu(tmp_path, extra):
    args = ["-N", 32, "-steps", 40, "-stats_every", 20, "-snapshot_every", 0,
            "-checkpoint_every", 0, "-progress_every", 0] + extra
    w, _ = final_state(run_ok(tmp_path / "gpu", *args, "-backend", "vulkan", np=2))
    ref, _ = final_state(run_ok(tmp_path / "cpu", *args, "-backend", "cpu"))
    l2, mx = rel(w, ref)
    assert l2 <= 1e-10 and mx <= 1e-10, f"{extra}: rel L2 {l2:.2e}, max {mx:.2e}"


@pytest.mark.parametrize("np_", [1, 2])
def test_taylor_green_decay_on_gpu(tmp_path, np_):
    nu, dt, steps, k = 0.01, 0.01, 200, 2
    out = run_ok(tmp_path / "tg", "-backend", "vulkan", "-N", 32, "-ic", "taylor_green", "-tg_k", k,
                 "-sgs", "none", "-nu0", nu, "-dt", dt, "-steps", steps, "-ts", "rk4",
                 "-snapshot_every", steps, "-stats_every", 100, "-progress_every", 0, np=np_)
    with h5py.File(out / "truth.h5", "r") as f:
        w, t = f["/snapshots/omega"][-1], float(f["/snapshots/time"][-1])
    x = np.arange(32) * 2 * np.pi / 32
    exact = 2 * k * np.sin(k * x)[:, None] * np.sin(k * x)[None, :] * np.exp(-2 * nu * k * k * t)
    err = np.abs(w - exact).max() / np.abs(exact).max()
    assert abs(t - steps * dt) < 1e-12
    assert err <= 1e-10, f"Taylor-Green on the GPU backend: {err:.2e} from the exact decay"


def test_restart_cpu_gpu_cpu(tmp_path):
    base = ["-N", 32, "-dt", 0.01, "-forcing", "ring", "-seed", 3, "-stats_every", 10,
            "-snapshot_every", 0, "-spectra_every", 0, "-checkpoint_every", 0, "-progress_every", 0]
    straight, _ = final_state(run_ok(tmp_path / "straight", *base, "-steps", 60, "-backend", "cpu"))
    a = run_ok(tmp_path / "a", *base, "-steps", 20, "-backend", "cpu")
    b = run_ok(tmp_path / "b", "-restart", a / "checkpoints" / "ckpt_00000020.h5", "-steps", 40,
               "-backend", "vulkan", "-checkpoint_every", 0, np=2)
    c = run_ok(tmp_path / "c", "-restart", b / "checkpoints" / "ckpt_00000040.h5", "-steps", 60,
               "-backend", "cpu", "-checkpoint_every", 0)
    w, step = final_state(c)
    assert step == 60
    with h5py.File(b / "truth.h5", "r") as f:
        impl = f.attrs["implementation_spec"]
    assert "vulkan" in str(impl), "the middle leg did not run on the Vulkan backend"
    l2, mx = rel(w, straight)
    assert l2 <= 1e-10 and mx <= 1e-10, \
        f"CPU->GPU->CPU restart vs straight CPU: rel L2 {l2:.2e}, max {mx:.2e}"


@pytest.mark.parametrize("cmd", ["truth", "validate"])
def test_no_device_is_a_clear_error(tmp_path, cmd):
    args = ["-backend", "vulkan", "-N", 32, "-steps", 2]
    if cmd == "truth":
        args += ["-out", tmp_path / "x"]
    p = dashi(*args, cmd=cmd, env={"VK_DRIVER_FILES": "/nonexistent/icd.json"})
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert err and "no Vulkan device" in err[0] and "never falls back" in err[0], p.stderr
    assert "finished" not in p.stdout
    assert not (tmp_path / "x" / "truth.h5").exists()


def test_too_large_for_one_device_names_the_remedy(tmp_path):
    """N = 4096 in double on one rank: one field is 128.1 MiB, lavapipe's largest buffer 128 MiB
    (N = 32768 in single against an H200's 4 GiB is the same error); on a GPU it would run"""
    info = dashi(cmd="info")
    if "llvmpipe" not in info.stdout:
        pytest.skip("needs lavapipe's 128 MiB buffer limit (the device here: "
                    f"{info.stdout.strip()[:200]})")
    p = dashi("-backend", "vulkan", "-N", 4096, "-precision", "double", "-steps", 1,
              "-out", tmp_path / "x")
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert err and "one field of 128.1 MiB per rank" in err[0] \
        and "largest buffer the device allows (128.0 MiB)" in err[0] \
        and "run on more ranks" in err[0] and "-precision single" in err[0], p.stderr
    assert not (tmp_path / "x" / "truth.h5").exists()


def dashi_per_rank(envs, *args, cmd="truth", timeout=120):
    """one rank per entry of envs, each with that extra environment (mpiexec's MPMD form, each
    rank started through env(1))"""
    argv = [os.environ.get("DASHI_MPIEXEC", "mpiexec"), "--oversubscribe"]
    for i, e in enumerate(envs):
        argv += ([":"] if i else []) + ["-n", "1", "env"] + [f"{k}={v}" for k, v in e.items()]
        argv += [os.environ.get("DASHI_BIN", "dashi"), cmd] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=timeout)


def held_bytes(out, *args, np=1, vkfft=False):
    """the most device memory dashi's buffers held on a rank in a run (-log_view, exact bytes);
    with vkfft also what VkFFT's own tables held at the end"""
    p = dashi(*args, "-out", out, "-log_view", np=np)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    assert "dashi: internal error" not in p.stderr, p.stderr[-3000:]
    line = [l for l in p.stdout.splitlines() if l.startswith("device memory: dashi's buffers")]
    assert line, p.stdout[-2000:]
    peak = int(line[0].split(" bytes)")[0].rsplit("(", 1)[1])
    tables = int(line[0].split("VkFFT's own tables included, ")[1].split(" bytes")[0])
    return (peak, tables) if vkfft else peak


@pytest.mark.parametrize("precision", ["double", "single"])
def test_out_of_device_memory_names_the_remedy(tmp_path, precision):
    """a device with 1 MiB (DASHI_VK_MEMORY_BYTES, test only): the first device buffer (1.5 MiB of
    reduction partials, double accumulators in both precisions) does not fit; -precision single is
    a remedy only in double"""
    p = dashi(*CASE, "-backend", "vulkan", "-precision", precision, "-out", tmp_path / "x",
              env={"DASHI_VK_MEMORY_BYTES": str(1 << 20)}, timeout=120)
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert err and "(rank 0): out of device memory creating the reduction partials buffer" in err[0] \
        and "more were needed where dashi's buffers held 0.00 MiB" in err[0] \
        and "DASHI_VK_MEMORY_BYTES allows 1.00 MiB" in err[0] \
        and f"N=64, {precision}, 1 LES rank(s). Run on more GPUs" in err[0], p.stderr
    assert ("-precision single" in err[0]) == (precision == "double"), err[0]
    assert not (tmp_path / "x" / "truth.h5").exists()


@pytest.mark.parametrize("where", ["backend", "fields"])
def test_out_of_memory_on_one_rank_stops_every_rank(tmp_path, where):
    """rank 1's device too small, rank 0's not: in the backend's set-up (its first buffer) or in
    the solver's fields (the last buffer of a run: its peak less one byte). Both ranks stop with
    rank 1's message; rank 0 used to wait in the next collective for ever"""
    cap = 1 << 20
    if where == "fields":
        # VkFFT's tables are made after the fields, at the first transform (its staging buffer
        # is host memory, not counted): the run's peak less the tables is what the set-up held
        peak, tables = held_bytes(tmp_path / "peak", *CASE, "-backend", "vulkan", np=2, vkfft=True)
        assert 0 < tables < 65536, tables
        cap = peak - tables - 1
    p = dashi_per_rank([{}, {"DASHI_VK_MEMORY_BYTES": cap}], *CASE, "-backend", "vulkan",
                       "-out", tmp_path / "x")
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    what = "reduction partials" if where == "backend" else "field chunk"
    assert err and "(rank 1): out of device memory creating the" in err[0] \
        and what in err[0] and "2 LES rank(s)" in err[0], p.stderr
    assert not (tmp_path / "x" / "truth.h5").exists()


@pytest.mark.parametrize("ranks", [1, 2])
def test_vkfft_out_of_memory_on_one_rank_stops_the_job(tmp_path, ranks):
    """VkFFT's own device memory (its tables, made at the first transform, after the set-up's
    buffers) counts against the device like dashi's buffers: with the last rank's device one byte
    short of the run's peak, the plan made at first use fails there alone. One rank: exit 5 with
    the cause and how to go on; two: rank 1 says so and stops the job (MPI_Abort), where rank 0
    would wait in the step's exchanges"""
    peak = held_bytes(tmp_path / "peak", *CASE, "-backend", "vulkan", np=ranks)
    envs = [{}] * (ranks - 1) + [{"DASHI_VK_MEMORY_BYTES": peak - 1}]
    p = dashi_per_rank(envs, *CASE, "-backend", "vulkan", "-out", tmp_path / "x")
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert err and f"(rank {ranks - 1}): out of device memory in VkFFT, making the" in err[0] \
        and "KiB more were needed where dashi's buffers held" in err[0] \
        and f"{ranks} LES rank(s)" in err[0] and "The run stopped before completing its first step" in err[0] \
        and f"-resume auto -out {tmp_path / 'x'}" in err[0], p.stderr
    assert ("Stopping every rank (MPI_Abort)" in err[0]) == (ranks > 1), err[0]


def test_records_apart_where_the_riding_state_has_no_room(tmp_path):
    """SSP-RK3 fills the first chunk of 16 spectral fields, so the riding record's state takes a
    new one: a device with exactly the memory of a run without records has no room for it. The
    run says so, computes each record with a right-hand side of its own, and writes the same
    truth file, bit for bit"""
    case = CASE + ["-backend", "vulkan", "-ts", "ssprk3", "-stats_every", 10]
    cap = held_bytes(tmp_path / "norec", *case[:-2], "-stats_every", 0)
    p = dashi(*case, "-out", tmp_path / "apart", env={"DASHI_VK_MEMORY_BYTES": str(cap)})
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "no memory for one more spectral field on some rank's device" in p.stdout, p.stdout
    riding = run_ok(tmp_path / "riding", *case)
    with h5py.File(tmp_path / "apart" / "truth.h5", "r") as a, \
            h5py.File(riding / "truth.h5", "r") as b:
        names = []
        a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        assert "diagnostics/Z" in names and len(a["diagnostics/Z"]) == 11, names
        for n in names:
            assert np.array_equal(a[n][()], b[n][()]), n


LOST = ["-N", 64, "-steps", 200, "-checkpoint_every", 50, "-stats_every", 10, "-snapshot_every",
        0, "-spectra_every", 0, "-progress_every", 0, "-backend", "vulkan"]


def same_run(a, b):
    """final state and every diagnostics record equal, bit for bit"""
    wa, sa = final_state(a)
    wb, sb = final_state(b)
    assert sa == sb == 200 and np.array_equal(wa, wb)
    with h5py.File(Path(a) / "truth.h5", "r") as fa, h5py.File(Path(b) / "truth.h5", "r") as fb:
        for k in ("step", "Z", "E", "max_omega"):
            assert np.array_equal(fa["diagnostics"][k][()], fb["diagnostics"][k][()]), k


def test_lost_device_says_how_to_go_on(tmp_path):
    """one rank: the device is lost after 120 steps (the submits fail as on a lost GPU); exit 5
    with the cause and -resume auto, the truth file closed with every record before the loss;
    -resume auto then ends as an uninterrupted run"""
    out = tmp_path / "lost"
    p = dashi(*LOST, "-out", out, env={"DASHI_VK_LOSE_DEVICE_AFTER_STEPS": "120"}, timeout=120)
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert err and "VK_ERROR_DEVICE_LOST" in err[0] and f"-resume auto -out {out}" in err[0], p.stderr
    # the first submit after step 120 fails: in the step after it, or at the next record's wait
    at = int(err[0].split("stopped in the steps before ")[1].split()[0])
    assert 120 <= at <= 130, err[0]
    with h5py.File(out / "truth.h5", "r") as f:
        steps = f["diagnostics/step"][()]
    assert steps[-1] >= 110 and list(steps) == list(range(0, steps[-1] + 1, 10)), steps
    assert sorted(x.name for x in (out / "checkpoints").glob("*.h5")) == \
        ["ckpt_00000050.h5", "ckpt_00000100.h5"]
    run_ok(out, *LOST, "-resume", "auto")
    same_run(out, run_ok(tmp_path / "straight", *LOST))


def test_lost_device_on_one_rank_stops_the_job(tmp_path):
    """two ranks, rank 1's device lost after 120 steps: rank 0 waits for it in the transposes, so
    rank 1 stops the job (MPI_Abort, exit 5) at once instead of leaving it hanging; -resume auto
    on both ranks then ends as an uninterrupted run"""
    out = tmp_path / "lost"
    p = dashi_per_rank([{}, {"DASHI_VK_LOSE_DEVICE_AFTER_STEPS": 120}], *LOST, "-out", out)
    assert p.returncode == DEVICE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    err = [l for l in p.stderr.splitlines() if l.startswith("dashi: error:")]
    assert err and err[0].startswith("dashi: error: rank 1: ") and "VK_ERROR_DEVICE_LOST" in err[0] \
        and "Stopping every rank (MPI_Abort)" in err[0] and "-resume auto" in err[0], p.stderr
    run_ok(out, *LOST, "-resume", "auto", np=2)
    same_run(out, run_ok(tmp_path / "straight", *LOST, np=2))


def test_validate_passes(tmp_path):
    p = dashi("-N", 32, "-validate_steps", 10, "-forcing", "kolmogorov", cmd="validate", np=2)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    for term in ("adv", "sgs", "linear", "force", "rhs", "omega"):
        assert any(l.split()[:1] == [term] and l.rstrip().endswith("ok")
                   for l in p.stdout.splitlines()), p.stdout
    assert "all comparisons within tolerance" in p.stdout


def test_validate_single_uses_the_fp32_floor(tmp_path):
    p = dashi("-N", 32, "-validate_steps", 5, "-precision", "single", cmd="validate")
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "fp32 floor" in p.stdout and "all comparisons within tolerance" in p.stdout, p.stdout


def test_validate_fails_beyond_tolerance(tmp_path):
    p = dashi("-N", 32, "-validate_steps", 2, "-validate_tol", 1e-30, cmd="validate")
    assert p.returncode == NUMERICS, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "beyond tolerance" in p.stderr and "FAIL" in p.stdout


def test_validate_refuses_a_run_beyond_the_cfl_limit(tmp_path):
    # dt = 1 at N = 32 puts the initial CFL far above -cfl_max: a usage error before any step,
    # with the remedy named (at N = 4096 the default dt used to end in NaN on both backends)
    p = dashi("-N", 32, "-validate_steps", 2, "-dt", 1, cmd="validate")
    assert p.returncode == USAGE, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "exceeds -cfl_max" in p.stderr and "lower -dt" in p.stderr, p.stderr
    assert "after 2 steps" not in p.stdout
    p = dashi("-N", 32, "-validate_steps", 0, "-dt", 1, cmd="validate")
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"


def test_info_lists_devices():
    p = dashi(cmd="info", np=2)
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if l.strip().startswith("rank ")]
    assert len(lines) == 2 and all("vulkan: [0]" in l for l in lines), p.stdout


def run_env(out, *args, env=None, np=1):
    p = dashi(*args, "-out", out, np=np, env=env)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return final_state(out)


def test_steps_per_submit_is_bit_identical(tmp_path):
    """-gpu_steps_per_submit k only changes when command buffers are submitted, never a value"""
    auto, _ = final_state(run_ok(tmp_path / "auto", *CASE, "-backend", "vulkan"))
    for k in (1, 7):
        w, step = final_state(run_ok(tmp_path / f"k{k}", *CASE, "-backend", "vulkan",
                                     "-gpu_steps_per_submit", k))
        assert step == 100 and np.array_equal(w, auto), f"-gpu_steps_per_submit {k} differs"


def test_steps_per_submit_negative_is_a_usage_error(tmp_path):
    p = dashi(*CASE, "-backend", "vulkan", "-gpu_steps_per_submit", -1, "-out", tmp_path / "o")
    assert p.returncode == 2, f"exit {p.returncode}\n{p.stderr[-2000:]}"
    assert "gpu_steps_per_submit" in p.stderr


@pytest.mark.parametrize("variant", ["zeropad", "zeropad_xy"])
def test_fft_variants_match_cpu(cpu_run, tmp_path, variant):
    """DASHI_VK_FFT (docs/vulkan.md): the zero-padded transforms give the CPU's run (the default,
    auto, is test_smagorinsky_run_matches_cpu); the truth file names the variant that ran"""
    out = tmp_path / "gpu"
    w, _ = run_env(out, *CASE, "-backend", "vulkan", env={"DASHI_VK_FFT": variant})
    with h5py.File(out / "truth.h5", "r") as f:
        impl = str(f.attrs["implementation_spec"])
    assert f", {variant})" in impl, f"DASHI_VK_FFT={variant} did not run: {impl}"
    l2, mx = rel(w, cpu_run[0])
    assert l2 <= 1e-10 and mx <= 1e-10, f"DASHI_VK_FFT={variant}: rel L2 {l2:.2e}, max {mx:.2e}"


def test_own_x_passes_match_cpu(cpu_run, tmp_path):
    """DASHI_VK_XFFT=own (docs/vulkan.md "Own x passes"; auto takes them from N = 1024 in single,
    4096 in double, so no other run test reaches them): 100 RK2 steps give the CPU's run"""
    out = tmp_path / "gpu"
    w, _ = run_env(out, *CASE, "-backend", "vulkan", env={"DASHI_VK_XFFT": "own"})
    with h5py.File(out / "truth.h5", "r") as f:
        impl = str(f.attrs["implementation_spec"])
    assert "own x passes" in impl, f"DASHI_VK_XFFT=own did not run: {impl}"
    l2, mx = rel(w, cpu_run[0])
    assert l2 <= 1e-10 and mx <= 1e-10, f"DASHI_VK_XFFT=own: rel L2 {l2:.2e}, max {mx:.2e}"


def test_fft_variant_unknown_is_a_usage_error(tmp_path):
    p = dashi(*CASE, "-backend", "vulkan", "-out", tmp_path / "o", env={"DASHI_VK_FFT": "fast"})
    assert p.returncode == 2 and "DASHI_VK_FFT=fast" in p.stderr, p.stderr[-2000:]


def gpu_stage_table(stdout):
    """The GPU stage table that -log_view prints after the summary (src/app/gpu_log.c):
    {stage: (count, seconds, percent)}, the GPU total in seconds, the busy percentage"""
    lines = stdout.splitlines()
    heads = [i for i, l in enumerate(lines) if l.startswith("GPU stages of the time loop")]
    if not heads:
        return None
    rows, total, busy = {}, None, None
    for l in lines[heads[0] + 3:]:
        f = l.split()
        if l.startswith("GPU total"):
            total = float(f[2])
        elif l.startswith("the time loop took"):
            busy = float(l.rsplit("busy", 1)[1].split("%")[0])
            break
        else:
            name = l[:28].strip()
            count, secs, pct = int(l[28:].split()[0]), float(l[28:].split()[1]), float(f[-1])
            rows[name] = (count, secs, pct)
    return rows, total, busy


@pytest.mark.parametrize("np_", [1, 2])
def test_log_view_gpu_stages(tmp_path, np_):
    """-log_view with -backend vulkan adds the GPU time per stage of the time loop (timestamps):
    one row-kernel call per right-hand side (RK2: 2 per step, nothing from before the loop) and
    one for the final record (a record that rides on no step takes the fused products too), the
    stages add up to the total (on one rank), and the timestamps change no value of the run"""
    steps = 10
    case = ["-N", 64, "-steps", steps, "-stats_every", 5, "-snapshot_every", 0, "-spectra_every", 0,
            "-checkpoint_every", 0, "-progress_every", 0, "-backend", "vulkan"]
    p = dashi(*case, "-log_view", "-out", tmp_path / "lv", np=np_)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    table = gpu_stage_table(p.stdout)
    assert table, f"no GPU stage table in\n{p.stdout[-3000:]}"
    rows, total, busy = table
    assert rows["rows_pair"][0] == 2 * steps + 1, rows
    # the set-up's commands are not in it: spec_filter runs once there (the initial field), never
    # in this case's time loop (the 2/3 rule is the products' band)
    assert "spec_filter" not in rows, rows
    # each stage's time is its largest over the ranks, the total the busiest rank's: on one rank
    # they add up, on several the stages' maxima add up to at least the total
    secs, pct, tol = sum(r[1] for r in rows.values()), sum(r[2] for r in rows.values()), len(rows)
    if np_ == 1:
        assert abs(secs - total) <= 1e-3 * total + 1e-7 * tol and abs(pct - 100) <= 0.1 * tol, rows
    else:
        assert secs >= total * (1 - 1e-3) and pct >= 100 - 0.1 * tol, rows
    assert 0 < busy, p.stdout[-2000:]
    # the device memory the backend held: at least one chunk of 16 spectral fields of at least
    # 64 x 32 / np complex values each (N = 64, double), at most the device's heap
    mem = [l for l in p.stdout.splitlines() if l.startswith("device memory: dashi's buffers")]
    assert mem, p.stdout[-2000:]
    f = mem[0].split("held at most ")[1].split()
    held = float(f[0]) * (2**30 if f[1] == "GiB" else 2**20)
    heap = float(mem[0].split("heap is ")[1].split()[0]) * 2**30
    assert 16 * (64 * 32 // np_) * 16 <= held <= heap, mem[0]
    assert "Event Stage 1: LES steps" in p.stdout  # PETSc's own table follows
    # tools/scaling_report.py reads the total per step from the same table (its gpu_ms column)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    import scaling_report
    (tmp_path / "dashi.log").write_text(p.stdout)
    info = scaling_report.parse_log(tmp_path / "dashi.log")
    assert info["steps"] == steps and abs(info["gpu_ms"] - 1e3 * total / steps) <= 1e-3 * info["gpu_ms"]
    plain, _ = final_state(run_ok(tmp_path / "plain", *case, np=np_))
    w, _ = final_state(tmp_path / "lv")
    assert np.array_equal(w, plain), "-log_view changed the run's values"


def test_log_view_gpu_stages_only_where_asked(tmp_path):
    """no GPU table without -log_view, with -log_view_gpu false, nor with the CPU backend"""
    case = ["-N", 32, "-steps", 2, "-stats_every", 1, "-snapshot_every", 0, "-spectra_every", 0,
            "-checkpoint_every", 0, "-progress_every", 0]
    for i, args in enumerate((["-backend", "vulkan"], ["-backend", "cpu", "-log_view"],
                              ["-backend", "vulkan", "-log_view", "-log_view_gpu", "false"])):
        p = dashi(*case, *args, "-out", tmp_path / f"o{i}")
        assert p.returncode == 0, f"exit {p.returncode}\n{p.stderr[-2000:]}"
        assert gpu_stage_table(p.stdout) is None, f"{args}: unexpected GPU table\n{p.stdout}"
