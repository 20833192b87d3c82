/**
 * DHKEM(X25519, HKDF-SHA256) for @hpke/core with X25519 from node:crypto.
 *
 * The KEM itself (encap/decap, the shared-secret derivation, RFC 9180 §4.1) is the library's
 * `Dhkem`; this gives it the curve operations it takes as a "primitives" object. The library's
 * own X25519 goes through WebCrypto, whose key generation and derivation each run as a job on
 * Node's thread pool, and whose first use in a process loads and warms a good deal of code: a
 * cold seal took ~6 ms more for it. Keys are node:crypto KeyObjects (the private key stays out
 * of the JavaScript heap) in a small wrapper standing where the library expects a CryptoKey.
 * Tested against RFC 9180's test vector A.1 and against the library's own X25519.
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import type { KeyObject, webcrypto } from 'node:crypto';
import { DeriveKeyPairError, DeserializeError, Dhkem, EMPTY, KemId, LABEL_DKP_PRK, LABEL_SK, NotSupportedError, SerializeError } from '@hpke/common';
import type { DhkemPrimitives, KdfInterface } from '@hpke/common';
import { newX25519PrivateKey } from './fresh-keys.js';
import { NodeHkdfSha256 } from './node-primitives.js';
import { KEY_BYTES, NodeX25519Key, x25519PrivateKeyFromRaw } from './x25519-key.js';

export { NodeX25519Key };

type Bytes = ArrayBufferLike | ArrayBufferView;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type JsonWebKey = webcrypto.JsonWebKey;


function view(v: Bytes): Uint8Array {
  return ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
}

function asKey(key: unknown, type: 'public' | 'private'): NodeX25519Key {
  if (!(key instanceof NodeX25519Key) || key.type !== type) throw new TypeError(`expected an X25519 ${type} key of this suite`);
  return key;
}

/** The key pair of a private KeyObject, in the library's shape. */
function pairOf(privateKey: KeyObject): CryptoKeyPair {
  return { privateKey: new NodeX25519Key('private', privateKey), publicKey: new NodeX25519Key('public', createPublicKey(privateKey)) } as unknown as CryptoKeyPair;
}

function publicFromRaw(raw: Uint8Array): NodeX25519Key {
  if (raw.length !== KEY_BYTES) throw new Error(`an X25519 public key has ${KEY_BYTES} bytes, not ${raw.length}`);
  // From a JWK: OpenSSL takes the raw key as it is (a DER key goes through its decoder search,
  // ~0.5 ms the first time in a process).
  return new NodeX25519Key('public', createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' }));
}

const asCryptoKey = (k: NodeX25519Key): CryptoKey => k as unknown as CryptoKey;

/** The raw form of `key`, which must be of `type`. @throws SerializeError */
function serialize(key: CryptoKey, type: 'public' | 'private'): ArrayBuffer {
  try {
    return Uint8Array.from(asKey(key, type).raw()).buffer;
  } catch (e) {
    throw new SerializeError(e);
  }
}

/** A key of `type` from its raw form. */
function fromRaw(raw: Uint8Array, type: 'public' | 'private'): CryptoKey {
  return asCryptoKey(type === 'public' ? publicFromRaw(raw) : new NodeX25519Key('private', x25519PrivateKeyFromRaw(raw)));
}

/** {@link fromRaw}. @throws DeserializeError */
function deserialize(raw: Uint8Array, type: 'public' | 'private'): CryptoKey {
  try {
    return fromRaw(raw, type);
  } catch (e) {
    throw new DeserializeError(e);
  }
}

/** X25519 for the library's Dhkem (its DhkemPrimitives), on node:crypto. */
export class NodeX25519 implements DhkemPrimitives {
  constructor(private readonly hkdf: KdfInterface) {}

  async serializePublicKey(key: CryptoKey): Promise<ArrayBuffer> {
    return serialize(key, 'public');
  }

  async deserializePublicKey(key: Bytes): Promise<CryptoKey> {
    return deserialize(view(key), 'public');
  }

  async serializePrivateKey(key: CryptoKey): Promise<ArrayBuffer> {
    return serialize(key, 'private');
  }

  async deserializePrivateKey(key: Bytes): Promise<CryptoKey> {
    return deserialize(view(key), 'private');
  }

  async importKey(format: 'raw' | 'jwk', key: ArrayBuffer | JsonWebKey, isPublic: boolean): Promise<CryptoKey> {
    try {
      if (format === 'raw') {
        if (!(key instanceof ArrayBuffer)) throw new TypeError('a raw key must be an ArrayBuffer');
        return fromRaw(new Uint8Array(key), isPublic ? 'public' : 'private');
      }
      if (key instanceof ArrayBuffer) throw new TypeError('a JWK must be an object');
      const jwk = key as JsonWebKey;
      if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519') throw new TypeError('not an X25519 JWK');
      if (isPublic) {
        if (jwk.d !== undefined) throw new TypeError('a public JWK must not hold "d"');
        return asCryptoKey(new NodeX25519Key('public', createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: jwk.x }, format: 'jwk' })));
      }
      if (typeof jwk.d !== 'string') throw new TypeError('a private JWK needs "d"');
      return asCryptoKey(new NodeX25519Key('private', createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', x: jwk.x, d: jwk.d }, format: 'jwk' })));
    } catch (e) {
      throw new DeserializeError(e);
    }
  }

  async generateKeyPair(): Promise<CryptoKeyPair> {
    try {
      return pairOf(newX25519PrivateKey());
    } catch (e) {
      throw new NotSupportedError(e);
    }
  }

  /** RFC 9180 §7.1.3: for X25519 the expanded bytes are the private key as they are. */
  async deriveKeyPair(ikm: Bytes): Promise<CryptoKeyPair> {
    try {
      const prk = await this.hkdf.labeledExtract(EMPTY, LABEL_DKP_PRK, view(ikm));
      const sk = new Uint8Array(await this.hkdf.labeledExpand(prk, LABEL_SK, EMPTY, KEY_BYTES));
      try {
        return pairOf(x25519PrivateKeyFromRaw(sk));
      } finally {
        sk.fill(0);
      }
    } catch (e) {
      throw new DeriveKeyPairError(e);
    }
  }

  async derivePublicKey(key: CryptoKey): Promise<CryptoKey> {
    return asCryptoKey(new NodeX25519Key('public', createPublicKey(asKey(key, 'private').keyObject)));
  }

  /** X25519(sk, pk). An all-zero result (a small-order public key) is refused (RFC 9180 §7.1.4). */
  async dh(sk: CryptoKey, pk: CryptoKey): Promise<ArrayBuffer> {
    const out = diffieHellman({ privateKey: asKey(sk, 'private').keyObject, publicKey: asKey(pk, 'public').keyObject });
    if (out.every((b) => b === 0)) throw new Error('X25519 produced the all-zero value');
    return Uint8Array.from(out).buffer;
  }
}

/** DHKEM(X25519, HKDF-SHA256), KEM 0x0020, on node:crypto. */
export class NodeDhkemX25519HkdfSha256 extends Dhkem {
  override readonly id: KemId = KemId.DhkemX25519HkdfSha256;
  override readonly secretSize: number = 32;
  override readonly encSize: number = 32;
  override readonly publicKeySize: number = 32;
  override readonly privateKeySize: number = 32;

  constructor() {
    const kdf = new NodeHkdfSha256();
    super(KemId.DhkemX25519HkdfSha256, new NodeX25519(kdf), kdf);
  }
}
