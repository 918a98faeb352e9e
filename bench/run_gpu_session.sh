#!/usr/bin/env bash
# One GPU-host session of measurements (docs/performance.md): the GPU proxy's own checks and
# throughput, the Vulkan LES's transform variants, and an end-to-end `dashi run` with both groups on
# the GPU. Every part has its own time limit; results go to OUTDIR.
#
#   (build host)  ../shared/gpu/bundle.sh build/dashi build/dashi-vkbench build/dashi-proxy-bench \
#                   build/tests/vulkan/test_vk_parity build/tests/vulkan/test_vk_decode \
#                   build/tests/vulkan/test_vk_rollout
#                 (strip .gpubundle/bin/*; tar -cJf .gpubundle/bins.tar.xz -C .gpubundle bin to stay
#                  under the 64 MiB a device call carries)
#   (GPU host, repository root)  bench/run_gpu_session.sh OUTDIR
set -uo pipefail
out=${1:-gpu-session}
mkdir -p "$out"
if [ -f .gpubundle/bins.tar.xz ] && [ ! -d .gpubundle/bin ]; then tar -xJf .gpubundle/bins.tar.xz -C .gpubundle; fi
# shellcheck disable=SC1091
source .gpubundle/env.sh
export PATH=$PWD/.gpubundle/bin:$PATH
if ! dashi info 2>/dev/null | grep -q "vulkan: \[0\]"; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
             /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$icd" ] && export VK_DRIVER_FILES=$icd && break
  done
fi
part() { echo "== $* ($(date -u +%T))" >&2; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; dashi info; } >"$out/device.txt" 2>&1
part proxy checks
{ timeout 120 test_vk_decode; echo "test_vk_decode exit $?"
  timeout 120 test_vk_rollout; echo "test_vk_rollout exit $?"; } >"$out/proxy_checks.txt" 2>&1
part proxy rollout
timeout 120 dashi-proxy-bench -proxy_backend vulkan -members 1,64,1024,4096 -les_N 0 -decodes 8 \
  -fp64_peak_tflops 34 >"$out/proxy_rollout.txt" 2>&1
part proxy decode
timeout 120 dashi-proxy-bench -gpu_decode -gpu_decode_members 1,64,256,1024 -les_N 0 -members 1 \
  -decodes 16 -seconds 1 >"$out/proxy_decode.txt" 2>&1
part run end to end
timeout 150 mpirun --oversubscribe --bind-to none -n 2 dashi run -options_file cases/default.opts \
  -les_ranks 1 -backend vulkan -precision single -proxy_backend vulkan -members 256 \
  -out "$out/run_gpu" -force >"$out/run_gpu.txt" 2>&1
echo "exit $?" >>"$out/run_gpu.txt"
rm -f "$out"/run_gpu/checkpoints/*.h5 "$out"/run_gpu/truth.h5
part les variants
DASHI_BENCH_PARTS="${LES_PARTS:-variants}" DASHI_BENCH_VARIANTS="${LES_VARIANTS:-plain zeropad zeropad_x zeropad_y plain:boost=1 zeropad:coalesced=64}" \
  timeout 330 bench/run_gpu_bench.sh "$out/les" 2>>"$out/les_progress.txt"
part done
