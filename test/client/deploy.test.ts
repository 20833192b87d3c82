import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadReferenceValues } from '../../src/attestation/reference-values.js';
import { deploy } from '../../src/client/deploy.js';
import { DeployError } from '../../src/client/errors.js';
import type { KeepTrustPolicy } from '../../src/client/verify-keep.js';
import type { Package } from '../../src/crypto/package.js';
import { openEmbeddedHost } from '../../src/host/embedded.js';
import type { EmbeddedHost } from '../../src/host/embedded.js';
import type { HostApi } from '../../src/protocol/host-api.js';
import { REPO_ROOT } from '../support/vectors.js';

let stateDir: string;
let host: EmbeddedHost;
let trust: KeepTrustPolicy;

const cat = readFileSync(join(REPO_ROOT, 'test', 'workloads', 'bin', 'cat.wasm'));
const pkg = (files: Package['files'], args: string[]): Package => ({ wasm: cat, files, args: ['cat', ...args], env: {}, fds: ['stdin', 'stdout', 'stderr'], ttys: [] });

/** The local host, with the package upload passed through `tamper`. */
function api(tamper?: (sealed: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>): HostApi {
  return { ...host, deliverPackage: (id, s) => host.deliverPackage(id, tamper ? tamper(s) : s) };
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-deploy-'));
  host = await openEmbeddedHost({ backendStateDir: stateDir });
  // The local client trusts the root its own sim platform presents.
  trust = { sim: 'presented', referenceValues: await loadReferenceValues() };
});
after(async () => {
  await host.close();
  rmSync(stateDir, { recursive: true, force: true });
});

test('a package deployed to a sim keep runs there: files from memory, output streamed back sealed', async () => {
  const out: Buffer[] = [];
  const r = await deploy(api(), pkg([{ path: 'secret.txt', data: Buffer.from('canary-7f3a') }], ['/secret.txt']), {
    trust,
    backend: 'sim',
    onOutput: (s, d) => s === 'stdout' && out.push(Buffer.from(d)),
  });
  assert.deepEqual(r.outcome, { type: 'exit', code: 0 });
  assert.equal(Buffer.concat(out).toString(), 'canary-7f3a');
  assert.equal(r.accepted.appraisal?.tee, 'sim');
});

test('stdin is sealed to the keep: the workload reads it, and the host forwards records only', async () => {
  const out: Buffer[] = [];
  const r = await deploy(api(), pkg([], []), { trust, backend: 'sim', input: chunks('line one\n', 'line two\n'), onOutput: (_, d) => out.push(Buffer.from(d)) });
  assert.deepEqual(r.outcome, { type: 'exit', code: 0 });
  assert.equal(Buffer.concat(out).toString(), 'line one\nline two\n');
});

test('a tampered package is refused by the keep, which says so in plain text: the deploy fails', async () => {
  const flip = async function* (s: AsyncIterable<Uint8Array>) {
    let n = 0;
    let flipped = false;
    for await (const p of s) {
      const b = Buffer.from(p);
      // Inside the first chunk's ciphertext (after the header, in a piece long enough).
      if (n++ >= 1 && !flipped && b.length > 10) {
        b[10]! ^= 1;
        flipped = true;
      }
      yield b;
    }
    assert.ok(flipped);
  };
  await assert.rejects(deploy(api(flip), pkg([], []), { trust, backend: 'sim' }), (e: unknown) => e instanceof DeployError && e.code === 'ERR_KEEP_FAILED' && e.hostCode === 'ERR_PACKAGE_SEAL');
});

test('a package sealed for keep A cannot be opened by keep B', async () => {
  let sealedForA: Uint8Array[] = [];
  const capture = async function* (s: AsyncIterable<Uint8Array>) {
    for await (const p of s) {
      sealedForA.push(p);
      yield p;
    }
  };
  await deploy(api(capture), pkg([], []), { trust, backend: 'sim' });
  // Keep B gets A's ciphertext instead of its own.
  const replay = async function* (s: AsyncIterable<Uint8Array>) {
    for await (const _ of s) void _;
    yield* sealedForA;
  };
  await assert.rejects(deploy(api(replay), pkg([], []), { trust, backend: 'sim' }), (e: unknown) => e instanceof DeployError && e.hostCode === 'ERR_PACKAGE_SEAL');
  sealedForA = [];
});

test('a keep whose measurement is not accepted is killed and gets nothing', async () => {
  let delivered = false;
  const watch = async function* (s: AsyncIterable<Uint8Array>) {
    delivered = true;
    yield* s;
  };
  await assert.rejects(deploy(api(watch), pkg([], []), { trust: { ...trust, referenceValues: [] }, backend: 'sim' }), { code: 'ERR_MEASUREMENT' });
  assert.equal(delivered, false);
  // A measurement given by itself is the only one accepted: not the keep's, so nothing is sent.
  await assert.rejects(deploy(api(watch), pkg([], []), { trust: { ...trust, referenceValues: [], measurements: ['ab'.repeat(48)] }, backend: 'sim' }), { code: 'ERR_MEASUREMENT' });
  assert.equal(delivered, false);
});

test('the trust policy may still be in the making when the deploy starts; it is read, never changed', async () => {
  const policy = Object.freeze({ ...trust });
  const r = await deploy(api(), pkg([], []), { trust: new Promise((r) => setTimeout(() => r(policy), 20)), backend: 'sim', input: chunks() });
  assert.deepEqual(r.outcome, { type: 'exit', code: 0 });
});

test('stdin is read only once the workload wants it: one that never reads leaves it untouched', async () => {
  let pulled = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    pulled++;
    yield Buffer.from('not for hello\n');
  }
  const hello = readFileSync(join(REPO_ROOT, 'test', 'workloads', 'bin', 'hello.wasm'));
  const r = await deploy(api(), { ...pkg([], []), wasm: hello }, { trust, backend: 'sim', input: counted() });
  assert.deepEqual(r.outcome, { type: 'exit', code: 0 });
  assert.equal(pulled, 0, 'the client read none of its stdin');
  // A workload that reads gets it, after the keep has said so.
  const events: string[] = [];
  const watching: typeof host = { ...host, events: (id, o) => (async function* () {
    for await (const e of host.events(id, o)) {
      events.push(e.type);
      yield e;
    }
  })() };
  const out: Buffer[] = [];
  const r2 = await deploy(watching, pkg([], []), { trust, backend: 'sim', input: counted(), onOutput: (_, d) => out.push(Buffer.from(d)) });
  assert.deepEqual(r2.outcome, { type: 'exit', code: 0 });
  assert.equal(Buffer.concat(out).toString(), 'not for hello\n');
  assert.ok(events.indexOf('input-wanted') !== -1 && events.indexOf('input-wanted') < events.lastIndexOf('record'));
});
