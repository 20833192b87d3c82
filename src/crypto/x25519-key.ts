/**
 * An X25519 key held as a node:crypto KeyObject, shaped like the CryptoKey that @hpke/core passes
 * to its KEM (node-x25519.ts). Its own module: the keep makes its key with this alone, before the
 * HPKE library is loaded.
 */
import { createPrivateKey, type KeyObject, type webcrypto } from 'node:crypto';

export const KEY_BYTES = 32;
// The DER prefix of an X25519 private key's PKCS#8 form (RFC 8410); the raw key follows.
export const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The private KeyObject of the 32-byte X25519 key `raw` (imported as PKCS#8). */
export function x25519PrivateKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== KEY_BYTES) throw new Error(`an X25519 private key has ${KEY_BYTES} bytes, not ${raw.length}`);
  const der = Buffer.concat([PKCS8_PREFIX, raw]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** An X25519 key as a node:crypto KeyObject, shaped like the CryptoKey the library passes around. */
export class NodeX25519Key {
  readonly algorithm = { name: 'X25519' } as const;
  readonly extractable = true;
  readonly usages: webcrypto.KeyUsage[];

  constructor(
    readonly type: 'public' | 'private',
    readonly keyObject: KeyObject,
  ) {
    if (keyObject.asymmetricKeyType !== 'x25519' || keyObject.type !== type) throw new TypeError(`not an X25519 ${type} key`);
    this.usages = type === 'private' ? ['deriveBits'] : [];
  }

  /** The 32-byte key (RFC 7748 encoding). */
  raw(): Uint8Array {
    if (this.type === 'public') {
      // As a JWK: OpenSSL gives the raw key without its encoder search.
      const x = this.keyObject.export({ format: 'jwk' }).x;
      const raw = typeof x === 'string' ? Buffer.from(x, 'base64url') : Buffer.alloc(0);
      if (raw.length !== KEY_BYTES) throw new Error('unexpected X25519 key encoding');
      return new Uint8Array(raw);
    }
    const der = this.keyObject.export({ format: 'der', type: 'pkcs8' });
    const prefix = PKCS8_PREFIX;
    if (der.length !== prefix.length + KEY_BYTES || !der.subarray(0, prefix.length).equals(prefix)) throw new Error('unexpected X25519 key encoding');
    const raw = new Uint8Array(der.subarray(prefix.length));
    der.fill(0);
    return raw;
  }
}
