/**
 * Sealing a package to a keep (README, "Sealed package"), format version 3:
 *
 *   sealed  = "ENXSEAL3" ‖ u32be(len header) ‖ header (JSON) ‖ chunk_0 ‖ … ‖ chunk_{n-1} ‖ trailer
 *   header  = { version: 3, kem, enc: base64, size, chunkSize: 1048576 }
 *   n       = max(1, ceil(size / chunkSize));  slice_i = plaintext[i·chunkSize, min(size, (i+1)·chunkSize))
 *   chunk_i = AES-256-GCM(key, nonce = iv ⊕ u96be(i), aad = u64be(i) ‖ u8(i = n-1), slice_i) ‖ tag (16)
 *   trailer = the tag (16) of AES-256-GCM(key, nonce = iv ⊕ u96be(n), aad = u64be(n) ‖ u8(2) ‖ SHA-256(plaintext), no bytes)
 *   key     = HPKE Export("enarx-ts package key v3", 32)     iv = HPKE Export("enarx-ts package iv v3", 12)
 *   info    = "enarx-ts package v3" 0x00 ‖ u16be(len keepId) ‖ keepId ‖ evidenceDigest (32)
 *
 * One HPKE (RFC 9180, base mode) context per package; the key schedule and the KEM are the
 * suite's (suites.ts). Its exporter gives the chunks' AES-256-GCM key and nonce base (labels of
 * their own, apart from the session's, session.ts), so that the bulk runs on node:crypto in
 * streaming calls over views: no chunk is copied or gathered on either side. A chunk's length is
 * not on the wire, it follows from `size`; the index in the nonce and AAD orders the chunks, the
 * `last` bit makes truncation (with or without a rewritten `size`) detectable, and the info binds
 * the format version, the keep and the evidence the client verified. Every header field is
 * thereby checked: `enc` or `size` altered make a chunk fail to authenticate, `kem`, `version`
 * and `chunkSize` are compared.
 *
 * The package digest (what the keep's certificate names) is bound by the client in the trailer's
 * AAD and checked by the keep against the SHA-256 of what it opened: each side hashes as it
 * seals or opens, one pass. Version 2 carried the digest in the header and bound it into the info,
 * so the client hashed its whole package before sealing a byte: a pass on the critical path
 * (~30 ms for a 26 MB module here), where now it runs alongside the keep's opening.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey } from 'node:crypto';
import type { DecipherGCM, KeyObject } from 'node:crypto';
import type { CipherSuite } from '@hpke/core';
import { CodedError } from '../errors.js';
import { freeBuffer } from '../free-buffer.js';
import { KeepFailureCode } from '../protocol/errors.js';
import { exportSessionKeys, sequenceNonce } from './session.js';
import type { Exporter, SessionKeys } from './session.js';
import { findSuite } from './suites.js';
import type { SuiteRow } from './suites.js';

const MAGIC = Buffer.from('ENXSEAL3', 'latin1');
const VERSION = 3;
/** Plaintext bytes per chunk (the last may be shorter). */
export const CHUNK_SIZE = 1024 * 1024;
/**
 * node:crypto is handed at most this much per call: each call allocates its output, and below
 * malloc's mmap threshold (128 KiB) a freed output is the next one's memory instead of fresh pages.
 */
const STEP = 64 * 1024;
/** AES-256-GCM tag. */
const TAG = 16;
const MAX_HEADER = 64 * 1024;
const PREAMBLE = MAGIC.length + 4;

/** Why a sealed package cannot be opened (a keep reports these to its host in plain text). */
export type SealErrorCode = (typeof KeepFailureCode)['PACKAGE_FORMAT' | 'PACKAGE_SEAL' | 'PACKAGE_TOO_LARGE' | 'PACKAGE_DIGEST'];

/** A sealed package that cannot be opened: malformed, tampered, truncated or not for this keep. */
export class SealError extends CodedError<SealErrorCode> {
  override readonly name = 'SealError';
}

/** The HPKE info string binding a package to one keep and the evidence the client verified. */
export function packageInfo(keepId: string, evidenceDigest: Uint8Array): Uint8Array {
  const id = Buffer.from(keepId, 'utf8');
  if (id.length > 0xffff) throw new TypeError('keep id too long');
  if (evidenceDigest.length !== 32) throw new TypeError('the evidence digest must be 32 bytes');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(id.length);
  return Buffer.concat([Buffer.from(`enarx-ts package v${VERSION}\0`, 'latin1'), len, id, evidenceDigest]);
}

/** The chunks' key and nonce base, exported from the package's HPKE context. */
interface ChunkKey {
  readonly key: KeyObject;
  readonly iv: Uint8Array;
}

async function exportChunkKey(ctx: Exporter): Promise<ChunkKey> {
  const label = (s: string): Uint8Array => new Uint8Array(Buffer.from(`enarx-ts package ${s} v${VERSION}`, 'latin1'));
  const [key, iv] = await Promise.all([ctx.export(label('key'), 32), ctx.export(label('iv'), 12)]);
  const raw = new Uint8Array(key);
  const keyObject = createSecretKey(raw);
  raw.fill(0);
  return { key: keyObject, iv: new Uint8Array(iv) };
}

function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK_SIZE));
}

function chunkLength(size: number, index: number): number {
  return Math.min(CHUNK_SIZE, size - index * CHUNK_SIZE);
}

/** What an AAD's marker byte says its chunk is. */
const CHUNK = 0;
const LAST_CHUNK = 1;
const TRAILER = 2;

/** A chunk's AAD: its index and marker, and the package's digest for the trailer. */
function aad(index: number, marker: number, digest?: Uint8Array): Buffer {
  const a = Buffer.alloc(9 + (digest?.length ?? 0));
  a.writeBigUInt64BE(BigInt(index));
  a[8] = marker;
  if (digest) a.set(digest, 9);
  return a;
}

/** The AAD of data chunk `index` of `count`. */
const chunkAad = (index: number, count: number): Buffer => aad(index, index === count - 1 ? LAST_CHUNK : CHUNK);

/** AES-256-GCM's options here, and the nonce of chunk `index` (the trailer's is `count`): the index. */
const GCM = { authTagLength: TAG };
const nonceOf = (k: ChunkKey, index: number): Buffer => sequenceNonce(k.iv, BigInt(index));

/** A package sealed to one keep: its wire bytes, and the session that follows it. */
export interface SealedPackage {
  /**
   * The sealed bytes, made as they are read: the header, then each chunk's ciphertext in pieces
   * of at most 64 KiB and its tag, then the trailer. Each piece is a buffer of its own; the
   * plaintext is not copied.
   */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** The keys of the records the keep and this client exchange after the package. */
  readonly keys: SessionKeys;
}

/** Seals `plaintext` (an encoded package, whole or as pieces) to a keep's public key. */
export async function sealPackage(
  suite: SuiteRow,
  publicKey: Uint8Array,
  keepId: string,
  evidenceDigest: Uint8Array,
  plaintext: Uint8Array | readonly Uint8Array[],
): Promise<SealedPackage> {
  const parts = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
  const size = parts.reduce((n, p) => n + p.length, 0);
  const hpke = await suite.create();
  const recipientPublicKey = await hpke.kem.deserializePublicKey(publicKey);
  const ctx = await hpke.createSenderContext({ recipientPublicKey, info: packageInfo(keepId, evidenceDigest) });
  const header = Buffer.from(
    JSON.stringify({
      version: VERSION,
      kem: suite.name,
      enc: Buffer.from(ctx.enc).toString('base64'),
      size,
      chunkSize: CHUNK_SIZE,
    }),
  );
  const preamble = Buffer.alloc(PREAMBLE + header.length);
  MAGIC.copy(preamble);
  preamble.writeUInt32BE(header.length, MAGIC.length);
  header.copy(preamble, PREAMBLE);
  const [keys, chunkKey] = await Promise.all([exportSessionKeys(ctx), exportChunkKey(ctx)]);
  return { keys, chunks: sealedChunks(chunkKey, preamble, parts, size) };
}

async function* sealedChunks(k: ChunkKey, preamble: Uint8Array, parts: readonly Uint8Array[], size: number): AsyncGenerator<Uint8Array> {
  yield preamble;
  let part = 0;
  let offset = 0;
  /** A view of the next plaintext bytes: at most `n`, within one part. */
  const take = (n: number): Uint8Array => {
    while (offset === parts[part]!.length) {
      part++;
      offset = 0;
    }
    const p = parts[part]!;
    const view = p.subarray(offset, Math.min(p.length, offset + n));
    offset += view.length;
    return view;
  };
  const n = chunkCount(size);
  const hash = createHash('sha256');
  for (let i = 0; i < n; i++) {
    const cipher = createCipheriv('aes-256-gcm', k.key, nonceOf(k, i), GCM).setAAD(chunkAad(i, n));
    for (let left = chunkLength(size, i); left > 0; ) {
      const view = take(Math.min(left, STEP));
      left -= view.length;
      hash.update(view);
      yield cipher.update(view);
    }
    // GCM holds nothing back: final() only completes the tag.
    cipher.final();
    yield cipher.getAuthTag();
  }
  const trailer = createCipheriv('aes-256-gcm', k.key, nonceOf(k, n), GCM).setAAD(aad(n, TRAILER, hash.digest()));
  trailer.final();
  yield trailer.getAuthTag();
}

/** The key a keep opens packages with. */
export interface OpenerKey {
  readonly hpke: CipherSuite;
  readonly keyPair: Awaited<ReturnType<CipherSuite['kem']['generateKeyPair']>>;
  readonly suite: SuiteRow;
}

interface Header {
  readonly enc: Uint8Array;
  readonly size: number;
}

/**
 * Keep side: opens a sealed package fed in arbitrary slices. Each slice is decrypted as it comes,
 * straight from the caller's bytes into one preallocated buffer (the plaintext is held once), and
 * hashed on the way; a chunk's plaintext counts only once its tag has authenticated.
 */
export class PackageOpener {
  /** The preamble and header, gathered until whole (nothing else is buffered). */
  private head: Uint8Array = new Uint8Array(PREAMBLE);
  private headFill = 0;
  private header: Header | undefined;
  private ctx: Awaited<ReturnType<CipherSuite['createRecipientContext']>> | undefined;
  private chunks: ChunkOpener | undefined;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly key: OpenerKey,
    private readonly keepId: string,
    private readonly evidenceDigest: Uint8Array,
    private readonly maxBytes: number,
  ) {}

  /**
   * Feeds the next slice of the sealed stream (calls are serialised). The bytes are read before
   * the returned promise settles and not kept: the caller may reuse them after.
   */
  push(bytes: Uint8Array): Promise<void> {
    this.busy = this.busy.then(async () => {
      const rest = this.chunks ? bytes : await this.readHeader(bytes);
      if (rest.length > 0) this.chunks!.write(rest);
    });
    return this.busy;
  }

  /** Ends the stream: returns the package plaintext, its SHA-256 and the session's keys. @throws SealError */
  async finish(): Promise<{ plaintext: Uint8Array; digest: Uint8Array; keys: SessionKeys }> {
    await this.busy;
    if (!this.header || !this.chunks) throw new SealError('ERR_PACKAGE_FORMAT', 'the sealed package ended before its header');
    const digest = this.chunks.finish();
    return { plaintext: this.chunks.out, digest, keys: await exportSessionKeys(this.ctx!) };
  }

  /** Gathers the preamble and header from `bytes`; once whole, opens the HPKE context. Returns what follows them. */
  private async readHeader(bytes: Uint8Array): Promise<Uint8Array> {
    let at = this.gather(bytes, 0);
    if (this.headFill < PREAMBLE) return bytes.subarray(at);
    if (this.head.length === PREAMBLE) {
      if (!Buffer.from(this.head.buffer, this.head.byteOffset, MAGIC.length).equals(MAGIC)) {
        throw new SealError('ERR_PACKAGE_FORMAT', `not a sealed package of version ${VERSION} (bad magic)`);
      }
      const hlen = Buffer.from(this.head.buffer, this.head.byteOffset).readUInt32BE(MAGIC.length);
      if (hlen > MAX_HEADER) throw new SealError('ERR_PACKAGE_FORMAT', 'sealed package header too long');
      const grown = new Uint8Array(PREAMBLE + hlen);
      grown.set(this.head);
      this.head = grown;
      at = this.gather(bytes, at);
    }
    if (this.headFill < this.head.length) return bytes.subarray(at);
    const h = (this.header = this.parseHeader(this.head.subarray(PREAMBLE)));
    const info = packageInfo(this.keepId, this.evidenceDigest);
    try {
      this.ctx = await this.key.hpke.createRecipientContext({ recipientKey: this.key.keyPair, enc: h.enc, info });
    } catch {
      throw new SealError('ERR_PACKAGE_SEAL', 'the package was not sealed to this keep');
    }
    this.chunks = new ChunkOpener(await exportChunkKey(this.ctx), h.size);
    return bytes.subarray(at);
  }

  /** Copies from `bytes[at..]` what the head still lacks; returns the new position in `bytes`. */
  private gather(bytes: Uint8Array, at: number): number {
    const k = Math.min(this.head.length - this.headFill, bytes.length - at);
    this.head.set(bytes.subarray(at, at + k), this.headFill);
    this.headFill += k;
    return at + k;
  }

  private parseHeader(bytes: Uint8Array): Header {
    let h: Record<string, unknown>;
    try {
      h = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new SealError('ERR_PACKAGE_FORMAT', 'sealed package header is not JSON');
    }
    if (typeof h !== 'object' || h === null) throw new SealError('ERR_PACKAGE_FORMAT', 'sealed package header is not an object');
    const { version, kem, enc, size, chunkSize } = h;
    if (version !== VERSION) throw new SealError('ERR_PACKAGE_FORMAT', 'unsupported sealed package version');
    if (typeof kem !== 'string' || findSuite(kem)?.name !== this.key.suite.name) throw new SealError('ERR_PACKAGE_SEAL', `package sealed with '${String(kem)}', this keep's key is ${this.key.suite.name}`);
    if (typeof enc !== 'string' || enc.length > 8192) throw new SealError('ERR_PACKAGE_FORMAT', 'bad enc');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new SealError('ERR_PACKAGE_FORMAT', 'bad size');
    if (size > this.maxBytes) throw new SealError('ERR_PACKAGE_TOO_LARGE', `package of ${size} bytes exceeds this keep's limit of ${this.maxBytes}`);
    if (chunkSize !== CHUNK_SIZE) throw new SealError('ERR_PACKAGE_FORMAT', 'unsupported chunk size');
    // Canonical base64 only: Node's decoder ignores the unused low bits of the last character, so
    // a header with one of them flipped would open as the same package.
    const encBytes = Buffer.from(enc, 'base64');
    if (encBytes.toString('base64') !== enc) throw new SealError('ERR_PACKAGE_FORMAT', 'bad enc');
    return { enc: new Uint8Array(encBytes), size };
  }
}

/** The chunks of one package, opened as their bytes arrive. */
class ChunkOpener {
  /** The plaintext, written as it is decrypted. */
  readonly out: Uint8Array;
  private readonly hash = createHash('sha256');
  private readonly count: number;
  private readonly tag = Buffer.alloc(TAG);
  private index = 0;
  /** Ciphertext bytes of the current chunk decrypted so far, and tag bytes gathered. */
  private done = 0;
  private tagFill = 0;
  private written = 0;
  private decipher: DecipherGCM | undefined;
  /** The plaintext's SHA-256, once the trailer has checked it. */
  private digest: Uint8Array | undefined;

  constructor(
    private readonly k: ChunkKey,
    private readonly size: number,
  ) {
    this.out = new Uint8Array(size);
    this.count = chunkCount(size);
  }

  /**
   * Decrypts `bytes` into the output, checking each chunk's tag as it completes, then the
   * trailer's against the digest of all of it. @throws SealError
   */
  write(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      if (this.index > this.count) throw new SealError('ERR_PACKAGE_FORMAT', 'data after the end of the sealed package');
      const len = this.index < this.count ? chunkLength(this.size, this.index) : 0;
      if (this.done < len) {
        const d = (this.decipher ??= this.begin());
        const k = Math.min(len - this.done, bytes.length - at, STEP);
        const pt = d.update(bytes.subarray(at, at + k));
        // GCM is a stream: k bytes in, k bytes out.
        if (pt.length !== k) throw new Error(`AES-GCM gave ${pt.length} bytes for ${k}`);
        this.out.set(pt, this.written);
        this.hash.update(pt);
        // Its memory is the next piece's.
        freeBuffer(pt);
        this.written += k;
        this.done += k;
        at += k;
      } else {
        const k = Math.min(TAG - this.tagFill, bytes.length - at);
        this.tag.set(bytes.subarray(at, at + k), this.tagFill);
        this.tagFill += k;
        at += k;
        if (this.tagFill === TAG) {
          if (this.index < this.count) this.end(this.decipher ?? this.begin());
          else this.endTrailer();
        }
      }
    }
  }

  /** Checks that every chunk and the trailer arrived; returns the plaintext's SHA-256. @throws SealError */
  finish(): Uint8Array {
    if (this.digest === undefined) throw new SealError('ERR_PACKAGE_FORMAT', 'the sealed package is truncated');
    return this.digest;
  }

  private begin(): DecipherGCM {
    return createDecipheriv('aes-256-gcm', this.k.key, nonceOf(this.k, this.index), GCM).setAAD(chunkAad(this.index, this.count));
  }

  private end(d: DecipherGCM): void {
    d.setAuthTag(this.tag);
    try {
      // GCM releases nothing at final(): update() gave the plaintext, final() checks the tag.
      d.final();
    } catch {
      // What was decrypted from it is not kept.
      this.out.fill(0, this.written - this.done, this.written);
      throw new SealError('ERR_PACKAGE_SEAL', `chunk ${this.index} does not authenticate (tampered, reordered or not for this keep)`);
    }
    this.index++;
    this.done = 0;
    this.tagFill = 0;
    this.decipher = undefined;
  }

  /** Checks the trailer: the digest the client bound is the digest of what was opened. */
  private endTrailer(): void {
    const digest = new Uint8Array(this.hash.digest());
    const d = createDecipheriv('aes-256-gcm', this.k.key, nonceOf(this.k, this.count), GCM).setAAD(aad(this.count, TRAILER, digest));
    d.setAuthTag(this.tag);
    try {
      d.final();
    } catch {
      this.out.fill(0);
      throw new SealError('ERR_PACKAGE_DIGEST', 'the package opened does not match the digest its client bound into it');
    }
    this.digest = digest;
    this.index++;
    this.tagFill = 0;
  }
}
