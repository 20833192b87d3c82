/**
 * The stdio rings on their own: output segments come out whole, in order, with adjacent
 * segments of one stream joined, across the ring's wrap-around; and a writer and a reader on two
 * threads, each waiting for the other through a ring far smaller than what passes, lose no
 * wake-up (a lost one would hang the test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { decodeSegments } from '../../src/protocol/records.js';
import { InputReader, InputWriter, OutputReader, OutputWriter, SEGMENT_HEADER, createRing } from '../../src/runtime/stdio-ring.js';

const STDOUT = 1;
const STDERR = 2;

/** The segments of one take as [stream, text] pairs. */
function segments(bytes: Uint8Array): [string, string][] {
  const s = decodeSegments(bytes);
  assert.ok(typeof s !== 'string', s as string);
  return s.map((x) => [x.stream, Buffer.from(x.data).toString()]);
}

test('adjacent segments of one stream come out as one, the other stream keeps its place', () => {
  const ring = createRing(1024);
  const w = new OutputWriter(ring);
  const r = new OutputReader(ring);
  for (const [stream, text] of [[STDOUT, 'a'], [STDOUT, 'bc'], [STDERR, 'E'], [STDERR, 'F'], [STDOUT, 'd']] as const) {
    assert.equal(w.write(stream, Buffer.from(text)), true);
  }
  assert.deepEqual(segments(r.take(1 << 20)!), [
    ['stdout', 'abc'],
    ['stderr', 'EF'],
    ['stdout', 'd'],
  ]);
  assert.equal(r.take(1 << 20), undefined);
});

test('a take stops at a segment boundary within max, but takes at least one segment', () => {
  const ring = createRing(1024);
  const w = new OutputWriter(ring);
  const r = new OutputReader(ring);
  w.write(STDOUT, Buffer.from('0123456789'));
  w.write(STDOUT, Buffer.from('abcdefghij'));
  assert.deepEqual(segments(r.take(SEGMENT_HEADER + 12)!), [['stdout', '0123456789']]);
  assert.deepEqual(segments(r.take(1)!), [['stdout', 'abcdefghij']]);
});

test('what goes in comes out, byte for byte and in order, across wrap-arounds (property)', () => {
  const write = fc.record({ stream: fc.constantFrom(STDOUT, STDERR), bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }) });
  fc.assert(
    fc.property(fc.array(write, { maxLength: 60 }), fc.integer({ min: 1, max: 600 }), (writes, max) => {
      const ring = createRing(512);
      const w = new OutputWriter(ring);
      const r = new OutputReader(ring);
      const want: number[][] = [[], [], []];
      const got: number[][] = [[], [], []];
      const drain = (): void => {
        for (let b = r.take(max); b !== undefined; b = r.take(max)) {
          const s = decodeSegments(b);
          assert.ok(typeof s !== 'string', s as string);
          for (const seg of s) got[seg.stream === 'stdout' ? STDOUT : STDERR]!.push(...seg.data);
        }
      };
      for (const { stream, bytes } of writes) {
        // Room for the write and its header: this thread must never wait on itself.
        if (r.used() + bytes.length + SEGMENT_HEADER > 512) drain();
        assert.equal(w.write(stream, bytes), true);
        want[stream]!.push(...bytes);
      }
      drain();
      assert.deepEqual(got, want);
    }),
  );
});

/** Runs `body` (a function of the ring module and the worker's data) in a worker thread. */
function inWorker(body: string, data: unknown): Promise<unknown> {
  const url = new URL('../../src/runtime/stdio-ring.js', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then((ring) => parentPort.postMessage((${body})(ring, workerData)));`;
  const worker = new Worker(code, { eval: true, workerData: data });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

test('a worker writing through a small ring and a main thread reading it wait for each other', async () => {
  const ring = createRing(64);
  const total = 200_000;
  const done = inWorker(
    `({ OutputWriter }, { ring, total }) => {
      const w = new OutputWriter(ring);
      const chunk = new Uint8Array(37);
      let sum = 0;
      for (let sent = 0; sent < total; sent += chunk.length) {
        for (let i = 0; i < chunk.length; i++) { chunk[i] = (sent + i) & 0xff; sum += chunk[i]; }
        w.write(1, chunk);
      }
      w.close();
      return sum;
    }`,
    { ring, total },
  );
  const r = new OutputReader(ring);
  let n = 0;
  let sum = 0;
  for (;;) {
    const closed = r.writerClosed; // before the take: the close follows the last write
    const b = r.take(1 << 20);
    if (b !== undefined) {
      const s = decodeSegments(b);
      assert.ok(typeof s !== 'string', s as string);
      for (const seg of s) {
        for (const byte of seg.data) {
          assert.equal(byte, n & 0xff);
          n++;
          sum += byte;
        }
      }
      continue;
    }
    if (closed) break;
    await r.wait();
  }
  assert.equal(sum, await done);
  assert.ok(n >= total);
});

test('input: a main thread writing and a worker reading through a small ring lose nothing', async () => {
  const ring = createRing(64);
  const total = 100_000;
  const done = inWorker(
    `({ InputReader }, { ring }) => {
      const r = new InputReader(ring);
      const buf = new Uint8Array(50);
      let n = 0;
      for (;;) {
        const got = r.read(buf);
        if (got === 0) return n;
        for (let i = 0; i < got; i++) if (buf[i] !== ((n + i) & 0xff)) return -1;
        n += got;
      }
    }`,
    { ring },
  );
  const w = new InputWriter(ring);
  const chunk = new Uint8Array(1000);
  for (let sent = 0; sent < total; sent += chunk.length) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i) & 0xff;
    await w.write(chunk);
  }
  w.close();
  assert.equal(await done, total);
  // The reader closing its side is what a stopped workload does: a writer then never waits.
  new InputReader(ring).close();
  await w.write(new Uint8Array(10_000));
});

test('stdin: an end of input never hides the bytes written just before it (many short inputs, two threads)', async () => {
  const inputs = 300;
  const rings = Array.from({ length: inputs }, () => createRing(64));
  const sizes = rings.map((_, i) => 1 + ((i * 29) % 60));
  const done = inWorker(
    `({ InputReader }, { rings, sizes }) => {
      const short = [];
      rings.forEach((ring, i) => {
        const r = new InputReader(ring);
        const dst = new Uint8Array(64);
        let got = 0;
        for (let n; (n = r.read(dst)) > 0; ) got += n;
        if (got !== sizes[i]) short.push(i + ': ' + got + ' of ' + sizes[i]);
      });
      return short;
    }`,
    { rings, sizes },
  );
  for (const [i, ring] of rings.entries()) {
    const w = new InputWriter(ring);
    await w.write(new Uint8Array(sizes[i]!).fill(i & 0xff));
    w.close();
  }
  assert.deepEqual(await done, []);
});

test('input: a writer waiting on a full ring is woken once the rest of its write fits, not by each small read', async () => {
  const ring = createRing(64);
  const w = new InputWriter(ring);
  const r = new InputReader(ring);
  await w.write(new Uint8Array(64).fill(1));
  let written = false;
  const rest = w.write(new Uint8Array(24).fill(2)).then(() => (written = true));
  // Long enough for a wake-up to reach this thread's event loop, had there been one.
  const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  const buf = new Uint8Array(8);
  // Two reads of 8 bytes: 16 free, less than the 24 the writer waits for.
  for (let i = 0; i < 2; i++) assert.equal(r.read(buf), 8);
  await turn();
  assert.equal(written, false);
  // Not woken: it has not trickled 8 bytes into each bit of room a read made.
  assert.equal(r.used(), 48);
  assert.equal(r.read(buf), 8);
  await rest;
  assert.equal(written, true);
  // What is in the ring: the 40 ones left, then the 24 twos.
  const all = new Uint8Array(64);
  assert.equal(r.read(all), 64);
  assert.deepEqual([...all.subarray(0, 40)], new Array(40).fill(1));
  assert.deepEqual([...all.subarray(40)], new Array(24).fill(2));
});
