/**
 * The filesystem interface behind the WASI layer. Host directories (`hostfs.ts`) and the
 * in-memory filesystem (`memfs.ts`) both implement it; syscalls never know which one they use.
 *
 * Names and paths are {@link ByteString}s, bytes one per code unit (byte-string.ts): a name that
 * is not UTF-8 passes between guest and host exactly, never dropped or rewritten. Paths handed to
 * a {@link DirHandle} are relative, already checked for NUL bytes, and may contain
 * `.`/`..`/empty components: each implementation resolves them itself, so that no path can ever
 * leave the directory handle it was given (`..` past the handle, an absolute symlink or a symlink
 * climbing out all fail with ENOTCAPABLE/EPERM).
 */
import type { ByteString } from './byte-string.js';

/** `filestat` (WASI), all fields as u64. */
export interface Filestat {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly filetype: number;
  readonly nlink: bigint;
  readonly size: bigint;
  readonly atim: bigint;
  readonly mtim: bigint;
  readonly ctim: bigint;
}

/** One directory entry, as `fd_readdir` reports it. */
export interface DirEntry {
  /** The name's bytes, exactly as the directory holds them. */
  readonly name: ByteString;
  readonly ino: bigint;
  readonly filetype: number;
}

/** New access/modification times: a value in ns since the epoch, or undefined to leave alone. */
export interface TimesUpdate {
  readonly atim?: bigint | undefined;
  readonly mtim?: bigint | undefined;
}

/** What `path_open` asks an implementation to do. */
export interface OpenRequest {
  readonly followFinal: boolean;
  /** WASI `oflags`. */
  readonly oflags: number;
  readonly read: boolean;
  readonly write: boolean;
  /** WASI `fdflags` DSYNC/RSYNC/SYNC map to O_DSYNC/O_RSYNC/O_SYNC where supported. */
  readonly fdflags: number;
}

/** Readiness of a handle for `poll_oneoff`. */
export interface Readiness {
  /** Bytes available (read) or writable without blocking; best effort. */
  readonly nbytes: bigint;
  readonly hangup: boolean;
}

/** Anything an fd can refer to. */
export interface Handle {
  readonly filetype: number;
  /** Whether fd_seek/fd_tell/pread/pwrite apply. */
  readonly seekable: boolean;
  stat(): Filestat;
  setTimes(times: TimesUpdate): void;
  sync(): void;
  datasync(): void;
  close(): void;
}

/** A file-like handle: regular file, character device, pipe, socket. */
export interface FileHandle extends Handle {
  readonly kind: 'file';
  /**
   * Reads into `buf[off, off + len)` at `position` (seekable) or the stream's current position
   * (`null`), as `fs.readSync` takes them: `buf` is often the whole of guest memory, so the hot
   * path makes no view per call. Returns bytes read, 0 at EOF.
   */
  read(buf: Uint8Array, off: number, len: number, position: number | null): number;
  /**
   * Writes `buf[off, off + len)` at `position` (seekable) or to the stream (`null`). Returns
   * bytes written. `buf` is valid only during the call (guest memory or a reused buffer).
   */
  write(buf: Uint8Array, off: number, len: number, position: number | null): number;
  setSize(size: bigint): void;
  allocate(offset: bigint, len: bigint): void;
  /** Whether a read/write would not block now (undefined: it would). */
  poll(kind: 'read' | 'write'): Readiness | undefined;
  /**
   * Blocks up to `timeoutMs` until a read would not block; true when it would not. Only handles
   * whose reads can wait (a keep's stdin) have it: `poll_oneoff` waits on them instead of spinning.
   */
  waitReadable?(timeoutMs: number): boolean;
  /**
   * What `poll_oneoff` sleeps on while this handle is not ready (sockets: the keep's doorbell).
   * Handles that share one waiter are waited on together.
   */
  readonly waiter?: Waiter;
  /**
   * Turns O_NONBLOCK on or off for handles whose reads and writes can wait (for others it is only
   * a flag). WASI has no dup, so the descriptor's flag and its handle's are one.
   */
  setNonblocking?(on: boolean): void;
  /**
   * Present when the host appends for this handle (a file whose host descriptor carries O_APPEND
   * while the guest's does, {@link setAppend}): an APPEND write then goes at no position, so the
   * kernel puts it at the end in one step whoever else is appending, and the descriptor's offset
   * after it is read back here. Without it, the WASI layer appends at the size it last saw.
   */
  appendOffset?(): number;
  /** Turns the host's O_APPEND on or off with the guest's APPEND flag (see {@link appendOffset}). */
  setAppend?(on: boolean): void;
  /** The socket operations, on a socket. */
  readonly socket?: SocketOps;
  /** Whether this is a terminal (for `isatty`-style rights decisions). */
  readonly isTty: boolean;
}

/** An epoch that moves whenever the readiness of the handles that share it may have changed. */
export interface Waiter {
  epoch(): number;
  /** Blocks until the epoch is no longer `seen`, or `timeoutMs` passes. */
  wait(seen: number, timeoutMs: number): void;
}

/** What a socket descriptor does beyond reads and writes (`sock_*`). Errors are thrown as Errno. */
export interface SocketOps {
  /** A listening socket accepts; a connected one does not (EINVAL). */
  readonly listening: boolean;
  /** The next connection (EAGAIN when none is waiting and this socket is non-blocking). */
  accept(): FileHandle;
  /** Reads like `read`, leaving the bytes queued when `peek`, filling all of `dst` when `waitall`. */
  recv(dst: Uint8Array, peek: boolean, waitall: boolean): number;
  /** Shuts down the read side, the write side, or both. */
  shutdown(read: boolean, write: boolean): void;
}

/** A directory handle: the capability to reach what is beneath it, and nothing else. */
export interface DirHandle extends Handle {
  readonly kind: 'dir';
  /** All entries including `.` and `..`, in a stable order for this snapshot. */
  readdir(): DirEntry[];
  open(path: ByteString, req: OpenRequest): FileHandle | DirHandle;
  statAt(path: ByteString, followFinal: boolean): Filestat;
  setTimesAt(path: ByteString, followFinal: boolean, times: TimesUpdate): void;
  mkdir(path: ByteString): void;
  rmdir(path: ByteString): void;
  unlink(path: ByteString): void;
  /** Renames within this filesystem; `target` must be a directory of the same implementation (else EXDEV). */
  rename(path: ByteString, target: DirHandle, targetPath: ByteString): void;
  link(path: ByteString, followFinal: boolean, target: DirHandle, targetPath: ByteString): void;
  symlink(linkTarget: ByteString, path: ByteString): void;
  /** The link's target, its bytes exactly. */
  readlink(path: ByteString): ByteString;
}
