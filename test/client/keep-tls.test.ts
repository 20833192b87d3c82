/**
 * RA-TLS: a certificate made by createAttestedIdentity with evidence from the sim platform is
 * accepted by verifyAttestedCertificate / verifyKeepTls, and each way of getting it wrong is
 * refused with its code.
 */
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe checks for Reflect.getMetadata at load
import assert from 'node:assert/strict';
import { createHash, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as tcpServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as tlsServer } from 'node:tls';
import { after, before, test } from 'node:test';
import { Extension, X509Certificate, X509CertificateGenerator } from '@peculiar/x509';
import { attestedKeyReportData } from '../../src/attestation/binding.js';
import type { ReferenceValue } from '../../src/attestation/reference-values.js';
import { createBackend } from '../../src/backend/index.js';
import type { Backend } from '../../src/backend/index.js';
import { verifyAttestedCertificate, verifyKeepTls } from '../../src/client/keep-tls.js';
import type { KeepTrustPolicy } from '../../src/client/verify-keep.js';
import { createAttestedIdentity, createSelfSignedIdentity } from '../../src/keep/tls-identity.js';
import type { TlsIdentity } from '../../src/keep/tls-identity.js';
import { decodeAttestationBundle } from '../../src/attestation/csr/attestation-bundle.js';
import { ID_AA_ATTESTATION } from '../../src/attestation/csr/attestation-oids.js';
import type { Evidence } from '../../src/protocol/evidence.js';

let stateDir: string;
let sim: Backend;
const measurement = new Uint8Array(createHash('sha384').update('a runtime').digest());
const reference: ReferenceValue = { measurement: Buffer.from(measurement).toString('hex'), runtime: 'enarx-ts', release: 'test', backend: 'sim' };
let identity: TlsIdentity;

/** Evidence from the sim platform over `reportData`, for a keep launched with `launched`. */
const simEvidence = (launched = measurement) => (reportData: Uint8Array) => sim.attest(reportData, { measurement: launched });

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-keep-tls-'));
  sim = createBackend('sim', { stateDir });
  identity = await createAttestedIdentity({ evidence: simEvidence() });
});
after(() => rmSync(stateDir, { recursive: true, force: true }));

const policy = (extra: Partial<KeepTrustPolicy> = {}): KeepTrustPolicy => ({ sim: 'presented', referenceValues: [reference], ...extra });

/** The code a verification is refused with, or 'accepted'. */
async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.equal(typeof (e as { code?: unknown }).code, 'string', String(e));
    return (e as { code: string }).code;
  }
  return 'accepted';
}

test('an attested certificate from the sim platform is accepted: its TEE, runtime and fingerprint', async () => {
  const accepted = await verifyAttestedCertificate(identity.certDer, policy());
  assert.equal(accepted.appraisal?.tee, 'sim');
  assert.equal(accepted.appraisal?.measurement, reference.measurement);
  assert.equal(accepted.reference?.release, 'test');
  assert.equal(accepted.fingerprintSha256, identity.fingerprintSha256);
  // The extension is there, not critical, and binds this certificate's key.
  assert.equal(new X509Certificate(identity.certDer).getExtension(ID_AA_ATTESTATION)?.critical, false);
  const cert = new NodeX509(identity.certDer);
  const spki = new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' }));
  const { evidence } = decodeAttestationBundle(extensionOf(identity.certDer));
  const appraisal = await import('../../src/attestation/verify.js').then((m) => m.verifyEvidence(evidence.report, { certs: evidence.certs, trustRoots: evidence.trustRoots ?? [] }));
  assert.equal(appraisal.reportData, Buffer.from(attestedKeyReportData(spki)).toString('hex'));
  // Pinning the sim root works as for a deploy.
  assert.equal(await code(verifyAttestedCertificate(identity.certDer, policy({ sim: { roots: evidence.trustRoots ?? [] } }))), 'accepted');
});

test('refused: no evidence, evidence for another key, another runtime, sim not allowed', async () => {
  const plain = await createSelfSignedIdentity();
  assert.equal(await code(verifyAttestedCertificate(plain.certDer, policy())), 'ERR_NO_EVIDENCE');
  const otherKey = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const otherSpki = new Uint8Array(await webcrypto.subtle.exportKey('spki', otherKey.publicKey));
  const lifted = await createAttestedIdentity({ evidence: () => sim.attest(attestedKeyReportData(otherSpki), { measurement }) });
  assert.equal(await code(verifyAttestedCertificate(lifted.certDer, policy())), 'ERR_REPORT_DATA');
  const stranger = await createAttestedIdentity({ evidence: simEvidence(new Uint8Array(48).fill(7)) });
  assert.equal(await code(verifyAttestedCertificate(stranger.certDer, policy())), 'ERR_MEASUREMENT');
  assert.equal(await code(verifyAttestedCertificate(stranger.certDer, policy({ measurements: ['07'.repeat(48)] }))), 'accepted');
  const { sim: _, ...noSim } = policy();
  assert.equal(await code(verifyAttestedCertificate(identity.certDer, noSim)), 'ERR_POLICY');
  assert.equal(await code(verifyAttestedCertificate(identity.certDer, policy({ sim: { roots: [] } }))), 'ERR_CHAIN');
});

test('refused: a flipped byte in the extension, tampered evidence, malformed bytes', async () => {
  // Flipped in the certificate as sent: its self-signature no longer verifies.
  const der = new Uint8Array(identity.certDer);
  const at = Buffer.from(der).indexOf(Buffer.from(extensionOf(der))) + 40;
  der[at] = der[at]! ^ 1;
  assert.equal(await code(verifyAttestedCertificate(der, policy())), 'ERR_CERTIFICATE');
  // Flipped in the evidence before the keep signs the certificate: the platform's signature fails.
  const tampered = await createAttestedIdentity({
    evidence: async (rd) => {
      const e = await sim.attest(rd, { measurement });
      const report = new Uint8Array(e.report);
      report[0x90] = report[0x90]! ^ 1; // the measurement
      return { ...e, report };
    },
  });
  assert.equal(await code(verifyAttestedCertificate(tampered.certDer, policy())), 'ERR_SNP_SIGNATURE');
  // An extension that is not an attestation bundle, properly signed.
  const garbage = await signedWith(new Extension(ID_AA_ATTESTATION, false, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05])));
  assert.equal(await code(verifyAttestedCertificate(garbage, policy())), 'ERR_MALFORMED');
  assert.equal(await code(verifyAttestedCertificate(identity.certDer.subarray(0, 100), policy())), 'ERR_MALFORMED');
  assert.equal(await code(verifyAttestedCertificate(new Uint8Array(0), policy())), 'ERR_MALFORMED');
});

test('refused: a certificate outside its validity, or not signed by its own key', async () => {
  const old = await createAttestedIdentity({ evidence: simEvidence(), now: new Date(Date.now() - 3 * 24 * 3600_000) });
  assert.equal(await code(verifyAttestedCertificate(old.certDer, policy())), 'ERR_CERTIFICATE_EXPIRED');
  assert.equal(await code(verifyAttestedCertificate(identity.certDer, policy({ now: new Date(Date.now() + 2 * 24 * 3600_000) }))), 'ERR_CERTIFICATE_EXPIRED');
  // The keep's key and evidence, in a certificate someone else signed.
  const [keepKey, otherKey] = await Promise.all([importedKey(identity), generateP256()]);
  const signedByAnother = await X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=enarx-ts keep',
    issuer: 'CN=enarx-ts keep',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    publicKey: keepKey,
    signingKey: otherKey.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new Extension(ID_AA_ATTESTATION, false, extensionOf(identity.certDer))],
  });
  assert.equal(await code(verifyAttestedCertificate(new Uint8Array(signedByAnother.rawData), policy())), 'ERR_CERTIFICATE');
});

/** A fresh P-256 key pair. */
function generateP256(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

/** The public key of `id`'s certificate, as WebCrypto holds it. */
function importedKey(id: TlsIdentity): Promise<webcrypto.CryptoKey> {
  const spki = new NodeX509(id.certDer).publicKey.export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']) as Promise<webcrypto.CryptoKey>;
}

test('verifyKeepTls: takes the certificate a TLS server presents and verifies it', async () => {
  const server = tlsServer({ key: identity.keyPem, cert: identity.certPem, minVersion: 'TLSv1.3' }, (s) => s.end());
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  try {
    const accepted = await verifyKeepTls('127.0.0.1', port, policy());
    assert.equal(accepted.fingerprintSha256, identity.fingerprintSha256);
    assert.equal(accepted.appraisal?.tee, 'sim');
    assert.equal(await code(verifyKeepTls('localhost', port, policy({ measurements: [], referenceValues: [] }))), 'ERR_MEASUREMENT');
  } finally {
    server.close();
  }
  // Nobody listens any more; then a TCP server that never speaks TLS.
  assert.equal(await code(verifyKeepTls('127.0.0.1', port, policy())), 'ERR_TLS_CONNECT');
  const silent = tcpServer(() => {});
  const silentPort = await listen(silent);
  try {
    assert.equal(await code(verifyKeepTls('127.0.0.1', silentPort, policy(), { timeoutMs: 200 })), 'ERR_TLS_TIMEOUT');
  } finally {
    silent.close();
  }
});

/** The extnValue contents of id-aa-attestation in `der`. */
function extensionOf(der: Uint8Array): Uint8Array {
  const value = new X509Certificate(der).getExtension(ID_AA_ATTESTATION)?.value;
  assert.ok(value, 'the certificate has an id-aa-attestation extension');
  return new Uint8Array(value);
}

/** A self-signed P-256 certificate carrying `extension`. */
async function signedWith(extension: Extension): Promise<Uint8Array> {
  const keys = await generateP256();
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=enarx-ts keep',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [extension],
  });
  return new Uint8Array(cert.rawData);
}

/** Listens on a free loopback port; resolves with the port. */
async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}
