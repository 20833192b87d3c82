/**
 * Helpers shared by the benchmarks: building C kernels, running commands, medians.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is compiled to dist/bench/). */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const KERNELS = join(REPO, 'bench', 'kernels');
/** The project's one way to compile C to wasm32-wasi. */
export const WASM_CC = join(REPO, 'scripts', 'wasm-cc');
/** The CLI's entry point, run with a chosen Node.js (`node bin/enarx.js`). */
export const ENARX = join(REPO, 'bin', 'enarx.js');
/** The `enarx` command as a user types it (the launcher, which picks the engine). */
export const ENARX_COMMAND = join(REPO, 'bin', 'enarx');
/** A node:wasi runner: the peer we compare with (Node's own WASI on the host's Node.js). */
export const NODE_WASI = join(REPO, 'bench', 'node-wasi-run.mjs');

/**
 * The longest one measured process may take (the slowest, clang or 100 MiB of stdio, takes a few
 * seconds): a run that hangs is killed and fails the bench with its name, instead of holding it for
 * ever (the engine can hang in its own exit: README, "Run a WASI program in a local keep").
 */
export const RUN_TIMEOUT_MS = 300_000;

/** The error for a run that `spawnSync` reports as failed to start or timed out. */
export function runError(cmd: string, args: readonly string[], error: Error): Error {
  const timedOut = (error as { code?: string }).code === 'ETIMEDOUT';
  return new Error(timedOut ? `${cmd} ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS / 1000} s (killed)` : `${cmd}: ${error.message}`);
}

/** One row of a benchmark's result table. */
export interface Row {
  readonly bench: string;
  readonly case: string;
  /** What was measured, with units, e.g. `{ enarx_ms: 812, native_ms: 690 }`. */
  readonly values: Readonly<Record<string, number>>;
  /** The headline ratio (ours / peer) and what it is against. */
  readonly ratio?: number;
  readonly against?: string;
  readonly goal?: number;
  /** A goal the ratio must reach or pass (throughput against a peer), where `goal` is a ceiling. */
  readonly goalAtLeast?: number;
  /** Anything the numbers do not say, e.g. whether two runtimes' outputs were identical. */
  readonly note?: string;
}

/** Whether a command exists. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Compiles a C kernel natively and to wasm32-wasi (both clang -O2). Returns the two paths. */
export function buildKernel(name: string, out: string): { native: string; wasm: string } {
  const src = join(KERNELS, `${name}.c`);
  const native = join(out, `${name}.native`);
  const wasm = join(out, `${name}.wasm`);
  if (!existsSync(native)) run('clang-19', ['-O2', src, '-o', native, '-lm']);
  // -msimd128 lets clang auto-vectorise for wasm as it does natively (SSE2 on x86-64).
  // scripts/wasm-cc: Debian's clang-19 and wasi-libc only (no wasm-opt, whatever else is installed).
  if (!existsSync(wasm)) run(WASM_CC, ['-O2', '-msimd128', src, '-o', wasm, '-lm']);
  return { native, wasm };
}

/** Runs a command to completion; throws with its stderr when it fails. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; stdout?: 'ignore'; env?: NodeJS.ProcessEnv } = {},
): { stdout: string; stderr: string; ms: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input ?? '',
    stdio: ['pipe', opts.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: RUN_TIMEOUT_MS,
    ...(opts.env ? { env: opts.env } : {}),
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw runError(cmd, args, r.error);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms };
}

/** What a finished process left: its status and its output, byte for byte. */
export interface Captured {
  /** The exit code, or 128 + the signal number when a signal ended it. */
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** Wall-clock time from spawn to exit. */
  readonly ms: number;
}

/** Runs a command to completion and captures everything, whatever its exit status. */
export function capture(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Captured {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    input: opts.input ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
    timeout: RUN_TIMEOUT_MS,
    ...(opts.env ? { env: opts.env } : {}),
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw runError(cmd, args, r.error);
  const signal = r.signal ? (osConstants.signals[r.signal] ?? 0) : 0;
  return { status: r.status ?? 128 + signal, stdout: r.stdout, stderr: r.stderr, ms };
}

/** The median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The median of the ratios ours[i] / peer[i], for runs made in alternating pairs: each pair saw the
 * machine in the same state, so its ratio does not carry the drift between pairs (this VM's speed
 * moves by tens of percent within minutes) that a ratio of two medians does.
 */
export function pairedRatio(ours: readonly number[], peer: readonly number[]): number {
  return median(ours.map((o, i) => o / peer[i]!));
}

/** The geometric mean. */
export function geomean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}
