/**
 * The keep process's main thread. The host spawns the keep with the control channel on fd 3.
 * The keep makes a fresh key (`attest`), learns its id and the evidence digest (`launch`),
 * receives the package sealed to its key (`package` frames), opens it, compiles the module
 * while its worker thread is ready, runs it in the worker, enforces the wall-clock limit and
 * reports the outcome. Everything from the host is validated; the host never sees plaintext.
 * Exit status: the workload's exit code, 134 for a trap, 124 for a timeout, 1 for errors.
 */
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { WorkerEvent, WorkerEvents } from './worker-events.js';
import type { Package } from '../crypto/package.js';
import type { PackageOpener } from '../crypto/seal.js';
import type { WorkerResult, WorkerRun } from '../runtime/worker.js';
import { EXIT_ERROR, EXIT_TIMEOUT, EXIT_TRAP } from './exit-codes.js';
import { WORKLOAD_ENGINE_FLAGS } from '../runtime/engine.js';
import { DEFAULT_SUITE } from '../crypto/suites.js';
import { FrameDecoder, encodeFrame } from './frames.js';
import type { Frame } from './frames.js';
import type { KeepIdentity } from './identity.js';
import { keepTrace } from './trace.js';
import { checkAttestRequest, checkLaunchRequest, checkPackageFrame } from './messages.js';
import { validate } from './validate.js';
import type { KeepEvent, LaunchRequest } from './messages.js';

const DEFAULT_KEM = DEFAULT_SUITE.name;

/**
 * Once the workload has finished (its worker is idle), the keep needs its stdout and stderr no
 * more: the workload's output was written to them synchronously. They are pointed at /dev/null,
 * so that whoever reads them (a terminal's pipe, a host) sees them end now, not after this
 * process has torn itself down. (close() then open() takes the lowest free descriptor: the one
 * just closed; nothing else opens files meanwhile.)
 */
function releaseStdio(): void {
  const u = process.resourceUsage();
  keepTrace(`workload done (keep cpu ${((u.userCPUTime + u.systemCPUTime) / 1000).toFixed(0)} ms)`);
  for (const fd of [1, 2]) {
    try {
      closeSync(fd);
      const again = openSync('/dev/null', 'w');
      if (again !== fd) closeSync(again);
    } catch {
      // Nothing to release.
    }
  }
}

/**
 * What the keep needs only once its package has arrived: loaded while the host and the client
 * work (after the attestation request has gone out), not before the keep can attest.
 */
let packageCode: Promise<[typeof import('../crypto/package.js'), typeof import('../runtime/compile.js'), typeof import('node:v8')]> | undefined;
function loadPackageCode(): NonNullable<typeof packageCode> {
  return (packageCode ??= Promise.all([import('../crypto/package.js'), import('../runtime/compile.js'), import('node:v8')]));
}

/**
 * The key of the default suite is made as soon as this module is loaded, while the keep still
 * waits for its host: a keep serves one deploy, so this is the key of that deploy (bound to the
 * client's nonce on 'attest'). A request for another suite gets a key of that suite instead.
 */
const identityCode = import('./identity.js');
const earlyKey = identityCode.then(async (m) => {
  const key = await m.generateKeepKey(DEFAULT_KEM);
  keepTrace('early key made');
  return key;
});
earlyKey.catch(() => {
  // Reported if it is used (onAttest); an unused key's failure does not matter.
});

/** A failure to report to the host: a stable code and a message. */
class KeepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs the keep's main thread. `startWorker` starts its worker thread (on the next turn of the
 * event loop: after this thread's own start-up, before the first message from the host);
 * `control` is the channel to its host.
 */
export function keepMain(startWorker: () => WorkerEvents, control: Socket): void {
  // Set on the next turn of the event loop: see the end of this function.
  let events: WorkerEvents | undefined;
  keepTrace('main thread running');
  let finished = false;
  const finish = (event: KeepEvent, status: number): void => {
    if (finished) return;
    finished = true;
    keepTrace(`finish: ${event.type}`);
    control.end(encodeFrame(event), () => process.exit(status));
    // If the host went away, still leave.
    setTimeout(() => process.exit(status), 1000).unref();
  };
  const fail = (code: string, message: string): void => finish({ type: 'error', code, message }, EXIT_ERROR);
  let onWorker!: (e: WorkerEvent) => void;
  const workerReady = new Promise<void>((resolve) => {
    onWorker = (e) => {
      if (e.type === 'error') return fail('ERR_INTERNAL', `keep worker failed: ${e.error.message}`);
      if (e.type === 'exit') return fail('ERR_INTERNAL', 'keep worker exited unexpectedly');
      const msg = e.value as WorkerResult;
      switch (msg.type) {
        case 'ready':
          keepTrace('worker ready');
          return resolve();
        case 'started':
          keepTrace('workload started');
          control.write(encodeFrame(msg));
          return;
        case 'exit':
          releaseStdio();
          return finish(msg, msg.code & 0xff);
        case 'trap':
          releaseStdio();
          return finish(msg, EXIT_TRAP);
        case 'error':
          releaseStdio();
          return finish(msg, EXIT_ERROR);
      }
    };
  });

  // The protocol, one step at a time.
  let identity: KeepIdentity | undefined;
  let launch: LaunchRequest | undefined;
  let opener: PackageOpener | undefined;
  let packageDone = false;

  const onAttest = async (f: Frame): Promise<void> => {
    keepTrace('attest received');
    if (identity) throw new KeepFailure('ERR_PROTOCOL', 'attest sent twice');
    const req = validate(checkAttestRequest, f.header);
    if (!req.ok) throw new KeepFailure('ERR_PROTOCOL', `bad attest request: ${req.message}`);
    const { bindKeepKey, generateKeepKey } = await identityCode;
    const key = req.value.kem === DEFAULT_KEM ? await earlyKey : await generateKeepKey(req.value.kem);
    identity = bindKeepKey(key, Buffer.from(req.value.nonce, 'hex'));
    keepTrace('attest: key bound');
    control.write(
      encodeFrame({
        type: 'attestation-request',
        reportData: Buffer.from(identity.reportData).toString('hex'),
        publicKey: Buffer.from(identity.publicKey).toString('hex'),
        kem: identity.suite.name,
      } satisfies KeepEvent),
    );
    // While the host and the client work: the opening and package code, and the key in HPKE form.
    void import('../crypto/seal.js');
    loadPackageCode().catch(() => {});
    void identity.opener().catch(() => {});
  };

  const onLaunch = async (f: Frame): Promise<void> => {
    if (!identity || launch) throw new KeepFailure('ERR_PROTOCOL', 'launch must follow attest, once');
    const req = validate(checkLaunchRequest, f.header);
    if (!req.ok) throw new KeepFailure('ERR_PROTOCOL', `bad launch request: ${req.message}`);
    launch = req.value;
    keepTrace('launch received');
    const { PackageOpener: Opener } = await import('../crypto/seal.js');
    // The package is held once, in this keep; its size is bounded by the memory cap plus room for files.
    opener = new Opener(await identity.opener(), launch.keepId, Buffer.from(launch.evidenceDigest, 'hex'), 1024 * 1024 * 1024);
  };

  const onPackage = async (f: Frame): Promise<void> => {
    if (!opener || !launch || packageDone) throw new KeepFailure('ERR_PROTOCOL', 'package before launch, or after the last slice');
    const req = validate(checkPackageFrame, f.header);
    if (!req.ok) throw new KeepFailure('ERR_PROTOCOL', `bad package frame: ${req.message}`);
    await opener.push(f.payload);
    if (!req.value.last) return;
    packageDone = true;
    keepTrace('package received');
    const plaintext = await opener.finish();
    keepTrace('package opened');
    let pkg: Package;
    try {
      pkg = (await loadPackageCode())[0].decodePackage(plaintext);
    } catch (err) {
      throw new KeepFailure('ERR_PACKAGE', (err as Error).message);
    }
    await runPackage(pkg, launch);
  };

  const runPackage = async (pkg: Package, l: LaunchRequest): Promise<void> => {
    // The workload's engine flags are set once the worker has booted: a flag change makes Node
    // reject the code cache of the built-in modules loaded after it (see runtime/engine.ts).
    await workerReady;
    const [, { compileModule }, { setFlagsFromString }] = await loadPackageCode();
    for (const flag of WORKLOAD_ENGINE_FLAGS) setFlagsFromString(flag);
    // Compiled lazily (functions on first call): this validates the module and caps its memory.
    keepTrace('compile');
    let module: WebAssembly.Module;
    try {
      module = await compileModule(pkg.wasm, l.limits.maxMemoryBytes);
    } catch (err) {
      throw new KeepFailure((err as { code?: string }).code ?? 'ERR_MODULE_INVALID', (err as Error).message);
    }
    if (l.limits.timeoutMs > 0) {
      setTimeout(() => {
        void events?.worker.terminate();
        finish({ type: 'error', code: 'ERR_TIMEOUT', message: `workload exceeded the time limit of ${l.limits.timeoutMs} ms` }, EXIT_TIMEOUT);
      }, l.limits.timeoutMs).unref();
    }
    const run: WorkerRun = {
      module,
      args: pkg.args,
      env: Object.entries(pkg.env).map(([k, v]) => `${k}=${v}`),
      preopens: l.preopens,
      files: pkg.fds,
      maxOutputBytes: l.limits.maxOutputBytes,
      packageFiles: pkg.files,
    };
    // Hand the package's bytes to the worker instead of copying them (the module is compiled).
    const buffers = [...new Set(pkg.files.map((f) => f.data.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    keepTrace('compiled');
    events!.worker.postMessage(run, buffers);
  };

  const handlers: Record<string, (f: Frame) => Promise<void>> = { attest: onAttest, launch: onLaunch, package: onPackage };
  // Frames are handled strictly in order; reading pauses while one is in progress, so a large
  // package is never buffered twice.
  let queue = Promise.resolve();
  const decoder = new FrameDecoder();
  control.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      return fail('ERR_PROTOCOL', (err as Error).message);
    }
    if (frames.length === 0) return;
    control.pause();
    for (const f of frames) {
      queue = queue.then(async () => {
        if (finished) return;
        const handler = typeof f.header['type'] === 'string' && Object.hasOwn(handlers, f.header['type']) ? handlers[f.header['type']] : undefined;
        if (!handler) throw new KeepFailure('ERR_PROTOCOL', `unexpected message '${String(f.header['type'])}'`);
        await handler(f);
      });
    }
    queue = queue.then(
      () => void control.resume(),
      (err: unknown) => {
        const code = (err as { code?: unknown }).code;
        fail(typeof code === 'string' ? code : 'ERR_INTERNAL', (err as Error).message);
      },
    );
  });
  // The keep lives only as long as its host holds the channel: no orphans if the host dies.
  const hostGone = (): void => {
    if (finished) return;
    finished = true;
    void events?.worker.terminate();
    process.exit(EXIT_ERROR);
  };
  control.on('end', hostGone);
  control.on('close', hostGone);
  control.on('error', hostGone);
  // The worker boots while the main thread waits for its host (see entry.ts).
  setImmediate(() => {
    events = startWorker();
    events.handle(onWorker);
  });
}
