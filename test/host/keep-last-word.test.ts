/**
 * A keep's last word (its sealed outcome, or why it failed) must reach its host even while the
 * host is still sending it input. The host closes its end of the channel on that word and sends
 * nothing more; the keep reads until then before it leaves. Had the keep left at once, with input
 * unread, the host's next write would fail, and Node.js destroys a socket whose write fails with
 * what is still unread in it: the outcome was lost so, once, under load in CI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { KeepProcess } from '../../src/host/keep-process.js';
import { KeepFailureCode } from '../../src/protocol/errors.js';
import { FrameDecoder, encodeFrame } from '../../src/protocol/frames.js';
import { RECORD_HEADER_BYTES, RECORD_TAG_BYTES, RecordKind } from '../../src/protocol/records.js';
import { ENGINE_ENV, ENGINE_FLAGS, keepEngine } from '../../src/runtime/engine.js';
import { keepBundleDir } from '../../src/runtime/measurement.js';
import { adoptedKeep, cleanup, tempDir } from './support.js';

after(cleanup);

/** A record as the host sees one (its header; the rest is opaque to it). */
function record(kind: RecordKind): Buffer {
  const out = Buffer.alloc(RECORD_HEADER_BYTES + 8 + RECORD_TAG_BYTES);
  out.writeUInt32BE(out.length - 4, 0);
  out.writeUInt8(kind, 4);
  return out;
}

/** A KeepProcess over one end of a socket pair (support.ts); the test plays the keep on the other. */
async function adopted(): Promise<{ host: KeepProcess; keepSide: Socket; close: () => void }> {
  const { process: host, keepSide, sleeper } = await adoptedKeep();
  const close = (): void => {
    keepSide.destroy();
    sleeper.kill();
  };
  return { host, keepSide, close };
}

/** Everything `socket` receives until its peer ends it; rejects if that takes 5 s. */
function received(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the host never closed its end of the channel')), 5000);
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

for (const [what, lastWord] of [
  ['its sealed outcome', encodeFrame({ type: 'record' }, record(RecordKind.OUTCOME))],
  ['why it failed', encodeFrame({ type: 'failed', code: KeepFailureCode.PROTOCOL, message: 'test' })],
] as const) {
  test(`the host closes its end once the keep has sent ${what}, and sends no input after it`, async () => {
    const { host, keepSide, close } = await adopted();
    try {
      const got = received(keepSide);
      await host.sendInput(record(RecordKind.INPUT));
      keepSide.write(lastWord);
      const bytes = await got;
      // What came before the last word, and nothing after it: the input frame once.
      const frames = new FrameDecoder().push(bytes);
      assert.deepEqual(frames.map((f) => f.header['type']), ['input']);
      await host.sendInput(record(RecordKind.INPUT));
    } finally {
      close();
    }
  });
}

test('a keep that has said its last word stays, reading, until its host closes the channel', { timeout: 20_000 }, async () => {
  // The keep connects to this test's socket, which, unlike a child's pipe, may be written to
  // after the keep has ended its side: a host that has not yet seen the keep's last word.
  const path = join(tempDir(), 'c');
  const server = createServer({ allowHalfOpen: true });
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((r) => server.listen(path, r));
  const keep = spawn(keepEngine().path, [...ENGINE_FLAGS, join(keepBundleDir(), 'keep.mjs'), '--connect', path], { stdio: 'ignore', env: { ...ENGINE_ENV } });
  const exited = new Promise<number | null>((resolve) => keep.once('exit', resolve));
  try {
    const control = await accepted;
    const frames: string[] = [];
    const decoder = new FrameDecoder();
    control.on('data', (d: Buffer) => frames.push(...decoder.push(d).map((f) => String(f.header['type']))));
    const keepEnded = new Promise((r) => control.once('end', r));
    // Out of order before any launch: the keep fails, says why, and ends its side.
    control.write(encodeFrame({ type: 'input' }, record(RecordKind.INPUT)));
    await keepEnded;
    assert.deepEqual(frames, ['failed']);
    // The host is slow to see it, and sends more: the keep is still there, and reads it.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(keep.exitCode, null, 'the keep left before its host closed the channel');
    await new Promise<void>((resolve, reject) => control.write(encodeFrame({ type: 'input' }, record(RecordKind.INPUT)), (err) => (err ? reject(err) : resolve())));
    control.end();
    assert.equal(await exited, 1);
  } finally {
    keep.kill();
    server.close();
  }
});
