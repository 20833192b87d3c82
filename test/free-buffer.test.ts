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

test('on the keep engine, pieces freed once a socket has taken their frame arrive intact', { skip: keepEngine().source === 'host' && 'no keep engine apart from this Node.js' }, () => {
  const frames = new URL('../src/protocol/frames.js', import.meta.url).href;
  const free = new URL('../src/free-buffer.js', import.meta.url).href;
  // A reader that waits before reading, so that the writes queue in libuv and their callbacks come later.
  const script = `
    const { FrameDecoder, writeFrameThen } = await import(${JSON.stringify(frames)});
    const { freeBuffer } = await import(${JSON.stringify(free)});
    const net = await import('node:net');
    const { createHash, randomFillSync } = await import('node:crypto');
    const { mkdtempSync } = await import('node:fs');
    const path = mkdtempSync('/tmp/enarx-free-') + '/s';
    const sent = createHash('sha256');
    const got = createHash('sha256');
    const pieces = [];
    const server = net.createServer((sock) => {
      sock.pause();
      const dec = new FrameDecoder();
      let frames = 0;
      sock.on('data', (c) => { for (const f of dec.push(c)) { frames++; for (const p of f.parts) got.update(p); } });
      sock.on('end', () => {
        server.close();
        const detached = pieces.filter((p) => p.length === 0).length;
        process.stdout.write(JSON.stringify({ same: sent.digest('hex') === got.digest('hex'), frames, detached, pieces: pieces.length }));
      });
      setTimeout(() => sock.resume(), 100);
    });
    server.listen(path, () => {
      const client = net.connect(path, () => {
        for (let i = 0; i < 16; i++) {
          const slice = [0, 1, 2, 3].map(() => randomFillSync(Buffer.allocUnsafeSlow(256 * 1024)));
          for (const p of slice) { sent.update(p); pieces.push(p); }
          writeFrameThen(client, { type: 'package', i }, slice, () => slice.forEach(freeBuffer));
        }
        client.end();
      });
    });
  `;
  const r = spawnSync(keepEngine().path, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.deepEqual(JSON.parse(r.stdout || 'null'), { same: true, frames: 16, detached: 64, pieces: 64 }, r.stderr);
});
