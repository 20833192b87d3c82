/**
 * The directories a HostDir's path walks opened, kept open for the walks after them.
 *
 * A walk opens every intermediate directory itself (hostfs.ts), one `open` + `close` per
 * component, so `tree/d00/inner/f000.txt` costs six system calls before the operation itself.
 * Programs work in a few folders at a time, so the last few folders a walk reached are kept open,
 * keyed by the plain relative path that named them (no `.`, `..`, empty component or symlink on
 * the way, so the path and the walk agree), with the identity (st_dev, st_ino) they had then.
 *
 * A cached folder is used only after one `lstat` of its path, resolved by the kernel from the
 * root, names the same directory now: anything that moved, removed or replaced a folder on the
 * way since (this guest or anyone else on the host) makes the entry a miss, and the walk is done
 * again. The open descriptor pins the inode, so its number cannot be reused for another
 * directory. The kernel's resolution follows intermediate symlinks where our walk would refuse
 * some (a target climbing above the root); with the identities equal it still reached the very
 * directory our walk reached before, inside the tree, so nothing outside becomes reachable.
 */
import type { ByteString } from './byte-string.js';
import * as sys from './hostcalls.js';

/**
 * Folders kept per HostDir. At least 2: a rename's second walk may add an entry while the
 * first's folder is in use, and the entry it evicts is the least recently used, never that one.
 */
export const DIR_CACHE_ENTRIES = 8;

/**
 * Folders held by all caches of this thread together: a guest with many directory descriptors
 * must not turn each into nine host descriptors (past this, walks just do not cache).
 */
export const DIR_CACHE_TOTAL = 64;
let held = 0;

/** How many folders the caches of this thread hold open. */
export function heldFolders(): number {
  return held;
}

interface Entry {
  readonly fd: number;
  readonly dev: bigint;
  readonly ino: bigint;
}

/** Whether `dir` is a path our walk and the kernel's resolve alike: relative, no `.`, `..` or empty component. */
export function plainDir(dir: ByteString): boolean {
  if (dir.length === 0 || dir.startsWith('/') || dir.endsWith('/') || dir.includes('//')) return false;
  const wrapped = `/${dir}/`;
  return !wrapped.includes('/./') && !wrapped.includes('/../');
}

/** The folders below one directory descriptor that walks reached last. */
export class DirCache {
  /** In use order: the first is the least recently used. */
  readonly #entries = new Map<ByteString, Entry>();

  constructor(private readonly rootFd: number) {}

  /** The open folder `dir` (a {@link plainDir} path) names now, or undefined (the caller walks). */
  lookup(dir: ByteString): number | undefined {
    const e = this.#entries.get(dir);
    if (e === undefined) return undefined;
    this.#entries.delete(dir);
    let now: sys.HostStat | undefined;
    try {
      now = sys.statAt(this.rootFd, dir, false);
    } catch {
      // ENOTDIR, ELOOP, EACCES…: the walk will say which.
    }
    if (now === undefined || now.ino !== e.ino || now.dev !== e.dev) {
      held--;
      sys.close(e.fd);
      return undefined;
    }
    this.#entries.set(dir, e);
    return e.fd;
  }

  /**
   * Offers `fd`, the folder a plain walk of `dir` just opened. Returns whether the cache took it
   * (it then closes it when the entry goes); if not, the caller still owns it.
   */
  keep(dir: ByteString, fd: number): boolean {
    let st: sys.HostStat;
    try {
      st = sys.fstat(fd);
    } catch {
      return false;
    }
    const old = this.#entries.get(dir);
    if (old !== undefined) {
      this.#entries.delete(dir);
      sys.close(old.fd);
    } else if (this.#entries.size >= DIR_CACHE_ENTRIES) {
      // The least recently used goes (never the folder a walk in progress holds: see above).
      const [oldest, e] = this.#entries.entries().next().value as [ByteString, Entry];
      this.#entries.delete(oldest);
      sys.close(e.fd);
    } else if (held >= DIR_CACHE_TOTAL) {
      return false;
    } else {
      held++;
    }
    this.#entries.set(dir, { fd, dev: st.dev, ino: st.ino });
    return true;
  }

  /** Closes every folder it holds. */
  clear(): void {
    held -= this.#entries.size;
    for (const e of this.#entries.values()) sys.close(e.fd);
    this.#entries.clear();
  }
}
