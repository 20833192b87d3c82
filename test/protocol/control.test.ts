/**
 * The control messages of evidence on request (keep → host `evidence-request`, host → keep
 * `evidence` / `evidence-error`): what is valid passes, and each hostile variant is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEvidenceErrorMessage, checkEvidenceMessage, checkEvidenceRequest, checkHostMessage, checkKeepMessage, EvidenceErrorCode } from '../../src/protocol/control.js';
import { encodeEvidence } from '../../src/protocol/evidence.js';
import type { Evidence } from '../../src/protocol/evidence.js';
import { validate } from '../../src/protocol/validate.js';

const refused = (r: { ok: boolean; message?: string }, fragment: string): void => {
  assert.equal(r.ok, false, 'refused');
  assert.match((r as { message: string }).message, new RegExp(fragment));
};

const reportData = 'ab'.repeat(64);
const evidence: Evidence = { backend: 'sim', format: 'sev-snp', report: new Uint8Array([1, 2, 3]), certs: [new Uint8Array([4, 5])], trustRoots: [new Uint8Array([6])] };

test('evidence-request: an id and 64 bytes of report data, from a keep only', () => {
  const request = { type: 'evidence-request', id: 7, reportData };
  assert.deepEqual(validate(checkKeepMessage, request), { ok: true, value: request });
  assert.equal(validate(checkEvidenceRequest, { ...request, id: 0x7fffffff }).ok, true);
  refused(validate(checkKeepMessage, { ...request, reportData: 'ab'.repeat(32) }), 'reportData: must be 64 bytes');
  refused(validate(checkKeepMessage, { ...request, reportData: reportData.toUpperCase() }), 'reportData');
  refused(validate(checkKeepMessage, { ...request, reportData: 'ab'.repeat(65) }), 'reportData');
  for (const id of [-1, 1.5, 0x80000000, '1', null, 2 ** 53]) refused(validate(checkKeepMessage, { ...request, id }), '^id: ');
  refused(validate(checkKeepMessage, { type: 'evidence-request', reportData }), '^id: required');
  refused(validate(checkKeepMessage, { ...request, launch: { measurement: 'ff'.repeat(48) } }), 'launch: unknown field');
  // A keep cannot answer itself; a host cannot ask.
  refused(validate(checkKeepMessage, { type: 'evidence', id: 1, evidence: encodeEvidence(evidence) }), '^type: expected one of');
  refused(validate(checkHostMessage, request), '^type: expected one of');
});

test('evidence: the JSON form of evidence, decoded; anything else refused', () => {
  const wire = JSON.parse(JSON.stringify({ type: 'evidence', id: 3, evidence: encodeEvidence(evidence) })) as Record<string, unknown>;
  const r = validate(checkHostMessage, wire);
  assert.equal(r.ok, true);
  const value = (r as { value: { type: string; id: number; evidence: Evidence } }).value;
  assert.equal(value.type, 'evidence');
  assert.equal(value.id, 3);
  assert.deepEqual(value.evidence, evidence);
  const ev = wire['evidence'] as Record<string, unknown>;
  refused(validate(checkEvidenceMessage, { ...wire, evidence: { ...ev, backend: 'qemu' } }), 'evidence.backend');
  refused(validate(checkEvidenceMessage, { ...wire, evidence: { ...ev, report: 'not base64!' } }), 'evidence.report');
  refused(validate(checkEvidenceMessage, { ...wire, evidence: { ...ev, report: 'A'.repeat(90_000) } }), 'evidence.report');
  refused(validate(checkEvidenceMessage, { ...wire, evidence: { ...ev, certs: Array(17).fill('AA==') } }), 'evidence.certs');
  refused(validate(checkEvidenceMessage, { ...wire, evidence: { ...ev, measurement: 'ff' } }), 'evidence.measurement: unknown field');
  refused(validate(checkEvidenceMessage, { ...wire, evidence: undefined }), 'evidence: required');
  refused(validate(checkEvidenceMessage, { ...wire, id: -3 }), '^id: ');
});

test('evidence-error: a known code and a bounded message', () => {
  for (const code of Object.values(EvidenceErrorCode)) {
    assert.equal(validate(checkHostMessage, { type: 'evidence-error', id: 1, code, message: 'no' }).ok, true, code);
  }
  const e = { type: 'evidence-error', id: 1, code: EvidenceErrorCode.RATE, message: 'slow down' };
  refused(validate(checkEvidenceErrorMessage, { ...e, code: 'ERR_WHATEVER' }), '^code: ');
  refused(validate(checkEvidenceErrorMessage, { ...e, code: 'ERR_PROTOCOL' }), '^code: ');
  refused(validate(checkEvidenceErrorMessage, { ...e, message: 'm'.repeat(2000) }), '^message: ');
  refused(validate(checkEvidenceErrorMessage, { ...e, evidence: {} }), 'evidence: unknown field');
});
