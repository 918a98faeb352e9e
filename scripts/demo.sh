#!/usr/bin/env bash
# Install, build and run the embedded default case (cases/default.opts) on 2 MPI ranks, then draw
# the pictures. Output: runs/demo/ (truth.h5, truth.xmf, checkpoints, pictures).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=${DASHI_DEMO_OUT:-runs/demo}
mpirun --oversubscribe -n 2 build/dashi truth -options_file cases/default.opts -out "$out" -force "$@"
/usr/bin/python3 tools/dashi_plot.py summary "$out/truth.h5" -o "$out/summary.png"
/usr/bin/python3 tools/dashi_plot.py spectra "$out/truth.h5" -o "$out/spectra.png"
echo
echo "demo: truth file  $out/truth.h5   (ParaView: open $out/truth.xmf)"
echo "demo: pictures    $out/summary.png  $out/spectra.png"
