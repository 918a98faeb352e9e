#!/bin/bash
# Session 18: out of device memory on a real GPU (every rank stops, the failing rank's message),
# the step and parity unchanged by the agreed set-up.
tar -xJf .gpubundle/bins.tar.xz -C .gpubundle && source .gpubundle/env.sh 2>/dev/null
export PATH=$PWD/.gpubundle/bin:$PATH
export VK_DRIVER_FILES=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
F='pmix\|dlopen\|Perhaps\|^\s*$'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
df -h /dev/shm | tail -1
cd /tmp
run() { local t0=$(date +%s%N); timeout 400 "$@" > out.txt 2>&1; local rc=$?; local t1=$(date +%s%N);
  echo "rc=$rc wall=$(( (t1 - t0) / 1000000 )) ms: $*"; grep -v "$F" out.txt | grep -i "error\|finished\|memory\|ms/step" | cut -c1-900 | head -6; }
echo "== A: fp64 N=32768, 4 ranks sharing one H200 (needs ~224 GiB of 140)"
run mpirun -n 4 dashi truth -backend vulkan -precision double -N 32768 -steps 2 -stats_every 1 -snapshot_every 0 -spectra_every 0 -checkpoint_every 0 -out a1
echo "== A2: the same with DASHI_VK_TRANSPOSE=mpi"
run mpirun -n 4 -x DASHI_VK_TRANSPOSE=mpi dashi truth -backend vulkan -precision double -N 32768 -steps 2 -stats_every 1 -snapshot_every 0 -spectra_every 0 -checkpoint_every 0 -out a2
echo "== B: fp32 N=16384, 2 ranks sharing one H200, rank 1 given 8 GiB (DASHI_VK_MEMORY_BYTES)"
run mpirun -n 1 dashi truth -backend vulkan -precision single -N 16384 -steps 2 -out b1 : -n 1 -x DASHI_VK_MEMORY_BYTES=8589934592 dashi truth -backend vulkan -precision single -N 16384 -steps 2 -out b1
echo "== C: the step unchanged (dashi-vkbench fp32 4096, 8192)"
for ns in 4096:500 8192:100; do n=${ns%:*}; dashi-vkbench $n single ${ns#*:} 0 2>&1 | grep -v "$F" | grep -o '"ms_per_step": [^,]*\|"device_GiB": [^,]*' | tr '\n' ' '; echo " N=$n"; done
echo "== D: per-op parity on the H200 (1 rank double 1024; 2 ranks sharing it, double 512)"
timeout 300 test_vk_parity double 1024 2>&1 | grep -v "$F" | tail -2
timeout 300 mpirun -n 2 test_vk_parity double 512 2>&1 | grep -v "$F" | tail -2
