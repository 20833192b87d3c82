#!/usr/bin/env bash
# Rebuilds every test workload from source into OUT_DIR (default: test/workloads/bin):
#   c/*.c     -> NAME.wasm   scripts/wasm-cc (Debian's clang-19 + wasi-libc, nothing else), -O2, no debug info
#   wat/*.wat -> NAME.wasm   wabt's wat2wasm
#   rust/*.rs -> NAME.wasm   Debian's rustc 1.63 (/usr/bin/rustc) with its wasm32-wasi std, linked by
#                            its rust-lld (= lld-14); -C opt-level=2, no debug info, symbols stripped
#   invalid.wasm, not_wasm.wasm   fixed byte strings written below (modules that must not load)
# The output is deterministic: the same sources and toolchain give the same bytes (no debug info,
# no name or producers sections, sources compiled by relative path, compilers run with an empty
# environment and by absolute path, never from PATH). test/wasi/reproducible.test.ts
# rebuilds into a temporary directory and compares with the committed files.
#
# Usage: bash test/workloads/build.sh [OUT_DIR]
# Toolchain (Debian 12): apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 wabt
# rustc libstd-rust-dev-wasm32 lld-14 (what .ci/run installs; lld-14 is only a recommendation of
# libstd-rust-dev-wasm32, and rustc's /usr/bin/rust-lld is a link to it).
# No environment variable changes the output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/bin}"
CC="$here/../../scripts/wasm-cc"
WAT2WASM=/usr/bin/wat2wasm
RUSTC=/usr/bin/rustc        # Debian's, never a rustup toolchain from PATH
RUST_LLD=/usr/bin/rust-lld  # rustc's link to lld-14
if [ ! -x "$WAT2WASM" ]; then
  echo "build.sh: $WAT2WASM not found; install: apt-get install wabt" >&2
  exit 127
fi
if [ ! -x "$RUSTC" ]; then
  echo "build.sh: $RUSTC not found; install: apt-get install rustc libstd-rust-dev-wasm32 lld-14" >&2
  exit 127
fi
if ! compgen -G "/usr/lib/rustlib/wasm32-wasi/lib/libstd-*.rlib" >/dev/null; then
  echo "build.sh: the wasm32-wasi std for $RUSTC (/usr/lib/rustlib/wasm32-wasi) is missing; install: apt-get install libstd-rust-dev-wasm32" >&2
  exit 127
fi
if [ ! -x "$RUST_LLD" ]; then
  echo "build.sh: $RUST_LLD (a link to lld-14) does not lead to a linker; install: apt-get install lld-14" >&2
  exit 127
fi
"$CC" --version >/dev/null # says what is missing, if anything

tmp="$(mktemp -d "${TMPDIR:-/tmp}/enarx-workloads.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$here" # sources are named by relative paths, so no absolute path can reach the output

pids=()
names=()
for src in c/*.c; do
  name="$(basename "$src" .c)"
  "$CC" -O2 -g0 -Wall -Wextra \
    -ffile-prefix-map="$here"=. -Wl,--strip-all -o "$tmp/$name.wasm" "$src" &
  pids+=("$!")
  names+=("$src")
done
for src in wat/*.wat; do
  name="$(basename "$src" .wat)"
  if [ -e "c/$name.c" ]; then
    echo "build.sh: $src and c/$name.c would both make $name.wasm" >&2
    exit 1
  fi
  env -i "$WAT2WASM" "$src" -o "$tmp/$name.wasm"
done
for src in rust/*.rs; do
  name="$(basename "$src" .rs)"
  for other in "c/$name.c" "wat/$name.wat"; do
    if [ -e "$other" ]; then
      echo "build.sh: $src and $other would both make $name.wasm" >&2
      exit 1
    fi
  done
  env -i LC_ALL=C TMPDIR="${TMPDIR:-/tmp}" "$RUSTC" --target wasm32-wasi --edition 2021 \
    -C opt-level=2 -C debuginfo=0 -C strip=symbols -C linker="$RUST_LLD" \
    --remap-path-prefix="$here"=. -o "$tmp/$name.wasm" "$src" &
  pids+=("$!")
  names+=("$src")
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || {
    echo "build.sh: compiling ${names[$i]} failed" >&2
    failed=1
  }
done
[ "$failed" = 0 ] || exit 1

# The magic number and version, then a type section that claims 255 bytes but has 1.
printf '\000asm\001\000\000\000\001\377\001\000' >"$tmp/invalid.wasm"
printf 'this is not a WebAssembly module\n' >"$tmp/not_wasm.wasm"

chmod 0644 "$tmp"/*.wasm
mkdir -p "$out"
rm -f "$out"/*.wasm
mv "$tmp"/*.wasm "$out"/
echo "build.sh: $(ls "$out"/*.wasm | wc -l) modules in $out"
