/**
 * fd_* syscalls: I/O, seeking, metadata and descriptor management.
 */
import * as C from '../constants.js';
import { Errno, fail } from '../errno.js';
import type { WasiContext } from '../context.js';
import type { GuestMemory } from '../memory.js';
import type { DirEntry, FileHandle, Filestat, TimesUpdate } from '../fs/types.js';
import { encodeUtf8 } from '../memory.js';

const MAX_I64 = (1n << 63n) - 1n;
/**
 * File positions are numbers on the hot paths (a BigInt allocates at every step): exact up to
 * 2^53 − 1 bytes (8 PiB), past any file a keep holds. A guest's position beyond it is EFBIG for
 * I/O and EINVAL for a seek, as Linux answers past a filesystem's largest file.
 */
const MAX_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

/** Writes a `filestat` (64 bytes). */
export function writeFilestat(ctx: WasiContext, ptr: number, s: Filestat): void {
  const m = ctx.mem;
  m.check(ptr >>> 0, 64);
  m.u64set(ptr, s.dev);
  m.u64set(ptr + 8, s.ino);
  m.u8set(ptr + 16, s.filetype);
  m.u64set(ptr + 24, s.nlink);
  m.u64set(ptr + 32, s.size);
  m.u64set(ptr + 40, s.atim);
  m.u64set(ptr + 48, s.mtim);
  m.u64set(ptr + 56, s.ctim);
}

/** Resolves `fstflags` to the times to set; EINVAL on contradictory flags. */
export function timesFromFlags(ctx: WasiContext, atim: bigint, mtim: bigint, fstflags: number): TimesUpdate {
  if (fstflags & ~0xf) fail(C.ERRNO_INVAL);
  if (fstflags & C.FSTFLAGS_ATIM && fstflags & C.FSTFLAGS_ATIM_NOW) fail(C.ERRNO_INVAL);
  if (fstflags & C.FSTFLAGS_MTIM && fstflags & C.FSTFLAGS_MTIM_NOW) fail(C.ERRNO_INVAL);
  const now = fstflags & (C.FSTFLAGS_ATIM_NOW | C.FSTFLAGS_MTIM_NOW) ? ctx.clocks.realtime() : 0n;
  return {
    atim: fstflags & C.FSTFLAGS_ATIM ? atim : fstflags & C.FSTFLAGS_ATIM_NOW ? now : undefined,
    mtim: fstflags & C.FSTFLAGS_MTIM ? mtim : fstflags & C.FSTFLAGS_MTIM_NOW ? now : undefined,
  };
}

/** Gathers larger than this get a buffer of their own rather than one kept for the next call. */
const GATHER_SCRATCH_MAX = 64 * 1024;

/** Where one instance gathers several iovecs into one write: reused, as no handle keeps `src`. */
export interface GatherScratch {
  buf: Uint8Array;
}

/**
 * Reads into the `count` iovecs at `iovs`, one host call per non-empty iovec, stopping at a
 * short read, straight into guest memory: no view is made.
 */
function readv(mem: GuestMemory, h: FileHandle, iovs: number, count: number, pos: number | null): number {
  mem.checkIovecs(iovs, count);
  if (count === 1) {
    const len = mem.iovLen(iovs, 0);
    return len === 0 ? 0 : h.read(mem.view, mem.iovBuf(iovs, 0), len, pos);
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    const len = mem.iovLen(iovs, i);
    if (len === 0) continue;
    // A stream reads what is there: past the first bytes, the next iovec must not wait.
    if (total > 0 && pos === null && !h.seekable && h.poll('read') === undefined) break;
    const n = h.read(mem.view, mem.iovBuf(iovs, i), len, pos === null ? null : pos + total);
    total += n;
    if (n < len) break;
  }
  return total;
}

/** The bytes of `count` iovecs holding `len` bytes in all, as one view (gathered when need be). */
function gather(mem: GuestMemory, scratch: GatherScratch, iovs: number, count: number, len: number): Uint8Array {
  // stdio line buffers arrive as several iovecs, often all but one empty.
  for (let i = 0; i < count; i++) {
    const n = mem.iovLen(iovs, i);
    if (n === len) return mem.bytes(mem.iovBuf(iovs, i), n);
    if (n !== 0) break;
  }
  if (len > GATHER_SCRATCH_MAX) return gatherInto(mem, iovs, count, new Uint8Array(len));
  if (scratch.buf.length < len) scratch.buf = new Uint8Array(GATHER_SCRATCH_MAX);
  return gatherInto(mem, iovs, count, scratch.buf).subarray(0, len);
}

function gatherInto(mem: GuestMemory, iovs: number, count: number, dst: Uint8Array): Uint8Array {
  const u8 = mem.view;
  let off = 0;
  for (let i = 0; i < count; i++) {
    const base = mem.iovBuf(iovs, i);
    const n = mem.iovLen(iovs, i);
    if (n === 0) continue;
    if (n <= 16) for (let j = 0; j < n; j++) dst[off + j] = u8[base + j]!;
    else dst.set(u8.subarray(base, base + n), off);
    off += n;
  }
  return dst;
}

/** Writes the `count` iovecs at `iovs` in one host write (gathered), going on after a short one. */
export function writev(mem: GuestMemory, scratch: GatherScratch, h: FileHandle, iovs: number, count: number, pos: number | null): number {
  const len = mem.checkIovecs(iovs, count);
  if (len === 0) return 0;
  // One iovec (nearly every write) is written from guest memory as it is; several are gathered.
  const src = count === 1 ? mem.view : gather(mem, scratch, iovs, count, len);
  const off = count === 1 ? mem.iovBuf(iovs, 0) : 0;
  let written = 0;
  // Streams may accept part of a write; keep going so stdout stays byte-exact. An error after
  // some bytes went out reports those bytes (like write(2)); the next call sees the error.
  while (written < len) {
    let n: number;
    try {
      n = h.write(src, off + written, len - written, pos === null ? null : pos + written);
    } catch (err) {
      if (written > 0 && err instanceof Errno) return written;
      throw err;
    }
    if (n <= 0) break;
    written += n;
  }
  return written;
}

/**
 * `dirent` (wasi_snapshot_preview1.witx), then the name's bytes:
 *   d_next: dircookie (u64) · d_ino: inode (u64) · d_namlen: u32 · d_type: filetype (u8) · 3 bytes padding
 */
const DIRENT_SIZE = 24;

/** The `dirent` header of entry `i` (its cookie is i + 1). */
function direntHeader(i: number, ent: DirEntry): Uint8Array {
  const header = new Uint8Array(DIRENT_SIZE);
  const v = new DataView(header.buffer);
  v.setBigUint64(0, BigInt(i + 1), true);
  v.setBigUint64(8, ent.ino, true);
  v.setUint32(16, ent.name.length, true);
  v.setUint8(20, ent.filetype);
  return header;
}

/**
 * Writes the entries from `cookie` on into [buf, buf+bufLen), each a header and the name's
 * bytes; the last one is cut where the buffer ends (which tells the guest to ask again with a
 * larger buffer). Returns the bytes written.
 */
function writeDirents(mem: GuestMemory, buf: number, bufLen: number, entries: readonly DirEntry[], cookie: bigint): number {
  mem.check(buf, bufLen);
  let used = 0;
  for (let i = cookie > BigInt(entries.length) ? entries.length : Number(cookie); i < entries.length; i++) {
    const ent = entries[i]!;
    const room = bufLen - used;
    const size = DIRENT_SIZE + ent.name.length;
    const header = direntHeader(i, ent);
    mem.write(buf + used, room < DIRENT_SIZE ? header.subarray(0, room) : header);
    if (room > DIRENT_SIZE) mem.writeByteString(buf + used + DIRENT_SIZE, ent.name, Math.min(ent.name.length, room - DIRENT_SIZE));
    used += Math.min(room, size);
    if (room <= size) break;
  }
  return used;
}

/** fd_* syscalls. */
export function fdSyscalls(ctx: WasiContext) {
  const { mem, fds } = ctx;
  const scratch: GatherScratch = { buf: new Uint8Array(0) };
  return {
    fd_advise: (fd: number, offset: bigint, len: bigint, advice: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_ADVISE);
      if (e.handle.kind === 'dir') return C.ERRNO_BADF;
      if (advice > C.ADVICE_MAX || offset < 0n || len < 0n) return C.ERRNO_INVAL;
      return C.ERRNO_SUCCESS;
    },

    fd_allocate: (fd: number, offset: bigint, len: bigint) => {
      const e = fds.get(fd, C.RIGHTS_FD_ALLOCATE);
      if (e.handle.kind === 'dir') return C.ERRNO_BADF;
      if (len === 0n) return C.ERRNO_INVAL;
      if (offset + len > MAX_I64) return C.ERRNO_FBIG;
      if (!e.handle.seekable) return C.ERRNO_SPIPE;
      e.handle.allocate(offset, len);
      return C.ERRNO_SUCCESS;
    },

    fd_close: (fd: number) => {
      const e = fds.take(fd);
      e.handle.close();
      return C.ERRNO_SUCCESS;
    },

    fd_datasync: (fd: number) => {
      fds.get(fd, C.RIGHTS_FD_DATASYNC).handle.datasync();
      return C.ERRNO_SUCCESS;
    },

    fd_sync: (fd: number) => {
      fds.get(fd, C.RIGHTS_FD_SYNC).handle.sync();
      return C.ERRNO_SUCCESS;
    },

    fd_fdstat_get: (fd: number, ptr: number) => {
      const e = fds.get(fd);
      mem.check(ptr >>> 0, 24);
      mem.u8set(ptr, e.handle.filetype);
      mem.u16set(ptr + 2, e.fdflags);
      mem.u64set(ptr + 8, e.rightsBase);
      mem.u64set(ptr + 16, e.rightsInheriting);
      return C.ERRNO_SUCCESS;
    },

    fd_fdstat_set_flags: (fd: number, flags: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_FDSTAT_SET_FLAGS);
      if (flags & ~C.FDFLAGS_ALL) return C.ERRNO_INVAL;
      // Only APPEND and NONBLOCK can change after open (like Linux fcntl F_SETFL).
      const changeable = C.FDFLAGS_APPEND | C.FDFLAGS_NONBLOCK;
      if ((flags & ~changeable) !== (e.fdflags & ~changeable)) return C.ERRNO_NOTSUP;
      if (e.handle.kind === 'file') {
        e.handle.setNonblocking?.((flags & C.FDFLAGS_NONBLOCK) !== 0);
        if ((flags ^ e.fdflags) & C.FDFLAGS_APPEND) e.handle.setAppend?.((flags & C.FDFLAGS_APPEND) !== 0);
      }
      e.fdflags = flags;
      return C.ERRNO_SUCCESS;
    },

    fd_fdstat_set_rights: (fd: number, base: bigint, inheriting: bigint) => {
      const e = fds.get(fd);
      if ((base & ~e.rightsBase) !== 0n || (inheriting & ~e.rightsInheriting) !== 0n) return C.ERRNO_NOTCAPABLE;
      e.rightsBase = base;
      e.rightsInheriting = inheriting;
      return C.ERRNO_SUCCESS;
    },

    fd_filestat_get: (fd: number, ptr: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_FILESTAT_GET);
      writeFilestat(ctx, ptr, e.handle.stat());
      return C.ERRNO_SUCCESS;
    },

    fd_filestat_set_size: (fd: number, size: bigint) => {
      const e = fds.get(fd, C.RIGHTS_FD_FILESTAT_SET_SIZE);
      if (e.handle.kind === 'dir') return C.ERRNO_ISDIR;
      if (size > MAX_I64) return C.ERRNO_FBIG;
      e.handle.setSize(size);
      return C.ERRNO_SUCCESS;
    },

    fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, fstflags: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_FILESTAT_SET_TIMES);
      e.handle.setTimes(timesFromFlags(ctx, atim, mtim, fstflags));
      return C.ERRNO_SUCCESS;
    },

    fd_pread: (fd: number, iovsPtr: number, iovsLen: number, offset: bigint, nreadPtr: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_READ | C.RIGHTS_FD_SEEK);
      if (e.handle.kind === 'dir') return C.ERRNO_ISDIR;
      if (!e.handle.seekable) return C.ERRNO_SPIPE;
      if (offset > MAX_I64) return C.ERRNO_INVAL;
      if (offset > MAX_POSITION) return C.ERRNO_FBIG;
      const n = readv(mem, e.handle, iovsPtr, iovsLen, Number(offset));
      mem.u32set(nreadPtr, n);
      return C.ERRNO_SUCCESS;
    },

    fd_pwrite: (fd: number, iovsPtr: number, iovsLen: number, offset: bigint, nwrittenPtr: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_WRITE | C.RIGHTS_FD_SEEK);
      if (e.handle.kind === 'dir') return C.ERRNO_ISDIR;
      if (!e.handle.seekable) return C.ERRNO_SPIPE;
      if (offset > MAX_I64) return C.ERRNO_INVAL;
      if (offset > MAX_POSITION) return C.ERRNO_FBIG;
      // POSIX leaves pwrite on an O_APPEND descriptor to the implementation; Linux appends (and
      // does so itself on a host file that carries O_APPEND).
      const appendHere = e.fdflags & C.FDFLAGS_APPEND && !e.handle.appendOffset;
      const pos = Number(appendHere ? e.handle.stat().size : offset);
      const n = writev(mem, scratch, e.handle, iovsPtr, iovsLen, pos);
      mem.u32set(nwrittenPtr, n);
      return C.ERRNO_SUCCESS;
    },

    fd_read: (fd: number, iovsPtr: number, iovsLen: number, nreadPtr: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_READ);
      const h = e.handle;
      if (h.kind === 'dir') return C.ERRNO_ISDIR;
      let n: number;
      if (h.seekable) {
        n = readv(mem, h, iovsPtr, iovsLen, e.offset);
        e.offset += n;
      } else {
        n = readv(mem, h, iovsPtr, iovsLen, null);
      }
      mem.u32set(nreadPtr, n);
      return C.ERRNO_SUCCESS;
    },

    fd_write: (fd: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_WRITE);
      const h = e.handle;
      if (h.kind === 'dir') return C.ERRNO_ISDIR;
      let n: number;
      if (h.seekable && e.fdflags & C.FDFLAGS_APPEND && h.appendOffset) {
        n = writev(mem, scratch, h, iovsPtr, iovsLen, null);
        e.offset = h.appendOffset();
      } else if (h.seekable) {
        if (e.fdflags & C.FDFLAGS_APPEND) e.offset = Number(h.stat().size);
        n = writev(mem, scratch, h, iovsPtr, iovsLen, e.offset);
        e.offset += n;
      } else {
        n = writev(mem, scratch, h, iovsPtr, iovsLen, null);
      }
      mem.u32set(nwrittenPtr, n);
      return C.ERRNO_SUCCESS;
    },

    fd_prestat_get: (fd: number, ptr: number) => {
      const e = fds.get(fd);
      if (e.preopen === undefined) return C.ERRNO_BADF;
      mem.check(ptr >>> 0, 8);
      mem.u8set(ptr, C.PREOPENTYPE_DIR);
      mem.u32set(ptr + 4, encodeUtf8(e.preopen).length);
      return C.ERRNO_SUCCESS;
    },

    fd_prestat_dir_name: (fd: number, pathPtr: number, pathLen: number) => {
      const e = fds.get(fd);
      if (e.preopen === undefined) return C.ERRNO_BADF;
      const name = encodeUtf8(e.preopen);
      if (pathLen >>> 0 < name.length) return C.ERRNO_NAMETOOLONG;
      mem.write(pathPtr, name);
      return C.ERRNO_SUCCESS;
    },

    fd_readdir: (fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number) => {
      const e = fds.dir(fd, C.RIGHTS_FD_READDIR);
      if (cookie === 0n || e.dirSnapshot === undefined) e.dirSnapshot = e.handle.readdir();
      const used = writeDirents(mem, buf >>> 0, bufLen >>> 0, e.dirSnapshot, cookie);
      mem.u32set(bufusedPtr, used);
      return C.ERRNO_SUCCESS;
    },

    fd_renumber: (from: number, to: number) => {
      const src = fds.get(from);
      if (!fds.has(to)) return C.ERRNO_BADF;
      if (from >>> 0 === to >>> 0) return C.ERRNO_SUCCESS;
      const old = fds.take(to);
      fds.take(from);
      fds.set(to >>> 0, src);
      old.handle.close();
      return C.ERRNO_SUCCESS;
    },

    fd_seek: (fd: number, offset: bigint, whence: number, newOffsetPtr: number) => {
      const tell = whence === C.WHENCE_CUR && offset === 0n;
      const e = fds.get(fd, tell ? C.RIGHTS_FD_TELL : C.RIGHTS_FD_SEEK);
      if (e.handle.kind === 'dir') return C.ERRNO_BADF;
      if (!e.handle.seekable) return C.ERRNO_SPIPE;
      let base: bigint;
      if (whence === C.WHENCE_SET) base = 0n;
      else if (whence === C.WHENCE_CUR) base = BigInt(e.offset);
      else if (whence === C.WHENCE_END) base = e.handle.stat().size;
      else return C.ERRNO_INVAL;
      const next = base + offset;
      if (next < 0n) return C.ERRNO_INVAL;
      if (next > MAX_I64) return C.ERRNO_OVERFLOW;
      if (next > MAX_POSITION) return C.ERRNO_INVAL;
      e.offset = Number(next);
      mem.u64set(newOffsetPtr, next);
      return C.ERRNO_SUCCESS;
    },

    fd_tell: (fd: number, offsetPtr: number) => {
      const e = fds.get(fd, C.RIGHTS_FD_TELL);
      if (e.handle.kind === 'dir') return C.ERRNO_BADF;
      if (!e.handle.seekable) return C.ERRNO_SPIPE;
      mem.u64set(offsetPtr, BigInt(e.offset));
      return C.ERRNO_SUCCESS;
    },
  };
}
