"""The job scripts on a real single-node Slurm (Debian's slurm-wlm + munge, started in a scratch
directory by tests/cluster/slurm_harness.py and stopped afterwards; /work/shared/SLURM.md):

* truth.sbatch for a tiny case (srun --mpi=pmix, 2 ranks): completes, truth file and manifest;
* a 2-task sweep.sbatch array submitted by jobs/submit_sweep.sh: both tasks complete, the manifest
  has both runs with the table's options, tools/sweep_summary.py collects them;
* the time-limit path: SIGUSR1 to the batch shell (what --signal=B:USR1@120 does) is forwarded to
  the srun step, dashi checkpoints and exits 75, the job requeues itself, resumes with -resume auto
  and ends bit-identical to an uninterrupted run.

When Slurm cannot run here at all (not root, packages missing: SlurmUnavailable), every test is
skipped and the reason is printed (ctest shows the test as skipped). Any other start failure (munge,
a daemon exiting or writing no pid file, the node never becoming idle: SlurmStartFailed) is an
error of every test, and the scratch directory is kept for the daemons' logs."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import pytest

from conftest import JOBS, PY, TOOLS, mpi_env, omega_hat, run, same_bits
from slurm_harness import SlurmCluster, SlurmUnavailable


@pytest.fixture(scope="module")
def slurm():
    # a short scratch path: the munge socket path must fit in a UNIX socket address (108 bytes)
    scratch = Path(tempfile.mkdtemp(prefix="dashi-slurm-"))
    sl = SlurmCluster(scratch / "slurm")
    try:
        sl.start()
    except SlurmUnavailable as e:  # only packages missing / not root: everything else fails
        sl.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"\nSKIPPED: Slurm cannot run here: {e}", file=sys.stderr)
        pytest.skip(f"Slurm cannot run here: {e}")
    except BaseException:  # SlurmStartFailed or anything else: an error, never a skip; the
        sl.stop()          # scratch directory (with the daemons' logs the message names) is kept
        print(f"\nthe Slurm daemons failed to start; logs kept in {scratch / 'slurm' / 'log'}", file=sys.stderr)
        raise
    sl.work = scratch / "work"
    sl.work.mkdir()
    yield sl
    sl.stop()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def job_env(slurm):
    return dict(mpi_env(slurm.env), DASHI_HOME=str(JOBS.parent), DASHI_BIN=os.environ["DASHI_BIN"],
                DASHI_BACKEND="cpu", DASHI_CPU_BIND="none")  # TaskPlugin=task/none: no CPU binding


# a CPU job on the 2-CPU test node: the header asks for 4 GPUs and 4 tasks per node (GPU truth)
CPU_JOB = ["--gpus-per-node=0", "--ntasks-per-node=2", "--cpus-per-task=1", "--time=10"]


def output_of(slurm, name):
    p = slurm.work / name
    return p.read_text(errors="replace") if p.exists() else ""


def manifest_entry(root, run_dir):
    m = json.loads((root / "manifest.json").read_text())
    e = [x for x in m["runs"] if x["id"] == str(run_dir.resolve())]
    assert len(e) == 1, f"manifest {root / 'manifest.json'} has {len(e)} entries for {run_dir}: {m}"
    return e[0]


def test_truth_job(slurm, job_env):
    env = dict(job_env, DASHI_OUT="runs/tiny")
    job = slurm.sbatch([*CPU_JOB, JOBS / "truth.sbatch", "-N", 32, "-steps", 40, "-snapshot_every", 20,
                        "-progress_every", 0], env=env, cwd=slurm.work)
    st = slurm.wait(job, timeout=180)
    out = output_of(slurm, f"dashi-truth-{job}.out")
    assert st[job][:2] == ("COMPLETED", "0:0"), f"{st}\n{out}"
    assert "srun --ntasks=2 --mpi=pmix" in out and "dashi truth finished: 40 steps" in out and "on 2 rank(s)" in out, out
    d = slurm.work / "runs" / "tiny"
    with h5py.File(d / "truth.h5", "r") as f:
        assert list(f["snapshots/step"][()]) == [0, 20, 40] and f["snapshots/omega"].shape == (3, 32, 32)
    e = manifest_entry(slurm.work / "runs", d)
    assert e["status"] == "completed" and e["step"] == 40, e
    assert e["parameters"]["ranks"] == 2 and e["parameters"]["N"] == 32 and e["parameters"]["backend"] == "cpu", e


def test_sweep_array(slurm, job_env):
    table = slurm.work / "table.tsv"
    table.write_text("# two tasks\nname  nu0   seed\nlo    1e-3  3\nhi    1e-4  4\n")
    r = subprocess.run([str(JOBS / "submit_sweep.sh"), str(table), "runs/sweep", "--ntasks=2", "--cpus-per-task=1",
                        "--", "-N", "32", "-steps", "30", "-progress_every", "0"],
                       cwd=slurm.work, env=job_env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    job = r.stdout.strip()
    st = slurm.wait(job, timeout=240, tasks=2)
    logs = "\n".join(output_of(slurm, f"dashi-sweep-{job}_{i}.out") for i in (0, 1))
    assert sorted(st) == [f"{job}_0", f"{job}_1"], st
    assert all(s[:2] == ("COMPLETED", "0:0") for s in st.values()), f"{st}\n{logs}"
    root = slurm.work / "runs" / "sweep"
    for i, (name, nu0, seed) in enumerate((("lo", 1e-3, 3), ("hi", 1e-4, 4))):
        e = manifest_entry(root, root / name)
        assert e["status"] == "completed" and e["step"] == 30, e
        assert e["parameters"]["nu0"] == nu0 and e["parameters"]["seed"] == seed, e
        task = json.loads((root / name / "sweep_task.json").read_text())
        assert task["task"] == i and task["slurm_job"] == f"{job}_{i}", task
    s = subprocess.run([PY, str(TOOLS / "sweep_summary.py"), str(root), "--require-complete"],
                       capture_output=True, text=True, timeout=120)
    assert s.returncode == 0, s.stdout + s.stderr
    assert "| 0 | lo | completed | 1e-3 | 3 | 30 |" in s.stdout and "| 1 | hi | completed | 1e-4 | 4 | 30 |" in s.stdout, s.stdout


def test_usr1_requeues_and_resumes_bit_identically(slurm, job_env, tmp_path):
    args = ["-N", 64, "-steps", 5000, "-progress_every", 500, "-checkpoint_every", 1000, "-snapshot_every", 1000]
    env = dict(job_env, DASHI_OUT="runs/requeue")
    job = slurm.sbatch([*CPU_JOB, JOBS / "truth.sbatch", *args], env=env, cwd=slurm.work)
    name = f"dashi-truth-{job}.out"
    signalled = False

    def poke(_states):  # once the run is under way, do what --signal=B:USR1@120 does
        nonlocal signalled
        if not signalled and "step 1000/5000" in output_of(slurm, name):
            r = slurm.run(["scancel", "--signal=USR1", "--batch", job])
            assert r.returncode == 0, r.stderr
            signalled = True

    deadline = time.time() + 400
    while True:
        st = slurm.wait(job, timeout=max(1, deadline - time.time()), on_poll=poke)
        if st[job][2] >= 1 or not signalled:
            break
        time.sleep(0.5)  # terminal but not yet requeued: look again
    out = output_of(slurm, name)
    assert signalled, f"the run ended before step 1000 was reported:\n{out}"
    assert st[job][0] == "COMPLETED" and st[job][2] == 1, f"{st}\n{out}"
    assert "received SIGUSR1: forwarding SIGUSR1" in out, out
    assert "requeueing job" in out and "restart 1," in out, out
    stop = [line for line in out.splitlines() if "dashi: stopped: signal 10 received" in line]
    assert len(stop) == 1, out
    s = int(stop[0].split("ckpt_")[1][:8])
    assert 1000 <= s < 5000 and f"steps {s}..5000, from runs/requeue/checkpoints/ckpt_{s:08d}.h5" in out, out
    d = slurm.work / "runs" / "requeue"
    assert manifest_entry(slurm.work / "runs", d)["status"] == "completed"
    # the same case in one go, outside Slurm
    ref = tmp_path / "ref"
    r = run([job_env.get("DASHI_MPIEXEC", "mpiexec"), "--oversubscribe", "-n", 2, job_env["DASHI_BIN"], "truth",
             *args, "-out", ref])
    assert r.returncode == 0, r.log
    final = "checkpoints/ckpt_00005000.h5"
    assert same_bits(omega_hat(d / final), omega_hat(ref / final)), "requeued run differs from the uninterrupted one"
    with h5py.File(d / "truth.h5", "r") as a, h5py.File(ref / "truth.h5", "r") as b:
        assert same_bits(a["snapshots/omega"][()], b["snapshots/omega"][()])
        assert same_bits(a["diagnostics/E"][()], b["diagnostics/E"][()])

