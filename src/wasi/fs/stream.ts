/**
 * What every stream-like handle (stdio in a keep, sockets) answers the same way: no size, no
 * preallocation (ESPIPE), no sync, times ignored. Subclasses say what they are (`stat`) and do
 * their I/O.
 */
import * as C from '../constants.js';
import { fail } from '../errno.js';
import type { Filestat } from './types.js';

/** A filestat of a stream of `filetype`: no device, inode, size or times. */
export function streamStat(filetype: number): Filestat {
  return { dev: 0n, ino: 0n, filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
}

/** The calls a stream does not support. */
export abstract class StreamBase {
  readonly kind = 'file' as const;
  readonly seekable = false;
  abstract readonly filetype: number;

  stat(): Filestat {
    return streamStat(this.filetype);
  }
  setSize(): void {
    return fail(C.ERRNO_INVAL);
  }
  allocate(): void {
    return fail(C.ERRNO_SPIPE);
  }
  setTimes(): void {}
  sync(): void {
    return fail(C.ERRNO_INVAL);
  }
  datasync(): void {
    return fail(C.ERRNO_INVAL);
  }
}
