/**
 * Fresh private keys, made from the CSPRNG and imported: never by Node.js's key-generation jobs
 * (`generateKeyPair`, `generateKeyPairSync`, `subtle.generateKey`).
 *
 * Why: a finished key-generation job lives on until the garbage collector finds it, and Node.js
 * 20's job takes its key's lock when it is destroyed. A key exported while a collection runs (a
 * JWK export allocates while it holds that same lock) then waits on itself for ever. Seen as
 * `enarx run` hanging before its keep was attested, one run in a few hundred under load: the
 * main thread in `~KeyGenJob`, called from a collection inside `ExportJWKEdKey`. An imported key
 * has no job, so nothing else ever takes its lock. (RSA keys need primes: the simulated platform
 * takes its two from a job as DER and imports them, so its KeyObjects share nothing with the job.)
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { KEY_BYTES, x25519PrivateKeyFromRaw } from './x25519-key.js';

/** A new X25519 private key: any 32 bytes are one (RFC 7748 clamps them where they are used). */
export function newX25519PrivateKey(): KeyObject {
  const raw = randomBytes(KEY_BYTES);
  try {
    return x25519PrivateKeyFromRaw(raw);
  } finally {
    raw.fill(0);
  }
}

/** The NIST curves keys are made on here, by their WebCrypto names. */
export type EcCurve = 'P-256' | 'P-384';

const CURVES: Record<EcCurve, { readonly oid: Buffer; readonly order: bigint; readonly bytes: number }> = {
  // prime256v1 (1.2.840.10045.3.1.7) and secp384r1 (1.3.132.0.34), with their group orders.
  'P-256': { oid: Buffer.from('06082a8648ce3d030107', 'hex'), order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, bytes: 32 },
  'P-384': {
    oid: Buffer.from('06052b81040022', 'hex'),
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bytes: 48,
  },
};

/**
 * A new private key on `curve`: a uniform scalar in [1, n − 1] (rejection sampling), as SEC 1's
 * `ECPrivateKey { version 1, privateKey, [0] parameters }`; OpenSSL derives the public point.
 */
export function newEcPrivateKey(curve: EcCurve): KeyObject {
  const { oid, order, bytes } = CURVES[curve];
  for (;;) {
    const d = randomBytes(bytes);
    const scalar = BigInt(`0x${d.toString('hex')}`);
    if (scalar === 0n || scalar >= order) continue;
    const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x01, 0x04, bytes]), d, Buffer.from([0xa0, oid.length]), oid]);
    const der = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
    } finally {
      d.fill(0);
      body.fill(0);
      der.fill(0);
    }
  }
}

/**
 * A new ECDSA key pair on `curve` as WebCrypto keys (private: sign, `extractable` or not;
 * public: verify), imported from {@link newEcPrivateKey}.
 */
export async function newEcdsaKeyPair(curve: EcCurve, extractable: boolean): Promise<webcrypto.CryptoKeyPair> {
  const key = newEcPrivateKey(curve);
  const algorithm = { name: 'ECDSA', namedCurve: curve };
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  try {
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, extractable, ['sign']);
    const publicKey = await webcrypto.subtle.importKey('spki', createPublicKey(key).export({ format: 'der', type: 'spki' }), algorithm, true, ['verify']);
    return { privateKey, publicKey };
  } finally {
    pkcs8.fill(0);
  }
}
