#!/usr/bin/env bash
# one-off tuning sweep of the fused row kernel (results kept in bench/results)
out=$1; dev=0
run() { # N prec steps env...
  local N=$1 prec=$2 st=$3; shift 3
  env "$@" timeout 120 dashi-vkbench "$N" "$prec" "$st" "$dev" 2>>"$out/err.txt" | sed "s/^{/{\"env\": \"$*\", /" >>"$out/sweep.jsonl"
}
for N in 4096 8192; do
  st=$([ $N = 4096 ] && echo 200 || echo 60)
  run $N single $st DASHI_VK_FFT=plain
  for o in 0 1 2 3; do run $N single $st DASHI_VK_FFT=fused DASHI_VK_ROWS_OPT=$o; done
  run $N single $st DASHI_VK_FFT=fused DASHI_VK_FFT_TUNE=coalesced=64
  run $N single $st DASHI_VK_FFT=fused DASHI_VK_FFT_TUNE=coalesced=128
  DASHI_VK_FFT=fused DASHI_VK_PROFILE=1 run $N single $st DASHI_VK_FFT=fused DASHI_VK_PROFILE=1
done
run 256 single 5000 DASHI_VK_FFT=fused
run 1024 single 2000 DASHI_VK_FFT=fused
run 2048 single 600 DASHI_VK_FFT=fused
run 2048 single 600 DASHI_VK_FFT=plain
run 2048 double 600 DASHI_VK_FFT=fused
run 2048 double 600 DASHI_VK_FFT=plain
run 1024 double 2000 DASHI_VK_FFT=fused
run 4096 double 200 DASHI_VK_FFT=fused
{ for a in "double 1024" "single 1024" "double 2048"; do echo "== fused parity $a"; DASHI_VK_FFT=fused timeout 200 test_vk_parity $a 2>&1 | grep -Ev "^  ok|pmix|dlopen|Perhaps"; done; } >"$out/check.txt" 2>&1
