#!/usr/bin/env bash
# One GPU host with 2+ GPUs: the transposes through node shared memory against MPI_Alltoall
# (DASHI_VK_TRANSPOSE), parity on the device, then dashi-vkbench per transport.
#   (GPU host, repository root, .gpubundle as in run_gpu_bench.sh)  bench/shm_check.sh OUTDIR
out=${1:-shm-check}; mkdir -p "$out"
P=${P:-2}
{ df -h /dev/shm; nvidia-smi topo -m; } >"$out/host.txt" 2>&1
DASHI_VK_TRANSPOSE=shm timeout 300 mpirun --oversubscribe --bind-to none -n $P test_vk_parity double 1024 2>&1 |
  grep -Ev "^  ok|pmix|dlopen|Perhaps" >"$out/check.txt"
run() { # transport N steps
  DASHI_VK_TRANSPOSE=$1 timeout 240 mpirun --oversubscribe --bind-to none -n $P dashi-vkbench $2 single $3 -1 \
    2>>"$out/stderr.txt" | sed "s/^{/{\"transport\": \"$1\", /" || echo "{\"transport\": \"$1\", \"N\": $2, \"error\": \"exit $?\"}"
}
{ for c in "8192 10" "16384 4"; do for t in mpi shm; do run $t $c; done; done
  run shm 32768 2; } >"$out/bench.jsonl"
