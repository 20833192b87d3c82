/**
 * The workload case table (test/workloads/cases.json): types and a loader that validates the
 * untrusted JSON at the boundary. The format is described in test/workloads/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exact text, or a looser rule. */
export type OutputExpectation =
  | string
  | { readonly exact: string; readonly ignoreLines?: string }
  | { readonly regex: string; readonly flags?: string }
  | { readonly length: number; readonly sha256: string }
  | { readonly maxLength: number };

/** What a host path must be after the run: its content, absent (null), a symlink or a directory. */
export type FileExpectation = string | null | { readonly symlink: string } | { readonly dir: true };

export interface Expectation {
  /** The exit status, or any status but this one (`{ not: 0 }`). */
  readonly exit: number | { readonly not: number };
  /** Default "" (nothing at all). */
  readonly stdout?: OutputExpectation;
  /** Default "" (nothing at all). */
  readonly stderr?: OutputExpectation;
  /** Host paths relative to the case root. */
  readonly files?: Readonly<Record<string, FileExpectation>>;
  /** Host directories (relative to the case root) that must hold exactly these names. */
  readonly entries?: Readonly<Record<string, readonly string[]>>;
  /** Host paths whose mtime and size must not change. */
  readonly unchanged?: readonly string[];
}

export interface PreopenSpec {
  /** Fixture directory (test/workloads/fixtures/NAME) copied to the host path; empty dir when absent. */
  readonly fixture?: string;
  /** Host directory, relative to the case root. */
  readonly host: string;
  /** Guest name; absent = `--dir HOST` (the host path names itself). */
  readonly guest?: string;
}

export interface WorkloadCase {
  readonly name: string;
  /** File name under test/workloads/bin. */
  readonly module: string;
  readonly why: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly dirs?: readonly PreopenSpec[];
  /** Extra host files and symlinks under the case root, made before the run. */
  readonly setup?: {
    readonly files?: Readonly<Record<string, string>>;
    readonly symlinks?: Readonly<Record<string, string>>;
  };
  readonly stdin?: string | { readonly repeat: string; readonly times: number };
  /** `enarx run` options placed before the module, e.g. ["--timeout", "1s"]. */
  readonly flags?: readonly string[];
  /** Kill the run after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** One expectation, or several alternatives of which one must hold. */
  readonly expect: Expectation | readonly Expectation[];
  /** How Node's node:wasi deviates on this case (documentation only). */
  readonly nodeWasi?: string;
}

/** test/workloads in the checkout (this file runs from dist/test/workloads/). */
export const WORKLOADS_DIR = fileURLToPath(new URL('../../../test/workloads/', import.meta.url));

function fail(where: string, what: string): never {
  throw new TypeError(`cases.json: ${where}: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, where: string): readonly string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(where, 'expected an array of strings');
  return v as string[];
}

function stringRecord(v: unknown, where: string): Readonly<Record<string, string>> {
  if (!isRecord(v) || !Object.values(v).every((s) => typeof s === 'string')) fail(where, 'expected an object of strings');
  return v as Record<string, string>;
}

function output(v: unknown, where: string): OutputExpectation {
  if (typeof v === 'string') return v;
  if (!isRecord(v)) fail(where, 'expected a string or an object');
  if (typeof v['exact'] === 'string') {
    if (v['ignoreLines'] !== undefined && typeof v['ignoreLines'] !== 'string') fail(where, 'ignoreLines must be a string');
    return v as OutputExpectation;
  }
  if (typeof v['regex'] === 'string') {
    new RegExp(v['regex'], typeof v['flags'] === 'string' ? v['flags'] : ''); // throws on a bad pattern
    return v as OutputExpectation;
  }
  if (typeof v['length'] === 'number' && typeof v['sha256'] === 'string') return v as OutputExpectation;
  if (typeof v['maxLength'] === 'number') return v as OutputExpectation;
  fail(where, 'unknown output expectation');
}

function expectation(v: unknown, where: string): Expectation {
  if (!isRecord(v)) fail(where, 'expected an object');
  const exit = v['exit'];
  if (!(typeof exit === 'number' || (isRecord(exit) && typeof exit['not'] === 'number'))) fail(where, 'bad exit');
  if (v['stdout'] !== undefined) output(v['stdout'], `${where}.stdout`);
  if (v['stderr'] !== undefined) output(v['stderr'], `${where}.stderr`);
  if (v['files'] !== undefined) {
    if (!isRecord(v['files'])) fail(where, 'files must be an object');
    for (const [p, f] of Object.entries(v['files'])) {
      const ok = f === null || typeof f === 'string' || (isRecord(f) && (typeof f['symlink'] === 'string' || f['dir'] === true));
      if (!ok) fail(`${where}.files.${p}`, 'bad file expectation');
    }
  }
  if (v['entries'] !== undefined) {
    if (!isRecord(v['entries'])) fail(where, 'entries must be an object');
    for (const [p, e] of Object.entries(v['entries'])) strings(e, `${where}.entries.${p}`);
  }
  if (v['unchanged'] !== undefined) strings(v['unchanged'], `${where}.unchanged`);
  return v as unknown as Expectation;
}

function workloadCase(v: unknown, i: number): WorkloadCase {
  if (!isRecord(v)) fail(`cases[${i}]`, 'expected an object');
  const where = `cases[${i}] (${String(v['name'])})`;
  if (typeof v['name'] !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(v['name'])) fail(where, 'bad name');
  if (typeof v['module'] !== 'string' || !v['module'].endsWith('.wasm') || v['module'].includes('/')) {
    fail(where, 'module must be a file name ending in .wasm');
  }
  if (typeof v['why'] !== 'string') fail(where, 'why is required');
  if (v['args'] !== undefined) strings(v['args'], `${where}.args`);
  if (v['flags'] !== undefined) strings(v['flags'], `${where}.flags`);
  if (v['env'] !== undefined) stringRecord(v['env'], `${where}.env`);
  if (v['dirs'] !== undefined) {
    if (!Array.isArray(v['dirs'])) fail(where, 'dirs must be an array');
    for (const d of v['dirs'] as unknown[]) {
      if (!isRecord(d) || typeof d['host'] !== 'string') fail(`${where}.dirs`, 'each needs a host path');
      if (d['host'].startsWith('/') || d['host'].split('/').includes('..')) fail(`${where}.dirs`, 'host must stay in the case root');
    }
  }
  if (v['setup'] !== undefined) {
    if (!isRecord(v['setup'])) fail(where, 'setup must be an object');
    if (v['setup']['files'] !== undefined) stringRecord(v['setup']['files'], `${where}.setup.files`);
    if (v['setup']['symlinks'] !== undefined) stringRecord(v['setup']['symlinks'], `${where}.setup.symlinks`);
  }
  const stdin = v['stdin'];
  if (stdin !== undefined && typeof stdin !== 'string') {
    if (!isRecord(stdin) || typeof stdin['repeat'] !== 'string' || typeof stdin['times'] !== 'number') fail(where, 'bad stdin');
  }
  if (v['timeoutMs'] !== undefined && typeof v['timeoutMs'] !== 'number') fail(where, 'timeoutMs must be a number');
  const expect = v['expect'];
  if (Array.isArray(expect)) {
    if (expect.length === 0) fail(where, 'expect needs at least one alternative');
    expect.forEach((e, k) => expectation(e, `${where}.expect[${k}]`));
  } else {
    expectation(expect, `${where}.expect`);
  }
  return v as unknown as WorkloadCase;
}

/** Reads and validates test/workloads/cases.json. @throws TypeError on a malformed table. */
export function loadCases(file = join(WORKLOADS_DIR, 'cases.json')): readonly WorkloadCase[] {
  const doc: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isRecord(doc) || !Array.isArray(doc['cases'])) fail('top level', 'expected { cases: [...] }');
  const cases = (doc['cases'] as unknown[]).map(workloadCase);
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) fail(c.name, 'duplicate case name');
    seen.add(c.name);
  }
  return cases;
}
