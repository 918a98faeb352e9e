#!/usr/bin/env bash
# Correctness and benchmark of the Vulkan backend on a GPU host (docs/vulkan.md, the GPU rows of
# docs/performance.md). Build on Debian, pack, run on the host:
#
#   ../shared/gpu/bundle.sh build-vk/dashi build-vk/dashi-vkbench build-vk/tests/vulkan/test_vk_parity
#   (to fit the 64 MiB a device call carries: strip the three programs and keep them as
#    .gpubundle/bins.tar.xz, unpacked into .gpubundle/bin/ before env.sh on the host)
#   (on the GPU host, repository root)  source .gpubundle/env.sh && bench/run_gpu_bench.sh OUTDIR
#
# OUTDIR/gpu_check.txt   dashi info, per-op parity with the CPU backend and `dashi validate` on
#                        the GPU (the lavapipe tests of tests/vulkan, run on the real device)
# OUTDIR/bench.jsonl     one line per (N, precision): ms/step, steps/s, FFTs per step, the VkFFT
#                        time of one transform of that size from the same run, their ratio, and
#                        the run's own correctness checks (dashi-vkbench)
# OUTDIR/profile.jsonl   GPU time per kind of command (DASHI_VK_PROFILE=1) at a few sizes
# OUTDIR/bench_np2.jsonl two ranks sharing the GPU: the distributed path (1D plans, MPI_Alltoall)
# OUTDIR/bench_nosgs.jsonl -sgs none (5 transforms per right-hand side instead of 9)
# OUTDIR/fused_check.txt, fused.jsonl, fused_profile.jsonl  the fused row pass (part "fused", not
#                        in the default list): parity/validate on the device, plain vs fused
# OUTDIR/variants.jsonl  every transform variant (DASHI_VK_FFT, DASHI_VK_FFT_TUNE; docs/vulkan.md)
#                        at N = 256, 1024, 4096, 8192 single and 4096 double: ms/step, one
#                        transform plain and under the 2/3 band hint, band_state (1 = the
#                        zero-padded plans ran), and the run's own correctness checks
#
# DASHI_BENCH_PARTS (default "check bench profile np2 nosgs variants") selects the sections, e.g.
#   DASHI_BENCH_PARTS="check variants" bench/run_gpu_bench.sh OUTDIR
set -uo pipefail
parts=" ${DASHI_BENCH_PARTS:-check bench profile np2 nosgs variants} "
want() { [[ $parts == *" $1 "* ]]; }
out=${1:-gpu-bench}
sizes=${DASHI_BENCH_SIZES:-"256 512 1024 2048 4096 8192 16384"}
mkdir -p "$out"
check=$out/gpu_check.txt

# the NVIDIA driver's ICD, if the loader does not find one by itself
if ! dashi info 2>/dev/null | grep -q "vulkan: \[0\]"; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
             /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$icd" ] && export VK_DRIVER_FILES=$icd && break
  done
fi
# -vk_device: the first device that is not a CPU implementation
dev=$(dashi info 2>/dev/null | grep -m1 -o "\[[0-9]*\] [^;]*" | grep -v "(CPU" | head -1 | sed 's/^\[\([0-9]*\)\].*/\1/')
dev=${dev:-0}

steps_for() { # about a second of stepping per size
  case $1 in 256) echo 5000 ;; 512) echo 3000 ;; 1024) echo 2000 ;; 2048) echo 600 ;;
    4096) echo 200 ;; 8192) echo 60 ;; *) echo 20 ;; esac
}

want check && {
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || true
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} vk_device=$dev"
  dashi info
  for prec in double single; do
    for args in "1 32" "1 256" "2 64"; do
      read -r np n <<<"$args"
      echo "== test_vk_parity $prec N=$n on $np rank(s)"
      timeout 150 mpirun -n "$np" test_vk_parity "$prec" "$n" 2>&1 | grep -Ev "^  ok" || true
    done
  done
  for prec in double single; do # the zero-padded transforms' band checks on the device
    for n in 256 1024; do
      echo "== DASHI_VK_FFT=zeropad test_vk_parity $prec N=$n on 1 rank"
      DASHI_VK_FFT=zeropad timeout 150 test_vk_parity "$prec" "$n" 2>&1 | grep -Ev "^  ok" || true
    done
  done
  for v in "1 double 512" "1 single 512" "1 single 1024" "2 double 512"; do
    read -r np prec n <<<"$v"
    echo "== dashi validate -N $n -precision $prec on $np rank(s)"
    timeout 150 mpirun -n "$np" dashi validate -N "$n" -precision "$prec" -vk_device "$dev" 2>&1 || true
  done
} >"$check" 2>&1

want bench && for prec in single double; do
  for N in $sizes; do
    echo "dashi-vkbench $N $prec" >&2
    timeout 150 dashi-vkbench "$N" "$prec" "$(steps_for "$N")" "$dev" >>"$out/bench.jsonl" \
      2>>"$out/bench_err.txt" || echo "{\"N\": $N, \"precision\": \"$prec\", \"error\": \"exit $?\"}" >>"$out/bench.jsonl"
  done
done
want profile && for N in 256 4096; do
  DASHI_VK_PROFILE=1 timeout 150 dashi-vkbench "$N" single "$(steps_for "$N")" "$dev" >>"$out/profile.jsonl" 2>>"$out/bench_err.txt"
done
want np2 && timeout 150 mpirun -n 2 dashi-vkbench 1024 single 500 "$dev" >>"$out/bench_np2.jsonl" 2>>"$out/bench_err.txt"
want nosgs && for N in 256 1024 4096 8192; do
  timeout 150 dashi-vkbench "$N" single "$(steps_for "$N")" "$dev" none >>"$out/bench_nosgs.jsonl" 2>>"$out/bench_err.txt"
done
# transform variants: "VARIANT[:TUNE]" (DASHI_VK_FFT[, DASHI_VK_FFT_TUNE]), each in its own process
variants=${DASHI_BENCH_VARIANTS:-"plain zeropad zeropad_xy zeropad_x zeropad_y plain:boost=1 zeropad:boost=1 zeropad:coalesced=64 zeropad:threads=256 zeropad:bwboost=2"}
want variants && for v in $variants; do
  for np in "256 single" "1024 single" "4096 single" "8192 single" "4096 double"; do
    read -r N prec <<<"$np"
    echo "dashi-vkbench $N $prec DASHI_VK_FFT=$v" >&2
    DASHI_VK_FFT=${v%%:*} DASHI_VK_FFT_TUNE=$([[ $v == *:* ]] && echo "${v#*:}") \
      timeout 150 dashi-vkbench "$N" "$prec" "$(steps_for "$N")" "$dev" >>"$out/variants.jsonl" \
      2>>"$out/bench_err.txt" || echo "{\"N\": $N, \"precision\": \"$prec\", \"fft_variant\": \"$v\", \"error\": \"exit $?\"}" >>"$out/variants.jsonl"
  done
done
# the fused row pass (DASHI_VK_FFT=fused, docs/vulkan.md): parity and validate on the device, then
# plain against fused in the same session, and where the time goes
fused_variants=${DASHI_BENCH_FUSED:-"plain fused"}
want fused && {
  for v in ${fused_variants#plain }; do
    for prec in double single; do
      for n in 256 1024 2048; do
        echo "== DASHI_VK_FFT=$v test_vk_parity $prec N=$n on 1 rank"
        DASHI_VK_FFT=$v timeout 200 test_vk_parity "$prec" "$n" 2>&1 | grep -Ev "^  ok" || true
      done
    done
    for v2 in "double 1024" "single 1024" "single 2048"; do
      read -r prec n <<<"$v2"
      echo "== DASHI_VK_FFT=$v dashi validate -N $n -precision $prec"
      DASHI_VK_FFT=$v timeout 200 dashi validate -N "$n" -precision "$prec" -vk_device "$dev" 2>&1 || true
    done
  done
} >"$out/fused_check.txt" 2>&1
want fused && for np in "256 single" "1024 single" "2048 single" "4096 single" "8192 single" "16384 single" "1024 double" "2048 double" "4096 double" "8192 double"; do
  read -r N prec <<<"$np"
  for v in $fused_variants; do
    echo "dashi-vkbench $N $prec DASHI_VK_FFT=$v" >&2
    DASHI_VK_FFT=$v timeout 150 dashi-vkbench "$N" "$prec" "$(steps_for "$N")" "$dev" >>"$out/fused.jsonl" \
      2>>"$out/bench_err.txt" || echo "{\"N\": $N, \"precision\": \"$prec\", \"fft_variant\": \"$v\", \"error\": \"exit $?\"}" >>"$out/fused.jsonl"
  done
done
want fused && for N in 4096 8192; do # VkFFT's coalescedMemory for the x passes
  DASHI_VK_FFT=fused DASHI_VK_FFT_TUNE=coalesced=64 timeout 150 dashi-vkbench "$N" single "$(steps_for "$N")" "$dev" >>"$out/fused.jsonl" 2>>"$out/bench_err.txt"
done
want fused && for N in 4096 8192; do
  DASHI_VK_FFT=${DASHI_BENCH_PROFILE_VARIANT:-fused} DASHI_VK_PROFILE=1 timeout 150 dashi-vkbench "$N" single "$(steps_for "$N")" "$dev" >>"$out/fused_profile.jsonl" 2>>"$out/bench_err.txt"
done
echo "done: $out" >&2
