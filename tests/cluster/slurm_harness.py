"""A real single-node Slurm (Debian's slurm-wlm + munge) for tests, started in a scratch directory
and stopped afterwards (see /work/shared/SLURM.md and docs/cluster.md).

Everything lives in the scratch directory: munge key, socket, pid and log files; slurm.conf with
its own ports (free ones, chosen at start); state, spool, pid and log files of slurmctld and
slurmd. Daemons are stopped by the pids in their pid files, never by name. Nothing under /etc is
touched.

    with SlurmCluster(tmp_dir) as sl:
        job = sl.sbatch(["--array=0-1", "jobs/sweep.sbatch"], env=...)
        sl.wait(job)

start() raises SlurmUnavailable only where Slurm cannot run here at all (packages missing, not
root): a test may skip on that. Any failure after those checks (munge round trip, a daemon that
exits or writes no pid file, a node that never becomes idle) raises SlurmStartFailed, naming the
daemon and its log file: a test must fail on that, never skip.

Run it by hand: python3 tests/cluster/slurm_harness.py DIR  (starts, prints sinfo, stops).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED"}


class SlurmUnavailable(RuntimeError):
    """Slurm cannot run here at all (packages missing, not root); the message names the reason.
    The only start failure that a test may turn into a skip."""


class SlurmStartFailed(RuntimeError):
    """Slurm should run here but a daemon failed to start or to come up; the message names the
    daemon and its log file. A test failure, never a skip (not a SlurmUnavailable)."""


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class SlurmCluster:
    def __init__(self, scratch, cpus=None, gpus=2, memory_mb=4000, lifetime=1200):
        self.dir = Path(scratch).resolve()
        self.cpus = cpus or os.cpu_count() or 1
        self.gpus = gpus
        self.memory_mb = memory_mb
        self.host = socket.gethostname().split(".")[0]
        self.pidfiles = []
        self.procs = []
        self.lifetime = lifetime
        self.env = None

    # ---------- start / stop ----------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _need(self, *progs):
        missing = [p for p in progs if not shutil.which(p, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]
        if missing:
            raise SlurmUnavailable(f"{', '.join(missing)} not installed (apt-get install slurm-wlm munge; "
                                   "see scripts/packages.txt)")

    def _which(self, prog):
        return shutil.which(prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

    def start(self):
        self._need("munged", "munge", "unmunge", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue",
                   "sacct", "scontrol")
        if os.geteuid() != 0:
            raise SlurmUnavailable("slurmd must run as root to launch jobs; this test runs as uid "
                                   f"{os.geteuid()}")
        d = self.dir
        for sub in ("munge", "state", "spool", "log", "run"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(d / "munge", 0o700)
        self.env = dict(os.environ)
        # ---- munge, private key and socket ----
        key = d / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
            key.chmod(0o400)
        self.munge_socket = d / "munge" / "munge.socket"
        mpid = d / "munge" / "munged.pid"
        self.pidfiles = [mpid]
        self._daemon("munged", [self._which("munged"), "--force", "--foreground",
                                f"--socket={self.munge_socket}", f"--key-file={key}", f"--pid-file={mpid}",
                                f"--log-file={d / 'log' / 'munged.log'}",
                                f"--seed-file={d / 'munge' / 'munged.seed'}"], mpid)
        ok = subprocess.run(f"munge -S {self.munge_socket} -n | unmunge -S {self.munge_socket}", shell=True,
                            capture_output=True, text=True, timeout=30)
        if "Success" not in ok.stdout:
            raise SlurmStartFailed(f"munged: credential round trip failed: {ok.stdout}{ok.stderr}; "
                                   f"see {d / 'log' / 'munged.log'} and {d / 'log' / 'munged.stdout'}; "
                                   f"{self._log_tail('munged')}")
        # ---- slurm.conf with free ports ----
        ctld_port, d_port = free_ports(2)
        self.conf = d / "slurm.conf"
        gres_node = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        self.conf.write_text(f"""# written by tests/cluster/slurm_harness.py
ClusterName=dashitest
SlurmctldHost={self.host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket},cred_expire=10
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
StateSaveLocation={d / 'state'}
SlurmdSpoolDir={d / 'spool'}
SlurmctldPidFile={d / 'run' / 'slurmctld.pid'}
SlurmdPidFile={d / 'run' / 'slurmd.pid'}
SlurmctldLogFile={d / 'log' / 'slurmctld.log'}
SlurmdLogFile={d / 'log' / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MinJobAge=600
KillWait=10
GresTypes=gpu
NodeName={self.host} CPUs={self.cpus} RealMemory={self.memory_mb}{gres_node} State=UNKNOWN
PartitionName=debug Nodes={self.host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
""")
        if self.gpus:  # stand-in device files (Slurm drops file-less GPUs): allocation and the
            # GPU variables (CUDA_VISIBLE_DEVICES, SLURM_JOB_GPUS, ...) only, no real device
            (d / "dev").mkdir(exist_ok=True)
            for i in range(self.gpus):
                (d / "dev" / f"gpu{i}").touch()
            (d / "gres.conf").write_text(f"AutoDetect=off\nNodeName={self.host} Name=gpu "
                                         f"File={d / 'dev'}/gpu[0-{self.gpus - 1}]\n")
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        for k in list(self.env):  # a test run inside a Slurm job must not leak its job's variables
            if k.startswith("SLURM_") and k != "SLURM_CONF":
                del self.env[k]
        for daemon in ("slurmctld", "slurmd"):
            pf = d / "run" / f"{daemon}.pid"
            self.pidfiles.append(pf)
            self._daemon(daemon, [self._which(daemon), "-D", "-c", "-f", str(self.conf)], pf)
        deadline = time.time() + 60
        while time.time() < deadline:
            r = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env, capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip() in ("idle", "mix", "alloc"):
                return
            time.sleep(0.5)
        raise SlurmStartFailed(f"slurmctld/slurmd: node {self.host} never became idle within 60 s (sinfo: "
                               f"{r.stdout.strip()} {r.stderr.strip()}); see {d / 'log' / 'slurmctld.log'} and "
                               f"{d / 'log' / 'slurmd.log'}; {self._log_tail('slurmctld')}\n"
                               f"{self._log_tail('slurmd')}")

    def _daemon(self, name, argv, pidfile):
        """Start a daemon in the foreground under `timeout LIFETIME`, so that it cannot outlive a
        test that was killed before stop() ran; wait for its pid file."""
        out = open(self.dir / "log" / f"{name}.stdout", "w")
        p = subprocess.Popen(["timeout", str(self.lifetime), *argv], stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, env=self.env or os.environ, start_new_session=True)
        out.close()
        self.procs.append(p)
        deadline = time.time() + 30
        while time.time() < deadline:
            if p.poll() is not None:
                raise SlurmStartFailed(f"{name} exited at start (status {p.returncode}); see "
                                       f"{self.dir / 'log' / f'{name}.log'} and {self.dir / 'log' / f'{name}.stdout'}: "
                                       f"{(self.dir / 'log' / f'{name}.stdout').read_text().strip()} "
                                       f"{self._log_tail(name)}")
            if pidfile.exists() and pidfile.read_text().strip():
                return
            time.sleep(0.1)
        raise SlurmStartFailed(f"{name} wrote no pid file {pidfile} within 30 s; see "
                               f"{self.dir / 'log' / f'{name}.log'} and {self.dir / 'log' / f'{name}.stdout'}; "
                               f"{self._log_tail(name)}")

    def _log_tail(self, daemon, n=15):
        p = self.dir / "log" / f"{daemon}.log"
        if not p.exists():
            return f"({p} not written)"
        return f"last lines of {p}:\n" + "\n".join(p.read_text(errors="replace").splitlines()[-n:])

    def stop(self):
        """Stop slurmd, slurmctld and munged by the pids in their pid files (reverse start order)."""
        for pf in reversed(self.pidfiles):
            try:
                pid = int(Path(pf).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.time() + 20
            while time.time() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.procs:  # the `timeout` wrappers end with their daemon
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()  # our own wrapper process, by its pid
                p.wait()
        self.pidfiles, self.procs = [], []

    # ---------- jobs ----------
    def run(self, args, **kw):
        return subprocess.run(args, env=kw.pop("env", self.env), capture_output=True, text=True,
                              timeout=kw.pop("timeout", 60), **kw)

    def sbatch(self, args, env=None, cwd=None):
        r = subprocess.run(["sbatch", "--parsable", *map(str, args)], env=env or self.env, cwd=cwd,
                           capture_output=True, text=True, timeout=60)
        if r.returncode:
            raise AssertionError(f"sbatch {' '.join(map(str, args))} failed: {r.stderr}{r.stdout}")
        return r.stdout.strip().split(";")[0]

    def states(self, job):
        """{job id (array tasks as ID_TASK): (state, exit code, restarts)} from scontrol."""
        r = self.run(["scontrol", "-o", "show", "job", job])
        out = {}
        if r.returncode:
            return out
        for line in r.stdout.splitlines():
            f = dict(kv.split("=", 1) for kv in re.findall(r"(\S+=\S*)", line))
            jid = f.get("JobId", "?")
            if f.get("ArrayTaskId") and "_" not in jid:
                jid = f"{f.get('ArrayJobId')}_{f['ArrayTaskId']}"
            out[jid] = (f.get("JobState", "?"), f.get("ExitCode", "?"), int(f.get("Restarts", "0") or 0))
        return out

    def wait(self, job, timeout=300, tasks=1, on_poll=None):
        """Wait until `tasks` jobs/array tasks of `job` are in a terminal state; returns states()."""
        deadline = time.time() + timeout
        last = {}
        while time.time() < deadline:
            if on_poll:
                on_poll(last)
            last = self.states(job)
            done = [s for s in last.values() if s[0] in TERMINAL]
            if len(last) >= tasks and len(done) == len(last) and "PENDING" not in str(last):
                return last
            time.sleep(0.5)
        q = self.run(["squeue", "-a"]).stdout
        raise AssertionError(f"job {job} did not finish within {timeout} s: {last}\nsqueue:\n{q}\n"
                             f"{self._log_tail('slurmctld')}\n{self._log_tail('slurmd')}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: slurm_harness.py SCRATCH_DIR")
    with SlurmCluster(sys.argv[1]) as sl:
        print(sl.run(["sinfo"]).stdout)
        print(sl.run(["srun", "--mpi=list"]).stdout, sl.run(["srun", "--mpi=list"]).stderr)
        print(sl.run(["srun", "-n", "2", "hostname"]).stdout)
