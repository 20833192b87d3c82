/**
 * The keep process's main thread. The host spawns the keep with the control channel on fd 3;
 * the keep validates the host's request, compiles the workload while its worker thread boots,
 * runs it in the worker, enforces the wall-clock limit and reports the outcome. Its exit status
 * is the workload's exit code (134 for a trap, 124 for a timeout, 1 for errors).
 */
import { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { compileModule } from '../runtime/compile.js';
import { WORKLOAD_ENGINE_FLAGS } from '../runtime/engine.js';
import type { WorkerResult, WorkerRun } from '../runtime/worker.js';
import { EXIT_ERROR, EXIT_TIMEOUT, EXIT_TRAP } from './exit-codes.js';
import { FrameDecoder, encodeFrame } from './frames.js';
import type { Frame } from './frames.js';
import type { KeepIdentity } from './identity.js';
import { AttestRequestSchema, RunRequestSchema } from './messages.js';
import type { KeepEvent, RunRequest } from './messages.js';

/** Runs the keep's main thread; `workerUrl` is the module its worker thread starts from. */
export function keepMain(workerUrl: URL): void {
  const control = new Socket({ fd: 3, readable: true, writable: true });
  let finished = false;
  const finish = (event: KeepEvent, status: number): void => {
    if (finished) return;
    finished = true;
    control.end(encodeFrame(event), () => process.exit(status));
    // If the host went away, still leave.
    setTimeout(() => process.exit(status), 1000).unref();
  };
  const fail = (code: string, message: string): void => finish({ type: 'error', code, message }, EXIT_ERROR);

  // Boot the worker at once so that its start-up overlaps with receiving the module.
  const worker = new Worker(workerUrl, { env: {}, argv: [], execArgv: [], stdin: false, stdout: false, stderr: false });
  const workerReady = new Promise<void>((resolve) => {
    worker.on('message', (msg: WorkerResult) => {
      switch (msg.type) {
        case 'ready':
          return resolve();
        case 'started':
          control.write(encodeFrame(msg));
          return;
        case 'exit':
          return finish(msg, msg.code & 0xff);
        case 'trap':
          return finish(msg, EXIT_TRAP);
        case 'error':
          return finish(msg, EXIT_ERROR);
      }
    });
  });
  worker.on('error', (err) => fail('ERR_INTERNAL', `keep worker failed: ${err.message}`));
  worker.on('exit', () => fail('ERR_INTERNAL', 'keep worker exited unexpectedly'));

  const onRun = async (req: RunRequest, bytes: Uint8Array): Promise<void> => {
    // The workload's engine flags are process-wide and TurboFan compiles on background threads:
    // start only once the worker has booted, or its start-up pays for both (measured: +40 ms).
    await workerReady;
    for (const flag of WORKLOAD_ENGINE_FLAGS) setFlagsFromString(flag);
    let module: WebAssembly.Module;
    try {
      module = await compileModule(bytes, req.limits.maxMemoryBytes);
    } catch (err) {
      return fail((err as { code?: string }).code ?? 'ERR_MODULE_INVALID', (err as Error).message);
    }
    if (req.limits.timeoutMs > 0) {
      setTimeout(() => {
        void worker.terminate();
        finish({ type: 'error', code: 'ERR_TIMEOUT', message: `workload exceeded the time limit of ${req.limits.timeoutMs} ms` }, EXIT_TIMEOUT);
      }, req.limits.timeoutMs).unref();
    }
    const run: WorkerRun = {
      module,
      args: req.args,
      env: req.env,
      preopens: req.preopens,
      files: req.files,
      maxOutputBytes: req.limits.maxOutputBytes,
    };
    worker.postMessage(run);
  };

  // The keep's key for this deploy (after an `attest` request). Its private half never leaves.
  let identity: KeepIdentity | undefined;
  const onAttest = async (nonce: Uint8Array, kem: string): Promise<void> => {
    try {
      // Loaded only for attested keeps: the HPKE library is most of the bundle.
      const { createKeepIdentity } = await import('./identity.js');
      identity = await createKeepIdentity(nonce, kem);
    } catch (err) {
      return fail('ERR_INTERNAL', `cannot create the keep's key: ${(err as Error).message}`);
    }
    control.write(
      encodeFrame({
        type: 'attestation-request',
        reportData: Buffer.from(identity.reportData).toString('hex'),
        publicKey: Buffer.from(identity.publicKey).toString('hex'),
        kem: identity.suite.name,
      } satisfies KeepEvent),
    );
  };

  const decoder = new FrameDecoder();
  let started = false;
  let attesting = false;
  control.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      return fail('ERR_PROTOCOL', (err as Error).message);
    }
    for (const f of frames) {
      const type = f.header['type'];
      if (type === 'attest' && !attesting && !started) {
        attesting = true;
        const parsed = AttestRequestSchema.safeParse(f.header);
        if (!parsed.success) return fail('ERR_PROTOCOL', `bad attest request: ${parsed.error.issues[0]?.message}`);
        void onAttest(Buffer.from(parsed.data.nonce, 'hex'), parsed.data.kem);
        continue;
      }
      if (type !== 'run' || started) return fail('ERR_PROTOCOL', `unexpected message '${String(type)}'`);
      started = true;
      const parsed = RunRequestSchema.safeParse(f.header);
      if (!parsed.success) return fail('ERR_PROTOCOL', `bad run request: ${parsed.error.issues[0]?.message}`);
      void onRun(parsed.data, f.payload);
    }
  });
  control.on('end', () => {
    if (!started) fail('ERR_PROTOCOL', 'host closed the channel before sending a workload');
  });
  control.on('error', () => process.exit(EXIT_ERROR));
}
