import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyEvidence } from '../../src/attestation/verify.js';
import { createBackend, type Backend } from '../../src/backend/index.js';
import { SKIP_NO_VECTORS, readVector } from '../support/vectors.js';
import { backendSuite } from './suite.js';
import { FakeConfigfs, strictLength } from './support/fake-configfs.js';
import { cleanupTempDirs, tempDir } from './support/sim-state.js';
import { TDX_NOW, tdxQuote, tdxTestPki } from './support/tdx-quote.js';

after(cleanupTempDirs);

let current: FakeConfigfs | undefined;
function tdxOn(fake: FakeConfigfs): Backend {
  current = fake;
  return createBackend('tdx', { configfsRoot: fake.root, configfsIo: fake });
}

// tdx-guest has no auxblob attribute.
const tdxGuest = (root: string, provider = 'tdx_guest'): FakeConfigfs =>
  new FakeConfigfs(root, { provider, auxblob: false, respond: strictLength(64, (i) => ({ outblob: tdxQuote(i) })) });

backendSuite({
  name: 'tdx',
  make: async () => tdxOn(tdxGuest(tempDir())),
  makeUnavailable: async () => tdxOn(tdxGuest(tempDir(), 'sev_guest')),
  verifier: {
    format: 'tdx',
    options: () => ({ trustRoots: [tdxTestPki().rootDer], allowNoCollateral: true, now: TDX_NOW }),
    reportDataOffset: 48 + 520,
    tamperCodes: ['ERR_QUOTE_SIGNATURE'],
  },
  afterEach: () => {
    assert.deepEqual(current?.entries(), [], 'every report entry was removed');
  },
});

test('tdx: a real quote (go-tdx-guest, Sapphire Rapids) passes through unchanged and verifies against Intel', { skip: SKIP_NO_VECTORS }, async () => {
  const quote = new Uint8Array(readVector('tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat'));
  const reportData = quote.slice(48 + 520, 48 + 520 + 64);
  const fake = new FakeConfigfs(tempDir(), { provider: 'tdx_guest', auxblob: false, respond: () => ({ outblob: quote }) });
  const e = await tdxOn(fake).attest(reportData, { measurement: new Uint8Array(48) });
  assert.deepEqual(e.report, quote);
  assert.deepEqual(e.certs, []);
  const a = await verifyEvidence(e.report, { reportData, allowNoCollateral: true, now: new Date('2023-07-01T00:00:00Z') });
  assert.equal(a.tee, 'tdx');
  await assert.rejects(tdxOn(fake).attest(new Uint8Array(64), { measurement: new Uint8Array(48) }), { code: 'ERR_BACKEND_PROTOCOL' });
  assert.deepEqual(fake.entries(), []);
});

test('tdx: an SNP report from a tdx_guest provider is a protocol error', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'tdx_guest', respond: () => ({ outblob: new Uint8Array(1184) }) });
  await assert.rejects(tdxOn(fake).attest(new Uint8Array(64), { measurement: new Uint8Array(48) }), { code: 'ERR_BACKEND_PROTOCOL' });
});
