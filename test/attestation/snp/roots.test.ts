import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCertificates } from '../../../src/attestation/pki/certificate.js';
import { verifyChain } from '../../../src/attestation/pki/chain.js';
import { amdBuiltInCerts } from '../../../src/attestation/snp/anchors.js';
import { AMD_CERTS_PEM, ARK_FINGERPRINTS } from '../../../src/attestation/snp/roots.js';
import { SNP_PRODUCTS } from '../../../src/attestation/snp/product.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';

// The pins, as published in the vectors MANIFEST (SHA-256 of the DER).
const PINS = {
  Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
  Genoa: '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1',
  Turin: '1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a',
} as const;

test('the built-in ARKs hash to their pins, and ASK/ASVK chain to them', () => {
  assert.deepEqual(ARK_FINGERPRINTS, PINS);
  const certs = amdBuiltInCerts();
  for (const p of SNP_PRODUCTS) {
    const { ark, ask, asvk } = certs[p];
    assert.equal(ark.sha256, PINS[p]);
    assert.equal(ark.commonName, `ARK-${p}`);
    assert.equal(ask.commonName, `SEV-${p}`);
    assert.equal(asvk.commonName, `SEV-VLEK-${p}`);
    const now = new Date('2030-01-01Z');
    assert.equal(verifyChain([ask], { now, anchors: [ark] }).anchor, ark);
    assert.equal(verifyChain([asvk], { now, anchors: [ark] }).anchor, ark);
  }
});

test('the built-in PEMs equal the KDS cert_chain bundles in the shared vectors', { skip: SKIP_NO_VECTORS }, () => {
  for (const p of SNP_PRODUCTS) {
    const bundle = parseCertificates(readVector(`sev-snp/amd-kds-chains/trustee__${p.toLowerCase()}_ask_ark_asvk.pem`));
    const builtIn = [AMD_CERTS_PEM[p].ask, AMD_CERTS_PEM[p].ark, AMD_CERTS_PEM[p].asvk].map((pem) => parseCertificates(pem)[0]!.sha256);
    assert.deepEqual(bundle.map((c) => c.sha256), builtIn);
  }
});
