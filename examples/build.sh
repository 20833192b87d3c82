#!/usr/bin/env bash
# Rebuilds the sample workloads (examples/*/*.wasm) from their C sources with Debian's clang-19 +
# wasi-libc and nothing else (scripts/wasm-cc). The output is deterministic: the same packages give
# the same bytes.
set -euo pipefail
cd "$(dirname "$0")"
for src in */*.c; do
  out="${src%.c}.wasm"
  ../scripts/wasm-cc -O2 -g0 -Wl,--strip-all -o "$out" "$src"
  echo "built $out"
done
