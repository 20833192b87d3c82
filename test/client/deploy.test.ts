import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deploy } from '../../src/client/deploy.js';
import type { HostApi } from '../../src/client/host-api.js';
import { openEmbeddedHost } from '../../src/client/embedded-host.js';
import type { EmbeddedHost } from '../../src/client/embedded-host.js';
import type { KeepTrustPolicy } from '../../src/client/verify-keep.js';
import type { Package } from '../../src/crypto/package.js';
import { loadReferenceValues } from '../../src/runtime/reference-values.js';
import { REPO_ROOT } from '../support/vectors.js';

let stateDir: string;
let host: EmbeddedHost;
let trust: KeepTrustPolicy;
let simRoots: readonly Uint8Array[] = [];

const cat = readFileSync(join(REPO_ROOT, 'test', 'workloads', 'bin', 'cat.wasm'));
const pkg = (files: Package['files'], args: string[]): Package => ({ wasm: cat, files, args: ['cat', ...args], env: {}, fds: ['stdin', 'stdout', 'stderr'] });

/** The local host, remembering the sim root it presents (the local client trusts its own platform). */
function api(tamper?: (sealed: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>): HostApi {
  return {
    createKeep: async (r) => {
      const k = await host.createKeep(r);
      simRoots = k.evidence.trustRoots ?? [];
      return k;
    },
    deliverPackage: (id, s) => host.deliverPackage(id, tamper ? tamper(s) : s),
    events: (id) => host.events(id),
    killKeep: (id) => host.killKeep(id),
  };
}

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-deploy-'));
  host = await openEmbeddedHost({ stdio: 'pipe', backendStateDir: stateDir });
  trust = {
    allowSim: true,
    get simRoots() {
      return simRoots;
    },
    referenceValues: await loadReferenceValues(),
  };
});
after(async () => {
  await host.close();
  rmSync(stateDir, { recursive: true, force: true });
});

test('a package deployed to a sim keep runs there: files from memory, output streamed back', async () => {
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

test('a tampered ciphertext is refused by the keep with a clear error', async () => {
  const flip = async function* (s: AsyncIterable<Uint8Array>) {
    let n = 0;
    for await (const p of s) {
      const b = Buffer.from(p);
      if (n++ === 1) b[10]! ^= 1; // inside the first chunk's ciphertext
      yield b;
    }
  };
  const r = await deploy(api(flip), pkg([], []), { trust, backend: 'sim' });
  assert.equal(r.outcome.type, 'error');
  assert.equal(r.outcome.type === 'error' && r.outcome.code, 'ERR_PACKAGE_SEAL');
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
  const r = await deploy(api(replay), pkg([], []), { trust, backend: 'sim' });
  assert.equal(r.outcome.type === 'error' && r.outcome.code, 'ERR_PACKAGE_SEAL');
  sealedForA = [];
});

test('a keep whose measurement is not accepted is killed and gets nothing', async () => {
  let delivered = false;
  const watch = async function* (s: AsyncIterable<Uint8Array>) {
    delivered = true;
    yield* s;
  };
  await assert.rejects(deploy(api(watch), pkg([], []), { trust: { ...trust, simRoots, referenceValues: [] }, backend: 'sim' }), { code: 'ERR_MEASUREMENT' });
  assert.equal(delivered, false);
});
