/**
 * The keep runtime's entry point (main thread), the root of the measured bundle
 * dist/bundle/keep.mjs. The worker thread starts from dist/bundle/keep-worker.mjs.
 *
 * Node.js bootstraps a whole environment for a worker thread (40-55 ms on a small machine), and
 * the workload cannot start before it is up: so the worker is started before anything else is
 * evaluated, and its start-up overlaps with the main thread's and with attestation.
 */
import { Worker } from 'node:worker_threads';
import { keepTrace } from './trace.js';

keepTrace('keep entry');
const worker = new Worker(new URL('./keep-worker.mjs', import.meta.url), { env: {}, argv: [], execArgv: [], stdin: false, stdout: false, stderr: false });
const { keepMain } = await import('./main.js');
keepMain(worker);
