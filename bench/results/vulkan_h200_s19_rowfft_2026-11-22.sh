#!/bin/bash
# Session 19: the FFT library's own C2C along y of all N rows, against the row kernel per call
tar -xJf .gpubundle/bins.tar.xz -C .gpubundle && source .gpubundle/env.sh 2>/dev/null
export PATH=$PWD/.gpubundle/bin:$PATH
export VK_DRIVER_FILES=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
for round in 1; do
for cfg in "1024 single 2000" "2048 single 1000" "4096 single 300" "8192 single 80" "4096 double 150" "16384 single 20"; do
  set -- $cfg
  for prof in 0 1; do
    DASHI_VK_PROFILE=$prof DASHI_BENCH_ROWFFT=1 dashi-vkbench $1 $2 $3 0 2>&1 | grep '^{' | tee -a $OUT/s19_rowfft.jsonl | grep -o '"N": [0-9]*\|"precision": "[a-z]*"\|"ms_per_step": [^,]*\|"rows_c2c_ms": [^,]*\|"fft_fwd_ms": [^,]*' | tr '\n' ' '; echo " prof=$prof"
  done
done
done
DASHI_EXP_KEEP=1 DASHI_BENCH_ROWFFT=1 dashi-vkbench 4096 single 10 0 > $OUT/vkfft_rows_4096_single.txt 2>&1
DASHI_EXP_KEEP=1 DASHI_BENCH_ROWFFT=1 dashi-vkbench 8192 single 5 0 > $OUT/vkfft_rows_8192_single.txt 2>&1
ls -la $OUT
