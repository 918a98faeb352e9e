#!/bin/bash
# Session 19: the row pass through memory against the paired row kernel where both run
tar -xJf .gpubundle/bins.tar.xz -C .gpubundle && source .gpubundle/env.sh 2>/dev/null
export PATH=$PWD/.gpubundle/bin:$PATH
export VK_DRIVER_FILES=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for round in 1 2; do
for cfg in "8192 single 80" "4096 single 300" "4096 double 150" "2048 double 500"; do
  set -- $cfg
  for rows in auto memory; do
    DASHI_VK_ROWS=$rows dashi-vkbench $1 $2 $3 0 2>&1 | grep '^{' | grep -o '"ms_per_step": [^,]*\|"check_tg_adv": [^,]*\|"fft_library": "[^"]*"' | tr '\n' ' '; echo " N=$1 $2 rows=$rows"
  done
done
done
