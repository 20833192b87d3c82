/**
 * Identifying a process across agent restarts. A pid alone can be reused by an unrelated
 * process, so the agent records (boot id, pid, start time) and only ever signals a process whose
 * three values all still match.
 *
 * proc(5), /proc/<pid>/stat: `pid (comm) state ppid ...`; field 22 is `starttime`, the time the
 * process started after system boot, in clock ticks. `comm` may contain spaces and parentheses,
 * so fields are counted after the last ')'.
 */
import { readFileSync } from 'node:fs';

/** What identifies a process uniquely on one machine. */
export interface ProcessIdentity {
  readonly pid: number;
  /** /proc/<pid>/stat field 22, as decimal text (it can exceed 2^53 in principle). */
  readonly startTime: string;
  /** /proc/sys/kernel/random/boot_id: start times only compare within one boot. */
  readonly bootId: string;
}

/** Where the proc file system is (tests may point elsewhere). */
export interface ProcFs {
  readFile(path: string): string;
}

/** The real /proc. */
export const nodeProcFs: ProcFs = { readFile: (path) => readFileSync(path, 'latin1') };

/** This boot's id, or '' where /proc has none. */
export function bootId(fs: ProcFs = nodeProcFs): string {
  try {
    return fs.readFile('/proc/sys/kernel/random/boot_id').trim();
  } catch {
    return '';
  }
}

/** Parsed /proc/<pid>/stat fields the agent uses. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), T, X (dead)... */
  readonly state: string;
  /** Field 4: the parent's pid. */
  readonly ppid: number;
  /** Field 22. */
  readonly startTime: string;
}

/** Parses the text of /proc/<pid>/stat; undefined when it is not in the expected shape. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  // Fields from 3 on (state is field 3).
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const [state, ppid] = rest;
  const startTime = rest[22 - 3];
  if (state === undefined || ppid === undefined || !/^\d+$/.test(ppid) || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { state, ppid: Number(ppid), startTime };
}

/** /proc/<pid>/stat of `pid`, or undefined when there is no such process (or no /proc). */
export function procStat(pid: number, fs: ProcFs = nodeProcFs): ProcStat | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(fs.readFile(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** The identity of a live process, or undefined if it is gone or /proc is unavailable. */
export function processIdentity(pid: number, fs: ProcFs = nodeProcFs): ProcessIdentity | undefined {
  const stat = procStat(pid, fs);
  return stat === undefined ? undefined : { pid, startTime: stat.startTime, bootId: bootId(fs) };
}

/**
 * True when the process recorded as `id` is still running: same boot, same pid, same start
 * time, and not a zombie (a zombie has already ended; only its parent can reap it).
 */
export function isSameProcessAlive(id: ProcessIdentity, fs: ProcFs = nodeProcFs): boolean {
  if (id.bootId === '' || id.bootId !== bootId(fs)) return false;
  const stat = procStat(id.pid, fs);
  return stat !== undefined && stat.startTime === id.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Kills the process recorded as `id` with SIGKILL if, and only if, it is still that process.
 * Returns true when a signal was sent.
 */
export function killIfSameProcess(id: ProcessIdentity, fs: ProcFs = nodeProcFs): boolean {
  if (!isSameProcessAlive(id, fs)) return false;
  try {
    process.kill(id.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
