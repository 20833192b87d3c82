/**
 * The keep ⇄ client session after the package: keys exported from the package's HPKE context
 * (RFC 9180 §5.3), one pair per direction, and the sealing and opening of records
 * (protocol/records.ts has their layout).
 *
 *   output key = Export("enarx-ts output key v1", 32)   output iv = Export("enarx-ts output iv v1", 12)
 *   input key  = Export("enarx-ts input key v1", 32)    input iv  = Export("enarx-ts input iv v1", 12)
 *
 * Only the client (sender context) and the keep (recipient context) can compute them. A record
 * opens only at the sequence number its receiver expects, under its direction's key: the host
 * cannot flip, drop, reorder, replay, move between keeps or invent one unnoticed.
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CodedError } from '../errors.js';
import { freeBuffer } from '../free-buffer.js';
import { RECORD_HEADER_BYTES, RECORD_TAG_BYTES, MAX_RECORD_PLAINTEXT, readRecordHeader, recordAad } from '../protocol/records.js';

/** A direction's key and iv. */
export interface DirectionKeys {
  /** AES-256-GCM key, 32 bytes. */
  readonly key: Uint8Array;
  /** 12 bytes, XORed with the sequence number to make each record's nonce. */
  readonly iv: Uint8Array;
}

/** Both directions of one session. */
export interface SessionKeys {
  /** keep → client: output and the outcome. */
  readonly output: DirectionKeys;
  /** client → keep: input. */
  readonly input: DirectionKeys;
}

/** What an HPKE context offers for key export. */
export interface Exporter {
  export(exporterContext: Uint8Array, length: number): Promise<ArrayBuffer>;
}

const label = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Exports the session's keys from a package's HPKE context (sender or recipient side). */
export async function exportSessionKeys(ctx: Exporter): Promise<SessionKeys> {
  const get = async (name: string, n: number): Promise<Uint8Array> => new Uint8Array(await ctx.export(label(`enarx-ts ${name} v1`), n));
  const [ok, oi, ik, ii] = await Promise.all([get('output key', 32), get('output iv', 12), get('input key', 32), get('input iv', 12)]);
  return { output: { key: ok, iv: oi }, input: { key: ik, iv: ii } };
}

/** Codes of a record that cannot be accepted. */
export const SessionErrorCode = {
  /** The record is not laid out as a record (length, size, kind, segments, outcome JSON). */
  FORMAT: 'ERR_RECORD_FORMAT',
  /** The record is not the one expected next: dropped, reordered, replayed, or after the last. */
  SEQUENCE: 'ERR_RECORD_SEQUENCE',
  /** The record does not authenticate: flipped, forged, or from another session. */
  AUTH: 'ERR_RECORD_AUTH',
} as const;
/** One of {@link SessionErrorCode}. */
export type SessionErrorCode = (typeof SessionErrorCode)[keyof typeof SessionErrorCode];

/** A record refused. */
export class SessionError extends CodedError<SessionErrorCode> {
  override readonly name = 'SessionError';
}

function checkKeys(keys: DirectionKeys): KeyObject {
  if (keys.key.length !== 32 || keys.iv.length !== 12) throw new TypeError('a direction needs a 32-byte key and a 12-byte iv');
  return createSecretKey(keys.key);
}

/** A record's or a chunk's nonce: the 12-byte `iv` XOR the big-endian 96-bit sequence number. */
export function sequenceNonce(iv: Uint8Array, seq: bigint): Buffer {
  const out = Buffer.from(iv);
  const hi = Number(seq >> 32n);
  const lo = Number(seq & 0xffffffffn);
  out.writeUInt32BE((out.readUInt32BE(4) ^ hi) >>> 0, 4);
  out.writeUInt32BE((out.readUInt32BE(8) ^ lo) >>> 0, 8);
  return out;
}

/** Seals one direction's records, numbering them from 0. */
export class RecordSealer {
  readonly #key: KeyObject;
  readonly #iv: Uint8Array;
  #seq = 0n;

  constructor(keys: DirectionKeys) {
    this.#key = checkKeys(keys);
    this.#iv = keys.iv;
  }

  /** Records sealed so far (the next one's sequence number). */
  get seq(): bigint {
    return this.#seq;
  }

  /** Seals `plaintext` (at most MAX_RECORD_PLAINTEXT bytes) as the next record of `kind`. */
  seal(kind: number, plaintext: Uint8Array): Buffer {
    const parts = this.sealParts(kind, plaintext);
    const record = Buffer.concat(parts);
    // Copied: their memory is the next record's (free-buffer.ts).
    parts.forEach(freeBuffer);
    return record;
  }

  /**
   * {@link seal}, as the record's pieces in order (header, ciphertext, tag), so that a writer
   * that can send pieces (a socket) need not copy the ciphertext into one buffer.
   */
  sealParts(kind: number, plaintext: Uint8Array): [Buffer, Buffer, Buffer] {
    if (plaintext.length > MAX_RECORD_PLAINTEXT) throw new RangeError(`a record holds at most ${MAX_RECORD_PLAINTEXT} bytes`);
    const seq = this.#seq++;
    const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    head.writeUInt32BE(RECORD_HEADER_BYTES - 4 + plaintext.length + RECORD_TAG_BYTES, 0);
    head.writeUInt8(kind, 4);
    head.writeBigUInt64BE(seq, 5);
    const cipher = createCipheriv('aes-256-gcm', this.#key, sequenceNonce(this.#iv, seq));
    cipher.setAAD(recordAad(kind, seq));
    const ct = cipher.update(plaintext);
    // GCM holds nothing back: final() only completes the tag.
    cipher.final();
    return [head, ct, cipher.getAuthTag()];
  }
}

/** An opened record. */
export interface OpenedRecord {
  readonly kind: number;
  readonly seq: bigint;
  readonly plaintext: Buffer;
}

/** Opens one direction's records, strictly in order, until its last kind. */
export class RecordOpener {
  readonly #key: KeyObject;
  readonly #iv: Uint8Array;
  #seq = 0n;
  #finished = false;

  /**
   * @param kinds the kinds this direction may carry
   * @param last the kind that ends it (nothing may follow)
   */
  constructor(
    keys: DirectionKeys,
    private readonly kinds: readonly number[],
    private readonly last: number,
  ) {
    this.#key = checkKeys(keys);
    this.#iv = keys.iv;
  }

  /** The sequence number expected next. */
  get seq(): bigint {
    return this.#seq;
  }

  /** True once the last record has been opened. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Expects the next record `n` later (records the host says it no longer holds). */
  skip(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new TypeError('skip: a record count');
    this.#seq += BigInt(n);
  }

  /** Opens the next record. @throws SessionError */
  open(record: Uint8Array): OpenedRecord {
    const h = readRecordHeader(record);
    if (typeof h === 'string') throw new SessionError(SessionErrorCode.FORMAT, `malformed record: ${h}`);
    if (!this.kinds.includes(h.kind)) throw new SessionError(SessionErrorCode.FORMAT, `a record of kind ${h.kind} has no place in this direction`);
    if (this.#finished) throw new SessionError(SessionErrorCode.SEQUENCE, `record ${h.seq} came after the last record`);
    if (h.seq !== this.#seq) {
      const what = h.seq < this.#seq ? 'replayed or reordered' : 'records before it are missing';
      throw new SessionError(SessionErrorCode.SEQUENCE, `expected record ${this.#seq}, got record ${h.seq} (${what})`);
    }
    const ct = record.subarray(RECORD_HEADER_BYTES, record.length - RECORD_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sequenceNonce(this.#iv, h.seq));
    decipher.setAAD(recordAad(h.kind, h.seq));
    decipher.setAuthTag(record.subarray(record.length - RECORD_TAG_BYTES));
    // GCM releases nothing at final(): update() gives the whole plaintext, final() checks the tag.
    const plaintext = decipher.update(ct);
    try {
      decipher.final();
    } catch {
      throw new SessionError(SessionErrorCode.AUTH, `record ${h.seq} does not authenticate (altered, forged, or not of this session)`);
    }
    this.#seq++;
    if (h.kind === this.last) this.#finished = true;
    return { kind: h.kind, seq: h.seq, plaintext };
  }
}
