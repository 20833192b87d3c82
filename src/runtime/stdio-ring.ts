/**
 * The keep's standard streams between its worker thread (where the workload's syscalls run,
 * synchronously) and its main thread (which owns the channel to the host and seals everything
 * that crosses it): a single-producer, single-consumer byte ring in a SharedArrayBuffer per
 * direction, so a `fd_write` is a copy into shared memory, not a message or a system call.
 *
 * The ring itself (layout, waiting, waking) is ring.ts's. Output carries segments,
 * `u8(stream) ‖ u32be(n) ‖ n bytes`, each published whole, so stdout and stderr keep their
 * relative order; input is plain bytes, and DEMAND is 1 once the reader has asked for data.
 */

import { MAX_RECORD_PLAINTEXT } from '../protocol/records.js';
import type { Doorbell } from './doorbell.js';
import { DEMAND, HEAD, READER_CLOSED, READER_WAITS, Ring, TAIL, WRITER_CLOSED, WRITER_WAITS } from './ring.js';

export { createRing, DEFAULT_RING_BYTES } from './ring.js';

/** Bytes of a segment header: stream id, length. */
export const SEGMENT_HEADER = 5;
/** Largest segment (header included): one fills a sealed record. */
export const MAX_SEGMENT = MAX_RECORD_PLAINTEXT;
/** Sets the length field of the segment header at `at` of `out`. */
function putLength(out: Uint8Array, at: number, n: number): void {
  out[at + 1] = n >>> 24;
  out[at + 2] = n >>> 16;
  out[at + 3] = n >>> 8;
  out[at + 4] = n;
}

/** Worker side of the output ring: the workload's stdout and stderr, as segments. */
export class OutputWriter extends Ring {
  /**
   * Writes all of `src` to `stream` (1 stdout, 2 stderr), waiting while the ring is full.
   * Returns false when the reader has gone (nothing more will be read). Allocates nothing
   * unless the segment wraps around the end of the ring.
   */
  write(stream: number, src: Uint8Array): boolean {
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
      this.putHeader(head, stream, n);
      this.copyIn(head + SEGMENT_HEADER, src, off, n);
      this.publishHead(head + SEGMENT_HEADER + n);
      off += n;
    }
    return true;
  }

  /** `u8(stream) ‖ u32be(n)` at `at`, byte by byte (it may wrap). */
  private putHeader(at: number, stream: number, n: number): void {
    const d = this.data;
    const m = this.mask;
    d[at & m] = stream;
    d[(at + 1) & m] = n >>> 24;
    d[(at + 2) & m] = n >>> 16;
    d[(at + 3) & m] = n >>> 8;
    d[(at + 4) & m] = n;
  }

  /** The stream ends: the reader drains what is left and stops. */
  close(): void {
    this.closeSide(WRITER_CLOSED);
  }
}

/** Main-thread side of the output ring. */
export class OutputReader extends Ring {
  /** The length field of the segment header at `at` (u32 big-endian after the stream id). */
  protected segmentLength(at: number): number {
    const d = this.data;
    const m = this.mask;
    return ((d[(at + 1) & m]! << 24) | (d[(at + 2) & m]! << 16) | (d[(at + 3) & m]! << 8) | d[(at + 4) & m]!) >>> 0;
  }

  /** HEAD as the last {@link take} saw it: {@link wait} waits for it to move. */
  #seen = 0;
  /** Where {@link take} copies to: one record's worth, reused. */
  readonly #scratch = new Uint8Array(MAX_SEGMENT);

  /**
   * Takes whole segments, at most `max` bytes of them (at least one segment, whatever its size),
   * or undefined when none is waiting. Adjacent segments of the same stream come out as one, so
   * that a busy stream of small writes reaches the client as a few large ones. The bytes are
   * valid until the next call.
   */
  take(max: number): Uint8Array | undefined {
    const tail = Atomics.load(this.ctl, TAIL);
    this.#seen = Atomics.load(this.ctl, HEAD);
    const used = (this.#seen - tail) >>> 0;
    if (used === 0) return undefined;
    // Segments are published whole: walk their headers to cut at a segment boundary.
    let n = 0;
    while (n < used) {
      const size = SEGMENT_HEADER + this.segmentLength(tail + n);
      if (n > 0 && n + size > max) break;
      n += size;
    }
    const out = n <= this.#scratch.length ? this.#scratch : new Uint8Array(n);
    let w = 0;
    let run = -1;
    let runStream = -1;
    for (let at = 0; at < n; ) {
      const stream = this.data[(tail + at) & this.mask]!;
      const len = this.segmentLength(tail + at);
      if (stream !== runStream) {
        if (run >= 0) putLength(out, run, w - run - SEGMENT_HEADER);
        run = w;
        runStream = stream;
        out[w] = stream;
        w += SEGMENT_HEADER;
      }
      this.copyOut(tail + at + SEGMENT_HEADER, out, len, w);
      w += len;
      at += SEGMENT_HEADER + len;
    }
    putLength(out, run, w - run - SEGMENT_HEADER);
    this.publishTail(tail + n);
    return out.subarray(0, w);
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
  /** @param bell rung with each change, for a worker that polls stdin with its sockets */
  constructor(
    buffer: SharedArrayBuffer,
    private readonly bell?: Doorbell,
  ) {
    super(buffer);
  }

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

  /** Copies as much of `src` as fits now; returns how many bytes. */
  tryWrite(src: Uint8Array): number {
    if (this.readerClosed) return src.length;
    const head = Atomics.load(this.ctl, HEAD);
    const n = Math.min(src.length, this.free());
    if (n === 0) return 0;
    this.copyIn(head, src.subarray(0, n));
    this.publishHead(head + n);
    this.bell?.ring();
    return n;
  }

  /**
   * Writes all of `src`, waiting for room; resolves once it is in the ring (or the reader is gone).
   * A full ring is waited on until the rest fits or half of it is free: the workload reads a few
   * KiB at a time (libc's stdio), and a wake-up for each read is a round trip between the threads
   * for a few KiB (100 MiB through `cat.wasm`: ~0.95× the time; bench/NOTES.md).
   */
  async write(src: Uint8Array): Promise<void> {
    let off = 0;
    while (off < src.length && !this.readerClosed) {
      const n = this.tryWrite(src.subarray(off));
      off += n;
      if (n === 0) await this.awaitRoom(Math.min(src.length - off, this.data.length >>> 1));
    }
  }

  /** End of input: the reader sees end of file once it has read the rest. */
  close(): void {
    this.closeSide(WRITER_CLOSED);
    this.bell?.ring();
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
      // Closed is read before HEAD: the writer closes after its last write, so a close seen
      // here means HEAD below holds every byte (the other order could miss the last write).
      const closed = this.writerClosed;
      const head = Atomics.load(this.ctl, HEAD);
      const tail = Atomics.load(this.ctl, TAIL);
      const used = (head - tail) >>> 0;
      if (used > 0) {
        const n = Math.min(used, dst.length);
        this.copyOut(tail, dst, n);
        this.publishTail(tail + n);
        return n;
      }
      if (closed) return 0;
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
      if (this.writerClosed || this.used() > 0) return true;
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
