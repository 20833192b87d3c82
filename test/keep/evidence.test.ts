/**
 * The keep's side of evidence on request (keep/evidence.ts) and the choice of its TLS identity
 * (keep/tls-identity-source.ts): answers matched by id, a timeout, and a plain self-signed
 * certificate when there is no evidence to be had.
 */
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe checks for Reflect.getMetadata at load
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { X509Certificate } from '@peculiar/x509';
import { EvidenceError, EvidenceRequests } from '../../src/keep/evidence.js';
import { keepTlsIdentity } from '../../src/keep/tls-identity-source.js';
import { ID_AA_ATTESTATION } from '../../src/attestation/csr/attestation-oids.js';
import type { Evidence } from '../../src/protocol/evidence.js';

const EVIDENCE: Evidence = { backend: 'sim', format: 'sev-snp', report: new Uint8Array([1]), certs: [] };

test('requests are numbered; each answer settles its own request once, others are dropped', async () => {
  const sent: Record<string, unknown>[] = [];
  const r = new EvidenceRequests((h) => void sent.push(h));
  const a = r.requestEvidence(new Uint8Array(64).fill(1));
  const b = r.requestEvidence(new Uint8Array(64).fill(2));
  assert.deepEqual(sent.map((m) => [m['type'], m['id']]), [['evidence-request', 0], ['evidence-request', 1]]);
  assert.equal(sent[1]!['reportData'], '02'.repeat(64));
  r.receive({ type: 'evidence-error', id: 1, code: 'ERR_EVIDENCE_RATE', message: 'slow down' });
  r.receive({ type: 'evidence', id: 1, evidence: EVIDENCE }); // a second answer: dropped
  r.receive({ type: 'evidence', id: 42, evidence: EVIDENCE }); // nobody asked: dropped
  r.receive({ type: 'evidence', id: 0, evidence: EVIDENCE });
  assert.deepEqual(await a, EVIDENCE);
  await assert.rejects(b, (e: unknown) => e instanceof EvidenceError && e.code === 'ERR_EVIDENCE_RATE');
  await assert.rejects(r.requestEvidence(new Uint8Array(63)), TypeError);
});

test('no answer within the timeout is ERR_EVIDENCE_TIMEOUT; a late one is dropped', async () => {
  const r = new EvidenceRequests(() => {}, 50);
  await assert.rejects(r.requestEvidence(new Uint8Array(64)), { code: 'ERR_EVIDENCE_TIMEOUT' });
  r.receive({ type: 'evidence', id: 0, evidence: EVIDENCE });
});

/** Whether the certificate of `id` carries evidence. */
function attested(certDer: Uint8Array): boolean {
  return new X509Certificate(certDer).getExtension(ID_AA_ATTESTATION) !== null;
}

test('the identity: self-signed without evidence (nil, a refusal, silence, an empty report)', async () => {
  assert.equal(attested((await keepTlsIdentity({})).certDer), false);
  for (const code of ['ERR_EVIDENCE_UNAVAILABLE', 'ERR_EVIDENCE_BUSY', 'ERR_EVIDENCE_TIMEOUT'] as const) {
    const id = await keepTlsIdentity({ requestEvidence: () => Promise.reject(new EvidenceError(code, 'no')) });
    assert.equal(attested(id.certDer), false, code);
  }
  const none = await keepTlsIdentity({ requestEvidence: async () => ({ backend: 'nil', format: 'none', report: new Uint8Array(0), certs: [] }) });
  assert.equal(attested(none.certDer), false, 'a nil report is no evidence');
  // A failure of the keep's own is not papered over.
  await assert.rejects(keepTlsIdentity({ requestEvidence: () => Promise.reject(new RangeError('a bug')) }), RangeError);
});
