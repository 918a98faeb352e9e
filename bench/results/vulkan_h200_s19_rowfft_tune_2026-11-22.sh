#!/bin/bash
# Session 19: the FFT library's C2C along y of all N rows with VkFFT's tuning knobs
tar -xJf .gpubundle/bins.tar.xz -C .gpubundle && source .gpubundle/env.sh 2>/dev/null
export PATH=$PWD/.gpubundle/bin:$PATH
export VK_DRIVER_FILES=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for n in 4096 8192; do
  for tune in "" threads=128 threads=256 threads=1024 boost=1 boost=2 boost=4 bwboost=2 coalesced=32 coalesced=128; do
    DASHI_VK_FFT_TUNE=$tune DASHI_BENCH_ROWFFT=1 dashi-vkbench $n single 20 0 2>&1 | grep '^{' | grep -o '"rows_c2c_ms": [^,]*' | tr '\n' ' '; echo " N=$n tune=$tune"
  done
done
