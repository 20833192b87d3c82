import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvidenceText, detectEvidenceFormat } from '../../src/attestation/detect.js';
import { verifyEvidence } from '../../src/attestation/verify.js';
import { SKIP_NO_VECTORS, readVector } from '../support/vectors.js';
import { SELF_NOW, readSelf } from './support/snp-vectors.js';

const report = new Uint8Array(readSelf('milan-report-v5.bin'));
const snpOpts = { certs: [readSelf('milan-vcek.der'), readSelf('milan-ask.pem')], trustRoots: [readSelf('milan-ark.pem')], now: SELF_NOW };

test('detects SNP reports, TDX and SGX quote headers; refuses the rest', () => {
  assert.equal(detectEvidenceFormat(report), 'snp');
  const tdx = new Uint8Array(64);
  tdx.set([4, 0, 2, 0, 0x81, 0, 0, 0]);
  assert.equal(detectEvidenceFormat(tdx), 'tdx');
  tdx[0] = 5;
  assert.equal(detectEvidenceFormat(tdx), 'tdx');
  const sgx = new Uint8Array(64);
  sgx.set([3, 0, 2, 0, 0, 0, 0, 0]);
  assert.equal(detectEvidenceFormat(sgx), 'sgx');
  assert.throws(() => detectEvidenceFormat(new Uint8Array(10)), { code: 'ERR_UNSUPPORTED' });
  assert.throws(() => detectEvidenceFormat(report.subarray(0, 1000)), { code: 'ERR_UNSUPPORTED' });
});

test('hex (0x-prefixed, with whitespace) and base64 text decode to the same bytes', () => {
  const hex = new TextEncoder().encode('0x' + Buffer.from(report).toString('hex').replace(/(.{64})/g, '$1\n'));
  assert.deepEqual(decodeEvidenceText(hex), report);
  assert.deepEqual(decodeEvidenceText(new TextEncoder().encode(Buffer.from(report).toString('base64'))), report);
  assert.deepEqual(decodeEvidenceText(new TextEncoder().encode(Buffer.from(report).toString('base64url'))), report);
  assert.throws(() => decodeEvidenceText(new TextEncoder().encode('not evidence!')), { code: 'ERR_FORMAT' });
});

test('verifyEvidence dispatches SNP (raw and text) and applies common policy', async () => {
  assert.equal((await verifyEvidence(report, snpOpts)).tee, 'sev-snp');
  const b64 = new TextEncoder().encode(Buffer.from(report).toString('base64'));
  assert.equal((await verifyEvidence(b64, { ...snpOpts, format: 'snp' })).product, 'Milan');
  await assert.rejects(verifyEvidence(report, { ...snpOpts, measurements: ['00'.repeat(48)] }), { code: 'ERR_MEASUREMENT' });
  await assert.rejects(verifyEvidence(report, { ...snpOpts, format: 'tdx' }), { code: 'ERR_FORMAT' });
  await assert.rejects(verifyEvidence(new Uint8Array(5)), { code: 'ERR_UNSUPPORTED' });
});

test('verifyEvidence dispatches TDX and SGX quotes to the DCAP verifiers', { skip: SKIP_NO_VECTORS }, async () => {
  const tdx = await verifyEvidence(readVector('tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat'), { now: new Date('2025-06-01Z'), allowNoCollateral: true });
  assert.equal(tdx.tee, 'tdx');
  const sgx = await verifyEvidence(readVector('sgx/teekit/sgx-tlsn-quote9.dat'), { now: new Date('2025-09-01Z'), allowNoCollateral: true });
  assert.equal(sgx.tee, 'sgx');
});
