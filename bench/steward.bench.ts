/**
 * The steward (the attestation CA, src/steward/): what a certificate costs, and what asking a
 * steward adds to a keep's start.
 *
 * (a) CSR → certificate. `enarx steward serve --allow-sim` (plain HTTP on loopback; `--rate`
 *     raised so that its per-address limit does not throttle the load) runs as its own process
 *     pinned to CPU 0 (`taskset -c 0`). The CSRs (IETF form, P-256, each with fresh sim evidence,
 *     since the steward refuses replayed evidence) are made here beforehand and POSTed by
 *     bench/steward/load.mjs pinned to CPU 1. Sequential requests give latency p50/p99, against
 *     one SEV-SNP verification of the same evidence in this process (warm chain: the anchor of
 *     the attestation bench; cold, without a signature cache, is shown beside it).
 *     `IN_FLIGHT` requests at a time give certificates/s, against a plain Node.js HTTP server
 *     answering a static 2 KB body on the same pinned core (bench/steward/static-http.mjs), under
 *     wrk with as many connections (a Node.js client on one core keeps it only half busy). Each
 *     load runs in `SEGMENTS` parts, alternating with its peer's, so both see the same machine.
 * (b) Keep start to first TLS byte. `enarx run` of net_http.wasm with a TLS listener, from spawn
 *     until a TLS client (retrying every 5 ms) reads the first byte of the answer to GET /; with
 *     `steward = URL` in Enarx.toml (one steward for the whole bench, knowing this installation's
 *     reference values) and without (the keep's attested self-signed RA-TLS certificate),
 *     alternating, `REPS` of each after one untimed run of each.
 *
 * Needs a build, the committed test workloads and wrk; taskset (util-linux; both installed by
 * .ci/run) for the pinning, else it runs unpinned and says so. `npm run bench -- steward`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { attestedKeyReportData } from '../src/attestation/binding.js';
import { parseCertificates } from '../src/attestation/pki/certificate.js';
import { SignatureCache } from '../src/attestation/pki/chain.js';
import type { ReferenceValue } from '../src/attestation/reference-values.js';
import { verifyEvidence } from '../src/attestation/verify.js';
import { createBackend } from '../src/backend/index.js';
import { appraiseEvidence } from '../src/client/verify-keep.js';
import { buildAttestedCsr } from '../src/attestation/csr/attested-csr.js';
import type { Evidence } from '../src/protocol/evidence.js';
import { packageClaimUri } from '../src/protocol/steward.js';
import { nowMs, percentile } from './latency.js';
import { freePort, processTree } from '../test/support/keep-net.js';
import { ENARX, have, median, REPO, run, tempDir } from './support.js';
import type { Row } from './support.js';

const HERE = join(REPO, 'bench', 'steward');
const NET_HTTP = join(REPO, 'test', 'workloads', 'bin', 'net_http.wasm');
/** Keep starts of each kind (at least 5). */
const REPS = Math.max(5, Number(process.env['BENCH_REPS'] ?? 5));
/** CSRs made for (a): `WARMUP` untimed, then up to `SEQUENTIAL` one at a time, the rest concurrent. */
const CSRS = Math.max(200, Number(process.env['BENCH_STEWARD_CSRS'] ?? 1000));
const WARMUP = 30;
const SEQUENTIAL = Math.min(300, Math.floor((CSRS - WARMUP) / 3));
const IN_FLIGHT = 16;
/** Each load of (a) runs in this many parts, alternating with its peer's, so both see the same machine. */
const SEGMENTS = 5;
const PINNED = have('taskset') && availableParallelism() >= 2;
const PIN_NOTE = PINNED ? 'server on CPU 0, load on CPU 1' : 'unpinned: needs taskset (util-linux) and 2 CPUs';

/** The runtime the CSRs' evidence names: no keep runs it, the steward knows it. */
const MEASUREMENT = new Uint8Array(createHash('sha384').update('a steward bench runtime').digest());
const REFERENCE: ReferenceValue = { measurement: Buffer.from(MEASUREMENT).toString('hex'), runtime: 'enarx-ts', release: '0.0.0-bench', backend: 'sim' };
const PACKAGE_DIGEST = new Uint8Array(createHash('sha256').update('a steward bench package').digest());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `argv` run pinned to `cpu` when taskset is here, else as it is. */
function pinned(cpu: number, argv: readonly string[]): [string, string[]] {
  return PINNED ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0]!, argv.slice(1)];
}

/** CPU time (user + system, ms) `pid` has used. */
function cpuMs(pid: number, ticksPerSecond: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** A process this bench started; `stop` ends it and everything it started. */
interface Proc {
  readonly child: ChildProcess;
  readonly closed: () => boolean;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

function started(child: ChildProcess): Proc {
  let closed = false;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  return {
    child,
    closed: () => closed,
    stderr: () => stderr,
    stop: async () => {
      const tree = child.pid === undefined || closed ? [] : processTree(child.pid);
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      // Whatever of the tree outlived its root (a keep whose CLI went first) ends now.
      for (const p of tree) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await exited;
    },
  };
}

/** Starts a server that prints its URL on stdout, and resolves with both once it has. */
async function server(cmd: string, args: readonly string[], printed: RegExp): Promise<{ proc: Proc; url: string }> {
  const proc = started(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = printed.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.child.once('close', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening: ${proc.stderr()}`)));
  });
  return { proc, url };
}

/** `enarx steward serve` on loopback with a new state folder that knows `values` (files). */
async function startSteward(dir: string, values: readonly string[], cpu?: number): Promise<{ proc: Proc; url: string }> {
  const state = mkdtempSync(join(dir, 'state-'));
  for (const file of values) run(process.execPath, [ENARX, 'steward', 'reference-values', 'add', file, '--state', state]);
  const argv = [process.execPath, ENARX, 'steward', 'serve', '--listen', '127.0.0.1:0', '--state', state, '--allow-sim', '--rate', '999999'];
  const [cmd, args] = cpu === undefined ? [argv[0]!, argv.slice(1)] : pinned(cpu, argv);
  return server(cmd, args, /steward listening on (http:\/\/\S+)/);
}

/** CSRs (DER), and the evidence of one with the report data it binds. */
interface Csrs {
  readonly ders: readonly Uint8Array[];
  readonly evidence: Evidence;
  readonly reportData: Uint8Array;
}

/** `n` CSRs, each with fresh sim evidence. */
async function makeCsrs(n: number): Promise<Csrs> {
  const sim = createBackend('sim');
  const ders: Uint8Array[] = [];
  let sample: { evidence: Evidence; reportData: Uint8Array } | undefined;
  for (let i = 0; i < n; i++) {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    const reportData = attestedKeyReportData(spki);
    const evidence = await sim.attest(reportData, { measurement: MEASUREMENT });
    const uris = [packageClaimUri(PACKAGE_DIGEST)];
    ders.push(await buildAttestedCsr({ keys, form: 'ietf', evidence, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], uris }));
    sample ??= { evidence, reportData };
  }
  return { ders, ...sample! };
}

/** Writes bodies as load.mjs reads them (each a 4-byte big-endian length, then the bytes). */
function bodyFile(path: string, bodies: readonly Uint8Array[]): string {
  const framed = (b: Uint8Array): Uint8Array[] => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return [length, b];
  };
  writeFileSync(path, Buffer.concat(bodies.flatMap(framed)));
  return path;
}

/** What bench/steward/load.mjs measured. */
interface Load {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latenciesMs: number[];
  readonly responseBytes: number;
}

function load(url: string, file: string, inFlight: number): Load {
  return JSON.parse(run(...pinned(1, [process.execPath, join(HERE, 'load.mjs'), url, file, String(inFlight)])).stdout) as Load;
}

/** The p50 (ms) of `iterations` calls of `fn`, after 20 untimed ones. */
async function p50(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = nowMs();
    await fn();
    samples.push(nowMs() - t0);
  }
  return percentile(samples, 50);
}

/** One verification of `evidence`, p50 ms: warm (parsed chain, shared signature cache) and as the steward does it. */
async function verification(evidence: Evidence, reportData: Uint8Array, iterations: number): Promise<{ warm: number; cold: number }> {
  const cold = await p50(iterations, () => appraiseEvidence(evidence, reportData, { referenceValues: [REFERENCE], sim: 'presented' }));
  const cache = new SignatureCache();
  const certs = evidence.certs.flatMap((c) => parseCertificates(c));
  const trustRoots = (evidence.trustRoots ?? []).flatMap((c) => parseCertificates(c));
  const warm = await p50(iterations, () => verifyEvidence(evidence.report, { certs, trustRoots, reportData, cache }));
  return { warm, cold };
}

/** `ders` in `n` files of about equal length. */
function segments(dir: string, name: string, ders: readonly Uint8Array[], n: number): string[] {
  const size = Math.ceil(ders.length / n);
  return Array.from({ length: n }, (_, i) => bodyFile(join(dir, `${name}-${i}.bin`), ders.slice(i * size, (i + 1) * size)));
}

/** The two servers of (a), both on CPU 0 (one idles while the other is loaded), and the CSRs. */
interface Subjects {
  readonly steward: string;
  readonly stewardPid: number;
  /** The plain HTTP server, when wrk is here to load it. */
  readonly plain?: { readonly url: string; readonly pid: number };
  readonly csrs: Csrs;
}

/** Sequential certificates, each segment after a measurement of the verification peer. */
async function latencyRow(dir: string, s: Subjects): Promise<Row> {
  const latencies: number[] = [];
  const warm: number[] = [];
  const cold: number[] = [];
  let chainBytes = 0;
  for (const file of segments(dir, 'sequential', s.csrs.ders.slice(WARMUP, WARMUP + SEQUENTIAL), SEGMENTS)) {
    const v = await verification(s.csrs.evidence, s.csrs.reportData, 60);
    warm.push(v.warm);
    cold.push(v.cold);
    const got = load(s.steward, file, 1);
    latencies.push(...got.latenciesMs);
    chainBytes = got.responseBytes;
  }
  const [p50Ms, verifyMs] = [percentile(latencies, 50), median(warm)];
  return {
    bench: 'steward',
    case: 'CSR → certificate, sequential',
    values: { p50_ms: p50Ms, p99_ms: percentile(latencies, 99), verify_warm_ms: verifyMs, verify_cold_ms: median(cold), requests: latencies.length, chain_bytes: chainBytes },
    ratio: p50Ms / verifyMs,
    against: 'one SEV-SNP verification, warm (same run)',
    note: `${PIN_NOTE}; the steward keeps verified chains, and syncs its log per certificate`,
  };
}

/** wrk's requests/s POSTing `body` to `url` for `seconds` (`IN_FLIGHT` connections, one thread, CPU 1). */
function wrkPost(dir: string, url: string, body: Uint8Array, seconds: number): number {
  const [file, script] = [join(dir, 'body.der'), join(dir, 'post.lua')];
  writeFileSync(file, body);
  writeFileSync(script, `local f = io.open(${JSON.stringify(file)}, "rb")\nwrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/pkcs10"\n`);
  const out = run(...pinned(1, ['wrk', '-t1', `-c${IN_FLIGHT}`, `-d${seconds}s`, '-s', script, `${url}/`])).stdout;
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m || /Non-2xx|Socket errors/.test(out)) throw new Error(`wrk against the plain server: ${out}`);
  return Number(m[1]);
}

/** Concurrent certificates, each segment followed by the plain HTTP server under wrk. */
function throughputRow(dir: string, s: Subjects): Row {
  const ticks = Number(run('getconf', ['CLK_TCK']).stdout.trim()) || 100;
  const ours = { requests: 0, seconds: 0, cpu: 0, latencies: [] as number[] };
  const peer = { requests: 0, cpu: 0 };
  for (const file of segments(dir, 'concurrent', s.csrs.ders.slice(WARMUP + SEQUENTIAL), SEGMENTS)) {
    const cpu0 = cpuMs(s.stewardPid, ticks);
    const got = load(s.steward, file, IN_FLIGHT);
    ours.cpu += cpuMs(s.stewardPid, ticks) - cpu0;
    ours.requests += got.requests;
    ours.seconds += got.seconds;
    ours.latencies.push(...got.latenciesMs);
    if (s.plain === undefined) continue;
    const plainCpu0 = cpuMs(s.plain.pid, ticks);
    peer.requests += wrkPost(dir, s.plain.url, s.csrs.ders[0]!, 1); // for 1 s
    peer.cpu += cpuMs(s.plain.pid, ticks) - plainCpu0;
  }
  const issued = ours.requests / ours.seconds;
  const values = { issued_s: issued, cpu_ms_per_cert: ours.cpu / ours.requests, p99_ms: percentile(ours.latencies, 99), requests: ours.requests };
  const row = { bench: 'steward', case: `certificates/s, ${IN_FLIGHT} in flight`, values, note: PIN_NOTE };
  if (s.plain === undefined) return { ...row, note: `${PIN_NOTE}; the plain HTTP peer needs wrk (apt-get install wrk)` };
  const plain = peer.requests / SEGMENTS;
  return { ...row, values: { ...values, plain_req_s: plain, plain_cpu_ms_per_req: peer.cpu / peer.requests }, ratio: issued / plain, against: 'plain node:http, static 2 KB body, under wrk' };
}

/** (a): latency and throughput of certificates, against a verification and a plain HTTP server. */
async function certificateRows(dir: string): Promise<Row[]> {
  const csrs = await makeCsrs(CSRS);
  const values = join(dir, 'reference-values.json');
  writeFileSync(values, JSON.stringify({ version: 1, values: [REFERENCE] }));
  const steward = await startSteward(dir, [values], 0);
  let plain: Awaited<ReturnType<typeof server>> | undefined;
  try {
    if (have('wrk')) plain = await server(...pinned(0, [process.execPath, join(HERE, 'static-http.mjs')]), /listening on (http:\/\/\S+)/);
    load(steward.url, bodyFile(join(dir, 'warmup.bin'), csrs.ders.slice(0, WARMUP)), 1);
    if (plain) wrkPost(dir, plain.url, csrs.ders[0]!, 1);
    const subjects: Subjects = { steward: steward.url, stewardPid: steward.proc.child.pid!, csrs, ...(plain ? { plain: { url: plain.url, pid: plain.proc.child.pid! } } : {}) };
    return [await latencyRow(dir, subjects), throughputRow(dir, subjects)];
  } finally {
    await plain?.proc.stop();
    await steward.proc.stop();
  }
}


/** Whether a TLS client gets a first byte of the answer to GET / from `port`. */
function answered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('secureConnect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    s.once('data', () => done(true));
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** One keep start: ms from spawn to the first byte over TLS; the keep is ended after. */
async function keepStart(dir: string, stewardUrl: string | undefined): Promise<number> {
  const port = await freePort();
  const toml = join(dir, `Enarx-${port}.toml`);
  const files = ['kind = "stdin"', 'kind = "stdout"', 'kind = "stderr"', `kind = "listen"\nname = "web"\nprot = "tls"\naddr = "127.0.0.1"\nport = ${port}`];
  writeFileSync(toml, (stewardUrl ? `steward = "${stewardUrl}"\n\n` : '') + files.map((e) => `[[files]]\n${e}\n`).join('\n'));
  const t0 = nowMs();
  const keep = started(spawn(process.execPath, [ENARX, 'run', '--wasmcfgfile', toml, NET_HTTP], { stdio: ['ignore', 'ignore', 'pipe'] }));
  try {
    for (;;) {
      if (await answered(port)) return nowMs() - t0;
      if (keep.closed()) throw new Error(`the keep ended before answering (${keep.child.exitCode}): ${keep.stderr()}`);
      if (nowMs() - t0 > 30_000) throw new Error(`no TLS answer on port ${port} after 30 s: ${keep.stderr()}`);
      await sleep(5);
    }
  } finally {
    await keep.stop();
  }
}

/** (b): keep start to first TLS byte, with a steward and without, alternating. */
async function keepStartRows(dir: string): Promise<Row[]> {
  const steward = await startSteward(dir, [join(REPO, 'dist', 'reference-values.json')]);
  const withSteward: number[] = [];
  const without: number[] = [];
  try {
    // One of each first, untimed: the sim platform, the page cache, the steward's first request.
    await keepStart(dir, steward.url);
    await keepStart(dir, undefined);
    for (let i = 0; i < REPS; i++) {
      withSteward.push(await keepStart(dir, steward.url));
      without.push(await keepStart(dir, undefined));
    }
  } finally {
    await steward.proc.stop();
  }
  const [ours, peer] = [median(withSteward), median(without)];
  const values = { with_steward_ms: ours, without_ms: peer, runs: REPS };
  return [{ bench: 'steward', case: 'keep start → first TLS byte', values, ratio: ours / peer, against: 'the same keep without a steward (RA-TLS)' }];
}

/** The figures. */
export async function runSteward(): Promise<Row[]> {
  const dir = tempDir('enarx-bench-steward-');
  try {
    return [...(await certificateRows(dir)), ...(await keepStartRows(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
