/**
 * fd_read/fd_write/fd_pread/fd_pwrite with several iovecs: writes are gathered (empty iovecs,
 * one non-empty among empties, more than the reused gather buffer holds), reads scatter and stop
 * at a short read, and an iovec outside memory fails with EFAULT before any byte moves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../../src/wasi/constants.js';
import { MemFs } from '../../../src/wasi/fs/memfs.js';
import { runGuest } from '../../support/guest.js';
import type { Guest } from '../../support/guest.js';

const dec = new TextDecoder();

/** Writes `parts` as one fd_write; returns [errno, bytes written]. */
function writev(g: Guest, fd: number, parts: (string | number)[]): [number, number] {
  const v = g.iovs(parts);
  v.bufs.forEach(([b, l], i) => {
    const p = parts[i];
    if (typeof p === 'number') g.bytes(b, l).fill(0x61 + (i % 26));
  });
  const n = g.alloc(4);
  const e = g.call('fd_write', fd, v.ptr, v.len, n);
  return [e, g.u32(n)];
}

/** The whole file, read with fd_pread. */
function contents(g: Guest, fd: number, size: number): string {
  return g.read(fd, size, 0n);
}

test('writes gather every iovec, whatever their sizes', () => {
  const mfs = new MemFs();
  const code = runGuest(
    [{ guestPath: '/', dir: mfs.root() }],
    (g) => {
      const [e, fd] = g.open(3, 'f', { oflags: C.OFLAGS_CREAT });
      assert.equal(e, C.ERRNO_SUCCESS);
      assert.deepEqual(writev(g, fd, ['', 'one', '']), [C.ERRNO_SUCCESS, 3]);
      assert.deepEqual(writev(g, fd, ['a', '', 'bc', 'd']), [C.ERRNO_SUCCESS, 4]);
      assert.deepEqual(writev(g, fd, ['', '']), [C.ERRNO_SUCCESS, 0]);
      assert.deepEqual(writev(g, fd, []), [C.ERRNO_SUCCESS, 0]);
      assert.equal(contents(g, fd, 100), 'oneabcd');
      // More than the reused gather buffer (64 KiB): a buffer of its own, same bytes.
      const [e2, big] = g.open(3, 'big', { oflags: C.OFLAGS_CREAT });
      assert.equal(e2, C.ERRNO_SUCCESS);
      assert.deepEqual(writev(g, big, [40_000, 'x', 40_000]), [C.ERRNO_SUCCESS, 80_001]);
      const back = g.read(big, 80_001, 0n);
      assert.equal(back, 'a'.repeat(40_000) + 'x' + 'c'.repeat(40_000));
      // And a small gather after it still uses only its own bytes.
      assert.deepEqual(writev(g, fd, ['E', 'F']), [C.ERRNO_SUCCESS, 2]);
      assert.equal(contents(g, fd, 100), 'oneabcdEF');
    },
    4,
  );
  assert.equal(code, 0);
});

test('reads scatter over the iovecs and stop at a short read; pread and pwrite too', () => {
  const mfs = new MemFs();
  mfs.writeFile('f', new TextEncoder().encode('0123456789'));
  const code = runGuest([{ guestPath: '/', dir: mfs.root() }], (g) => {
    const [e, fd] = g.open(3, 'f', { rights: C.RIGHTS_FD_READ | C.RIGHTS_FD_SEEK });
    assert.equal(e, C.ERRNO_SUCCESS);
    const v = g.iovs([3, 0, 4, 100, 5]);
    const n = g.alloc(4);
    assert.equal(g.call('fd_read', fd, v.ptr, v.len, n), C.ERRNO_SUCCESS);
    assert.equal(g.u32(n), 10);
    const part = (i: number, len: number): string => dec.decode(g.bytes(v.bufs[i]![0], len).slice());
    assert.deepEqual([part(0, 3), part(2, 4), part(3, 3)], ['012', '3456', '789']);
    assert.equal(g.call('fd_read', fd, v.ptr, v.len, n), C.ERRNO_SUCCESS);
    assert.equal(g.u32(n), 0);
    // pread at an offset fills the iovecs in order and leaves the descriptor's offset alone.
    assert.equal(g.call('fd_pread', fd, v.ptr, v.len, 5n, n), C.ERRNO_SUCCESS);
    assert.equal(g.u32(n), 5);
    assert.deepEqual([part(0, 3), part(2, 2)], ['567', '89']);
    const w = g.iovs(['AB', '', 'C']);
    assert.equal(g.call('fd_pwrite', fd, w.ptr, w.len, 2n, n), C.ERRNO_NOTCAPABLE);
    const [e2, rw] = g.open(3, 'f', { rights: C.RIGHTS_REGULAR_FILE_BASE });
    assert.equal(e2, C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_pwrite', rw, w.ptr, w.len, 2n, n), C.ERRNO_SUCCESS);
    assert.equal(g.u32(n), 3);
    assert.equal(g.read(rw, 100, 0n), '01ABC56789');
  });
  assert.equal(code, 0);
});

test('an iovec outside memory fails with EFAULT before anything is read or written', () => {
  const mfs = new MemFs();
  mfs.writeFile('f', new TextEncoder().encode('data'));
  const code = runGuest([{ guestPath: '/', dir: mfs.root() }], (g) => {
    const [e, fd] = g.open(3, 'f', { rights: C.RIGHTS_REGULAR_FILE_BASE });
    assert.equal(e, C.ERRNO_SUCCESS);
    const v = g.iovs(['xy', 'z']);
    // The second buffer runs past the end of memory.
    g.view().setUint32(v.ptr + 8, g.memory.buffer.byteLength, true);
    const n = g.alloc(4);
    assert.equal(g.call('fd_write', fd, v.ptr, v.len, n), C.ERRNO_FAULT);
    assert.equal(g.call('fd_read', fd, v.ptr, v.len, n), C.ERRNO_FAULT);
    assert.equal(g.call('fd_write', fd, g.memory.buffer.byteLength - 4, 1, n), C.ERRNO_FAULT);
    assert.equal(g.read(fd, 100, 0n), 'data');
  });
  assert.equal(code, 0);
});
