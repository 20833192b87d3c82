import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyEvidence } from '../../src/attestation/verify.js';
import { parseCertificate } from '../../src/attestation/pki/certificate.js';
import { amdKeyInfo } from '../../src/attestation/snp/vcek.js';
import { SnpOffset, parseSnpReport } from '../../src/attestation/snp/report.js';
import { SIM_PLATFORM, SimBackend, createBackend } from '../../src/backend/index.js';
import type { Evidence } from '../../src/protocol/evidence.js';
import { loadOrCreateSimState } from '../../src/backend/sim/state.js';
import { backendSuite } from './suite.js';
import { cleanupTempDirs, simStateCopy, tempDir } from './support/sim-state.js';

after(cleanupTempDirs);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const trusting = (e: Evidence) => ({ certs: e.certs, trustRoots: e.trustRoots });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'accepted';
}

backendSuite({
  name: 'sim',
  make: async () => createBackend('sim', { stateDir: await simStateCopy() }),
  // A state directory below a regular file can never be created.
  makeUnavailable: async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    return createBackend('sim', { stateDir: join(dir, 'file', 'state') });
  },
  verifier: {
    format: 'sev-snp',
    options: trusting,
    reportDataOffset: SnpOffset.REPORT_DATA,
    tamperCodes: ['ERR_SNP_SIGNATURE'],
  },
});

test('sim: the platform is created once, atomically, and reused (same ARK) by every instance', async () => {
  const stateDir = join(tempDir(), 'nested', 'state');
  const a = new SimBackend({ stateDir, now: () => new Date() });
  const b = new SimBackend({ stateDir, now: () => new Date() });
  assert.equal((await a.platformInfo())['initialized'], false);
  assert.equal(existsSync(stateDir), false, 'asking for platform info creates nothing');
  // Two first uses at once: both create a platform, one wins the rename, both use the winner.
  const [ea, eb] = await Promise.all([a.attest(rand(64), { measurement: rand(48) }), b.attest(rand(64), { measurement: rand(48) })]);
  assert.deepEqual(ea.trustRoots, eb.trustRoots);
  assert.deepEqual(ea.certs, eb.certs);
  const c = new SimBackend({ stateDir, now: () => new Date() });
  const ec = await c.attest(rand(64), { measurement: rand(48) });
  assert.deepEqual(ec.trustRoots, ea.trustRoots);
  assert.equal(ec.certs.length, 3);
  assert.deepEqual(ec.certs[2], ea.trustRoots![0]);

  const dir = join(stateDir, 'sim');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  for (const k of ['ark.key', 'ask.key', 'vcek.key']) assert.equal(statSync(join(dir, k)).mode & 0o777, 0o600, k);
  for (const k of ['ark.pem', 'ask.pem', 'vcek.pem', 'platform.json']) assert.equal(statSync(join(dir, k)).mode & 0o077, 0o044, k);
  const info = await c.platformInfo();
  assert.equal(info['initialized'], true);
  assert.equal((info['ark'] as { sha256: string }).sha256, parseCertificate(ea.trustRoots![0]!).sha256);
  // No leftovers of the losing creation.
  assert.deepEqual(
    readdirSync(stateDir).filter((n) => n.startsWith('.sim-')),
    [],
  );
});

test('sim: the chain has AMD\'s algorithms and extensions, and the report the genuine fields', async () => {
  const b = createBackend('sim', { stateDir: await simStateCopy() });
  const measurement = rand(48);
  const rd = rand(64);
  const e = await b.attest(rd, { measurement });
  const [vcek, ask, ark] = e.certs.map((d) => parseCertificate(d));
  for (const c of [vcek!, ask!, ark!]) {
    assert.equal(c.signatureAlgorithm.name, 'RSASSA-PSS-SHA384');
    assert.equal(c.signatureAlgorithm.pssSaltLength, 48);
  }
  assert.equal(ark!.commonName, 'ARK-Milan');
  assert.equal(ask!.commonName, 'SEV-Milan');
  assert.equal(vcek!.commonName, 'SEV-VCEK');
  assert.equal(ark!.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
  assert.equal(ask!.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
  assert.equal(vcek!.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  assert.equal(vcek!.serialNumber, '0');
  const info = amdKeyInfo(vcek!);
  assert.equal(info.productName, 'Milan-B0');
  assert.equal(info.kind, 'VCEK');
  assert.deepEqual({ ...info.spl }, { ...SIM_PLATFORM.reportedTcb });
  const pi = await b.platformInfo();
  assert.equal(info.hwId, pi['chipId']);

  const report = parseSnpReport(e.report);
  assert.equal(report.version, 3);
  assert.equal(report.vmpl, 0);
  assert.equal(report.signingKey, 'VCEK');
  assert.equal(report.policy.debug, false);
  assert.equal(report.policy.smt, true);
  assert.equal(report.measurement, hex(measurement));
  assert.equal(report.reportData, hex(rd));
  assert.equal(report.chipId, pi['chipId']);
  assert.equal(report.cpuidProduct, 'Milan');

  const a = await verifyEvidence(e.report, { ...trusting(e), measurements: [hex(measurement)], reportData: rd, vmpl: 0 });
  assert.equal(a.tee, 'sev-snp');
  assert.equal(a.product, 'Milan');
  assert.equal(a.debug, false);
  assert.equal(a.measurement, hex(measurement));
  assert.deepEqual(a.chain.map((c) => c.sha256), [vcek!.sha256, ask!.sha256, ark!.sha256]);
});

test('sim: MEASUREMENT is the launcher\'s record, so a different reference value is refused', async () => {
  const b = createBackend('sim', { stateDir: await simStateCopy() });
  const mine = rand(48);
  const e = await b.attest(rand(64), { measurement: mine });
  assert.equal(await codeOf(verifyEvidence(e.report, { ...trusting(e), measurements: [hex(rand(48))] })), 'ERR_MEASUREMENT');
  assert.equal(await codeOf(verifyEvidence(e.report, { ...trusting(e), measurements: [hex(mine)] })), 'accepted');
});

test('sim: the verifier refuses it unless told to trust the sim ARK (ERR_CHAIN)', async () => {
  const b = createBackend('sim', { stateDir: await simStateCopy() });
  const e = await b.attest(rand(64), { measurement: rand(48) });
  assert.equal(await codeOf(verifyEvidence(e.report, { certs: e.certs })), 'ERR_CHAIN');
  assert.equal(await codeOf(verifyEvidence(e.report, { certs: [e.certs[0]!] })), 'ERR_CHAIN');
  // Another sim installation's ARK is no substitute.
  const other = await createBackend('sim', { stateDir: join(tempDir(), 's') }).attest(rand(64), { measurement: rand(48) });
  assert.notDeepEqual(other.trustRoots, e.trustRoots);
  assert.equal(await codeOf(verifyEvidence(e.report, { certs: e.certs, trustRoots: other.trustRoots })), 'ERR_CHAIN');
  assert.equal(await codeOf(verifyEvidence(e.report, { certs: other.certs, trustRoots: other.trustRoots })), 'ERR_SNP_SIGNATURE');
});

test('sim: any tampering with the signed bytes fails with ERR_SNP_SIGNATURE', async () => {
  const b = createBackend('sim', { stateDir: await simStateCopy() });
  const e = await b.attest(rand(64), { measurement: rand(48) });
  for (const offset of [SnpOffset.MEASUREMENT, SnpOffset.MEASUREMENT + 47, SnpOffset.REPORT_DATA, SnpOffset.CHIP_ID, SnpOffset.SIGNATURE_R]) {
    const bad = new Uint8Array(e.report);
    bad[offset]! ^= 0x80;
    assert.equal(await codeOf(verifyEvidence(bad, trusting(e))), 'ERR_SNP_SIGNATURE', `offset 0x${offset.toString(16)}`);
  }
});

test('sim: a malformed launch record is a TypeError', async () => {
  const b = createBackend('sim', { stateDir: await simStateCopy() });
  for (const launch of [undefined, null, {}, { measurement: new Uint8Array(47) }, { measurement: new Uint8Array(49) }, { measurement: Array(48).fill(0) }]) {
    await assert.rejects(b.attest(rand(64), launch as never), TypeError);
  }
});

test('sim: damaged or exposed state is refused with ERR_BACKEND_STATE, never silently replaced', async () => {
  const cases: [string, (dir: string) => void][] = [
    ['a private key readable by others', (d) => chmodSync(join(d, 'vcek.key'), 0o644)],
    ['a missing key', (d) => rmSync(join(d, 'vcek.key'))],
    ['another chip id in platform.json', (d) => {
      const p = JSON.parse(readFileSync(join(d, 'platform.json'), 'utf8')) as { chipId: string };
      p.chipId = 'ab'.repeat(64);
      writeFileSync(join(d, 'platform.json'), JSON.stringify(p));
    }],
    ['another TCB in platform.json', (d) => {
      const p = JSON.parse(readFileSync(join(d, 'platform.json'), 'utf8')) as { reportedTcb: { snp: number } };
      p.reportedTcb.snp += 1;
      writeFileSync(join(d, 'platform.json'), JSON.stringify(p));
    }],
    ['platform.json that is not JSON', (d) => writeFileSync(join(d, 'platform.json'), '{')],
    ['a VCEK that is the ARK', (d) => writeFileSync(join(d, 'vcek.pem'), readFileSync(join(d, 'ark.pem')))],
    ['a key of another platform', (d) => writeFileSync(join(d, 'vcek.key'), readFileSync(join(d, 'ark.key')), { mode: 0o600 })],
  ];
  for (const [what, damage] of cases) {
    const stateDir = await simStateCopy();
    const dir = join(stateDir, 'sim');
    const arkBefore = readFileSync(join(dir, 'ark.pem'), 'utf8');
    damage(dir);
    const b = createBackend('sim', { stateDir });
    assert.equal(await codeOf(b.attest(rand(64), { measurement: rand(48) })), 'ERR_BACKEND_STATE', what);
    assert.equal(await codeOf(b.platformInfo()), 'ERR_BACKEND_STATE', what);
    assert.equal(readFileSync(join(dir, 'ark.pem'), 'utf8'), arkBefore, `${what}: the ARK is untouched`);
  }
});

test('sim: a platform whose certificates expired is refused with ERR_BACKEND_STATE', async () => {
  const stateDir = await simStateCopy();
  const later = createBackend('sim', { stateDir, now: () => new Date(Date.now() + 8 * 365 * 86_400_000) });
  assert.equal(await codeOf(later.attest(rand(64), { measurement: rand(48) })), 'ERR_BACKEND_STATE');
});

test('sim: a state directory that cannot be made (below /proc) makes sim unavailable, saying why, without looping', { skip: existsSync('/proc/self') ? false : 'no /proc here', timeout: 20_000 }, async () => {
  const b = createBackend('sim', { stateDir: '/proc/nonexistent' });
  const a = await b.availability();
  assert.equal(a.available, false);
  assert.match(a.reason ?? '', /^cannot create the state directory \/proc\/nonexistent\/sim: (ENOENT|EACCES)\b.*'\/proc\/nonexistent'/);
  assert.equal(await codeOf(loadOrCreateSimState('/proc/nonexistent', new Date())), 'ERR_BACKEND_UNAVAILABLE');
  assert.equal(await codeOf(b.attest(rand(64), { measurement: rand(48) })), 'ERR_BACKEND_UNAVAILABLE');
});

test('sim: a state directory below a regular file: the reason names the file that is not a directory', async () => {
  const base = tempDir();
  writeFileSync(join(base, 'file'), '');
  const a = await createBackend('sim', { stateDir: join(base, 'file', 'x') }).availability();
  assert.equal(a.available, false);
  assert.equal(a.reason, `cannot create the state directory ${join(base, 'file', 'x', 'sim')}: ENOTDIR: ${join(base, 'file')} is not a directory`);
  writeFileSync(join(base, 'sim'), '');
  const b = await createBackend('sim', { stateDir: base }).availability();
  assert.equal(b.reason, `state directory ${join(base, 'sim')}: ENOTDIR, not a directory`);
  // Asking created nothing below the file.
  assert.deepEqual(readdirSync(base).sort(), ['file', 'sim']);
});

test('sim: availability creates a missing state directory (only trying tells whether it can be)', async () => {
  const stateDir = join(tempDir(), 'new', 'state');
  assert.deepEqual({ ...(await createBackend('sim', { stateDir }).availability()) }, { available: true });
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  assert.equal(existsSync(join(stateDir, 'sim')), false, 'the platform itself is made on first use');
});
