/**
 * Start-up: `enarx run hello.wasm` as a whole process (launcher + CLI + keep process + worker +
 * attestation + sealed delivery + compile + run) against a bare node:wasi run of the same file,
 * alternating runs. Goal: ≤ 1.5×.
 *
 * Node.js 20 reads NODE_EXTRA_CA_CERTS at every start (~55 ms with a full CA bundle; the
 * machine this was written on sets it), where the engine the `enarx` command runs on reads it
 * only when TLS needs it. So the comparison is made twice: in this environment as it is, and
 * with NODE_EXTRA_CA_CERTS removed for both. A third row runs the CLI on this Node.js instead
 * (`node bin/enarx.js run`), to show what the launcher's choice of engine is worth. The last row
 * takes node:wasi on the pinned engine, the peer of the other benchmarks (same engine, same start).
 * The floor rows are what the process model costs before any work: `enarx run` is two processes on
 * the engine (the keep is a process of its own, DESIGN.md), so two bare engine processes started
 * together (`-e 0`, from `sh` as the launcher does) race the same node:wasi run; and the keep runs
 * its workload in a worker thread (DESIGN.md), so the second floor has one of the two start a
 * worker thread that does nothing, with the options the keep gives its own.
 */
import { join } from 'node:path';
import { keepEngine } from '../src/runtime/engine.js';
import { ENARX, ENARX_COMMAND, median, NODE_WASI, REPO, run as exec } from './support.js';
import type { Row } from './support.js';

type Cmd = readonly [string, readonly string[]];

/** A worker thread that boots and ends, started with the options the keep starts its own with (src/keep/entry.ts). */
const IDLE_WORKER =
  "new (require('node:worker_threads').Worker)('', { eval: true, env: {}, argv: [], execArgv: [], stdin: false, stdout: false, stderr: false })";

function race(ours: Cmd, peer: Cmd, env: NodeJS.ProcessEnv, reps: number): { ours: number; peer: number } {
  const o: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    const a = exec(ours[0], ours[1], { stdout: 'ignore', env }).ms;
    const b = exec(peer[0], peer[1], { stdout: 'ignore', env }).ms;
    // The first runs warm the page cache and the CLI's compile cache.
    if (i >= 3) o.push(a), p.push(b);
  }
  return { ours: median(o), peer: median(p) };
}

/** Runs the start-up benchmark with `reps` runs of each. */
export function run(reps = 20): Row[] {
  const hello = join(REPO, 'examples', 'hello', 'hello.wasm');
  const peer: Cmd = [process.execPath, ['--no-warnings', NODE_WASI, hello]];
  const command: Cmd = [ENARX_COMMAND, ['run', hello]];
  const onThisNode: Cmd = [process.execPath, [ENARX, 'run', hello]];
  const here = { ...process.env };
  const noExtraCa = { ...process.env };
  delete noExtraCa['NODE_EXTRA_CA_CERTS'];
  const ca = process.env['NODE_EXTRA_CA_CERTS'] ? 'NODE_EXTRA_CA_CERTS set' : 'NODE_EXTRA_CA_CERTS unset';
  const rows: Row[] = [];
  const row = (what: string, r: { ours: number; peer: number }, goal?: number, against = 'node:wasi'): void => {
    rows.push({ bench: 'startup', case: what, values: { enarx_ms: r.ours, node_wasi_ms: r.peer }, ratio: r.ours / r.peer, against, ...(goal ? { goal } : {}) });
  };
  row(`enarx run hello.wasm, whole process (${ca})`, race(command, peer, here, reps), 1.5);
  if (process.env['NODE_EXTRA_CA_CERTS']) row('same, NODE_EXTRA_CA_CERTS unset for both', race(command, peer, noExtraCa, reps));
  row(`same, CLI on this Node.js ${process.version} (node bin/enarx.js run)`, race(onThisNode, peer, here, Math.ceil(reps / 2)));
  const engine = keepEngine();
  if (engine.source === 'pinned') {
    const sameEngine: Cmd = [engine.path, ['--no-warnings', NODE_WASI, hello]];
    row(`enarx run hello.wasm (${ca})`, race(command, sameEngine, here, reps), 1.5, 'node:wasi on the same engine');
    const twoBoots: Cmd = ['/bin/sh', ['-c', '"$0" -e 0 & "$0" -e 0; wait', engine.path]];
    row('floor: two bare engine processes started together (no work)', race(twoBoots, sameEngine, here, reps), undefined, 'node:wasi on the same engine');
    const threeBoots: Cmd = ['/bin/sh', ['-c', '"$0" -e 0 & "$0" -e "$1"; wait', engine.path, IDLE_WORKER]];
    row('floor: the same, one of them also booting a worker thread (no work)', race(threeBoots, sameEngine, here, reps), undefined, 'node:wasi on the same engine');
  }
  return rows;
}
