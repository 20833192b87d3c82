/**
 * One connection's bytes between the keep's main thread (which owns the socket and its TLS) and
 * its worker (where the workload's syscalls run): two rings (ring.ts) in the connection's slot of
 * shared memory ({@link SlotPool}),
 *
 *   inbound  (peer → workload): the main thread writes, the worker reads
 *   outbound (workload → peer): the worker writes, the main thread reads
 *
 * Each ring is bounded, so back-pressure runs both ways: a full inbound ring pauses the socket
 * (the peer's TCP window closes), a full outbound ring blocks the workload's send (or gives it
 * EAGAIN). The main thread hands outbound bytes to the socket as views of the ring and frees
 * them only when the socket has taken them: nothing is copied on the way out but into TLS.
 *
 * States: inbound WRITER_CLOSED = the peer's end of stream; inbound RESET = the connection broke
 * (reset, error); inbound READER_CLOSED = the workload will read no more (shutdown RD, close);
 * outbound WRITER_CLOSED = the workload will write no more (shutdown WR, close); outbound
 * READER_CLOSED = nothing written will reach the peer any more.
 */
import type { Doorbell } from './doorbell.js';
import { CELLS, HEAD, READER_CLOSED, READER_WAITS, Ring, ringBytes, STATE, TAIL, WRITER_CLOSED, WRITER_WAITS } from './ring.js';

/**
 * Each direction's ring: 128 KiB, two socket reads. Measured (bench/network.bench.ts): TCP echo
 * 0.8–1.1× a Node.js echo server, against 0.7–0.85× with 64 KiB rings; a held idle connection
 * costs the same either way (the pages it touched).
 */
export const SOCKET_RING_BYTES = 128 * 1024;
/** Inbound STATE bit: the connection was reset or failed. */
const RESET = 4;

/** What a read or write gives besides a byte count. */
export const WOULD_BLOCK = -1;
export const CONNECTION_RESET = -2;
export const BROKEN_PIPE = -3;

/**
 * Where one connection's rings live: `capacity` bytes each way, the inbound ring at `offset` of
 * `memory`, the outbound ring right after it. `id` names the slot to the pool that lent it.
 */
export interface ConnectionSlot {
  readonly memory: SharedArrayBuffer;
  readonly offset: number;
  readonly capacity: number;
  readonly id: number;
}

/** Shared memory for one connection of its own (not from a pool). */
export function connectionMemory(capacity = SOCKET_RING_BYTES): ConnectionSlot {
  return { memory: new SharedArrayBuffer(2 * ringBytes(capacity)), offset: 0, capacity, id: -1 };
}

const outbound = (slot: ConnectionSlot): number => slot.offset + ringBytes(slot.capacity);

/** Connections per slab. */
export const SLAB_SLOTS = 256;

/**
 * Shared memory that costs only the pages touched: a shared WebAssembly.Memory's buffer, which
 * the engine maps itself. A `new SharedArrayBuffer` of a connection's size comes from malloc's
 * heap instead, zeroed and so resident from the start: 128 KiB a connection, measured (keep
 * process /proc/PID/smaps: the heap grew by 260 MB for 2000 held connections).
 */
function slabMemory(bytes: number): SharedArrayBuffer {
  const pages = Math.ceil(bytes / 65536);
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer as unknown as SharedArrayBuffer;
  } catch {
    return new SharedArrayBuffer(bytes); // the engine would not map another one: the heap, then
  }
}

/**
 * The slots a keep's main thread lends its connections, cut from slabs of {@link SLAB_SLOTS} made
 * as they are needed (slabMemory: an idle connection costs the few pages it touched). A slot
 * returns to the pool only once both threads are done with it (keep/network.ts), its ring
 * states cleared for the next connection.
 */
export class SlotPool {
  #slabs = 0;
  readonly #free: ConnectionSlot[] = [];

  constructor(readonly capacity = SOCKET_RING_BYTES) {}

  acquire(): ConnectionSlot {
    const free = this.#free.pop();
    if (free) return free;
    const bytes = 2 * ringBytes(this.capacity);
    const memory = slabMemory(SLAB_SLOTS * bytes);
    const base = this.#slabs++ * SLAB_SLOTS;
    for (let i = SLAB_SLOTS - 1; i > 0; i--) this.#free.push({ memory, offset: i * bytes, capacity: this.capacity, id: base + i });
    return { memory, offset: 0, capacity: this.capacity, id: base };
  }

  /** `slot` is free again: both rings start over, empty and open. */
  release(slot: ConnectionSlot): void {
    new Int32Array(slot.memory, slot.offset, CELLS).fill(0);
    new Int32Array(slot.memory, outbound(slot), CELLS).fill(0);
    this.#free.push(slot);
  }
}

/** Worker side of the inbound ring. */
export class InboundReader extends Ring {
  constructor(slot: ConnectionSlot) {
    super(slot.memory, slot.offset, slot.capacity);
  }

  /** True once the connection was reset. */
  get reset(): boolean {
    return (Atomics.load(this.ctl, STATE) & RESET) !== 0;
  }

  /**
   * Reads up to `dst.length` bytes (left in the ring when `peek`): a byte count, 0 at the end of
   * the stream, {@link CONNECTION_RESET}, or {@link WOULD_BLOCK} when nothing is there and
   * `block` is false.
   */
  read(dst: Uint8Array, peek: boolean, block: boolean): number {
    for (;;) {
      // The state is read before HEAD: the writer ends the stream after its last write, so an
      // end seen here means HEAD below holds every byte (the other order could lose the last).
      const state = Atomics.load(this.ctl, STATE);
      const head = Atomics.load(this.ctl, HEAD);
      const tail = Atomics.load(this.ctl, TAIL);
      const used = (head - tail) >>> 0;
      if (used > 0) {
        const n = Math.min(used, dst.length);
        this.copyOut(tail, dst, n);
        if (!peek) this.publishTail(tail + n);
        return n;
      }
      if (state & RESET) return CONNECTION_RESET;
      if (state & WRITER_CLOSED) return 0;
      if (!block) return WOULD_BLOCK;
      this.block(HEAD, head, READER_WAITS, WRITER_CLOSED | RESET, Infinity);
    }
  }

  /** The workload reads no more: what comes is dropped. */
  close(): void {
    this.closeSide(READER_CLOSED);
  }
}

/** Worker side of the outbound ring. */
export class OutboundWriter extends Ring {
  constructor(slot: ConnectionSlot) {
    super(slot.memory, outbound(slot), slot.capacity);
  }

  /** Bytes that fit now. */
  room(): number {
    return this.data.length - this.used();
  }

  /**
   * Writes `src`: all of it when `block`, else what fits now. Returns the count written (at
   * least 1 unless `src` is empty), {@link WOULD_BLOCK}, or {@link BROKEN_PIPE} when nothing
   * written would reach the peer any more.
   */
  write(src: Uint8Array, block: boolean): number {
    let off = 0;
    while (off < src.length) {
      if (this.readerClosed) return off > 0 ? off : BROKEN_PIPE;
      const head = Atomics.load(this.ctl, HEAD);
      const tail = Atomics.load(this.ctl, TAIL);
      const room = this.data.length - ((head - tail) >>> 0);
      if (room === 0) {
        if (!block) return off > 0 ? off : WOULD_BLOCK;
        this.block(TAIL, tail, WRITER_WAITS, READER_CLOSED, Infinity);
        continue;
      }
      const n = Math.min(room, src.length - off);
      this.copyIn(head, src, off, n);
      this.publishHead(head + n);
      off += n;
    }
    return off;
  }

  /** The workload writes no more: the peer gets the end of the stream after the rest. */
  close(): void {
    this.closeSide(WRITER_CLOSED);
  }
}

/**
 * Main-thread side of the inbound ring. What one turn of the event loop brings (a TLS socket
 * hands over each 16 KiB record of a read on its own) is published at the turn's end, with one
 * wake-up of the worker for the lot: a wake-up per chunk cost the main thread a tenth of its time.
 */
export class InboundWriter extends Ring {
  /** TAIL as the last {@link offer} saw it. */
  #seen = 0;
  /** HEAD with the bytes copied in this turn, not yet published. */
  #head: number | undefined;
  readonly #publish = (): void => this.#flush();

  constructor(
    slot: ConnectionSlot,
    private readonly bell: Doorbell,
  ) {
    super(slot.memory, slot.offset, slot.capacity);
  }

  /** Copies as much of `src` as fits now; returns how many bytes (all of it once the reader is gone). */
  offer(src: Uint8Array): number {
    if (this.readerClosed) return src.length;
    const head = this.#head ?? Atomics.load(this.ctl, HEAD);
    this.#seen = Atomics.load(this.ctl, TAIL);
    const n = Math.min(src.length, this.data.length - ((head - this.#seen) >>> 0));
    if (n > 0) {
      this.copyIn(head, src, 0, n);
      if (this.#head === undefined) queueMicrotask(this.#publish);
      this.#head = head + n;
    }
    // A full ring waits for the reader, who must see everything first.
    if (n < src.length) this.#flush();
    return n;
  }

  #flush(): void {
    if (this.#head === undefined) return;
    this.publishHead(this.#head);
    this.#head = undefined;
    this.bell.ring();
  }

  /** Resolves once the reader has made room since the last {@link offer}, or has gone. */
  room(): Promise<void> {
    return this.await(TAIL, this.#seen, WRITER_WAITS, READER_CLOSED);
  }

  /** The peer's end of stream: the reader sees 0 once it has read the rest. */
  end(): void {
    this.#flush();
    this.closeSide(WRITER_CLOSED);
    this.bell.ring();
  }

  /** The reader is gone (the worker ended): what comes is dropped. */
  readerGone(): void {
    this.closeSide(READER_CLOSED);
  }

  /** The connection broke: the reader sees ECONNRESET once it has read the rest. */
  reset(): void {
    this.#flush();
    this.closeSide(WRITER_CLOSED | RESET);
    this.bell.ring();
  }
}

/** Main-thread side of the outbound ring: views handed to the socket, freed when it took them. */
export class OutboundReader extends Ring {
  /** Bytes past TAIL already handed out by {@link take}. */
  #taken = 0;
  /** HEAD as the last {@link take} saw it. */
  #seen = 0;

  constructor(
    slot: ConnectionSlot,
    private readonly bell: Doorbell,
  ) {
    super(slot.memory, outbound(slot), slot.capacity);
  }

  /** The next bytes not yet handed out, as one view of the ring (up to its end), or undefined. */
  take(): Uint8Array | undefined {
    const tail = Atomics.load(this.ctl, TAIL);
    this.#seen = Atomics.load(this.ctl, HEAD);
    const left = ((this.#seen - tail) >>> 0) - this.#taken;
    if (left <= 0) return undefined;
    const start = (tail + this.#taken) & this.mask;
    const n = Math.min(left, this.data.length - start);
    this.#taken += n;
    return this.data.subarray(start, start + n);
  }

  /** Frees the oldest `n` bytes handed out (the socket has taken them). */
  release(n: number): void {
    this.#taken -= n;
    this.publishTail(Atomics.load(this.ctl, TAIL) + n);
    this.bell.ring();
  }

  /** True when everything written has been handed out and freed. */
  get drained(): boolean {
    return this.used() === 0;
  }

  /** Resolves once the writer has written since the last {@link take}, or closed. */
  wait(): Promise<void> {
    return this.await(HEAD, this.#seen, READER_WAITS, WRITER_CLOSED);
  }

  /** The writer is gone (the worker ended): what it wrote is sent, then the stream ends. */
  writerGone(): void {
    this.closeSide(WRITER_CLOSED);
  }

  /** Nothing more will reach the peer: a blocked writer gets EPIPE. */
  close(): void {
    this.closeSide(READER_CLOSED);
    this.bell.ring();
  }
}
