/**
 * The host agent with the `sim` backend over HTTP: the evidence it returns verifies with the
 * real SEV-SNP verifier against the sim ARK, carries the launch measurement of the installed
 * runtime and binds the client's nonce and the keep's key; a workload sealed to that key runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keepReportData } from '../../src/attestation/binding.js';
import { AttestationError } from '../../src/attestation/errors.js';
import { verifyEvidence } from '../../src/attestation/verify.js';
import { findSuite } from '../../src/crypto/suites.js';
import { keepBundleDir, runtimeMeasurement } from '../../src/runtime/measurement.js';
import { cleanupTempDirs, simStateCopy } from '../backend/support/sim-state.js';
import type { Agent, CreatedJson } from './support.js';
import { cleanup, decodeSse, nonceHex, okJson, openStream, readSse, sealFor, startAgent, workload } from './support.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ backend: 'sim', backendStateDir: await simStateCopy() });
});
after(async () => {
  await agent.close();
  cleanup();
  cleanupTempDirs();
});

test('sim evidence verifies against the sim ARK, with the runtime measurement and the keep binding', async () => {
  const nonce = nonceHex();
  const k = await okJson<CreatedJson>(await agent.api('alice', 'POST', '/v1/keeps', { json: { nonce, kem: 'x25519' } }), 201);
  assert.equal(k.backend, 'sim');
  assert.equal(k.evidence.backend, 'sim');
  assert.equal(k.evidence.format, 'sev-snp');
  assert.ok(k.evidence.certs.length >= 1);
  assert.equal(k.evidence.trustRoots?.length, 1);
  const report = Buffer.from(k.evidence.report, 'base64');
  const certs = k.evidence.certs.map((c) => Buffer.from(c, 'base64'));
  const trustRoots = (k.evidence.trustRoots ?? []).map((c) => Buffer.from(c, 'base64'));
  const publicKey = Buffer.from(k.publicKey, 'base64');
  const reportData = keepReportData(Buffer.from(nonce, 'hex'), findSuite('x25519')!.kemId, publicKey);
  const { measurement } = await runtimeMeasurement(keepBundleDir());
  const measurementHex = Buffer.from(measurement).toString('hex');

  const appraisal = await verifyEvidence(report, { certs, trustRoots, reportData, measurements: [measurementHex] });
  assert.equal(appraisal.measurement, measurementHex);
  assert.equal(appraisal.reportData, Buffer.from(reportData).toString('hex'));

  // Without the sim root the chain does not verify; another nonce does not bind.
  await assert.rejects(verifyEvidence(report, { certs, reportData }), (e) => e instanceof AttestationError && e.code === 'ERR_CHAIN');
  const other = keepReportData(Buffer.from(nonceHex(), 'hex'), findSuite('x25519')!.kemId, publicKey);
  await assert.rejects(verifyEvidence(report, { certs, trustRoots, reportData: other }), (e) => e instanceof AttestationError);

  // Sealed to that key, a workload runs.
  const { body, keys } = await sealFor(k, workload('hello.wasm'));
  await okJson(await agent.api('alice', 'PUT', `/v1/keeps/${k.id}/package`, { body }), 202);
  const events = await readSse(await agent.api('alice', 'GET', `/v1/keeps/${k.id}/events`));
  const opened = await openStream(decodeSse(events), keys);
  assert.equal(opened.stdout, 'Hello, world!\n');
  assert.deepEqual(opened.outcome, { type: 'exit', code: 0 });
  assert.deepEqual(JSON.parse(events.at(-1)?.data ?? '{}'), { state: 'ended' });
});

test('a package sealed for one keep is refused by another (the keep, not the host, decides)', async () => {
  const a = await okJson<CreatedJson>(await agent.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
  const b = await okJson<CreatedJson>(await agent.api('alice', 'POST', '/v1/keeps', { json: { nonce: nonceHex() } }), 201);
  const sealedForA = await sealFor(a, workload('hello.wasm'));
  const res = await agent.api('alice', 'PUT', `/v1/keeps/${b.id}/package`, { body: sealedForA.body });
  assert.ok(res.status === 202 || res.status === 409, String(res.status));
  const info = await agent.host.waitForExit('alice', b.id);
  assert.equal(info.state, 'failed');
  assert.equal(info.error?.code, 'ERR_PACKAGE_SEAL');
  await okJson(await agent.api('alice', 'DELETE', `/v1/keeps/${a.id}`));
});
