/**
 * Host directories as WASI capabilities (`--dir HOST::GUEST`).
 *
 * Node.js has no `openat(2)`, so every operation is expressed relative to an already open
 * directory descriptor through Linux's `/proc/<pid>/fd/N/<name>`: the kernel resolves the magic
 * link to the directory that descriptor refers to, whatever has happened to its path since. Paths
 * are walked one component at a time by us, never by the kernel: `..` pops our own stack (and
 * refuses to pop past the handle), symlinks are read and expanded by us (absolute targets are
 * refused), and each intermediate directory is opened with O_NOFOLLOW. The final operation never
 * follows a symlink (lstat, lutimes, O_NOFOLLOW), so a symlink swapped in by a racing process
 * cannot redirect it outside the tree (TOCTOU). Files opened here are host-file.ts's HostFile.
 * The last folders a walk reached stay open for the next walks through them, each checked first
 * against its path (dir-cache.ts).
 */
import * as fs from 'node:fs';
import * as C from '../constants.js';
import { Errno, errnoFromHost, fail, host } from '../errno.js';
import { fsPath, type ByteString } from './byte-string.js';
import { filestatOf, filetypeOf } from './hoststat.js';
import { HostFile, procPath } from './host-file.js';
import { DirCache, plainDir } from './dir-cache.js';
import { setTimesExact } from './utimens.js';
import type { DirEntry, DirHandle, FileHandle, Filestat, OpenRequest, TimesUpdate } from './types.js';

const O = fs.constants;
/** Linux caps symlink expansions at 40 (MAXSYMLINKS); so do we. */
const MAX_SYMLINKS = 40;

/** A symlink's target, its bytes exactly. */
function readlinkBytes(p: string | Buffer): ByteString {
  return fs.readlinkSync(p, { encoding: 'latin1' });
}

/** The end of a path walk: an open directory and one name inside it. */
interface Walked {
  readonly dirFd: number;
  readonly name: ByteString;
  /** The path ended in `/`: what it names must be a directory. */
  readonly trailingSlash: boolean;
  /** The last component was `..` (resolved to `.` of the directory above). */
  readonly dotDot: boolean;
  /**
   * What `name` was when the walk looked at it (to follow it) and found no symlink: its lstat,
   * or null when nothing was there. Undefined when the walk did not look.
   */
  readonly found?: fs.BigIntStats | null;
  /** Closes the intermediate descriptors the walk opened. */
  release(): void;
}

function nothingToRelease(): void {}

/** A path as a folder a cache may hold and a name in it. */
interface CacheKey {
  readonly dir: ByteString;
  readonly name: ByteString;
}

/**
 * `path` as a cached folder and a name in it: a plain folder path (dir-cache.ts) and a last
 * component that is neither `.` nor `..`, without a trailing slash; else undefined.
 */
function cacheKey(path: ByteString): CacheKey | undefined {
  const slash = path.lastIndexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  const name = path.slice(slash + 1);
  const dir = path.slice(0, slash);
  return name !== '.' && name !== '..' && plainDir(dir) ? { dir, name } : undefined;
}

function tryReadlink(p: string | Buffer): ByteString | undefined {
  try {
    return readlinkBytes(p);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EINVAL' || code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A directory open on the host: the root of everything reachable through it. */
export class HostDir implements DirHandle {
  readonly kind = 'dir' as const;
  readonly filetype = C.FILETYPE_DIRECTORY;
  readonly seekable = false;

  /** Folders below this one that walks reached last (made at the first walk that opens one). */
  #dirs: DirCache | undefined;

  constructor(readonly fd: number) {}

  /** Opens a host directory path as a capability (used for `--dir`). */
  static openRoot(path: string): HostDir {
    const fd = fs.openSync(path, O.O_RDONLY | O.O_DIRECTORY);
    return new HostDir(fd);
  }

  /**
   * Walks `path` (relative to this directory) to its last component. A trailing slash makes a
   * final symlink be followed only when `slashFollows` (lookups such as open and stat); the
   * operations that act on a name itself (mkdir, unlink, rename…) see the link, like Linux.
   */
  private walk(path: ByteString, followFinal: boolean, slashFollows = true): Walked {
    if (path.length === 0) fail(C.ERRNO_NOENT);
    // The usual path, one plain name in this directory: nothing to open, expand or release.
    if (!followFinal && path.indexOf('/') === -1 && path !== '.' && path !== '..') {
      return { dirFd: this.fd, name: path, trailingSlash: false, dotDot: false, release: nothingToRelease };
    }
    if (path.startsWith('/')) fail(C.ERRNO_NOTCAPABLE);
    const key = cacheKey(path);
    const cached = key && this.walkCached(key, followFinal);
    if (cached) return cached;
    let trailingSlash = path.endsWith('/');
    const queue = path.split('/').filter((c) => c.length > 0);
    const stack: number[] = [this.fd];
    const release = (): void => {
      while (stack.length > 1) fs.closeSync(stack.pop()!);
    };
    // No symlink followed so far (`.`, `..` and empty components are not in a cache key): the
    // folder reached is the one the path names, and may be cached.
    let plain = true;
    const ending = (name: ByteString, found?: fs.BigIntStats | null): Walked => {
      const dirFd = stack[stack.length - 1]!;
      if (key && plain && stack.length > 1) this.offer(key.dir, stack);
      return { dirFd, name, trailingSlash, dotDot: false, release, ...(found !== undefined ? { found } : {}) };
    };
    let budget = MAX_SYMLINKS;
    try {
      for (let i = 0; i < queue.length; i++) {
        const comp = queue[i]!;
        const last = i === queue.length - 1;
        const top = stack[stack.length - 1]!;
        if (comp === '.') {
          if (last) return { dirFd: top, name: '.', trailingSlash, dotDot: false, release };
          continue;
        }
        if (comp === '..') {
          if (stack.length === 1) fail(C.ERRNO_NOTCAPABLE);
          fs.closeSync(stack.pop()!);
          if (last) return { dirFd: stack[stack.length - 1]!, name: '.', trailingSlash, dotDot: true, release };
          continue;
        }
        if (last && !followFinal && !(trailingSlash && slashFollows)) return ending(comp);
        const p = procPath(top, comp);
        let target: ByteString | undefined;
        if (last) {
          // lstat reports a missing name without throwing, the common case for O_CREAT.
          const st = host(() => fs.lstatSync(p, { bigint: true, throwIfNoEntry: false }));
          if (!st?.isSymbolicLink()) return ending(comp, st ?? null);
          target = host(() => readlinkBytes(p));
        } else {
          // Optimistically open the directory; only a symlink (or an error) costs more.
          try {
            stack.push(fs.openSync(p, O.O_RDONLY | O.O_DIRECTORY | O.O_NOFOLLOW));
            continue;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code !== 'ELOOP' && code !== 'ENOTDIR') fail(errnoFromHost(err));
            target = host(() => tryReadlink(p));
            if (target === undefined) fail(errnoFromHost(err));
          }
        }
        plain = false;
        if (--budget < 0) fail(C.ERRNO_LOOP);
        if (target.startsWith('/')) fail(C.ERRNO_NOTCAPABLE);
        if (target.length === 0) fail(C.ERRNO_NOENT);
        if (last && target.endsWith('/')) trailingSlash = true;
        const parts = target.split('/').filter((c) => c.length > 0);
        queue.splice(i, 1, ...parts);
        i--;
      }
      // Only reachable when every component was a symlink expanding to nothing.
      return { dirFd: stack[stack.length - 1]!, name: '.', trailingSlash, dotDot: false, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * The end of a walk of `dir/name` through a cached `dir` (dir-cache.ts), or undefined when
   * `dir` is not cached, or `name` is a symlink to follow (walked from this directory: a link's
   * target may climb above `dir`).
   */
  private walkCached(key: CacheKey, followFinal: boolean): Walked | undefined {
    const dirFd = this.#dirs?.lookup(key.dir);
    if (dirFd === undefined) return undefined;
    const { name } = key;
    if (!followFinal) return { dirFd, name, trailingSlash: false, dotDot: false, release: nothingToRelease };
    const found = host(() => fs.lstatSync(procPath(dirFd, name), { bigint: true, throwIfNoEntry: false }));
    if (found?.isSymbolicLink()) return undefined;
    return { dirFd, name, trailingSlash: false, dotDot: false, release: nothingToRelease, found: found ?? null };
  }

  /** Hands the folder `dir` a plain walk ended in (the top of `stack`) to the cache, if it takes it. */
  private offer(dir: ByteString, stack: number[]): void {
    if ((this.#dirs ??= new DirCache(this.fd)).keep(dir, stack[stack.length - 1]!)) stack.pop();
  }

  /** Runs `fn` on the walked path and always releases the walk's descriptors. */
  private at<T>(path: ByteString, followFinal: boolean, fn: (w: Walked, p: string | Buffer) => T, slashFollows = true): T {
    const w = this.walk(path, followFinal, slashFollows);
    try {
      return host(() => fn(w, procPath(w.dirFd, w.name)));
    } finally {
      w.release();
    }
  }

  readdir(): DirEntry[] {
    const self = host(() => fs.fstatSync(this.fd, { bigint: true }));
    const parent = host(() => fs.statSync(procPath(this.fd, '..'), { bigint: true }));
    const entries: DirEntry[] = [
      { name: '.', ino: self.ino, filetype: C.FILETYPE_DIRECTORY },
      { name: '..', ino: parent.ino, filetype: C.FILETYPE_DIRECTORY },
    ];
    // Names as bytes: one that is not UTF-8 must be listed as it is, or it could never be removed.
    const names = host(() => fs.readdirSync(procPath(this.fd, '.'), { encoding: 'latin1' }));
    for (const name of names) {
      try {
        const s = fs.lstatSync(procPath(this.fd, name), { bigint: true });
        entries.push({ name, ino: s.ino, filetype: filetypeOf(s) });
      } catch {
        // Removed between readdir and lstat: skip it, as a later readdir would.
      }
    }
    return entries;
  }

  open(path: ByteString, req: OpenRequest): FileHandle | DirHandle {
    // Linux refuses O_CREAT on `name/` before looking at what name is (EISDIR), except that an
    // existing `.`/`..` under O_EXCL is EEXIST; a final symlink is not followed for this.
    if (path.endsWith('/') && req.oflags & C.OFLAGS_CREAT) {
      const w = this.walk(path, false, false);
      w.release();
      fail(w.name === '.' && req.oflags & C.OFLAGS_EXCL ? C.ERRNO_EXIST : C.ERRNO_ISDIR);
    }
    // Most final components are not symlinks: open without following first, and walk again
    // following the link only when the kernel says the name may be one (ELOOP, or ENOTDIR for
    // O_DIRECTORY|O_NOFOLLOW on a symlink).
    try {
      return this.openWalked(path, req, false);
    } catch (err) {
      if (!(err instanceof Errno) || !req.followFinal) throw err;
      if (err.errno !== C.ERRNO_LOOP && err.errno !== C.ERRNO_NOTDIR) throw err;
    }
    return this.openWalked(path, req, true);
  }

  private openWalked(path: ByteString, req: OpenRequest, followFinal: boolean): FileHandle | DirHandle {
    const w = this.walk(path, followFinal);
    try {
      // A slash that came from a followed symlink's target: still EISDIR under O_CREAT (newer
      // kernels would answer EINVAL to the O_CREAT|O_DIRECTORY we would otherwise pass).
      if (w.trailingSlash && req.oflags & C.OFLAGS_CREAT) fail(C.ERRNO_ISDIR);
      let flags = O.O_NOFOLLOW;
      if (req.oflags & C.OFLAGS_CREAT) flags |= O.O_CREAT;
      if (req.oflags & C.OFLAGS_EXCL) flags |= O.O_EXCL;
      if (req.oflags & C.OFLAGS_TRUNC) flags |= O.O_TRUNC;
      if (req.oflags & C.OFLAGS_DIRECTORY || w.trailingSlash) flags |= O.O_DIRECTORY;
      if (req.fdflags & C.FDFLAGS_SYNC) flags |= O.O_SYNC;
      if (req.fdflags & (C.FDFLAGS_DSYNC | C.FDFLAGS_RSYNC)) flags |= O.O_DSYNC;
      flags |= req.write ? (req.read ? O.O_RDWR : O.O_WRONLY) : O.O_RDONLY;
      let fd: number;
      try {
        fd = fs.openSync(procPath(w.dirFd, w.name), flags, 0o644);
      } catch (err) {
        // O_DIRECTORY|O_NOFOLLOW on a symlink: report it as "not a directory" when not following.
        if ((err as { code?: string }).code === 'ELOOP' && flags & O.O_DIRECTORY && !req.followFinal) fail(C.ERRNO_NOTDIR);
        throw err;
      }
      try {
        const st = fs.fstatSync(fd);
        return st.isDirectory() ? new HostDir(fd) : new HostFile(fd, false, st);
      } catch (err) {
        fs.closeSync(fd);
        throw err;
      }
    } catch (err) {
      if (err instanceof Errno) throw err;
      fail(errnoFromHost(err));
    } finally {
      w.release();
    }
  }

  statAt(path: ByteString, followFinal: boolean): Filestat {
    return this.at(path, followFinal, (w, p) => {
      // A missing name is common (a probe for a lock file): without throwIfNoEntry, an Error each.
      const s = w.found !== undefined ? w.found : fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
      if (!s) return fail(C.ERRNO_NOENT);
      if (w.trailingSlash && !s.isDirectory()) fail(C.ERRNO_NOTDIR);
      return filestatOf(s);
    });
  }

  setTimesAt(path: ByteString, followFinal: boolean, times: TimesUpdate): void {
    this.at(path, followFinal, (w, p) => {
      const s = fs.lstatSync(p, { bigint: true });
      if (w.trailingSlash && !s.isDirectory()) fail(C.ERRNO_NOTDIR);
      setTimesExact(procPath(w.dirFd, w.name), times.atim ?? s.atimeNs, times.mtim ?? s.mtimeNs, false);
    });
  }

  // The operations below act on a name, not on what a final symlink points to; their answers
  // for trailing slashes, `.` and `..` follow Linux.
  mkdir(path: ByteString): void {
    this.at(path, false, (_w, p) => fs.mkdirSync(p, 0o755), false);
  }

  rmdir(path: ByteString): void {
    this.at(
      path,
      false,
      (w, p) => {
        if (w.name === '.') fail(w.dotDot ? C.ERRNO_NOTEMPTY : C.ERRNO_INVAL);
        if (w.trailingSlash && fs.lstatSync(p).isSymbolicLink()) fail(C.ERRNO_NOTDIR);
        fs.rmdirSync(p);
      },
      false,
    );
  }

  unlink(path: ByteString): void {
    this.at(
      path,
      false,
      (w, p) => {
        if (w.trailingSlash) fail(fs.lstatSync(p).isDirectory() ? C.ERRNO_ISDIR : C.ERRNO_NOTDIR);
        fs.unlinkSync(p);
      },
      false,
    );
  }

  rename(path: ByteString, target: DirHandle, targetPath: ByteString): void {
    if (!(target instanceof HostDir)) fail(C.ERRNO_XDEV);
    this.at(
      path,
      false,
      (w, from) => {
        target.at(
          targetPath,
          false,
          (tw, to) => {
            if (w.name === '.' || tw.name === '.') fail(C.ERRNO_BUSY);
            if ((w.trailingSlash || tw.trailingSlash) && !fs.lstatSync(from).isDirectory()) fail(C.ERRNO_NOTDIR);
            fs.renameSync(from, to);
          },
          false,
        );
      },
      false,
    );
  }

  link(path: ByteString, followFinal: boolean, target: DirHandle, targetPath: ByteString): void {
    if (!(target instanceof HostDir)) fail(C.ERRNO_XDEV);
    this.at(
      path,
      followFinal,
      (w, from) => {
        target.at(
          targetPath,
          false,
          (tw, to) => {
            // Linux's order: the source exists, a slash on it needs a directory, the target must
            // not exist, a slash on a new target is ENOENT, and directories cannot be linked.
            const src = fs.lstatSync(from, { throwIfNoEntry: false });
            if (!src) fail(C.ERRNO_NOENT);
            if (w.trailingSlash && !src.isDirectory()) fail(C.ERRNO_NOTDIR);
            if (fs.lstatSync(to, { throwIfNoEntry: false })) fail(C.ERRNO_EXIST);
            if (tw.trailingSlash) fail(C.ERRNO_NOENT);
            if (src.isDirectory()) fail(C.ERRNO_PERM);
            fs.linkSync(from, to);
          },
          false,
        );
      },
      false,
    );
  }

  symlink(linkTarget: ByteString, path: ByteString): void {
    // An absolute target could never be followed inside the sandbox; refuse to create one.
    if (linkTarget.startsWith('/')) fail(C.ERRNO_PERM);
    this.at(
      path,
      false,
      (w, p) => {
        // A trailing slash names a directory: there is nothing to create there.
        if (w.trailingSlash) fail(fs.lstatSync(p, { throwIfNoEntry: false }) ? C.ERRNO_EXIST : C.ERRNO_NOENT);
        fs.symlinkSync(fsPath(linkTarget), p);
      },
      false,
    );
  }

  readlink(path: ByteString): ByteString {
    // With a trailing slash the name is looked up through the link, so it is never one.
    if (path.endsWith('/')) {
      const s = this.statAt(path, true);
      fail(s.filetype === C.FILETYPE_DIRECTORY ? C.ERRNO_INVAL : C.ERRNO_NOTDIR);
    }
    return this.at(path, false, (_w, p) => readlinkBytes(p), false);
  }

  stat(): Filestat {
    return filestatOf(host(() => fs.fstatSync(this.fd, { bigint: true })));
  }

  setTimes(times: TimesUpdate): void {
    const cur = this.stat();
    host(() => setTimesExact(procPath(this.fd), times.atim ?? cur.atim, times.mtim ?? cur.mtim, true));
  }

  sync(): void {
    host(() => fs.fsyncSync(this.fd));
  }

  datasync(): void {
    host(() => fs.fdatasyncSync(this.fd));
  }

  close(): void {
    this.#dirs?.clear();
    host(() => fs.closeSync(this.fd));
  }
}
