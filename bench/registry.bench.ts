/**
 * Packages as OCI artifacts (src/registry/): what moving a package through a registry costs,
 * against plain curl doing the same protocol steps with the same bytes, and what deploying from a
 * registry costs against deploying from a local folder. The registry is CNCF distribution 2.8
 * (Debian's `docker-registry`, test/support/registry.ts) on 127.0.0.1, plain HTTP.
 *
 * (a) Publish: `enarx package publish oci://127.0.0.1:PORT/bench/app:vN DIR` as a whole process
 *     (`node bin/enarx.js` on this Node.js), DIR holding a `PACKAGE_MIB` MiB main.wasm of random
 *     bytes (a 1 MiB random block, each MiB stamped with its index, so nothing repeats at any
 *     scale a compressor looks at). Against bench/registry/curl-push.sh: POST
 *     /v2/<repo>/blobs/uploads/, then one `curl -T file` PUT to `<location>&digest=…`
 *     (monolithic). Every push goes to a registry started for it, and one byte of the file
 *     changes per run, so no blob is ever already there (the registry skips those).
 * (b) Fetch, cold: `enarx package fetch REF DIR` with a fresh `ENARX_OCI_STORE` each run, against
 *     `curl -o FILE /v2/<repo>/blobs/<digest>` of the same blob from the same registry.
 *     (a) and (b) alternate ours and curl, `REPS` runs each; MiB/s of the medians; peak RSS of
 *     each process from GNU time (`/usr/bin/time -f %M`, installed by .ci/run) when present.
 *     curl checks no digest (the push is given it); `sha256sum_ms`, one `sha256sum` of the file
 *     per run, is what that check costs outside Node.js, for reading ours against curl's.
 * (c) Deploy: `enarx run oci://…/bench/hello:v1` (examples/hello/hello.wasm as the package's
 *     main.wasm) with a fresh store (cold: resolve, pull, check, unpack, run) and then the same
 *     store again (warm: the manifest asked for again, the blobs in the store), against `enarx run
 *     DIR/main.wasm` of the same folder (`enarx run` takes a module file, not a folder); all
 *     three through bin/enarx, the launcher a user runs, `DEPLOY_REPS` rounds (7; at least 5)
 *     after one untimed round, the local run's place in a round rotating.
 *
 * Needs a build, `docker-registry` and curl; without the registry it reports a skip row, without
 * curl it reports (c) only. `npm run bench -- registry`; `BENCH_REPS` sets the runs of each kind,
 * `BENCH_REGISTRY_MIB` the package size.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SKIP, startRegistry } from '../test/support/registry.js';
import type { TestRegistry } from '../test/support/registry.js';
import { ENARX, ENARX_COMMAND, have, median, REPO, RUN_TIMEOUT_MS, runError, tempDir } from './support.js';
import type { Row } from './support.js';

const PACKAGE_MIB = Math.max(1, Number(process.env['BENCH_REGISTRY_MIB'] ?? 100));
const MIB = 1024 * 1024;
/** Runs of each kind for (a) and (b): at least 3. */
const REPS = Math.max(3, Number(process.env['BENCH_REPS'] ?? 3));
/** Rounds of (c): at least 5. */
const DEPLOY_REPS = Math.max(5, Number(process.env['BENCH_REPS'] ?? 7));
const CURL_PUSH = join(REPO, 'bench', 'registry', 'curl-push.sh');
const HELLO = join(REPO, 'examples', 'hello', 'hello.wasm');
/** GNU time, which reports a process's peak RSS (`%M`, KiB); BusyBox's and the shell's do not take `-f … -o`. */
const GNU_TIME = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', '-o', '/dev/null', 'true']).status === 0;
const BENCH = 'registry';

/** What one timed process gave: wall time and, with GNU time, its peak RSS (of it and what it waited for). */
interface Timed {
  readonly ms: number;
  readonly rssMib: number;
  readonly stdout: string;
}

/**
 * Runs `cmd` to completion, its output to files (a keep the launcher started that outlives its
 * CLI must not hold a pipe open), timed from spawn to exit; throws with its stderr when it fails.
 */
function timed(work: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv, rss = true): Timed {
  const out = join(work, 'out.txt');
  const err = join(work, 'err.txt');
  const rssFile = join(work, 'rss.txt');
  const wrap = rss && GNU_TIME;
  const [file, argv] = wrap ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, [...args]];
  const fds = [openSync(out, 'w'), openSync(err, 'w')] as const;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { stdio: ['ignore', fds[0], fds[1]], timeout: RUN_TIMEOUT_MS, ...(env ? { env } : {}) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fds.forEach((fd) => closeSync(fd));
  if (r.error) throw runError(cmd, args, r.error);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${readFileSync(err, 'utf8').slice(0, 2000)}`);
  const rssMib = wrap ? Number(/(\d+)\s*$/.exec(readFileSync(rssFile, 'utf8'))?.[1] ?? NaN) / 1024 : NaN;
  return { ms, rssMib, stdout: readFileSync(out, 'utf8') };
}

/** Lets earlier runs' dirty pages reach the disk before a timed run, so none is charged for another's. */
function settle(): void {
  spawnSync('sync');
}

/** A package folder with a `mib` MiB main.wasm: a wasm header, then a random MiB repeated, each copy stamped with its index. */
function writePayload(dir: string, mib: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'main.wasm');
  const block = randomBytes(MIB);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      block.writeUInt32LE(i, 64);
      writeSync(fd, block, 0, MIB, i * MIB);
    }
    writeSync(fd, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Changes one byte of `file` (run `n`'s stamp) and returns the file's new sha256 digest. */
function restamp(file: string, n: number): string {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.from([n & 0xff]), 0, 1, 16);
  } finally {
    closeSync(fd);
  }
  return sha256File(file);
}

function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

/** Runs `f` with a registry started for it, and stops the registry (removing its data) whatever happens. */
async function withRegistry<T>(f: (r: TestRegistry) => T | Promise<T>): Promise<T> {
  const registry = await startRegistry();
  try {
    return await f(registry);
  } finally {
    await registry.stop();
  }
}

/** `enarx package …` as a whole process on this Node.js, with its own store. */
function enarxPackage(work: string, store: string, args: readonly string[]): Timed {
  return timed(work, process.execPath, [ENARX, 'package', ...args], { ...process.env, ENARX_OCI_STORE: store });
}

/** One timed `sha256sum` of `file` (none without coreutils): what checking a digest costs outside Node.js. */
function hashOnce(work: string, file: string): number[] {
  return have('sha256sum') ? [timed(work, 'sha256sum', [file], undefined, false).ms] : [];
}

/** One row of ours against curl: medians of time, throughput from them, peak RSS. */
function throughputRow(what: string, ours: readonly Timed[], curl: readonly Timed[], hashMs: readonly number[], note: string): Row {
  const mibS = (xs: readonly Timed[]): number => median(xs.map((t) => PACKAGE_MIB / (t.ms / 1000)));
  const rss = (xs: readonly Timed[]): number => Math.max(...xs.map((t) => t.rssMib));
  const [oursMibS, curlMibS] = [mibS(ours), mibS(curl)];
  return {
    bench: BENCH,
    case: `${what} ${PACKAGE_MIB} MiB package, loopback`,
    values: {
      ours_ms: median(ours.map((t) => t.ms)),
      curl_ms: median(curl.map((t) => t.ms)),
      ours_mib_s: oursMibS,
      curl_mib_s: curlMibS,
      ...(GNU_TIME ? { ours_peak_rss_mib: rss(ours), curl_peak_rss_mib: rss(curl) } : {}),
      ...(hashMs.length > 0 ? { sha256sum_ms: median(hashMs) } : {}),
    },
    ratio: oursMibS / curlMibS,
    against: 'plain curl, same bytes and protocol steps (throughput; ≥ 1 is faster)',
    note: `${note}; ${REPS} runs each, alternating${GNU_TIME ? '' : '; peak RSS not measured: no GNU time (/usr/bin/time)'}`,
  };
}

/** (a): each push, ours and curl's, to a fresh registry; one byte of the module changes per run. */
async function publishRow(work: string, pkg: string, module: string): Promise<Row> {
  const ours: Timed[] = [];
  const curl: Timed[] = [];
  const hashes: number[] = [];
  for (let i = 0; i < REPS; i++) {
    let digest = restamp(module, 2 * i);
    settle();
    ours.push(await withRegistry((r) => enarxPackage(work, join(work, 'store-publish'), ['publish', `oci://${r.registry}/bench/app:v${i}`, pkg])));
    digest = restamp(module, 2 * i + 1);
    settle();
    curl.push(await withRegistry((r) => timed(work, 'sh', [CURL_PUSH, r.url, 'bench/app', module, digest])));
    hashes.push(...hashOnce(work, module));
  }
  rmSync(join(work, 'store-publish'), { recursive: true, force: true });
  return throughputRow(
    'publish',
    ours,
    curl,
    hashes,
    'ours: hash the folder, HEAD, POST, 32 MiB PATCHes, PUT, config and manifest (node bin/enarx.js); curl: POST + one PUT of the file, digest given',
  );
}

/** (b): one package published (untimed), then cold fetches into fresh stores against curl downloads of its blob. */
async function fetchRow(work: string, pkg: string, module: string): Promise<Row> {
  const digest = restamp(module, 255);
  return withRegistry((r) => {
    const ref = `oci://${r.registry}/bench/app:v1`;
    enarxPackage(work, join(work, 'store-seed'), ['publish', ref, pkg]);
    rmSync(join(work, 'store-seed'), { recursive: true, force: true });
    const ours: Timed[] = [];
    const curl: Timed[] = [];
    const hashes: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const [store, dir, file] = [join(work, 'store-fetch'), join(work, 'fetched'), join(work, 'blob.bin')];
      settle();
      ours.push(enarxPackage(work, store, ['fetch', ref, dir]));
      if (sha256File(join(dir, 'main.wasm')) !== digest) throw new Error('the fetched main.wasm is not the published one');
      rmSync(store, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      settle();
      curl.push(timed(work, 'curl', ['-fsS', '-o', file, `${r.url}/v2/bench/app/blobs/${digest}`]));
      rmSync(file, { force: true });
      hashes.push(...hashOnce(work, module));
    }
    return throughputRow(
      'fetch (cold store)',
      ours,
      curl,
      hashes,
      'ours: manifest, config, the blob streamed and hashed into the store, checked and copied out into DIR; curl: GET of the blob to a file',
    );
  });
}

/** (c): `enarx run REF` cold and warm, against `enarx run DIR/main.wasm`, through the launcher. */
async function deployRows(work: string): Promise<Row[]> {
  const dir = join(work, 'hello');
  mkdirSync(dir, { recursive: true });
  copyFileSync(HELLO, join(dir, 'main.wasm'));
  return withRegistry((r) => {
    const ref = `oci://${r.registry}/bench/hello:v1`;
    enarxPackage(work, join(work, 'store-hello'), ['publish', ref, dir]);
    const run = (what: string, store: string): number => {
      const t = timed(work, ENARX_COMMAND, ['run', what], { ...process.env, ENARX_OCI_STORE: store }, false);
      if (!/hello/i.test(t.stdout)) throw new Error(`enarx run ${what} printed ${JSON.stringify(t.stdout.slice(0, 200))}`);
      return t.ms;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    const local: number[] = [];
    for (let i = -1; i < DEPLOY_REPS; i++) {
      const store = join(work, `store-run-${i + 1}`);
      // The local run moves through the round (before, between, after), so no kind always follows another.
      const at = (i + 3) % 3;
      const dirMs = (): number => run(join(dir, 'main.wasm'), store);
      const before = at === 0 ? dirMs() : NaN;
      const coldMs = run(ref, store);
      const between = at === 1 ? dirMs() : NaN;
      const warmMs = run(ref, store);
      const after = at === 2 ? dirMs() : NaN;
      rmSync(store, { recursive: true, force: true });
      if (i < 0) continue; // the untimed round
      cold.push(coldMs);
      warm.push(warmMs);
      local.push([before, between, after].find((x) => !Number.isNaN(x))!);
    }
    const base = median(local);
    const against = '`enarx run DIR/main.wasm`, same folder, same run';
    const row = (what: string, xs: readonly number[], note: string): Row => ({
      bench: BENCH,
      case: `enarx run REF (hello), ${what}`,
      values: { ref_ms: median(xs), dir_ms: base, extra_ms: median(xs) - base },
      ratio: median(xs) / base,
      against,
      note: `${note}; whole process through bin/enarx, medians of ${DEPLOY_REPS} alternating rounds`,
    });
    return [
      row('cold store', cold, 'a fresh ENARX_OCI_STORE: manifest, config and module pulled and checked, unpacked, built'),
      row('warm store', warm, 'the same store again: the tag resolved at the registry, blobs from the store, unpacked, built'),
    ];
  });
}

/** The figures; a row saying why for what this machine cannot measure. */
export async function runRegistry(): Promise<Row[]> {
  if (SKIP !== false) return [{ bench: BENCH, case: 'package publish / fetch / run REF', values: {}, note: `skipped: ${SKIP}` }];
  const work = tempDir('enarx-bench-registry-');
  try {
    const rows: Row[] = [];
    if (have('curl')) {
      const pkg = join(work, 'pkg');
      const module = writePayload(pkg, PACKAGE_MIB);
      rows.push(await publishRow(work, pkg, module));
      rows.push(await fetchRow(work, pkg, module));
    } else {
      rows.push({ bench: BENCH, case: `publish / fetch ${PACKAGE_MIB} MiB package`, values: {}, note: 'skipped: needs curl as the peer (apt-get install curl)' });
    }
    rows.push(...(await deployRows(work)));
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
