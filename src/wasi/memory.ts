/**
 * Bounds-checked access to the guest's linear memory. Every pointer from the guest is untrusted:
 * an access outside memory fails with EFAULT instead of throwing a RangeError. Views are taken
 * afresh whenever the memory has grown (growth detaches the old ArrayBuffer).
 */
import * as C from './constants.js';
import { fail } from './errno.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

/** One `iovec`/`ciovec`: a guest buffer. */
export interface IoVec {
  readonly ptr: number;
  readonly len: number;
}

/** The guest's memory, seen from the WASI layer. */
export class GuestMemory {
  private buf: ArrayBuffer | undefined;
  private dv!: DataView;
  private u8!: Uint8Array;

  constructor(private readonly memory: () => WebAssembly.Memory) {}

  private refresh(): void {
    const b = this.memory().buffer as ArrayBuffer;
    if (b !== this.buf) {
      this.buf = b;
      this.dv = new DataView(b);
      this.u8 = new Uint8Array(b);
    }
  }

  /** Fails with EFAULT unless [ptr, ptr+len) lies inside memory. */
  check(ptr: number, len: number): void {
    this.refresh();
    // Pointers arrive as i32; treat them as unsigned.
    if (ptr < 0 || len < 0 || ptr + len > this.u8.length) fail(C.ERRNO_FAULT);
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

  /** Decodes a guest UTF-8 string; EILSEQ when it is not valid UTF-8, EINVAL on a NUL byte. */
  string(ptr: number, len: number): string {
    const b = this.bytes(ptr, len);
    if (b.includes(0)) fail(C.ERRNO_INVAL);
    try {
      return utf8.decode(b);
    } catch {
      return fail(C.ERRNO_ILSEQ);
    }
  }

  /** Reads an array of `iovec`s (each `{ buf: u32, buf_len: u32 }`, 8 bytes). */
  iovecs(ptr: number, count: number): IoVec[] {
    ptr >>>= 0;
    count >>>= 0;
    this.check(ptr, count * 8);
    const out: IoVec[] = [];
    for (let i = 0; i < count; i++) {
      const base = this.dv.getUint32(ptr + i * 8, true);
      const len = this.dv.getUint32(ptr + i * 8 + 4, true);
      this.check(base, len);
      out.push({ ptr: base, len });
    }
    return out;
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
