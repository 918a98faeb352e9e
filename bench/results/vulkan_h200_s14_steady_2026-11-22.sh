#!/bin/bash
# Session 14: steady-state rate of truth runs from the progress lines (cumulative rates)
set -u
R=$OUT/s14_steady.txt
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
for a in "8192 single 300" "4096 single 1000"; do
  set -- $a
  echo "vkbench $(timeout 120 dashi-vkbench $1 $2 $3 $dev 2>/dev/null | grep -o '"N"[^}]*ms_per_step"[^,]*' | head -1)" >> $R
done
mkdir -p /tmp/s14
RO="-checkpoint_every 0 -snapshot_every 0 -spectra_every 0"
for a in "8192 1000 0.00125 100" "4096 3000 0.0025 250"; do
  set -- $a
  for o in "$RO" "$RO -stats_every 0" ""; do
    rm -rf /tmp/s14/r
    echo "== truth N=$1 steps=$2 $o" >> $R
    dashi truth -backend vulkan -precision single -N $1 -steps $2 -dt $3 -progress_every $4 -vk_device $dev -out /tmp/s14/r $o 2>&1 | grep -E "steps/s|ms/step" >> $R
  done
done
echo "== vkbench again" >> $R
echo "vkbench $(timeout 120 dashi-vkbench 8192 single 300 $dev 2>/dev/null | grep -o '"N"[^}]*ms_per_step"[^,]*' | head -1)" >> $R
