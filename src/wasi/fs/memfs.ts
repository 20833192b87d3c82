/**
 * The in-memory filesystem: the files that come inside an encrypted workload package live here
 * and never touch the host's disk. It implements the same {@link DirHandle}/{@link FileHandle}
 * interface as host directories (`hostfs.ts`), with Linux's semantics (errnos, link counts,
 * times, trailing slashes) as the reference.
 *
 * Paths are resolved by {@link walk} one component at a time on a stack that starts at the
 * handle's own directory: `..` pops that stack and cannot pop past it, symlinks are expanded by
 * us (absolute targets refused, at most 40 expansions). Every operation runs to completion on
 * the JS thread, so nothing can change between a check and its use. Names are ByteStrings
 * (byte-string.ts); the package helpers of {@link MemFs} take text and store its UTF-8 bytes.
 */
import * as C from '../constants.js';
import { Errno, fail } from '../errno.js';
import { byteStringFromText, type ByteString } from './byte-string.js';
import { FsCore, NAME_MAX, PATH_MAX, nodeFiletype } from './memfs-node.js';
import type { DirNode, FileNode, Node } from './memfs-node.js';
import type { DirEntry, DirHandle, FileHandle, Filestat, OpenRequest, Readiness, TimesUpdate } from './types.js';

/** Linux caps symlink expansions at 40 (MAXSYMLINKS); so do we. */
const MAX_SYMLINKS = 40;

/** Default limits: what a guest may add on top of the package before ENOSPC. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_INODES = 65_536;
/** Default device number ("memfs" in ASCII), unlikely to equal a host device's. */
export const DEFAULT_DEV = 0x6d656d6673n;

/** How {@link walk} treats a symlink in the final component. */
type Final =
  /** Followed (stat/open with SYMLINK_FOLLOW). */
  | 'follow'
  /** Followed only when the path ends in `/` (lstat, readlink, open without follow). */
  | 'nofollow'
  /** Never followed, as Linux treats the name that mkdir/rmdir/unlink/rename/symlink create or remove. */
  | 'parent';

/** The end of a path walk: a directory and the last component in it. */
interface Walked {
  readonly dir: DirNode;
  /** The last component; `.` when it was `.` or `..` (then `dir` is what it names). */
  readonly name: ByteString;
  /** Linux's LAST_NORM / LAST_DOT / LAST_DOTDOT: several calls answer `.`/`..` specially. */
  readonly last: 'norm' | 'dot' | 'dotdot';
  /** The path (or the symlink that ended it) ended in `/`: it must name a directory. */
  readonly trailingSlash: boolean;
}

/**
 * Walks `path` from `start` to its last component. `creating`: open with O_CREAT, where Linux
 * refuses a final component with a trailing slash (EISDIR) before looking at it.
 */
function walk(start: DirNode, path: ByteString, final: Final, creating = false): Walked {
  if (path.length === 0) fail(C.ERRNO_NOENT);
  if (path.startsWith('/')) fail(C.ERRNO_NOTCAPABLE);
  let trailingSlash = path.endsWith('/');
  const queue = path.split('/').filter((c) => c.length > 0);
  const stack: DirNode[] = [start];
  let budget = MAX_SYMLINKS;
  for (let i = 0; i < queue.length; i++) {
    const comp = queue[i]!;
    const last = i === queue.length - 1;
    const top = stack[stack.length - 1]!;
    if (comp === '.') {
      if (last) return { dir: top, name: '.', last: 'dot', trailingSlash };
      continue;
    }
    if (comp === '..') {
      if (stack.length === 1) fail(C.ERRNO_NOTCAPABLE);
      stack.pop();
      if (last) return { dir: stack[stack.length - 1]!, name: '.', last: 'dotdot', trailingSlash };
      continue;
    }
    if (comp.length > NAME_MAX) fail(C.ERRNO_NAMETOOLONG);
    if (last && creating && trailingSlash) fail(C.ERRNO_ISDIR);
    const child = top.entries.get(comp);
    if (child?.kind === 'symlink' && (!last || final === 'follow' || (final === 'nofollow' && trailingSlash))) {
      if (--budget < 0) fail(C.ERRNO_LOOP);
      const target = child.target;
      if (target.startsWith('/')) fail(C.ERRNO_NOTCAPABLE);
      if (target.length === 0) fail(C.ERRNO_NOENT);
      if (last && target.endsWith('/')) trailingSlash = true;
      queue.splice(i, 1, ...target.split('/').filter((c) => c.length > 0));
      i--;
      continue;
    }
    if (last) return { dir: top, name: comp, last: 'norm', trailingSlash };
    if (!child) fail(C.ERRNO_NOENT);
    if (child.kind !== 'dir') fail(C.ERRNO_NOTDIR);
    stack.push(child);
  }
  // Only reachable when the path ended in a symlink expanding to nothing but slashes.
  return { dir: stack[stack.length - 1]!, name: '.', last: 'dot', trailingSlash };
}

/** What the walked path names, if anything. */
function lookup(w: Walked): Node | undefined {
  return w.last === 'norm' ? w.dir.entries.get(w.name) : w.dir;
}

/** What the walked path names, which must exist (and be a directory if it ended in `/`). */
function existing(w: Walked): Node {
  const node = lookup(w);
  if (!node) return fail(C.ERRNO_NOENT);
  if (w.trailingSlash && node.kind !== 'dir') fail(C.ERRNO_NOTDIR);
  return node;
}

/** Whether `anc` is `node` or one of its ancestors. */
function isAncestorOrSelf(anc: DirNode, node: DirNode): boolean {
  for (let n = node; ; n = n.parent) {
    if (n === anc) return true;
    if (n.parent === n) return false;
  }
}

/** Applies a {@link TimesUpdate}: exact ns; ctime becomes now unless nothing changes. */
function setNodeTimes(core: FsCore, node: Node, times: TimesUpdate): void {
  if (times.atim === undefined && times.mtim === undefined) return;
  if (times.atim !== undefined) node.atim = times.atim;
  if (times.mtim !== undefined) node.mtim = times.mtim;
  node.ctim = core.now();
}

/** What open files and directories of a {@link MemFs} share: the node they keep alive. */
abstract class MemHandle<N extends FileNode | DirNode> {
  protected closed = false;

  constructor(
    protected readonly core: FsCore,
    protected readonly node: N,
  ) {
    node.open++;
  }

  stat(): Filestat {
    return this.core.stat(this.node);
  }

  setTimes(times: TimesUpdate): void {
    setNodeTimes(this.core, this.node, times);
  }

  sync(): void {}

  datasync(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.node.open--;
    this.core.release(this.node);
  }
}

/** A regular file of a {@link MemFs}, open. Stays usable after its last name is removed. */
export class MemFile extends MemHandle<FileNode> implements FileHandle {
  readonly kind = 'file' as const;
  readonly filetype = C.FILETYPE_REGULAR_FILE;
  readonly seekable = true;
  readonly isTty = false;
  /** Position for stream-style calls (`position === null`); the fd layer normally keeps its own. */
  private cursor = 0n;

  /** @internal Use {@link MemDir.open}. */
  constructor(
    core: FsCore,
    node: FileNode,
    private readonly readable: boolean,
    private readonly writable: boolean,
  ) {
    super(core, node);
  }

  read(buf: Uint8Array, off: number, len: number, position: number | null): number {
    if (this.closed || !this.readable) fail(C.ERRNO_BADF);
    if (len === 0) return 0;
    const n = this.core.read(this.node, buf.subarray(off, off + len), position === null ? this.cursor : BigInt(position));
    if (position === null) this.cursor += BigInt(n);
    this.core.accessed(this.node);
    return n;
  }

  write(buf: Uint8Array, off: number, len: number, position: number | null): number {
    if (this.closed || !this.writable) fail(C.ERRNO_BADF);
    const n = this.core.write(this.node, buf.subarray(off, off + len), position === null ? this.cursor : BigInt(position));
    if (position === null) this.cursor += BigInt(n);
    return n;
  }

  setSize(size: bigint): void {
    if (this.closed) fail(C.ERRNO_BADF);
    // Linux: ftruncate on a descriptor not open for writing is EINVAL.
    if (!this.writable || size < 0n) fail(C.ERRNO_INVAL);
    this.core.truncate(this.node, size);
  }

  allocate(offset: bigint, len: bigint): void {
    if (this.closed || !this.writable) fail(C.ERRNO_BADF);
    if (offset < 0n || len <= 0n) fail(C.ERRNO_INVAL);
    this.core.allocate(this.node, offset, len);
  }

  poll(kind: 'read' | 'write'): Readiness {
    // Like HostFile on a regular file: always ready.
    return { nbytes: kind === 'read' ? BigInt(this.node.size) : 0n, hangup: false };
  }

}

/** A directory of a {@link MemFs}: the capability to reach what is beneath it. */
export class MemDir extends MemHandle<DirNode> implements DirHandle {
  // Made by MemFs.root and MemDir.open (the base constructor).
  readonly kind = 'dir' as const;
  readonly filetype = C.FILETYPE_DIRECTORY;
  readonly seekable = false;

  /** The same filesystem as this handle (rename/link need it). */
  private sameFs(target: DirHandle): MemDir {
    if (!(target instanceof MemDir) || target.core !== this.core) fail(C.ERRNO_XDEV);
    return target;
  }

  readdir(): DirEntry[] {
    const dir = this.node;
    // A removed directory is empty. (getdents(2) says ENOENT, which glibc's readdir and
    // HostDir turn into an empty listing; we answer the same way.)
    const out: DirEntry[] = [
      { name: '.', ino: BigInt(dir.ino), filetype: C.FILETYPE_DIRECTORY },
      { name: '..', ino: BigInt(dir.parent.ino), filetype: C.FILETYPE_DIRECTORY },
    ];
    for (const [name, n] of dir.entries) out.push({ name, ino: BigInt(n.ino), filetype: nodeFiletype(n) });
    this.core.accessed(dir);
    return out;
  }

  open(path: ByteString, req: OpenRequest): FileHandle | DirHandle {
    const creat = (req.oflags & C.OFLAGS_CREAT) !== 0;
    const excl = creat && (req.oflags & C.OFLAGS_EXCL) !== 0;
    const trunc = (req.oflags & C.OFLAGS_TRUNC) !== 0;
    // O_CREAT|O_EXCL never follows a final symlink (it fails with EEXIST instead).
    const w = walk(this.node, path, req.followFinal && !excl ? 'follow' : 'nofollow', creat);
    const node = lookup(w);
    if (!node) {
      if (!creat) fail(C.ERRNO_NOENT);
      const created = this.core.create(w.dir, w.name, 'file') as FileNode;
      return new MemFile(this.core, created, req.read, req.write);
    }
    if (excl) fail(C.ERRNO_EXIST);
    if (creat && node.kind === 'dir') fail(C.ERRNO_ISDIR);
    if ((req.oflags & C.OFLAGS_DIRECTORY || w.trailingSlash) && node.kind !== 'dir') fail(C.ERRNO_NOTDIR);
    if (node.kind === 'symlink') fail(C.ERRNO_LOOP);
    if (node.kind === 'dir') {
      if (req.write || trunc) fail(C.ERRNO_ISDIR);
      return new MemDir(this.core, node);
    }
    if (trunc) this.core.truncate(node, 0n);
    return new MemFile(this.core, node, req.read, req.write);
  }

  statAt(path: ByteString, followFinal: boolean): Filestat {
    return this.core.stat(existing(walk(this.node, path, followFinal ? 'follow' : 'nofollow')));
  }

  setTimesAt(path: ByteString, followFinal: boolean, times: TimesUpdate): void {
    setNodeTimes(this.core, existing(walk(this.node, path, followFinal ? 'follow' : 'nofollow')), times);
  }

  mkdir(path: ByteString): void {
    const w = walk(this.node, path, 'parent');
    if (w.last !== 'norm' || w.dir.entries.has(w.name)) fail(C.ERRNO_EXIST);
    this.core.create(w.dir, w.name, 'dir');
  }

  rmdir(path: ByteString): void {
    const w = walk(this.node, path, 'parent');
    if (w.last === 'dotdot') fail(C.ERRNO_NOTEMPTY);
    if (w.last === 'dot') fail(C.ERRNO_INVAL);
    const node = w.dir.entries.get(w.name);
    if (!node) fail(C.ERRNO_NOENT);
    if (node.kind !== 'dir') fail(C.ERRNO_NOTDIR);
    if (node.entries.size > 0) fail(C.ERRNO_NOTEMPTY);
    this.core.remove(w.dir, w.name, node);
  }

  unlink(path: ByteString): void {
    const w = walk(this.node, path, 'parent');
    if (w.last !== 'norm') fail(C.ERRNO_ISDIR);
    const node = w.dir.entries.get(w.name);
    if (!node) fail(C.ERRNO_NOENT);
    if (node.kind === 'dir') fail(C.ERRNO_ISDIR);
    if (w.trailingSlash) fail(C.ERRNO_NOTDIR);
    this.core.remove(w.dir, w.name, node);
  }

  rename(path: ByteString, target: DirHandle, targetPath: ByteString): void {
    const to = this.sameFs(target);
    const s = walk(this.node, path, 'parent');
    const t = walk(to.node, targetPath, 'parent');
    if (s.last !== 'norm' || t.last !== 'norm') fail(C.ERRNO_BUSY);
    const src = s.dir.entries.get(s.name);
    if (!src) fail(C.ERRNO_NOENT);
    if (src.kind !== 'dir' && (s.trailingSlash || t.trailingSlash)) fail(C.ERRNO_NOTDIR);
    const dst = t.dir.entries.get(t.name);
    // A directory cannot move beneath itself; a directory holding the source is not empty.
    if (src.kind === 'dir' && isAncestorOrSelf(src, t.dir)) fail(C.ERRNO_INVAL);
    if (dst?.kind === 'dir' && isAncestorOrSelf(dst, s.dir)) fail(C.ERRNO_NOTEMPTY);
    if (dst === src) return;
    if (dst) {
      if (src.kind === 'dir' && dst.kind !== 'dir') fail(C.ERRNO_NOTDIR);
      if (src.kind !== 'dir' && dst.kind === 'dir') fail(C.ERRNO_ISDIR);
      if (dst.kind === 'dir' && dst.entries.size > 0) fail(C.ERRNO_NOTEMPTY);
    }
    this.core.move(s.dir, s.name, src, t.dir, t.name, dst);
  }

  link(path: ByteString, followFinal: boolean, target: DirHandle, targetPath: ByteString): void {
    const to = this.sameFs(target);
    // Both paths are walked before either name is looked at (as HostDir and cap-std do): a
    // target outside the sandbox is ENOTCAPABLE even when the source is missing.
    const s = walk(this.node, path, followFinal ? 'follow' : 'nofollow');
    const t = walk(to.node, targetPath, 'parent');
    const src = existing(s);
    if (t.last !== 'norm' || t.dir.entries.has(t.name)) fail(C.ERRNO_EXIST);
    if (t.trailingSlash) fail(C.ERRNO_NOENT);
    if (t.dir.nlink === 0) fail(C.ERRNO_NOENT);
    if (src.kind === 'dir') fail(C.ERRNO_PERM);
    this.core.link(t.dir, t.name, src);
  }

  symlink(linkTarget: ByteString, path: ByteString): void {
    // An absolute target could never be followed inside the sandbox; refuse to create one.
    if (linkTarget.startsWith('/')) fail(C.ERRNO_PERM);
    createSymlink(this.core, this.node, linkTarget, path);
  }

  readlink(path: ByteString): ByteString {
    const node = existing(walk(this.node, path, 'nofollow'));
    if (node.kind !== 'symlink') fail(C.ERRNO_INVAL);
    this.core.accessed(node);
    return node.target;
  }

}

function createSymlink(core: FsCore, start: DirNode, linkTarget: ByteString, path: ByteString): void {
  // Linux checks the target before the path: empty is ENOENT, PATH_MAX or longer ENAMETOOLONG.
  if (linkTarget.length === 0) fail(C.ERRNO_NOENT);
  if (linkTarget.length >= PATH_MAX) fail(C.ERRNO_NAMETOOLONG);
  const w = walk(start, path, 'parent');
  if (w.last !== 'norm' || w.dir.entries.has(w.name)) fail(C.ERRNO_EXIST);
  if (w.trailingSlash) fail(C.ERRNO_NOENT);
  core.create(w.dir, w.name, 'symlink', linkTarget);
}

/** How to build a {@link MemFs}. */
export interface MemFsOptions {
  /** Realtime clock in ns since the epoch, for file times (default: the host's). */
  readonly now?: () => bigint;
  /** Device number reported by stat (give each filesystem of one guest its own). */
  readonly dev?: bigint;
  /** Cap on file contents, symlink targets and directory entries (name + 64 bytes each). */
  readonly maxBytes?: number;
  /** Cap on inodes, the root included. */
  readonly maxInodes?: number;
}

function hostRealtime(): () => bigint {
  const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return () => base + process.hrtime.bigint();
}

function limit(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) throw new TypeError(`${name} must be a safe integer ≥ ${min}`);
  return v;
}

/** A package path (text, relative to the root; a leading `/` is allowed) as its UTF-8 bytes. */
function packagePath(path: string): ByteString {
  if (typeof path !== 'string' || path.includes('\0')) throw new TypeError('path must be a string without NUL');
  return byteStringFromText(path.replace(/^\/+/, ''));
}

/**
 * An in-memory POSIX-like filesystem. Populate it from a package with {@link writeFile},
 * {@link mkdirp} and {@link symlink}, then hand {@link root} to the guest as a preopen.
 */
export class MemFs {
  private readonly core: FsCore;

  constructor(opts: MemFsOptions = {}) {
    this.core = new FsCore(opts.dev ?? DEFAULT_DEV, opts.now ?? hostRealtime(), {
      maxBytes: limit('maxBytes', opts.maxBytes, DEFAULT_MAX_BYTES, 0),
      maxInodes: limit('maxInodes', opts.maxInodes, DEFAULT_MAX_INODES, 1),
    });
  }

  /** The device number every inode reports. */
  get dev(): bigint {
    return this.core.dev;
  }

  /** Bytes and inodes in use, as counted against the limits. */
  usage(): { bytes: number; inodes: number } {
    return this.core.usage();
  }

  /** A new handle on the root directory (close it when done). */
  root(): MemDir {
    return new MemDir(this.core, this.core.root);
  }

  /** Runs `fn` on a root handle that is closed afterwards. */
  private withRoot<T>(fn: (root: MemDir) => T): T {
    const r = this.root();
    try {
      return fn(r);
    } finally {
      r.close();
    }
  }

  /**
   * Creates every missing directory of `path` (like `mkdir -p`; symlinks are followed inside
   * the filesystem). @throws {@link Errno} EEXIST/ENOTDIR when a component is not a directory.
   */
  mkdirp(path: string): void {
    this.mkdirpBytes(packagePath(path));
  }

  private mkdirpBytes(path: ByteString): void {
    const comps = path.split('/').filter((c) => c.length > 0 && c !== '.');
    this.withRoot((root) => {
      for (let i = 1; i <= comps.length; i++) {
        const prefix = comps.slice(0, i).join('/');
        try {
          root.mkdir(prefix);
        } catch (err) {
          if (!(err instanceof Errno) || err.errno !== C.ERRNO_EXIST) throw err;
          if (root.statAt(prefix, true).filetype !== C.FILETYPE_DIRECTORY) fail(C.ERRNO_NOTDIR);
        }
      }
    });
  }

  /**
   * Creates (or replaces the contents of) the regular file `path` with a copy of `bytes`,
   * creating missing parent directories; `times` sets its atime/mtime. A file this call
   * created is removed again when the write fails. @throws {@link Errno} (ENOSPC over a limit).
   */
  writeFile(path: string, bytes: Uint8Array, times?: TimesUpdate): void {
    const p = packagePath(path);
    this.mkdirpBytes(parentOf(p));
    this.withRoot((root) => {
      const existed = lookupQuiet(root, p);
      const f = root.open(p, { followFinal: false, oflags: C.OFLAGS_CREAT | C.OFLAGS_TRUNC, read: false, write: true, fdflags: 0 });
      try {
        if (f.kind !== 'file') fail(C.ERRNO_ISDIR);
        f.write(bytes, 0, bytes.length, 0);
        if (times) f.setTimes(times);
      } catch (err) {
        // Do not leave behind an empty file this call created.
        if (!existed) root.unlink(p);
        throw err;
      } finally {
        f.close();
      }
    });
  }

  /**
   * Creates the symlink `path` → `target`, creating missing parent directories. Unlike the
   * guest's `path_symlink`, an absolute target is stored (a package may hold one); following
   * it fails with ENOTCAPABLE. @throws {@link Errno}
   */
  symlink(target: string, path: string): void {
    const p = packagePath(path);
    if (typeof target !== 'string' || target.includes('\0')) throw new TypeError('target must be a string without NUL');
    this.mkdirpBytes(parentOf(p));
    createSymlink(this.core, this.core.root, byteStringFromText(target), p);
  }
}

/** Whether `p` names anything (without following a final symlink). */
function lookupQuiet(root: MemDir, p: ByteString): boolean {
  try {
    root.statAt(p, false);
    return true;
  } catch {
    return false;
  }
}

function parentOf(p: ByteString): ByteString {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? '' : trimmed.slice(0, i);
}
