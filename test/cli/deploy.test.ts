import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ENARX, TOKENS, WORKLOADS, cleanup, startAgent, tempDir } from '../host/support.js';
import type { Agent } from '../host/support.js';

const CANARY = 'canary-9d1f4c2e-never-on-the-host';
let agent: Agent;
let state: string;
let pkgDir: string;
let proxy: Server;
let proxyUrl: string;
let traffic: Buffer[] = [];

/** A TCP proxy that records every byte between the client and the host agent. */
function recordingProxy(target: URL): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      client.on('data', (d) => traffic.push(Buffer.from(d)));
      upstream.on('data', (d) => traffic.push(Buffer.from(d)));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** Where these clients keep their keeps' keys (never the user's own folder). */
let dataHome: string;

function enarx(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [ENARX, ...args], { env: { ...process.env, XDG_DATA_HOME: dataHome, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

before(async () => {
  state = tempDir('enarx-deploy-cli-');
  dataHome = tempDir('enarx-data-home-');
  agent = await startAgent({ backend: 'sim', stateDir: state });
  proxy = await recordingProxy(new URL(agent.url));
  const addr = proxy.address() as { port: number };
  proxyUrl = `http://127.0.0.1:${addr.port}`;
  pkgDir = join(tempDir('enarx-pkg-'), 'app');
  mkdirSync(join(pkgDir, 'data'), { recursive: true });
  copyFileSync(join(WORKLOADS, 'cat.wasm'), join(pkgDir, 'main.wasm'));
  writeFileSync(join(pkgDir, 'data', 'secret.txt'), CANARY);
  writeFileSync(join(pkgDir, 'data', 'public.txt'), 'hello from the package\n');
});
after(async () => {
  proxy.close();
  await agent.close();
  cleanup();
});

test('enarx deploy --host: the package runs in a verified sim keep; the canary never crosses the host', async () => {
  traffic = [];
  const r = await enarx(['deploy', '--host', proxyUrl, '--token', TOKENS.alice, '--allow-sim', pkgDir, '/data/public.txt']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hello from the package\n');
  const wire = Buffer.concat(traffic);
  assert.ok(wire.length > 10_000, 'the sealed package went through the proxy');
  for (const form of [CANARY, Buffer.from(CANARY).toString('base64').slice(0, 24), Buffer.from(CANARY).toString('hex')]) {
    assert.equal(wire.includes(form), false, `canary (${form.slice(0, 12)}…) in HTTP traffic`);
  }
  for (const f of allFiles(state)) assert.equal(readFileSync(f).includes(CANARY), false, `canary in ${f}`);
  assert.equal(agent.logs.join('\n').includes(CANARY), false);
});

test('without --allow-sim nothing secret is sent to a sim keep', async () => {
  traffic = [];
  const r = await enarx(['deploy', '--host', proxyUrl, '--token', TOKENS.alice, pkgDir, '/data/secret.txt']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\[ERR_POLICY\]/);
  assert.equal(Buffer.concat(traffic).includes('PUT /v1/keeps'), false, 'no package upload');
});

test('a pinned sim root that is not the host platform\'s is refused before sending', async () => {
  const other = tempDir('enarx-other-sim-');
  const ark = join(other, 'ark.pem');
  const made = await enarx(['platform', 'attest', '--backend', 'sim', '--state', other, '--report-data', '00'.repeat(64), '--out', other]);
  assert.equal(made.status, 0, made.stderr);
  traffic = [];
  const r = await enarx(['deploy', '--host', proxyUrl, '--token', TOKENS.alice, '--allow-sim', '--trust-root', ark, pkgDir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\[ERR_CHAIN\]/);
  assert.equal(Buffer.concat(traffic).includes('PUT /v1/keeps'), false);
});

test('a bad token is refused; keep ls and logs work for the right tenant, logs only with the kept keys', async () => {
  const bad = await enarx(['deploy', '--host', agent.url, '--token', 'nope', '--allow-sim', pkgDir]);
  assert.match(bad.stderr, /\[ERR_UNAUTHORIZED\]/);
  const ls = await enarx(['keep', 'ls', '--json', '--host', agent.url], { ENARX_TOKEN: TOKENS.alice });
  assert.equal(ls.status, 0, ls.stderr);
  const keeps = (JSON.parse(ls.stdout) as { keeps: { id: string; state: string }[] }).keeps;
  const ended = keeps.find((k) => k.state === 'ended');
  assert.ok(ended);
  const bobs = await enarx(['keep', 'ls', '--json', '--host', agent.url], { ENARX_TOKEN: TOKENS.bob });
  assert.deepEqual(JSON.parse(bobs.stdout), { keeps: [] });
  // The deploying client kept the keep's output keys (0600): it can read what the host holds.
  const keyFile = join(dataHome, 'enarx', 'keep-keys', `${ended.id}.json`);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const logs = await enarx(['keep', 'logs', ended.id, '--host', agent.url], { ENARX_TOKEN: TOKENS.alice });
  assert.equal(logs.status, 0, logs.stderr);
  assert.equal(logs.stdout, 'hello from the package\n');
  const json = await enarx(['keep', 'logs', ended.id, '--json', '--host', agent.url], { ENARX_TOKEN: TOKENS.alice });
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.at(-1), { type: 'outcome', outcome: { type: 'exit', code: 0 } });
  assert.equal(Buffer.from(lines.find((l) => l['type'] === 'output')?.['data'] as string, 'base64').toString(), 'hello from the package\n');
  // Another client (no keys) sees what the host knows, is told why it sees no more, and fails.
  const stranger = await enarx(['keep', 'logs', ended.id, '--host', agent.url], { ENARX_TOKEN: TOKENS.alice, XDG_DATA_HOME: tempDir('enarx-other-home-') });
  assert.equal(stranger.status, 1);
  assert.equal(stranger.stdout, '');
  assert.match(stranger.stderr, /\d+ sealed records \(\d+ bytes\) held by the host/);
  assert.match(stranger.stderr, /sealed to the client that deployed it.*\[ERR_NO_KEYS\]/);
  // --forget-keys keeps none.
  const forgetful = await enarx(['deploy', '--host', agent.url, '--token', TOKENS.alice, '--allow-sim', '--forget-keys', pkgDir, '/data/public.txt'], { XDG_DATA_HOME: tempDir('enarx-forget-') });
  assert.equal(forgetful.status, 0, forgetful.stderr);
});
