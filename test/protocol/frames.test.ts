import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameDecoder, FrameError, encodeFrame, writeFrameThen } from '../../src/protocol/frames.js';

test('frames round-trip whatever the chunking', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ n: fc.integer(), s: fc.string() }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 64 }),
      (headers, payloads, chunk) => {
        const frames = headers.map((h, i) => encodeFrame({ type: 't', ...h }, payloads[i % payloads.length]));
        const wire = Buffer.concat(frames);
        const dec = new FrameDecoder();
        const got = [];
        for (let i = 0; i < wire.length; i += chunk) got.push(...dec.push(wire.subarray(i, i + chunk)));
        assert.equal(got.length, headers.length);
        got.forEach((f, i) => {
          assert.deepEqual(f.header, { type: 't', ...headers[i] });
          assert.deepEqual(new Uint8Array(Buffer.concat(f.parts)), payloads[i % payloads.length]);
          assert.deepEqual(new Uint8Array(f.payload), payloads[i % payloads.length]);
        });
      },
    ),
  );
});

test('oversized, malformed or non-object headers are refused with ERR_PROTOCOL', () => {
  const big = Buffer.alloc(8);
  big.writeUInt32LE(0xffffffff, 0);
  const notJson = Buffer.concat([Buffer.from([6, 0, 0, 0, 2, 0, 0, 0]), Buffer.from('{x')]);
  const array = encodeFrame({}).subarray(0, 0);
  const arr = Buffer.concat([Buffer.from([6, 0, 0, 0, 2, 0, 0, 0]), Buffer.from('[]')]);
  const hdrTooLong = Buffer.from([5, 0, 0, 0, 9, 0, 0, 0, 0x7b]);
  for (const wire of [big, notJson, arr, hdrTooLong]) {
    assert.throws(() => new FrameDecoder().push(wire), (e) => e instanceof FrameError && e.code === 'ERR_PROTOCOL');
  }
  assert.equal(array.length, 0);
});

test('random bytes never crash the decoder', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        new FrameDecoder(1 << 16).push(Buffer.from(bytes));
      } catch (e) {
        assert.ok(e instanceof FrameError);
      }
    }),
  );
});

test('payload parts are views of the chunks as pushed, and each wholly consumed chunk is told once', () => {
  const payload = Buffer.alloc(100_000, 7);
  const wire = Buffer.concat([encodeFrame({ type: 'big' }, payload), encodeFrame({ type: 'next' }, Buffer.from('x'))]);
  const chunks = [wire.subarray(0, 30_000), wire.subarray(30_000, 70_000), wire.subarray(70_000)].map((c) => Buffer.from(c));
  const consumed: Buffer[] = [];
  const dec = new FrameDecoder(undefined, (c) => consumed.push(c));
  assert.deepEqual(dec.push(chunks[0]!), []);
  assert.deepEqual(dec.push(chunks[1]!), []);
  assert.deepEqual(consumed, []);
  const [big, next] = dec.push(chunks[2]!);
  assert.equal(big!.parts.length, 3);
  big!.parts.forEach((p, i) => assert.equal(p.buffer, chunks[i]!.buffer));
  assert.deepEqual(Buffer.concat(big!.parts), payload);
  assert.deepEqual(next!.header, { type: 'next' });
  assert.deepEqual(consumed, chunks);
  consumed.forEach((c, i) => assert.equal(c, chunks[i]));
});

/** A sink that holds each write's callback until the test flushes it, as a socket that cannot take more yet would. */
function slowSink(): { sink: Parameters<typeof writeFrameThen>[0]; wire: Buffer[]; flush: () => void } {
  const wire: Buffer[] = [];
  const pending: (() => void)[] = [];
  let corked = 0;
  return {
    wire,
    flush: () => pending.splice(0).forEach((cb) => cb()),
    sink: {
      cork: () => void corked++,
      uncork: () => void corked--,
      write: (chunk, written) => {
        wire.push(Buffer.from(chunk));
        if (written) pending.push(written);
        return corked === 0;
      },
    },
  };
}

test('writeFrameThen says when the sink is done with the frame: once, at its last piece, never before', () => {
  for (const payload of [[Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cde')], [], [Buffer.alloc(0)]]) {
    const { sink, wire, flush } = slowSink();
    let told = 0;
    writeFrameThen(sink, { type: 'package', last: true }, payload, () => told++);
    assert.equal(told, 0, 'not while the sink still holds the bytes');
    flush();
    assert.equal(told, 1);
    const [frame] = new FrameDecoder().push(Buffer.concat(wire));
    assert.deepEqual(frame!.header, { type: 'package', last: true });
    assert.deepEqual(Buffer.from(frame!.payload), Buffer.concat(payload));
  }
});
