/**
 * The `x25519` suite's HPKE objects: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, all
 * on node:crypto under @hpke/core's construction. Its own module, imported by name, so that a
 * bundle carries only the parts of the library this suite uses (see suites.ts).
 */
import { CipherSuite } from '@hpke/core';
import { NodeAes256Gcm, NodeHkdfSha256 } from './node-primitives.js';
import { NodeDhkemX25519HkdfSha256 } from './node-x25519.js';

/** A new cipher suite object. */
export function createX25519Suite(): CipherSuite {
  return new CipherSuite({ kem: new NodeDhkemX25519HkdfSha256(), kdf: new NodeHkdfSha256(), aead: new NodeAes256Gcm() });
}
