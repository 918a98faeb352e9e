#!/bin/sh
# Coupled-run overhead (docs/proxy.md): LES time per step of `dashi run` (LES group + proxy group,
# -encode_every 1) against `dashi truth` alone on the same LES ranks, same case. Prints a markdown
# table; each configuration is run REPEAT times and the fastest is kept (the machine is shared).
#
#   bench/proxy_overhead.sh [BUILD_DIR]      env: N (256), STEPS (200), LES (1), PROXY (1),
#                                                 MEMBERS ("64 8"), QUEUE (8), REPEAT (2),
#                                                 OUT (/tmp/...)
set -eu
BUILD=${1:-build}
BIN=$BUILD/dashi
N=${N:-256}
STEPS=${STEPS:-200}
LES=${LES:-1}
PROXY=${PROXY:-1}
MEMBERS=${MEMBERS:-"64 8"}
QUEUE=${QUEUE:-8}
REPEAT=${REPEAT:-2}
OUT=${OUT:-/tmp/dashi-proxy-overhead}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$BIN" ] || { echo "no dashi binary at $BIN (build first, or pass the build directory)" >&2; exit 2; }
CASE="-N $N -steps $STEPS -snapshot_every 0 -spectra_every 0 -checkpoint_every 0 -stats_every 10 -progress_every 0"

ms_per_step() { sed -n 's/.*finished: .* (\([0-9.]*\) ms\/step.*/\1/p' "$1" | head -1; }
best() { # best of REPEAT runs of "$@"; prints ms/step; keeps the last log in $LOG
  b=""
  for _ in $(seq "$REPEAT"); do
    "$@" > "$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
    m=$(ms_per_step "$LOG")
    if [ -z "$b" ] || [ "$(echo "$m < $b" | bc -l)" = 1 ]; then b=$m; fi
  done
  echo "$b"
}

mkdir -p "$OUT"
LOG=$OUT/truth.log
# $CASE is a list of options: split on purpose
# shellcheck disable=SC2086
T=$(best mpiexec --oversubscribe -n "$LES" "$BIN" truth $CASE -out "$OUT/truth" -force)
echo "| configuration | LES ranks | proxy ranks | ms/step | overhead | LES waited in its loop (s) | ms/step without the waits | overhead without the waits | encode ms/frame |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| dashi truth (N=$N, $STEPS steps) | $LES | - | $T | - | - | - | - | - |"
for M in $MEMBERS; do
  LOG=$OUT/run_m$M.log
  # shellcheck disable=SC2086
  R=$(best mpiexec --oversubscribe -n $((LES + PROXY)) "$BIN" run $CASE -les_ranks "$LES" \
        -encode_every 1 -score_every 10 -members "$M" -queue_depth "$QUEUE" -out "$OUT/run_m$M" -force)
  W=$(sed -n 's/.*the LES waited \([0-9.]*\) s for the proxy during.*/\1/p' "$LOG")
  E=$(sed -n 's/.*encode \([0-9.]*\) ms\/frame.*/\1/p' "$LOG")
  O=$(echo "scale=1; 100 * ($R - $T) / $T" | bc -l)
  X=$(echo "scale=3; $R - 1000 * $W / $STEPS" | bc -l)
  OX=$(echo "scale=1; 100 * ($X - $T) / $T" | bc -l)
  echo "| dashi run -encode_every 1 -members $M -queue_depth $QUEUE (train $((STEPS / 2)), score every 10) | $LES | $PROXY | $R | $O% | $W | $X | $OX% | $E |"
done
