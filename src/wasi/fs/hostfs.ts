/**
 * Host directories as WASI capabilities (`--dir HOST::GUEST`).
 *
 * Every operation is a system call on a name inside an already open directory descriptor (the
 * `*at` calls of hostcalls.ts), whatever has happened to that directory's path since. Paths
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
import type { ByteString } from './byte-string.js';
import { filestatOf, filetypeOf, filetypeOfType } from './hoststat.js';
import { HostFile } from './host-file.js';
import * as sys from './hostcalls.js';
import { DirCache, plainDir } from './dir-cache.js';
import type { DirEntry, DirHandle, FileHandle, Filestat, OpenRequest, TimesUpdate } from './types.js';

const O = fs.constants;
/** Linux caps symlink expansions at 40 (MAXSYMLINKS); so do we. */
const MAX_SYMLINKS = 40;

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
  readonly found?: sys.HostStat | null;
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

/** The target of the symlink `name` in `dirFd`, or undefined when it is not a symlink (or gone). */
function tryReadlink(dirFd: number, name: ByteString): ByteString | undefined {
  try {
    return sys.readlinkAt(dirFd, name);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EINVAL' || code === 'ENOENT') return undefined;
    throw err;
  }
}

/** What the name a walk ended at is, without following it: ENOENT when nothing is there. */
function lstatOf(w: Walked): sys.HostStat {
  return sys.statAt(w.dirFd, w.name, false) ?? fail(C.ERRNO_NOENT);
}

/** A directory open on the host: the root of everything reachable through it. */
export class HostDir implements DirHandle {
  readonly kind = 'dir' as const;
  readonly filetype = C.FILETYPE_DIRECTORY;
  readonly seekable = false;

  /** Folders below this one that walks reached last (made at the first walk that opens one). */
  #dirs: DirCache | undefined;

  constructor(readonly fd: number) {}

  /**
   * Opens a host directory path as a capability (used for `--dir`): the host's own path, the one
   * name not resolved below a descriptor (hostcalls.ts refuses absolute paths).
   */
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
      while (stack.length > 1) sys.close(stack.pop()!);
    };
    // No symlink followed so far (`.`, `..` and empty components are not in a cache key): the
    // folder reached is the one the path names, and may be cached.
    let plain = true;
    const ending = (name: ByteString, found?: sys.HostStat | null): Walked => {
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
          sys.close(stack.pop()!);
          if (last) return { dirFd: stack[stack.length - 1]!, name: '.', trailingSlash, dotDot: true, release };
          continue;
        }
        if (last && !followFinal && !(trailingSlash && slashFollows)) return ending(comp);
        let target: ByteString | undefined;
        if (last) {
          // A missing name is no error here, the common case for O_CREAT.
          const st = host(() => sys.statAt(top, comp, false));
          if (!st?.isSymbolicLink()) return ending(comp, st ?? null);
          target = host(() => sys.readlinkAt(top, comp));
        } else {
          // Optimistically open the directory; only a symlink (or an error) costs more.
          try {
            stack.push(sys.openAt(top, comp, O.O_RDONLY | O.O_DIRECTORY | O.O_NOFOLLOW, 0));
            continue;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code !== 'ELOOP' && code !== 'ENOTDIR') fail(errnoFromHost(err));
            target = host(() => tryReadlink(top, comp));
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
    const found = host(() => sys.statAt(dirFd, name, false));
    if (found?.isSymbolicLink()) return undefined;
    return { dirFd, name, trailingSlash: false, dotDot: false, release: nothingToRelease, found: found ?? null };
  }

  /** Hands the folder `dir` a plain walk ended in (the top of `stack`) to the cache, if it takes it. */
  private offer(dir: ByteString, stack: number[]): void {
    if ((this.#dirs ??= new DirCache(this.fd)).keep(dir, stack[stack.length - 1]!)) stack.pop();
  }

  /** Runs `fn` on the walked path and always releases the walk's descriptors. */
  private at<T>(path: ByteString, followFinal: boolean, fn: (w: Walked) => T, slashFollows = true): T {
    const w = this.walk(path, followFinal, slashFollows);
    try {
      return host(() => fn(w));
    } finally {
      w.release();
    }
  }

  readdir(): DirEntry[] {
    const self = host(() => sys.fstat(this.fd));
    const parent = host(() => sys.statAt(this.fd, '..', true));
    if (parent === undefined) return fail(C.ERRNO_NOENT);
    const entries: DirEntry[] = [
      { name: '.', ino: self.ino, filetype: C.FILETYPE_DIRECTORY },
      { name: '..', ino: parent.ino, filetype: C.FILETYPE_DIRECTORY },
    ];
    // Names as bytes: one that is not UTF-8 must be listed as it is, or it could never be removed.
    for (const { name, ino, type } of host(() => sys.readdirAt(this.fd))) {
      if (type !== 0) {
        entries.push({ name, ino, filetype: filetypeOfType(type) });
        continue;
      }
      // The file system gave no type: ask lstat (an entry gone since is skipped, as a later
      // listing would).
      let s: sys.HostStat | undefined;
      try {
        s = sys.statAt(this.fd, name, false);
      } catch {
        // Unreadable: skipped too.
      }
      if (s !== undefined) entries.push({ name, ino, filetype: filetypeOf(s) });
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
      // The kernel appends for an APPEND descriptor: each write at the end in one step (types.ts).
      if (req.fdflags & C.FDFLAGS_APPEND) flags |= O.O_APPEND;
      if (req.fdflags & C.FDFLAGS_SYNC) flags |= O.O_SYNC;
      if (req.fdflags & (C.FDFLAGS_DSYNC | C.FDFLAGS_RSYNC)) flags |= O.O_DSYNC;
      flags |= req.write ? (req.read ? O.O_RDWR : O.O_WRONLY) : O.O_RDONLY;
      let fd: number;
      try {
        fd = sys.openAt(w.dirFd, w.name, flags, 0o644);
      } catch (err) {
        // O_DIRECTORY|O_NOFOLLOW on a symlink: report it as "not a directory" when not following.
        if ((err as { code?: string }).code === 'ELOOP' && flags & O.O_DIRECTORY && !req.followFinal) fail(C.ERRNO_NOTDIR);
        throw err;
      }
      try {
        const st = sys.fstat(fd);
        return st.isDirectory() ? new HostDir(fd) : new HostFile(fd, false, st);
      } catch (err) {
        sys.close(fd);
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
    return this.at(path, followFinal, (w) => {
      // A missing name is common (a probe for a lock file): no error is made for it.
      const s = w.found !== undefined ? w.found : sys.statAt(w.dirFd, w.name, false);
      if (!s) return fail(C.ERRNO_NOENT);
      if (w.trailingSlash && !s.isDirectory()) fail(C.ERRNO_NOTDIR);
      return filestatOf(s);
    });
  }

  setTimesAt(path: ByteString, followFinal: boolean, times: TimesUpdate): void {
    this.at(path, followFinal, (w) => {
      const s = lstatOf(w);
      if (w.trailingSlash && !s.isDirectory()) fail(C.ERRNO_NOTDIR);
      sys.utimensAt(w.dirFd, w.name, times.atim ?? s.atimeNs, times.mtim ?? s.mtimeNs, false);
    });
  }

  // The operations below act on a name, not on what a final symlink points to; their answers
  // for trailing slashes, `.` and `..` follow Linux.
  mkdir(path: ByteString): void {
    this.at(path, false, (w) => sys.mkdirAt(w.dirFd, w.name, 0o755), false);
  }

  rmdir(path: ByteString): void {
    this.at(
      path,
      false,
      (w) => {
        if (w.name === '.') fail(w.dotDot ? C.ERRNO_NOTEMPTY : C.ERRNO_INVAL);
        if (w.trailingSlash && lstatOf(w).isSymbolicLink()) fail(C.ERRNO_NOTDIR);
        sys.unlinkAt(w.dirFd, w.name, true);
      },
      false,
    );
  }

  unlink(path: ByteString): void {
    this.at(
      path,
      false,
      (w) => {
        if (w.trailingSlash) fail(lstatOf(w).isDirectory() ? C.ERRNO_ISDIR : C.ERRNO_NOTDIR);
        sys.unlinkAt(w.dirFd, w.name, false);
      },
      false,
    );
  }

  rename(path: ByteString, target: DirHandle, targetPath: ByteString): void {
    if (!(target instanceof HostDir)) fail(C.ERRNO_XDEV);
    this.at(
      path,
      false,
      (w) => {
        target.at(
          targetPath,
          false,
          (tw) => {
            if (w.name === '.' || tw.name === '.') fail(C.ERRNO_BUSY);
            if ((w.trailingSlash || tw.trailingSlash) && !lstatOf(w).isDirectory()) fail(C.ERRNO_NOTDIR);
            sys.renameAt(w.dirFd, w.name, tw.dirFd, tw.name);
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
      (w) => {
        target.at(
          targetPath,
          false,
          (tw) => {
            // Linux's order: the source exists, a slash on it needs a directory, the target must
            // not exist, a slash on a new target is ENOENT, and directories cannot be linked.
            const src = lstatOf(w);
            if (w.trailingSlash && !src.isDirectory()) fail(C.ERRNO_NOTDIR);
            if (sys.statAt(tw.dirFd, tw.name, false)) fail(C.ERRNO_EXIST);
            if (tw.trailingSlash) fail(C.ERRNO_NOENT);
            if (src.isDirectory()) fail(C.ERRNO_PERM);
            sys.linkAt(w.dirFd, w.name, tw.dirFd, tw.name);
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
      (w) => {
        // A trailing slash names a directory: there is nothing to create there.
        if (w.trailingSlash) fail(sys.statAt(w.dirFd, w.name, false) ? C.ERRNO_EXIST : C.ERRNO_NOENT);
        sys.symlinkAt(linkTarget, w.dirFd, w.name);
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
    return this.at(path, false, (w) => sys.readlinkAt(w.dirFd, w.name), false);
  }

  stat(): Filestat {
    return filestatOf(host(() => sys.fstat(this.fd)));
  }

  setTimes(times: TimesUpdate): void {
    const cur = this.stat();
    host(() => sys.utimensAt(this.fd, '', times.atim ?? cur.atim, times.mtim ?? cur.mtim, true));
  }

  sync(): void {
    host(() => fs.fsyncSync(this.fd));
  }

  datasync(): void {
    host(() => fs.fdatasyncSync(this.fd));
  }

  close(): void {
    this.#dirs?.clear();
    host(() => sys.close(this.fd));
  }
}
