/**
 * The system calls the WASI layer makes on the host's files, through our own small Node-API
 * module (native/hostcalls.c, committed as native/hostcalls.node, built by native/build.sh with
 * Debian's clang-19 and measured with the keep runtime).
 *
 * Why not `node:fs`: it has no `openat(2)` family, so a name inside an open directory could only
 * be reached through `/proc/<pid>/fd/N/name`, which costs the kernel a lookup of that magic link
 * on every call; and each `fs` call costs ~1–2 µs of JavaScript and binding on top of the system
 * call, where node:wasi's are C. Measured on CPython files.py in process (2026-12-06, 6
 * alternating runs): 1142 ms through `fs` and /proc paths, 846 ms through these calls, 870 ms
 * under node:wasi. Everything here is relative to an open descriptor (never the working
 * directory or the root: the module refuses AT_FDCWD and absolute paths), names are ByteStrings
 * (their bytes, any but NUL), and a failure throws an error with Node.js's `code` (`'ENOENT'` …),
 * which {@link errnoFromHost} maps, so callers treat these calls as they treated `fs`'s.
 */
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { blockingSleep } from '../context.js';
import { errnoFromHost, fail } from '../errno.js';
import type { ByteString } from './byte-string.js';

/** native/hostcalls.c's exports: each returns -errno on failure. */
interface Native {
  read(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  stat(fd: number, path: ByteString, follow: 0 | 1, out: BigInt64Array): number;
  open(fd: number, path: ByteString, flags: number, mode: number): number;
  close(fd: number): number;
  offset(fd: number): number;
  append(fd: number, on: 0 | 1): number;
  mkdir(fd: number, path: ByteString, mode: number): number;
  unlink(fd: number, path: ByteString, dir: 0 | 1): number;
  rename(fd: number, path: ByteString, toFd: number, toPath: ByteString): number;
  link(fd: number, path: ByteString, toFd: number, toPath: ByteString): number;
  symlink(target: ByteString, fd: number, path: ByteString): number;
  readlink(fd: number, path: ByteString): ByteString | number;
  utimens(fd: number, path: ByteString, atim: bigint, mtim: bigint, follow: 0 | 1): number;
  readdir(fd: number): (ByteString | bigint | number)[] | number;
}

let loaded: Native | undefined;

/**
 * The module beside this file (the build copies native/hostcalls.node into dist/src/wasi/fs/ and
 * into the keep bundle), loaded at the first call: a process that imports this code without
 * touching a host file (the CLI, a keep's main thread) never loads it. Every call below goes
 * through this one object (a test counts them by wrapping its methods).
 */
export function lib(): Native {
  if (loaded === undefined) {
    const mod = { exports: {} as Record<string, unknown> };
    const file = fileURLToPath(new URL('./hostcalls.node', import.meta.url));
    try {
      process.dlopen(mod, file);
    } catch (err) {
      // It is built for Linux on x86-64, what the pinned keep engine runs on.
      throw new Error(`the WASI layer's host calls (${file}) do not load here (${process.platform}-${process.arch}): ${(err as Error).message}`);
    }
    // Its functions are read-only properties: a plain copy of them is the object calls go through.
    loaded = Object.fromEntries(Object.getOwnPropertyNames(mod.exports).map((k) => [k, mod.exports[k]])) as unknown as Native;
  }
  return loaded;
}

let errnoNames: string[] | undefined;

/** The name (`'ENOENT'` …) of a Linux errno number; the table is made at the first failure. */
function errnoName(n: number): string | undefined {
  if (errnoNames === undefined) {
    errnoNames = [];
    for (const [name, v] of Object.entries(constants.errno)) errnoNames[v] ??= name;
  }
  return errnoNames[n];
}
const ENOENT = constants.errno.ENOENT;
const EAGAIN = constants.errno.EAGAIN;

/** A failed host call, as Node.js's `fs` reports one (`code`). One shared instance per errno: no stack is captured per failure. */
export class HostCallError extends Error {
  override readonly name = 'HostCallError';
  constructor(readonly code: string) {
    super(`host call failed: ${code}`);
  }
}

const ERRORS: HostCallError[] = [];

function check(r: number): number {
  if (r >= 0) return r;
  throw (ERRORS[-r] ??= new HostCallError(errnoName(-r) ?? `errno ${-r}`));
}

const S_IFMT = 0o170000;

/** What `stat` found: the fields the WASI layer uses, as `fs.BigIntStats` names them. */
export class HostStat {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: number;
  readonly nlink: bigint;
  readonly size: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;

  constructor(o: BigInt64Array) {
    this.dev = o[0]!;
    this.ino = o[1]!;
    this.mode = Number(o[2]!);
    this.nlink = o[3]!;
    this.size = o[4]!;
    this.atimeNs = o[5]!;
    this.mtimeNs = o[6]!;
    this.ctimeNs = o[7]!;
  }

  /** The file-type bits of the mode, >> 12: the same numbers as a directory entry's d_type. */
  get type(): number {
    return (this.mode & S_IFMT) >> 12;
  }

  isFile(): boolean {
    return (this.mode & S_IFMT) === 0o100000;
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === 0o040000;
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === 0o120000;
  }
  isBlockDevice(): boolean {
    return (this.mode & S_IFMT) === 0o060000;
  }
}

const statOut = new BigInt64Array(8);

/**
 * read(2)/pread(2) into `buf[off, off + len)` at `pos` (null: the descriptor's own offset), as a
 * WASI errno on failure; EAGAIN (a non-blocking stdio pipe) waits and tries again.
 */
export function read(fd: number, buf: Uint8Array, off: number, len: number, pos: number | null): number {
  return transfer(lib().read, fd, buf, off, len, pos);
}

/** write(2)/pwrite(2) of `buf[off, off + len)`, as {@link read}. */
export function write(fd: number, buf: Uint8Array, off: number, len: number, pos: number | null): number {
  return transfer(lib().write, fd, buf, off, len, pos);
}

function transfer(op: Native['read'], fd: number, buf: Uint8Array, off: number, len: number, pos: number | null): number {
  for (;;) {
    const r = op(fd, buf, off, len, pos ?? -1);
    if (r >= 0) return r;
    if (r !== -EAGAIN) return fail(errnoOf(r));
    blockingSleep(1_000_000n);
  }
}

/** The WASI errno of a call's -errno result. */
function errnoOf(r: number): number {
  return errnoFromHost({ code: errnoName(-r) });
}

/** fstat(2) of `fd`. */
export function fstat(fd: number): HostStat {
  check(lib().stat(fd, '', 0, statOut));
  return new HostStat(statOut);
}

/** fstatat(2) of `path` below `fd` (`follow`: a final symlink is followed); undefined when nothing is there. */
export function statAt(fd: number, path: ByteString, follow: boolean): HostStat | undefined {
  const r = lib().stat(fd, path, follow ? 1 : 0, statOut);
  if (r === -ENOENT) return undefined;
  check(r);
  return new HostStat(statOut);
}

/** openat(2), always O_CLOEXEC; close the descriptor with {@link close}. */
export function openAt(fd: number, path: ByteString, flags: number, mode: number): number {
  return check(lib().open(fd, path, flags, mode));
}

/**
 * close(2). Every descriptor these calls opened is closed here, not by `fs.closeSync`: Node.js
 * warns when it closes a descriptor it did not open.
 */
export function close(fd: number): void {
  check(lib().close(fd));
}

/** The descriptor's own file offset (where a write at no position went, or began). */
export function offsetOf(fd: number): number {
  return check(lib().offset(fd));
}

/** Sets or clears O_APPEND on the open file: each write then lands at the end, atomically. */
export function setAppend(fd: number, on: boolean): void {
  check(lib().append(fd, on ? 1 : 0));
}

export function mkdirAt(fd: number, path: ByteString, mode: number): void {
  check(lib().mkdir(fd, path, mode));
}

/** unlinkat(2); `dir` removes a directory. */
export function unlinkAt(fd: number, path: ByteString, dir: boolean): void {
  check(lib().unlink(fd, path, dir ? 1 : 0));
}

export function renameAt(fd: number, path: ByteString, toFd: number, toPath: ByteString): void {
  check(lib().rename(fd, path, toFd, toPath));
}

/** linkat(2) without following a final symlink. */
export function linkAt(fd: number, path: ByteString, toFd: number, toPath: ByteString): void {
  check(lib().link(fd, path, toFd, toPath));
}

export function symlinkAt(target: ByteString, fd: number, path: ByteString): void {
  check(lib().symlink(target, fd, path));
}

/** A symlink's target, its bytes exactly. */
export function readlinkAt(fd: number, path: ByteString): ByteString {
  const r = lib().readlink(fd, path);
  if (typeof r === 'number') check(r);
  return r as ByteString;
}

/** utimensat(2) with both times in ns (`path` '': futimens of `fd`). */
export function utimensAt(fd: number, path: ByteString, atim: bigint, mtim: bigint, follow: boolean): void {
  check(lib().utimens(fd, path, atim, mtim, follow ? 1 : 0));
}

/** One entry of a directory listing as readdir(3) gives it. */
export interface RawDirEntry {
  readonly name: ByteString;
  /** d_ino: what lstat would give as st_ino (for a mount point, the folder under it, as on Linux). */
  readonly ino: bigint;
  /** d_type: st_mode's file-type bits >> 12, or 0 when the file system does not say (DT_UNKNOWN). */
  readonly type: number;
}

/** The entries of the directory `fd`, without `.` and `..`, in the file system's order. */
export function readdirAt(fd: number): RawDirEntry[] {
  const r = lib().readdir(fd);
  if (typeof r === 'number') check(r);
  const flat = r as (ByteString | bigint | number)[];
  const entries: RawDirEntry[] = [];
  for (let i = 0; i < flat.length; i += 3) entries.push({ name: flat[i] as ByteString, ino: flat[i + 1] as bigint, type: flat[i + 2] as number });
  return entries;
}
