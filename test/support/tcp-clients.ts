/**
 * Clients for the plain-TCP network tests (test/keep/network-tcp.test.ts): commands with time
 * limits, TCP connections that collect what they receive, echo round trips checked byte for
 * byte, net_http's /bytes pattern, and what the kernel and /proc say about a keep's sockets.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { enarxToml, processTree, startKeep } from './keep-net.js';
import type { RunningKeep } from './keep-net.js';

export const HELLO = 'hello from the keep\n';
export const KIB = 1024;
export const MIB = 1024 * KIB;
/** Bound on any one client exchange; a keep answers in milliseconds. */
export const WAIT_MS = 10_000;
/** Bound on a 100 MiB transfer (~0.3 s at the keep's measured rate; 2 cores shared with other tests). */
export const BULK_MS = 20_000;
export const T = { timeout: 30_000 };

/** How a command ended. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link start}. */
export interface StartOptions {
  readonly input?: string;
  /** Killed after this long. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Takes stdout's bytes as they come (then `stdout` stays empty). */
  readonly onStdout?: (chunk: Buffer) => void;
}

/** A command started, and how it ended. */
export function start(cmd: string, args: readonly string[], opts: StartOptions = {}): { child: ChildProcess; done: Promise<Ran> } {
  const timeoutMs = opts.timeoutMs ?? WAIT_MS;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let stdout = '';
  let stderr = '';
  if (opts.onStdout !== undefined) child.stdout!.on('data', opts.onStdout);
  else child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.on('error', () => {});
  child.stdin!.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Ran>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: signal === 'SIGKILL' ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr });
    });
  });
  return { child, done };
}

/** Runs `cmd` to its end (killed after `timeoutMs`). */
export function run(cmd: string, args: readonly string[], timeoutMs = WAIT_MS): Promise<Ran> {
  return start(cmd, args, { timeoutMs }).done;
}

/** curl against the keep on 127.0.0.1:`port` (plain HTTP). */
export function curl(port: number, path: string, extra: readonly string[] = []): Promise<Ran> {
  return run('curl', ['-sS', '--max-time', '8', ...extra, `http://127.0.0.1:${port}${path}`]);
}

/** Resolves `promise`, or rejects after `ms` naming `what`. */
export function within<R>(promise: Promise<R>, ms: number, what: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tcpEntry(port: number): string {
  return ['kind = "listen"', 'name = "plain"', 'prot = "tcp"', 'addr = "127.0.0.1"', `port = ${port}`].join('\n');
}

/** A keep running `module` with one TCP listen socket (fd 3) on 127.0.0.1:`port`, once it listens. */
export async function tcpKeep(module: string, port: number, env: Record<string, string> = {}): Promise<RunningKeep> {
  const keep = await startKeep({ module, toml: enarxToml(tcpEntry(port)), env, waitPort: port });
  if (keep.child.exitCode !== null || keep.child.signalCode !== null) {
    const r = await keep.exited;
    throw new Error(`the keep exited ${r.code} before listening: ${r.stderr}`);
  }
  return keep;
}

/** Stops `keep` (SIGTERM; SIGKILL if it has not ended 10 s later). */
export async function stopKeep(keep: RunningKeep | undefined): Promise<void> {
  if (keep === undefined) return;
  await within(keep.stop(), WAIT_MS, 'stopping the keep').catch(() => {
    for (const pid of processTree(keep.child.pid!).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

/** A TCP connection to 127.0.0.1:`port`, once connected. */
export function connectTo(port: number): Promise<Socket> {
  const s = tcpConnect({ host: '127.0.0.1', port });
  const connected = new Promise<Socket>((resolve, reject) => {
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
  return within(connected, WAIT_MS, `connecting to 127.0.0.1:${port}`).catch((err: unknown) => {
    s.destroy();
    throw err;
  });
}

/** How a connection's incoming side ended. */
export interface Received {
  readonly data: Buffer;
  /** The peer's end of stream (FIN) arrived. */
  readonly end: boolean;
  /** The socket's error (ECONNRESET...), if any. */
  readonly error?: string;
}

/** Everything `socket` receives until it closes (within `ms`). */
export function receiveAll(socket: Socket, ms = WAIT_MS, what = 'waiting for the connection to close'): Promise<Received> {
  return within(
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let end = false;
      let error: string | undefined;
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.once('end', () => (end = true));
      socket.once('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.once('close', () => resolve({ data: Buffer.concat(chunks), end, ...(error === undefined ? {} : { error }) }));
    }),
    ms,
    what,
  );
}

/** Writes `chunk`; resolves once the socket takes more (at once, or at 'drain'), rejects if it closes. */
export function write(socket: Socket, chunk: Uint8Array): Promise<void> {
  if (socket.destroyed) return Promise.reject(new Error('writing to a closed connection'));
  if (socket.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      socket.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      socket.off('drain', onDrain);
      reject(new Error('the connection closed while writing'));
    };
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/** Sends `data` to the echo server on `port`, ends its side, and checks that exactly `data` comes back, then the end of stream. */
export async function echoRoundTrip(port: number, data: Buffer, ms = WAIT_MS): Promise<void> {
  const s = await connectTo(port);
  try {
    const got = receiveAll(s, ms, `echo of ${data.length} bytes`);
    s.end(data);
    assertEcho(await got, data);
  } finally {
    s.destroy();
  }
}

/** `r` is exactly `data`, then the end of stream; says how it differs when not. */
export function assertEcho(r: Received, data: Buffer): void {
  const clean = r.error === undefined ? (r.end ? 'then the end of stream' : 'then a close without end of stream') : `then ${r.error}`;
  if (r.data.equals(data) && r.end && r.error === undefined) return;
  let same = 0;
  while (same < Math.min(r.data.length, data.length) && r.data[same] === data[same]) same++;
  const what =
    same === r.data.length && r.data.length < data.length
      ? `truncated: the first ${r.data.length} of ${data.length} bytes (${data.length - r.data.length} missing), ${clean}`
      : `${r.data.length} bytes for ${data.length} sent, first difference at ${same}, ${clean}`;
  assert.fail(`echo: ${what}`);
}

/** SHA-256 (hex) of the first `n` bytes of net_http's /bytes pattern: byte i is i mod 251. */
export function patternSha256(n: number): string {
  const period = Buffer.from(Array.from({ length: 251 }, (_, i) => i));
  const block = Buffer.concat(Array.from({ length: 4096 }, () => period)); // starts at i ≡ 0 (mod 251)
  const h = createHash('sha256');
  for (let left = n; left > 0; left -= block.length) h.update(block.subarray(0, Math.min(left, block.length)));
  return h.digest('hex');
}

/** Socket descriptors open in the process tree of `pid`. */
export function openSockets(pid: number): number {
  let n = 0;
  for (const p of processTree(pid)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${p}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // closed meanwhile
      }
    }
  }
  return n;
}

/** The kernel's largest TCP send and receive buffers (net.ipv4.tcp_wmem and tcp_rmem, their third field). */
export function tcpBufferMax(): { send: number; receive: number } {
  const max = (name: string, fallback: number): number => {
    try {
      return Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]) || fallback;
    } catch {
      return fallback;
    }
  };
  return { send: max('tcp_wmem', 4 * MIB), receive: max('tcp_rmem', 6 * MIB) };
}
