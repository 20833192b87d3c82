/**
 * The Host core in process (no HTTP), `nil` backend, in-memory database: supervision
 * (expiry, crashes, sealed outcomes, shutdown), package and input streaming, quotas, argument checks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { sealInput } from '../../src/client/session.js';
import { HostError } from '../../src/host/errors.js';
import { Host } from '../../src/host/host.js';
import type { HostOptions } from '../../src/host/host-types.js';
import type { KeepStreamEvent } from '../../src/protocol/http.js';
import { cleanup, eventually, openStream, processRuns, sealFor, workload } from './support.js';


after(cleanup);

const hosts: Host[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.close()));
});

async function open(opts: HostOptions = {}): Promise<Host> {
  const h = await Host.open({ backend: 'nil', ...opts });
  hosts.push(h);
  return h;
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof HostError) return err.code;
    if (err instanceof TypeError) return 'TypeError';
    throw err;
  }
  return 'ok';
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function collect(it: AsyncIterable<KeepStreamEvent>): Promise<KeepStreamEvent[]> {
  const out: KeepStreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('a keep given no package in time is killed and reported expired', async () => {
  const host = await open({ abandonAfterMs: 150 });
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const pid = host.getKeep('t', k.id).pid;
  assert.ok(pid !== undefined && processRuns(pid));
  const info = await host.waitForExit('t', k.id);
  assert.equal(info.state, 'expired');
  assert.equal(info.error?.code, 'ERR_EXPIRED');
  assert.ok(await eventually(() => !processRuns(pid)));
  assert.equal(await code(host.deliverPackage('t', k.id, once(new Uint8Array(1)))), 'ERR_CONFLICT');
});

test('a keep process that dies without an outcome is failed with ERR_KEEP_CRASHED', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const pid = host.getKeep('t', k.id).pid!;
  process.kill(pid, 'SIGKILL');
  const info = await host.waitForExit('t', k.id);
  assert.equal(info.state, 'failed');
  assert.equal(info.error?.code, 'ERR_KEEP_CRASHED');
  const events = await collect(host.events('t', k.id));
  assert.deepEqual(events.map((e) => e.type), ['state', 'error', 'state']);
  assert.deepEqual(events.at(-1), { type: 'state', state: 'failed', seq: (events.at(-1) as { seq: number }).seq });
});

test('a trap ends the keep as `ended`: how is sealed to the client, and the host sees records only', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const { body, keys } = await sealFor(k, workload('trap_unreachable.wasm'));
  await host.deliverPackage('t', k.id, once(body));
  const info = await host.waitForExit('t', k.id);
  assert.equal(info.state, 'ended');
  assert.equal(info.error, undefined);
  assert.ok(info.output && info.output.records >= 2);
  const events = await collect(host.events('t', k.id));
  assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ['record', 'state']);
  const opened = await openStream(events, keys);
  assert.equal(opened.stdout, 'before the trap\n');
  assert.equal(opened.outcome?.type, 'trap');
  assert.match(opened.outcome?.type === 'trap' ? opened.outcome.trap : '', /unreachable/i);
  // The exit status of the keep process tells the host nothing either.
  assert.ok(!JSON.stringify(info).includes('unreachable'));
});

test('input is forwarded sealed, and the keep ends the input stream when it ends', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const { body, keys } = await sealFor(k, workload('cat.wasm'), ['cat'], true);
  await host.deliverPackage('t', k.id, once(body));
  const lines = ['one\n', 'two\n'];
  async function* stdin(): AsyncGenerator<Uint8Array> {
    for (const l of lines) yield Buffer.from(l);
  }
  const sent = await host.sendInput('t', k.id, sealInput(keys.input, stdin()));
  assert.equal(sent.records, 3);
  const opened = await openStream(host.events('t', k.id), keys);
  assert.equal(opened.stdout, 'one\ntwo\n');
  assert.deepEqual(opened.outcome, { type: 'exit', code: 0 });
  // A second input stream to an ended keep is refused; to a keep with one open too.
  assert.equal(await code(host.sendInput('t', k.id, once(new Uint8Array(0)))), 'ERR_CONFLICT');
});

test('an input stream that never ends does not outlive its keep', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const { body, keys } = await sealFor(k, workload('hello.wasm'), [], true);
  await host.deliverPackage('t', k.id, once(body));
  let stop!: () => void;
  const never = new Promise<void>((r) => (stop = r));
  async function* idle(): AsyncGenerator<Uint8Array> {
    await never;
  }
  const sending = host.sendInput('t', k.id, sealInput(keys.input, idle()));
  assert.deepEqual((await sending), { records: 0, bytes: 0 });
  stop();
});

test('the agent stops reading a package the keep refused, instead of buffering it', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  let pulled = 0;
  const total = 64;
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < total; i++) {
      pulled++;
      yield new Uint8Array(1024 * 1024).fill(0x41);
    }
  }
  // Not a sealed package: the keep refuses its first slice (in plain text: it has no session) and ends.
  assert.equal(await code(host.deliverPackage('t', k.id, body())), 'ERR_CONFLICT');
  assert.ok(pulled < total / 2, `pulled ${pulled} of ${total} MiB`);
  const info = await host.waitForExit('t', k.id);
  assert.equal(info.state, 'failed');
  assert.equal(info.error?.code, 'ERR_PACKAGE_FORMAT');
  assert.equal(info.packageBytes, pulled * 1024 * 1024);
});

test('an upload that breaks off fails the keep with ERR_PACKAGE_INCOMPLETE', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const sealed = (await sealFor(k, workload('hello.wasm'))).body;
  async function* broken(): AsyncGenerator<Uint8Array> {
    yield sealed.subarray(0, sealed.length >> 1);
    throw new Error('client went away');
  }
  assert.equal(await code(host.deliverPackage('t', k.id, broken())), 'ERR_BAD_REQUEST');
  const info = await host.waitForExit('t', k.id);
  assert.equal(info.state, 'failed');
  assert.equal(info.error?.code, 'ERR_PACKAGE_INCOMPLETE');
});

test('a package that stalls, or does not arrive whole before the expiry, fails with ERR_REQUEST_TIMEOUT', async () => {
  const host = await open({ uploadIdleMs: 200, abandonAfterMs: 60_000 });
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const sealed = (await sealFor(k, workload('hello.wasm'))).body;
  async function* stalls(): AsyncGenerator<Uint8Array> {
    yield sealed.subarray(0, 10);
    await new Promise((r) => setTimeout(r, 5000));
    yield sealed.subarray(10);
  }
  assert.equal(await code(host.deliverPackage('t', k.id, stalls())), 'ERR_REQUEST_TIMEOUT');
  const info = await host.waitForExit('t', k.id);
  assert.equal(info.state, 'failed');
  assert.equal(info.error?.code, 'ERR_PACKAGE_INCOMPLETE');

  // A trickle never stalls long, but the whole package is due by the keep's expiry.
  const slow = await open({ uploadIdleMs: 1000, abandonAfterMs: 600 });
  const k2 = await slow.createKeep('t', { nonce: randomBytes(32) });
  const body2 = (await sealFor(k2, workload('hello.wasm'))).body;
  async function* trickle(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < body2.length; i += 16) {
      await new Promise((r) => setTimeout(r, 50));
      yield body2.subarray(i, i + 16);
    }
  }
  const started = Date.now();
  assert.match(await code(slow.deliverPackage('t', k2.id, trickle())), /^ERR_(REQUEST_TIMEOUT|CONFLICT)$/);
  assert.ok(Date.now() - started < 5000);
  assert.match((await slow.waitForExit('t', k2.id)).state, /^(failed|expired)$/);
});

test('one package per keep: a second delivery, even a concurrent one, is ERR_CONFLICT', async () => {
  const host = await open();
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  const sealed = (await sealFor(k, workload('hello.wasm'))).body;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* slow(): AsyncGenerator<Uint8Array> {
    yield sealed.subarray(0, 100);
    await gate;
    yield sealed.subarray(100);
  }
  const first = host.deliverPackage('t', k.id, slow());
  assert.equal(await code(host.deliverPackage('t', k.id, once(sealed))), 'ERR_CONFLICT');
  release();
  await first;
  assert.equal((await host.waitForExit('t', k.id)).state, 'ended');
  assert.equal(await code(host.deliverPackage('t', k.id, once(sealed))), 'ERR_CONFLICT');
});

test('finished keeps keep their records for outputRetentionMs, then only their sizes and state', async () => {
  const host = await open({ outputRetentionMs: 50 });
  const k = await host.createKeep('t', { nonce: randomBytes(32) });
  await host.deliverPackage('t', k.id, once((await sealFor(k, workload('hello.wasm'))).body));
  await host.waitForExit('t', k.id);
  assert.ok((await collect(host.events('t', k.id))).some((e) => e.type === 'record'));
  assert.ok(await eventually(async () => !(await collect(host.events('t', k.id))).some((e) => e.type === 'record')));
  const output = host.getKeep('t', k.id).output!;
  assert.deepEqual(await collect(host.events('t', k.id)), [
    { type: 'dropped', records: output.records, bytes: output.bytes },
    { type: 'state', seq: 0, state: 'ended' },
  ]);
});

test('tenants are separate in process too; unknown ids are ERR_NOT_FOUND', async () => {
  const host = await open();
  const k = await host.createKeep('alice', { nonce: randomBytes(32) });
  assert.equal(await code(() => host.getKeep('bob', k.id)), 'ERR_NOT_FOUND');
  assert.equal(await code(host.killKeep('bob', k.id)), 'ERR_NOT_FOUND');
  assert.equal(await code(() => host.events('bob', k.id)), 'ERR_NOT_FOUND');
  assert.equal(await code(host.waitForExit('bob', k.id)), 'ERR_NOT_FOUND');
  assert.equal(await code(host.deliverPackage('bob', k.id, once(new Uint8Array(1)))), 'ERR_NOT_FOUND');
  assert.deepEqual(host.listKeeps('bob'), []);
  assert.deepEqual(host.listKeeps('alice').map((i) => i.id), [k.id]);
  assert.equal(host.getKeep('alice', k.id).state, 'attested');
});

test("a caller's mistakes are TypeErrors; an unavailable backend is ERR_BACKEND_UNAVAILABLE", async () => {
  const host = await open();
  assert.equal(await code(host.createKeep('t', { nonce: new Uint8Array(31) })), 'TypeError');
  assert.equal(await code(host.createKeep('', { nonce: randomBytes(32) })), 'TypeError');
  assert.equal(await code(host.createKeep('t', { nonce: randomBytes(32), kem: 'rsa' as 'x25519' })), 'TypeError');
  assert.equal(await code(host.createKeep('t', { nonce: randomBytes(32), limits: { maxMemoryBytes: 10 } })), 'TypeError');
  assert.equal(await code(Host.open({ abandonAfterMs: -1 })), 'TypeError');
  const available = await host.availableBackends();
  const missing = (['snp', 'tdx'] as const).find((b) => !available.includes(b));
  if (missing !== undefined) assert.equal(await code(host.createKeep('t', { nonce: randomBytes(32), backend: missing })), 'ERR_BACKEND_UNAVAILABLE');
});

test('close kills every live keep (killed), then refuses new work', async () => {
  const host = await Host.open({ backend: 'nil' });
  const a = await host.createKeep('t', { nonce: randomBytes(32) });
  const b = await host.createKeep('t', { nonce: randomBytes(32) });
  await host.deliverPackage('t', b.id, once((await sealFor(b, workload('loop.wasm'))).body));
  const pids = [host.getKeep('t', a.id).pid!, host.getKeep('t', b.id).pid!];
  const states: string[] = [];
  const watching = Promise.all([a.id, b.id].map(async (id) => (await collect(host.events('t', id))).at(-1)));
  await host.close();
  for (const last of await watching) states.push(last?.type === 'state' ? last.state : '?');
  assert.deepEqual(states, ['killed', 'killed']);
  for (const pid of pids) assert.ok(await eventually(() => !processRuns(pid)));
  assert.equal(await code(host.createKeep('t', { nonce: randomBytes(32) })), 'ERR_SHUTTING_DOWN');
  await host.close();
});

test('warm keeps: new keeps adopt booted processes, the pool refills, and close kills the spares', async () => {
  const keepChildren = (): number[] =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(process.pid) && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('keep.mjs');
        } catch {
          return false;
        }
      })
      .map(Number);
  const before = new Set(keepChildren());
  const host = await open({ warmKeeps: 2 });
  const first = await host.createKeep('t', { nonce: randomBytes(32) });
  const second = await host.createKeep('t', { nonce: randomBytes(32) });
  const third = await host.createKeep('t', { nonce: randomBytes(32) });
  const pids = [first, second, third].map((k) => host.getKeep('t', k.id).pid!);
  assert.equal(new Set(pids).size, 3);
  // Each adopted keep is still a fresh, attested keep with its own key.
  assert.equal(new Set([first, second, third].map((k) => Buffer.from(k.publicKey).toString('hex'))).size, 3);
  const spares = (): number[] => keepChildren().filter((p) => !before.has(p) && !pids.includes(p));
  assert.ok(await eventually(() => spares().length === 2), 'the pool refills to 2');
  const waiting = spares();
  await host.close();
  assert.ok(await eventually(() => waiting.every((p) => !processRuns(p))), 'spares are killed on close');
});

test('an in-process caller can hand the host its default backend, already being prepared; a failed one is forgotten', async () => {
  const { createBackend } = await import('../../src/backend/index.js');
  const nil = createBackend('nil');
  let attested = 0;
  const counting = { ...nil, name: nil.name, availability: () => nil.availability(), platformInfo: () => nil.platformInfo(), attest: (d: Uint8Array, l: Parameters<typeof nil.attest>[1]) => (attested++, nil.attest(d, l)) };
  const host = await open({ defaultBackend: Promise.resolve(counting) });
  const k = await host.createKeep('t', { nonce: randomBytes(32), kem: 'x25519' });
  assert.equal(attested, 1);
  await host.killKeep('t', k.id);

  // A failed one is forgotten: the host selects the backend itself (nil here), as it would have.
  const failing = await open({ defaultBackend: Promise.reject(Object.assign(new Error('no platform here'), { code: 'ERR_BACKEND_UNAVAILABLE' })) });
  const again = await failing.createKeep('t', { nonce: randomBytes(32), kem: 'x25519' });
  assert.equal(again.evidence.backend, 'nil');
  await failing.killKeep('t', again.id);
});

test('quotas: live keeps and memory promised, per tenant and in all, refused with 429 codes before anything is spawned', async () => {
  const MiB = 1024 * 1024;
  const host = await open({ quotas: { maxKeeps: 3, maxKeepsPerTenant: 2, memoryBytes: 1024 * MiB, memoryBytesPerTenant: 700 * MiB } });
  const small = { maxMemoryBytes: 64 * MiB };
  const a1 = await host.createKeep('alice', { nonce: randomBytes(32), limits: small });
  await host.createKeep('alice', { nonce: randomBytes(32), limits: small });
  assert.equal(await code(host.createKeep('alice', { nonce: randomBytes(32), limits: small })), 'ERR_TOO_MANY_KEEPS');
  // Memory: 64 MiB of overhead per keep is promised besides its cap.
  assert.equal(await code(host.createKeep('bob', { nonce: randomBytes(32), limits: { maxMemoryBytes: 700 * MiB } })), 'ERR_MEMORY_QUOTA');
  await host.createKeep('bob', { nonce: randomBytes(32), limits: small });
  assert.equal(await code(host.createKeep('carol', { nonce: randomBytes(32), limits: small })), 'ERR_TOO_MANY_KEEPS');
  // Concurrent requests cannot both squeeze into the last place.
  await host.killKeep('alice', a1.id);
  const racing = await Promise.all([1, 2, 3].map(() => code(host.createKeep('carol', { nonce: randomBytes(32), limits: small }))));
  assert.deepEqual(racing.sort(), ['ERR_TOO_MANY_KEEPS', 'ERR_TOO_MANY_KEEPS', 'ok']);
  assert.equal(new HostError('ERR_TOO_MANY_KEEPS', '').status, 429);
});
