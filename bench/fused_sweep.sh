#!/usr/bin/env bash
# Tuning sweep of the fused nonlinear products on a GPU host (docs/vulkan.md): plain against fused,
# VkFFT's coalescing for the x passes, a profile, sizes 256..8192, and parity on the device.
#   (GPU host, repository root, .gpubundle as in run_gpu_bench.sh)  bench/fused_sweep.sh OUTDIR
#   bench/fused_sweep.sh OUTDIR rows   the row kernel's exchanges instead (DASHI_VK_ROWS: pair,
#     pair_split), with the driver's register counts (DASHI_VK_PROFILE) in OUTDIR/err.txt
# The 2026-11-21 run (bench/results/vulkan_h200_fused_sweep_2026-11-21.jsonl) also compared kernel
# options that were then fixed in the radix-4 row kernel (shared twiddle tables on, padding off);
# the `rows` runs of 2026-11-21 (..._rows_sweep_...) compared it with the paired radix-8 kernel
# (rows_pair.comp), 16 points per thread and 2 rows per workgroup - all since removed or fixed.
# The `cols` runs of 2026-11-21 (..._cols_sweep_..., ..._cols_tw_...) compared VkFFT's x passes
# with a one-pass column kernel, and twiddles from device memory: commit 1fdb831, reverted.
# The `fft4` runs of 2026-11-21 (..._fft4_sweep_...) compared the row kernel's Stockham transforms
# with four-step ones with subgroup-local exchanges (DASHI_VK_ROWS_FFT): commit 1d2cc22, reverted;
# ..._rows_diag_... timed variants of the row kernel without parts of it (see that commit).
out=${1:-fused-sweep}; dev=0
mkdir -p "$out"
run() { # N prec steps env...
  local N=$1 prec=$2 st=$3; shift 3
  env "$@" timeout 120 dashi-vkbench "$N" "$prec" "$st" "$dev" 2>>"$out/err.txt" | sed "s/^{/{\"env\": \"$*\", /" >>"$out/sweep.jsonl"
}
if [ "$2" = rows ]; then
  for c in "1024 single 2000" "2048 single 600" "4096 single 200" "8192 single 60" \
    "2048 double 600" "4096 double 150"; do
    for r in pair pair_split; do run $c DASHI_VK_FFT=fused DASHI_VK_ROWS=$r; done
  done
  run 4096 single 200 DASHI_VK_FFT=fused DASHI_VK_PROFILE=1
  run 8192 single 60 DASHI_VK_FFT=fused DASHI_VK_PROFILE=1
  run 256 single 5000 DASHI_VK_FFT=fused
  { for a in "double 1024" "single 1024" "double 2048" "single 4096"; do
    echo "== fused parity $a"; DASHI_VK_FFT=fused timeout 200 test_vk_parity $a 2>&1 | grep -Ev "^  ok|pmix|dlopen|Perhaps"
  done; } >"$out/check.txt" 2>&1
  exit 0
fi
for N in 4096 8192; do
  st=$([ $N = 4096 ] && echo 200 || echo 60)
  run $N single $st DASHI_VK_FFT=plain
  run $N single $st DASHI_VK_FFT=fused
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
