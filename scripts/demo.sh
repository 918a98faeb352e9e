#!/usr/bin/env bash
# Install, build and run the main job on the embedded default case (cases/default.opts): `dashi run`
# on 3 MPI ranks (2 LES ranks produce the truth, 1 proxy rank learns and scores the DASHI proxy),
# then draw the pictures. Output: runs/demo/ (truth.h5, truth.xmf, proxy.h5, checkpoints, pictures).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=${DASHI_DEMO_OUT:-runs/demo}
mpirun --oversubscribe -n 3 build/dashi run -options_file cases/default.opts -out "$out" -force "$@"
/usr/bin/python3 tools/dashi_plot.py summary "$out/truth.h5" -o "$out/summary.png" >/dev/null
/usr/bin/python3 tools/dashi_plot.py spectra "$out/truth.h5" -o "$out/spectra.png" >/dev/null
/usr/bin/python3 tools/dashi_plot.py proxy "$out/proxy.h5" -o "$out/proxy_scores.png" >/dev/null
echo
echo "demo: truth file    $out/truth.h5   (ParaView: open $out/truth.xmf)"
echo "demo: proxy scores  $out/proxy.h5"
echo "demo: pictures      $out/summary.png $out/spectra.png $out/proxy_scores.png $out/proxy_scores_triptych.png"
