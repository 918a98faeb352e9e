#!/bin/bash
# Session 13 A/B: diagnostics records riding on the next step (dashi) against 2d188f6 (dashi_base);
# steps alone (dashi-vkbench, the row kernel with its new reduction code) and truth runs at the
# default output cadence and with records only; alternated; plus per-op parity on the device.
set -u
R=$OUT/s13.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
echo "vk_device=$dev" >> $R
for rep in 1 2; do
  for b in dashi-vkbench dashi-vkbench_base; do
    for a in "1024 single 2000" "4096 single 200" "8192 single 60" "4096 double 200"; do
      set -- $a
      echo "$b rep=$rep $(timeout 120 $b $1 $2 $3 $dev 2>/dev/null | grep -o '"N"[^}]*ms_per_step"[^,]*' | head -1)" >> $R
    done
  done
done
mkdir -p /tmp/s13
run() { # bin N steps dt rep extra...
  local b=$1 N=$2 st=$3 dt=$4 rep=$5; shift 5
  local d=/tmp/s13/r
  rm -rf $d
  $b truth -backend vulkan -precision single -N $N -steps $st -dt $dt -progress_every 0 -vk_device $dev -out $d "$@" > $d.log 2>&1
  local rc=$?
  local ms=$(grep -o "([0-9.]* ms/step" $d.log | tr -d '(' | awk '{print $1}')
  echo "$b N=$N steps=$st rep=$rep $* rc=$rc ms/step=$ms" >> $R
  [ $rc -ne 0 ] && tail -5 $d.log >> $R
  [ "$b" = dashi ] && [ $rep = 1 ] && cp $d/truth.h5 $OUT/truth_new_${N}_$rep$(echo "$*" | tr -d ' -').h5 2>/dev/null
  [ "$b" = dashi_base ] && [ $rep = 1 ] && cp $d/truth.h5 $OUT/truth_base_${N}_$rep$(echo "$*" | tr -d ' -').h5 2>/dev/null
  rm -rf $d
}
for rep in 1 2; do
  for b in dashi dashi_base; do
    run $b 256 10000 0.01 $rep
    run $b 1024 6000 0.01 $rep
    run $b 4096 2000 0.0025 $rep
    run $b 4096 2000 0.0025 $rep -checkpoint_every 0 -snapshot_every 0 -spectra_every 0
  done
done
for b in dashi dashi_base; do run $b 8192 600 0.00125 1; done
# GPU stage table of a records-only run (the record's kernels inside the step now)
d=/tmp/s13/lv; rm -rf $d
dashi truth -backend vulkan -precision single -N 4096 -steps 1000 -dt 0.0025 -progress_every 0 -vk_device $dev -out $d -checkpoint_every 0 -snapshot_every 0 -spectra_every 0 -log_view > $OUT/s13_log_view_4096.txt 2>&1
rm -rf $d
echo "== parity" >> $R
for a in "double 1024" "single 512" "double 4096"; do
  echo "== test_vk_parity $a" >> $R
  timeout 200 test_vk_parity $a 2>&1 | grep -E "FAIL|step_diag gpu vs|checks|fused" >> $R
done
echo "== parity np1 single 1024 (known SGS floor)" >> $R
timeout 150 test_vk_parity single 1024 2>&1 | grep -E "FAIL|step_diag gpu vs|checks" >> $R
