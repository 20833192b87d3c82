/**
 * HKDF-SHA256 and AES-256-GCM for @hpke/core, on node:crypto's synchronous primitives.
 *
 * @hpke/core takes its KDF and AEAD as objects (its KdfInterface and AeadInterface); its own
 * run every HMAC and every AES-GCM call through WebCrypto, and Node runs each WebCrypto call as
 * a job on its thread pool. One HPKE setup is some fifteen HMACs, so a seal or an open makes
 * about twenty round trips between threads. On a busy machine (a client and a keep booting on
 * two cores) each one waits for a thread to be scheduled, and a cold seal took ~10 ms. These
 * do the same work in the calling thread. The HPKE construction itself (labels, key schedule,
 * KEM, nonces, sequence numbers) stays the library's: only the primitives are swapped, and the
 * tests check the result against the library's own primitives and RFC 5869's vectors.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Aes256Gcm, HkdfSha256, InvalidParamError } from '@hpke/core';

type Bytes = ArrayBufferLike | ArrayBufferView;

const HASH = 32;
const TAG = 16;

/** A view of `v`'s bytes (no copy). */
function view(v: Bytes): Uint8Array {
  return ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
}

/** `b`'s bytes as an ArrayBuffer of their own. */
function own(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** RFC 5869 HKDF-Extract with SHA-256. An empty salt is HashLen zero bytes. */
export function hkdfExtract(salt: Bytes, ikm: Bytes): Uint8Array {
  const s = view(salt);
  return createHmac('sha256', s.length === 0 ? new Uint8Array(HASH) : s)
    .update(view(ikm))
    .digest();
}

/** RFC 5869 HKDF-Expand with SHA-256. */
export function hkdfExpand(prk: Bytes, info: Bytes, len: number): Uint8Array {
  if (!Number.isInteger(len) || len < 0 || len > 255 * HASH) throw new InvalidParamError('Entropy limit reached');
  const key = view(prk);
  const i = view(info);
  const okm = new Uint8Array(len);
  let t: Uint8Array = new Uint8Array(0);
  for (let n = 1, at = 0; at < len; n++) {
    t = createHmac('sha256', key).update(t).update(i).update(Uint8Array.of(n)).digest();
    okm.set(t.subarray(0, Math.min(HASH, len - at)), at);
    at += HASH;
  }
  return okm;
}

/** HKDF-SHA256 (KDF 0x0001) for @hpke/core, computed in the calling thread. */
export class NodeHkdfSha256 extends HkdfSha256 {
  override async extract(salt: Bytes, ikm: Bytes): Promise<ArrayBuffer> {
    // HPKE's salts are empty or a hash long, as the library checks.
    if (view(salt).length !== 0 && view(salt).length !== HASH) throw new InvalidParamError('The salt length must be the same as the hashSize');
    return own(hkdfExtract(salt, ikm));
  }

  override async expand(prk: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
    return own(hkdfExpand(prk, info, len));
  }

  override async extractAndExpand(salt: Bytes, ikm: Bytes, info: Bytes, len: number): Promise<ArrayBuffer> {
    return own(hkdfExpand(hkdfExtract(salt, ikm), info, len));
  }
}

/** One AES-256-GCM key of an HPKE context. */
class NodeAesGcmContext {
  readonly #key: KeyObject;

  constructor(key: Bytes) {
    const raw = view(key);
    if (raw.length !== 32) throw new InvalidParamError('AES-256-GCM needs a 32-byte key');
    this.#key = createSecretKey(raw);
    // As the library's own context does: the raw key is not left behind.
    raw.fill(0);
  }

  async seal(iv: Bytes, data: Bytes, aad: Bytes): Promise<ArrayBuffer> {
    const c = createCipheriv('aes-256-gcm', this.#key, view(iv), { authTagLength: TAG });
    c.setAAD(view(aad));
    const head = c.update(view(data));
    const tail = c.final();
    const out = new Uint8Array(head.length + tail.length + TAG);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(c.getAuthTag(), head.length + tail.length);
    return out.buffer;
  }

  async open(iv: Bytes, data: Bytes, aad: Bytes): Promise<ArrayBuffer> {
    const d = view(data);
    if (d.length < TAG) throw new Error('ciphertext shorter than its tag');
    const c = createDecipheriv('aes-256-gcm', this.#key, view(iv), { authTagLength: TAG });
    c.setAAD(view(aad));
    c.setAuthTag(d.subarray(d.length - TAG));
    const head = c.update(d.subarray(0, d.length - TAG));
    let tail: Buffer;
    try {
      tail = c.final();
    } catch (err) {
      // The tag does not authenticate: what was decrypted is not kept.
      head.fill(0);
      throw err;
    }
    const out = new Uint8Array(head.length + tail.length);
    out.set(head, 0);
    out.set(tail, head.length);
    head.fill(0);
    return out.buffer;
  }
}

/** AES-256-GCM (AEAD 0x0002) for @hpke/core, computed in the calling thread. */
export class NodeAes256Gcm extends Aes256Gcm {
  override createEncryptionContext(key: Bytes): NodeAesGcmContext {
    return new NodeAesGcmContext(key);
  }
}
