/**
 * Syscall throughput: fd_write, fd_read, path_open+fd_close and path_filestat_get of a path three
 * folders deep: the per-call cost of the same module
 * under `enarx run` and under node:wasi on the same pinned engine (no flags), timed inside the module.
 * Reported as ours / node:wasi: the median of the ratios of 7 alternating pairs (`BENCH_REPS`);
 * with 3 runs and a ratio of medians, one call's figure moved by ±40% between runs a minute apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepEngine } from '../src/runtime/engine.js';
import { buildKernel, ENARX, have, median, NODE_WASI, pairedRatio, run as exec, tempDir } from './support.js';
import type { Row } from './support.js';

function perOp(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stderr.matchAll(/^(\S+) ns_per_op=(\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Runs the syscall benchmark. */
export function run(reps = Number(process.env['BENCH_REPS']) || 7): Row[] {
  if (!have('clang-19')) return [{ bench: 'syscalls', case: 'skipped: clang-19 not installed', values: {} }];
  const out = tempDir('enarx-bench-sys-');
  const { wasm } = buildKernel('syscalls', out);
  const data = tempDir('enarx-bench-data-');
  writeFileSync(join(data, 'data.bin'), Buffer.alloc(1 << 20, 7));
  mkdirSync(join(data, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(join(data, 'a', 'b', 'c', 'deep.bin'), Buffer.alloc(64, 7));
  const ours: Record<string, number[]> = {};
  const peer: Record<string, number[]> = {};
  for (let i = 0; i < reps; i++) {
    const a = perOp(exec(process.execPath, [ENARX, 'run', '--dir', `${data}::/work`, wasm], { stdout: 'ignore' }).stderr);
    const b = perOp(exec(keepEngine().path, [NODE_WASI, '--dir', `${data}::/work`, wasm], { stdout: 'ignore' }).stderr);
    for (const [k, v] of Object.entries(a)) (ours[k] ??= []).push(v);
    for (const [k, v] of Object.entries(b)) (peer[k] ??= []).push(v);
  }
  return Object.keys(ours).map((k) => {
    const o = median(ours[k]!);
    const p = median(peer[k] ?? [NaN]);
    const ratio = peer[k] ? pairedRatio(ours[k]!, peer[k]) : NaN;
    return { bench: 'syscalls', case: k, values: { enarx_ns_per_op: o, node_wasi_ns_per_op: p, pairs: reps }, ratio, against: 'node:wasi (same engine), median of paired ratios' };
  });
}
