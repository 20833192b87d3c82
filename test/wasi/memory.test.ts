/**
 * GuestMemory: bounds checks answer EFAULT, and views taken before the memory grew are never
 * used after (a grown memory detaches its old buffer; a shared one leaves it shorter).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/wasi/constants.js';
import { Errno } from '../../src/wasi/errno.js';
import { GuestMemory, IOVEC_SIZE } from '../../src/wasi/memory.js';

const PAGE = 65536;

function errno(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof Errno) return err.errno;
    throw err;
  }
  return C.ERRNO_SUCCESS;
}

for (const shared of [false, true]) {
  const kind = shared ? 'shared' : 'unshared';

  test(`${kind} memory: accesses past the end fail with EFAULT until the memory grows`, () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared });
    const mem = new GuestMemory(() => memory);
    mem.u32set(PAGE - 4, 7);
    assert.equal(mem.u32get(PAGE - 4), 7);
    assert.equal(errno(() => mem.u32get(PAGE - 3)), C.ERRNO_FAULT);
    assert.equal(errno(() => mem.bytes(PAGE, 1)), C.ERRNO_FAULT);
    assert.equal(errno(() => mem.bytes(0xffff_fff0, 0x20)), C.ERRNO_FAULT);
    memory.grow(1);
    // The old views are stale: both the new page and the old one must reach the live memory.
    mem.u32set(PAGE + 8, 9);
    mem.u32set(0, 5);
    const live = new DataView(memory.buffer);
    assert.equal(live.getUint32(PAGE + 8, true), 9);
    assert.equal(live.getUint32(0, true), 5);
    assert.equal(mem.u32get(PAGE - 4), 7);
    assert.equal(errno(() => mem.u32get(2 * PAGE)), C.ERRNO_FAULT);
  });

  test(`${kind} memory: iovecs are read in place and checked before any I/O`, () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared });
    const mem = new GuestMemory(() => memory);
    const dv = new DataView(memory.buffer);
    const at = 1024;
    dv.setUint32(at, 4096, true);
    dv.setUint32(at + 4, 10, true);
    dv.setUint32(at + IOVEC_SIZE, 8192, true);
    dv.setUint32(at + IOVEC_SIZE + 4, 0, true);
    assert.equal(mem.checkIovecs(at, 2), 10);
    assert.equal(mem.iovBuf(at, 0), 4096);
    assert.equal(mem.iovLen(at, 0), 10);
    assert.equal(mem.iovLen(at, 1), 0);
    // A buffer past the end, or an array past the end, is EFAULT.
    dv.setUint32(at + IOVEC_SIZE, PAGE - 4, true);
    dv.setUint32(at + IOVEC_SIZE + 4, 5, true);
    assert.equal(errno(() => mem.checkIovecs(at, 2)), C.ERRNO_FAULT);
    assert.equal(errno(() => mem.checkIovecs(PAGE - 4, 1)), C.ERRNO_FAULT);
  });
}

test('before the guest has a memory, every access is EFAULT', () => {
  const mem = new GuestMemory(() => {
    throw new Errno(C.ERRNO_FAULT);
  });
  assert.equal(errno(() => mem.u8get(0)), C.ERRNO_FAULT);
  assert.equal(errno(() => mem.checkIovecs(0, 1)), C.ERRNO_FAULT);
});
