#!/bin/bash
# Session 20: in-place DIF/DIT row transforms (new, working tree) against the Stockham ones
# (old, 0b92a7b), same call, alternated; third version (in place where N is a power of 8, Stockham elsewhere: committed)
tar -xJf .gpubundle/bins.tar.xz -C .gpubundle && source .gpubundle/env.sh 2>/dev/null
export PATH=$PWD/.gpubundle/bin:$PATH
export VK_DRIVER_FILES=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
keys='"N": [0-9]*\|"precision": "[a-z]*"\|"ms_per_step": [^,]*\|"check_[a-z_]*": [^,]*'
for round in 1; do
for cfg in "4096 single 300" "8192 single 80" "2048 single 1000" "4096 double 150" "512 single 3000" "4096 single 300"; do
  set -- $cfg
  for b in old new; do
    bin=dashi-vkbench; [ $b = old ] && bin=dashi-vkbench-old
    $bin $1 $2 $3 0 2>&1 | grep '^{' | sed "s/^{/{\"build\": \"$b\", /" | tee -a $OUT/s20_inplace3.jsonl | grep -o "$keys" | tr '\n' ' '; echo " $b r$round"
  done
done
done
for cfg in "4096 single 100"; do
  set -- $cfg
  for b in old new; do
    bin=dashi-vkbench; [ $b = old ] && bin=dashi-vkbench-old
    DASHI_VK_PROFILE=1 $bin $1 $2 $3 0 2>&1 | grep '^{' | sed "s/^{/{\"build\": \"$b\", \"prof\": 1, /" | tee -a $OUT/s20_inplace3.jsonl | grep -o '"ms_per_step": [^,]*\|"rows[a-z_]*": \[[^]]*\]' | tr '\n' ' '; echo " profile $b $1"
  done
done
echo "== per-op parity, new"
test_vk_parity double 1024 2>&1 | tail -1
test_vk_parity double 2048 2>&1 | tail -1
test_vk_parity single 512 2>&1 | tail -1
test_vk_parity double 512 2>&1 | tail -1
