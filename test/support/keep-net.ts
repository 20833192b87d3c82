/**
 * Keeps with sockets, for end-to-end network tests: writes an Enarx.toml, runs a test workload
 * with `enarx run` (bin/enarx.js, the local default backend), waits until its listen port
 * answers, and collects its output and exit. Ports come from the kernel (bound to 0, then freed),
 * so tests running side by side do not collide.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processTree, reportArgs, whereStuck } from './process-tree.js';

export { processTree };

const REPO = new URL('../../..', import.meta.url).pathname;
/** The committed test workloads. */
export const WORKLOADS = join(REPO, 'test', 'workloads', 'bin');

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** The three stdio entries, then `entries` (TOML tables without the `[[files]]` header). */
export function enarxToml(...entries: string[]): string {
  const stdio = ['kind = "stdin"', 'kind = "stdout"', 'kind = "stderr"'];
  return [...stdio, ...entries].map((e) => `[[files]]\n${e}\n`).join('\n');
}

/** How a keep run ended. */
export interface KeepExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running keep. */
export interface RunningKeep {
  readonly child: ChildProcess;
  /** The folder holding its Enarx.toml (and whatever else the test put there). */
  readonly dir: string;
  readonly exited: Promise<KeepExit>;
  /** Ends the keep (SIGTERM) and resolves when it has. */
  stop(): Promise<KeepExit>;
}

/** Options of {@link startKeep}. */
export interface KeepOptions {
  /** The module, a file name in test/workloads/bin or an absolute path. */
  readonly module: string;
  readonly toml: string;
  /** Files to write beside Enarx.toml (trust anchors...). */
  readonly files?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  /** Waits until this port accepts a TCP connection (or the keep exits). */
  readonly waitPort?: number;
  /** `enarx run --backend` (default: the first available). */
  readonly backend?: string;
}

/** Runs a workload in a keep with `toml` as its Enarx.toml. */
export async function startKeep(opts: KeepOptions): Promise<RunningKeep> {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-net-'));
  writeFileSync(join(dir, 'Enarx.toml'), opts.toml);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  const module = opts.module.startsWith('/') ? opts.module : join(WORKLOADS, opts.module);
  const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  // The CLI writes a diagnostic report when asked (process-tree.ts): a keep that never listens says where it waited.
  const child = spawn(process.execPath, [...reportArgs(dir), join(REPO, 'bin', 'enarx.js'), 'run', '--wasmcfgfile', join(dir, 'Enarx.toml'), ...(opts.backend ? ['--backend', opts.backend] : []), ...env, module, ...(opts.args ?? [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.on('error', () => {});
  child.stdin!.end(opts.stdin ?? '');
  const exited = new Promise<KeepExit>((resolve) =>
    child.once('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    }),
  );
  if (opts.waitPort !== undefined) {
    try {
      await Promise.race([waitForPort(opts.waitPort), exited]);
    } catch (err) {
      // A keep that never listens is ended here: left running, its pipes would keep the test
      // process alive after the failure. What it said, and where it waited, go with the error.
      const where = child.exitCode === null && child.pid !== undefined ? await whereStuck(child.pid, dir) : 'it had exited';
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${(err as Error).message}; the keep's stderr: ${stderr.slice(-2000) || '(nothing)'}; ${where}`, { cause: err });
    }
  }
  return {
    child,
    dir,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * True when some socket listens on TCP `port` (read from /proc/net/tcp and tcp6, state 0A), so
 * that waiting for a keep's port does not hand its workload a probe connection.
 */
export function listening(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && `${f[1]} `.includes(hex)) return true;
    }
  }
  return false;
}

/** Resolves once something listens on `port` (tries for up to `timeoutMs`). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!listening(port)) {
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resident memory (VmRSS, bytes) of `pid` and its descendants; a process that is gone counts 0. */
export function treeRss(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, 'latin1'))?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
