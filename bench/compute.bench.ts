/**
 * Compute: C kernels built with clang -O2 natively and to wasm32-wasi, timed inside the program
 * (CLOCK_MONOTONIC around the kernel, so start-up is excluded). Reports each kernel's time under
 * `enarx run` and under node:wasi (the host's Node.js) as ratios to native. Goal: ≤ 1.35×.
 */
import { buildKernel, ENARX, geomean, have, median, NODE_WASI, run, tempDir } from './support.js';
import type { Row } from './support.js';

const KERNELS = ['matmul', 'sieve', 'hashmap', 'nbody', 'sha'];

function kernelMs(stderr: string): number {
  const m = /ns=(\d+)/.exec(stderr);
  if (!m) throw new Error(`kernel printed no timing: ${stderr}`);
  return Number(m[1]) / 1e6;
}

/** Runs the compute benchmark. `reps` runs per kernel and runtime; the median counts. */
export function run_(reps = 3): Row[] {
  if (!have('clang-19')) return [{ bench: 'compute', case: 'skipped: clang-19 not installed', values: {} }];
  const out = tempDir('enarx-bench-');
  const rows: Row[] = [];
  const enarxRatios: number[] = [];
  const nodeRatios: number[] = [];
  for (const k of KERNELS) {
    const bin = buildKernel(k, out);
    const t = { native: [] as number[], enarx: [] as number[], nodeWasi: [] as number[] };
    for (let i = 0; i < reps; i++) {
      t.native.push(kernelMs(run(bin.native, []).stderr));
      t.enarx.push(kernelMs(run(process.execPath, [ENARX, 'run', bin.wasm]).stderr));
      let nodeMs = NaN;
      try {
        nodeMs = kernelMs(run(process.execPath, [NODE_WASI, bin.wasm]).stderr);
      } catch {
        // node:wasi on Node 20 crashes on some kernels (SIGSEGV); recorded as NaN.
      }
      t.nodeWasi.push(nodeMs);
    }
    const native = median(t.native);
    const enarx = median(t.enarx);
    const nodeWasi = median(t.nodeWasi.filter((x) => !Number.isNaN(x)));
    enarxRatios.push(enarx / native);
    if (!Number.isNaN(nodeWasi)) nodeRatios.push(nodeWasi / native);
    rows.push({
      bench: 'compute',
      case: k,
      values: { native_ms: native, enarx_ms: enarx, node_wasi_ms: nodeWasi },
      ratio: enarx / native,
      against: 'native clang -O2',
      goal: 1.35,
    });
  }
  rows.push({
    bench: 'compute',
    case: 'geometric mean',
    values: { enarx_x_native: geomean(enarxRatios), node_wasi_x_native: geomean(nodeRatios) },
    ratio: geomean(enarxRatios),
    against: 'native clang -O2',
    goal: 1.35,
  });
  return rows;
}

export { run_ as run };
