import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseCertificates } from '../../src/attestation/pki/certificate.js';
import { CERT_TABLE_GUIDS } from '../../src/attestation/snp/certtable.js';
import { SnpOffset } from '../../src/attestation/snp/report.js';
import { verifyEvidence } from '../../src/attestation/verify.js';
import { verifySnp } from '../../src/attestation/snp/verify.js';
import { createBackend, type Backend } from '../../src/backend/index.js';
import { SKIP_NO_VECTORS, readVector } from '../support/vectors.js';
import { readSelf, selfOptions, signedVariant, SELF_NOW } from '../attestation/support/snp-vectors.js';
import { backendSuite } from './suite.js';
import { FakeConfigfs, certTable, strictLength, type Blobs } from './support/fake-configfs.js';
import { cleanupTempDirs, tempDir } from './support/sim-state.js';

after(cleanupTempDirs);

const vcekDer = new Uint8Array(readSelf('milan-vcek.der'));
const askDer = parseCertificates(readSelf('milan-ask.pem'))[0]!.toDer();
const arkDer = parseCertificates(readSelf('milan-ark.pem'))[0]!.toDer();

/** sev-guest answering with a report signed by the self-made Milan VCEK, and a full cert table. */
function milanProvider(inblob: Uint8Array): Blobs {
  return {
    outblob: signedVariant('milan', { version: 3, reportData: inblob }),
    auxblob: certTable([
      { guid: CERT_TABLE_GUIDS.ark, data: arkDer },
      { guid: CERT_TABLE_GUIDS.ask, data: askDer },
      { guid: CERT_TABLE_GUIDS.vcek, data: vcekDer },
    ]),
  };
}

let current: FakeConfigfs | undefined;
function snpOn(fake: FakeConfigfs): Backend {
  current = fake;
  return createBackend('snp', { configfsRoot: fake.root, configfsIo: fake });
}

backendSuite({
  name: 'snp',
  make: async () => snpOn(new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: strictLength(64, milanProvider) })),
  makeUnavailable: async () => snpOn(new FakeConfigfs(tempDir(), { provider: 'tdx_guest', respond: milanProvider })),
  verifier: {
    format: 'sev-snp',
    // The verifier takes the VCEK and ASK the host supplied; only the (test) ARK is trusted.
    options: (e) => ({ certs: e.certs, trustRoots: [arkDer], now: SELF_NOW }),
    reportDataOffset: SnpOffset.REPORT_DATA,
    tamperCodes: ['ERR_SNP_SIGNATURE'],
  },
  afterEach: () => {
    assert.deepEqual(current?.entries(), [], 'every report entry was removed');
  },
});

test('snp: the certificates come from the auxblob, signer first', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: milanProvider });
  const e = await snpOn(fake).attest(new Uint8Array(64).fill(1), { measurement: new Uint8Array(48) });
  assert.deepEqual(e.certs, [vcekDer, askDer, arkDer]);
  assert.equal(e.trustRoots, undefined, 'real hardware brings no roots of its own');
  // The built-in AMD roots do not know the test ARK.
  await assert.rejects(verifyEvidence(e.report, { certs: e.certs, now: SELF_NOW }), { code: 'ERR_CHAIN' });
});

test('snp: no auxblob from the host means no certificates (the verifier fetches the VCEK)', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: (i) => ({ outblob: signedVariant('milan', { reportData: i }) }) });
  const e = await snpOn(fake).attest(new Uint8Array(64).fill(2), { measurement: new Uint8Array(48) });
  assert.deepEqual(e.certs, []);
  const a = await verifySnp(e.report, selfOptions('milan'));
  assert.equal(a.reportData, '02'.repeat(64));
});

test('snp: a VLEK-signed report gets the VLEK first', async () => {
  const vlekDer = new Uint8Array(readSelf('milan-vlek.der'));
  const fake = new FakeConfigfs(tempDir(), {
    provider: 'sev_guest',
    respond: (i) => ({
      outblob: signedVariant('milan', { reportData: i }, 'vlek'),
      auxblob: certTable([{ guid: CERT_TABLE_GUIDS.vcek, data: vcekDer }, { guid: CERT_TABLE_GUIDS.vlek, data: vlekDer }]),
    }),
  });
  const e = await snpOn(fake).attest(new Uint8Array(64).fill(3), { measurement: new Uint8Array(48) });
  assert.deepEqual(e.certs[0], vlekDer);
  const a = await verifySnp(e.report, { ...selfOptions('milan', 'vlek'), certs: [e.certs[0]!, readSelf('milan-asvk.pem')] });
  assert.equal(a.details['signingKey'], 'VLEK');
});

test('snp: what the provider returns is checked: not a report, not ours, a broken cert table', async () => {
  const cases: [string, (i: Uint8Array) => Blobs][] = [
    ['not a report', () => ({ outblob: new Uint8Array(1184).fill(0xff) })],
    ['a report for other data', () => ({ outblob: signedVariant('milan', { reportData: new Uint8Array(64).fill(9) }) })],
    ['a truncated report', (i) => ({ outblob: signedVariant('milan', { reportData: i }).subarray(0, 1000) })],
    ['a broken certificate table', (i) => ({ outblob: signedVariant('milan', { reportData: i }), auxblob: new Uint8Array(30).fill(1) })],
  ];
  for (const [what, respond] of cases) {
    const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond });
    await assert.rejects(snpOn(fake).attest(new Uint8Array(randomBytes(64)), { measurement: new Uint8Array(48) }), { code: 'ERR_BACKEND_PROTOCOL' }, what);
    assert.deepEqual(fake.entries(), [], what);
  }
});

test('snp: real configfs-tsm evidence (veraison outblob + auxblob) comes out verifiable against AMD', { skip: SKIP_NO_VECTORS }, async () => {
  const outblob = new Uint8Array(readVector('sev-snp/veraison-tsm/outblob.bin'));
  const auxblob = new Uint8Array(readVector('sev-snp/veraison-tsm/auxblob.bin'));
  const reportData = new Uint8Array(Buffer.from('MIDBNH28iioisjPyxxxxxxxxxxxxxxxx'.repeat(2), 'latin1'));
  // This provider can only ever answer that one inblob, as a real chip answered it.
  const fake = new FakeConfigfs(tempDir(), {
    provider: 'sev_guest',
    respond: (i) => {
      assert.deepEqual(i, reportData);
      return { outblob, auxblob };
    },
  });
  const e = await snpOn(fake).attest(reportData, { measurement: new Uint8Array(48) });
  assert.deepEqual(e.report, outblob);
  assert.equal(e.certs.length, 3);
  const [vcek, ask, ark] = e.certs.map((c) => parseCertificates(c)[0]!);
  assert.equal(vcek!.commonName, 'SEV-VCEK');
  assert.equal(ask!.commonName, 'SEV-Genoa');
  assert.equal(ark!.sha256, '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1');
  // AMD's pinned roots only: no trustRoots.
  const a = await verifyEvidence(e.report, { certs: e.certs, reportData, now: new Date('2026-01-01T00:00:00Z') });
  assert.equal(a.product, 'Genoa');
  // A request for other report data cannot be answered with this report.
  const replaying = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: () => ({ outblob, auxblob }) });
  await assert.rejects(snpOn(replaying).attest(new Uint8Array(64), { measurement: new Uint8Array(48) }), { code: 'ERR_BACKEND_PROTOCOL' });
  assert.deepEqual(replaying.entries(), []);
});
