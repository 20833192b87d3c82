/**
 * A workload's standard streams through a keep: every byte it writes is sealed in the keep and
 * opened by the client, and every byte of stdin is sealed by the client and opened in the keep
 * (sealed records, README "Deploy protocol"). Two whole-process cases, each against node:wasi on
 * the same engine, alternating:
 *  - output: `output.wasm N` writes N bytes in 64-byte lines through libc stdio, to /dev/null;
 *  - cat: `cat.wasm` copies N bytes of stdin (a file) to /dev/null.
 * One untimed run of each writes its output to a file first, so that both runtimes are checked to
 * give the same bytes. N is BENCH_STDIO_MIB MiB (default 100); BENCH_REPS runs of each (3).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { keepEngine } from '../src/runtime/engine.js';
import { ENARX_COMMAND, median, NODE_WASI, REPO, RUN_TIMEOUT_MS, runError, tempDir } from './support.js';
import type { Row } from './support.js';

type Runner = (module: string, args: readonly string[]) => readonly [string, readonly string[]];

const WORKLOADS = join(REPO, 'test', 'workloads', 'bin');
const enarx: Runner = (module, args) => [ENARX_COMMAND, ['run', module, ...args]];

/** Runs a command with stdin from `input` (or nothing) and stdout to `output`; returns its wall time. */
function timed([cmd, args]: readonly [string, readonly string[]], input: string | undefined, output: string): number {
  const fdIn = input === undefined ? 'ignore' : openSync(input, 'r');
  const fdOut = openSync(output, 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: [fdIn, fdOut, 'pipe'], timeout: RUN_TIMEOUT_MS });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw runError(cmd, args, r.error);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return ms;
  } finally {
    if (typeof fdIn === 'number') closeSync(fdIn);
    closeSync(fdOut);
  }
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A workload, its arguments and the file its stdin reads (if any). */
interface Case {
  readonly what: string;
  readonly module: string;
  readonly args: readonly string[];
  readonly input?: string;
}

/** Where and how much: the peer, a scratch folder, the MiB each case moves, the timed runs. */
interface Setting {
  readonly peer: Runner;
  readonly dir: string;
  readonly mib: number;
  readonly reps: number;
}

/** One case: a check run of each runtime into a file, then `reps` alternating runs to /dev/null. */
function race({ what, module, args, input }: Case, { peer, dir, mib, reps }: Setting): Row {
  const outs = [join(dir, 'enarx.out'), join(dir, 'peer.out')];
  timed(enarx(module, args), input, outs[0]!);
  timed(peer(module, args), input, outs[1]!);
  const [ours, theirs] = outs.map(sha256);
  if (ours !== theirs) throw new Error(`stdio ${what}: enarx run and node:wasi wrote different bytes`);
  for (const o of outs) rmSync(o);
  const o: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < reps; i++) {
    o.push(timed(enarx(module, args), input, '/dev/null'));
    p.push(timed(peer(module, args), input, '/dev/null'));
  }
  const [ms, peerMs] = [median(o), median(p)];
  return {
    bench: 'stdio',
    case: `${what}, ${mib} MiB, whole process`,
    values: { enarx_ms: ms, node_wasi_ms: peerMs, enarx_mib_s: (mib * 1000) / ms, node_wasi_mib_s: (mib * 1000) / peerMs },
    ratio: ms / peerMs,
    against: 'node:wasi on the same engine (time)',
    note: `the same ${ours!.slice(0, 12)}… from both`,
  };
}

/** Runs the stdio benchmark. */
export function run(mib = Number(process.env['BENCH_STDIO_MIB'] ?? 100), reps = Number(process.env['BENCH_REPS'] ?? 3)): Row[] {
  const engine = keepEngine();
  const peer: Runner = (module, args) => [engine.path, ['--no-warnings', NODE_WASI, module, ...args]];
  const dir = tempDir('enarx-stdio-');
  try {
    const input = join(dir, 'input');
    // Text, like what cat usually copies; the same file for both runtimes.
    const line = Buffer.from('the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJ\n');
    writeFileSync(input, Buffer.alloc(mib * 1024 * 1024, line));
    const setting: Setting = { peer, dir, mib, reps };
    return [
      race({ what: 'output: output.wasm, 64-byte lines through stdio', module: join(WORKLOADS, 'output.wasm'), args: [String(mib * 1024 * 1024)] }, setting),
      race({ what: 'cat: cat.wasm, stdin to stdout', module: join(WORKLOADS, 'cat.wasm'), args: [], input }, setting),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
