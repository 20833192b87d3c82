/**
 * SQLite: a database FILE under load. bench/sqlite/driver.c, linked with the SQLite amalgamation
 * that better-sqlite3 ships (node_modules/better-sqlite3/deps/sqlite3, compiled from there, never
 * copied), creates bench.db in a fresh directory, inserts 200 000 rows in 20 transactions into a
 * table with an index, then queries, updates and deletes, and prints a checksum of every value
 * read. It runs natively (clang-19 -O2), through `enarx run --dir TMP::/db` and through node:wasi
 * on the pinned keep engine with no flags (bench/node-wasi-run.mjs), alternating, each against
 * a fresh directory; all three must print the same line and leave the same bench.db.
 *
 * Both builds get the same SQLite options. WASI has no file locks, shared memory or mmap, and
 * SQLite's own WASI port (SQLITE_WASI) picks the `unix-dotfile` VFS (locks by creating a
 * directory) and leaves out WAL and mmap; the native build is told the same, so both make the
 * same system calls. SQLITE_TEMP_STORE=3 keeps temporary tables and sorts in memory: a wasm32-wasi
 * program has no temporary directory (its GROUP BY failed with "disk I/O error" without it).
 *
 * Two rows: whole processes (wall-clock, start-up and compilation included) and the workload
 * alone (the driver's own CLOCK_MONOTONIC around it, printed as `ns=` on stderr). The builds
 * are cached in ${XDG_CACHE_HOME:-~/.cache}/enarx/bench-sqlite/, keyed by a hash of the sources,
 * options and compilers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { keepEngine } from '../src/runtime/engine.js';
import { capture, ENARX_COMMAND, have, median, NODE_WASI, REPO, tempDir, WASM_CC } from './support.js';
import type { Captured, Row } from './support.js';

const AMALGAMATION = join(REPO, 'node_modules', 'better-sqlite3', 'deps', 'sqlite3');
const DRIVER = join(REPO, 'bench', 'sqlite', 'driver.c');
const OPTIONS = [
  '-DSQLITE_OMIT_LOAD_EXTENSION',
  '-DSQLITE_THREADSAFE=0',
  '-DSQLITE_DEFAULT_UNIX_VFS="unix-dotfile"',
  '-DSQLITE_OMIT_WAL',
  '-DSQLITE_MAX_MMAP_SIZE=0',
  '-DSQLITE_TEMP_STORE=3',
];

function cacheRoot(): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'enarx', 'bench-sqlite');
}

function compile(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${stderr}`))));
  });
}

/** Builds the driver natively and to wasm32-wasi (in parallel), or finds the cached builds. */
async function build(): Promise<{ native: string; wasm: string }> {
  const key = createHash('sha256');
  for (const f of [DRIVER, join(AMALGAMATION, 'sqlite3.c'), join(AMALGAMATION, 'sqlite3.h'), WASM_CC]) key.update(readFileSync(f));
  key.update(OPTIONS.join('\n'));
  key.update(spawnSync('clang-19', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  const dir = join(cacheRoot(), key.digest('hex').slice(0, 16));
  const out = { native: join(dir, 'sqlite-bench.native'), wasm: join(dir, 'sqlite-bench.wasm') };
  if (existsSync(out.native) && existsSync(out.wasm)) return out;
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    const common = ['-O2', `-I${AMALGAMATION}`, ...OPTIONS, DRIVER, join(AMALGAMATION, 'sqlite3.c')];
    await Promise.all([
      compile('clang-19', [...common, '-o', join(staging, 'sqlite-bench.native'), '-lm']),
      compile(WASM_CC, [...common, '-o', join(staging, 'sqlite-bench.wasm')]),
    ]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return out;
}

type Runtime = 'native' | 'enarx' | 'nodeWasi';

interface Result {
  readonly wallMs: number;
  readonly workloadMs: number;
  /** The line the driver printed. */
  readonly line: string;
  /** SHA-256 of the bench.db it left. */
  readonly db: string;
}

function once(runtime: Runtime, bin: { native: string; wasm: string }): Result {
  const dir = tempDir('enarx-sqlite-');
  try {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    let r: Captured;
    if (runtime === 'native') r = capture(bin.native, [dir], { env });
    else if (runtime === 'enarx') r = capture(ENARX_COMMAND, ['run', '--dir', `${dir}::/db`, bin.wasm, '/db'], { env });
    else r = capture(keepEngine().path, [NODE_WASI, '--dir', `${dir}::/db`, '--argv0', 'sqlite-bench.wasm', bin.wasm, '/db'], { env });
    const stderr = r.stderr.toString();
    const ns = /^ns=(\d+)$/m.exec(stderr);
    if (r.status !== 0 || !ns) throw new Error(`sqlite bench under ${runtime} failed (${r.status}): ${stderr}`);
    const db = createHash('sha256').update(readFileSync(join(dir, 'bench.db'))).digest('hex');
    return { wallMs: r.ms, workloadMs: Number(ns[1]) / 1e6, line: r.stdout.toString().trim(), db };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the SQLite benchmark: one warm-up of each, then `reps` alternating runs. */
export async function run(reps = Number(process.env['BENCH_REPS']) || 3): Promise<Row[]> {
  if (!have('clang-19')) return [{ bench: 'sqlite', case: 'skipped: clang-19 not installed', values: {} }];
  if (!existsSync(join(AMALGAMATION, 'sqlite3.c'))) return [{ bench: 'sqlite', case: 'skipped: no SQLite amalgamation', values: {}, note: `${AMALGAMATION} is missing: npm ci` }];
  const bin = await build();
  const results: Record<Runtime, Result[]> = { native: [], enarx: [], nodeWasi: [] };
  for (let i = 0; i <= reps; i++) {
    for (const runtime of ['native', 'enarx', 'nodeWasi'] as const) results[runtime].push(once(runtime, bin));
  }
  const all = [...results.native, ...results.enarx, ...results.nodeWasi];
  const lines = new Set(all.map((r) => r.line));
  const dbs = new Set(all.map((r) => r.db));
  const note = [
    lines.size === 1 ? `all print "${all[0]!.line}"` : `CHECKSUMS DIFFER: ${[...lines].join(' | ')}`,
    dbs.size === 1 ? 'same bench.db' : `bench.db DIFFERS between runs (${dbs.size} versions)`,
  ].join('; ');
  const measured = (runtime: Runtime, key: 'wallMs' | 'workloadMs'): number => median(results[runtime].slice(1).map((r) => r[key]));
  const row = (what: string, key: 'wallMs' | 'workloadMs'): Row => {
    const native = measured('native', key);
    const enarx = measured('enarx', key);
    const nodeWasi = measured('nodeWasi', key);
    return {
      bench: 'sqlite',
      case: what,
      values: { native_ms: native, enarx_ms: enarx, node_wasi_ms: nodeWasi, node_wasi_x_native: nodeWasi / native },
      ratio: enarx / native,
      against: 'native clang -O2',
      note,
    };
  };
  return [row('200k rows, whole process', 'wallMs'), row('200k rows, workload only (ns=)', 'workloadMs')];
}
