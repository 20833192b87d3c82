/**
 * Fingerprints and the hex forms used to compare certificates, names and serial numbers.
 */
import { createHash } from 'node:crypto';

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** SHA-256 of `bytes` as lower-case hex: the fingerprint we pin certificates by. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A serial number's INTEGER content octets as minimal lower-case hex, so that certificates and
 * CRL entries compare equal however many leading zero octets they carry. A (non-conforming)
 * negative serial keeps its two's-complement octets, prefixed with `-` so it cannot collide.
 */
export function serialHex(content: Uint8Array): string {
  if (content.length > 0 && (content[0]! & 0x80) !== 0) return '-' + toHex(content);
  const hex = toHex(content).replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}
