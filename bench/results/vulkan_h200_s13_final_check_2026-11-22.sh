#!/bin/bash
# Session 13 final check of the committed binary: registers of the row kernel (this binary and
# 2d188f6), 2 ranks sharing the GPU (fused products on several ranks with records riding), a
# coupled run, validate.
set -u
R=$OUT/s13_final.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
for b in dashi-vkbench dashi-vkbench_base; do
  for a in "4096 single 200" "8192 single 60"; do
    set -- $a
    echo "== $b $a" >> $R
    DASHI_VK_PROFILE=1 timeout 120 $b $1 $2 $3 $dev 2>&1 | grep -E "dashi: rows_pair|ms_per_step" | sed 's/"steps_per_s.*//' | cut -c1-400 >> $R
  done
done
echo "== np2 parity double 512 (one GPU shared)" >> $R
timeout 200 mpirun -n 2 test_vk_parity double 512 2>&1 | grep -E "FAIL|checks|step_diag gpu vs cpu CFL" >> $R
echo "== np2 truth N=1024 single" >> $R
rm -rf /tmp/f2; timeout 120 mpirun -n 2 dashi truth -backend vulkan -precision single -N 1024 -steps 300 -progress_every 0 -out /tmp/f2 2>&1 | grep -E "finished|final|error|Error" >> $R
echo "== coupled run 3 ranks" >> $R
rm -rf /tmp/f3; timeout 150 mpirun -n 3 dashi run -backend vulkan -N 256 -steps 300 -progress_every 0 -out /tmp/f3 2>&1 | grep -E "finished|final|error|Error|score" | head -8 >> $R
echo "== validate 512 single" >> $R
timeout 150 dashi validate -N 512 -precision single -vk_device $dev 2>&1 | tail -3 >> $R
