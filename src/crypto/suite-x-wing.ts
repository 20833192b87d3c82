/**
 * The `x-wing` suite's HPKE objects: X-Wing (ML-KEM-768 + X25519, @hpke/hybridkem-x-wing),
 * HKDF-SHA256 and AES-256-GCM on node:crypto, under @hpke/core's construction. Its own module
 * (see suite-x25519.ts).
 */
import { CipherSuite } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { NodeAes256Gcm, NodeHkdfSha256 } from './node-primitives.js';

/** A new cipher suite object. */
export function createXWingSuite(): CipherSuite {
  return new CipherSuite({ kem: new XWing(), kdf: new NodeHkdfSha256(), aead: new NodeAes256Gcm() });
}
