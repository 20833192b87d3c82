/**
 * The reused blocks the keep reads its control channel into (src/keep/read-blocks.ts): driven as
 * a socket drives them (a block asked for before each read, the callback after one that read
 * something), and through a real socket pair carrying more than a block holds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EARLY_MAX_BYTES, READ_BLOCK_BYTES, ReadBlocks } from '../../src/keep/read-blocks.js';

/** One read of `bytes` as a socket makes it: ask for a block, fill it, call back. */
function read(blocks: ReadBlocks, bytes: Uint8Array): Uint8Array {
  const block = blocks.onread.buffer as () => Uint8Array;
  const into = block();
  into.set(bytes);
  blocks.onread.callback(bytes.length, into);
  return into;
}

test('reads before anyone listens are handed on first, in order, then the rest as they come', () => {
  const blocks = new ReadBlocks();
  read(blocks, Buffer.from('one'));
  read(blocks, Buffer.from('two'));
  const got: string[] = [];
  blocks.listen((chunk) => got.push(chunk.toString()));
  read(blocks, Buffer.from('three'));
  assert.deepEqual(got, ['one', 'two', 'three']);
});

/** A read large enough to be handed on in its block (shorter ones are copied out). */
const large = (fill: number): Buffer => Buffer.alloc(READ_BLOCK_BYTES / 2, fill);

test('a block is read into again only once it is given back', () => {
  const blocks = new ReadBlocks();
  const chunks: Buffer[] = [];
  blocks.listen((chunk) => chunks.push(chunk));
  const a = read(blocks, large(1));
  const b = read(blocks, large(2));
  assert.notEqual(a.buffer, b.buffer, 'a block still held is not lent again');
  assert.equal(a.byteLength, READ_BLOCK_BYTES);
  assert.equal(chunks[0]!.buffer, a.buffer, 'a large read is handed on in its block');
  blocks.giveBack(chunks[0]!);
  blocks.giveBack(chunks[0]!);
  const c = read(blocks, large(3));
  assert.equal(c.buffer, a.buffer, 'the given-back block is reused');
  const d = read(blocks, large(4));
  assert.notEqual(d.buffer, a.buffer, 'a block given back twice is lent once');
  assert.deepEqual(chunks[1], large(2), 'the held one kept its bytes');
});

test('a short read is copied out and its block read into again: a byte at a time pins no blocks', () => {
  const blocks = new ReadBlocks();
  const chunks: Buffer[] = [];
  blocks.listen((chunk) => chunks.push(chunk));
  const blocksUsed = new Set<ArrayBufferLike>();
  for (let i = 0; i < 1000; i++) blocksUsed.add(read(blocks, Buffer.from([i & 255])).buffer);
  assert.equal(blocksUsed.size, 1, 'one block for all of them');
  assert.equal(chunks.length, 1000);
  assert.ok(chunks.every((c, i) => c.length === 1 && c[0] === (i & 255) && c.buffer.byteLength !== READ_BLOCK_BYTES));
});

test('a read that found nothing leaves its block lent for the next read', () => {
  const blocks = new ReadBlocks();
  const chunks: Buffer[] = [];
  blocks.listen((chunk) => chunks.push(chunk));
  const block = blocks.onread.buffer as () => Uint8Array;
  const first = block();
  blocks.onread.callback(0, first);
  assert.equal(block(), first);
  assert.equal(chunks.length, 0);
});

test('buffers that are not its blocks are never taken back', () => {
  const blocks = new ReadBlocks();
  blocks.listen(() => {});
  blocks.giveBack(Buffer.alloc(10));
  blocks.giveBack(new Uint8Array(READ_BLOCK_BYTES + 1));
  const a = read(blocks, Buffer.from('x'));
  assert.equal(a.byteLength, READ_BLOCK_BYTES);
});

/**
 * Runs `fn` with a socket, read through fresh ReadBlocks, from a server that sends `sent` and
 * ends; the socket, server and folder go after.
 */
async function fromServer(sent: Uint8Array, fn: (socket: Socket, blocks: ReadBlocks) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-read-blocks-'));
  const path = join(dir, 's');
  const server = createServer((s) => s.end(sent));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const blocks = new ReadBlocks();
  const socket: Socket = connect({ path, onread: blocks.onread });
  try {
    await fn(socket, blocks);
  } finally {
    socket.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('through a socket: megabytes arrive whole and in order, in blocks reused as they are given back', async () => {
  const sent = randomBytes(6 * READ_BLOCK_BYTES + 123);
  await fromServer(sent, async (socket, blocks) => {
    const got: Buffer[] = [];
    const used = new Set<ArrayBufferLike>();
    blocks.listen((chunk) => {
      got.push(Buffer.from(chunk));
      used.add(chunk.buffer);
      blocks.giveBack(chunk);
    });
    await new Promise((resolve) => socket.once('end', resolve));
    assert.deepEqual(Buffer.concat(got), sent);
    assert.ok(got.length > 1, 'several reads');
    assert.ok(used.size < got.length, `blocks were reused (${used.size} blocks for ${got.length} reads)`);
  });
});

test('a host that sends before anyone listens is read up to a bound, then waits; nothing is lost', async () => {
  const sent = randomBytes(8 * 1024 * 1024);
  await fromServer(sent, async (socket, blocks) => {
    // Long enough for the whole 8 MiB to be read, were reading not stopped.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const got: Buffer[] = [];
    blocks.listen((chunk) => got.push(Buffer.from(chunk)));
    const early = got.reduce((n, c) => n + c.length, 0);
    assert.ok(early > 0 && early < EARLY_MAX_BYTES + READ_BLOCK_BYTES, `${early} bytes read before anyone listened`);
    socket.resume();
    await new Promise((resolve) => socket.once('end', resolve));
    assert.deepEqual(Buffer.concat(got), sent);
  });
});
