/**
 * The inodes of the in-memory filesystem and the accounting that bounds them.
 *
 * A {@link FsCore} owns one tree: it numbers inodes, stamps times from the injected clock and
 * charges every byte it keeps against the filesystem's limits, so a guest cannot grow the
 * keep's memory past them (ENOSPC instead). Charged are a file's backing capacity, a symlink's
 * target and each directory entry's name plus {@link ENTRY_OVERHEAD}; every inode counts once
 * against the inode limit until it is freed (no links left and no handle open on it). Names and
 * targets are ByteStrings (byte-string.ts): their length is their size in bytes.
 *
 * Regular files keep their bytes in one buffer that grows by doubling (appends are amortized
 * O(1)). Bytes between the end of what was ever written (`used`) and the logical `size` are not
 * stored: growing a file with setSize costs nothing until those bytes are written.
 */
import * as C from '../constants.js';
import { fail } from '../errno.js';
import type { ByteString } from './byte-string.js';
import type { Filestat } from './types.js';

/** Linux NAME_MAX: longest name of one directory entry, in bytes. */
export const NAME_MAX = 255;
/** Linux PATH_MAX: a symlink target must be shorter. */
export const PATH_MAX = 4096;
/** Bytes charged per directory entry on top of its name: what an entry costs the JS heap. */
export const ENTRY_OVERHEAD = 64;
/** Largest file size (like HostFile: positions are JS numbers). */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** tmpfs reports directory sizes in units of a bogus dirent size; so do we. */
const BOGO_DIRENT_SIZE = 20;
/** A buffer this much larger than its data is given back when a file shrinks. */
const SHRINK_MIN = 64 * 1024;
/** relatime: atime is refreshed at least once a day. */
const DAY_NS = 86_400n * 1_000_000_000n;

interface NodeBase {
  readonly ino: number;
  /** Directory entries naming this inode (for a directory: 2 + subdirectories, 0 once removed). */
  nlink: number;
  /** Handles open on this inode. */
  open: number;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  /** Set once the inode's storage and inode slot were given back. */
  freed: boolean;
}

/** A regular file. */
export interface FileNode extends NodeBase {
  readonly kind: 'file';
  /** Backing storage; bytes at and beyond `used` are always zero. */
  buf: Uint8Array;
  /** Bytes of `buf` that may hold data (≤ size). */
  used: number;
  /** Logical size; bytes in [used, size) read as zeros. */
  size: number;
}

/** A directory. */
export interface DirNode extends NodeBase {
  readonly kind: 'dir';
  /** Entries in creation order (a rename moves an entry to the end of its new directory). */
  readonly entries: Map<ByteString, Node>;
  /** The directory holding this one (the root's parent is itself). */
  parent: DirNode;
}

/** A symbolic link. */
export interface SymlinkNode extends NodeBase {
  readonly kind: 'symlink';
  readonly target: ByteString;
  readonly targetBytes: number;
}

/** Any inode. */
export type Node = FileNode | DirNode | SymlinkNode;

/** The limits of one filesystem. */
export interface FsLimits {
  /** Bytes of file storage, symlink targets and directory entries. */
  readonly maxBytes: number;
  /** Inodes (files, directories, symlinks, including the root). */
  readonly maxInodes: number;
}

/** The WASI filetype of an inode. */
export function nodeFiletype(n: Node): number {
  switch (n.kind) {
    case 'file':
      return C.FILETYPE_REGULAR_FILE;
    case 'dir':
      return C.FILETYPE_DIRECTORY;
    case 'symlink':
      return C.FILETYPE_SYMBOLIC_LINK;
  }
}

/** One tree of inodes, its clock and its accounting. */
export class FsCore {
  readonly root: DirNode;
  private nextIno = 1;
  private bytes = 0;
  private inodes = 0;

  constructor(
    readonly dev: bigint,
    readonly now: () => bigint,
    readonly limits: FsLimits,
  ) {
    const t = now();
    const fields = { kind: 'dir' as const, ino: this.takeIno(), nlink: 2, open: 0, atim: t, mtim: t, ctim: t, freed: false, entries: new Map<ByteString, Node>() };
    // The root is its own parent: the object must exist before it can point at itself.
    const root: DirNode = Object.assign(fields, { parent: undefined as unknown as DirNode });
    root.parent = root;
    this.root = root;
  }

  /** Bytes and inodes in use. */
  usage(): { bytes: number; inodes: number } {
    return { bytes: this.bytes, inodes: this.inodes };
  }

  private takeIno(): number {
    if (this.inodes >= this.limits.maxInodes) fail(C.ERRNO_NOSPC);
    this.inodes++;
    return this.nextIno++;
  }

  /** Fails with ENOSPC unless `n` more bytes fit. */
  private need(n: number): void {
    if (n > 0 && this.bytes + n > this.limits.maxBytes) fail(C.ERRNO_NOSPC);
  }

  private charge(n: number): void {
    this.need(n);
    this.bytes += n;
  }

  /** What the entry `name` costs. */
  entryCost(name: ByteString): number {
    return name.length + ENTRY_OVERHEAD;
  }

  stat(n: Node): Filestat {
    let size: number;
    if (n.kind === 'file') size = n.size;
    else if (n.kind === 'dir') size = (n.entries.size + 2) * BOGO_DIRENT_SIZE;
    else size = n.targetBytes;
    return {
      dev: this.dev,
      ino: BigInt(n.ino),
      filetype: nodeFiletype(n),
      nlink: BigInt(n.nlink),
      size: BigInt(size),
      atim: n.atim,
      mtim: n.mtim,
      ctim: n.ctim,
    };
  }

  /**
   * Creates an inode named `name` in `dir` (which must not hold that name). ENOENT when `dir`
   * was removed, ENOSPC over a limit; nothing changes on failure.
   */
  create(dir: DirNode, name: ByteString, kind: 'file' | 'dir'): FileNode | DirNode;
  create(dir: DirNode, name: ByteString, kind: 'symlink', target: ByteString): SymlinkNode;
  create(dir: DirNode, name: ByteString, kind: Node['kind'], target = ''): Node {
    if (dir.nlink === 0) fail(C.ERRNO_NOENT);
    const targetBytes = kind === 'symlink' ? target.length : 0;
    const cost = this.entryCost(name) + targetBytes;
    this.need(cost);
    const ino = this.takeIno();
    this.bytes += cost;
    const t = this.now();
    const base = { ino, nlink: 1, open: 0, atim: t, mtim: t, ctim: t, freed: false };
    let node: Node;
    if (kind === 'file') {
      node = { ...base, kind, buf: new Uint8Array(0), used: 0, size: 0 };
    } else if (kind === 'dir') {
      node = { ...base, kind, nlink: 2, entries: new Map(), parent: dir };
      dir.nlink++;
    } else {
      node = { ...base, kind, target, targetBytes };
    }
    dir.entries.set(name, node);
    dir.mtim = dir.ctim = t;
    return node;
  }

  /** Adds another name for a non-directory `node` (link). */
  link(dir: DirNode, name: ByteString, node: FileNode | SymlinkNode): void {
    if (dir.nlink === 0) fail(C.ERRNO_NOENT);
    this.charge(this.entryCost(name));
    dir.entries.set(name, node);
    node.nlink++;
    const t = this.now();
    node.ctim = t;
    dir.mtim = dir.ctim = t;
  }

  /** Removes the entry `name` (naming `node`) from `dir`; a directory must be empty. */
  remove(dir: DirNode, name: ByteString, node: Node): void {
    dir.entries.delete(name);
    this.bytes -= this.entryCost(name);
    const t = this.now();
    if (node.kind === 'dir') {
      node.nlink = 0;
      dir.nlink--;
    } else {
      node.nlink--;
    }
    node.ctim = t;
    dir.mtim = dir.ctim = t;
    this.release(node);
  }

  /**
   * Moves `node` from `from`/`fromName` to `to`/`toName`, replacing `replaced` (already checked
   * compatible and, for a directory, empty). ENOSPC leaves everything as it was.
   */
  move(from: DirNode, fromName: ByteString, node: Node, to: DirNode, toName: ByteString, replaced: Node | undefined): void {
    if (!replaced && to.nlink === 0) fail(C.ERRNO_NOENT);
    const delta = (replaced ? 0 : this.entryCost(toName)) - this.entryCost(fromName);
    this.need(delta);
    if (replaced) this.remove(to, toName, replaced);
    from.entries.delete(fromName);
    this.bytes -= this.entryCost(fromName);
    to.entries.set(toName, node);
    this.bytes += this.entryCost(toName);
    if (node.kind === 'dir' && from !== to) {
      from.nlink--;
      to.nlink++;
      node.parent = to;
    }
    const t = this.now();
    node.ctim = t;
    from.mtim = from.ctim = t;
    to.mtim = to.ctim = t;
  }

  /** Gives back an inode's storage and slot once nothing refers to it. */
  release(node: Node): void {
    if (node.freed || node.nlink > 0 || node.open > 0) return;
    node.freed = true;
    this.inodes--;
    if (node.kind === 'file') {
      this.bytes -= node.buf.length;
      node.buf = new Uint8Array(0);
      node.used = 0;
    } else if (node.kind === 'symlink') {
      this.bytes -= node.targetBytes;
    }
  }

  /** relatime: refreshes atime when it is not newer than mtime/ctime or is a day old. */
  accessed(node: Node): void {
    const t = this.now();
    if (node.atim <= node.mtim || node.atim <= node.ctim || t - node.atim >= DAY_NS) node.atim = t;
  }

  /** Marks data modified (mtime and ctime). */
  modified(node: Node): void {
    const t = this.now();
    node.mtim = node.ctim = t;
  }

  /** Makes `buf` hold at least `need` bytes; doubles when the budget allows, else grows exactly. */
  private reserve(f: FileNode, need: number, exact: boolean): void {
    const cap = f.buf.length;
    if (need <= cap) return;
    let next = exact ? need : Math.max(need, cap * 2);
    if (next - cap > this.limits.maxBytes - this.bytes) next = need;
    this.need(next - cap);
    let buf: Uint8Array;
    try {
      buf = new Uint8Array(next);
    } catch {
      return fail(C.ERRNO_NOSPC);
    }
    buf.set(f.buf.subarray(0, f.used));
    this.bytes += next - cap;
    f.buf = buf;
  }

  /** Copies file bytes at `pos` into `dst`; returns the count (0 at or past the end). */
  read(f: FileNode, dst: Uint8Array, pos: bigint): number {
    if (dst.length === 0) return 0;
    if (pos >= BigInt(f.size)) return 0;
    const p = Number(pos);
    const n = Math.min(dst.length, f.size - p);
    const stored = Math.max(0, Math.min(p + n, f.used) - p);
    if (stored > 0) dst.set(f.buf.subarray(p, p + stored));
    if (stored < n) dst.fill(0, stored, n);
    return n;
  }

  /** Writes all of `src` at `pos`, growing the file; EFBIG past the largest size, ENOSPC over the limit. */
  write(f: FileNode, src: Uint8Array, pos: bigint): number {
    if (src.length === 0) return 0;
    const end = pos + BigInt(src.length);
    if (end > BigInt(MAX_FILE_SIZE)) fail(C.ERRNO_FBIG);
    const p = Number(pos);
    const e = Number(end);
    this.reserve(f, e, false);
    f.buf.set(src, p);
    if (e > f.used) f.used = e;
    if (e > f.size) f.size = e;
    this.modified(f);
    return src.length;
  }

  /** Sets the logical size; shrinking zeroes (and possibly gives back) the cut-off bytes. */
  truncate(f: FileNode, size: bigint): void {
    if (size > BigInt(MAX_FILE_SIZE)) fail(C.ERRNO_FBIG);
    const s = Number(size);
    if (s < f.used) {
      f.buf.fill(0, s, f.used);
      f.used = s;
    }
    if (f.buf.length >= SHRINK_MIN && s < f.buf.length / 4) {
      const buf = new Uint8Array(f.used);
      buf.set(f.buf.subarray(0, f.used));
      this.bytes -= f.buf.length - f.used;
      f.buf = buf;
    }
    f.size = s;
    this.modified(f);
  }

  /** posix_fallocate: backs [0, offset+len) with storage now (ENOSPC if it cannot be). */
  allocate(f: FileNode, offset: bigint, len: bigint): void {
    const end = offset + len;
    if (end > BigInt(MAX_FILE_SIZE)) fail(C.ERRNO_FBIG);
    const e = Number(end);
    this.reserve(f, e, true);
    if (e > f.size) {
      f.size = e;
      this.modified(f);
    }
  }
}
