/**
 * Byte helpers for the DCAP parsers: a bounds-checked little-endian reader, hex decoding, and a
 * constant-time comparison. Every out-of-bounds read becomes `ERR_FORMAT`, never a RangeError.
 */
import { timingSafeEqual } from 'node:crypto';
import { AttestationError } from '../errors.js';

/** Reads little-endian fields from an untrusted buffer, refusing to run past `end`. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #pos: number;
  readonly #what: string;

  /** `what` names the structure in error messages. */
  constructor(bytes: Uint8Array, what: string, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
    this.#what = what;
  }

  /** Offset of the next unread byte (absolute, within the original buffer). */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number, field: string): number {
    if (n < 0 || this.#pos + n > this.#end) {
      throw new AttestationError(
        'ERR_FORMAT',
        `${this.#what}: ${field} needs ${n} bytes at offset ${this.#pos}, only ${this.remaining} left`,
      );
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  /** A copy of the next `n` bytes. */
  bytes(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.slice(at, at + n);
  }

  /** Skips the next `n` bytes. */
  skip(n: number, field: string): void {
    this.#need(n, field);
  }

  /** A little-endian unsigned 16-bit integer. */
  u16(field: string): number {
    const at = this.#need(2, field);
    return this.#bytes[at]! | (this.#bytes[at + 1]! << 8);
  }

  /** A little-endian unsigned 32-bit integer. */
  u32(field: string): number {
    const at = this.#need(4, field);
    return (
      (this.#bytes[at]! | (this.#bytes[at + 1]! << 8) | (this.#bytes[at + 2]! << 16)) +
      this.#bytes[at + 3]! * 0x1000000
    );
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes strict hex (even length, no prefix); `undefined` when `text` is not hex. */
export function parseHex(text: string): Uint8Array | undefined {
  if (!HEX.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Little-endian u32 of 4 bytes at `offset` of a buffer already known to be long enough. */
export function readU32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)) + bytes[offset + 3]! * 0x1000000;
}

/** Equality of two byte strings whose duration does not depend on where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** True when every byte is zero. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** `a & mask === b & mask`, byte-wise over equal-length inputs. */
export function maskedEqual(a: Uint8Array, b: Uint8Array, mask: Uint8Array): boolean {
  if (a.length !== b.length || a.length !== mask.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i]! & mask[i]!) !== (b[i]! & mask[i]!)) return false;
  return true;
}
