/**
 * The guest's randomness (`random_get`): the kernel's CSPRNG, as node:wasi (libuv's
 * `getrandom`) and wasmtime give it. Node.js has no `getrandom(2)` outside node:crypto, and
 * loading node:crypto costs a keep's worker 11–17 ms (its algorithm lists and streams), which
 * every program that seeds a hash table (CPython, Ruby) paid at start-up. So the bytes are read
 * from `/dev/urandom`, the same kernel pool: once the pool is initialised, reads of it and
 * `getrandom(2)` draw from one generator (random(4)).
 *
 * The device is the host's file system's, so it is believed only when it is what it claims:
 * Linux's urandom, character device 1:9. A regular file, `/dev/zero` bind-mounted over it, or no
 * device at all makes this fall back to node:crypto (OpenSSL's generator, seeded by
 * `getrandom(2)`, which no file can replace); nothing predictable ever reaches the guest.
 */
import * as fs from 'node:fs';

/** Where the kernel's generator is read. */
export const URANDOM_PATH = '/dev/urandom';

/** Linux's urandom device number: major 1, minor 9 (the kernel's devices.txt), as `st_rdev`. */
export const URANDOM_RDEV = (1 << 8) | 9;

function cryptoFill(dst: Uint8Array): void {
  (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).randomFillSync(dst);
}

/** The kernel's CSPRNG for one guest: the device is opened at the first call, closed by {@link close}. */
export class KernelRandom {
  /** The open device; null when it is unusable (then node:crypto serves). */
  #fd: number | null | undefined;

  /** `path`: the device to read (tests name impostors). */
  constructor(private readonly path: string = URANDOM_PATH) {}

  /** Whether bytes come from the device (false: from node:crypto). Opens it if needed. */
  get fromDevice(): boolean {
    return this.#device() !== null;
  }

  /** Fills `dst` with random bytes. */
  fill(dst: Uint8Array): void {
    const fd = this.#device();
    if (fd === null) return cryptoFill(dst);
    let off = 0;
    while (off < dst.length) {
      // A read of urandom is short only when interrupted or past 32 MiB; it never ends.
      const n = fs.readSync(fd, dst, off, dst.length - off, null);
      if (n <= 0) return cryptoFill(dst.subarray(off));
      off += n;
    }
  }

  /** Closes the device (the next call opens it again). */
  close(): void {
    if (typeof this.#fd === 'number') fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #device(): number | null {
    if (this.#fd !== undefined) return this.#fd;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const st = fs.fstatSync(fd);
      if (st.isCharacterDevice() && st.rdev === URANDOM_RDEV) return (this.#fd = fd);
    } catch {
      // missing or unreadable: node:crypto serves
    }
    if (fd !== undefined) fs.closeSync(fd);
    return (this.#fd = null);
  }
}
