#!/bin/sh
# Quality report of the DASHI proxy on the seed protocol (docs/proxy.md): N = 64, 300 LES steps,
# A learned on the whole run, one deterministic member rolled out from the run's start, scored at
# the end against the truth, next to persistence and the encode->decode ceiling. Variants change one
# thing at a time. Prints a markdown table. Measured, not tuned.
#
#   bench/proxy_quality.sh [BUILD_DIR]       env: OUT (/tmp/dashi-proxy-quality), NP (2)
set -eu
BUILD=${1:-build}
BIN=$BUILD/dashi
OUT=${OUT:-/tmp/dashi-proxy-quality}
NP=${NP:-2}
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dashi() { mpiexec --oversubscribe -n "$NP" "$BIN" "$@"; }
q() { "$@" > "$OUT/last.log" 2>&1 || { cat "$OUT/last.log" >&2; exit 1; }; }
mkdir -p "$OUT"
q dashi truth -N 64 -steps 300 -snapshot_every 1 -progress_every 0 -out "$OUT/truth" -force
q dashi encode -truth "$OUT/truth/truth.h5" -out "$OUT/enc" -force -progress_every 0
q dashi learn -z "$OUT/enc/z.h5" -out "$OUT/learn" -force
q dashi learn -z "$OUT/enc/z.h5" -standardize -out "$OUT/learn_std" -force

row() { # label, ensemble dir
  $PY - "$1" "$2/ensemble.h5" <<'PYEOF'
import sys, h5py, numpy as np
label, path = sys.argv[1], sys.argv[2]
with h5py.File(path, "r") as f:
    e = f["ensemble"]
    t = -1
    m = lambda k: float(np.mean(e["scores/" + k][:, t]))
    b = lambda w, k: float(e[f"baselines/{w}/{k}"][t])
    print(f"| {label} | {int(e['step'][t])} | {m('rel_l2'):.3f} / {m('corr'):.3f} | "
          f"{b('persistence','rel_l2'):.3f} / {b('persistence','corr'):.3f} | "
          f"{b('encode_decode','rel_l2'):.3f} / {b('encode_decode','corr'):.3f} | {m('z_err'):.3f} |")
PYEOF
}
ens() { # dir, args...
  dir=$1; shift
  q dashi ensemble -A "$OUT/learn/A.h5" -z "$OUT/enc/z.h5" -truth "$OUT/truth/truth.h5" -start 0 \
    -ens_steps 300 -score_every 50 -progress_every 0 -out "$OUT/$dir" -force "$@"
}
echo "| variant | step | proxy rel L2 / corr | persistence | encode->decode ceiling | z_err |"
echo "|---|---|---|---|---|---|"
ens e_default -members 2 -noise 0
row "defaults (-decode_residual carrier), noise 0 (2 identical members)" "$OUT/e_default"
ens e_none -members 2 -noise 0 -decode_residual none
row "-decode_residual none" "$OUT/e_none"
q dashi ensemble -A "$OUT/learn_std/A.h5" -z "$OUT/enc/z.h5" -truth "$OUT/truth/truth.h5" -start 0 \
  -ens_steps 300 -score_every 50 -progress_every 0 -out "$OUT/e_std" -force -members 2 -noise 0
row "A learned with -standardize" "$OUT/e_std"
ens e_ens -members 64 -noise 0.01
row "64 members, -noise 0.01 iso (member mean)" "$OUT/e_ens"
$PY - "$OUT/learn/A.h5" <<'PYEOF'
import sys, h5py
a = h5py.File(sys.argv[1], "r")["A"].attrs
print(f"\nfit: {int(a['pairs'])} pairs, D = {a['pairs'] and h5py.File(sys.argv[1],'r').attrs['D']}, "
      f"training residual {a['rel_residual']:.3g}, spectral radius {a['spectral_radius']:.6f}, "
      f"rank {int(a['rank'])}, cond {a['cond']:.3g}")
PYEOF
