/**
 * What a run of a task produced, in a form two runtimes' runs can be compared in: the exit
 * status, stdout and stderr (after the task's normalization, if any) and a listing of every file
 * left in the work folder with its size and SHA-256.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Captured } from '../support.js';
import type { Normalization } from './tasks.js';

export interface Outcome {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** One line per file: `path size sha256`, sorted. */
  readonly files: string;
}

function listing(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        lines.push(`${relative(root, path)}/`);
        walk(path);
      } else {
        const bytes = readFileSync(path);
        lines.push(`${relative(root, path)} ${bytes.length} ${createHash('sha256').update(bytes).digest('hex')}`);
      }
    }
  };
  walk(root);
  return lines.sort().join('\n');
}

// latin1 maps bytes to code points one to one, so a normalization that touches only ASCII
// leaves every other byte as it was.
function normalized(bytes: Buffer, n: Normalization | undefined): Buffer {
  return n ? Buffer.from(n.apply(bytes.toString('latin1')), 'latin1') : bytes;
}

/** The outcome of a finished run whose work folder was `work`. */
export function outcome(run: Captured, work: string, n?: Normalization): Outcome {
  return { status: run.status, stdout: normalized(run.stdout, n), stderr: normalized(run.stderr, n), files: listing(work) };
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function excerpt(bytes: Buffer, at: number): string {
  return JSON.stringify(bytes.subarray(Math.max(0, at - 16), at + 48).toString('latin1'));
}

/** How `b` differs from `a`, one phrase per stream (empty when identical). */
export function differences(a: Outcome, b: Outcome, names: readonly [string, string]): string[] {
  const out: string[] = [];
  if (a.status !== b.status) out.push(`exit status ${names[0]} ${a.status}, ${names[1]} ${b.status}`);
  for (const stream of ['stdout', 'stderr'] as const) {
    if (a[stream].equals(b[stream])) continue;
    const at = firstDifference(a[stream], b[stream]);
    out.push(`${stream} differs at byte ${at} (${a[stream].length} vs ${b[stream].length} bytes): ${names[0]} ${excerpt(a[stream], at)}, ${names[1]} ${excerpt(b[stream], at)}`);
  }
  if (a.files !== b.files) {
    const left = new Set(a.files.split('\n'));
    const right = new Set(b.files.split('\n'));
    const only = (x: Set<string>, y: Set<string>): string[] => [...x].filter((l) => !y.has(l)).map((l) => l.split(' ')[0]!);
    out.push(`files differ: ${[...new Set([...only(left, right), ...only(right, left)])].slice(0, 5).join(', ')}`);
  }
  return out;
}

/** Writes both outcomes to `dir` (stdout, stderr, file listings) for a closer look. */
export function keepForInspection(dir: string, named: Readonly<Record<string, Outcome>>): void {
  for (const [name, o] of Object.entries(named)) {
    writeFileSync(join(dir, `${name}.stdout`), o.stdout);
    writeFileSync(join(dir, `${name}.stderr`), o.stderr);
    writeFileSync(join(dir, `${name}.files`), `${o.files}\n`);
    writeFileSync(join(dir, `${name}.status`), `${o.status}\n`);
  }
}
