/**
 * A FileHandle's read or write of a whole buffer, as tests say it: the interface takes Node.js's
 * (buf, off, len, position), which lets the WASI layer pass all of guest memory without a view.
 */
import type { FileHandle } from '../../src/wasi/fs/types.js';

export function readAt(h: FileHandle, dst: Uint8Array, position: number | null): number {
  return h.read(dst, 0, dst.length, position);
}

export function writeAt(h: FileHandle, src: Uint8Array, position: number | null): number {
  return h.write(src, 0, src.length, position);
}
