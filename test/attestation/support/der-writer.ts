/**
 * A tiny DER writer for building test certificates, CRLs and AMD extensions. Test-only: it
 * trusts its caller and writes exactly what it is told, malformed structures included.
 */

/** One DER element: tag byte + minimal length + content. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  const out = new Uint8Array(header.length + n);
  out.set(header);
  out.set(content, header.length);
  return out;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(...items));
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, concat(...items));
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const bits = (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, concat(Uint8Array.of(unused), b));
export const bool = (v: boolean): Uint8Array => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
export const nul = (): Uint8Array => Uint8Array.of(0x05, 0);
export const ia5 = (s: string): Uint8Array => tlv(0x16, new TextEncoder().encode(s));
export const utf8 = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));
export const printable = (s: string): Uint8Array => tlv(0x13, new TextEncoder().encode(s));
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 + n, inner);

/** A non-negative INTEGER with minimal encoding (a leading 00 when the top bit is set). */
export function int(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** An INTEGER with exactly these content octets (for non-minimal encodings such as 02 02 00 D9). */
export const rawInt = (content: Uint8Array): Uint8Array => tlv(0x02, content);

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

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function time(d: Date): Uint8Array {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  if (y >= 1950 && y < 2050) return tlv(0x17, new TextEncoder().encode(p(y % 100) + body));
  return tlv(0x18, new TextEncoder().encode(p(y, 4) + body));
}
