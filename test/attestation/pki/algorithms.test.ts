import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parseCertificate, signatureAlgorithmFromDer, verifyChain } from '../../../src/attestation/pki/index.js';
import { bool, explicit, int, nul, oid, seq } from '../support/der-writer.js';
import { algorithmIdentifier, basicConstraints, buildCertificate, type SigAlg } from '../support/x509-builder.js';

const NOW = new Date('2026-01-01Z');

test('one table row per algorithm: RSA PKCS#1, RSA-PSS, ECDSA P-256/P-384', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const cases: [SigAlg, typeof rsa, string][] = [
    ['rsa-sha256', rsa, 'RSA-PKCS1-SHA256'],
    ['rsa-pss-sha384', rsa, 'RSASSA-PSS-SHA384'],
    ['ecdsa-sha256', p256, 'ECDSA-SHA256'],
    ['ecdsa-sha384', p384, 'ECDSA-SHA384'],
  ];
  for (const [alg, key, name] of cases) {
    const root = parseCertificate(
      buildCertificate({
        subject: [['CN', name]],
        serial: 1,
        notBefore: new Date('2025-01-01Z'),
        notAfter: new Date('2027-01-01Z'),
        publicKey: key.publicKey,
        signingKey: key.privateKey,
        alg,
        extensions: [basicConstraints(true)],
      }),
    );
    assert.equal(root.signatureAlgorithm.name, name);
    assert.ok(root.isSignedBy(key.publicKey), name);
    assert.ok(!root.isSignedBy(p384.publicKey === key.publicKey ? p256.publicKey : p384.publicKey), `${name} with another key`);
    assert.equal(verifyChain([root], { now: NOW, anchors: [root] }).certificates.length, 1);
  }
});

test('SHA-1, unknown OIDs and odd PSS parameters are refused', () => {
  assert.throws(() => signatureAlgorithmFromDer(seq(oid('1.2.840.113549.1.1.5'), nul())), { code: 'ERR_CHAIN' });
  assert.throws(() => signatureAlgorithmFromDer(seq(oid('1.2.3.4'))), { code: 'ERR_CHAIN' });
  assert.throws(() => signatureAlgorithmFromDer(seq(oid('1.2.840.113549.1.1.10'))), { code: 'ERR_CHAIN' });
  const sha256 = seq(oid('2.16.840.1.101.3.4.2.1'), nul());
  const sha384 = seq(oid('2.16.840.1.101.3.4.2.2'), nul());
  const mgf = (h: Uint8Array): Uint8Array => explicit(1, seq(oid('1.2.840.113549.1.1.8'), h));
  // Different message and MGF1 hashes.
  assert.throws(() => signatureAlgorithmFromDer(seq(oid('1.2.840.113549.1.1.10'), seq(explicit(0, sha384), mgf(sha256), explicit(2, int(48))))), { code: 'ERR_CHAIN' });
  // Default (SHA-1) hash.
  assert.throws(() => signatureAlgorithmFromDer(seq(oid('1.2.840.113549.1.1.10'), seq(explicit(2, int(20))))), { code: 'ERR_CHAIN' });
  // ECDSA with parameters is malformed.
  assert.throws(() => signatureAlgorithmFromDer(seq(oid('1.2.840.10045.4.3.2'), bool(true))), { code: 'ERR_FORMAT' });
  assert.equal(signatureAlgorithmFromDer(algorithmIdentifier('rsa-pss-sha384')).pssSaltLength, 48);
});
