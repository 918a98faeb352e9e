#!/bin/bash
set -u
R=$OUT/s14_parity.txt
# parity on the device: whole fields (one chunk) and the chunked read-backs at N = 4096 single
for a in "double 1024" "single 1024" "single 4096"; do
  set -- $a
  echo "== test_vk_parity $1 $2: $(timeout 150 test_vk_parity $1 $2 2>&1 | grep -E 'checks|FAIL|not ok|parity, N|tolerance' | head -5)" >> $R
done
echo "== staging 4112 single 256: $(DASHI_VK_STAGING_BYTES=4112 timeout 150 test_vk_parity single 256 2>&1 | grep -E 'checks|FAIL|not ok|parity, N|tolerance' | head -5)" >> $R
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/'); dev=${dev:-0}
mkdir -p /tmp/s14
for a in "4096 3000 0.0025 500" "8192 2000 0.00125 250"; do
  set -- $a
  for b in dashi dashi_base; do
    rm -rf /tmp/s14/r
    echo "== $b N=$1 steps=$2 default cadence" >> $R
    $b truth -backend vulkan -precision single -N $1 -steps $2 -dt $3 -progress_every $4 -vk_device $dev -out /tmp/s14/r 2>&1 | grep -E "steps/s|ms/step|background" >> $R
  done
done
