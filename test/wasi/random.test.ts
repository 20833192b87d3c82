/**
 * The guest's randomness (src/wasi/random.ts): the kernel's urandom device when it is that
 * device, node:crypto when the file at its path is an impostor; never predictable bytes.
 * (test/workloads/c/random.c checks random_get end to end through `enarx run`.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KernelRandom, URANDOM_PATH } from '../../src/wasi/random.js';

const dir = mkdtempSync(join(tmpdir(), 'enarx-random-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Bytes that a generator, not a file, made: not all one value, and two draws differ. */
function assertRandom(r: KernelRandom, size: number): void {
  const a = new Uint8Array(size);
  const b = new Uint8Array(size);
  r.fill(a);
  r.fill(b);
  assert.ok(new Set(a).size > 1, 'all bytes equal');
  assert.notDeepEqual(a, b);
}

test('the kernel device serves, fills buffers of any size, and is closed by close()', () => {
  const before = openFds();
  const r = new KernelRandom();
  assert.equal(r.fromDevice, true);
  assertRandom(r, 64);
  assertRandom(r, 1 << 20);
  const empty = new Uint8Array(0);
  r.fill(empty);
  assert.equal(openFds(), before + 1);
  r.close();
  assert.equal(openFds(), before);
  // Usable again after close: the device is opened at the next call.
  assertRandom(r, 16);
  r.close();
});

test('an impostor at the device path is not believed: node:crypto serves instead', () => {
  const zeros = join(dir, 'zeros');
  writeFileSync(zeros, new Uint8Array(4096));
  const link = join(dir, 'link');
  symlinkSync(URANDOM_PATH, link);
  const impostors = {
    'a regular file of zeros': zeros,
    '/dev/zero (a character device, but 1:5)': '/dev/zero',
    'a symlink to the device (not opened through)': link,
    'nothing at all': join(dir, 'missing'),
  };
  for (const [what, path] of Object.entries(impostors)) {
    const before = openFds();
    const r = new KernelRandom(path);
    assert.equal(r.fromDevice, false, what);
    assert.equal(openFds(), before, `${what}: the file is not held open`);
    assertRandom(r, 256);
    r.close();
  }
});
