/**
 * A guest for tests that drive the WASI layer through its `wasi_snapshot_preview1` imports: the
 * memory of a hand-made module whose `_start` calls back into the test (so the descriptor table
 * is live), with helpers that place arguments in that memory and read results back.
 */
import assert from 'node:assert/strict';
import * as C from '../../src/wasi/constants.js';
import { NullFile } from '../../src/wasi/fs/null.js';
import { Wasi, WASI_MODULE } from '../../src/wasi/wasi.js';
import type { Preopen } from '../../src/wasi/wasi.js';
import { buildModule } from './wasm.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export type Fn = (...args: (number | bigint)[]) => number;

/** The guest's side: memory plus the WASI functions, with a bump allocator for arguments. */
export class Guest {
  private next = 1024;
  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly fns: Record<string, Fn>,
  ) {}

  call(name: string, ...args: (number | bigint)[]): number {
    const fn = this.fns[name];
    assert.ok(fn, name);
    return fn(...args);
  }

  alloc(n: number): number {
    const p = this.next;
    this.next += (n + 7) & ~7;
    assert.ok(this.next < this.memory.buffer.byteLength);
    return p;
  }

  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, len);
  }

  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** A string (as UTF-8) or raw bytes in guest memory: [ptr, len]. */
  str(s: string | Uint8Array): [number, number] {
    const b = typeof s === 'string' ? enc.encode(s) : s;
    const p = this.alloc(b.length);
    this.bytes(p, b.length).set(b);
    return [p, b.length];
  }

  /** An iovec array over fresh buffers holding `parts` (or `sizes` zero bytes). */
  iovs(parts: (string | number)[]): { ptr: number; len: number; bufs: [number, number][] } {
    const ptr = this.alloc(parts.length * 8);
    const bufs: [number, number][] = parts.map((p) => (typeof p === 'string' ? this.str(p) : [this.alloc(p), p]));
    bufs.forEach(([b, l], i) => {
      this.view().setUint32(ptr + i * 8, b, true);
      this.view().setUint32(ptr + i * 8 + 4, l, true);
    });
    return { ptr, len: parts.length, bufs };
  }

  u32(ptr: number): number {
    return this.view().getUint32(ptr, true);
  }

  u64(ptr: number): bigint {
    return this.view().getBigUint64(ptr, true);
  }

  /** path_open; returns [errno, fd]. */
  open(dirFd: number, path: string | Uint8Array, o: { follow?: boolean; oflags?: number; rights?: bigint; fdflags?: number } = {}): [number, number] {
    const [p, l] = this.str(path);
    const out = this.alloc(4);
    const rights = o.rights ?? C.RIGHTS_REGULAR_FILE_BASE | C.RIGHTS_DIRECTORY_BASE;
    const e = this.call('path_open', dirFd, o.follow === false ? 0 : C.LOOKUPFLAGS_SYMLINK_FOLLOW, p, l, o.oflags ?? 0, rights, rights, o.fdflags ?? 0, out);
    return [e, e === 0 ? this.u32(out) : -1];
  }

  write(fd: number, ...parts: string[]): number {
    const v = this.iovs(parts);
    const n = this.alloc(4);
    assert.equal(this.call('fd_write', fd, v.ptr, v.len, n), C.ERRNO_SUCCESS);
    return this.u32(n);
  }

  /** fd_read or fd_pread into one buffer of `max` bytes; the text read. */
  read(fd: number, max: number, offset?: bigint): string {
    const v = this.iovs([max]);
    const n = this.alloc(4);
    const e = offset === undefined ? this.call('fd_read', fd, v.ptr, v.len, n) : this.call('fd_pread', fd, v.ptr, v.len, offset, n);
    assert.equal(e, C.ERRNO_SUCCESS);
    const [b] = v.bufs[0]!;
    return dec.decode(this.bytes(b, this.u32(n)).slice());
  }

  /** A 64-byte filestat at `ptr`. */
  filestat(ptr: number): { dev: bigint; ino: bigint; filetype: number; nlink: bigint; size: bigint; atim: bigint; mtim: bigint } {
    const v = this.view();
    return {
      dev: v.getBigUint64(ptr, true),
      ino: v.getBigUint64(ptr + 8, true),
      filetype: v.getUint8(ptr + 16),
      nlink: v.getBigUint64(ptr + 24, true),
      size: v.getBigUint64(ptr + 32, true),
      atim: v.getBigUint64(ptr + 40, true),
      mtim: v.getBigUint64(ptr + 48, true),
    };
  }

  statPath(dirFd: number, path: string | Uint8Array, follow = false): [number, ReturnType<Guest['filestat']> | undefined] {
    const [p, l] = this.str(path);
    const out = this.alloc(64);
    const e = this.call('path_filestat_get', dirFd, follow ? C.LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, l, out);
    return [e, e === 0 ? this.filestat(out) : undefined];
  }

  /** fd_readdir from cookie 0 with a large buffer: each name's bytes. */
  readdirBytes(fd: number): Buffer[] {
    const buf = this.alloc(4096);
    const used = this.alloc(4);
    assert.equal(this.call('fd_readdir', fd, buf, 4096, 0n, used), C.ERRNO_SUCCESS);
    const out: Buffer[] = [];
    const end = buf + this.u32(used);
    for (let p = buf; p + 24 <= end; ) {
      const len = this.u32(p + 16);
      out.push(Buffer.from(this.bytes(p + 24, len)));
      p += 24 + len;
    }
    return out;
  }

  /** fd_readdir from cookie 0 with a large buffer: names and types. */
  readdir(fd: number): string[] {
    const buf = this.alloc(4096);
    const used = this.alloc(4);
    assert.equal(this.call('fd_readdir', fd, buf, 4096, 0n, used), C.ERRNO_SUCCESS);
    const out: string[] = [];
    const end = buf + this.u32(used);
    for (let p = buf; p + 24 <= end; ) {
      const len = this.u32(p + 16);
      const type = this.view().getUint8(p + 20);
      out.push(`${dec.decode(this.bytes(p + 24, len).slice())}:${type}`);
      p += 24 + len;
    }
    return out;
  }
}

/** Runs `body` as the guest's `_start` with the given preopens; returns the exit code. */
export function runGuest(preopens: Preopen[], body: (g: Guest) => void, memoryPages = 2): number {
  const wasi = new Wasi({ args: ['guest'], env: [], files: [new NullFile(), new NullFile(), new NullFile()], preopens });
  const bytes = buildModule([{ name: '_start', body: [0x10, 0x00] }], {
    memoryPages,
    imports: [{ module: 'test', name: 'body', params: 0, results: 0 }],
  });
  let guest: Guest | undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    ...wasi.imports,
    test: {
      body: () => {
        guest ??= new Guest(instance.exports['memory'] as WebAssembly.Memory, wasi.imports[WASI_MODULE] as Record<string, Fn>);
        body(guest);
      },
    },
  });
  return wasi.start(instance);
}
