/**
 * Deploy: the whole protocol as a client sees it, on the `sim` backend.
 *
 * (a) Sequential deploys of hello.wasm (test/workloads/bin) to a host agent in this process,
 *     over HTTP on 127.0.0.1 (`HttpHost` + `deploy()`: create → verify the evidence → seal →
 *     upload → events until the exit), p50 and p99 over `reps`; goal p50 ≤ 150 ms. The same
 *     through the embedded host (no HTTP) is the peer, runs alternating.
 * (b) `concurrent` deploys launched at once against one agent: failures (goal: none), p50/p99
 *     latency of each deploy and the wall time of the lot.
 * (c) Idle keeps: `BENCH_IDLE_KEEPS` (default 50) keeps created through the agent, attested and
 *     never given a package; the resident memory of their processes (VmRSS, and PSS, which
 *     shares the engine's pages fairly between them) per keep, and how many keeps that makes in
 *     24 GiB (goal ≥ 200). Then they are all killed.
 *
 * Goals other than "≤ N ms" are in the case names (the table prints only ms and ratio goals).
 * Runnable after a build: `node dist/bench/deploy.bench.js`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBackend } from '../src/backend/index.js';
import { deploy } from '../src/client/deploy.js';
import type { DeployOptions } from '../src/client/deploy.js';
import { HttpHost } from '../src/client/http-host.js';
import type { HostApi } from '../src/protocol/host-api.js';
import { openEmbeddedHost } from '../src/host/embedded.js';
import { buildPackage } from '../src/client/package-builder.js';
import type { Package } from '../src/crypto/package.js';
import { Host } from '../src/host/host.js';
import type { HostOptions } from '../src/host/host-types.js';
import { serveHost } from '../src/host/http.js';
import type { HostServer } from '../src/host/http.js';
import { TenantAuth, hashToken } from '../src/host/tokens.js';
import { keepBundleDir, runtimeMeasurement } from '../src/runtime/measurement.js';
import { loadReferenceValues } from '../src/attestation/reference-values.js';
import { nowMs, percentile, timed } from './latency.js';
import { REPO, tempDir } from './support.js';
import type { Row } from './support.js';

const TENANT = 'bench';
const TOKEN = `bench-${randomBytes(16).toString('hex')}`;
/** A concurrent deploy that has not finished by then counts as failed. */
const CONCURRENT_DEPLOY_TIMEOUT_MS = 180_000;
/** What the goal of (c) is stated against. */
const HOST_MEMORY_BYTES = 24 * 1024 ** 3;
const MIB = 1024 ** 2;

/** A host agent in this process: Host + HTTP on 127.0.0.1:0, one tenant. */
interface Agent {
  readonly host: Host;
  readonly client: HttpHost;
  close(): Promise<void>;
}

async function startAgent(opts: HostOptions): Promise<Agent> {
  const host = await Host.open(opts);
  let server: HostServer;
  try {
    server = await serveHost({ host, auth: new TenantAuth([{ tenant: TENANT, sha256: hashToken(TOKEN) }]), hostname: '127.0.0.1', port: 0 });
  } catch (err) {
    await host.close();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    host,
    client: new HttpHost(server.url, TOKEN),
    // Idempotent: every keep is killed, then the server's last connections are cut.
    close: () =>
      (closed ??= (async () => {
        const closing = server.close(1000);
        await host.close();
        await closing;
      })()),
  };
}

/** Deploys and checks that the workload exited 0 after printing something. */
async function deployOnce(host: HostApi, pkg: Package, opts: DeployOptions): Promise<void> {
  let out = 0;
  const r = await deploy(host, pkg, { ...opts, onOutput: (_s, d) => void (out += d.length) });
  if (r.outcome.type !== 'exit' || r.outcome.code !== 0 || out === 0) throw new Error(`deploy ended badly: ${JSON.stringify(r.outcome)} after ${out} bytes of output`);
}

/** Rejects after `ms`; the timer never keeps the process alive. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no outcome within ${ms} ms`), { code: 'ERR_BENCH_TIMEOUT' })), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** (a): sequential deploys over HTTP and through the embedded host. */
async function sequentialRows(reps: number, hostOpts: HostOptions, pkg: Package, opts: DeployOptions): Promise<Row[]> {
  // Two warm keeps, as `enarx host serve` runs by default.
  const agent = await startAgent({ ...hostOpts, warmKeeps: 2 });
  const embedded = await openEmbeddedHost({ backend: 'sim', ...(hostOpts.backendStateDir ? { backendStateDir: hostOpts.backendStateDir } : {}) });
  try {
    for (let i = 0; i < 3; i++) {
      await deployOnce(agent.client, pkg, opts);
      await deployOnce(embedded, pkg, opts);
    }
    const http: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < reps; i++) {
      http.push((await timed(() => deployOnce(agent.client, pkg, opts))).ms);
      local.push((await timed(() => deployOnce(embedded, pkg, opts))).ms);
    }
    const p50 = percentile(http, 50);
    const peer = percentile(local, 50);
    return [
      { bench: 'deploy', case: 'sim, HTTP agent, sequential', values: { p50_ms: p50, p99_ms: percentile(http, 99), deploys: reps }, goal: 150 },
      { bench: 'deploy', case: 'sim, embedded host, sequential', values: { p50_ms: peer, p99_ms: percentile(local, 99), deploys: reps } },
      { bench: 'deploy', case: 'sim, HTTP agent over embedded (p50)', values: { http_ms: p50, embedded_ms: peer }, ratio: p50 / peer, against: 'embedded host' },
    ];
  } finally {
    await embedded.close();
    await agent.close();
  }
}

/** (b): `n` deploys at once against one agent. */
async function concurrentRows(n: number, hostOpts: HostOptions, pkg: Package, opts: DeployOptions): Promise<Row[]> {
  // Attestation waits its turn for a CPU with a hundred keeps booting on two cores.
  const agent = await startAgent({ ...hostOpts, attestTimeoutMs: CONCURRENT_DEPLOY_TIMEOUT_MS });
  try {
    await deployOnce(agent.client, pkg, opts);
    const failures = new Map<string, number>();
    const latencies: number[] = [];
    const t0 = nowMs();
    await Promise.all(
      Array.from({ length: n }, async () => {
        const start = nowMs();
        try {
          await within(deployOnce(agent.client, pkg, opts), CONCURRENT_DEPLOY_TIMEOUT_MS);
          latencies.push(nowMs() - start);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          const key = typeof code === 'string' ? code : (err as Error).message.slice(0, 80);
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      }),
    );
    const wall = nowMs() - t0;
    const failed = n - latencies.length;
    if (failed > 0) console.error(`deploy: ${failed} of ${n} concurrent deploys failed: ${JSON.stringify(Object.fromEntries(failures))}`);
    return [
      {
        bench: 'deploy',
        case: `sim, ${n} concurrent (goal: 0 failed)`,
        values: { failed, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), wall_ms: wall, deploys_per_s: (latencies.length / wall) * 1000 },
      },
    ];
  } finally {
    await agent.close();
  }
}

/** One process's resident memory, in bytes: VmRSS and (when readable) PSS. */
function residentBytes(pid: number): { rss: number; pss: number } {
  const kib = (text: string, field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`no ${field} for process ${pid}`);
    return Number(m[1]) * 1024;
  };
  const rss = kib(readFileSync(`/proc/${pid}/status`, 'latin1'), 'VmRSS');
  let pss = NaN;
  try {
    pss = kib(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'), 'Pss');
  } catch {
    // Older kernels have no smaps_rollup: RSS only.
  }
  return { rss, pss };
}

/** The pids of this process's live children (not zombies), from /proc/PID/stat. */
function childPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat !== undefined && stat.state !== 'Z' && stat.ppid === process.pid) out.push(Number(name));
  }
  return out;
}

/** State and parent of a process, or undefined once it is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields resume after the last ')'.
  const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid) };
}

/** (c): idle keeps, attested and waiting for a package. */
async function idleRows(n: number, hostOpts: HostOptions): Promise<Row[]> {
  const agent = await startAgent({ ...hostOpts, abandonAfterMs: 3_600_000, attestTimeoutMs: CONCURRENT_DEPLOY_TIMEOUT_MS });
  const before = childPids().length;
  try {
    const ids: string[] = [];
    // A few at a time: this measures keeps at rest, not a stampede (that is (b)).
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          next++;
          const k = await agent.client.createKeep({ nonce: randomBytes(32), kem: 'x25519', backend: 'sim' });
          ids.push(k.id);
        }
      }),
    );
    // Let the last keeps finish what they do after `launch` (loading the package opener).
    await new Promise((r) => setTimeout(r, 1000));
    const pids = ids.map((id) => {
      const pid = agent.host.getKeep(TENANT, id).pid;
      if (pid === undefined) throw new Error(`keep ${id} has no process`);
      return pid;
    });
    const children = childPids().length - before;
    let rss = 0;
    let pss = 0;
    for (const pid of pids) {
      const m = residentBytes(pid);
      rss += m.rss;
      pss += m.pss;
    }
    const perKeep = rss / n;
    await agent.close();
    await new Promise((r) => setTimeout(r, 200));
    const left = pids.filter((pid) => {
      const stat = procStat(pid);
      return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
    }).length;
    if (left > 0) console.error(`deploy: ${left} idle keep processes outlived their agent`);
    return [
      {
        bench: 'deploy',
        case: `${n} idle sim keeps (goal ≥ 200 in 24 GiB)`,
        values: {
          rss_mib_per_keep: perKeep / MIB,
          pss_mib_per_keep: pss / n / MIB,
          keeps_in_24gib_rss: Math.floor(HOST_MEMORY_BYTES / perKeep),
          keeps_in_24gib_pss: Math.floor(HOST_MEMORY_BYTES / (pss / n)),
          keep_processes: children,
          left_running: left,
        },
      },
    ];
  } finally {
    await agent.close();
  }
}

/** Runs the deploy benchmark. */
export async function run(reps = 30, concurrent = 100, idle = Number(process.env['BENCH_IDLE_KEEPS'] ?? 50)): Promise<Row[]> {
  if (!Number.isSafeInteger(idle) || idle <= 0) throw new TypeError('BENCH_IDLE_KEEPS must be a positive integer');
  const stateDir = tempDir('enarx-bench-deploy-');
  try {
    // The client trusts this sim platform's ARK: make the platform first and take its root.
    const measurement = (await runtimeMeasurement(keepBundleDir())).measurement;
    const first = await createBackend('sim', { stateDir }).attest(new Uint8Array(64), { measurement });
    const ark = first.trustRoots?.[0];
    if (ark === undefined) throw new Error('sim evidence carries no ARK');
    // 256 MiB of memory a keep: the agent's memory budget (its RAM) holds 100 keeps at once.
    const opts: DeployOptions = { trust: { sim: { roots: [ark] }, referenceValues: await loadReferenceValues() }, backend: 'sim', limits: { maxMemoryBytes: 256 * 1024 * 1024 } };
    const pkg = await buildPackage(join(REPO, 'test', 'workloads', 'bin', 'hello.wasm'));
    const hostOpts: HostOptions = { backend: 'sim', backendStateDir: stateDir };
    return [
      ...(await sequentialRows(reps, hostOpts, pkg, opts)),
      ...(await concurrentRows(concurrent, hostOpts, pkg, opts)),
      ...(await idleRows(idle, hostOpts)),
    ];
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
