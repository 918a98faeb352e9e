#!/bin/bash
# Session 15, second call: the row pass through memory with the twiddles from two shared tables
set -u
R=$OUT/s15_rowsmem_tw.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
date -u >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
for a in "memory double 1024" "memory single 1024" "memory double 4096" "auto double 256"; do
  set -- $a
  echo "== parity DASHI_VK_ROWS=$1 $2 $3" >> $R
  DASHI_VK_ROWS=$1 timeout 300 test_vk_parity $2 $3 2>&1 | grep -E "VkFFT 1|FAIL|checks" >> $R
done
vb() { # rows N prec steps
  local m=$1; shift
  echo "rows=$m $(DASHI_VK_ROWS=$m timeout 200 dashi-vkbench $1 $2 $3 $dev 2>&1 | grep -o '"N".*' | head -1)" >> $R
}
for rep in 1 2; do
  for m in auto pair; do
    vb $m 16384 single 20
    vb $m 8192 double 30
  done
  vb memory 4096 single 300
  vb memory 8192 single 60
done
export DASHI_VK_PROFILE=1
vb memory 4096 single 300
vb memory 16384 single 20
unset DASHI_VK_PROFILE
for m in auto pair; do
  rm -rf /tmp/r
  DASHI_VK_ROWS=$m timeout 240 dashi truth -backend vulkan -precision single -N 16384 -steps 100 -dt 0.000625 -progress_every 50 -vk_device $dev -snapshot_every 0 -spectra_every 0 -checkpoint_every 0 -out /tmp/r > /tmp/log 2>&1
  echo "== truth 16384 rows=$m rc=$?" >> $R
  grep -E "steps/s|ms/step|VkFFT|error" /tmp/log >> $R
done
