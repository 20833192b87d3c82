/**
 * What a hostile tenant can take from an agent over HTTP, bounded: a package trickled in is cut
 * off at the keep's expiry (the keep fails, the upload gets 408); a flood of keep requests gets
 * 429 with a code past the tenant's quota, and other tenants still get keeps.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CreatedJson } from './support.js';
import { TOKENS, assertError, cleanup, nonceHex, okJson, sealFor, startAgent, workload } from './support.js';

after(cleanup);

test('a package uploaded a byte at a time is cut off at the keep\'s expiry: the keep fails, the upload is refused', async () => {
  const agent = await startAgent({ abandonAfterMs: 1500, uploadIdleMs: 1000 });
  try {
    const k = await okJson<CreatedJson>(await agent.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
    const { body } = await sealFor(k, workload('hello.wasm'));
    let sent = 0;
    const trickle = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 200));
        if (sent >= body.length) return c.close();
        c.enqueue(body.subarray(sent, sent + 1));
        sent++;
      },
    });
    const started = Date.now();
    const res = await fetch(`${agent.url}/v1/keeps/${k.id}/package`, { method: 'PUT', body: trickle, duplex: 'half', headers: { authorization: `Bearer ${TOKENS.alice}` } } as RequestInit).catch(() => undefined);
    const took = Date.now() - started;
    assert.ok(took < 6000, `cut off after ${took} ms`);
    if (res) assert.ok([408, 409].includes(res.status), `${res.status}`);
    const info = await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`));
    assert.match(String(info['state']), /^(failed|expired)$/);
    assert.ok(sent < body.length);
  } finally {
    await agent.close();
  }
});

test('50 parallel keep requests: past the tenant\'s quota each is 429 with a code; another tenant still gets one', async () => {
  const agent = await startAgent({ quotas: { maxKeepsPerTenant: 4, maxKeeps: 8 } });
  try {
    const answers = await Promise.all(Array.from({ length: 50 }, () => agent.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex(), limits: { maxMemoryBytes: 64 * 1024 * 1024 } } })));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 4);
    assert.equal(statuses.filter((s) => s === 429).length, 46);
    for (const r of answers.filter((a) => a.status === 429).slice(0, 3)) await assertError(r, 429, 'ERR_TOO_MANY_KEEPS');
    for (const r of answers) if (!r.bodyUsed) await r.body?.cancel();
    await okJson(await agent.api('bob', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
    // Memory promised: a keep asking for more than the budget is refused before anything starts.
    const big = await startAgent({ quotas: { memoryBytes: 512 * 1024 * 1024 } });
    try {
      await assertError(await big.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 429, 'ERR_MEMORY_QUOTA');
    } finally {
      await big.close();
    }
  } finally {
    await agent.close();
  }
});
