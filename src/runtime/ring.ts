/**
 * A single-producer, single-consumer byte ring in a SharedArrayBuffer, between a keep's worker
 * thread (which blocks with Atomics.wait: it runs nothing else) and its main thread (which waits
 * with Atomics.waitAsync, so its event loop goes on). The stdio rings (stdio-ring.ts) and the
 * socket rings (socket-ring.ts) are its subclasses.
 *
 *   control (Int32 cells): HEAD bytes ever written · TAIL bytes ever read (both mod 2^32) ·
 *                          STATE bit 1 writer closed (end of stream), bit 2 reader closed,
 *                          higher bits the subclass's ·
 *                          READER_WAITS 1 while the reader waits for data ·
 *                          WRITER_WAITS while the writer waits for room, the room it waits for
 *                          (1: any) ·
 *                          DEMAND (the subclass's)
 *   data:                  `capacity` bytes (a power of two), written at HEAD, read at TAIL
 *
 * A side waits on its own WAITS cell, set to 1 before it looks at HEAD/TAIL once more; the other
 * side, after moving HEAD/TAIL, takes that 1 (exchange to 0) and only then notifies, so a wait
 * costs one wake-up however many writes follow it, and a busy stream costs none. A wake-up
 * cannot be lost: a waiter only sleeps while its cell still holds the value no one has taken.
 * A writer may wait for more room than a byte ({@link Ring.awaitRoom}): the reader then wakes it
 * only once there is that much, so a full ring read a little at a time does not cost a wake-up
 * per read.
 */

export const HEAD = 0;
export const TAIL = 1;
export const STATE = 2;
export const READER_WAITS = 3;
export const WRITER_WAITS = 4;
export const DEMAND = 5;
export const CELLS = 6;
export const WRITER_CLOSED = 1;
export const READER_CLOSED = 2;
/** Copies up to this many bytes byte by byte rather than through a view. */
export const SMALL_COPY = 64;

/** Default ring size: 256 KiB each way. */
export const DEFAULT_RING_BYTES = 256 * 1024;

/** Bytes of shared memory one ring of `capacity` bytes takes. */
export function ringBytes(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 64 || (capacity & (capacity - 1)) !== 0) throw new RangeError('ring capacity must be a power of two of at least 64');
  return CELLS * 4 + capacity;
}

/** Shared memory for one ring of `capacity` bytes (a power of two, at least 64). */
export function createRing(capacity = DEFAULT_RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(ringBytes(capacity));
}

/** One side's view of a ring. */
export class Ring {
  protected readonly ctl: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly mask: number;

  /** The ring at `offset` of `buffer`, of `capacity` bytes (by default, the rest of the buffer). */
  constructor(buffer: SharedArrayBuffer, offset = 0, capacity = buffer.byteLength - offset - CELLS * 4) {
    this.ctl = new Int32Array(buffer, offset, CELLS);
    this.data = new Uint8Array(buffer, offset + CELLS * 4, capacity);
    this.mask = this.data.length - 1;
  }

  /** Bytes written and not yet read. */
  used(): number {
    return (Atomics.load(this.ctl, HEAD) - Atomics.load(this.ctl, TAIL)) >>> 0;
  }

  /** Bytes that can be written now. */
  free(): number {
    return this.data.length - this.used();
  }

  /** True once the writer has closed (no more data will come). */
  get writerClosed(): boolean {
    return (Atomics.load(this.ctl, STATE) & WRITER_CLOSED) !== 0;
  }

  /** True once the reader has closed (nothing written will be read). */
  get readerClosed(): boolean {
    return (Atomics.load(this.ctl, STATE) & READER_CLOSED) !== 0;
  }

  /** Copies `src[off, off+n)` into the ring at `at`; no view is made unless it wraps or is a part. */
  protected copyIn(at: number, src: Uint8Array, off = 0, n = src.length): void {
    const start = at & this.mask;
    const first = Math.min(n, this.data.length - start);
    if (first === n && off === 0 && n === src.length) {
      this.data.set(src, start);
      return;
    }
    this.data.set(src.subarray(off, off + first), start);
    if (first < n) this.data.set(src.subarray(off + first, off + n), 0);
  }

  /** Copies `n` bytes at `at` out of the ring into `dst` at `dstOff`. */
  protected copyOut(at: number, dst: Uint8Array, n: number, dstOff = 0): void {
    const data = this.data;
    if (n <= SMALL_COPY) {
      // A view per copy costs more than the copy itself for a few bytes.
      for (let i = 0; i < n; i++) dst[dstOff + i] = data[(at + i) & this.mask]!;
      return;
    }
    const start = at & this.mask;
    const first = Math.min(n, data.length - start);
    dst.set(data.subarray(start, start + first), dstOff);
    if (first < n) dst.set(data.subarray(0, n - first), dstOff + first);
  }

  protected publishHead(head: number): void {
    Atomics.store(this.ctl, HEAD, head | 0);
    this.wake(READER_WAITS);
  }

  protected publishTail(tail: number): void {
    Atomics.store(this.ctl, TAIL, tail | 0);
    const want = Atomics.load(this.ctl, WRITER_WAITS);
    if (want !== 0 && this.free() >= want) this.wake(WRITER_WAITS);
  }

  /** Wakes the side waiting on `waits`, if it waits and no one has woken it yet. */
  private wake(waits: number): void {
    if (Atomics.load(this.ctl, waits) !== 0 && Atomics.exchange(this.ctl, waits, 0) !== 0) Atomics.notify(this.ctl, waits);
  }

  protected closeSide(bit: number): void {
    Atomics.or(this.ctl, STATE, bit);
    Atomics.store(this.ctl, READER_WAITS, 0);
    Atomics.notify(this.ctl, READER_WAITS);
    Atomics.store(this.ctl, WRITER_WAITS, 0);
    Atomics.notify(this.ctl, WRITER_WAITS);
  }

  /**
   * Blocks this (worker) thread until `cell` moves from `seen`, the other side closes (`closed`:
   * its STATE bit), or `timeoutMs` passes. `waits`: this side's WAITS cell.
   */
  protected block(cell: number, seen: number, waits: number, closed: number, timeoutMs: number): void {
    Atomics.store(this.ctl, waits, 1);
    if (Atomics.load(this.ctl, cell) === seen && (Atomics.load(this.ctl, STATE) & closed) === 0) Atomics.wait(this.ctl, waits, 1, timeoutMs);
    Atomics.store(this.ctl, waits, 0);
  }

  /**
   * Resolves once the ring has `want` bytes of room (at most its capacity), or the reader has
   * closed (main thread, as the writer).
   */
  protected async awaitRoom(want: number): Promise<void> {
    Atomics.store(this.ctl, WRITER_WAITS, want);
    try {
      if (this.free() >= want || this.readerClosed) return;
      const w = Atomics.waitAsync(this.ctl, WRITER_WAITS, want);
      if (w.async) await w.value;
    } finally {
      Atomics.store(this.ctl, WRITER_WAITS, 0);
    }
  }

  /** Resolves once `cell` moves from `seen` or the other side closes (main thread). */
  protected async await(cell: number, seen: number, waits: number, closed: number): Promise<void> {
    Atomics.store(this.ctl, waits, 1);
    try {
      if (Atomics.load(this.ctl, cell) !== seen || (Atomics.load(this.ctl, STATE) & closed) !== 0) return;
      const w = Atomics.waitAsync(this.ctl, waits, 1);
      if (w.async) await w.value;
    } finally {
      Atomics.store(this.ctl, waits, 0);
    }
  }
}
