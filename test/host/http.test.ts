/**
 * The host agent's HTTP API end to end on 127.0.0.1 with the `nil` backend: real keep
 * processes, real HTTP, an in-memory database. The agent carries sealed records only: the tests
 * open them with the session's keys, as the deploying client does.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { HttpHost } from '../../src/client/http-host.js';
import { sealInput } from '../../src/client/session.js';
import { SEALED_INPUT_MEDIA_TYPE } from '../../src/protocol/http.js';
import type { Agent, CreatedJson } from './support.js';
import { TOKENS, assertError, cleanup, decodeSse, eventually, nonceHex, okJson, openStream, processRuns, readSse, sealFor, startAgent, workload } from './support.js';

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

test('a full deploy: sealed hello.wasm runs, its sealed output and outcome stream back over SSE', async () => {
  const k = await create();
  const { body, keys } = await sealFor(k, workload('hello.wasm'));
  const put = await okJson(
    await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body, headers: { 'content-type': 'application/vnd.enarx.sealed-package' } }),
    202,
  );
  assert.equal(put['id'], k.id);
  const events = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`));
  // The host sees records, states and nothing else; the client opens the records.
  assert.deepEqual([...new Set(events.map((e) => e.event))].sort(), ['record', 'state']);
  assert.ok(!events.some((e) => Buffer.from(e.data, 'base64').includes('Hello')), 'no plaintext on the wire');
  const opened = await openStream(decodeSse(events), keys);
  assert.equal(opened.stdout, 'Hello, world!\n');
  assert.deepEqual(opened.outcome, { type: 'exit', code: 0 });
  assert.deepEqual(
    events.filter((e) => e.event === 'state').map((e) => JSON.parse(e.data).state),
    ['attested', 'running', 'ended'],
  );
  // Every event with a sequence number has a larger one than the last.
  const ids = events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const info = await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`));
  assert.equal(info['state'], 'ended');
  assert.equal(info['exitCode'], undefined, 'the host does not know how the workload ended');
  assert.equal(info['packageBytes'], body.length);
  const records = events.filter((e) => e.event === 'record');
  assert.deepEqual(info['output'], { records: records.length, bytes: records.reduce((n, e) => n + Buffer.from(e.data, 'base64').length, 0) });
  // Resuming after the first record replays only what followed it.
  const first = records[0]!.id!;
  const rest = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`, { headers: { 'last-event-id': first } }));
  assert.ok(rest.every((e) => e.id === undefined || Number(e.id) > Number(first)));
  assert.deepEqual(rest.map((e) => e.event), [...Array(records.length - 1).fill('record'), 'state']);
});

test('stdin: sealed input records reach the workload; anything else is refused', async () => {
  const k = await create();
  const { body, keys } = await sealFor(k, workload('cat.wasm'), ['cat'], true);
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body }), 202);
  // Not records: 400, and the keep does not get it.
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/input`, { body: Buffer.from('plain text'), headers: { 'content-type': SEALED_INPUT_MEDIA_TYPE } }), 400, 'ERR_BAD_REQUEST');
  const host = new HttpHost(agent.url, TOKENS.alice);
  async function* lines(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('sealed ');
    yield Buffer.from('input\n');
  }
  await host.sendInput(k.id, sealInput(keys.input, lines()));
  const opened = await openStream(host.events(k.id), keys);
  assert.equal(opened.stdout, 'sealed input\n');
  assert.deepEqual(opened.outcome, { type: 'exit', code: 0 });
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

/** The first `n` bytes output.wasm writes. */
function outputPattern(n: number): Buffer {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01';
  const lines: string[] = [];
  for (let i = 0; lines.length * 64 < n; i++) lines.push(`${String(i).padStart(8, '0')} ${Array.from({ length: 54 }, (_, j) => letters[(i + j) % 54]).join('')}\n`);
  return Buffer.from(lines.join('')).subarray(0, n);
}

test('with no one following, records beyond the retention are dropped oldest first, and late readers are told', async () => {
  const k = await create();
  // 3 MiB of stdout, 1 MiB retained (startAgent's default); nobody reads while it runs.
  const { body, keys } = await sealFor(k, workload('output.wasm'), ['output.wasm', '3145728']);
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body }), 202);
  await agent.host.waitForExit('alice', k.id);
  const events = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`));
  const dropped = events.filter((e) => e.event === 'dropped').map((e) => JSON.parse(e.data) as { records: number; bytes: number });
  assert.equal(dropped.length, 1);
  assert.equal(events.find((e) => e.event !== 'state')?.event, 'dropped', 'said before the records that are left');
  // A strict client (a deploy) refuses the gap; a lenient one (keep logs) reads the tail.
  assert.equal((await openStream(decodeSse(events), keys)).error?.code, 'ERR_OUTPUT_DROPPED');
  const tail = await openStream(decodeSse(events), keys, true);
  assert.deepEqual(tail.outcome, { type: 'exit', code: 0 });
  const all = outputPattern(3 * 1024 * 1024).toString();
  assert.ok(tail.stdout.length > 512 * 1024 && all.endsWith(tail.stdout), `a tail of ${tail.stdout.length} bytes`);
  const info = await okJson(await agent.api('alice', 'GET', `/v1/keeps/${k.id}`));
  assert.equal(JSON.parse(events.at(-1)?.data ?? '{}').state, 'ended');
  assert.ok((info['output'] as { bytes: number }).bytes > 3 * 1024 * 1024);
});

test('a client that follows its keep loses nothing: a slow one slows the keep, the host holds a bounded amount', async () => {
  const k = await create();
  const size = 4 * 1024 * 1024;
  const { body, keys } = await sealFor(k, workload('output.wasm'), ['output.wasm', String(size)]);
  const host = new HttpHost(agent.url, TOKENS.alice);
  const events = host.events(k.id);
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body }), 202);
  async function* slowly(): AsyncGenerator<import('../../src/protocol/http.js').KeepStreamEvent> {
    for await (const e of events) {
      // A reader slower than the workload: 8 ms a record.
      if (e.type === 'record') await new Promise((r) => setTimeout(r, 8));
      yield e;
    }
  }
  const opened = await openStream(slowly(), keys);
  assert.equal(opened.error, undefined, String(opened.error));
  assert.equal(createHash('sha256').update(opened.stdout).digest('hex'), createHash('sha256').update(outputPattern(size)).digest('hex'));
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
  await assertError(await agent.api('alice', 'GET', '/v1/keeps/00000000-0000-0000-0000-000000000000/events', { headers: { 'last-event-id': 'x' } }), 400, 'ERR_BAD_REQUEST');
  const k = await create();
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body: 'x', headers: { 'content-type': 'application/json' } }), 400, 'ERR_BAD_REQUEST');
  await assertError(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/input`, { body: 'x', headers: { 'content-type': SEALED_INPUT_MEDIA_TYPE } }), 409, 'ERR_CONFLICT');
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
  const { body, keys } = await sealFor(k, workload('loop.wasm'));
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body }), 202);
  const pid = agent.host.getKeep('alice', k.id).pid;
  assert.ok(pid !== undefined);
  // Wait until it runs (it prints, then spins).
  for await (const e of agent.host.events('alice', k.id)) if (e.type === 'record') break;
  // An event stream open while the keep is killed ends with the final state.
  const streaming = agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`).then(readSse);
  const killed = await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${k.id}`));
  assert.equal(killed['state'], 'killed');
  const events = await streaming;
  const opened = await openStream(decodeSse(events), keys);
  assert.equal(opened.stdout, 'looping\n');
  assert.equal(opened.error?.code, 'ERR_KEEP_KILLED', 'killed, as the host says: not an exit, not truncation');
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
