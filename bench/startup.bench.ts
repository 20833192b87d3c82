/**
 * Start-up: `enarx run hello.wasm` as a whole process (CLI + keep process + worker + compile +
 * run) against a bare node:wasi run of the same file, alternating runs. Goal: ≤ 1.5×.
 */
import { join } from 'node:path';
import { ENARX, median, NODE_WASI, REPO, run as exec } from './support.js';
import type { Row } from './support.js';

/** Runs the start-up benchmark with `reps` runs of each. */
export function run(reps = 20): Row[] {
  const hello = join(REPO, 'examples', 'hello', 'hello.wasm');
  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < 3; i++) {
    exec(process.execPath, [ENARX, 'run', hello], { stdout: 'ignore' });
    exec(process.execPath, [NODE_WASI, hello], { stdout: 'ignore' });
  }
  for (let i = 0; i < reps; i++) {
    ours.push(exec(process.execPath, [ENARX, 'run', hello], { stdout: 'ignore' }).ms);
    peer.push(exec(process.execPath, [NODE_WASI, hello], { stdout: 'ignore' }).ms);
  }
  const o = median(ours);
  const p = median(peer);
  return [{ bench: 'startup', case: 'hello.wasm, whole process', values: { enarx_ms: o, node_wasi_ms: p }, ratio: o / p, against: 'node:wasi', goal: 1.5 }];
}
