#!/usr/bin/env bash
# Multi-GPU scaling of the Vulkan backend on one host with several GPUs (one rank per GPU),
# fp32, default Smagorinsky RK2 case. For each rank count P and N: ms/step, and the transposes'
# MPI_Alltoall time per step and achieved bandwidth against a plain MPI_Alltoall of the same bytes
# between the same ranks measured in the same run (dashi-vkbench). One JSON line per run.
#
#   (GPU host, repository root, after `source .gpubundle/env.sh`)
#   RANKS="1 2 4" STRONG="16384 32768" WEAK="1:8192 4:16384" TRANSPORTS="auto mpi" \
#     VARIANTS="auto fused plain" bench/run_multigpu.sh OUTDIR
# (an empty STRONG or WEAK runs none of that series)
set -uo pipefail
out=${1:-gpu-multi}
mkdir -p "$out"
RANKS=${RANKS-"1 2 4"}
STRONG=${STRONG-"16384 32768"}
WEAK=${WEAK-"1:8192 4:16384"}
# TRANSPORTS: the transposes' DASHI_VK_TRANSPOSE values to run on P > 1 (auto: node shared memory
# where it runs; mpi: MPI_Alltoall via host staging)
TRANSPORTS=${TRANSPORTS:-auto}
# VARIANTS: the DASHI_VK_FFT values to run on P > 1 (auto; fused: the fused nonlinear products
# through the slab transposes; plain: the composition of 1D plans)
VARIANTS=${VARIANTS:-auto}
steps_for() { case $1 in 8192) echo 30 ;; 16384) echo 12 ;; *) echo 4 ;; esac; }
run() { # P N transport variant
  echo "== P=$1 N=$2 $3 $4" >&2
  DASHI_VK_TRANSPOSE=$3 DASHI_VK_FFT=$4 timeout 240 mpirun --oversubscribe --bind-to none -n "$1" \
    dashi-vkbench "$2" single "$(steps_for "$2")" -1 2>>"$out/stderr.txt" |
    sed "s/^{/{\"transport\": \"$3\", \"variant\": \"$4\", /" ||
    echo "{\"ranks\": $1, \"N\": $2, \"transport\": \"$3\", \"variant\": \"$4\", \"error\": \"exit $?\"}"
}
runs() { # P N
  if [ "$1" = 1 ]; then
    run 1 "$2" auto auto
  else
    for t in $TRANSPORTS; do for v in $VARIANTS; do run "$1" "$2" "$t" "$v"; done; done
  fi
}
for n in $STRONG; do for p in $RANKS; do runs "$p" "$n"; done; done >>"$out/strong.jsonl"
for pn in $WEAK; do runs "${pn%%:*}" "${pn##*:}"; done >>"$out/weak.jsonl"
nvidia-smi --query-gpu=name,memory.total --format=csv >"$out/gpus.txt" 2>&1
