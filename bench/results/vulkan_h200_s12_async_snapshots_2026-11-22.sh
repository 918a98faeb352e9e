#!/bin/bash
# A/B: dashi truth -backend vulkan -precision single, default output cadence, snapshots written in
# the background (default) against waiting for each write; alternated, 3 rounds
set -u
R=$OUT/s12_async.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
df -h /tmp | tail -1 >> $R
run() { # N steps dt mode rep
  local d=/tmp/s12/$1_$4_$5
  rm -rf $d
  dashi truth -backend vulkan -precision single -N $1 -steps $2 -dt $3 -async_snapshots $4 -progress_every 0 -out $d -log_view > $d.log 2>&1
  local rc=$?
  local ms=$(grep -o "([0-9.]* ms/step" $d.log | tr -d '(' | awk '{print $1}')
  local snap=$(grep "snapshots:" $d.log | sed 's/^ *//')
  local io=$(grep -E "^ 3:  *I/O" $d.log | awk '{print $3}')
  echo "N=$1 steps=$2 async=$4 rep=$5 rc=$rc ms/step=$ms io_stage_s=$io | $snap" | tee -a $R
  [ $rc -ne 0 ] && tail -5 $d.log >> $R
  rm -rf $d
}
mkdir -p /tmp/s12
for rep in 1 2 3; do
  for mode in true false; do
    run 4096 600 0.0025 $mode $rep
    run 1024 3000 0.01 $mode $rep
    run 256 6000 0.01 $mode $rep
  done
done
for rep in 1 2; do for mode in true false; do run 8192 300 0.00125 $mode $rep; done; done
# 2 ranks sharing the GPU (THREAD_MULTIPLE with the distributed path), correctness smoke
d=/tmp/s12/two; rm -rf $d
mpiexec --oversubscribe -n 2 dashi truth -backend vulkan -N 512 -steps 200 -out $d > $d.log 2>&1; echo "2 ranks rc=$?" >> $R; grep -E "finished|snapshots:" $d.log >> $R
