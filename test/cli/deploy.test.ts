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

function enarx(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [ENARX, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

test('a bad token is refused, and keep ls/kill work for the right tenant', async () => {
  const bad = await enarx(['deploy', '--host', agent.url, '--token', 'nope', '--allow-sim', pkgDir]);
  assert.match(bad.stderr, /\[ERR_UNAUTHORIZED\]/);
  const ls = await enarx(['keep', 'ls', '--json', '--host', agent.url], { ENARX_TOKEN: TOKENS.alice });
  assert.equal(ls.status, 0, ls.stderr);
  const keeps = (JSON.parse(ls.stdout) as { keeps: { id: string; state: string }[] }).keeps;
  assert.ok(keeps.some((k) => k.state === 'exited'));
  const bobs = await enarx(['keep', 'ls', '--json', '--host', agent.url], { ENARX_TOKEN: TOKENS.bob });
  assert.deepEqual(JSON.parse(bobs.stdout), { keeps: [] });
  const logs = await enarx(['keep', 'logs', keeps.find((k) => k.state === 'exited')!.id, '--host', agent.url], { ENARX_TOKEN: TOKENS.alice });
  assert.match(logs.stdout, /hello from the package/);
});
