/**
 * The guest's file descriptor table: each entry is a handle plus the WASI rights and flags that
 * belong to the descriptor (not to the file).
 */
import * as C from './constants.js';
import { fail } from './errno.js';
import type { DirEntry, DirHandle, FileHandle } from './fs/types.js';

/** One descriptor. `offset` is ours: Node.js has no lseek, so positioned I/O is used throughout. */
export interface FdEntry {
  readonly handle: FileHandle | DirHandle;
  rightsBase: bigint;
  rightsInheriting: bigint;
  fdflags: number;
  offset: number;
  /** The guest path of a preopened directory. */
  readonly preopen?: string;
  /** The directory listing the last `fd_readdir` with cookie 0 took; later cookies index into it. */
  dirSnapshot?: DirEntry[];
}

/**
 * Upper bound on open descriptors, like RLIMIT_NOFILE: a guest cannot exhaust the keep's fds.
 * A keep serving many connections holds one per connection (keep/network.ts holds at most
 * 16 384 connections).
 */
export const MAX_FDS = 16_384;

/** The descriptor table. */
export class FdTable {
  private readonly entries = new Map<number, FdEntry>();
  /** Every descriptor below this one is taken: the lowest free one is here or above. */
  private lowestFree = 0;

  /** Installs `entry` at exactly `fd` (used for stdio and preopens at start). */
  set(fd: number, entry: FdEntry): void {
    this.entries.set(fd, entry);
  }

  /**
   * Fails with EMFILE (as Linux does at RLIMIT_NOFILE) when no descriptor is free. Syscalls that
   * allocate a descriptor call this before any side effect, so a full table creates nothing.
   */
  checkRoom(): void {
    if (this.entries.size >= MAX_FDS) fail(C.ERRNO_MFILE);
  }

  /** Installs `entry` at the lowest free descriptor number (EMFILE when the table is full). */
  insert(entry: FdEntry): number {
    this.checkRoom();
    let fd = this.lowestFree;
    while (this.entries.has(fd)) fd++;
    this.entries.set(fd, entry);
    this.lowestFree = fd + 1;
    return fd;
  }

  /** The entry for `fd`, EBADF when none; ENOTCAPABLE when it lacks any of `rights`. */
  get(fd: number, rights: bigint = 0n): FdEntry {
    const e = this.entries.get(fd >>> 0);
    if (!e) return fail(C.ERRNO_BADF);
    if ((e.rightsBase & rights) !== rights) fail(C.ERRNO_NOTCAPABLE);
    return e;
  }

  /** Like {@link get} but the handle must be a directory (ENOTDIR otherwise). */
  dir(fd: number, rights: bigint = 0n): FdEntry & { handle: DirHandle } {
    const e = this.entries.get(fd >>> 0);
    if (!e) return fail(C.ERRNO_BADF);
    if (e.handle.kind !== 'dir') return fail(C.ERRNO_NOTDIR);
    if ((e.rightsBase & rights) !== rights) fail(C.ERRNO_NOTCAPABLE);
    return e as FdEntry & { handle: DirHandle };
  }

  /** Like {@link get} but the handle must be file-like (EISDIR for a directory). */
  file(fd: number, rights: bigint = 0n): FdEntry & { handle: FileHandle } {
    const e = this.entries.get(fd >>> 0);
    if (!e) return fail(C.ERRNO_BADF);
    if ((e.rightsBase & rights) !== rights) fail(C.ERRNO_NOTCAPABLE);
    if (e.handle.kind !== 'file') return fail(C.ERRNO_ISDIR);
    return e as FdEntry & { handle: FileHandle };
  }

  has(fd: number): boolean {
    return this.entries.has(fd >>> 0);
  }

  /** Removes `fd` from the table without closing its handle. */
  take(fd: number): FdEntry {
    const e = this.get(fd);
    this.entries.delete(fd >>> 0);
    if (fd >>> 0 < this.lowestFree) this.lowestFree = fd >>> 0;
    return e;
  }

  /** Closes every handle (at guest exit). Errors are ignored: the guest is gone. */
  closeAll(): void {
    for (const e of this.entries.values()) {
      try {
        e.handle.close();
      } catch {
        // nothing to report to
      }
    }
    this.entries.clear();
    this.lowestFree = 0;
  }
}
