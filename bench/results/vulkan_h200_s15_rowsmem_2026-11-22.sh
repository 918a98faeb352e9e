#!/bin/bash
# Session 15: the row pass through memory (rows_a/b/c.comp) against rows_pair.comp and the 2D plans
set -u
R=$OUT/s15_rowsmem.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
echo "device index $dev" >> $R
for a in "memory double 1024" "memory single 1024" "memory single 4096" "auto single 256"; do
  set -- $a
  echo "== parity DASHI_VK_ROWS=$1 $2 $3" >> $R
  DASHI_VK_ROWS=$1 timeout 300 test_vk_parity $2 $3 2>&1 | grep -E "VkFFT 1|FAIL|checks" >> $R
done
vb() { # rows N prec steps
  local m=$1; shift
  echo "rows=$m $(DASHI_VK_ROWS=$m timeout 200 dashi-vkbench $1 $2 $3 $dev 2>&1 | grep -o '"N".*' | head -1)" >> $R
}
for rep in 1 2; do
  for m in auto memory; do
    vb $m 4096 single 300
    vb $m 8192 single 60
    vb $m 2048 single 1000
    vb $m 4096 double 100
  done
done
for rep in 1 2; do
  for m in auto pair; do
    vb $m 16384 single 20
    vb $m 8192 double 30
  done
done
export DASHI_VK_PROFILE=1
vb memory 4096 single 300
vb memory 8192 single 60
vb memory 16384 single 20
vb auto 8192 single 60
