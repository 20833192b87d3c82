/**
 * The keep's standard streams between its worker thread (where the workload's syscalls run,
 * synchronously) and its main thread (which owns the channel to the host and seals everything
 * that crosses it): a single-producer, single-consumer byte ring in a SharedArrayBuffer per
 * direction, so a `fd_write` is a copy into shared memory, not a message or a system call.
 *
 *   control (Int32 cells): HEAD bytes ever written · TAIL bytes ever read (both mod 2^32) ·
 *                          STATE bit 1 writer closed (end of stream), bit 2 reader closed ·
 *                          WAITING bit 1 reader waits for data, bit 2 writer waits for room ·
 *                          DEMAND 1 once the reader has asked for data (input only)
 *   data:                  `capacity` bytes (a power of two), written at HEAD, read at TAIL
 *
 * The worker blocks with Atomics.wait (it may: it runs nothing else); the main thread waits
 * with Atomics.waitAsync (its event loop goes on). A side only notifies when the other has said
 * it waits, so a busy stream costs no wake-ups. Output carries segments, `u8(stream) ‖ u32be(n)
 * ‖ n bytes`, each published whole, so stdout and stderr keep their relative order; input is
 * plain bytes.
 */

import { MAX_RECORD_PLAINTEXT } from '../protocol/records.js';

const HEAD = 0;
const TAIL = 1;
const STATE = 2;
const WAITING = 3;
const DEMAND = 4;
const CELLS = 5;
const WRITER_CLOSED = 1;
const READER_CLOSED = 2;
const READER_WAITS = 1;
const WRITER_WAITS = 2;

/** Bytes of a segment header: stream id, length. */
export const SEGMENT_HEADER = 5;
/** Largest segment (header included): one fills a sealed record. */
export const MAX_SEGMENT = MAX_RECORD_PLAINTEXT;
/** Default ring size: 256 KiB each way. */
export const DEFAULT_RING_BYTES = 256 * 1024;

/** Shared memory for one ring of `capacity` bytes (a power of two, at least 64). */
export function createRing(capacity = DEFAULT_RING_BYTES): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 64 || (capacity & (capacity - 1)) !== 0) throw new RangeError('ring capacity must be a power of two of at least 64');
  return new SharedArrayBuffer(CELLS * 4 + capacity);
}

/** One side's view of a ring. */
class Ring {
  protected readonly ctl: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, CELLS);
    this.data = new Uint8Array(buffer, CELLS * 4);
    this.mask = this.data.length - 1;
  }

  /** Bytes written and not yet read. */
  used(): number {
    return (Atomics.load(this.ctl, HEAD) - Atomics.load(this.ctl, TAIL)) >>> 0;
  }

  /** True once the writer has closed (no more data will come). */
  get writerClosed(): boolean {
    return (Atomics.load(this.ctl, STATE) & WRITER_CLOSED) !== 0;
  }

  /** True once the reader has closed (nothing written will be read). */
  get readerClosed(): boolean {
    return (Atomics.load(this.ctl, STATE) & READER_CLOSED) !== 0;
  }

  protected copyIn(at: number, src: Uint8Array): void {
    const start = at & this.mask;
    const first = Math.min(src.length, this.data.length - start);
    this.data.set(src.subarray(0, first), start);
    if (first < src.length) this.data.set(src.subarray(first), 0);
  }

  protected copyOut(at: number, dst: Uint8Array, n: number): void {
    const start = at & this.mask;
    const first = Math.min(n, this.data.length - start);
    dst.set(this.data.subarray(start, start + first), 0);
    if (first < n) dst.set(this.data.subarray(0, n - first), first);
  }

  protected publishHead(head: number): void {
    Atomics.store(this.ctl, HEAD, head | 0);
    if (Atomics.load(this.ctl, WAITING) & READER_WAITS) Atomics.notify(this.ctl, HEAD);
  }

  protected publishTail(tail: number): void {
    Atomics.store(this.ctl, TAIL, tail | 0);
    if (Atomics.load(this.ctl, WAITING) & WRITER_WAITS) Atomics.notify(this.ctl, TAIL);
  }

  protected closeSide(bit: number): void {
    Atomics.or(this.ctl, STATE, bit);
    Atomics.notify(this.ctl, HEAD);
    Atomics.notify(this.ctl, TAIL);
  }

  /**
   * Blocks this (worker) thread until `cell` moves from `seen`, the other side closes (`closed`:
   * its STATE bit), or `timeoutMs` passes.
   */
  protected block(cell: number, seen: number, flag: number, closed: number, timeoutMs: number): void {
    Atomics.or(this.ctl, WAITING, flag);
    if (Atomics.load(this.ctl, cell) === seen && (Atomics.load(this.ctl, STATE) & closed) === 0) Atomics.wait(this.ctl, cell, seen, timeoutMs);
    Atomics.and(this.ctl, WAITING, ~flag);
  }

  /** Resolves once `cell` moves from `seen` or the other side closes (main thread). */
  protected async await(cell: number, seen: number, flag: number, closed: number): Promise<void> {
    Atomics.or(this.ctl, WAITING, flag);
    try {
      if (Atomics.load(this.ctl, cell) !== seen || (Atomics.load(this.ctl, STATE) & closed) !== 0) return;
      const w = Atomics.waitAsync(this.ctl, cell, seen);
      if (w.async) await w.value;
    } finally {
      Atomics.and(this.ctl, WAITING, ~flag);
    }
  }
}

/** Worker side of the output ring: the workload's stdout and stderr, as segments. */
export class OutputWriter extends Ring {
  readonly #header = new Uint8Array(SEGMENT_HEADER);
  readonly #view = new DataView(this.#header.buffer);

  /**
   * Writes all of `src` to `stream` (1 stdout, 2 stderr), waiting while the ring is full.
   * Returns false when the reader has gone (nothing more will be read).
   */
  write(stream: number, src: Uint8Array): boolean {
    const view = this.#view;
    let off = 0;
    while (off < src.length) {
      if (this.readerClosed) return false;
      const head = Atomics.load(this.ctl, HEAD);
      const tail = Atomics.load(this.ctl, TAIL);
      const room = this.data.length - ((head - tail) >>> 0);
      if (room <= SEGMENT_HEADER) {
        this.block(TAIL, tail, WRITER_WAITS, READER_CLOSED, Infinity);
        continue;
      }
      const n = Math.min(src.length - off, room - SEGMENT_HEADER, MAX_SEGMENT - SEGMENT_HEADER);
      view.setUint8(0, stream);
      view.setUint32(1, n);
      this.copyIn(head, this.#header);
      this.copyIn(head + SEGMENT_HEADER, src.subarray(off, off + n));
      this.publishHead(head + SEGMENT_HEADER + n);
      off += n;
    }
    return true;
  }

  /** The stream ends: the reader drains what is left and stops. */
  close(): void {
    this.closeSide(WRITER_CLOSED);
  }
}

/** Main-thread side of the output ring. */
export class OutputReader extends Ring {
  /** HEAD as the last {@link take} saw it: {@link wait} waits for it to move. */
  #seen = 0;
  /** Where {@link take} copies to: one record's worth, reused. */
  readonly #scratch = new Uint8Array(MAX_SEGMENT);
  readonly #header = new Uint8Array(SEGMENT_HEADER);
  readonly #view = new DataView(this.#header.buffer);

  /**
   * Takes whole segments, at most `max` bytes of them (at least one segment, whatever its size),
   * or undefined when none is waiting. The bytes are valid until the next call.
   */
  take(max: number): Uint8Array | undefined {
    const tail = Atomics.load(this.ctl, TAIL);
    this.#seen = Atomics.load(this.ctl, HEAD);
    const used = (this.#seen - tail) >>> 0;
    if (used === 0) return undefined;
    // Segments are published whole: walk their headers to cut at a segment boundary.
    let n = 0;
    while (n < used) {
      this.copyOut(tail + n, this.#header, SEGMENT_HEADER);
      const size = SEGMENT_HEADER + this.#view.getUint32(1);
      if (n > 0 && n + size > max) break;
      n += size;
    }
    const out = n <= this.#scratch.length ? this.#scratch.subarray(0, n) : new Uint8Array(n);
    this.copyOut(tail, out, n);
    this.publishTail(tail + n);
    return out;
  }

  /** Resolves when data may have come since the last {@link take}, or the writer has closed. */
  wait(): Promise<void> {
    return this.await(HEAD, this.#seen, READER_WAITS, WRITER_CLOSED);
  }

  /** Nothing more will be read: a blocked writer gives up. */
  close(): void {
    this.closeSide(READER_CLOSED);
  }
}

/** Main-thread side of the input ring: the workload's stdin, from the client's sealed records. */
export class InputWriter extends Ring {
  /**
   * Resolves once the workload has first asked for input (read, waited or polled for it): until
   * then, nothing need be fetched for it.
   */
  async demanded(): Promise<void> {
    while (Atomics.load(this.ctl, DEMAND) === 0 && !this.readerClosed) {
      const w = Atomics.waitAsync(this.ctl, DEMAND, 0);
      if (w.async) await w.value;
    }
  }

  /** TAIL as the last {@link tryWrite} saw it. */
  #seen = 0;

  /** Copies as much of `src` as fits now; returns how many bytes. */
  tryWrite(src: Uint8Array): number {
    if (this.readerClosed) return src.length;
    const head = Atomics.load(this.ctl, HEAD);
    this.#seen = Atomics.load(this.ctl, TAIL);
    const n = Math.min(src.length, this.data.length - ((head - this.#seen) >>> 0));
    if (n === 0) return 0;
    this.copyIn(head, src.subarray(0, n));
    this.publishHead(head + n);
    return n;
  }

  /** Writes all of `src`, waiting for room; resolves once it is in the ring (or the reader is gone). */
  async write(src: Uint8Array): Promise<void> {
    let off = 0;
    while (off < src.length && !this.readerClosed) {
      const n = this.tryWrite(src.subarray(off));
      off += n;
      if (n === 0) await this.await(TAIL, this.#seen, WRITER_WAITS, READER_CLOSED);
    }
  }

  /** End of input: the reader sees end of file once it has read the rest. */
  close(): void {
    this.closeSide(WRITER_CLOSED);
  }
}

/** Worker side of the input ring. */
export class InputReader extends Ring {
  /** Tells the main thread, once, that the workload wants input. */
  demand(): void {
    if (Atomics.compareExchange(this.ctl, DEMAND, 0, 1) === 0) Atomics.notify(this.ctl, DEMAND);
  }

  /**
   * Reads up to `dst.length` bytes, waiting until at least one is there or the input has ended
   * (then 0), or until `timeoutMs` has passed (then -1).
   */
  read(dst: Uint8Array, timeoutMs = Infinity): number {
    if (dst.length === 0) return 0;
    this.demand();
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const head = Atomics.load(this.ctl, HEAD);
      const tail = Atomics.load(this.ctl, TAIL);
      const used = (head - tail) >>> 0;
      if (used > 0) {
        const n = Math.min(used, dst.length);
        this.copyOut(tail, dst, n);
        this.publishTail(tail + n);
        return n;
      }
      if (this.writerClosed) return 0;
      const left = deadline - Date.now();
      if (left <= 0) return -1;
      this.block(HEAD, head, READER_WAITS, WRITER_CLOSED, left);
    }
  }

  /** Waits until data or the end of input is there, or `timeoutMs` passes; true when ready. */
  waitReadable(timeoutMs: number): boolean {
    this.demand();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const head = Atomics.load(this.ctl, HEAD);
      if (this.used() > 0 || this.writerClosed) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      this.block(HEAD, head, READER_WAITS, WRITER_CLOSED, left);
    }
  }

  /** Nothing more will be read: the writer drops what it is given. */
  close(): void {
    this.closeSide(READER_CLOSED);
    Atomics.notify(this.ctl, DEMAND);
  }
}
