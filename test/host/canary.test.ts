/**
 * The agent stores and logs ids, states, sizes and codes only: a canary in a package body (in
 * the clear, as a hostile or careless client might send it) appears nowhere under the state
 * folder nor in the log; a canary a workload prints never reaches the host in any form: not in
 * what it stores, logs or relays (only the client, with the session's keys, reads it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import type { CreatedJson } from './support.js';
import { cleanup, decodeSse, filesUnder, nonceHex, okJson, openStream, readSse, sealFor, startAgent, tempDir, workload } from './support.js';

after(cleanup);

test('canaries in a package and in workload output are neither stored nor logged', async () => {
  const state = tempDir();
  const packageCanary = `CANARY-PKG-${randomBytes(16).toString('hex')}`;
  const outputCanary = `CANARY-OUT-${randomBytes(16).toString('hex')}`;
  const agent = await startAgent({ stateDir: state });
  let closed = false;
  try {
    // 1. Plain bytes with the canary deep inside (the keep refuses them; the host forwards them).
    const a = await okJson<CreatedJson>(await agent.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
    const body = Buffer.concat([randomBytes(70_000), Buffer.from(packageCanary.repeat(100)), randomBytes(10_000)]);
    const res = await agent.api('alice', 'PUT', `/v1/keeps/${a.id}/package`, { body });
    assert.ok(res.status === 202 || res.status === 409, String(res.status));
    await agent.host.waitForExit('alice', a.id);

    // 2. A workload that prints the canary (its argument): the host relays it sealed, unreadable.
    const b = await okJson<CreatedJson>(await agent.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
    const sealed = await sealFor(b, workload('args_env.wasm'), ['args_env.wasm', outputCanary]);
    await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${b.id}/package`, { body: sealed.body }), 202);
    const res2 = await agent.api('alice', 'GET', `/v1/keeps/${b.id}/events`);
    const wire = await res2.clone().text();
    const events = await readSse(res2);
    for (const form of [outputCanary, Buffer.from(outputCanary).toString('base64'), Buffer.from(outputCanary).toString('hex')]) {
      assert.equal(wire.includes(form), false, 'the canary crossed the host');
    }
    for (const e of events) assert.equal(Buffer.from(e.data, 'base64').includes(outputCanary), false);
    assert.ok((await openStream(decodeSse(events), sealed.keys)).stdout.includes(outputCanary), 'the client receives its output');

    const scan = (): void => {
      const files = filesUnder(state);
      assert.ok(files.some((f) => f.path.endsWith('host.db')));
      for (const f of files) {
        for (const canary of [packageCanary, outputCanary]) {
          assert.equal(f.bytes.includes(canary), false, `${canary} found in ${f.path}`);
          assert.equal(f.bytes.includes(Buffer.from(canary).toString('base64')), false, `${canary} (base64) found in ${f.path}`);
        }
      }
    };
    scan();
    await agent.close();
    closed = true;
    scan();
    const log = agent.logs.join('');
    assert.ok(log.includes(a.id) && log.includes(b.id), 'the log names the keeps');
    assert.ok(
      agent.logs.some((l) => l.includes(a.id) && /"bytes":\d+/.test(l)),
      'the log has the package size',
    );
    for (const canary of [packageCanary, outputCanary]) assert.equal(log.includes(canary), false, `${canary} in the log`);
  } finally {
    if (!closed) await agent.close();
  }
});
