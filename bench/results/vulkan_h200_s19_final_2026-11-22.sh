#!/bin/bash
# Session 19: the committed binary (VkFFT's memory counted) on an H200
tar -xJf .gpubundle/bins.tar.xz -C .gpubundle && source .gpubundle/env.sh 2>/dev/null
export PATH=$PWD/.gpubundle/bin:$PATH
export VK_DRIVER_FILES=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
F='pmix\|dlopen\|Perhaps'
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for c in "4096 single 500" "8192 single 100" "1024 single 3000" "4096 double 200"; do set -- $c
  dashi-vkbench $1 $2 $3 0 2>&1 | grep -v "$F" | grep -o '"ms_per_step": [^,]*\|"device_GiB": [^,]*\|"vkfft_tables_bytes": [^,]*' | tr '\n' ' '; echo " N=$1 $2"; done
T="-snapshot_every 0 -spectra_every 0 -checkpoint_every 0 -progress_every 0"
for c in "4096 single 300" "1024 double 300"; do set -- $c
  dashi truth -backend vulkan -N $1 -precision $2 -steps $3 $T -out run_$1_$2 -log_view 2>&1 | grep -v "$F" | grep 'device memory:'
done
# a device one byte short of the 1024 double run's peak: the last allocation fails (a VkFFT table)
peak=$(dashi truth -backend vulkan -N 1024 -precision double -steps 100 $T -out p1 -log_view 2>&1 | grep 'device memory:' | sed 's/.*(\([0-9]*\) bytes).*/\1/')
echo "peak=$peak"
t0=$(date +%s%N); DASHI_VK_MEMORY_BYTES=$((peak-1)) dashi truth -backend vulkan -N 1024 -precision double -steps 100 $T -out p2 > out.txt 2>&1; rc=$?; t1=$(date +%s%N)
echo "rc=$rc wall=$(( (t1 - t0) / 1000000 )) ms"; grep -v "$F" out.txt | grep -i 'error' | cut -c1-900
timeout 300 test_vk_parity double 1024 2>&1 | grep -v "$F" | tail -2
timeout 300 mpirun -n 2 test_vk_parity double 512 2>&1 | grep -v "$F" | tail -2
