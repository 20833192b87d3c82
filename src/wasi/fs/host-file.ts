/**
 * A file, pipe or character device open on the host (what a host directory's `path_open` gives,
 * and the keep's inherited stdio). Its reads, writes, stat and times go through hostcalls.ts.
 */
import * as fs from 'node:fs';
import * as C from '../constants.js';
import { errnoFromHost, fail, host } from '../errno.js';
import * as sys from './hostcalls.js';
import { filestatOf, filetypeOf } from './hoststat.js';
import type { FileHandle, Filestat, Readiness, TimesUpdate } from './types.js';

const MAX_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

/** A file, pipe or character device open on the host. */
export class HostFile implements FileHandle {
  readonly kind = 'file' as const;
  readonly filetype: number;
  readonly seekable: boolean;
  private tty: boolean | undefined;

  /**
   * `inherited`: a descriptor the keep was given (stdio). It is never closed by the guest and
   * always used as a stream at the kernel's own file offset, even when it is a regular file:
   * the offset is shared with the processes that passed it, and Node.js cannot lseek.
   * `st`: the descriptor's stat, when the caller already has it.
   */
  constructor(
    readonly fd: number,
    private readonly inherited = false,
    st?: sys.HostStat,
  ) {
    const s = st ?? host(() => sys.fstat(fd));
    this.filetype = filetypeOf(s);
    this.seekable = !inherited && (s.isFile() || s.isBlockDevice());
  }

  get isTty(): boolean {
    // node:tty is loaded only for a character device (it brings node:net along).
    this.tty ??= this.filetype === C.FILETYPE_CHARACTER_DEVICE && (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(this.fd);
    return this.tty;
  }

  // The hot paths: no closures, no allocation.
  read(buf: Uint8Array, off: number, len: number, position: number | null): number {
    return len === 0 ? 0 : sys.read(this.fd, buf, off, len, position);
  }

  write(buf: Uint8Array, off: number, len: number, position: number | null): number {
    return len === 0 ? 0 : sys.write(this.fd, buf, off, len, position);
  }

  stat(): Filestat {
    return filestatOf(host(() => sys.fstat(this.fd)));
  }

  setSize(size: bigint): void {
    if (size > MAX_POSITION) fail(C.ERRNO_FBIG);
    host(() => fs.ftruncateSync(this.fd, Number(size)));
  }

  allocate(offset: bigint, len: bigint): void {
    // Node.js has no fallocate(2); growing the file gives the same visible result.
    const end = offset + len;
    if (end > MAX_POSITION) fail(C.ERRNO_FBIG);
    if (this.stat().size < end) host(() => fs.ftruncateSync(this.fd, Number(end)));
  }

  setTimes(times: TimesUpdate): void {
    const cur = times.atim === undefined || times.mtim === undefined ? this.stat() : undefined;
    const atim = times.atim ?? cur!.atim;
    const mtim = times.mtim ?? cur!.mtim;
    host(() => sys.utimensAt(this.fd, '', atim, mtim, true));
  }

  appendOffset(): number {
    return host(() => sys.offsetOf(this.fd));
  }

  setAppend(on: boolean): void {
    // An inherited descriptor's flags are shared with the processes that passed it: left alone.
    if (!this.inherited) host(() => sys.setAppend(this.fd, on));
  }

  sync(): void {
    host(() => fs.fsyncSync(this.fd));
  }

  datasync(): void {
    host(() => fs.fdatasyncSync(this.fd));
  }

  poll(kind: 'read' | 'write'): Readiness | undefined {
    if (this.filetype === C.FILETYPE_REGULAR_FILE && kind === 'read') {
      return { nbytes: this.stat().size, hangup: false };
    }
    // Pipes and terminals: report ready; a following read blocks until data arrives, which is
    // what a poll-then-read loop expects.
    return { nbytes: 0n, hangup: false };
  }

  close(): void {
    if (this.inherited) return;
    try {
      sys.close(this.fd);
    } catch (err) {
      fail(errnoFromHost(err));
    }
  }
}
