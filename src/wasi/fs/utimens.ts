/**
 * Setting file times with nanosecond precision.
 *
 * Node.js passes times to utimensat(2) as a double of seconds, which at present-day dates
 * resolves only ~477 ns (21 bits of fraction), so `fs.utimes` cannot set the exact value a guest
 * asks for. When the double path would round the value, we ask the system's `touch` (coreutils,
 * `-d @SECONDS.NANOSECONDS`, which calls utimensat with the exact timespec) instead. That is no
 * new exposure: the times and the path already belong to the host's own filesystem. Without
 * `touch`, the Node.js path is used and the value is rounded.
 */
import * as fs from 'node:fs';

/** Where to find `touch`; checked once. */
const TOUCH = ['/usr/bin/touch', '/bin/touch'].find((p) => fs.existsSync(p));

const NS = 1_000_000_000n;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Seconds as a double, the way fs.utimes takes them. */
export function nsToSeconds(ns: bigint): number {
  return Number(ns / NS) + Number(ns % NS) / 1e9;
}

/** Whether libuv's double → timespec conversion gives back exactly `ns`. */
function exactAsDouble(ns: bigint): boolean {
  // Older libuv (Node.js 20) rounds to microseconds; take the fast path only for whole µs.
  if (ns < 0n || ns % 1000n !== 0n) return false;
  const d = nsToSeconds(ns);
  const sec = Math.trunc(d);
  const nsec = Math.trunc((d - sec) * 1e9);
  return BigInt(sec) * NS + BigInt(nsec) === ns;
}

function touchStamp(ns: bigint): string {
  return `@${ns / NS}.${(ns % NS).toString().padStart(9, '0')}`;
}

/** `touch` takes the path as an argument, which Node.js passes as UTF-8: a Buffer path must be that. */
function argvPath(path: string | Buffer): string | undefined {
  if (typeof path === 'string') return path;
  try {
    return utf8.decode(path);
  } catch {
    return undefined;
  }
}

/**
 * Sets atime/mtime of `path` (`follow`: of what a final symlink points to). Both times are
 * given (callers fill in the current value for a time the guest leaves alone).
 * `path` must name the object from any process (use /proc/<pid>/…, not /proc/self/…). A path
 * whose bytes are not UTF-8 cannot be given to `touch`: its times are set the rounded way.
 */
export function setTimesExact(path: string | Buffer, atim: bigint, mtim: bigint, follow: boolean): void {
  const arg = argvPath(path);
  if (TOUCH === undefined || arg === undefined || (exactAsDouble(atim) && exactAsDouble(mtim))) {
    (follow ? fs.utimesSync : fs.lutimesSync)(path, nsToSeconds(atim), nsToSeconds(mtim));
    return;
  }
  const noDeref = follow ? [] : ['-h'];
  // Loaded here, on this rare path: node:child_process costs a keep's worker start-up otherwise.
  const { execFileSync } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  if (atim === mtim) {
    execFileSync(TOUCH, [...noDeref, '-c', '-d', touchStamp(atim), '--', arg], { stdio: 'ignore', env: {} });
    return;
  }
  execFileSync(TOUCH, [...noDeref, '-c', '-a', '-d', touchStamp(atim), '--', arg], { stdio: 'ignore', env: {} });
  execFileSync(TOUCH, [...noDeref, '-c', '-m', '-d', touchStamp(mtim), '--', arg], { stdio: 'ignore', env: {} });
}
