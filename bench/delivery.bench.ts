/**
 * Delivery: what the size of a package costs between the client's seal and the keep's open.
 *
 * (a) In process: sealPackage + PackageOpener of a 26 MiB package (one keep key, the sealed
 *     pieces pushed into the opener as they come), in MiB/s; the peer is a plain AES-256-GCM
 *     encryption and decryption of the same bytes, one node:crypto call each. Runs alternate;
 *     medians of `reps`.
 * (b) Whole delivery, on `sim`, through the embedded host (src/host/embedded.ts: what `enarx run`
 *     uses) and through a host agent in this process over HTTP on 127.0.0.1 (`enarx deploy
 *     --host`): the client's `deploy()` encodes and seals the package, the host forwards it in
 *     control frames, the keep opens it. Timed with the trace marks (ENARX_TRACE=1; client and
 *     keep print on one clock, with their CPU time) from the client's "evidence verified"
 *     (sealing comes next) to the keep's "package opened", so neither keep creation nor compiling
 *     or running the module counts; and from the deploy's start to "package opened", which also
 *     counts the client's encoding and hashing while its keep starts (a client prepares its
 *     package meanwhile, and keep creation's noise mostly cancels out in the difference). Two
 *     modules that differ only in the size of a custom section
 *     (hello.wasm + random bytes): 60 KB and 26 MB, alternating. The 26 MB module's fixed cost
 *     over the 60 KB one, in ms and per MiB, and the CPU it adds to the client (with its host)
 *     and to the keep; the peers are the 60 KB module, and plain AES-256-GCM encrypt + decrypt of
 *     the 26 MB, measured between the deploys.
 *
 * Both run in a child process on the keep engine, with its environment (ENGINE_ENV), as `enarx` runs its CLI, host agent and
 * keeps on (the runtime matters: Node.js 20 has no ArrayBuffer.prototype.transfer, see
 * src/free-buffer.ts), with tracing on (it is switched on when a process starts).
 *
 * Runnable after a build: `node dist/bench/delivery.bench.js`.
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { processTree } from '../test/support/keep-net.js';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadReferenceValues } from '../src/attestation/reference-values.js';
import { createBackend } from '../src/backend/index.js';
import { deploy } from '../src/client/deploy.js';
import type { DeployOptions } from '../src/client/deploy.js';
import { resolveWorkload } from '../src/client/package-builder.js';
import type { Package } from '../src/crypto/package.js';
import { PackageOpener, sealPackage } from '../src/crypto/seal.js';
import { DEFAULT_SUITE } from '../src/crypto/suites.js';
import { HttpHost } from '../src/client/http-host.js';
import { openEmbeddedHost } from '../src/host/embedded.js';
import { Host } from '../src/host/host.js';
import { serveHost } from '../src/host/http.js';
import { TenantAuth, hashToken } from '../src/host/tokens.js';
import type { HostApi } from '../src/protocol/host-api.js';
import { ENGINE_ENV, keepEngine } from '../src/runtime/engine.js';
import { keepBundleDir, runtimeMeasurement } from '../src/runtime/measurement.js';
import { trace } from '../src/trace.js';
import { nowMs } from './latency.js';
import { REPO, median, tempDir } from './support.js';
import type { Row } from './support.js';

const MIB = 1024 * 1024;
/** (a)'s package. */
const PACKAGE_BYTES = 26 * MIB;
/** (b)'s modules. */
const BIG_MODULE = 26_000_000;
const SMALL_MODULE = 60_000;
const KEEP_ID = 'bench-keep';
/** The child's last mark. */
const DONE = 'bench child done';

/** Plain AES-256-GCM of `bytes`, encrypted then decrypted in one call each; returns ms. */
function aesGcmPeer(bytes: Uint8Array): number {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const t0 = nowMs();
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = c.update(bytes);
  c.final();
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(c.getAuthTag());
  const pt = d.update(ct);
  d.final();
  const ms = nowMs() - t0;
  if (pt.length !== bytes.length) throw new Error('AES-GCM peer lost bytes');
  return ms;
}

/** CPU time of this process, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** (a): seals and opens `plaintext` once; returns ms and CPU ms. */
async function sealAndOpen(plaintext: Uint8Array, key: ConstructorParameters<typeof PackageOpener>[0], publicKey: Uint8Array): Promise<{ ms: number; cpu: number }> {
  const evidence = new Uint8Array(32).fill(7);
  const c0 = cpuMs();
  const t0 = nowMs();
  const sealed = await sealPackage(DEFAULT_SUITE, publicKey, KEEP_ID, evidence, plaintext);
  const opener = new PackageOpener(key, KEEP_ID, evidence, 1 << 30);
  for await (const piece of sealed.chunks) await opener.push(piece);
  const { plaintext: opened } = await opener.finish();
  const ms = nowMs() - t0;
  if (opened.length !== plaintext.length) throw new Error('the package did not open whole');
  return { ms, cpu: cpuMs() - c0 };
}

/** (a): in-process seal + open throughput against plain AES-256-GCM. */
async function inProcessRows(reps: number): Promise<Row[]> {
  const hpke = await DEFAULT_SUITE.create();
  const keyPair = await hpke.kem.generateKeyPair();
  const publicKey = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
  const key = { hpke, keyPair, suite: DEFAULT_SUITE };
  const plaintext = randomBytes(PACKAGE_BYTES);
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const a = await sealAndOpen(plaintext, key, publicKey);
    const b = aesGcmPeer(plaintext);
    // The first two of each warm up.
    if (i >= 2) {
      ours.push(a.ms);
      oursCpu.push(a.cpu);
      peer.push(b);
    }
  }
  const ms = median(ours);
  const peerMs = median(peer);
  const mibs = PACKAGE_BYTES / MIB;
  return [
    {
      bench: 'delivery',
      case: '26 MiB seal + open, in process',
      values: { ms, mib_s: mibs / (ms / 1000), cpu_ms: median(oursCpu), peer_ms: peerMs, peer_mib_s: mibs / (peerMs / 1000), runs: reps },
      ratio: ms / peerMs,
      against: 'AES-256-GCM enc+dec, one call each',
    },
  ];
}

/** `base` with a custom section appended so that the module is `total` bytes long. */
export function padModule(base: Uint8Array, total: number): Uint8Array {
  const leb = (v: number): number[] => {
    const out: number[] = [];
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      out.push(b);
    } while (v !== 0);
    return out;
  };
  const name = Buffer.from('enarx-bench-padding', 'latin1');
  // Section: id 0, LEB128 size, name length, name, payload; the size's LEB128 length depends on it.
  for (let sizeLen = 1; sizeLen <= 5; sizeLen++) {
    const payload = total - base.length - 1 - sizeLen - 1 - name.length;
    const size = leb(1 + name.length + payload);
    if (payload < 0 || size.length !== sizeLen) continue;
    const out = Buffer.concat([base, Buffer.from([0, ...size, name.length]), name, randomBytes(payload)]);
    if (out.length !== total) break;
    return out;
  }
  throw new Error(`cannot pad a module of ${base.length} bytes to ${total}`);
}

/** One traced delivery: ms from the client's seal to the keep's open, where they went, and CPU. */
interface Delivery {
  readonly label: string;
  /** Client: evidence verified → package delivered (the host has written the last slice). */
  readonly sent: number;
  /** → keep: the last slice pushed into the opener. */
  readonly received: number;
  /** → keep: the package opened and its digest checked. */
  readonly opened: number;
  /** From the deploy's start (keep creation, and the client's work meanwhile) to the package opened. */
  readonly fromStart: number;
  /** CPU of the client and host process from evidence verified to package delivered. */
  readonly clientCpu: number;
  /** CPU of the keep from its launch message to the package opened. */
  readonly keepCpu: number;
}

/** Reads the child's stderr: the marks of each deploy, after its `bench deploy LABEL` mark. */
export function parseDeliveries(stderr: string): Delivery[] {
  const out: Delivery[] = [];
  let label: string | undefined;
  let start = 0;
  let marks = new Map<string, { at: number; cpu: number }>();
  const flush = (): void => {
    const [a, b, c, d, l] = ['evidence verified', 'package delivered', 'package received', 'package opened', 'launch received'].map((m) => marks.get(m));
    if (label === undefined || !a || !b || !c || !d || !l) return;
    out.push({ label, sent: b.at - a.at, received: c.at - a.at, opened: d.at - a.at, fromStart: d.at - start, clientCpu: b.cpu - a.cpu, keepCpu: d.cpu - l.cpu });
  };
  for (const line of stderr.split('\n')) {
    const m = /^(?:enarx|keep)-trace ([\d.]+) (.*?) \[cpu ([\d.]+)\]/.exec(line);
    if (!m) continue;
    const [, at, phase, cpu] = m as unknown as [string, string, string, string];
    const bench = /^bench deploy (\S+)/.exec(phase);
    if (bench) {
      flush();
      label = bench[1];
      start = Number(at);
      marks = new Map();
    } else if (!marks.has(phase)) marks.set(phase, { at: Number(at), cpu: Number(cpu) });
  }
  flush();
  return out;
}

/** In the child: (a), then (b)'s deploys of both modules `reps` times each way (after warm-ups), alternating. */
async function childDeploys(stateDir: string, reps: number): Promise<void> {
  const inProcess = await inProcessRows(reps);
  const measurement = (await runtimeMeasurement(keepBundleDir())).measurement;
  const first = await createBackend('sim', { stateDir }).attest(new Uint8Array(64), { measurement });
  const ark = first.trustRoots?.[0];
  if (ark === undefined) throw new Error('sim evidence carries no ARK');
  const opts: DeployOptions = { trust: { sim: { roots: [ark] }, referenceValues: await loadReferenceValues() }, backend: 'sim', limits: { maxMemoryBytes: 256 * MIB } };
  const hello = readFileSync(join(REPO, 'test', 'workloads', 'bin', 'hello.wasm'));
  const packages: [string, Package][] = [
    ['60KB', await resolveWorkload(padModule(hello, SMALL_MODULE), 'hello.wasm', undefined, [])],
    ['26MB', await resolveWorkload(padModule(hello, BIG_MODULE), 'hello.wasm', undefined, [])],
  ];
  const embedded = await openEmbeddedHost({ backend: 'sim', backendStateDir: stateDir, keepDiagnostics: 'inherit' });
  const agent = await startAgent(stateDir);
  const hosts: [string, HostApi][] = [
    ['embedded', embedded],
    ['http', agent.client],
  ];
  const peer: number[] = [];
  try {
    for (let i = 0; i < reps + 2; i++) {
      for (const [path, host] of hosts) {
        for (const [size, pkg] of packages) {
          trace(`bench deploy ${i < 2 ? 'warm-up' : `${path}/${size}`}`);
          let out = 0;
          const r = await deploy(host, pkg, { ...opts, onOutput: (_s, d) => void (out += d.length) });
          if (r.outcome.type !== 'exit' || r.outcome.code !== 0 || out === 0) throw new Error(`deploy ended badly: ${JSON.stringify(r.outcome)}`);
        }
      }
      if (i >= 2) peer.push(aesGcmPeer(packages[1]![1].wasm));
    }
  } finally {
    await embedded.close();
    await agent.close();
    killLeftovers();
  }
  process.stdout.write(`${JSON.stringify({ peerMs: median(peer), inProcess })}\n`);
  trace(DONE);
}

/** A host agent in this process, over HTTP on 127.0.0.1 (as in deploy.bench.ts). */
async function startAgent(stateDir: string): Promise<{ client: HostApi; close: () => Promise<void> }> {
  const token = `bench-${randomBytes(16).toString('hex')}`;
  const host = await Host.open({ backend: 'sim', backendStateDir: stateDir, keepDiagnostics: 'inherit' });
  const server = await serveHost({ host, auth: new TenantAuth([{ tenant: 'bench', sha256: hashToken(token) }]), hostname: '127.0.0.1', port: 0 });
  return {
    client: new HttpHost(server.url, token),
    close: async () => {
      const closing = server.close(1000);
      await host.close();
      await closing;
    },
  };
}

/**
 * Kills this process's descendants still alive: keeps that ended but whose exit hangs (the pinned
 * engine can deadlock in process.exit while a background compile job waits for a collection;
 * see bench/NOTES.md, "Delivery") would otherwise hold the bench's stderr open.
 */
function killLeftovers(): void {
  for (const pid of processTree(process.pid)) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** What the child reports besides its marks. */
interface ChildResult {
  readonly stderr: string;
  readonly peerMs: number;
  readonly inProcess: Row[];
}

/** Runs the child on the keep engine with its environment (as `enarx` runs its CLI: bin/enarx), tracing on. */
function runChild(stateDir: string, reps: number): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(keepEngine().path, [self, '--child', stateDir, String(reps)], { env: { ...process.env, ...ENGINE_ENV, ENARX_TRACE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let status: number | null | undefined;
    // Done once the child has exited and its last mark has been read (a keep that outlives it may
    // hold its stderr open: the stream's end is not waited for).
    const check = (): void => {
      if (status === undefined || (status === 0 && !stderr.includes(DONE))) return;
      child.stderr.destroy();
      if (status !== 0) return reject(new Error(`delivery bench child failed (${status}): ${stderr.split('\n').filter((l) => !l.includes('-trace ')).join('\n')}`));
      resolve({ stderr, ...(JSON.parse(stdout) as { peerMs: number; inProcess: Row[] }) });
    };
    child.stdout.setEncoding('utf8').on('data', (s: string) => void (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      check();
    });
    child.once('error', reject);
    let exited: number | null | undefined;
    let outEnded = false;
    const settle = (): void => {
      if (exited !== undefined && outEnded) status = exited;
      check();
    };
    child.once('exit', (code) => ((exited = code), settle()));
    child.stdout.once('end', () => ((outEnded = true), settle()));
  });
}

/** (b)'s rows for one way to the keep: the 26 MB module's fixed cost over the 60 KB one's. */
function pathRows(path: string, what: string, all: readonly Delivery[], reps: number, peerMs: number): Row[] {
  const of = (size: string): Delivery[] => all.filter((d) => d.label === `${path}/${size}`);
  const big = of('26MB');
  const small = of('60KB');
  if (big.length !== reps || small.length !== reps) throw new Error(`expected ${reps} traced deliveries of each module (${path}), got ${big.length} and ${small.length}`);
  const m = (ds: readonly Delivery[], f: (d: Delivery) => number): number => median(ds.map(f));
  const bigMs = m(big, (d) => d.opened);
  const smallMs = m(small, (d) => d.opened);
  const fixed = bigMs - smallMs;
  const mibs = (BIG_MODULE - SMALL_MODULE) / MIB;
  return [
    {
      bench: 'delivery',
      case: `26 MB module over 60 KB, ${what}`,
      values: {
        fixed_ms: fixed,
        ms_per_mib: fixed / mibs,
        big_ms: bigMs,
        small_ms: smallMs,
        fixed_from_start_ms: m(big, (d) => d.fromStart) - m(small, (d) => d.fromStart),
        big_sent_ms: m(big, (d) => d.sent),
        big_received_ms: m(big, (d) => d.received),
        client_cpu_ms: m(big, (d) => d.clientCpu) - m(small, (d) => d.clientCpu),
        keep_cpu_ms: m(big, (d) => d.keepCpu) - m(small, (d) => d.keepCpu),
        deploys: reps,
      },
      ratio: bigMs / smallMs,
      against: '60 KB module',
    },
    {
      bench: 'delivery',
      case: `26 MB fixed cost, ${what}`,
      values: { fixed_ms: fixed, peer_ms: peerMs },
      ratio: fixed / peerMs,
      against: 'AES-256-GCM enc+dec of 26 MB',
    },
  ];
}

/** Runs the delivery benchmark: (a) and (b) in a child process on the keep engine. */
export async function run(reps = Number(process.env['BENCH_DELIVERY_REPS'] ?? 10)): Promise<Row[]> {
  if (!Number.isSafeInteger(reps) || reps <= 0) throw new TypeError('BENCH_DELIVERY_REPS must be a positive integer');
  const stateDir = tempDir('enarx-bench-delivery-');
  try {
    const { stderr, peerMs, inProcess } = await runChild(stateDir, reps);
    const all = parseDeliveries(stderr);
    return [...inProcess, ...pathRows('embedded', 'embedded host', all, reps, peerMs), ...pathRows('http', 'HTTP agent', all, reps, peerMs)];
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--child') await childDeploys(process.argv[3]!, Number(process.argv[4]));
  else for (const r of await run()) console.log(JSON.stringify(r));
}
