/**
 * The committed workloads (test/workloads/bin/*.wasm) are exactly what test/workloads/build.sh
 * makes from their sources: rebuilds into a temporary directory and compares bytes. Skipped
 * when the toolchain (clang-19 for wasm32-wasi, wabt's wat2wasm) is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const WORKLOADS = fileURLToPath(new URL('../../../test/workloads/', import.meta.url));

function missingTool(): string | false {
  for (const tool of [process.env['CLANG'] || 'clang-19', process.env['WAT2WASM'] || 'wat2wasm']) {
    const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (r.error) return `${tool} is not installed (apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 wabt)`;
  }
  return false;
}

it('rebuilds every committed workload byte for byte', { skip: missingTool(), timeout: 300_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'enarx-workloads-rebuild-'));
  try {
    const r = spawnSync('bash', [join(WORKLOADS, 'build.sh'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `build.sh failed:\n${r.stderr}`);
    const committed = readdirSync(join(WORKLOADS, 'bin')).filter((f) => f.endsWith('.wasm')).sort();
    const rebuilt = readdirSync(out).filter((f) => f.endsWith('.wasm')).sort();
    assert.deepEqual(rebuilt, committed, 'the set of modules differs: run `npm run workloads` and commit test/workloads/bin');
    const differing = committed.filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(WORKLOADS, 'bin', f))));
    assert.deepEqual(differing, [], 'these modules differ from a fresh build: run `npm run workloads` and commit them');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
