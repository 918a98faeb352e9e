#!/bin/bash
# Session 16, fourth call (2 x H200): 10c54e6 against a variant with 8 (fp64: 4) columns per
# workgroup in steps A and C; a truth run at N = 16384; the row pass through memory on 2 GPUs
set -u
R=$OUT/s16_d.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
vb() { # bin rows N prec steps
  local b=$1 m=$2; shift 2
  echo "$b rows=$m $(DASHI_VK_ROWS=$m timeout 200 $b $1 $2 $3 $dev 2>&1 | grep -o '"N".*' | head -1)" >> $R
}
for rep in 1 2; do
  for b in dashi-vkbench dashi-vkbench-c8; do
    DASHI_VK_PROFILE=1 vb $b auto 16384 single 20
    DASHI_VK_PROFILE=1 vb $b auto 8192 double 30
  done
done
vb dashi-vkbench auto 4096 single 300
vb dashi-vkbench auto 8192 single 60
rm -rf /tmp/r
timeout 200 dashi truth -backend vulkan -precision single -N 16384 -steps 200 -dt 0.0002 -progress_every 50 -vk_device $dev -snapshot_every 0 -spectra_every 0 -checkpoint_every 0 -out /tmp/r > /tmp/log 2>&1
echo "== truth 16384 rc=$?" >> $R
grep -E "steps/s|ms/step|VkFFT|error|E =|Z =" /tmp/log >> $R
echo "== parity np2 DASHI_VK_ROWS=memory double 1024" >> $R
DASHI_VK_ROWS=memory timeout 300 mpirun --oversubscribe --bind-to none -n 2 test_vk_parity double 1024 2>&1 | grep -E "VkFFT 1|FAIL|checks" >> $R
for rep in 1 2; do
  echo "np=2 $(timeout 240 mpirun --oversubscribe --bind-to none -n 2 dashi-vkbench 16384 single 12 -1 2>&1 | grep -o '"N".*' | head -1)" >> $R
done
