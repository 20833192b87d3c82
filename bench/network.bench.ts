/**
 * Network: the keep's sockets (TLS terminated in the keep) against plain Node.js servers on the
 * same engine, and the HTTP responder against itself built natively.
 *
 * (a) Echo throughput, TLS and plain TCP: the test workload net_echo.wasm (a poll() echo server)
 *     behind a keep listen socket, against a Node.js echo server (`socket.pipe(socket)`, one
 *     thread; for TLS the keep's own parameters and the same kind of certificate:
 *     bench/net/node-echo.mjs). The load (bench/net/echo-load.mjs, on the engine) streams
 *     `ECHO_BYTES` through each of `ECHO_CONNS` connections and reads it back; MiB/s counts both
 *     directions. Runs alternate keep, Node.js; the medians of `REPS` count.
 * (b) HTTP requests/s of net_http.wasm in a keep under wrk (`-t2 -c64`, GET /), against the same
 *     C program compiled natively with clang-19 -O2 (its net_native.h binds the port itself).
 * (c) Connections held at once: `HELD` idle connections to net_echo in a keep, each echoed once
 *     (so the workload has accepted it), and the keep process's resident memory before and after,
 *     per connection; the same against the Node.js echo server.
 *
 * Needs a build, the committed test workloads, wrk and clang-19 (both installed by .ci/run).
 * Runnable alone: `npm run bench -- network`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepEngine } from '../src/runtime/engine.js';
import { freePort, listening, treeRss } from '../test/support/keep-net.js';
import { ENARX_COMMAND, have, median, REPO, run, tempDir } from './support.js';
import type { Row } from './support.js';

const WORKLOADS = join(REPO, 'test', 'workloads');
const NET = join(REPO, 'bench', 'net');
const REPS = Number(process.env['BENCH_REPS'] ?? 3);
const ECHO_CONNS = 4;
const ECHO_BYTES = 64 * 1024 * 1024;
const HELD = Number(process.env['BENCH_HELD'] ?? 2000);

/** A server process that ends when stopped. */
interface Server {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

function started(child: ChildProcess): Server {
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function untilListening(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400 && !listening(port); i++) {
    if (child.exitCode !== null) throw new Error(`server on port ${port} exited (${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!listening(port)) throw new Error(`nothing listens on port ${port}`);
}

/** net_echo or net_http in a keep, on `prot` at a fresh port. */
async function keepServer(dir: string, module: string, prot: 'tcp' | 'tls'): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const toml = join(dir, `Enarx-${port}.toml`);
  const stdio = ['stdin', 'stdout', 'stderr'].map((k) => `[[files]]\nkind = "${k}"\n`).join('\n');
  writeFileSync(toml, `${stdio}\n[[files]]\nkind = "listen"\nname = "ingress"\nprot = "${prot}"\naddr = "127.0.0.1"\nport = ${port}\n`);
  const child = spawn(ENARX_COMMAND, ['run', '--wasmcfgfile', toml, join(WORKLOADS, 'bin', module)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await untilListening(port, child);
  return { server: started(child), port };
}

async function nodeEchoServer(prot: 'tcp' | 'tls'): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const child = spawn(keepEngine().path, [join(NET, 'node-echo.mjs'), prot, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await untilListening(port, child);
  return { server: started(child), port };
}

/** Runs `load` against the server `starting` gives, and stops the server whatever happens. */
async function serving<T>(starting: Promise<{ server: Server; port: number }>, load: (port: number) => T | Promise<T>): Promise<T> {
  const { server, port } = await starting;
  try {
    return await load(port);
  } finally {
    await server.stop();
  }
}

/** One load run: MiB/s through `port`. */
function echoLoad(prot: 'tcp' | 'tls', port: number, conns: number, bytes: number): number {
  const r = run(keepEngine().path, [join(NET, 'echo-load.mjs'), prot, String(port), String(conns), String(bytes)]);
  return (JSON.parse(r.stdout) as { mibPerS: number }).mibPerS;
}

async function echoRows(dir: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const prot of ['tls', 'tcp'] as const) {
    const ours: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < REPS; i++) {
      ours.push(await serving(keepServer(dir, 'net_echo.wasm', prot), (port) => echoLoad(prot, port, ECHO_CONNS, ECHO_BYTES)));
      peer.push(await serving(nodeEchoServer(prot), (port) => echoLoad(prot, port, ECHO_CONNS, ECHO_BYTES)));
    }
    const [keep, node] = [median(ours), median(peer)];
    rows.push({
      bench: 'network',
      case: `${prot} echo, ${ECHO_CONNS} conns × ${ECHO_BYTES / 1048576} MiB`,
      values: { keep_mib_s: keep, node_mib_s: node },
      ratio: keep / node,
      against: `a Node.js ${prot.toUpperCase()} echo server (same engine)`,
      goalAtLeast: 0.8,
    });
  }
  return rows;
}

/** wrk's requests/s against `port`. */
function wrk(port: number): number {
  const r = run('wrk', ['-t2', '-c64', '-d5s', `http://127.0.0.1:${port}/`]);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`wrk printed no Requests/sec:\n${r.stdout}`);
  if (/Non-2xx|Socket errors/.test(r.stdout)) throw new Error(`wrk saw errors:\n${r.stdout}`);
  return Number(m[1]);
}

async function nativeServer(path: string): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const child = spawn(path, [], { stdio: 'ignore', env: { NATIVE_LISTEN: String(port) } });
  await untilListening(port, child);
  return { server: started(child), port };
}

async function httpRows(dir: string): Promise<Row[]> {
  const native = join(dir, 'net_http.native');
  run('clang-19', ['-O2', '-o', native, join(WORKLOADS, 'c', 'net_http.c')]);
  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < Math.max(1, REPS - 1); i++) {
    ours.push(await serving(keepServer(dir, 'net_http.wasm', 'tcp'), wrk));
    peer.push(await serving(nativeServer(native), wrk));
  }
  const [keep, nat] = [median(ours), median(peer)];
  return [{ bench: 'network', case: 'http GET / (wrk -t2 -c64)', values: { keep_req_s: keep, native_req_s: nat }, ratio: keep / nat, against: 'the same C program, native (clang -O2)' }];
}

/** Holds `n` echoed connections to `port` (bench/net/hold.mjs) and measures `pid`'s tree meanwhile. */
async function holding(port: number, n: number, pid: number): Promise<{ held: number; rss: number }> {
  const child = spawn(keepEngine().path, [join(NET, 'hold.mjs'), String(port), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('close', (code) => reject(new Error(`hold.mjs ended (${code}) before holding: ${out}`)));
  });
  // Let the keep settle (its rings touched, its pumps idle) before counting its pages.
  await new Promise((r) => setTimeout(r, 500));
  const rss = treeRss(pid);
  child.stdin!.end();
  await new Promise((r) => child.once('close', r));
  return { held: (JSON.parse(line) as { held: number }).held, rss };
}

async function heldRows(dir: string): Promise<Row[]> {
  const measure = async (starting: Promise<{ server: Server; port: number }>): Promise<{ held: number; perConn: number }> => {
    const s = await starting;
    const pid = s.server.child.pid!;
    try {
      const base = await holding(s.port, 16, pid);
      const full = await holding(s.port, HELD, pid);
      return { held: full.held, perConn: (full.rss - base.rss) / (full.held - base.held) };
    } finally {
      await s.server.stop();
    }
  };
  const ours = await measure(keepServer(dir, 'net_echo.wasm', 'tls'));
  const peer = await measure(nodeEchoServer('tls'));
  return [
    {
      bench: 'network',
      case: `tls connections held (${HELD} asked)`,
      values: { keep_held: ours.held, keep_kib_per_conn: ours.perConn / 1024, node_held: peer.held, node_kib_per_conn: peer.perConn / 1024 },
      ratio: ours.perConn / peer.perConn,
      against: 'a Node.js TLS echo server, memory per connection',
    },
  ];
}

/** The figures; rows for what this machine cannot measure say why. */
export async function runNetwork(): Promise<Row[]> {
  const dir = tempDir('enarx-bench-net-');
  try {
    const rows: Row[] = [...(await echoRows(dir))];
    if (have('wrk') && have('clang-19')) rows.push(...(await httpRows(dir)));
    else rows.push({ bench: 'network', case: 'http GET / (wrk -t2 -c64)', values: {}, note: 'needs wrk and clang-19 (apt-get install wrk clang-19)' });
    rows.push(...(await heldRows(dir)));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

