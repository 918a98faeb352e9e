#!/bin/bash
# Session 14 A/B: records at output steps through the fused products, chunked read-backs with a
# blocked transpose (dashi) against 36ee1b3 (dashi_base); truth runs at the default cadence and
# with records only (steady state from the progress lines), the step alone, parity on the device
set -u
R=$OUT/s14_ab.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
mkdir -p /tmp/s14
run() { # bin N steps dt pe rep extra...
  local b=$1 N=$2 st=$3 dt=$4 pe=$5 rep=$6; shift 6
  rm -rf /tmp/s14/r
  $b truth -backend vulkan -precision single -N $N -steps $st -dt $dt -progress_every $pe -vk_device $dev -out /tmp/s14/r "$@" > /tmp/s14/log 2>&1
  local rc=$?
  echo "== $b N=$N steps=$st rep=$rep $* rc=$rc" >> $R
  grep -E "steps/s|ms/step|busy|background|^ *[0-3]: |GPU total|rows_pair|VkFFT" /tmp/s14/log | grep -v "^step [0-9]*/.*(  *[1-8]" >> $R
  [ $rc -ne 0 ] && tail -5 /tmp/s14/log >> $R
  [ $rep = 1 ] && [ "$*" = "" ] && cp /tmp/s14/r/truth.h5 $OUT/truth_${b}_${N}.h5 2>/dev/null
  [ $rep = 1 ] && [ "$*" = "" ] && ls /tmp/s14/r/checkpoints > /dev/null && cp $(ls -1 /tmp/s14/r/checkpoints/*.h5 | tail -1) $OUT/ckpt_${b}_${N}.h5 2>/dev/null
}
RO="-checkpoint_every 0 -snapshot_every 0 -spectra_every 0"
for rep in 1 2; do
  for b in dashi dashi_base; do
    run $b 4096 3000 0.0025 1000 $rep
    run $b 4096 3000 0.0025 1000 $rep $RO
    run $b 8192 1000 0.00125 500 $rep
  done
done
for b in dashi dashi_base; do
  run $b 4096 3000 0.0025 1000 3 -log_view
  run $b 8192 1000 0.00125 500 3 -log_view
done
for b in dashi-vkbench dashi-vkbench_base; do
  for a in "4096 single 300" "8192 single 60"; do
    set -- $a
    echo "$b $(timeout 120 $b $1 $2 $3 $dev 2>/dev/null | grep -o '"N"[^}]*ms_per_step"[^,]*' | head -1)" >> $R
  done
done
