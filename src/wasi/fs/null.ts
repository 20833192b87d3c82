/**
 * The `null` file kind of Enarx.toml: reads hit end of file, writes are discarded.
 */
import * as C from '../constants.js';
import type { FileHandle, Filestat, Readiness } from './types.js';

/** A `/dev/null`-like handle that needs nothing from the host. */
export class NullFile implements FileHandle {
  readonly kind = 'file' as const;
  readonly filetype = C.FILETYPE_CHARACTER_DEVICE;
  readonly seekable = false;
  readonly isTty = false;

  read(): number {
    return 0;
  }
  write(_buf: Uint8Array, _off: number, len: number): number {
    return len;
  }
  stat(): Filestat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  setSize(): void {}
  allocate(): void {}
  setTimes(): void {}
  sync(): void {}
  datasync(): void {}
  poll(): Readiness {
    return { nbytes: 0n, hangup: false };
  }
  close(): void {}
}
