# shellcheck shell=bash
# Shared functions of the dashi Slurm job scripts (jobs/*.sbatch); sourced, never run.
#
#   dashi_job_setup               load modules, check the binary, print where and what runs
#   dashi_launch NTASKS ARGS...   run `dashi ARGS...` on NTASKS ranks (srun or mpirun) as a child
#                                 of this shell; SIGUSR1/SIGTERM received by the batch shell are
#                                 forwarded to that step; returns dashi's exit status
#   dashi_finish STATUS           0: exit 0.  75 (checkpoint written on a signal): requeue this job
#                                 (scontrol requeue), which resumes with -resume auto.  other: exit
#                                 with that status (see include/dashi/error.h and docs/cluster.md)
#
# Settings (environment, all optional; the scripts set their defaults at their top):
#   DASHI_BIN           dashi executable
#   DASHI_MODULES       space-separated environment modules to load (empty: none)
#   DASHI_LAUNCHER      srun | mpirun
#   DASHI_SRUN_MPI      srun --mpi plugin (pmix for Open MPI 4/5; `srun --mpi=list` shows them)
#   DASHI_SRUN_ARGS     extra srun arguments;  DASHI_MPIRUN_ARGS  extra mpirun arguments
#   DASHI_CPU_BIND      srun --cpu-bind value (cores)
#   DASHI_GPU_BIND      srun --gpu-bind value for the Vulkan backend (none: every rank sees the
#                       node's GPUs and dashi takes device = node-local rank mod device count)
#   DASHI_BACKEND       cpu | vulkan (selects the binding above and is passed as -backend)
#   DASHI_MAX_REQUEUES  give up requeueing after this many restarts (default 20)
#   DASHI_FORWARD_SIG   signal sent to the running step on USR1/TERM (default USR1)

DASHI_EXIT_SIGNAL=75 # include/dashi/error.h: stopped on SIGTERM/SIGUSR1 after writing a checkpoint

dashi_msg() { printf '[dashi-job %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
dashi_die() {
  printf '[dashi-job] error: %s\n' "$*" >&2
  exit "${2:-2}"
}

dashi_job_setup() {
  if [ -n "${DASHI_MODULES:-}" ]; then
    if ! command -v module >/dev/null 2>&1; then
      dashi_die "DASHI_MODULES='$DASHI_MODULES' is set but the 'module' command is not available on $(hostname); unset DASHI_MODULES or initialise environment modules"
    fi
    # shellcheck disable=SC2086
    module load $DASHI_MODULES || dashi_die "module load $DASHI_MODULES failed"
  fi
  [ -x "$DASHI_BIN" ] || dashi_die "DASHI_BIN=$DASHI_BIN is not an executable: build dashi (docs/cluster.md) and set DASHI_BIN (or DASHI_HOME) before sbatch"
  case "$DASHI_LAUNCHER" in
    srun) command -v srun >/dev/null || dashi_die "DASHI_LAUNCHER=srun but srun is not on PATH" ;;
    mpirun) command -v mpirun >/dev/null || dashi_die "DASHI_LAUNCHER=mpirun but mpirun is not on PATH (load the MPI module: DASHI_MODULES)" ;;
    *) dashi_die "DASHI_LAUNCHER='$DASHI_LAUNCHER' is not srun or mpirun" ;;
  esac
  case "${DASHI_BACKEND:-cpu}" in
    cpu) ;;
    vulkan)
      local gpus="${SLURM_GPUS_ON_NODE:-}"
      if [ -n "${SLURM_JOB_ID:-}" ] && { [ -z "$gpus" ] || [ "$gpus" = 0 ]; }; then
        dashi_die "DASHI_BACKEND=vulkan but this job has no GPUs: submit with --gpus-per-node=G (one rank per GPU) or set DASHI_BACKEND=cpu"
      fi
      ;;
    *) dashi_die "DASHI_BACKEND='$DASHI_BACKEND' is not cpu or vulkan" ;;
  esac
  dashi_msg "job ${SLURM_JOB_ID:-(not under Slurm)}${SLURM_ARRAY_TASK_ID:+ task $SLURM_ARRAY_TASK_ID} on $(hostname -s), restart ${SLURM_RESTART_COUNT:-0}, launcher $DASHI_LAUNCHER, backend ${DASHI_BACKEND:-cpu}, binary $DASHI_BIN"
}

# the launcher command line for n ranks, into the array DASHI_LAUNCH_CMD
dashi_launch_cmd() {
  local n="$1"
  if [ "$DASHI_LAUNCHER" = srun ]; then
    DASHI_LAUNCH_CMD=(srun --ntasks="$n" --mpi="${DASHI_SRUN_MPI:-pmix}" --cpu-bind="${DASHI_CPU_BIND:-cores}")
    # since Slurm 22.05 srun does not inherit sbatch's --cpus-per-task: pass it on
    if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then DASHI_LAUNCH_CMD+=(--cpus-per-task="$SLURM_CPUS_PER_TASK"); fi
    if [ "${DASHI_BACKEND:-cpu}" = vulkan ]; then DASHI_LAUNCH_CMD+=(--gpu-bind="${DASHI_GPU_BIND:-none}"); fi
    # shellcheck disable=SC2206
    DASHI_LAUNCH_CMD+=(${DASHI_SRUN_ARGS:-})
  else
    DASHI_LAUNCH_CMD=(mpirun -n "$n")
    # shellcheck disable=SC2206
    DASHI_LAUNCH_CMD+=(${DASHI_MPIRUN_ARGS:-})
  fi
}

DASHI_STEP_PID=""
dashi_forward() { # $1 = signal received by this shell
  local to="${DASHI_FORWARD_SIG:-USR1}"
  if [ -n "$DASHI_STEP_PID" ] && kill -0 "$DASHI_STEP_PID" 2>/dev/null; then
    dashi_msg "received SIG$1: forwarding SIG$to to the running step (pid $DASHI_STEP_PID); dashi checkpoints at the next step boundary and exits $DASHI_EXIT_SIGNAL"
    kill -s "$to" "$DASHI_STEP_PID" 2>/dev/null || true
  else
    dashi_msg "received SIG$1 while no step is running"
    DASHI_SIGNALLED_IDLE=1
  fi
}

dashi_launch() {
  local n="$1"
  shift
  dashi_launch_cmd "$n"
  dashi_msg "launch: ${DASHI_LAUNCH_CMD[*]} $DASHI_BIN $*"
  trap 'dashi_forward USR1' USR1
  trap 'dashi_forward TERM' TERM
  "${DASHI_LAUNCH_CMD[@]}" "$DASHI_BIN" "$@" &
  DASHI_STEP_PID=$!
  local rc
  # `wait` returns early (status > 128) whenever a trapped signal arrives: wait again until the
  # step has really ended, then collect its own exit status
  while :; do
    wait "$DASHI_STEP_PID"
    rc=$?
    kill -0 "$DASHI_STEP_PID" 2>/dev/null || break
  done
  if [ "$rc" -gt 128 ]; then
    local again
    wait "$DASHI_STEP_PID" 2>/dev/null
    again=$?
    [ "$again" -ne 127 ] && rc=$again
  fi
  DASHI_STEP_PID=""
  trap - USR1 TERM
  dashi_msg "step finished with exit status $rc"
  return "$rc"
}

dashi_finish() {
  local rc="$1"
  if [ "$rc" -eq 0 ]; then
    if [ -n "${DASHI_SIGNALLED_IDLE:-}" ]; then dashi_msg "done (a signal arrived between steps and was not needed)"; fi
    exit 0
  fi
  if [ "$rc" -ne "$DASHI_EXIT_SIGNAL" ]; then
    dashi_msg "dashi failed with exit status $rc (1 generic, 2 usage, 3 input, 4 numerics, 5 device, 6 I/O, 7 MPI; see docs/cluster.md); not requeueing"
    exit "$rc"
  fi
  if [ -z "${SLURM_JOB_ID:-}" ]; then
    dashi_msg "stopped with a checkpoint (status $rc); not under Slurm, so no requeue: run this script again to resume (-resume auto)"
    exit "$rc"
  fi
  local restarts="${SLURM_RESTART_COUNT:-0}" max="${DASHI_MAX_REQUEUES:-20}"
  if [ "$restarts" -ge "$max" ]; then
    dashi_msg "stopped with a checkpoint, but this job was already requeued $restarts times (DASHI_MAX_REQUEUES=$max): not requeueing; resubmit to continue"
    exit "$rc"
  fi
  dashi_msg "stopped with a checkpoint (status $rc): requeueing job $SLURM_JOB_ID (restart $((restarts + 1)) of at most $max); it resumes with -resume auto"
  if ! scontrol requeue "$SLURM_JOB_ID"; then
    dashi_msg "scontrol requeue $SLURM_JOB_ID failed (job not requeueable? submit with --requeue; JobRequeue may be 0 on this cluster): resubmit the same script to resume"
  fi
  exit "$rc"
}
