/**
 * Sealing a package to a keep (README, "Sealed package"):
 *
 *   sealed = "ENXSEAL1" ‖ u32be(len header) ‖ header (JSON) ‖ chunk*
 *   header = { version: 1, kem, enc: base64, packageDigest: hex, size, chunkSize }
 *   chunk  = u32be(len ct) ‖ ct,  ct = HPKE context Seal(aad = u64be(index) ‖ u8(last), slice)
 *   info   = "enarx-ts package v1" 0x00 ‖ u16be(len keepId) ‖ keepId ‖ evidenceDigest ‖ packageDigest
 *
 * One HPKE (RFC 9180, base mode) context per package: its sequence number orders the chunks,
 * the `last` bit makes truncation detectable, and the info binds the keep, the evidence the
 * client verified and the package digest the keep recomputes after opening.
 */
import { createHash } from 'node:crypto';
import type { CipherSuite } from '@hpke/core';
import { CodedError } from '../errors.js';
import { KeepFailureCode } from '../protocol/errors.js';
import { exportSessionKeys } from './session.js';
import type { SessionKeys } from './session.js';
import { findSuite } from './suites.js';
import type { SuiteRow } from './suites.js';

const MAGIC = Buffer.from('ENXSEAL1', 'latin1');
/** Plaintext bytes per chunk. */
export const CHUNK_SIZE = 64 * 1024;
/** AES-256-GCM tag. */
const TAG = 16;
const MAX_HEADER = 64 * 1024;

/** Why a sealed package cannot be opened (a keep reports these to its host in plain text). */
export type SealErrorCode = (typeof KeepFailureCode)['PACKAGE_FORMAT' | 'PACKAGE_SEAL' | 'PACKAGE_TOO_LARGE' | 'PACKAGE_DIGEST'];

/** A sealed package that cannot be opened: malformed, tampered, truncated or not for this keep. */
export class SealError extends CodedError<SealErrorCode> {
  override readonly name = 'SealError';
}

/** The HPKE info string binding a package to one keep and the evidence the client verified. */
export function packageInfo(keepId: string, evidenceDigest: Uint8Array, packageDigest: Uint8Array): Uint8Array {
  const id = Buffer.from(keepId, 'utf8');
  if (id.length > 0xffff) throw new TypeError('keep id too long');
  if (evidenceDigest.length !== 32 || packageDigest.length !== 32) throw new TypeError('digests must be 32 bytes');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(id.length);
  return Buffer.concat([Buffer.from('enarx-ts package v1\0', 'latin1'), len, id, evidenceDigest, packageDigest]);
}

function aad(index: number, last: boolean): Uint8Array {
  const a = Buffer.alloc(9);
  a.writeBigUInt64BE(BigInt(index));
  a[8] = last ? 1 : 0;
  return a;
}

/** A package sealed to one keep: its wire bytes, and the session that follows it. */
export interface SealedPackage {
  /** The sealed bytes, made chunk by chunk as they are read (one chunk of plaintext copied at a time). */
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
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  const digest = new Uint8Array(hash.digest());
  const recipientPublicKey = await hpke.kem.deserializePublicKey(publicKey);
  const ctx = await hpke.createSenderContext({ recipientPublicKey, info: packageInfo(keepId, evidenceDigest, digest) });
  const header = Buffer.from(
    JSON.stringify({
      version: 1,
      kem: suite.name,
      enc: Buffer.from(ctx.enc).toString('base64'),
      packageDigest: Buffer.from(digest).toString('hex'),
      size,
      chunkSize: CHUNK_SIZE,
    }),
  );
  const keys = await exportSessionKeys(ctx);
  return { keys, chunks: sealedChunks(ctx, header, parts, size) };
}

async function* sealedChunks(
  ctx: Awaited<ReturnType<CipherSuite['createSenderContext']>>,
  header: Buffer,
  parts: readonly Uint8Array[],
  size: number,
): AsyncGenerator<Uint8Array> {
  const hlen = Buffer.alloc(4);
  hlen.writeUInt32BE(header.length);
  yield Buffer.concat([MAGIC, hlen, header]);
  const chunks = Math.max(1, Math.ceil(size / CHUNK_SIZE));
  let part = 0;
  let offset = 0;
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const p = parts[part]!;
      const k = Math.min(n - filled, p.length - offset);
      out.set(p.subarray(offset, offset + k), filled);
      filled += k;
      offset += k;
      if (offset === p.length) {
        part++;
        offset = 0;
      }
    }
    return out;
  };
  for (let i = 0; i < chunks; i++) {
    const slice = take(Math.min(CHUNK_SIZE, size - i * CHUNK_SIZE));
    const ct = new Uint8Array(await ctx.seal(slice, aad(i, i === chunks - 1)));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(ct.length);
    yield Buffer.concat([len, ct]);
  }
}

/** The key a keep opens packages with. */
export interface OpenerKey {
  readonly hpke: CipherSuite;
  readonly keyPair: Awaited<ReturnType<CipherSuite['kem']['generateKeyPair']>>;
  readonly suite: SuiteRow;
}

interface Header {
  readonly kem: string;
  readonly enc: Uint8Array;
  readonly packageDigest: Uint8Array;
  readonly size: number;
  readonly chunkSize: number;
}

/**
 * Keep side: opens a sealed package fed in arbitrary slices, decrypting chunk by chunk into one
 * preallocated buffer (the plaintext is held once).
 */
export class PackageOpener {
  private pending: Buffer = Buffer.alloc(0);
  private header: Header | undefined;
  private ctx: Awaited<ReturnType<CipherSuite['createRecipientContext']>> | undefined;
  private out: Uint8Array | undefined;
  private written = 0;
  private index = 0;
  private sawLast = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly key: OpenerKey,
    private readonly keepId: string,
    private readonly evidenceDigest: Uint8Array,
    private readonly maxBytes: number,
  ) {}

  /** Feeds the next slice of the sealed stream (calls are serialised). */
  push(bytes: Uint8Array): Promise<void> {
    this.busy = this.busy.then(() => this.consume(bytes));
    return this.busy;
  }

  /** Ends the stream: returns the package plaintext and the session's keys. @throws SealError */
  async finish(): Promise<{ plaintext: Uint8Array; keys: SessionKeys }> {
    await this.busy;
    if (!this.header || !this.out) throw new SealError('ERR_PACKAGE_FORMAT', 'the sealed package ended before its header');
    if (!this.sawLast || this.pending.length > 0 || this.written !== this.header.size) {
      throw new SealError('ERR_PACKAGE_FORMAT', 'the sealed package is truncated or has trailing bytes');
    }
    const digest = createHash('sha256').update(this.out).digest();
    if (!digest.equals(Buffer.from(this.header.packageDigest))) throw new SealError('ERR_PACKAGE_DIGEST', 'package digest mismatch');
    return { plaintext: this.out, keys: await exportSessionKeys(this.ctx!) };
  }

  private async consume(bytes: Uint8Array): Promise<void> {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : Buffer.from(bytes);
    if (!this.header) {
      if (this.pending.length < MAGIC.length + 4) return;
      if (!this.pending.subarray(0, MAGIC.length).equals(MAGIC)) throw new SealError('ERR_PACKAGE_FORMAT', 'not a sealed package (bad magic)');
      const hlen = this.pending.readUInt32BE(MAGIC.length);
      if (hlen > MAX_HEADER) throw new SealError('ERR_PACKAGE_FORMAT', 'sealed package header too long');
      if (this.pending.length < MAGIC.length + 4 + hlen) return;
      this.header = this.parseHeader(this.pending.subarray(MAGIC.length + 4, MAGIC.length + 4 + hlen));
      this.pending = this.pending.subarray(MAGIC.length + 4 + hlen);
      const info = packageInfo(this.keepId, this.evidenceDigest, this.header.packageDigest);
      try {
        this.ctx = await this.key.hpke.createRecipientContext({ recipientKey: this.key.keyPair, enc: this.header.enc, info });
      } catch {
        throw new SealError('ERR_PACKAGE_SEAL', 'the package was not sealed to this keep');
      }
      this.out = new Uint8Array(this.header.size);
    }
    const h = this.header;
    for (;;) {
      if (this.pending.length < 4) return;
      const len = this.pending.readUInt32BE(0);
      if (len < TAG || len > h.chunkSize + TAG) throw new SealError('ERR_PACKAGE_FORMAT', `chunk length ${len} out of range`);
      if (this.pending.length < 4 + len) return;
      if (this.sawLast) throw new SealError('ERR_PACKAGE_FORMAT', 'data after the last chunk');
      const ct = this.pending.subarray(4, 4 + len);
      this.pending = this.pending.subarray(4 + len);
      const expectLast = this.written + (len - TAG) >= h.size;
      let pt: Uint8Array;
      try {
        pt = new Uint8Array(await this.ctx!.open(ct, aad(this.index, expectLast)));
      } catch {
        throw new SealError('ERR_PACKAGE_SEAL', `chunk ${this.index} does not authenticate (tampered, reordered or not for this keep)`);
      }
      if (this.written + pt.length > h.size) throw new SealError('ERR_PACKAGE_FORMAT', 'more plaintext than the header says');
      this.out!.set(pt, this.written);
      this.written += pt.length;
      this.index++;
      if (expectLast) this.sawLast = true;
    }
  }

  private parseHeader(bytes: Uint8Array): Header {
    let h: Record<string, unknown>;
    try {
      h = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new SealError('ERR_PACKAGE_FORMAT', 'sealed package header is not JSON');
    }
    const { version, kem, enc, packageDigest, size, chunkSize } = h;
    if (version !== 1) throw new SealError('ERR_PACKAGE_FORMAT', 'unsupported sealed package version');
    if (typeof kem !== 'string' || findSuite(kem)?.name !== this.key.suite.name) throw new SealError('ERR_PACKAGE_SEAL', `package sealed with '${String(kem)}', this keep's key is ${this.key.suite.name}`);
    if (typeof enc !== 'string' || enc.length > 8192) throw new SealError('ERR_PACKAGE_FORMAT', 'bad enc');
    if (typeof packageDigest !== 'string' || !/^[0-9a-f]{64}$/.test(packageDigest)) throw new SealError('ERR_PACKAGE_FORMAT', 'bad package digest');
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new SealError('ERR_PACKAGE_FORMAT', 'bad size');
    if (size > this.maxBytes) throw new SealError('ERR_PACKAGE_TOO_LARGE', `package of ${size} bytes exceeds this keep's limit of ${this.maxBytes}`);
    if (chunkSize !== CHUNK_SIZE) throw new SealError('ERR_PACKAGE_FORMAT', 'unsupported chunk size');
    return { kem, enc: new Uint8Array(Buffer.from(enc, 'base64')), packageDigest: new Uint8Array(Buffer.from(packageDigest, 'hex')), size, chunkSize };
  }
}
