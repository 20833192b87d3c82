/**
 * File I/O as tests say it. A FileHandle's read or write of a whole buffer: the interface takes
 * Node.js's (buf, off, len, position), which lets the WASI layer pass all of guest memory without
 * a view. The text of a small file a directory handle opens, and the errno a call fails with.
 */
import assert from 'node:assert/strict';
import { Errno } from '../../src/wasi/errno.js';
import type { DirHandle, FileHandle, OpenRequest } from '../../src/wasi/fs/types.js';

const READ: OpenRequest = { followFinal: true, oflags: 0, read: true, write: false, fdflags: 0 };

export function readAt(h: FileHandle, dst: Uint8Array, position: number | null): number {
  return h.read(dst, 0, dst.length, position);
}

export function writeAt(h: FileHandle, src: Uint8Array, position: number | null): number {
  return h.write(src, 0, src.length, position);
}

/** The text (at most 64 bytes) of the file `path` names in `dir`. */
export function readSmall(dir: DirHandle, path: string): string {
  const h = dir.open(path, READ);
  assert.equal(h.kind, 'file');
  const buf = new Uint8Array(64);
  const n = h.kind === 'file' ? readAt(h, buf, 0) : 0;
  h.close();
  return Buffer.from(buf.subarray(0, n)).toString();
}

/** The errno `fn` fails with; fails the test when it fails otherwise, or not at all. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof Errno) return err.errno;
    throw err;
  }
  return assert.fail('expected an Errno');
}
