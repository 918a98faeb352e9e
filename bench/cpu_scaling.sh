#!/usr/bin/env bash
# CPU benchmark table: ms per RK2 step (Smagorinsky, div form, 2/3 dealiasing, random IC) against
# the FFT floor = FFTs per step x one FFTW-MPI 2D real transform of the same size, same ranks,
# measured in the same run (mean of forward and inverse). Prints a Markdown table.
#
#   bench/cpu_scaling.sh                     # N = 256 512 1024 2048, ranks 1 2, estimate + measure
#   NS="256 1024" RANKS="1 2 4" PLANS=measure PRECISION=single bench/cpu_scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DASHI_BENCH:-build/dashi-bench}
[ -x "$bin" ] || { echo "cpu_scaling: $bin not built (run scripts/build.sh)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
NS=${NS:-"256 512 1024 2048"}
RANKS=${RANKS:-"1 2"}
PLANS=${PLANS:-"estimate measure"}
PRECISION=${PRECISION:-double}
echo "# dashi CPU benchmark, $(date -u +%Y-%m-%d), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
header=1
for plan in $PLANS; do
  for n in $NS; do
    steps=$(( n <= 256 ? 200 : n <= 512 ? 60 : n <= 1024 ? 15 : 5 ))
    for p in $RANKS; do
      mpiexec --oversubscribe -n "$p" "$bin" -N "$n" -steps "$steps" -precision "$PRECISION" \
        -fftw_plan "$plan" -header $header
      header=0
    done
  done
done
