/**
 * `npm run bench`: runs every benchmark and prints one table. Each figure is a ratio against a
 * peer measured in the same run (native code, node:wasi, a bare crypto operation). Pass names to
 * run only some: `npm run bench -- compute startup`.
 */
import * as attestation from './attestation.bench.js';
import * as compute from './compute.bench.js';
import * as dcap from './dcap.bench.js';
import * as delivery from './delivery.bench.js';
import * as deploy from './deploy.bench.js';
import * as keep from './keep.bench.js';
import * as network from './network.bench.js';
import * as programs from './programs.bench.js';
import * as registry from './registry.bench.js';
import * as sqlite from './sqlite.bench.js';
import * as startup from './startup.bench.js';
import * as stdio from './stdio.bench.js';
import * as steward from './steward.bench.js';
import * as syscalls from './syscalls.bench.js';
import type { Row } from './support.js';

const BENCHES: Record<string, () => Row[] | Promise<Row[]>> = {
  startup: () => startup.run(),
  compute: () => compute.run(),
  syscalls: () => syscalls.run(),
  attestation: () =>
    attestation.run().map((r) => ({
      bench: 'attestation',
      case: r.name,
      values: { p50_ms: r.p50Ms, iterations: r.iterations },
      ...(r.goalMs === undefined ? {} : { goal: r.goalMs }),
    })),
  dcap: async () =>
    (await dcap.run()).map((r) => ({ bench: 'dcap', case: r.name, values: { p50_ms: r.p50Ms, iterations: r.iterations } })),
  keep: () => keep.run(),
  deploy: () => deploy.run(),
  programs: () => programs.run(),
  sqlite: () => sqlite.run(),
  delivery: () => delivery.run(),
  stdio: () => stdio.run(),
  network: () => network.runNetwork(),
  steward: () => steward.runSteward(),
  registry: () => registry.runRegistry(),
};

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'n/a';
  if (Number.isInteger(n)) return String(n);
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(3);
}

const wanted = process.argv.slice(2);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const rows = await bench();
  for (const r of rows) {
    const vals = Object.entries(r.values)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ');
    const bound = r.goalAtLeast ? ` (goal ≥ ${r.goalAtLeast}×)` : r.goal ? ` (goal ≤ ${r.goal}${r.bench === 'attestation' ? ' ms' : '×'})` : '';
    const ratio = r.ratio === undefined ? '' : `  → ${fmt(r.ratio)}× ${r.against}${bound}`;
    const goal = r.ratio === undefined && r.goal ? `  (goal ≤ ${r.goal} ms)` : '';
    const note = r.note ? `  [${r.note}]` : '';
    console.log(`${r.bench.padEnd(12)} ${r.case.padEnd(34)} ${vals}${ratio}${goal}${note}`);
  }
}
