/**
 * The host agent's HTTP API end to end on 127.0.0.1 with the `nil` backend: real keep
 * processes, real HTTP, an in-memory database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent, CreatedJson } from './support.js';
import { assertError, cleanup, eventually, nonceHex, okJson, processRuns, readSse, sealFor, startAgent, streamText, workload } from './support.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ abandonAfterMs: 60_000 });
});
after(async () => {
  await agent.close();
  cleanup();
});

async function create(tenant: 'alice' | 'bob' = 'alice', extra: Record<string, unknown> = {}): Promise<CreatedJson> {
  return okJson<CreatedJson>(await agent.api(tenant, 'POST', '/v1/keeps', { json: { nonce: nonceHex(), ...extra } }), 201);
}

test('health answers without a token and lists available backends', async () => {
  const body = await okJson<{ ok: boolean; backends: string[] }>(await agent.api(undefined, 'GET', '/v1/health'));
  assert.equal(body.ok, true);
  assert.ok(body.backends.includes('nil'));
});

test('create: 201 with id, nil evidence (base64 fields), the keep key, state attested', async () => {
  const k = await create();
  assert.match(k.id, /^[0-9a-f-]{36}$/);
  assert.equal(k.backend, 'nil');
  assert.equal(k.kem, 'x25519');
  assert.equal(Buffer.from(k.publicKey, 'base64').length, 32);
  assert.deepEqual(k.evidence, { backend: 'nil', format: 'none', report: '', certs: [] });
  assert.equal(k.state, 'attested');
  assert.ok(Date.parse(k.expiresAt) > Date.now());
  const info = await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`));
  assert.equal(info['state'], 'attested');
  assert.equal(info['pid'], undefined, 'the pid is host-internal');
  assert.equal(info['tenant'], undefined);
  await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${k.id}`));
});

test('x-wing keeps have an X-Wing public key (1216 bytes)', async () => {
  const k = await create('alice', { kem: 'x-wing' });
  assert.equal(k.kem, 'x-wing');
  assert.equal(Buffer.from(k.publicKey, 'base64').length, 1216);
  await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${k.id}`));
});

test('a full deploy: sealed hello.wasm runs, its output and exit stream back over SSE', async () => {
  const k = await create();
  const sealed = await sealFor(k, workload('hello.wasm'));
  const put = await okJson(
    await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: sealed, headers: { 'content-type': 'application/vnd.enarx.sealed-package' } }),
    202,
  );
  assert.equal(put['id'], k.id);
  const events = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`));
  assert.equal(streamText(events, 'stdout'), 'Hello, world!\n');
  const exit = events.find((e) => e.event === 'exit');
  assert.deepEqual(JSON.parse(exit?.data ?? 'null'), { code: 0 });
  assert.deepEqual(JSON.parse(events.at(-1)?.data ?? 'null'), { state: 'exited' });
  assert.deepEqual(
    events.filter((e) => e.event === 'state').map((e) => JSON.parse(e.data).state),
    ['attested', 'running', 'exited'],
  );
  // Every event with a sequence number has a larger one than the last.
  const ids = events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const info = await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`));
  assert.equal(info['state'], 'exited');
  assert.equal(info['exitCode'], 0);
  assert.equal(info['packageBytes'], sealed.length);
  // Resuming after the stdout event replays only what followed it.
  const stdoutId = events.find((e) => e.event === 'stdout')?.id;
  const rest = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`, { headers: { 'last-event-id': stdoutId ?? '' } }));
  assert.equal(streamText(rest, 'stdout'), '');
  assert.deepEqual(rest.map((e) => e.event), ['exit', 'state']);
});

test('the package: delivered once only (409), bytes flow to the keep and a malformed one fails it', async () => {
  const k = await create();
  // Not a sealed package: the keep refuses it (the host neither parses nor judges it).
  const garbage = Buffer.alloc(200_000, 7);
  const res = await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: garbage });
  // The keep may refuse before or after the last byte: 202 or 409, never anything else.
  assert.ok(res.status === 202 || res.status === 409, `${res.status} ${await res.clone().text()}`);
  await res.text();
  assert.ok(await eventually(async () => (await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`)))['state'] === 'failed'));
  const info = await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`));
  // Tolerant: the keep's own code for a malformed package (ERR_PACKAGE_…).
  assert.match((info['error'] as { code: string }).code, /^ERR_PACKAGE/);
  assert.ok(typeof info['packageBytes'] === 'number' && info['packageBytes'] > 0);
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: Buffer.from('again') }), 409, 'ERR_CONFLICT');
});

test('output beyond the per-stream ring is dropped oldest first and reported to late readers', async () => {
  const k = await create();
  // 3 MiB of stdout with a 1 MiB ring (startAgent's default).
  const sealed = await sealFor(k, workload('output.wasm'), ['output.wasm', '3145728']);
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: sealed }), 202);
  await agent.host.waitForExit('alice', k.id);
  const events = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`));
  const dropped = events.filter((e) => e.event === 'dropped').map((e) => JSON.parse(e.data) as { stream: string; bytes: number });
  const out = Buffer.concat(events.filter((e) => e.event === 'stdout').map((e) => Buffer.from(e.data, 'base64')));
  assert.equal(out.length, 1024 * 1024);
  assert.deepEqual(dropped, [{ stream: 'stdout', bytes: 3 * 1024 * 1024 - 1024 * 1024 }]);
  assert.equal(JSON.parse(events.at(-1)?.data ?? '{}').state, 'exited');
});

test('list shows only this tenant’s keeps; another tenant’s keep is 404 for every verb', async () => {
  const mine = await create('alice');
  const theirs = await create('bob');
  const list = await okJson<{ keeps: { id: string }[] }>(await agent.api('alice', 'GET', '/v1/keeps'));
  assert.ok(list.keeps.some((k) => k.id === mine.id));
  assert.ok(!list.keeps.some((k) => k.id === theirs.id));
  await assertError(await agent.api('alice', 'GET', `/v1/keeps/${theirs.id}`), 404, 'ERR_NOT_FOUND');
  await assertError(await agent.api('alice', 'GET', `/v1/keeps/${theirs.id}/events`), 404, 'ERR_NOT_FOUND');
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${theirs.id}/package`, { body: Buffer.from('x') }), 404, 'ERR_NOT_FOUND');
  await assertError(await agent.api('alice', 'DELETE', `/v1/keeps/${theirs.id}`), 404, 'ERR_NOT_FOUND');
  // Bob's keep is untouched by all that.
  assert.equal((await okJson(await agent.api('bob', 'GET', `/v1/keeps/${theirs.id}`)))['state'], 'attested');
  await okJson(await agent.api('bob', 'DELETE', `/v1/keeps/${theirs.id}`));
  await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${mine.id}`));
});

test('no token or a wrong token is 401 ERR_UNAUTHORIZED on every keep route', async () => {
  for (const [method, path] of [
    ['GET', '/v1/keeps'],
    ['POST', '/v1/keeps'],
    ['GET', '/v1/keeps/00000000-0000-0000-0000-000000000000'],
    ['DELETE', '/v1/keeps/00000000-0000-0000-0000-000000000000'],
  ] as const) {
    const res = await agent.api(undefined, method, path);
    await assertError(res, 401, 'ERR_UNAUTHORIZED');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    await assertError(await agent.api(undefined, method, path, { headers: { authorization: 'Bearer alice-token-0123456789abcdeX' } }), 401, 'ERR_UNAUTHORIZED');
    await assertError(await agent.api(undefined, method, path, { headers: { authorization: 'Basic YWxpY2U6eA==' } }), 401, 'ERR_UNAUTHORIZED');
  }
});

test('malformed requests get 4xx with a code, and the agent still answers afterwards', async () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => agent.api('alice', 'POST', '/v1/keeps', { body, headers });
  await assertError(await post('{"nonce": '), 400, 'ERR_BAD_REQUEST');
  await assertError(await post('[]'), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), preopens: [{ host: '/', guest: '/' }] })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), extra: 1 })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: 'ab' })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), kem: 'rsa' })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), backend: 'vmware' })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), limits: { maxMemoryBytes: 1 } })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), limits: { timeoutMs: 1.5 } })), 400, 'ERR_BAD_REQUEST');
  await assertError(await post(JSON.stringify({ nonce: nonceHex() }), { 'content-type': 'text/plain' }), 400, 'ERR_BAD_REQUEST');
  // Oversized: declared by Content-Length, and streamed without one.
  await assertError(await post(JSON.stringify({ nonce: nonceHex(), pad: 'x'.repeat(100_000) })), 413, 'ERR_TOO_LARGE');
  const chunked = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(8192).fill(0x20));
      c.close();
    },
  });
  await assertError(
    await fetch(`${agent.url}/v1/keeps`, { method: 'POST', body: chunked, duplex: 'half', headers: { authorization: 'Bearer alice-token-0123456789abcdef', 'content-type': 'application/json' } } as RequestInit),
    413,
    'ERR_TOO_LARGE',
  );
  await assertError(await agent.api('alice', 'GET', '/v1/keeps/not-an-id!'), 404, 'ERR_NOT_FOUND');
  await assertError(await agent.api('alice', 'GET', '/v1/nothing'), 404, 'ERR_NOT_FOUND');
  await assertError(await agent.api('alice', 'GET', '/v1/keeps/1/events', { headers: { 'last-event-id': 'x' } }), 400, 'ERR_BAD_REQUEST');
  const k = await create();
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: 'x', headers: { 'content-type': 'application/json' } }), 400, 'ERR_BAD_REQUEST');
  // None of that touched the keep or the agent.
  assert.equal((await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`)))['state'], 'attested');
  assert.equal((await okJson(await agent.api(undefined, 'GET', '/v1/health')))['ok'], true);
  await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${k.id}`));
});

test('a package larger than the host accepts is 413 (declared: keep untouched)', async () => {
  const small = await startAgent({ maxPackageBytes: 4096 });
  try {
    const k = await okJson<CreatedJson>(await small.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
    await assertError(await small.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: Buffer.alloc(5000) }), 413, 'ERR_TOO_LARGE');
    assert.equal((await okJson(await small.api('alice', 'GET', `/v1/keeps/${k.id}`)))['state'], 'attested');
    // Streamed without a length: counted as it arrives; the keep cannot be used any more.
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(1024));
        c.close();
      },
    });
    const res = await fetch(`${small.url}/v1/keeps/${k.id}/package`, { method: 'PUT', body, duplex: 'half', headers: { authorization: 'Bearer alice-token-0123456789abcdef' } } as RequestInit);
    // The keep may also have refused the first bytes already (409): both stop the upload.
    assert.ok(res.status === 413 || res.status === 409, String(res.status));
    const info = await okJson(await small.api('alice', 'GET', `/v1/keeps/${k.id}`));
    assert.equal(info['state'], 'failed');
    assert.equal((await okJson(await small.api(undefined, 'GET', '/v1/health')))['ok'], true);
  } finally {
    await small.close();
  }
});

test('DELETE kills a live keep (state killed); DELETE of an ended keep forgets it', async () => {
  const k = await create();
  const sealed = await sealFor(k, workload('loop.wasm'));
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: sealed }), 202);
  const pid = agent.host.getKeep('alice', k.id).pid;
  assert.ok(pid !== undefined);
  // Wait until it runs (it prints, then spins).
  for await (const e of agent.host.events('alice', k.id)) if (e.type === 'stdout') break;
  // An event stream open while the keep is killed ends with the final state.
  const streaming = agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`).then(readSse);
  const killed = await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${k.id}`));
  assert.equal(killed['state'], 'killed');
  const events = await streaming;
  assert.equal(streamText(events, 'stdout'), 'looping\n');
  assert.deepEqual(JSON.parse(events.at(-1)?.data ?? '{}'), { state: 'killed' });
  assert.equal((await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`)))['state'], 'killed');
  assert.ok(await eventually(() => !processRuns(pid)), 'the keep process is gone');
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: Buffer.from('x') }), 409, 'ERR_CONFLICT');
  const forgotten = await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${k.id}`));
  assert.equal(forgotten['state'], 'killed');
  await assertError(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`), 404, 'ERR_NOT_FOUND');
});

test('the log holds ids, states, sizes and codes, one JSON object per line', () => {
  assert.ok(agent.logs.length > 0);
  for (const line of agent.logs) {
    assert.ok(line.endsWith('\n'));
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof entry['event'], 'string');
    for (const v of Object.values(entry)) assert.ok(v === null || ['string', 'number', 'boolean'].includes(typeof v));
  }
  assert.ok(agent.logs.some((l) => l.includes('"event":"keep.package"')));
});
