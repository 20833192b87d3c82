/**
 * The keep runtime's entry point (main thread), the root of the measured bundle
 * dist/bundle/keep.mjs. The worker thread starts from dist/bundle/keep-worker.mjs.
 *
 * Node.js bootstraps a whole environment for a worker thread (~20 ms of CPU), and the workload
 * cannot start before it is up. The keep starts it as soon as the main thread's own code is in
 * (see Keep.start): on two cores, a worker booting from the first instant slowed the main
 * thread's way to its attestation, which the client waits for, more than it gained.
 */
import { Worker } from 'node:worker_threads';
import { HOST_GONE, openControl, parseControlArgs } from './control.js';
import { codeOf } from '../errors.js';
import { keepTrace } from '../trace.js';

keepTrace('keep entry');
const startWorker = (): Worker => new Worker(new URL('./keep-worker.mjs', import.meta.url), { env: {}, argv: [], execArgv: [], stdin: false, stdout: false, stderr: false });
try {
  const [control, { Keep }] = await Promise.all([openControl(parseControlArgs(process.argv.slice(2))), import('./keep.js')]);
  new Keep(control.socket, control.reads, startWorker).start();
} catch (err) {
  // No channel, no host to report to: say why on stderr and leave. A keep whose starter is gone
  // leaves quietly: that command has ended and said why, and the terminal is someone else's now.
  if (codeOf(err) !== HOST_GONE) process.stderr.write(`enarx keep: ${(err as Error).message}\n`);
  process.exit(1);
}
