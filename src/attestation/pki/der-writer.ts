/**
 * A minimal DER (ITU-T X.690) writer, the counterpart of der.ts (the strict reader): what the
 * simulated platform, the steward and attested CSRs encode. It encodes exactly what it is given;
 * the callers build well-formed structures.
 */

/** One element: identifier octet, minimal definite length, the contents one after another. */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  const n = contents.reduce((sum, c) => sum + c.length, 0);
  const len: number[] = [];
  if (n < 0x80) len.push(n);
  else {
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    len.unshift(0x80 | len.length);
  }
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  let at = 1 + len.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The concatenation of `parts`. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(...items));
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, concat(...items));
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
/** A BIT STRING with no unused bits unless told. */
export const bits = (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, concat(Uint8Array.of(unused), b));
export const bool = (v: boolean): Uint8Array => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
export const nul = (): Uint8Array => Uint8Array.of(0x05, 0);
export const ia5 = (s: string): Uint8Array => tlv(0x16, text(s));
export const utf8 = (s: string): Uint8Array => tlv(0x0c, text(s));
/** Context-specific constructed [n] EXPLICIT. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 + n, inner);
/** Context-specific primitive [n] IMPLICIT over raw content. */
export const implicit = (n: number, content: Uint8Array): Uint8Array => tlv(0x80 + n, content);

/** A non-negative INTEGER, minimally encoded (a leading 00 when the top bit is set). */
export function int(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError('int: negative values are not used here');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** An OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(BigInt);
  const out: number[] = [];
  const enc = (v: bigint): void => {
    const b: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) b.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...b);
  };
  enc(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) enc(a);
  return tlv(0x06, Uint8Array.from(out));
}

/** Time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5), whole seconds. */
export function time(d: Date): Uint8Array {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  if (y >= 1950 && y < 2050) return tlv(0x17, text(p(y % 100) + body));
  return tlv(0x18, text(p(y, 4) + body));
}
