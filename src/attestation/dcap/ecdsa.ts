/**
 * ECDSA P-256 with SHA-256 over raw DCAP encodings: public keys as x‖y (64 bytes) and
 * signatures as r‖s (64 bytes, IEEE P1363), the forms quotes and PCS JSON use.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Imports a raw x‖y P-256 public key; undefined when it is not a point on the curve.
 * (OpenSSL checks the point on import; a hostile quote's key must fail here, not crash.)
 */
export function p256KeyFromRaw(xy: Uint8Array): KeyObject | undefined {
  if (xy.length !== 64) return undefined;
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(xy.subarray(0, 32)).toString('base64url'),
        y: Buffer.from(xy.subarray(32)).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    return undefined;
  }
}

/** True when `key` is an EC key on P-256. */
export function isP256Key(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** Verifies an r‖s ECDSA-P256-SHA256 signature over `data`. Never throws. */
export function verifyP256(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || !isP256Key(key)) return false;
  try {
    return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
