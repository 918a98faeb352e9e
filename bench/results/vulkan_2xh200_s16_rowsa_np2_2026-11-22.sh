#!/bin/bash
# Session 16, second call (2 x H200): the committed variant (PRE only in single, rows_pair's field
# restored) against 7f9fd10 on one GPU; then the row pass through memory on 2 GPUs at N = 16384
set -u
R=$OUT/s16_b.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
vb() { # bin rows N prec steps
  local b=$1 m=$2; shift 2
  echo "$b rows=$m $(DASHI_VK_ROWS=$m timeout 200 $b $1 $2 $3 $dev 2>&1 | grep -o '"N".*' | head -1)" >> $R
}
for b in dashi-vkbench dashi-vkbench-old dashi-vkbench dashi-vkbench-old; do
  vb $b auto 16384 single 20
  vb $b auto 8192 double 30
  vb $b auto 4096 single 300
done
echo "== parity np2 DASHI_VK_ROWS=memory double 1024" >> $R
DASHI_VK_ROWS=memory timeout 300 mpirun --oversubscribe --bind-to none -n 2 test_vk_parity double 1024 2>&1 | grep -E "VkFFT 1|FAIL|checks" >> $R
echo "== parity np2 DASHI_VK_ROWS=memory single 2048" >> $R
DASHI_VK_ROWS=memory timeout 300 mpirun --oversubscribe --bind-to none -n 2 test_vk_parity single 2048 2>&1 | grep -E "VkFFT 1|FAIL|checks" >> $R
mg() { # P N steps fft
  echo "np=$1 fft=$4 $(DASHI_VK_FFT=$4 timeout 240 mpirun --oversubscribe --bind-to none -n $1 dashi-vkbench $2 single $3 -1 2>&1 | grep -o '"N".*' | head -1)" >> $R
}
for rep in 1 2; do
  mg 2 16384 12 auto
  mg 2 16384 12 plain
done
mg 2 8192 30 auto
