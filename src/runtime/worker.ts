/**
 * The worker thread of a keep: builds the WASI instance, instantiates the (already compiled)
 * module and runs `_start`. It talks only to the keep's main thread.
 */
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { FdKind, StdioStream } from '../protocol/names.js';
import { OutputStreamId } from '../protocol/records.js';
import { HostDir } from '../wasi/fs/hostfs.js';
import { NullFile } from '../wasi/fs/null.js';
import type { FileHandle } from '../wasi/fs/types.js';
import { Wasi, WasiAbort } from '../wasi/wasi.js';
import { CappedOutput } from './output-cap.js';
import type { OutputBudget } from './output-cap.js';
import { Doorbell } from './doorbell.js';
import { AcceptQueue, ListenerSocket } from './socket-handles.js';
import type { ConnectionSlot } from './socket-ring.js';
import { RingInput, RingOutput } from './stdio-handles.js';
import { InputReader, OutputWriter } from './stdio-ring.js';
import { classifyTrap } from './trap.js';

/** What the keep's main thread sends to start the workload. */
export interface WorkerRun {
  readonly module: WebAssembly.Module;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly preopens: readonly { host: string; guest: string }[];
  /** Per descriptor: a stdio kind, null, or a socket the main thread opened (keep/network.ts). */
  readonly files: readonly (FdKind | WorkerSocket)[];
  /** The stdio rings (stdio-ring.ts): the workload's output to the main thread, its input from it. */
  readonly output: SharedArrayBuffer;
  readonly input: SharedArrayBuffer;
  /** The doorbell (doorbell.ts) the main thread rings for stdin and the sockets. */
  readonly bell: SharedArrayBuffer;
  /** With sockets: where accepted connections arrive, and the listeners' backlog counts. */
  readonly network?: { readonly port: MessagePort; readonly pending: SharedArrayBuffer };
  /** The streams that are terminals on the client's side. */
  readonly ttys: readonly StdioStream[];
  readonly maxOutputBytes: number;
  /** Files of the workload's package: an in-memory filesystem preopened as `/`. */
  readonly packageFiles: readonly { path: string; data: Uint8Array }[];
}

/** A socket descriptor as the main thread hands it over. */
export type WorkerSocket = { readonly kind: 'listener' } | { readonly kind: 'stream'; readonly slot: ConnectionSlot };

/** What the worker reports back (the same events the keep forwards to its host). */
export type WorkerResult =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'exit'; code: number }
  | { type: 'trap'; trap: string; func?: string }
  | { type: 'error'; code: string; message: string };

/** The workload's standard streams: the rings' ends in this thread. */
interface Stdio {
  readonly output: OutputWriter;
  readonly input: InputReader;
  readonly ttys: readonly StdioStream[];
  readonly budget: OutputBudget | undefined;
  readonly limit: number;
  readonly bell: Doorbell;
  readonly accepts: AcceptQueue | undefined;
}

function fdHandle(kind: FdKind | WorkerSocket, fd: number, io: Stdio): { handle: FileHandle; read: boolean; write: boolean } {
  if (typeof kind !== 'string') {
    if (!io.accepts) throw new Error('a socket without the network');
    if (kind.kind === 'stream') return { handle: io.accepts.socket(kind.slot), read: true, write: true };
    return { handle: new ListenerSocket(fd, io.accepts, io.bell), read: true, write: true };
  }
  switch (kind) {
    case 'null':
      return { handle: new NullFile(), read: true, write: true };
    case 'stdin':
      return { handle: new RingInput(io.input, io.ttys.includes('stdin'), io.bell), read: true, write: false };
    case 'stdout':
    case 'stderr': {
      const h = new RingOutput(io.output, OutputStreamId[kind], io.ttys.includes(kind));
      return { handle: io.budget ? new CappedOutput(h, io.budget, io.limit) : h, read: false, write: true };
    }
  }
}

function run(msg: WorkerRun, io: Stdio, memfs: typeof import('../wasi/fs/memfs.js') | undefined): WorkerResult {
  const files = msg.files.map((k, fd) => fdHandle(k, fd, io));
  const preopens: { guestPath: string; dir: import('../wasi/fs/types.js').DirHandle }[] = [];
  for (const p of msg.preopens) {
    try {
      preopens.push({ guestPath: p.guest, dir: HostDir.openRoot(p.host) });
    } catch (err) {
      return { type: 'error', code: 'ERR_DIR', message: `cannot open directory '${p.host}': ${(err as Error).message}` };
    }
  }
  if (memfs && msg.packageFiles.length > 0) {
    // The package's files live only in this keep's memory; the host's disk never sees them.
    const { DEFAULT_MAX_BYTES, MemFs } = memfs;
    const mem = new MemFs({ maxBytes: Math.max(DEFAULT_MAX_BYTES, msg.packageFiles.reduce((n, f) => n + f.data.length * 2 + 4096, 0)) });
    try {
      for (const f of msg.packageFiles) mem.writeFile(f.path, f.data);
    } catch (err) {
      return { type: 'error', code: 'ERR_PACKAGE', message: `cannot place package files: ${(err as Error).message}` };
    }
    preopens.unshift({ guestPath: '/', dir: mem.root() });
  }
  const wasi = new Wasi({ args: msg.args, env: msg.env, files, preopens });
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(msg.module, wasi.imports);
  } catch (err) {
    const trap = classifyTrap(err);
    if (trap) return { type: 'trap', ...trap };
    return { type: 'error', code: 'ERR_LINK', message: (err as Error).message };
  }
  parentPort!.postMessage({ type: 'started' } satisfies WorkerResult);
  try {
    return { type: 'exit', code: wasi.start(instance) };
  } catch (err) {
    if (err instanceof WasiAbort) return { type: 'error', code: err.code, message: err.message };
    const trap = classifyTrap(err);
    if (trap) return { type: 'trap', ...trap };
    if (err instanceof TypeError) return { type: 'error', code: 'ERR_MODULE_INVALID', message: err.message };
    return { type: 'error', code: 'ERR_INTERNAL', message: String((err as Error)?.message ?? err) };
  }
}

/** Runs the worker thread: waits for the one workload it will run, runs it, reports. */
export function workerMain(): void {
  // Tell the main thread we are up: it waits for this before it changes engine flags.
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.once('message', (msg: WorkerRun) => {
    const bell = new Doorbell(msg.bell);
    const io: Stdio = {
      bell,
      accepts: msg.network ? new AcceptQueue(msg.network.port, bell, new Int32Array(msg.network.pending)) : undefined,
      output: new OutputWriter(msg.output),
      input: new InputReader(msg.input),
      ttys: msg.ttys,
      budget: msg.maxOutputBytes > 0 ? { remaining: msg.maxOutputBytes } : undefined,
      limit: msg.maxOutputBytes,
    };
    // The in-memory filesystem is loaded only for a package that has files (most have none).
    const memfs = msg.packageFiles.length > 0 ? import('../wasi/fs/memfs.js') : Promise.resolve(undefined);
    const report = (result: WorkerResult): void => {
      // Everything the workload wrote is in the ring: the main thread drains it, then reports.
      io.output.close();
      io.input.close();
      parentPort!.postMessage(result);
    };
    void memfs.then(
      (m) => report(run(msg, io, m)),
      (err: unknown) => report({ type: 'error', code: 'ERR_INTERNAL', message: `cannot load the in-memory filesystem: ${(err as Error).message}` }),
    );
  });
}
