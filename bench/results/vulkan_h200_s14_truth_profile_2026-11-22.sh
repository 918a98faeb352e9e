#!/bin/bash
# Session 14: where a truth run's time goes beyond the step: steady state (3000 - 1000 steps)
set -u
R=$OUT/s14_truth.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
echo "vk_device=$dev" >> $R
for a in "4096 single 300" "8192 single 60"; do
  set -- $a
  echo "vkbench $(timeout 120 dashi-vkbench $1 $2 $3 $dev 2>/dev/null | grep -o '"N"[^}]*ms_per_step"[^,]*' | head -1)" >> $R
done
mkdir -p /tmp/s14
run() { # tag N steps dt extra...
  local tag=$1 N=$2 st=$3 dt=$4; shift 4
  local d=/tmp/s14/r
  rm -rf $d
  local t0=$(date +%s.%N)
  dashi truth -backend vulkan -precision single -N $N -steps $st -dt $dt -progress_every 0 -vk_device $dev -out $d "$@" > $d.log 2>&1
  local rc=$?
  local t1=$(date +%s.%N)
  local ms=$(grep -o "([0-9.]* ms/step" $d.log | tr -d '(' | awk '{print $1}')
  echo "$tag N=$N steps=$st $* rc=$rc ms/step=$ms proc_s=$(echo "$t1 - $t0" | bc)" >> $R
  grep -E "busy|^ *[0-9]: |took|writer|waited|GPU total|VkFFT|red_|buffer copies|lincomb" $d.log >> $R
  [ $rc -ne 0 ] && tail -5 $d.log >> $R
  rm -rf $d
}
RO="-checkpoint_every 0 -snapshot_every 0 -spectra_every 0"
for rep in 1 2; do
  run rec 4096 1000 0.0025 $RO
  run rec 4096 3000 0.0025 $RO
  run none 4096 3000 0.0025 $RO -stats_every 0
  run dflt 4096 1000 0.0025
  run dflt 4096 3000 0.0025
done
run recLV 4096 3000 0.0025 $RO -log_view
run dfltLV 4096 3000 0.0025 -log_view
run rec 8192 200 0.00125 $RO
run rec 8192 600 0.00125 $RO
run dflt 8192 200 0.00125
run dflt 8192 600 0.00125
run dfltLV 8192 600 0.00125 -log_view
