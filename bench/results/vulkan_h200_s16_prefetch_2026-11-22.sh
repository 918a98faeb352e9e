#!/bin/bash
# Session 16, sixth call: steps B and C read the inputs of all their groups at the start (loads in
# flight together) against the commit before; profiler on (per-kernel times)
set -u
R=$OUT/s16_prefetch.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
for a in "memory single 2048" "memory double 2048"; do
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
    DASHI_VK_PROFILE=1 vb $b auto 16384 single 20
    DASHI_VK_PROFILE=1 vb $b auto 8192 double 30
  done
done
