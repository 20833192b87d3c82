/**
 * What the agent knows after it died: keeps that were live become `lost`, their surviving
 * processes (same boot, pid and start time) are killed, and a second live agent cannot take
 * over a state folder in use.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { HostError } from '../../src/host/errors.js';
import { Host } from '../../src/host/host.js';

import { ENARX, TOKENS, cleanup, eventually, nonceHex, okJson, processRuns, sealFor, tempDir, workload } from './support.js';
import type { CreatedJson } from './support.js';

after(cleanup);

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

test('an agent that stopped without cleaning up: its keeps are lost and their processes killed', async () => {
  const state = tempDir();
  // The first agent "dies": it is simply never closed, and its keep processes stay alive (this
  // test process holds their control channels, so they cannot notice on their own).
  const dead = await Host.open({ stateDir: state, backend: 'nil' });
  const waiting = await dead.createKeep('alice', { nonce: randomBytes(32) });
  const running = await dead.createKeep('alice', { nonce: randomBytes(32) });
  await dead.deliverPackage('alice', running.id, once((await sealFor(running, workload('loop.wasm'))).body));
  const done = await dead.createKeep('alice', { nonce: randomBytes(32) });
  await dead.deliverPackage('alice', done.id, once((await sealFor(done, workload('hello.wasm'))).body));
  await dead.waitForExit('alice', done.id);
  const pids = [dead.getKeep('alice', waiting.id).pid!, dead.getKeep('alice', running.id).pid!];
  for (const pid of pids) assert.ok(processRuns(pid));

  const next = await Host.open({ stateDir: state, backend: 'nil' });
  try {
    for (const id of [waiting.id, running.id]) {
      const info = next.getKeep('alice', id);
      assert.equal(info.state, 'lost');
      assert.equal(info.error?.code, 'ERR_HOST_RESTARTED');
    }
    // A keep that had ended keeps its outcome.
    assert.equal(next.getKeep('alice', done.id).state, 'ended');
    assert.ok((next.getKeep('alice', done.id).output?.records ?? 0) >= 2);
    for (const pid of pids) assert.ok(await eventually(() => !processRuns(pid)), `keep process ${pid} was killed`);
    // The old agent noticing its keeps' deaths late does not overwrite the verdict.
    await dead.waitForExit('alice', running.id);
    assert.equal(next.getKeep('alice', running.id).state, 'lost');
  } finally {
    await next.close();
    await dead.close();
  }
});

interface Agent {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
}

function startAgentProcess(state: string, tokenFile: string): Promise<Agent> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENARX, 'host', 'serve', '--listen', '127.0.0.1:0', '--state', state, '--backend', 'nil', '--token-file', tokenFile, '--log'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m) resolve({ child, url: m[1]!, stderr: () => err });
    });
    child.once('error', reject);
    child.once('exit', (status) => reject(new Error(`agent exited with ${status}: ${err}`)));
  });
}

test('an agent killed with SIGKILL: on restart its keeps are lost, and no keep process survives', async () => {
  const state = tempDir();
  const tokenFile = join(state, 'tokens.json');
  writeFileSync(tokenFile, JSON.stringify({ tenants: TOKENS }));
  const auth = { authorization: `Bearer ${TOKENS.alice}` };

  const first = await startAgentProcess(state, tokenFile);
  const k = await okJson<CreatedJson>(
    await fetch(`${first.url}/v1/keeps`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ nonce: nonceHex() }) }),
    201,
  );
  await okJson(await fetch(`${first.url}/v1/keeps/${k.id}/package`, { method: 'PUT', headers: auth, body: (await sealFor(k, workload('loop.wasm'))).body }), 202);
  // The pid is host-internal: read it from the agent's database.
  const db = new Database(join(state, 'host.db'), { readonly: true });
  const row = db.prepare('SELECT pid, state FROM keeps WHERE id = ?').get(k.id) as { pid: number; state: string };
  db.close();
  assert.equal(row.state, 'running');
  assert.ok(processRuns(row.pid));

  // Trying to take over a state folder in use by a live agent is refused.
  await assert.rejects(Host.open({ stateDir: state, backend: 'nil' }), (e) => e instanceof HostError && e.code === 'ERR_CONFLICT');

  const exited = new Promise((r) => first.child.once('exit', r));
  first.child.kill('SIGKILL');
  await exited;
  // The keep notices its channel closed and leaves; a restarted agent would kill it otherwise.
  assert.ok(await eventually(() => !processRuns(row.pid)), 'the keep did not outlive its agent');

  const second = await startAgentProcess(state, tokenFile);
  try {
    const info = await okJson(await fetch(`${second.url}/v1/keeps/${k.id}`, { headers: auth }));
    assert.equal(info['state'], 'lost');
    assert.equal((info['error'] as { code: string }).code, 'ERR_HOST_RESTARTED');
    assert.match(second.stderr(), /"event":"keep.lost"/);
  } finally {
    const exit = new Promise<number | null>((r) => second.child.once('exit', (status) => r(status)));
    second.child.kill('SIGTERM');
    assert.equal(await exit, 0);
  }
});
