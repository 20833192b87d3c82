/**
 * The committed workloads (test/workloads/bin/*.wasm) are exactly what test/workloads/build.sh
 * makes from their sources with Debian's packages (what .ci/run installs), and nothing else on
 * the machine can change that: rebuilds into a temporary directory and compares bytes, once
 * plainly and once with a hostile environment (a `wasm-opt` on PATH, which clang's driver would
 * run, include paths holding a bogus header, a `rustc` and `rust-lld` on PATH ahead of Debian's,
 * RUSTFLAGS, RUSTC). Skipped when the packages are not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const WORKLOADS = fileURLToPath(new URL('../../../test/workloads/', import.meta.url));
const PACKAGES = 'apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 wabt rustc libstd-rust-dev-wasm32 lld-14';
/** Debian's wasm32-wasi std for its rustc (libstd-rust-dev-wasm32). */
const RUST_WASI_STD = '/usr/lib/rustlib/wasm32-wasi/lib';

function missingTool(): string | false {
  // /usr/bin/rust-lld (rustc's) links to lld-14: existsSync follows the link.
  for (const file of ['/usr/bin/clang-19', '/usr/bin/wasm-ld-19', '/usr/include/wasm32-wasi/stdio.h', '/usr/bin/wat2wasm', '/usr/bin/rustc', '/usr/bin/rust-lld']) {
    if (!existsSync(file)) return `${file} is not installed (${PACKAGES})`;
  }
  if (!existsSync(RUST_WASI_STD) || !readdirSync(RUST_WASI_STD).some((f) => f.startsWith('libstd-'))) return `${RUST_WASI_STD} has no std (${PACKAGES})`;
  return false;
}

function rebuild(env: NodeJS.ProcessEnv): { out: string; modules: string[] } {
  const out = mkdtempSync(join(tmpdir(), 'enarx-workloads-rebuild-'));
  const r = spawnSync('bash', [join(WORKLOADS, 'build.sh'), out], { encoding: 'utf8', env });
  assert.equal(r.status, 0, `build.sh failed:\n${r.stderr}`);
  return { out, modules: readdirSync(out).filter((f) => f.endsWith('.wasm')).sort() };
}

function differing(out: string, modules: readonly string[]): string[] {
  return modules.filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(WORKLOADS, 'bin', f))));
}

describe('committed workloads', { skip: missingTool() }, () => {
  it('rebuild byte for byte', { timeout: 300_000 }, () => {
    const { out, modules } = rebuild(process.env);
    try {
      const committed = readdirSync(join(WORKLOADS, 'bin')).filter((f) => f.endsWith('.wasm')).sort();
      assert.deepEqual(modules, committed, 'the set of modules differs: run `npm run workloads` and commit test/workloads/bin');
      assert.deepEqual(differing(out, modules), [], 'these modules differ from a fresh build: run `npm run workloads` and commit them');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('rebuild the same with a wasm-opt, rustc and rust-lld on PATH, hostile include paths and RUSTFLAGS', { timeout: 300_000 }, () => {
    const trap = mkdtempSync(join(tmpdir(), 'enarx-hostile-env-'));
    try {
      mkdirSync(join(trap, 'bin'));
      mkdirSync(join(trap, 'include'));
      // A wasm-opt that would ruin any module it touched, and a stdio.h that would not compile.
      writeFileSync(join(trap, 'bin', 'wasm-opt'), '#!/bin/sh\nfor a; do last=$a; done\nprintf broken > "$last"\n');
      chmodSync(join(trap, 'bin', 'wasm-opt'), 0o755);
      writeFileSync(join(trap, 'include', 'stdio.h'), '#error hostile header\n');
      // A rustc and a rust-lld (what rustc runs by name) that fail, ahead of any other on PATH.
      for (const tool of ['rustc', 'rust-lld']) {
        writeFileSync(join(trap, 'bin', tool), '#!/bin/sh\necho hostile >&2\nexit 1\n');
        chmodSync(join(trap, 'bin', tool), 0o755);
      }
      const env = {
        ...process.env,
        PATH: `${join(trap, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
        CPATH: join(trap, 'include'),
        C_INCLUDE_PATH: join(trap, 'include'),
        CFLAGS: '-O0',
        RUSTFLAGS: '-C opt-level=0 -C debuginfo=2',
        RUSTC: join(trap, 'bin', 'rustc'),
      };
      const { out, modules } = rebuild(env);
      try {
        assert.deepEqual(differing(out, modules), []);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    } finally {
      rmSync(trap, { recursive: true, force: true });
    }
  });
});
