#!/usr/bin/env bash
# Configure and build dashi into build/ (warnings are errors). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDASHI_WERROR=ON "$@" >build.log 2>&1 ||
  { cat build.log; echo "build: cmake configure failed (see above)" >&2; exit 1; }
cmake --build build -j "$(nproc)" >>build.log 2>&1 ||
  { tail -50 build.log; echo "build: compilation failed (full log in build.log)" >&2; exit 1; }
echo "build: build/dashi ready"
