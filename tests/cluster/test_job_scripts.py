"""The Slurm job scripts without Slurm: shellcheck, the parameter-table parser of sweep.sbatch, the
command lines each script builds (through a fake launcher and a fake dashi that record their
arguments), the weak-scaling N rule shared with tools/scaling_report.py, and the signal path of
truth.sbatch with the real dashi under mpirun: the batch shell traps SIGUSR1, forwards it to the
step, dashi exits 75, and running the script again resumes to the end."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import EXIT_SIGNAL, JOBS, checkpoints, mpi_env, start_and_signal
from scaling_report import weak_n

SCRIPTS = sorted(JOBS.glob("*.sbatch")) + sorted((JOBS / "lib").glob("*.sh")) + [JOBS / "submit_sweep.sh"]

FAKE_LAUNCHER = """#!/bin/bash
# fake mpirun: drop "-n N", run the rest
[ "$1" = -n ] && shift 2
exec "$@"
"""
FAKE_DASHI = """#!/bin/bash
# fake dashi: record the arguments (one per line) and exit with $FAKE_RC
printf '%s\\n' "$@" > "$FAKE_ARGS"
exit "${FAKE_RC:-0}"
"""


def test_shellcheck_clean():
    sc = shutil.which("shellcheck")
    assert sc, "shellcheck is not installed: apt-get install shellcheck (listed in scripts/packages.txt)"
    r = subprocess.run([sc, "-x", "-P", str(JOBS), *map(str, SCRIPTS)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def fake(tmp_path):
    """Environment with a fake mpirun first on PATH and DASHI_BIN = a fake dashi."""
    b = tmp_path / "fakebin"
    b.mkdir()
    (b / "mpirun").write_text(FAKE_LAUNCHER)
    (b / "dashi").write_text(FAKE_DASHI)
    for p in b.iterdir():
        p.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_") and not k.startswith("DASHI_")}
    env.update(PATH=f"{b}:{os.environ['PATH']}", DASHI_HOME=str(JOBS.parent), DASHI_BIN=str(b / "dashi"),
               DASHI_LAUNCHER="mpirun", DASHI_BACKEND="cpu", FAKE_ARGS=str(tmp_path / "args.txt"))

    def script(name, *args, **extra):
        e = dict(env, **{k: str(v) for k, v in extra.items()})
        r = subprocess.run(["bash", str(JOBS / name), *map(str, args)], cwd=tmp_path, env=e,
                           capture_output=True, text=True, timeout=60)
        r.args_seen = (tmp_path / "args.txt").read_text().split("\n")[:-1] if (tmp_path / "args.txt").exists() else None
        r.log = f"exit {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
        if (tmp_path / "args.txt").exists():
            (tmp_path / "args.txt").unlink()
        return r
    return script


def opts(args):
    """-name value pairs of an argument list (after the command word) as a dict; the last wins."""
    d, i = {}, 1
    while i < len(args):
        d[args[i].lstrip("-")] = args[i + 1]
        i += 2
    return d


def test_truth_command_line(fake, tmp_path):
    r = fake("truth.sbatch", "-N", 32, "-steps", 10, DASHI_OUT="runs/t", DASHI_NTASKS=2)
    assert r.returncode == 0, r.log
    a = r.args_seen
    assert a[0] == "truth" and a[-4:] == ["-out", "runs/t", "-resume", "auto"], a
    assert opts(a) == {"backend": "cpu", "N": "32", "steps": "10", "out": "runs/t", "resume": "auto"}
    assert "launch: mpirun -n 2 " in r.stdout, r.log


def test_failure_status_passes_through_without_requeue(fake):
    r = fake("truth.sbatch", FAKE_RC=4, DASHI_NTASKS=1)
    assert r.returncode == 4, r.log
    assert "not requeueing" in r.stdout and "requeueing job" not in r.stdout, r.log


def test_status_75_outside_slurm_says_rerun(fake):
    r = fake("truth.sbatch", FAKE_RC=EXIT_SIGNAL)
    assert r.returncode == EXIT_SIGNAL, r.log
    assert "not under Slurm" in r.stdout, r.log


def test_vulkan_without_gpus_is_refused(fake):
    r = fake("truth.sbatch", DASHI_BACKEND="vulkan", SLURM_JOB_ID=7)
    assert r.returncode == 2 and r.args_seen is None, r.log
    assert "--gpus-per-node" in r.stderr, r.log


def test_missing_binary_is_named(fake, tmp_path):
    r = fake("truth.sbatch", DASHI_BIN=tmp_path / "nope")
    assert r.returncode == 2 and "DASHI_BIN" in r.stderr and "nope" in r.stderr, r.log


def test_run_command_line(fake):
    r = fake("run.sbatch", "-N", 64, DASHI_NTASKS=3, DASHI_OUT="runs/c")
    assert r.returncode == 0, r.log
    a = r.args_seen
    assert a[0] == "run" and opts(a)["les_ranks"] == "2" and opts(a)["out"] == "runs/c", a
    assert opts(a)["resume"] == "auto" and opts(a)["N"] == "64"
    bad = fake("run.sbatch", DASHI_NTASKS=2, DASHI_LES_RANKS=2)
    assert bad.returncode == 2 and "DASHI_LES_RANKS" in bad.stderr and bad.args_seen is None, bad.log


def write(tmp_path, text, name="t.tsv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_sweep_rows(fake, tmp_path):
    t = write(tmp_path, "# a sweep\n\nname   nu0    -seed   Cs\nlo  1e-3 1 0.10\n  # indented comment\nhi 1e-4 2 0.20\n")
    for i, (name, nu, seed, cs) in enumerate([("lo", "1e-3", "1", "0.10"), ("hi", "1e-4", "2", "0.20")]):
        r = fake("sweep.sbatch", "-N", 32, DASHI_SWEEP_TABLE=t, DASHI_SWEEP_ROOT="sw", DASHI_TASK=i)
        assert r.returncode == 0, r.log
        a = r.args_seen
        assert a[0] == "truth" and opts(a) == {"backend": "cpu", "N": "32", "nu0": nu, "seed": seed, "Cs": cs,
                                               "out": f"sw/{name}", "resume": "auto"}, a
        task = json.loads((tmp_path / "sw" / name / "sweep_task.json").read_text())
        assert task["task"] == i and task["name"] == name and task["options"] == {"nu0": nu, "seed": seed, "Cs": cs}
    # without a name column: task_IIII; another command gets neither -backend nor -resume
    t2 = write(tmp_path, "ridge noise\n1e-6 0.01\n1e-4 0.02\n", "t2.tsv")
    r = fake("sweep.sbatch", DASHI_SWEEP_TABLE=t2, DASHI_SWEEP_ROOT="sw2", DASHI_TASK=1, DASHI_CMD="ensemble")
    assert r.returncode == 0, r.log
    assert r.args_seen == ["ensemble", "-ridge", "1e-4", "-noise", "0.02", "-out", "sw2/task_0001"], r.args_seen


@pytest.mark.parametrize("text,task,needle", [
    ("name nu0\na 1e-3\n", 1, "has only 1 row(s)"),
    ("name nu0\na 1e-3 5\n", 0, "t.tsv:2: row has 3 column(s) but the header has 2"),
    ("name out\na x\n", 0, "column 'out' is set by the sweep"),
    ("name nu0\na 1e-3\na 1e-4\n", 1, "task name 'a' is used twice"),
    ("name nu0\n../x 1e-3\n", 0, "is not a plain directory name"),
    ("nu0 name\n1e-3 a\n", 0, "'name' must be the first column"),
    ("name 1bad\na 1\n", 0, "is not a dashi option name"),
    ("# only a header\nname nu0\n", 0, "needs a header line and at least one row"),
    ('name ic_file\na "x y"\n', 0, "row has 3 column(s)"),
])
def test_sweep_table_errors(fake, tmp_path, text, task, needle):
    t = write(tmp_path, text)
    r = fake("sweep.sbatch", DASHI_SWEEP_TABLE=t, DASHI_SWEEP_ROOT="sw", DASHI_TASK=task)
    assert r.returncode == 2 and r.args_seen is None, r.log
    assert needle in r.stderr, r.log


def test_sweep_needs_table_and_task(fake, tmp_path):
    r = fake("sweep.sbatch", DASHI_TASK=0)
    assert r.returncode == 2 and "DASHI_SWEEP_TABLE" in r.stderr, r.log
    r = fake("sweep.sbatch", DASHI_SWEEP_TABLE=write(tmp_path, "nu0\n1\n"))
    assert r.returncode == 2 and "--array" in r.stderr, r.log
    r = fake("sweep.sbatch", DASHI_SWEEP_TABLE=tmp_path / "absent.tsv", DASHI_TASK=0)
    assert r.returncode == 2 and "absent.tsv cannot be read" in r.stderr, r.log


@pytest.mark.parametrize("mode", ["strong", "weak"])
def test_scaling_points(fake, tmp_path, mode):
    series = [1, 2, 3, 4, 8]
    for i, p in enumerate(series):
        r = fake("scaling.sbatch", DASHI_SCALING_MODE=mode, DASHI_SCALING_RANKS=" ".join(map(str, series)),
                 DASHI_SCALING_N=100, DASHI_SCALING_STEPS=7, DASHI_SCALING_ROOT="sc", DASHI_TASK=i)
        assert r.returncode == 0, r.log
        n = 100 if mode == "strong" else weak_n(100, series[0], p)
        assert n % (2 * p) == 0 or mode == "strong"
        o = opts(r.args_seen)
        assert o["N"] == str(n) and o["steps"] == "7" and "log_view" in r.args_seen[-1], r.args_seen
        point = json.loads((tmp_path / "sc" / f"{mode}_cpu_N{n}_P{p}" / "point.json").read_text())
        assert point == {**point, "mode": mode, "ranks": p, "N": n, "gpus": 0, "steps": 7}
    r = fake("scaling.sbatch", DASHI_SCALING_RANKS="1 2", DASHI_TASK=2)
    assert r.returncode == 2 and "--array=0-1" in r.stderr, r.log


def test_weak_n_rule():
    assert [weak_n(256, 1, p) for p in (1, 4, 16)] == [256, 512, 1024]
    assert weak_n(64, 1, 2) == 92 and weak_n(100, 2, 2) == 100
    for p in range(1, 40):
        n = weak_n(300, 1, p)
        assert n % (2 * p) == 0 and n > 0


def test_submit_sweep_sets_the_array(tmp_path):
    """submit_sweep.sh counts the rows and hands --array=0-(rows-1) to sbatch (a fake one here)."""
    b = tmp_path / "bin"
    b.mkdir()
    (b / "sbatch").write_text('#!/bin/bash\nprintf "%s\\n" "$@" > "$FAKE_ARGS"\necho 42\n')
    (b / "sbatch").chmod(0o755)
    t = write(tmp_path, "name nu0\na 1\nb 2\nc 3\n")
    env = dict(os.environ, PATH=f"{b}:{os.environ['PATH']}", FAKE_ARGS=str(tmp_path / "a.txt"))
    r = subprocess.run([str(JOBS / "submit_sweep.sh"), str(t), str(tmp_path / "root"), "--time=5", "--", "-N", "32"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "42", r.stdout + r.stderr
    a = (tmp_path / "a.txt").read_text().split("\n")[:-1]
    assert a[:3] == ["--parsable", "--array=0-2", "--time=5"] and a[3].endswith("jobs/sweep.sbatch") and a[4:] == ["-N", "32"], a
    assert (tmp_path / "root" / "sweep_table.tsv").read_text() == t.read_text()


def test_truth_script_forwards_sigusr1_and_resumes(tmp_path, dashi_bin):
    """The real thing, without Slurm: SIGUSR1 to the batch shell -> forwarded to mpirun -> dashi
    checkpoints and exits 75 -> the script exits 75; running it again finishes the run."""
    env = mpi_env(DASHI_HOME=str(JOBS.parent), DASHI_BIN=dashi_bin, DASHI_LAUNCHER="mpirun",
                  DASHI_BACKEND="cpu", DASHI_NTASKS="2", DASHI_OUT="run")
    env = {k: v for k, v in env.items() if not k.startswith("SLURM_")}
    args = ["-N", "64", "-steps", "4000", "-progress_every", "200", "-checkpoint_every", "1000"]
    rc, text = start_and_signal(["bash", str(JOBS / "truth.sbatch"), *args], "step 200/4000", cwd=tmp_path, env=env)
    assert rc == EXIT_SIGNAL, text
    assert "received SIGUSR1: forwarding SIGUSR1" in text and "exit status 75" in text, text
    s = int(checkpoints(tmp_path / "run")[-1].stem.split("_")[1])
    assert 200 <= s < 4000, text
    r = subprocess.run(["bash", str(JOBS / "truth.sbatch"), *args], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"steps {s}..4000, from run/checkpoints/ckpt_{s:08d}.h5" in r.stdout, r.stdout
    assert (tmp_path / "run" / "checkpoints" / "ckpt_00004000.h5").is_file()
