/**
 * Runs one workload case: lays out a fresh host directory for it (fixtures, extra files,
 * symlinks), spawns the runtime with the case's preopens, environment, flags, module and
 * arguments, feeds stdin, and checks exit status, stdout, stderr and the host files afterwards.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Expectation, FileExpectation, OutputExpectation, WorkloadCase } from './cases.js';
import { WORKLOADS_DIR } from './cases.js';

export const BIN_DIR = join(WORKLOADS_DIR, 'bin');
export const FIXTURES_DIR = join(WORKLOADS_DIR, 'fixtures');

/** The command that runs a module; the case's options, module and arguments are appended. */
export interface RuntimeCommand {
  readonly file: string;
  readonly args: readonly string[];
}

export interface RunResult {
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** A prepared host directory for one case. */
export interface CaseRoot {
  readonly root: string;
  /** mtime/size of the `unchanged` paths before the run. */
  readonly before: ReadonlyMap<string, string>;
  dispose(): void;
}

/** Set in the runtime's own environment: a guest that sees it got the host's environment. */
export const HOST_ONLY_VARIABLE = 'ENARX_TEST_HOST_ONLY';

const DEFAULT_TIMEOUT_MS = 30_000;

function substitute(s: string, root: string): string {
  return s.split('${ROOT}').join(root);
}

function expectations(c: WorkloadCase): readonly Expectation[] {
  return Array.isArray(c.expect) ? (c.expect as readonly Expectation[]) : [c.expect as Expectation];
}

function statKey(path: string): string {
  try {
    const st = lstatSync(path);
    return `${st.mtimeMs}/${st.size}`;
  } catch {
    return 'absent';
  }
}

/** Makes the case's host directory: preopened fixtures, setup files and symlinks. */
export function prepareRoot(c: WorkloadCase): CaseRoot {
  const root = mkdtempSync(join(tmpdir(), `enarx-workload-${c.name}-`));
  for (const d of c.dirs ?? []) {
    const host = join(root, d.host);
    if (d.fixture !== undefined) cpSync(join(FIXTURES_DIR, d.fixture), host, { recursive: true, verbatimSymlinks: true });
    else mkdirSync(host, { recursive: true });
  }
  for (const [path, content] of Object.entries(c.setup?.files ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const [path, target] of Object.entries(c.setup?.symlinks ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(substitute(target, root), join(root, path));
  }
  const before = new Map<string, string>();
  for (const e of expectations(c)) for (const p of e.unchanged ?? []) before.set(p, statKey(join(root, p)));
  return { root, before, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** The argv that runs case `c` in `root` with `runtime`. */
export function caseArgv(c: WorkloadCase, root: string, runtime: RuntimeCommand): readonly string[] {
  const argv = [runtime.file, ...runtime.args];
  for (const f of c.flags ?? []) argv.push(substitute(f, root));
  for (const d of c.dirs ?? []) {
    const host = join(root, d.host);
    argv.push('--dir', d.guest === undefined ? host : `${host}::${d.guest}`);
  }
  for (const [k, v] of Object.entries(c.env ?? {})) argv.push('--env', `${k}=${substitute(v, root)}`);
  argv.push(join(BIN_DIR, c.module));
  for (const a of c.args ?? []) argv.push(substitute(a, root));
  return argv;
}

function stdinBytes(c: WorkloadCase): Buffer {
  const s = c.stdin;
  if (s === undefined) return Buffer.alloc(0);
  if (typeof s === 'string') return Buffer.from(s, 'utf8');
  return Buffer.from(s.repeat.repeat(s.times), 'utf8');
}

/** Spawns the case (in its own process group, so a timeout kills everything it started). */
export function runCase(c: WorkloadCase, root: string, runtime: RuntimeCommand): Promise<RunResult> {
  const argv = caseArgv(c, root, runtime);
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolvePromise) => {
    const child = spawn(file, args, {
      cwd: root,
      env: { ...process.env, [HOST_ONLY_VARIABLE]: 'the guest must not see this' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // the guest may exit without reading its stdin
    child.stdin.end(stdinBytes(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, c.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err);
      resolvePromise({
        argv,
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(out),
        stderr: spawnError ? Buffer.concat([stderr, Buffer.from(`spawn failed: ${spawnError.message}\n`)]) : stderr,
      });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function clip(s: string, max = 1500): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

function checkOutput(name: string, got: Buffer, want: OutputExpectation | undefined, problems: string[]): void {
  const text = got.toString('utf8');
  const w = want ?? '';
  if (typeof w === 'string') {
    if (text !== w) problems.push(`${name} was ${JSON.stringify(clip(text))}, expected ${JSON.stringify(clip(w))}`);
  } else if ('exact' in w) {
    const ignore = w.ignoreLines === undefined ? undefined : new RegExp(w.ignoreLines);
    const kept = ignore ? text.split(/(?<=\n)/).filter((l) => !ignore.test(l)).join('') : text;
    if (kept !== w.exact) {
      problems.push(`${name} was ${JSON.stringify(clip(kept))}, expected ${JSON.stringify(clip(w.exact))}${ignore ? ` (ignoring lines matching ${ignore})` : ''}`);
    }
  } else if ('regex' in w) {
    const re = new RegExp(w.regex, w.flags ?? '');
    if (!re.test(text)) problems.push(`${name} ${JSON.stringify(clip(text))} does not match ${re}`);
  } else if ('sha256' in w) {
    const digest = createHash('sha256').update(got).digest('hex');
    if (got.length !== w.length || digest !== w.sha256) {
      problems.push(`${name} has ${got.length} bytes with SHA-256 ${digest}, expected ${w.length} bytes with ${w.sha256}; starts ${JSON.stringify(clip(text, 200))}`);
    }
  } else if (got.length > w.maxLength) {
    problems.push(`${name} has ${got.length} bytes, more than the ${w.maxLength} allowed`);
  }
}

function checkFile(root: string, path: string, want: FileExpectation, problems: string[]): void {
  const p = resolve(root, path);
  let st;
  try {
    st = lstatSync(p);
  } catch {
    if (want !== null) problems.push(`host file ${path} is missing`);
    return;
  }
  if (want === null) {
    problems.push(`host file ${path} exists, it should not`);
  } else if (typeof want === 'string') {
    if (!st.isFile()) problems.push(`host path ${path} is not a regular file`);
    else {
      const got = readFileSync(p, 'utf8');
      if (got !== want) problems.push(`host file ${path} holds ${JSON.stringify(clip(got))}, expected ${JSON.stringify(want)}`);
    }
  } else if ('symlink' in want) {
    if (!st.isSymbolicLink()) problems.push(`host path ${path} is not a symlink`);
    else if (readlinkSync(p) !== want.symlink) problems.push(`host symlink ${path} points to ${readlinkSync(p)}, expected ${want.symlink}`);
  } else if (!st.isDirectory()) {
    problems.push(`host path ${path} is not a directory`);
  }
}

/** Everything wrong with `r` against one expectation (empty when it holds). */
export function checkExpectation(e: Expectation, r: RunResult, root: CaseRoot): string[] {
  const problems: string[] = [];
  if (r.timedOut) problems.push('the run was killed: it did not finish in time');
  const exit = e.exit;
  if (r.code === null) problems.push(`the runtime died from signal ${r.signal ?? '?'}`);
  else if (typeof exit === 'number' ? r.code !== exit : r.code === exit.not) {
    problems.push(`exit status ${r.code}, expected ${typeof exit === 'number' ? exit : `anything but ${exit.not}`}`);
  }
  checkOutput('stdout', r.stdout, e.stdout, problems);
  checkOutput('stderr', r.stderr, e.stderr, problems);
  for (const [path, want] of Object.entries(e.files ?? {})) checkFile(root.root, path, want, problems);
  for (const [dir, names] of Object.entries(e.entries ?? {})) {
    const p = resolve(root.root, dir);
    const got = existsSync(p) ? readdirSync(p).sort() : [];
    const want = [...names].sort();
    if (got.join('\0') !== want.join('\0')) problems.push(`host directory ${dir} holds [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  for (const path of e.unchanged ?? []) {
    if (statKey(join(root.root, path)) !== root.before.get(path)) problems.push(`host path ${path} was modified (mtime or size changed)`);
  }
  return problems;
}

/** Checks a run against the case; returns a failure report, or undefined when it passed. */
export function checkCase(c: WorkloadCase, r: RunResult, root: CaseRoot): string | undefined {
  const alternatives = expectations(c);
  const reports = alternatives.map((e) => checkExpectation(e, r, root));
  if (reports.some((p) => p.length === 0)) return undefined;
  const lines = [`case ${c.name} (${c.why})`, `$ ${r.argv.map((a) => (/[\s'"]/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ')}`];
  reports.forEach((problems, i) => {
    if (alternatives.length > 1) lines.push(`alternative ${i + 1}:`);
    for (const p of problems) lines.push(`  - ${p}`);
  });
  lines.push(`exit=${r.code ?? r.signal} stdout=${JSON.stringify(clip(r.stdout.toString('utf8'), 600))}`);
  lines.push(`stderr=${JSON.stringify(clip(r.stderr.toString('utf8'), 600))}`);
  return lines.join('\n');
}
