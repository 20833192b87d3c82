/**
 * Backends: what a keep costs before its workload runs.
 *
 * (a) Keep launch to the first Wasm instruction: a keep process is spawned on the pinned engine
 *     and driven through the control protocol as the host agent drives it (attest → evidence
 *     from the backend → launch → sealed package), until it reports `started` (the worker has
 *     instantiated the module and is about to call `_start`). The workload is exit.wasm, whose
 *     `_start` exits at once. p50 over `reps` runs for `nil` and for `sim`, against a bare
 *     `node -e 0` on the same engine binary (spawned the same way), runs alternating.
 * (b) Sim evidence: obtaining a report from the `sim` platform (build + ECDSA P-384 signing),
 *     and verifying it as a client does: cold (every signature of the chain checked), warm (a
 *     shared SignatureCache: only the report's signature is new) and the whole client check
 *     (`verifyKeep`: chain, binding, measurement against the reference values). Peers: one
 *     ECDSA P-384 sign and one verify, the floor of each side.
 *
 * Runnable after a build: `node dist/bench/keep.bench.js`.
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { keepReportData } from '../src/attestation/binding.js';
import { SignatureCache } from '../src/attestation/pki/chain.js';
import { verifyEvidence } from '../src/attestation/verify.js';
import { createBackend } from '../src/backend/index.js';
import type { Backend, LaunchRecord } from '../src/backend/index.js';
import { verifyKeep } from '../src/client/verify-keep.js';
import type { KeepTrustPolicy } from '../src/client/verify-keep.js';
import { encodePackage } from '../src/crypto/package.js';
import { sealPackage } from '../src/crypto/seal.js';
import { DEFAULT_SUITE } from '../src/crypto/suites.js';
import { PACKAGE_SLICE_BYTES } from '../src/host/delivery.js';
import { KeepProcess } from '../src/host/keep-process.js';
import { DEFAULT_LIMITS } from '../src/protocol/limits.js';
import { keepEngine } from '../src/runtime/engine.js';
import { keepBundleDir, runtimeMeasurement } from '../src/runtime/measurement.js';
import { loadReferenceValues } from '../src/attestation/reference-values.js';
import { nowMs, percentile } from './latency.js';
import { REPO, tempDir } from './support.js';
import type { Row } from './support.js';

/** A keep that has not reported `started` by then is a failed run, not a slow one. */
const LAUNCH_TIMEOUT_MS = 30_000;

/** The phases of one keep launch, in ms from the spawn. */
interface LaunchTimes {
  /** The keep asked for its report data to be signed (engine boot + bundle + key pair). */
  readonly attestationRequest: number;
  /** The backend's evidence is in hand. */
  readonly evidence: number;
  /** The keep reported `started`: the module is instantiated, `_start` is next. */
  readonly started: number;
}

/** Rejects after `ms` with `what` in the message; the timer never keeps the process alive. */
function deadline(ms: number, what: string): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => {});
  return { promise, clear: () => clearTimeout(timer) };
}

/** Spawns one keep and drives it as the host agent does, up to its outcome. */
async function launchKeep(bundleDir: string, backend: Backend, launch: LaunchRecord, wasm: Uint8Array): Promise<LaunchTimes> {
  let onStarted!: (t: number) => void;
  const started = new Promise<number>((resolve) => (onStarted = resolve));
  const t0 = nowMs();
  const keep = new KeepProcess({ diagnostics: 'ignore', bundleDir });
  keep.listener = { onStarted: () => onStarted(nowMs() - t0) };
  const limit = deadline(LAUNCH_TIMEOUT_MS, `keep launch (${backend.name})`);
  try {
    const suite = DEFAULT_SUITE;
    const request = await Promise.race([keep.attest(randomBytes(32), suite.name), limit.promise]);
    const attestationRequest = nowMs() - t0;
    const evidence = await backend.attest(Buffer.from(request.reportData, 'hex'), launch);
    const evidenceAt = nowMs() - t0;
    const keepId = randomUUID();
    const evidenceDigest = new Uint8Array(createHash('sha256').update(evidence.report).digest());
    keep.launch({ keepId, evidenceDigest, preopens: [], limits: DEFAULT_LIMITS });
    const plaintext = encodePackage({ wasm, files: [], args: ['exit.wasm'], env: {}, fds: ['stdin', 'stdout', 'stderr'], ttys: [] });
    const parts: Uint8Array[] = [];
    for await (const p of (await sealPackage(suite, Buffer.from(request.publicKey, 'hex'), keepId, evidenceDigest, plaintext)).chunks) parts.push(p);
    const sealed = Buffer.concat(parts);
    for (let at = 0; at < sealed.length; at += PACKAGE_SLICE_BYTES) {
      const end = Math.min(sealed.length, at + PACKAGE_SLICE_BYTES);
      await keep.sendPackage([sealed.subarray(at, end)], end === sealed.length);
    }
    const startedAt = await Promise.race([
      started,
      keep.done.then((o) => {
        throw new Error(`the keep ended before starting its workload: ${JSON.stringify(o)}`);
      }),
      limit.promise,
    ]);
    const outcome = await Promise.race([keep.done, limit.promise]);
    // How it ended is sealed (to a client this benchmark plays no part of): it must have said so.
    if (!outcome.sealedOutcome) throw new Error(`the keep did not send its outcome: ${JSON.stringify(outcome)}`);
    return { attestationRequest, evidence: evidenceAt, started: startedAt };
  } finally {
    limit.clear();
    if (keep.alive) {
      keep.kill();
      await keep.done.catch(() => {});
    }
  }
}

/** Spawns `engine -e 0` as a keep is spawned (no environment, fd 3 a pipe) and waits for it to end. */
function bareEngine(engine: string): Promise<number> {
  const t0 = nowMs();
  return new Promise((resolve, reject) => {
    const child = spawn(engine, ['-e', '0'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: {} });
    child.once('error', reject);
    child.once('close', (status) => (status === 0 ? resolve(nowMs() - t0) : reject(new Error(`node -e 0 exited with ${status}`))));
  });
}

/** (a): keep launch to the first Wasm instruction, nil and sim, against a bare engine start. */
async function launchRows(reps: number, stateDir: string): Promise<Row[]> {
  const bundleDir = keepBundleDir();
  const engine = keepEngine().path;
  const launch: LaunchRecord = { measurement: (await runtimeMeasurement(bundleDir)).measurement };
  const wasm = new Uint8Array(await readFile(join(REPO, 'test', 'workloads', 'bin', 'exit.wasm')));
  const backends = { nil: createBackend('nil'), sim: createBackend('sim', { stateDir }) };
  const times: Record<'nil' | 'sim', LaunchTimes[]> = { nil: [], sim: [] };
  const bare: number[] = [];
  // Warm-up (page cache, the sim platform's creation): not counted.
  for (let i = 0; i < 3; i++) {
    await launchKeep(bundleDir, backends.nil, launch, wasm);
    await launchKeep(bundleDir, backends.sim, launch, wasm);
    await bareEngine(engine);
  }
  for (let i = 0; i < reps; i++) {
    times.nil.push(await launchKeep(bundleDir, backends.nil, launch, wasm));
    times.sim.push(await launchKeep(bundleDir, backends.sim, launch, wasm));
    bare.push(await bareEngine(engine));
  }
  const peer = percentile(bare, 50);
  return (['nil', 'sim'] as const).map((name) => {
    const started = times[name].map((x) => x.started);
    const p50Started = percentile(started, 50);
    return {
      bench: 'keep',
      case: `${name}: spawn → first Wasm instr.`,
      values: {
        p50_ms: p50Started,
        p90_ms: percentile(started, 90),
        boot_p50_ms: percentile(times[name].map((x) => x.attestationRequest), 50),
        evidence_p50_ms: percentile(times[name].map((x) => x.evidence - x.attestationRequest), 50),
        node_e0_p50_ms: peer,
        runs: reps,
      },
      ratio: p50Started / peer,
      against: 'node -e 0 (keep engine)',
    };
  });
}

/** p50 of `fn` over `iterations` calls after `warmup` uncounted ones. */
async function p50(iterations: number, warmup: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = nowMs();
    await fn(i);
    samples.push(nowMs() - t0);
  }
  return percentile(samples, 50);
}

/** (b): obtaining and verifying sim evidence. */
async function evidenceRows(iterations: number, stateDir: string): Promise<Row[]> {
  const backend = createBackend('sim', { stateDir });
  const launch: LaunchRecord = { measurement: (await runtimeMeasurement(keepBundleDir())).measurement };
  const suite = DEFAULT_SUITE;
  const claim = (): { nonce: Uint8Array; publicKey: Uint8Array; reportData: Uint8Array } => {
    const nonce = new Uint8Array(randomBytes(32));
    // Any 32 bytes do as an X25519 public key for the binding: nothing here decodes it.
    const publicKey = new Uint8Array(randomBytes(32));
    return { nonce, publicKey, reportData: keepReportData(nonce, suite.kemId, publicKey) };
  };

  // The first request creates the platform (its ARK, ASK and VCEK): a one-off cost.
  const t0 = nowMs();
  const first = await backend.attest(claim().reportData, launch);
  const createMs = nowMs() - t0;
  const ark = first.trustRoots?.[0];
  if (ark === undefined) throw new Error('sim evidence carries no ARK');

  const subjects = Array.from({ length: iterations + 10 }, claim);
  const evidence = new Array<Awaited<ReturnType<Backend['attest']>>>(subjects.length);
  const obtain = await p50(iterations, 10, async (i) => {
    evidence[i + 10] = await backend.attest(subjects[i + 10]!.reportData, launch);
  });
  // The warm-up subjects get evidence too, so that every index has some.
  for (let i = 0; i < 10; i++) evidence[i] = await backend.attest(subjects[i]!.reportData, launch);

  const verifyWith = (i: number, cache: SignatureCache): Promise<unknown> =>
    verifyEvidence(evidence[i]!.report, { certs: [...evidence[i]!.certs], trustRoots: [ark], reportData: subjects[i]!.reportData, cache });
  const shared = new SignatureCache();
  const policy: KeepTrustPolicy = { sim: { roots: [ark] }, referenceValues: await loadReferenceValues() };
  // The three verifications alternate on the same evidence, so that drift hits them alike.
  const cold: number[] = [];
  const warm: number[] = [];
  const client: number[] = [];
  for (let i = 0; i < subjects.length; i++) {
    const t0 = nowMs();
    await verifyWith(i, new SignatureCache());
    const t1 = nowMs();
    await verifyWith(i, shared);
    const t2 = nowMs();
    await verifyKeep({ nonce: subjects[i]!.nonce, suite, publicKey: subjects[i]!.publicKey, evidence: evidence[i]! }, policy);
    const t3 = nowMs();
    if (i < 10) continue;
    cold.push(t1 - t0);
    warm.push(t2 - t1);
    client.push(t3 - t2);
  }

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const data = new Uint8Array(0x2a0);
  const sig = sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const signFloor = await p50(iterations, 10, () => sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  const verifyFloor = await p50(iterations, 10, () => verify('sha384', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig));

  const signRow = (c: string, ms: number, extra: Record<string, number>): Row => ({
    bench: 'keep',
    case: c,
    values: { p50_ms: ms, ...extra, sign_floor_ms: signFloor, iterations },
    ratio: ms / signFloor,
    against: '1 × P-384 sign',
  });
  const verifyRow = (c: string, ms: number): Row => ({
    bench: 'keep',
    case: c,
    values: { p50_ms: ms, verify_floor_ms: verifyFloor, iterations },
    ratio: ms / verifyFloor,
    against: '1 × P-384 verify',
  });
  return [
    signRow('sim evidence: obtain', obtain, { platform_create_ms: createMs }),
    verifyRow('sim evidence: verify cold', percentile(cold, 50)),
    verifyRow('sim evidence: verify warm (cache)', percentile(warm, 50)),
    verifyRow('sim evidence: verifyKeep (client)', percentile(client, 50)),
  ];
}

/** Runs the keep benchmark: `reps` launches per backend, `iterations` evidence round trips. */
export async function run(reps = 20, iterations = 100): Promise<Row[]> {
  const stateDir = tempDir('enarx-bench-keep-');
  try {
    return [...(await launchRows(reps, join(stateDir, 'launch'))), ...(await evidenceRows(iterations, join(stateDir, 'evidence')))];
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
