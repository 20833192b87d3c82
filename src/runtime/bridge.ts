/**
 * The blocking bridge between a keep's worker thread (where WASI syscalls run synchronously)
 * and its main thread (which owns the event loop: sockets, TLS, timers).
 *
 * The worker posts a request as a message and blocks in `Atomics.wait` on a shared cell; the
 * main thread serves it asynchronously, writes the reply into the shared buffer and wakes the
 * worker with `Atomics.notify`. One call is in flight at a time (WASI preview1 guests are
 * single-threaded).
 *
 *   shared buffer: state:i32 | status:i32 | length:i32 | reserved:i32 | data[capacity]
 *   state: 0 idle → 1 request posted (worker) → 2 reply ready (main) → 0 (worker, after reading)
 */
import type { MessagePort, Worker } from 'node:worker_threads';

const IDLE = 0;
const POSTED = 1;
const READY = 2;
const HEADER = 16;

/** Default reply capacity: one socket read's worth. */
export const BRIDGE_CAPACITY = 64 * 1024;

/** A reply: a status (0 = ok, else an errno or op-specific code) and bytes. */
export interface BridgeReply {
  readonly status: number;
  readonly data?: Uint8Array;
}

/** A request as the main thread receives it. */
interface BridgeRequest {
  readonly bridge: 'call';
  readonly op: string;
  readonly payload: Uint8Array;
}

/** Main-thread handler for one operation. It must reply with at most `capacity` bytes. */
export type BridgeHandler = (payload: Uint8Array) => Promise<BridgeReply> | BridgeReply;

/** Shared memory for one bridge; create on the main thread and hand to the worker. */
export function createBridgeBuffer(capacity = BRIDGE_CAPACITY): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + capacity);
}

/** Worker side: blocking calls into the main thread. */
export class BridgeClient {
  private readonly cells: Int32Array;
  private readonly data: Uint8Array;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    this.cells = new Int32Array(buffer, 0, 4);
    this.data = new Uint8Array(buffer, HEADER);
  }

  /** Calls `op` on the main thread and blocks until it replies. */
  call(op: string, payload: Uint8Array = new Uint8Array(0)): { status: number; data: Uint8Array } {
    Atomics.store(this.cells, 0, POSTED);
    this.port.postMessage({ bridge: 'call', op, payload } satisfies BridgeRequest);
    while (Atomics.load(this.cells, 0) !== READY) Atomics.wait(this.cells, 0, POSTED);
    const status = Atomics.load(this.cells, 1);
    const len = Atomics.load(this.cells, 2);
    const data = this.data.slice(0, len);
    Atomics.store(this.cells, 0, IDLE);
    return { status, data };
  }
}

/** Main side: serves a worker's calls with `handlers`. Unknown operations get status -1. */
export function serveBridge(
  worker: Worker,
  buffer: SharedArrayBuffer,
  handlers: Readonly<Record<string, BridgeHandler>>,
): void {
  const cells = new Int32Array(buffer, 0, 4);
  const data = new Uint8Array(buffer, HEADER);
  const reply = (r: BridgeReply): void => {
    const bytes = r.data ?? new Uint8Array(0);
    if (bytes.length > data.length) throw new RangeError(`bridge reply of ${bytes.length} bytes exceeds capacity ${data.length}`);
    data.set(bytes);
    Atomics.store(cells, 1, r.status);
    Atomics.store(cells, 2, bytes.length);
    Atomics.store(cells, 0, READY);
    Atomics.notify(cells, 0);
  };
  worker.on('message', (msg: unknown) => {
    const req = msg as Partial<BridgeRequest> | null;
    if (req?.bridge !== 'call' || typeof req.op !== 'string') return;
    const handler = Object.hasOwn(handlers, req.op) ? handlers[req.op] : undefined;
    if (!handler) return reply({ status: -1 });
    Promise.resolve()
      .then(() => handler(req.payload ?? new Uint8Array(0)))
      .then(reply, () => reply({ status: -2 }));
  });
}
