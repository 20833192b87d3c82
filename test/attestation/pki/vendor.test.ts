import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCertificate, parseCertificates, parseCrls, verifyChain } from '../../../src/attestation/pki/index.js';
import { AttestationError } from '../../../src/attestation/errors.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';

const skip = SKIP_NO_VECTORS;
const NOW = new Date('2025-06-01T00:00:00Z');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AttestationError);
    return err.code;
  }
  return 'accepted';
}

test('AMD KDS chains: each ASK/ASVK verifies under its ARK (RSA-PSS SHA-384)', { skip }, () => {
  for (const product of ['milan', 'genoa', 'turin']) {
    const [ask, ark, asvk] = parseCertificates(readVector(`sev-snp/amd-kds-chains/trustee__${product}_ask_ark_asvk.pem`));
    assert.ok(ask && ark && asvk);
    assert.equal(ark.signatureAlgorithm.name, 'RSASSA-PSS-SHA384');
    assert.equal(ark.signatureAlgorithm.pssSaltLength, 48);
    assert.equal(verifyChain([ask], { now: NOW, anchors: [ark] }).certificates.length, 2);
    assert.equal(verifyChain([asvk], { now: NOW, anchors: [ark] }).certificates.length, 2);
  }
});

test('AMD VCEK (serial 0) verifies to ARK-Milan; a Milan VCEK fails under Genoa', { skip }, () => {
  const vcek = parseCertificate(readVector('sev-snp/go-sev-guest/vcek.testcer'));
  assert.equal(vcek.serialNumber, '0');
  const [ask, ark] = parseCertificates(readVector('sev-snp/amd-kds-chains/go-sev-guest__ask_ark_milan.pem'));
  assert.equal(verifyChain([vcek, ask!, ark!], { now: NOW, anchors: [ark!] }).anchor.sha256, ark!.sha256);
  const [gask, gark] = parseCertificates(readVector('sev-snp/amd-kds-chains/go-sev-guest__ask_ark_genoa.pem'));
  assert.equal(code(() => verifyChain([vcek, gask!, gark!], { now: NOW, anchors: [gark!] })), 'ERR_CHAIN');
});

test('mutated VCEKs parse but their chain fails', { skip }, () => {
  const [ask, ark] = parseCertificates(readVector('sev-snp/amd-kds-chains/go-sev-guest__ask_ark_milan.pem'));
  for (const f of ['negative/sev-snp/virtee_vcek_milan_byte40_xorff.der', 'negative/sev-snp/trustee_test-vcek_byte42_plus1.der', 'sev-snp/trustee/test-vcek-invalid-legacy.der', 'sev-snp/trustee/test-vcek-invalid-new.der']) {
    const c = parseCertificate(readVector(f));
    assert.equal(code(() => verifyChain([c, ask!], { now: NOW, anchors: [ark!] })), 'ERR_CHAIN', f);
  }
});

test('Intel: root CRL verifies, the QVL sample CRL revokes its listed serial only', { skip }, () => {
  const [root] = parseCertificates(readVector('intel-pki/Intel_SGX_Root_CA.der'));
  const [platform] = parseCertificates(readVector('intel-pki/Intel_SGX_PCK_Platform_CA.pem'));
  const crls = parseCrls(readVector('intel-pki/Intel_SGX_Root_CA_CRL_2025-03-20.der'));
  assert.equal(verifyChain([platform!], { now: NOW, anchors: [root!], crls }).certificates.length, 2);
  // Past the CRL's nextUpdate (2026-04-03) the CRL is stale.
  assert.equal(code(() => verifyChain([platform!], { now: new Date('2026-05-01Z'), anchors: [root!], crls })), 'ERR_EXPIRED');

  const [pck] = parseCertificates(readVector('sgx/intel-qvl-sample/pckCert.pem'));
  const pool = parseCertificates(readVector('sgx/intel-qvl-sample/pckSignChain.pem'));
  const testRoot = pool.find((c) => c.selfIssued)!;
  const processorCrl = parseCrls(readVector('sgx/intel-qvl-sample/intermediateCaCrl.pem')); // DER despite the name
  assert.deepEqual([...processorCrl[0]!.revoked.keys()], ['1d210d4e73d7814f34c097ef496d3c4fa982684c']);
  const chain = [pck!, ...pool.filter((c) => !c.selfIssued)];
  assert.equal(verifyChain(chain, { now: NOW, anchors: [testRoot], crls: processorCrl }).certificates.length, 3);
  // The production root pin refuses the test chain.
  assert.equal(code(() => verifyChain(chain, { now: NOW, anchors: [root!] })), 'ERR_CHAIN');
});
