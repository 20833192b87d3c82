/**
 * A minimal DER (ITU-T X.690) reader: enough to slice the exact signed bytes out of certificates
 * and CRLs and to read the few primitive values we interpret ourselves.
 *
 * Why not re-serialise a parsed ASN.1 object: a signature covers the bytes that were sent, and a
 * decode/encode round trip is not guaranteed to reproduce them. Slicing is.
 */
import { AttestationError } from '../errors.js';

/** One tag-length-value element located inside a buffer. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset one past the last content octet. */
  readonly end: number;
}

/** Universal tags used by the callers. */
export const DerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  SEQUENCE: 0x30,
} as const;

function fail(what: string): never {
  throw new AttestationError('ERR_FORMAT', `malformed DER: ${what}`);
}

/**
 * Reads the element that starts at `offset` and must end at or before `limit`.
 * @throws AttestationError ERR_FORMAT on truncation, high tag numbers, indefinite or non-minimal lengths.
 */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (offset + 2 > limit) fail('element truncated');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not used here');
  let pos = offset + 1;
  const first = bytes[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) fail('indefinite length');
    if (n > 4) fail('length too large');
    if (pos + n > limit) fail('length truncated');
    if (bytes[pos] === 0) fail('non-minimal length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
    if (length < 0x80) fail('non-minimal length');
  }
  const end = pos + length;
  if (end > limit) fail('content runs past its container');
  return { tag, start: offset, contentStart: pos, end };
}

/** Reads the element at `offset` and checks its tag. @throws AttestationError ERR_FORMAT */
export function expectTlv(bytes: Uint8Array, offset: number, tag: number, what: string, limit?: number): Tlv {
  const tlv = readTlv(bytes, offset, limit);
  if (tlv.tag !== tag) fail(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The child elements of a constructed element, in order. @throws AttestationError ERR_FORMAT */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readTlv(bytes, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The content octets of `tlv` (a view, not a copy). */
export function contentOf(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding of `tlv`, identifier and length included (a view, not a copy). */
export function encodingOf(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

/**
 * The value of a non-negative DER INTEGER as a bigint (leading zero octets allowed, so that
 * AMD's `02 02 00 D9` reads as 217). @throws AttestationError ERR_FORMAT when negative or empty.
 */
export function unsignedInteger(content: Uint8Array, what: string): bigint {
  if (content.length === 0) fail(`${what}: empty INTEGER`);
  if ((content[0]! & 0x80) !== 0) fail(`${what}: negative INTEGER`);
  let v = 0n;
  for (const b of content) v = (v << 8n) | BigInt(b);
  return v;
}

/** Longest OBJECT IDENTIFIER content read (the longest in use are ~20 bytes). */
export const MAX_OID_BYTES = 128;

/** Decodes the content octets of an OBJECT IDENTIFIER to dotted form. @throws AttestationError ERR_FORMAT */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) fail('empty OBJECT IDENTIFIER');
  // A hostile arc of many thousand bytes costs quadratic time as a bigint; real OIDs are short.
  if (content.length > MAX_OID_BYTES) fail(`OBJECT IDENTIFIER longer than ${MAX_OID_BYTES} bytes`);
  const arcs: bigint[] = [];
  let v = 0n;
  let inArc = false;
  for (const b of content) {
    if (!inArc && b === 0x80) fail('non-minimal OBJECT IDENTIFIER arc');
    v = (v << 7n) | BigInt(b & 0x7f);
    inArc = (b & 0x80) !== 0;
    if (!inArc) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (inArc) fail('truncated OBJECT IDENTIFIER');
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}
