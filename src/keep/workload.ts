/**
 * Running the opened package in the keep's worker thread: the engine flags, compilation (which
 * validates the module and caps its memory), the worker's run message with the stdio rings, the
 * wall-clock limit, and the worker's report turned into the outcome the client will get.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { Package } from '../crypto/package.js';
import { cutMessage } from '../protocol/errors.js';
import type { LaunchMessage } from '../protocol/control.js';
import type { Outcome } from '../protocol/outcome.js';
import { RuntimeErrorCode } from '../runtime/errors.js';
import { WORKLOAD_ENGINE_FLAGS } from '../runtime/engine.js';
import type { Doorbell } from '../runtime/doorbell.js';
import type { WorkerResult, WorkerRun } from '../runtime/worker.js';
import { keepTrace } from '../trace.js';
import type { BoundPort } from '../protocol/sockets.js';
import type { RequestEvidence } from './evidence.js';
import type { Network } from './network.js';

/** The worker and what the workload needs around it. */
export interface WorkloadSetup {
  readonly worker: Worker;
  /** Resolves when the worker has booted (flags must not change before). */
  readonly workerReady: Promise<void>;
  /** The stdio rings (runtime/stdio-ring.ts). */
  readonly output: SharedArrayBuffer;
  readonly input: SharedArrayBuffer;
  /** Rung by the main thread for stdin and sockets (runtime/doorbell.ts). */
  readonly bell: Doorbell;
  /** Asks the keep's platform for evidence (for an attested TLS identity). */
  readonly requestEvidence?: RequestEvidence;
  /** SHA-256 of the package (what a steward certifies the keep as). */
  readonly packageDigest?: Uint8Array;
  /** Tells the keep the workload has started. */
  readonly onStarted: () => void;
  /** Tells the keep which ports its listen sockets are bound to. */
  readonly onListening?: (ports: readonly BoundPort[]) => void;
}

/** The code only a keep with a package needs (loaded while the host and client work). */
let packageCode: Promise<[typeof import('../crypto/package.js'), typeof import('../runtime/compile.js'), typeof import('node:v8')]> | undefined;
export function loadPackageCode(): NonNullable<typeof packageCode> {
  return (packageCode ??= Promise.all([import('../crypto/package.js'), import('../runtime/compile.js'), import('node:v8')]));
}

/** The outcome of a worker's report. */
export function outcomeOf(result: Exclude<WorkerResult, { type: 'ready' | 'started' }>): Outcome {
  switch (result.type) {
    case 'exit':
      return { type: 'exit', code: result.code >>> 0 };
    case 'trap':
      return result.func === undefined ? { type: 'trap', trap: result.trap.slice(0, 1024) } : { type: 'trap', trap: result.trap.slice(0, 1024), func: result.func.slice(0, 1024) };
    case 'error':
      return { type: 'error', code: result.code, message: cutMessage(result.message) };
  }
}

/**
 * Compiles and runs `pkg` in the worker; resolves with its outcome (the workload's, a refusal of
 * the module, or the time limit's). Never rejects.
 */
export async function runWorkload(pkg: Package, launch: LaunchMessage, ttys: WorkerRun['ttys'], setup: WorkloadSetup): Promise<Outcome> {
  // The workload's engine flags are set once the worker has booted: a flag change makes Node
  // reject the code cache of the built-in modules loaded after it (see runtime/engine.ts).
  await setup.workerReady;
  const network = openSockets(pkg, setup);
  network.catch(() => {});
  const [, { compileModule, strategyFor }, { setFlagsFromString }] = await loadPackageCode();
  const strategy = strategyFor(pkg.wasm);
  for (const flag of WORKLOAD_ENGINE_FLAGS[strategy]) setFlagsFromString(flag);
  keepTrace(`compile (${strategy})`);
  let module: WebAssembly.Module;
  try {
    module = await compileModule(pkg.wasm, launch.limits.maxMemoryBytes, pkg.wasmSpare);
  } catch (err) {
    return errorOutcome(err, RuntimeErrorCode.MODULE_INVALID);
  }
  keepTrace('compiled');
  let net: Network | undefined;
  try {
    net = await network;
  } catch (err) {
    return errorOutcome(err, RuntimeErrorCode.INTERNAL);
  }
  if (net) setup.onListening?.(net.bound);
  const outcome = await runInWorker(pkg, launch, ttys, setup, module, net);
  await net?.stop();
  return outcome;
}

/** The outcome of an error with a code (a RuntimeError), or of `fallback`. */
function errorOutcome(err: unknown, fallback: RuntimeErrorCode): Outcome {
  const code = (err as { code?: unknown }).code;
  return { type: 'error', code: typeof code === 'string' ? code : fallback, message: cutMessage((err as Error).message) };
}

/**
 * Opens the package's sockets, if it has any (keep/network.ts, loaded only then); the keep's TLS
 * identity is made once, when the first TLS socket needs it (tls-identity-source.ts chooses it).
 */
async function openSockets(pkg: Package, setup: WorkloadSetup): Promise<Network | undefined> {
  const specs = pkg.fds.map((f) => (typeof f === 'string' ? undefined : f));
  if (specs.every((s) => s === undefined)) return undefined;
  // Before the first await: compiling rewrites the module's memory limits in place.
  const wasmDigest = pkg.identity?.provenance && pkg.identity.steward ? `sha256:${createHash('sha256').update(pkg.wasm).digest('hex')}` : undefined;
  const [{ openNetwork }, { keepTlsIdentity }] = await Promise.all([import('./network.js'), import('./tls-identity-source.js')]);
  let identity: ReturnType<typeof keepTlsIdentity> | undefined;
  const id = pkg.identity;
  const sources = {
    ...(setup.requestEvidence ? { requestEvidence: setup.requestEvidence } : {}),
    ...(id?.dnsNames ? { dnsNames: id.dnsNames } : {}),
    ...(id?.steward && setup.packageDigest
      ? {
          steward: {
            url: id.steward,
            packageDigest: setup.packageDigest,
            ...(id.stewardTrustAnchors ? { trustAnchors: id.stewardTrustAnchors } : {}),
            provenance: async () => (await import('./provenance.js')).checkProvenance(pkg, wasmDigest!),
          },
        }
      : {}),
  };
  return openNetwork(specs, { bell: setup.bell, identity: () => (identity ??= keepTlsIdentity(sources)) });
}

/** Runs the compiled module in the worker; resolves with its outcome. */
function runInWorker(pkg: Package, launch: LaunchMessage, ttys: WorkerRun['ttys'], setup: WorkloadSetup, module: WebAssembly.Module, net: Network | undefined): Promise<Outcome> {
  const run: WorkerRun = {
    module,
    args: pkg.args,
    env: Object.entries(pkg.env).map(([k, v]) => `${k}=${v}`),
    preopens: launch.preopens,
    files: pkg.fds.map((f, fd) => (typeof f === 'string' ? f : net!.sockets[fd]!)),
    output: setup.output,
    input: setup.input,
    bell: setup.bell.buffer,
    ...(net ? { network: { port: net.port, pending: net.pending } } : {}),
    ttys,
    maxOutputBytes: launch.limits.maxOutputBytes,
    packageFiles: pkg.files,
  };
  return new Promise<Outcome>((resolve) => {
    const { worker } = setup;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const done = (o: Outcome): void => {
      clearTimeout(timer);
      resolve(o);
    };
    worker.on('message', (msg: WorkerResult) => {
      if (msg.type === 'started') {
        keepTrace('workload started');
        setup.onStarted();
      } else if (msg.type !== 'ready') done(outcomeOf(msg));
    });
    worker.once('error', (err) => done({ type: 'error', code: RuntimeErrorCode.INTERNAL, message: cutMessage(`keep worker failed: ${err.message}`) }));
    worker.once('exit', () => {
      if (!timedOut) done({ type: 'error', code: RuntimeErrorCode.INTERNAL, message: 'keep worker exited unexpectedly' });
    });
    if (launch.limits.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        // Terminated first: whatever it wrote before is drained, nothing after.
        void worker.terminate().finally(() =>
          done({ type: 'error', code: RuntimeErrorCode.TIMEOUT, message: `workload exceeded the time limit of ${launch.limits.timeoutMs} ms` }),
        );
      }, launch.limits.timeoutMs);
      timer.unref();
    }
    // Hand the package's bytes to the worker instead of copying them (the module is compiled).
    const buffers = [...new Set(pkg.files.map((f) => f.data.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    worker.postMessage(run, net ? [...buffers, net.port] : buffers);
  });
}
