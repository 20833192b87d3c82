/**
 * Bounds-checked access to the guest's linear memory. Every pointer from the guest is untrusted:
 * an access outside memory fails with EFAULT instead of throwing a RangeError.
 *
 * The views are taken afresh only when an access falls outside them: growing a (non-shared)
 * memory detaches its old ArrayBuffer, which leaves our views empty, and a shared memory's old
 * buffer keeps its old length, so a view that still covers an access is always a view of the
 * current memory. The hot syscalls therefore never ask the engine for `memory.buffer`.
 *
 * `iovec`/`ciovec` (wasi_snapshot_preview1.witx): `{ buf: u32, buf_len: u32 }`, 8 bytes,
 * little-endian, read in place with {@link GuestMemory.iovBuf}/{@link GuestMemory.iovLen}.
 */
import * as C from './constants.js';
import { fail } from './errno.js';
import type { ByteString } from './fs/byte-string.js';

const utf8enc = new TextEncoder();
const EMPTY = new ArrayBuffer(0);

/** Bytes of one `iovec`. */
export const IOVEC_SIZE = 8;

/** The guest's memory, seen from the WASI layer. */
export class GuestMemory {
  private u8 = new Uint8Array(EMPTY);
  private dv = new DataView(EMPTY);
  /** The same bytes as a Buffer, for its `latin1` conversions to and from ByteStrings. */
  private buf = Buffer.from(EMPTY);

  constructor(private readonly memory: () => WebAssembly.Memory) {}

  /** Views of the memory as it is now (it may have grown since the last ones). */
  private refresh(): void {
    const b = this.memory().buffer as ArrayBuffer;
    this.dv = new DataView(b);
    this.u8 = new Uint8Array(b);
    this.buf = Buffer.from(b);
  }

  /** Fails with EFAULT unless [ptr, ptr+len) lies inside memory (`ptr`, `len` unsigned). */
  check(ptr: number, len: number): void {
    if (ptr < 0 || len < 0 || ptr + len > this.u8.length) {
      this.refresh();
      if (ptr < 0 || len < 0 || ptr + len > this.u8.length) fail(C.ERRNO_FAULT);
    }
  }

  /** The whole memory as bytes, after {@link check}: valid until memory grows. */
  get view(): Uint8Array {
    return this.u8;
  }

  /** A view of guest bytes [ptr, ptr+len) (valid until memory grows). */
  bytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.u8.subarray(ptr, ptr + len);
  }

  u8get(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 1);
    return this.u8[ptr]!;
  }

  u8set(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 1);
    this.u8[ptr] = v;
  }

  u16set(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 2);
    this.dv.setUint16(ptr, v, true);
  }

  u16get(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 2);
    return this.dv.getUint16(ptr, true);
  }

  u32get(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return this.dv.getUint32(ptr, true);
  }

  u32set(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.dv.setUint32(ptr, v >>> 0, true);
  }

  u64get(ptr: number): bigint {
    ptr >>>= 0;
    this.check(ptr, 8);
    return this.dv.getBigUint64(ptr, true);
  }

  u64set(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /**
   * The guest bytes [ptr, ptr+len) as a ByteString (a name or path: any bytes, UTF-8 or not);
   * EINVAL when they hold a NUL, which no name can.
   */
  byteString(ptr: number, len: number): ByteString {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    const s = this.buf.toString('latin1', ptr, ptr + len);
    if (s.includes('\0')) fail(C.ERRNO_INVAL);
    return s;
  }

  /** Writes the bytes of the first `n` code units of `s` (a ByteString) at `ptr`. */
  writeByteString(ptr: number, s: ByteString, n = s.length): void {
    ptr >>>= 0;
    this.check(ptr, n);
    this.buf.write(s, ptr, n, 'latin1');
  }

  /**
   * Checks an array of `count` iovecs at `ptr` and every buffer they name (EFAULT before any
   * I/O when one lies outside memory). Returns their total length.
   */
  checkIovecs(ptr: number, count: number): number {
    ptr >>>= 0;
    count >>>= 0;
    this.check(ptr, count * IOVEC_SIZE);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const at = ptr + i * IOVEC_SIZE;
      const len = this.dv.getUint32(at + 4, true);
      this.check(this.dv.getUint32(at, true), len);
      total += len;
    }
    return total;
  }

  /** `buf` of the `i`th iovec at `ptr` (after {@link checkIovecs}). */
  iovBuf(ptr: number, i: number): number {
    return this.dv.getUint32((ptr >>> 0) + i * IOVEC_SIZE, true);
  }

  /** `buf_len` of the `i`th iovec at `ptr` (after {@link checkIovecs}). */
  iovLen(ptr: number, i: number): number {
    return this.dv.getUint32((ptr >>> 0) + i * IOVEC_SIZE + 4, true);
  }

  /** Copies `src` into guest memory at `ptr`. */
  write(ptr: number, src: Uint8Array): void {
    this.bytes(ptr, src.length).set(src);
  }
}

/** UTF-8 bytes of a string. */
export function encodeUtf8(s: string): Uint8Array {
  return utf8enc.encode(s);
}
