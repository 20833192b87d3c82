import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { freeBuffer } from '../src/free-buffer.js';
import { keepEngine } from '../src/runtime/engine.js';

test('a buffer that is a slice of a larger one (a pool) is never freed', () => {
  const pooled = Buffer.from('small');
  const whole = new Uint8Array(16);
  freeBuffer(pooled);
  freeBuffer(whole.subarray(4));
  assert.equal(pooled.toString(), 'small');
  assert.equal(whole.length, 16);
});

test('on the keep engine a whole buffer is freed (detached), and only that one', { skip: keepEngine().source === 'host' && 'no keep engine apart from this Node.js' }, () => {
  const mod = new URL('../src/free-buffer.js', import.meta.url).href;
  const script = `
    const { freeBuffer } = await import(${JSON.stringify(mod)});
    const whole = Buffer.allocUnsafeSlow(65536).fill(1);
    const other = Buffer.allocUnsafeSlow(65536).fill(2);
    const pooled = Buffer.from('pooled');
    freeBuffer(whole);
    freeBuffer(pooled);
    process.stdout.write(JSON.stringify([whole.length, other[0], pooled.toString()]));
  `;
  const r = spawnSync(keepEngine().path, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(r.stdout || 'null'), [0, 2, 'pooled'], r.stderr);
});
