#!/bin/bash
# A/B: session-12 head (native snapshots, faster checksum, background checkpoints) against
# ad57519 (background snapshots only); default output cadence, fp32, alternated
set -u
R=$OUT/s12_final.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $R
mkdir -p /tmp/s12
run() { # bin N steps dt rep extra...
  local b=$1 N=$2 st=$3 dt=$4 rep=$5; shift 5
  local d=/tmp/s12/r
  rm -rf $d
  $b truth -backend vulkan -precision single -N $N -steps $st -dt $dt -progress_every 0 -out $d -log_view "$@" > $d.log 2>&1
  local rc=$?
  local ms=$(grep -o "([0-9.]* ms/step" $d.log | tr -d '(' | awk '{print $1}')
  local io=$(grep -E "^ 3:  *I/O" $d.log | awk '{print $3}')
  echo "$b N=$N steps=$st rep=$rep $* rc=$rc ms/step=$ms io_stage_s=$io | $(grep -E 'snapshots:|background:' $d.log | sed 's/^ *//')" | tee -a $R
  [ $rc -ne 0 ] && tail -5 $d.log >> $R
  ls $d/checkpoints >> $R 2>&1
  rm -rf $d
}
run dashi 1024 500 0.01 0
for rep in 1 2; do
  for b in dashi dashi_base; do
    run $b 4096 2000 0.0025 $rep
    run $b 1024 6000 0.01 $rep
  done
done
for b in dashi dashi_base; do run $b 8192 600 0.00125 1; run $b 256 10000 0.01 1; done
run dashi 4096 2000 0.0025 3 -checkpoint_every 0 -snapshot_every 0 -spectra_every 0
run dashi 4096 2000 0.0025 3 -async_output false
