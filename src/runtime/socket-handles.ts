/**
 * The workload's sockets inside the keep's worker: descriptors over the socket rings
 * (socket-ring.ts) whose other ends are the keep's main thread, which owns the real sockets and
 * their TLS (keep/network.ts). A connected socket reads and writes its rings; a listening socket
 * takes the connections the main thread has accepted for it, which arrive on a MessagePort with
 * their shared memory. Every wait is on the keep's doorbell or a ring's own cell: nothing spins.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import * as C from '../wasi/constants.js';
import { fail } from '../wasi/errno.js';
import { StreamBase } from '../wasi/fs/stream.js';
import type { FileHandle, Readiness, SocketOps } from '../wasi/fs/types.js';
import type { Doorbell } from './doorbell.js';
import { BROKEN_PIPE, CONNECTION_RESET, InboundReader, OutboundWriter, WOULD_BLOCK } from './socket-ring.js';
import type { ConnectionSlot } from './socket-ring.js';

/** A connection the main thread accepted for listener `listener` (by its descriptor number). */
export interface AcceptedConnection {
  readonly type: 'accepted';
  readonly listener: number;
  readonly slot: ConnectionSlot;
}

/**
 * What the worker tells the main thread: the workload closed a listener, or is done with a
 * connection's slot (closed its descriptor, or will never accept it).
 */
export type WorkerNetMessage = { readonly type: 'close-listener'; readonly listener: number } | { readonly type: 'slot-done'; readonly id: number };

/** What both kinds of socket do the same way. */
abstract class SocketHandle extends StreamBase implements FileHandle, SocketOps {
  readonly isTty = false;
  readonly filetype = C.FILETYPE_SOCKET_STREAM;
  abstract readonly listening: boolean;
  protected nonblocking = false;

  constructor(readonly waiter: Doorbell) {
    super();
  }

  get socket(): SocketOps {
    return this;
  }

  setNonblocking(on: boolean): void {
    this.nonblocking = on;
  }

  abstract read(buf: Uint8Array, off: number, len: number): number;
  abstract write(buf: Uint8Array, off: number, len: number): number;
  abstract poll(kind: 'read' | 'write'): Readiness | undefined;
  abstract accept(): FileHandle;
  abstract recv(dst: Uint8Array, peek: boolean, waitall: boolean): number;
  abstract shutdown(read: boolean, write: boolean): void;
  abstract close(): void;
}

/** A connected stream socket (accepted, or connected out by the keep). */
export class StreamSocket extends SocketHandle {
  readonly listening = false;
  readonly #in: InboundReader;
  readonly #out: OutboundWriter;

  #onClose: (() => void) | undefined;

  /** @param onClose told once, when the descriptor closes (its slot may then be lent again) */
  constructor(slot: ConnectionSlot, bell: Doorbell, onClose?: () => void) {
    super(bell);
    this.#in = new InboundReader(slot);
    this.#out = new OutboundWriter(slot);
    this.#onClose = onClose;
  }

  read(buf: Uint8Array, off: number, len: number): number {
    return this.recv(buf.subarray(off, off + len), false, false);
  }

  recv(dst: Uint8Array, peek: boolean, waitall: boolean): number {
    if (dst.length === 0) return 0;
    let n = this.#check(this.#in.read(dst, peek, !this.nonblocking));
    // MSG_WAITALL: until the buffer is full, the stream ends or breaks (a peek never waits for
    // more, and a non-blocking socket never waits, as on Linux).
    while (waitall && !peek && !this.nonblocking && n < dst.length) {
      const more = this.#in.read(dst.subarray(n), false, true);
      if (more <= 0) break;
      n += more;
    }
    return n;
  }

  #check(n: number): number {
    if (n === WOULD_BLOCK) return fail(C.ERRNO_AGAIN);
    if (n === CONNECTION_RESET) return fail(C.ERRNO_CONNRESET);
    return n;
  }

  write(buf: Uint8Array, off: number, len: number): number {
    if (this.#out.writerClosed) return fail(C.ERRNO_PIPE);
    if (len === 0) return 0;
    const n = this.#out.write(buf.subarray(off, off + len), !this.nonblocking);
    if (n === WOULD_BLOCK) return fail(C.ERRNO_AGAIN);
    if (n === BROKEN_PIPE) return fail(this.#in.reset ? C.ERRNO_CONNRESET : C.ERRNO_PIPE);
    return n;
  }

  poll(kind: 'read' | 'write'): Readiness | undefined {
    if (kind === 'read') {
      const ended = this.#in.writerClosed; // before used(): see InboundReader.read
      const n = this.#in.used();
      if (n > 0) return { nbytes: BigInt(n), hangup: false };
      if (ended || this.#in.readerClosed) return { nbytes: 0n, hangup: ended };
      return undefined;
    }
    if (this.#out.readerClosed) return { nbytes: 0n, hangup: true };
    if (this.#out.writerClosed) return { nbytes: 0n, hangup: false };
    const room = this.#out.room();
    return room > 0 ? { nbytes: BigInt(room), hangup: false } : undefined;
  }

  accept(): FileHandle {
    return fail(C.ERRNO_INVAL);
  }

  shutdown(read: boolean, write: boolean): void {
    if (read) this.#in.close();
    if (write) this.#out.close();
  }

  close(): void {
    this.shutdown(true, true);
    const done = this.#onClose;
    this.#onClose = undefined;
    done?.();
  }
}

/** The connections the main thread has accepted, by listener, as they arrive on the port. */
export class AcceptQueue {
  readonly #queues = new Map<number, ConnectionSlot[]>();

  constructor(
    private readonly port: MessagePort,
    private readonly bell: Doorbell,
    /** Per listener: connections sent and not yet taken (the main thread bounds its backlog with it). */
    private readonly pending: Int32Array,
  ) {}

  /** Listener `fd` starts with an empty queue. */
  open(fd: number): void {
    this.#queues.set(fd, []);
  }

  #drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as AcceptedConnection;
      const q = this.#queues.get(msg.listener);
      if (q) q.push(msg.slot);
      else this.socket(msg.slot).close();
    }
  }

  /** Connections waiting for listener `fd`. */
  waiting(fd: number): number {
    this.#drain();
    return this.#queues.get(fd)?.length ?? 0;
  }

  /** The next connection for listener `fd`, waiting for one when `block`. */
  take(fd: number, block: boolean): StreamSocket | undefined {
    for (;;) {
      const seen = this.bell.epoch();
      this.#drain();
      const slot = this.#queues.get(fd)?.shift();
      if (slot) {
        Atomics.sub(this.pending, fd, 1);
        return this.socket(slot);
      }
      if (!block) return undefined;
      this.bell.wait(seen, Infinity);
    }
  }

  /** Listener `fd` is closed: the main thread stops it; connections still queued are closed. */
  close(fd: number): void {
    this.#drain();
    // Connections no one will accept: both directions closed, their slots given back.
    for (const slot of this.#queues.get(fd) ?? []) this.socket(slot).close();
    this.#queues.delete(fd);
    this.port.postMessage({ type: 'close-listener', listener: fd } satisfies WorkerNetMessage);
  }

  /** The workload's descriptor for the connection in `slot`; the main thread hears when it closes. */
  socket(slot: ConnectionSlot): StreamSocket {
    return new StreamSocket(slot, this.bell, () => this.port.postMessage({ type: 'slot-done', id: slot.id } satisfies WorkerNetMessage));
  }
}

/** A listening socket: its connections come from the keep's main thread. */
export class ListenerSocket extends SocketHandle {
  readonly listening = true;

  constructor(
    private readonly fd: number,
    private readonly queue: AcceptQueue,
    bell: Doorbell,
  ) {
    super(bell);
    queue.open(fd);
  }

  accept(): FileHandle {
    return this.queue.take(this.fd, !this.nonblocking) ?? fail(C.ERRNO_AGAIN);
  }

  poll(kind: 'read' | 'write'): Readiness | undefined {
    if (kind === 'write') return undefined;
    const n = this.queue.waiting(this.fd);
    return n > 0 ? { nbytes: BigInt(n), hangup: false } : undefined;
  }

  read(): number {
    return fail(C.ERRNO_NOTCONN);
  }
  write(): number {
    return fail(C.ERRNO_NOTCONN);
  }
  recv(): number {
    return fail(C.ERRNO_NOTCONN);
  }
  shutdown(): void {
    return fail(C.ERRNO_NOTCONN);
  }
  close(): void {
    this.queue.close(this.fd);
  }
}
