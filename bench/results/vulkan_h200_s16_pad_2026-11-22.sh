#!/bin/bash
# Session 16, fifth call: colfft.glsl's slots padded (one row after every 8: no bank conflicts in
# the first exchange's writes) in xfft.comp, rows_a.comp, rows_c.comp, against bf12981
set -u
R=$OUT/s16_pad.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
for a in "auto single 1024" "auto double 4096" "memory single 2048" "memory double 2048"; do
  set -- $a
  echo "== parity DASHI_VK_ROWS=$1 $2 $3" >> $R
  DASHI_VK_ROWS=$1 timeout 300 test_vk_parity $2 $3 2>&1 | grep -E "VkFFT 1|FAIL|checks" >> $R
done
vb() { # bin rows N prec steps
  local b=$1 m=$2; shift 2
  echo "$b rows=$m $(DASHI_VK_ROWS=$m timeout 200 $b $1 $2 $3 $dev 2>&1 | grep -o '"N".*' | head -1)" >> $R
}
for rep in 1 2; do
  for b in dashi-vkbench dashi-vkbench-old; do
    vb $b auto 4096 single 300
    vb $b auto 8192 single 60
    vb $b auto 16384 single 20
    vb $b auto 8192 double 30
    vb $b auto 2048 single 1000
  done
done
for b in dashi-vkbench dashi-vkbench-old; do
  DASHI_VK_PROFILE=1 vb $b auto 4096 single 300
  DASHI_VK_PROFILE=1 vb $b auto 16384 single 20
done
