/**
 * Sealed records: everything a keep and its client say to each other after the package, through
 * a host that must learn nothing from it and can forge nothing (crypto/session.ts seals and
 * opens them; this file is their wire layout).
 *
 *   record   = u32be(n) ‖ u8(kind) ‖ u64be(seq) ‖ ct            n = 9 + len(ct)
 *   ct       = AES-256-GCM(key, nonce = iv ⊕ u96be(seq),
 *                          aad = "enarx-ts record v1" 0x00 ‖ u8(kind) ‖ u64be(seq), plaintext)
 *
 * Each direction has its own key and iv, exported from the package's HPKE context (RFC 9180
 * §5.3) with labels of their own, and its own sequence numbers from 0. A receiver computes the
 * nonce from the sequence number it expects, so a dropped, reordered, replayed or foreign record
 * does not open.
 *
 * | kind | direction     | plaintext                                              |
 * |------|---------------|--------------------------------------------------------|
 * | 0x01 | keep → client | output: segment+, segment = u8(stream) ‖ u32be(n) ‖ n bytes (stream 1 stdout, 2 stderr) |
 * | 0x02 | keep → client | outcome (JSON, outcome.ts); the last record           |
 * | 0x11 | client → keep | input: stdin bytes                                     |
 * | 0x12 | client → keep | end of input (empty); the last record                  |
 *
 * The host sees each record's kind, sequence number and size, and when it passes: sizes and
 * timing, never content.
 */

/** Record kinds. */
export const RecordKind = {
  OUTPUT: 0x01,
  OUTCOME: 0x02,
  INPUT: 0x11,
  INPUT_END: 0x12,
} as const;
/** A record kind. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** Kinds keeps send, and kinds clients send. */
export const OUTPUT_KINDS: readonly RecordKind[] = [RecordKind.OUTPUT, RecordKind.OUTCOME];
export const INPUT_KINDS: readonly RecordKind[] = [RecordKind.INPUT, RecordKind.INPUT_END];

/** Bytes before the ciphertext: length, kind, sequence number. */
export const RECORD_HEADER_BYTES = 13;
/** AES-256-GCM tag. */
export const RECORD_TAG_BYTES = 16;
/** Largest plaintext of one record. */
export const MAX_RECORD_PLAINTEXT = 64 * 1024;
/** Largest record on the wire. */
export const MAX_RECORD_BYTES = RECORD_HEADER_BYTES + MAX_RECORD_PLAINTEXT + RECORD_TAG_BYTES;

/** What a record's header says (before anything is authenticated). */
export interface RecordHeader {
  readonly kind: number;
  readonly seq: bigint;
  /** The whole record's size in bytes, header included. */
  readonly size: number;
}

/** The header of `record`, or a reason it is malformed. */
export function readRecordHeader(record: Uint8Array): RecordHeader | string {
  if (record.length < RECORD_HEADER_BYTES + RECORD_TAG_BYTES) return 'shorter than a record';
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const n = view.getUint32(0);
  if (n + 4 !== record.length) return `length field ${n} does not match the record's ${record.length} bytes`;
  if (n > MAX_RECORD_BYTES - 4) return `record of ${n + 4} bytes is larger than ${MAX_RECORD_BYTES}`;
  return { kind: view.getUint8(4), seq: view.getBigUint64(5), size: record.length };
}

/** The additional data a record's ciphertext is bound to. */
export function recordAad(kind: number, seq: bigint): Uint8Array {
  const label = 'enarx-ts record v1\0';
  const out = new Uint8Array(label.length + 9);
  for (let i = 0; i < label.length; i++) out[i] = label.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint8(label.length, kind);
  view.setBigUint64(label.length + 1, seq);
  return out;
}

/**
 * Splits a byte stream into whole records (an input stream's HTTP body); each is at most
 * {@link MAX_RECORD_BYTES}. A record is a view of the pushed bytes or a copy when it spanned chunks.
 */
export class RecordSplitter {
  #pending: Uint8Array[] = [];
  #buffered = 0;

  /** Bytes held of a record not yet complete. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds a chunk; returns the records it completed. @throws RangeError on a record too large */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#pending.push(chunk);
    this.#buffered += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.#buffered < 4) return out;
      const all = this.#flatten();
      const n = new DataView(all.buffer, all.byteOffset, 4).getUint32(0);
      if (n + 4 > MAX_RECORD_BYTES) throw new RangeError(`record of ${n + 4} bytes is larger than ${MAX_RECORD_BYTES}`);
      if (all.length < n + 4) return out;
      out.push(all.subarray(0, n + 4));
      const rest = all.subarray(n + 4);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
    }
  }

  #flatten(): Uint8Array {
    if (this.#pending.length !== 1) {
      this.#pending = [Buffer.concat(this.#pending)];
    }
    return this.#pending[0]!;
  }
}

/** Output streams inside an output record. */
export const OutputStreamId = { stdout: 1, stderr: 2 } as const;
/** The name of an output stream. */
export type OutputStreamName = keyof typeof OutputStreamId;

/** One piece of output. */
export interface OutputSegment {
  readonly stream: OutputStreamName;
  readonly data: Uint8Array;
}

/** The segments of an output record's plaintext, or a reason it is malformed. */
export function decodeSegments(plaintext: Uint8Array): OutputSegment[] | string {
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const out: OutputSegment[] = [];
  let at = 0;
  while (at < plaintext.length) {
    if (at + 5 > plaintext.length) return 'a segment header is cut';
    const id = view.getUint8(at);
    const n = view.getUint32(at + 1);
    const stream = id === OutputStreamId.stdout ? 'stdout' : id === OutputStreamId.stderr ? 'stderr' : undefined;
    if (stream === undefined) return `unknown output stream ${id}`;
    if (n === 0 || at + 5 + n > plaintext.length) return 'a segment length is out of range';
    out.push({ stream, data: plaintext.subarray(at + 5, at + 5 + n) });
    at += 5 + n;
  }
  if (out.length === 0) return 'an output record with no segment';
  return out;
}
