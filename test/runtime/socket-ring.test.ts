/**
 * The socket rings between a keep's main thread and its worker: bytes in order both ways,
 * peeking, back-pressure, the end of a stream and a reset as the reader sees them, and, across
 * two threads, that an end of stream never hides the last bytes written before it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Doorbell } from '../../src/runtime/doorbell.js';
import { BROKEN_PIPE, CONNECTION_RESET, InboundReader, InboundWriter, OutboundReader, OutboundWriter, SlotPool, WOULD_BLOCK, connectionMemory } from '../../src/runtime/socket-ring.js';

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/** Lets the main thread's end-of-turn work run (the inbound ring publishes a turn's bytes then). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('inbound: bytes in order, published at the end of the turn with one ring of the bell, peek leaves them, the end of stream comes after the rest', async () => {
  const memory = connectionMemory(64);
  const bell = new Doorbell(Doorbell.memory());
  const w = new InboundWriter(memory, bell);
  const r = new InboundReader(memory);
  const dst = new Uint8Array(8);
  assert.equal(r.read(dst, false, false), WOULD_BLOCK);
  const e0 = bell.epoch();
  assert.equal(w.offer(bytes(1)), 1);
  assert.equal(w.offer(bytes(2, 3)), 2);
  assert.equal(r.read(dst, false, false), WOULD_BLOCK, 'not before the turn ends');
  assert.equal(bell.epoch(), e0);
  await turn();
  assert.equal(bell.epoch(), e0 + 1, 'one ring for the turn');
  assert.equal(r.read(dst, true, false), 3);
  assert.deepEqual(dst.subarray(0, 3), bytes(1, 2, 3));
  w.end();
  assert.equal(r.read(dst.subarray(0, 2), false, false), 2);
  assert.equal(r.read(dst, false, true), 1);
  assert.equal(dst[0], 3);
  assert.equal(r.read(dst, false, true), 0);
});

test('inbound: a full ring takes what fits; a reset is seen after the bytes before it', () => {
  const memory = connectionMemory(64);
  const w = new InboundWriter(memory, new Doorbell(Doorbell.memory()));
  const r = new InboundReader(memory);
  assert.equal(w.offer(new Uint8Array(100).fill(7)), 64);
  assert.equal(w.offer(bytes(1)), 0);
  w.reset();
  const dst = new Uint8Array(100);
  assert.equal(r.read(dst, false, true), 64);
  assert.equal(r.read(dst, false, true), CONNECTION_RESET);
  assert.equal(r.reset, true);
});

test('inbound: once the reader has closed, offers are dropped (all taken)', () => {
  const memory = connectionMemory(64);
  const w = new InboundWriter(memory, new Doorbell(Doorbell.memory()));
  new InboundReader(memory).close();
  assert.equal(w.offer(new Uint8Array(500)), 500);
});

test('outbound: views handed out until freed, room comes back on release, end and broken pipe', () => {
  const memory = connectionMemory(64);
  const w = new OutboundWriter(memory);
  const r = new OutboundReader(memory, new Doorbell(Doorbell.memory()));
  assert.equal(w.write(new Uint8Array(50).fill(1), false), 50);
  assert.equal(w.write(new Uint8Array(50).fill(2), false), 14);
  assert.equal(w.write(bytes(3), false), WOULD_BLOCK);
  const a = r.take()!;
  assert.equal(a.length, 64);
  assert.equal(r.take(), undefined, 'handed out once');
  assert.equal(w.room(), 0, 'not freed yet');
  r.release(64);
  assert.equal(w.room(), 64);
  assert.equal(r.drained, true);
  // Wrapping: the next view ends at the ring's end, the rest follows.
  assert.equal(w.write(new Uint8Array(10).fill(4), false), 10);
  assert.equal(r.take()!.length, 10);
  w.close();
  assert.equal(r.writerClosed, true);
  r.close();
  assert.equal(w.write(bytes(5), false), BROKEN_PIPE);
});

/** Runs `body` (given the socket-ring module and the worker's data) in a worker thread. */
function inWorker(body: string, data: unknown): Promise<unknown> {
  const url = new URL('../../src/runtime/socket-ring.js', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then((ring) => parentPort.postMessage((${body})(ring, workerData)));`;
  const worker = new Worker(code, { eval: true, workerData: data });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

test('across threads: every stream ends with all its bytes (the end never overtakes the last write)', async () => {
  // Many short streams, each closed right after its last write: a reader that looked at the
  // end before the data (the bug this guards against) would now and then lose the tail.
  const streams = 300;
  const memories = Array.from({ length: streams }, () => connectionMemory(64));
  const sizes = memories.map((_, i) => 1 + ((i * 37) % 200));
  const done = inWorker(
    `({ OutboundWriter }, { memories, sizes }) => {
      memories.forEach((m, i) => {
        const w = new OutboundWriter(m);
        const chunk = new Uint8Array(sizes[i]).fill(i & 0xff);
        w.write(chunk, true);
        w.close();
      });
      return true;
    }`,
    { memories, sizes },
  );
  const bell = new Doorbell(Doorbell.memory());
  await Promise.all(
    memories.map(async (m, i) => {
      const r = new OutboundReader(m, bell);
      let got = 0;
      for (;;) {
        const closed = r.writerClosed;
        const v = r.take();
        if (v !== undefined) {
          assert.ok(v.every((b) => b === (i & 0xff)));
          got += v.length;
          r.release(v.length);
          continue;
        }
        if (closed) break;
        await r.wait();
      }
      assert.equal(got, sizes[i], `stream ${i}`);
    }),
  );
  assert.equal(await done, true);
});

test('slot pool: distinct slots from one slab, and a released slot comes back empty and open', () => {
  const pool = new SlotPool(64);
  const bell = new Doorbell(Doorbell.memory());
  const a = pool.acquire();
  const b = pool.acquire();
  assert.equal(a.memory, b.memory, 'one slab');
  assert.notEqual(a.id, b.id);
  assert.ok(Math.abs(a.offset - b.offset) >= 2 * (64 + 24), 'slots do not overlap');
  // Use a: data both ways, ends and a reset.
  new InboundWriter(a, bell).offer(bytes(1, 2, 3));
  new InboundWriter(a, bell).reset();
  new OutboundWriter(a).write(bytes(4), false);
  new OutboundWriter(a).close();
  // b is untouched by a.
  assert.equal(new InboundReader(b).read(new Uint8Array(4), false, false), WOULD_BLOCK);
  pool.release(a);
  const again = pool.acquire();
  assert.equal(again.id, a.id);
  const r = new InboundReader(again);
  assert.equal(r.read(new Uint8Array(4), false, false), WOULD_BLOCK, 'empty, not reset, not ended');
  assert.equal(new OutboundWriter(again).room(), 64);
  assert.equal(new OutboundReader(again, bell).writerClosed, false);
});
