import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/vectors.js';

const TIME = '/usr/bin/time';
const MIB = 1024 * 1024;

/** Deterministic pseudo-random chunks, generated as they are written (never all in memory). */
function* chunks(total: number): Generator<Buffer> {
  let x = 0x9e3779b9;
  for (let off = 0; off < total; off += MIB) {
    const b = Buffer.allocUnsafe(Math.min(MIB, total - off));
    for (let i = 0; i < b.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b.writeUInt32LE(x >>> 0, i);
    }
    yield b;
  }
}

test('100 MiB through stdin → stdout is byte-exact and runs in bounded memory', { timeout: 120_000 }, async () => {
  const total = 100 * MIB;
  const cat = join(REPO_ROOT, 'test', 'workloads', 'bin', 'cat.wasm');
  const enarx = [join(REPO_ROOT, 'bin', 'enarx.js'), 'run', cat];
  // GNU time reports the peak RSS of the CLI and of the keep it waited for.
  const measure = existsSync(TIME);
  const child = measure
    ? spawn(TIME, ['-f', 'maxrss_kib=%M', process.execPath, ...enarx], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, enarx, { stdio: ['pipe', 'pipe', 'pipe'] });
  const inHash = createHash('sha256');
  const outHash = createHash('sha256');
  let outBytes = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    outHash.update(d);
    outBytes += d.length;
  });
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (const c of chunks(total)) {
    inHash.update(c);
    if (!child.stdin.write(c)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const status = await closed;
  assert.equal(status, 0, stderr);
  assert.equal(outBytes, total);
  assert.equal(outHash.digest('hex'), inHash.digest('hex'));
  if (measure) {
    const kib = Number(/maxrss_kib=(\d+)/.exec(stderr)?.[1]);
    // Buffering the stream anywhere would put the peak above 100 MiB plus the runtime's own.
    assert.ok(kib * 1024 < 150 * MIB, `peak RSS ${Math.round(kib / 1024)} MiB`);
  }
});
