/**
 * One connection on the keep's main thread: moves bytes between a socket (TCP, or TLS terminated
 * here) and the connection's rings (runtime/socket-ring.ts), whose other ends are the workload's
 * descriptor in the worker.
 *
 * In: the socket's chunks are copied into the inbound ring; when it is full the socket pauses
 * until the workload reads. Out: the outbound ring's bytes go to the socket as views of the ring,
 * freed when the socket's write completes, so at most a ring's worth is in flight and a peer
 * that never reads holds only its own connection's ring. Ends: the peer's end of stream and a
 * reset become the inbound ring's states; the workload's shutdown or close becomes the socket's
 * end once everything before it was written.
 */
import type { Duplex } from 'node:stream';
import type { Doorbell } from '../runtime/doorbell.js';
import { InboundWriter, OutboundReader } from '../runtime/socket-ring.js';
import type { ConnectionSlot } from '../runtime/socket-ring.js';

/** How long a connection the workload has closed may take to flush before it is destroyed. */
export const CLOSE_LINGER_MS = 10_000;

/** A socket and its rings, pumped until both directions have ended. */
export class Connection {
  readonly #in: InboundWriter;
  readonly #out: OutboundReader;
  /**
   * Resolves once the socket has closed and this side will never touch the slot again (what
   * came before the close is in the ring, the end or reset is marked, the send loop has
   * stopped): only then may the slot be lent to another connection.
   */
  readonly closed: Promise<void>;
  #flowing = true;
  /** Settles when the rest of a chunk that did not fit is in the ring. */
  #offering: Promise<void> = Promise.resolve();
  #ended = false;
  /** Writes handed to the socket and not yet completed. */
  #inFlight = 0;
  #allWritten: (() => void) | undefined;

  constructor(
    readonly socket: Duplex,
    readonly slot: ConnectionSlot,
    bell: Doorbell,
  ) {
    this.#in = new InboundWriter(slot, bell);
    this.#out = new OutboundReader(slot, bell);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    // The end of the stream, or its breaking, reaches the workload after every byte received
    // before it: a chunk may still be waiting for room in the ring when the socket ends.
    socket.once('end', () => void this.#offering.then(() => this.#in.end()));
    socket.on('error', () => {});
    const sending = this.#sendLoop();
    this.closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        // Nothing written reaches the peer now: a blocked writer gets EPIPE, the send loop stops.
        this.#out.close();
        void this.#offering
          .then(() => {
            // Whatever did not end cleanly was broken: the workload sees a reset.
            if (!this.#in.writerClosed) this.#in.reset();
            return sending;
          })
          .then(() => resolve());
      }),
    );
  }

  #receive(chunk: Buffer): void {
    const n = this.#in.offer(chunk);
    if (n === chunk.length) return;
    // The ring is full: hold the rest, stop reading until the workload makes room.
    this.socket.pause();
    this.#flowing = false;
    this.#offering = this.#offerRest(chunk.subarray(n));
  }

  async #offerRest(rest: Uint8Array): Promise<void> {
    while (rest.length > 0) {
      // Offered even once the socket is gone: these bytes arrived before its end.
      await this.#in.room();
      rest = rest.subarray(this.#in.offer(rest));
    }
    this.#flowing = true;
    if (!this.socket.destroyed) this.socket.resume();
  }

  /** Sends what the workload writes until it ends its side or the socket is gone. Never rejects. */
  async #sendLoop(): Promise<void> {
    const socket = this.socket;
    while (!socket.destroyed) {
      // Read before the take: the workload closes after its last write, so once this is true
      // the take sees every byte (read after it, the last write could be missed).
      const closed = this.#out.writerClosed;
      const view = this.#out.take();
      if (view !== undefined) {
        this.#inFlight++;
        socket.write(view, (err) => this.#written(err ? 0 : view.length));
        continue;
      }
      if (!closed) await this.#out.wait();
      else if (this.#inFlight > 0) await this.#writesDone();
      else break;
    }
    this.#end();
    // A destroyed socket still calls back its pending writes (with an error): wait for them,
    // so that none frees ring bytes after the slot has gone to another connection.
    if (this.#inFlight > 0) await this.#writesDone();
  }

  #writesDone(): Promise<void> {
    return new Promise<void>((resolve) => (this.#allWritten = resolve));
  }

  /** A write completed: its bytes leave the ring. */
  #written(n: number): void {
    this.#inFlight--;
    if (n > 0) this.#out.release(n);
    if (this.#inFlight === 0) this.#allWritten?.();
  }

  /** The workload wrote its last byte: end the stream (and close it when it has closed its side too). */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.end();
    if (this.#in.readerClosed) {
      // Closed, not just shut down: what the peer sends now is dropped (Linux would reset).
      if (!this.#flowing) socket.resume();
      const linger = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    }
  }

  /** The keep is stopping: flush what the workload wrote, then end; resolves when closed or destroyed. */
  async stop(timeoutMs: number): Promise<void> {
    this.#out.writerGone();
    this.#in.readerGone();
    const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
    timer.unref();
    await this.closed;
    clearTimeout(timer);
  }
}
