/**
 * What a process tree that stopped making progress was doing, for a test's failure message: the
 * JavaScript stack and live libuv handles of the root (a Node.js started with
 * {@link reportArgs}, asked for a diagnostic report by signal), then every thread of the tree
 * with its state and kernel wait channel (a keep's threads blocked in a futex show there).
 * Trees are read from /proc/PID/stat.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The processes of the tree rooted at `pid`: it and its descendants (from /proc/PID/stat). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const tree: number[] = [];
  for (let todo = [pid]; todo.length > 0; ) {
    const p = todo.pop()!;
    tree.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return tree;
}

const SIGNAL = 'SIGUSR2';

/** Node.js options that make a process write a diagnostic report into `dir` on {@link SIGNAL}. */
export function reportArgs(dir: string): string[] {
  return ['--report-on-signal', `--report-signal=${SIGNAL}`, `--report-directory=${dir}`, '--report-compact'];
}

/** The root's report (asked for now, read when written) and the tree's threads, as text. */
export async function whereStuck(pid: number, reportDir: string): Promise<string> {
  const threads = threadStates(pid);
  try {
    process.kill(pid, SIGNAL);
  } catch {
    return `threads: ${threads}`;
  }
  // The report is written in pieces: it is read until it parses (or 2 s have passed).
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    const file = readdirSync(reportDir).find((f) => f.startsWith('report.') && f.endsWith('.json'));
    const report = file === undefined ? undefined : summarize(readFileSync(join(reportDir, file), 'utf8'));
    if (report !== undefined) return `${report}; threads: ${threads}`;
  }
  return `(no report); threads: ${threads}`;
}

/** The report's JavaScript stack and active libuv handles; undefined while it is not whole JSON. */
function summarize(text: string): string | undefined {
  let r: { javascriptStack?: { stack?: string[] }; libuv?: { type: string; is_active?: boolean }[] };
  try {
    r = JSON.parse(text) as typeof r;
  } catch {
    return undefined;
  }
  const stack = r.javascriptStack?.stack?.slice(0, 12).join(' | ') || '(idle)';
  const handles = (r.libuv ?? []).filter((h) => h.is_active).map((h) => h.type);
  return `JS stack: ${stack}; active handles: ${handles.join(',') || '(none)'}`;
}

/** `pid/tid comm state wchan` for every thread of the tree rooted at `pid`. */
export function threadStates(pid: number): string {
  const out: string[] = [];
  for (const p of processTree(pid)) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const t of tasks) {
      try {
        const stat = readFileSync(`/proc/${p}/task/${t}/stat`, 'latin1');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
        const wchan = readFileSync(`/proc/${p}/task/${t}/wchan`, 'latin1') || '-';
        out.push(`${p}/${t} ${comm} ${state} ${wchan}`);
      } catch {
        // gone meanwhile
      }
    }
  }
  return out.join('; ') || '(none)';
}
