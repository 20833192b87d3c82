#!/usr/bin/env bash
# Rebuilds the sample workloads (examples/*/*.wasm) from their C sources with Debian's
# clang-19 + wasi-libc. The output is deterministic: the same toolchain gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")"
CC=${CC:-clang-19}
for src in */*.c; do
  out="${src%.c}.wasm"
  "$CC" --target=wasm32-wasi --sysroot=/usr -O2 -g0 -o "$out" "$src"
  echo "built $out"
done
