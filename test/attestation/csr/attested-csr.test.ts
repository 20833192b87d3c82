/**
 * Attested CSRs (attestation/csr/attested-csr.ts, attestation-bundle.ts): both wire forms carry
 * real SEV-SNP-format evidence from the simulated platform and give it back unchanged; Enarx's own
 * CSR parses; hostile bytes only ever yield a CsrError with the right code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type * as X509Types from '@peculiar/x509';
import { attestedKeyReportData, enarxStewardReportData } from '../../../src/attestation/binding.js';
import { children, encodingOf, readTlv, type Tlv } from '../../../src/attestation/pki/der.js';
import { derObjects } from '../../../src/attestation/pki/pem.js';
import { ARK_MILAN_PEM } from '../../../src/attestation/snp/roots.js';
import { createBackend } from '../../../src/backend/index.js';
import type { Backend } from '../../../src/backend/index.js';
import { appraiseEvidence } from '../../../src/client/verify-keep.js';
import { decodeAttestationBundle, encodeAttestationBundle, encodeEnarxEvidence } from '../../../src/attestation/csr/attestation-bundle.js';
import { oid as encodeOid, tlv } from '../../../src/attestation/pki/der-writer.js';
import { ENARX_KVM, ENARX_SGX, ENARX_SNP, EXTENSION_REQUEST, ID_AA_ATTESTATION, SUBJECT_ALT_NAME } from '../../../src/attestation/csr/attestation-oids.js';
import { CsrError, MAX_CSR_BYTES, buildAttestedCsr, parseAttestedCsr } from '../../../src/attestation/csr/attested-csr.js';
import type { Evidence } from '../../../src/protocol/evidence.js';

type KeyPair = webcrypto.CryptoKeyPair;
let stateDir: string;
let sim: Backend;
let x509: typeof X509Types;
let p384: KeyPair;
let p256: KeyPair;
/** Evidence as the sim backend makes it (certs VCEK, ASK, ARK; trustRoots ARK), binding p384 for the IETF form. */
let simEvidence: Evidence;
const measurement = new Uint8Array(createHash('sha384').update('a runtime').digest());

const spkiOf = async (keys: KeyPair): Promise<Uint8Array> => new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
const ecdsa = (namedCurve: string): Promise<KeyPair> => webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, false, ['sign', 'verify']) as Promise<KeyPair>;

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-attested-csr-'));
  sim = createBackend('sim', { stateDir });
  [p384, p256] = await Promise.all([ecdsa('P-384'), ecdsa('P-256')]);
  const loadX509 = async (): Promise<typeof X509Types> => {
    await import('reflect-metadata'); // before @peculiar/x509, which checks for it at load
    return (await import('@peculiar/x509')).default as unknown as typeof X509Types;
  };
  // The sim platform's first attestation makes its RSA-4096 keys: the slow part, done meanwhile.
  [simEvidence, x509] = await Promise.all([sim.attest(attestedKeyReportData(await spkiOf(p384)), { measurement }), loadX509()]);
});
after(() => rmSync(stateDir, { recursive: true, force: true }));

/** What a parse of sim evidence gives: the ARK travels once, as a root, not among the certs. */
function asDecoded(e: Evidence): Evidence {
  return { backend: 'sim', format: 'sev-snp', report: e.report, certs: e.certs.slice(0, 2), trustRoots: e.trustRoots ?? [] };
}

/** The code a parse is refused with ('accepted' when it is not); anything but a CsrError fails. */
async function refusal(der: Uint8Array): Promise<string> {
  try {
    await parseAttestedCsr(der);
  } catch (e) {
    assert.ok(e instanceof CsrError, `not a CsrError: ${String(e)}`);
    return e.code;
  }
  return 'accepted';
}

// Hand-made CSRs, validly signed, for what buildAttestedCsr never makes.
const attr = (oid: string, ...values: Uint8Array[]): Uint8Array => tlv(0x30, encodeOid(oid), tlv(0x31, ...values));
const ext = (oid: string, value: Uint8Array): Uint8Array => tlv(0x30, encodeOid(oid), tlv(0x04, value));
const extensionRequest = (...exts: Uint8Array[]): Uint8Array => attr(EXTENSION_REQUEST, tlv(0x30, ...exts));
const NULL = Uint8Array.of(0x05, 0x00);
async function crafted(...attributes: Uint8Array[]): Promise<Uint8Array> {
  return craftedWith(p384, 'SHA-384', attributes);
}
async function craftedWith(keys: KeyPair, hash: string, attributes: readonly Uint8Array[]): Promise<Uint8Array> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: 'CN=crafted', keys, signingAlgorithm: { name: 'ECDSA', hash }, attributes: attributes.map((a) => new x509.Attribute(a)) },
    webcrypto as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1],
  );
  return new Uint8Array(csr.rawData);
}

test('IETF form: sim evidence, key, subject and names round-trip, and the evidence still verifies for that key', async () => {
  const names = { dnsNames: ['keep.example', '*.svc.example'], ipAddresses: ['10.0.0.7', '2001:db8::1'], uris: ['urn:enarx-ts:package:sha256:00ff'] };
  const der = await buildAttestedCsr({ keys: p384, form: 'ietf', evidence: asDecoded(simEvidence), subject: 'CN=enarx-ts keep,O=Ex\\,ample', ...names });
  const csr = await parseAttestedCsr(der);
  assert.equal(csr.form, 'ietf');
  assert.equal(csr.keyAlgorithm, 'ecdsa-p384');
  assert.deepEqual(csr.spki, await spkiOf(p384));
  assert.equal(csr.subject, 'CN=enarx-ts keep,O=Ex\\,ample');
  assert.deepEqual({ dnsNames: csr.dnsNames, ipAddresses: csr.ipAddresses, uris: csr.uris }, names);
  assert.deepEqual(csr.evidence, asDecoded(simEvidence));
  assert.deepEqual(csr.crls, []);
  assert.deepEqual(csr.der, der);
  // The relying party's check: the sim root presented, this key's report data.
  const accepted = await appraiseEvidence(csr.evidence, attestedKeyReportData(csr.spki), { sim: 'presented', referenceValues: [], measurements: [Buffer.from(measurement).toString('hex')] });
  assert.equal(accepted.appraisal?.tee, 'sim');
});

test('IETF form: evidence as the sim backend makes it reads back with its ARK as the one trust root', async () => {
  const csr = await parseAttestedCsr(await buildAttestedCsr({ keys: p384, form: 'ietf', evidence: simEvidence }));
  assert.deepEqual(csr.evidence, asDecoded(simEvidence));
  assert.equal(csr.subject, 'CN=enarx-ts keep');
  assert.deepEqual([csr.dnsNames, csr.ipAddresses, csr.uris], [[], [], []]);
});

test('Enarx form: only the VCEK travels; evidence, key and names round-trip with P-384 and P-256 keys', async () => {
  for (const keys of [p384, p256]) {
    const spki = await spkiOf(keys);
    const made = await sim.attest(enarxStewardReportData(spki), { measurement });
    const evidence: Evidence = { backend: 'snp', format: 'sev-snp', report: made.report, certs: [made.certs[0]!] };
    const csr = await parseAttestedCsr(await buildAttestedCsr({ keys, form: 'enarx', evidence, dnsNames: ['keep.example'] }));
    assert.equal(csr.form, 'enarx');
    assert.equal(csr.keyAlgorithm, keys === p384 ? 'ecdsa-p384' : 'ecdsa-p256');
    assert.deepEqual(csr.spki, spki);
    assert.deepEqual(csr.evidence, evidence);
    assert.deepEqual(csr.dnsNames, ['keep.example']);
    // Sim evidence has no room for its roots in this form: it reads as snp (a steward relabels it).
    const simForm = await parseAttestedCsr(await buildAttestedCsr({ keys, form: 'enarx', evidence: made }));
    assert.deepEqual(simForm.evidence, evidence);
  }
});

test('classification: no self-signed certificate, or only AMD ARKs, is snp; any other root is sim', () => {
  const [vcek, ask] = simEvidence.certs as [Uint8Array, Uint8Array];
  const snp: Evidence = { backend: 'snp', format: 'sev-snp', report: simEvidence.report, certs: [vcek, ask] };
  assert.deepEqual(decodeAttestationBundle(encodeAttestationBundle(snp)), { evidence: snp, crls: [] });
  const amdArk = derObjects(ARK_MILAN_PEM, ['CERTIFICATE'])[0]!;
  assert.deepEqual(decodeAttestationBundle(encodeAttestationBundle({ ...snp, certs: [vcek, ask, amdArk] })).evidence, snp);
  assert.deepEqual(decodeAttestationBundle(encodeAttestationBundle(simEvidence)).evidence, asDecoded(simEvidence));
  const tdx: Evidence = { backend: 'tdx', format: 'tdx', report: Uint8Array.of(4, 0, 2, 0), certs: [ask] };
  assert.deepEqual(decodeAttestationBundle(encodeAttestationBundle(tdx)), { evidence: tdx, crls: [] });
  assert.throws(() => encodeAttestationBundle({ ...simEvidence, trustRoots: [] }), TypeError);
  assert.throws(() => encodeAttestationBundle({ backend: 'nil', format: 'none', report: new Uint8Array(0), certs: [] }), TypeError);
});

test("Enarx's own SNP CSR (enarx/steward milan.signed.crl.csr) reads as snp evidence with its two CRLs", async () => {
  const csr = await parseAttestedCsr(Buffer.from(ENARX_SNP_CSR, 'base64'));
  assert.equal(csr.form, 'enarx');
  assert.equal(csr.keyAlgorithm, 'ecdsa-p384');
  assert.equal(csr.subject, '');
  assert.equal(csr.evidence.backend, 'snp');
  assert.equal(csr.evidence.certs.length, 1);
  assert.equal(csr.evidence.report.length, 1184);
  assert.equal(csr.evidence.trustRoots, undefined);
  assert.equal(csr.crls.length, 2);
});

test('OpenSSL verifies the CSRs built here', { skip: spawnSync('openssl', ['version']).error ? 'openssl is not installed' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-csr-openssl-'));
  try {
    for (const [keys, form] of [[p384, 'ietf'], [p256, 'ietf'], [p384, 'enarx']] as const) {
      const file = join(dir, `${form}.der`);
      writeFileSync(file, await buildAttestedCsr({ keys, form, evidence: simEvidence, dnsNames: ['keep.example'], ipAddresses: ['::1'] }));
      const run = spawnSync('openssl', ['req', '-in', file, '-inform', 'DER', '-verify', '-noout'], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout + run.stderr, /verify OK/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed, oversized and badly signed CSRs are refused with their codes', async () => {
  const der = await buildAttestedCsr({ keys: p384, form: 'ietf', evidence: simEvidence });
  const flipped = der.slice();
  flipped[flipped.length - 1]! ^= 0x01;
  assert.equal(await refusal(flipped), 'ERR_CSR_SIGNATURE');
  assert.equal(await refusal(der.subarray(0, der.length - 7)), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(Buffer.from('-----BEGIN CERTIFICATE REQUEST-----')), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(new Uint8Array(0)), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(new Uint8Array(300 * 1024)), 'ERR_CSR_TOO_LARGE');
  assert.ok(der.length <= MAX_CSR_BYTES);
  // A 200 KB OBJECT IDENTIFIER as signature algorithm: refused unread (decoding it costs seconds).
  const [info, , signature] = children(der, readTlv(der, 0)) as [Tlv, Tlv, Tlv];
  const hugeOid = tlv(0x06, new Uint8Array(200_000).fill(0x81), Uint8Array.of(1));
  assert.equal(await refusal(tlv(0x30, encodingOf(der, info), tlv(0x30, hugeOid), encodingOf(der, signature))), 'ERR_CSR_MALFORMED');
  const bundle = encodeAttestationBundle(simEvidence);
  const empty = tlv(0x30, tlv(0x30));
  assert.equal(await refusal(await crafted(attr(ID_AA_ATTESTATION, empty))), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(await crafted(attr(ID_AA_ATTESTATION, bundle), attr(ID_AA_ATTESTATION, bundle))), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(await crafted(attr(ID_AA_ATTESTATION, bundle, bundle))), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(await crafted(attr(ID_AA_ATTESTATION, bundle), extensionRequest(ext(SUBJECT_ALT_NAME, tlv(0x30, tlv(0x87, Uint8Array.of(1, 2, 3))))))), 'ERR_CSR_MALFORMED');
});

test('a CSR with no evidence, or with more than one source of it, is refused', async () => {
  const bundle = encodeAttestationBundle(simEvidence);
  const snp = ext(ENARX_SNP, encodeEnarxEvidence(simEvidence).value);
  const san = ext(SUBJECT_ALT_NAME, tlv(0x30, tlv(0x82, Buffer.from('keep.example'))));
  assert.equal(await refusal(await crafted(extensionRequest(san))), 'ERR_CSR_NO_EVIDENCE');
  assert.equal(await refusal(await crafted(attr(ID_AA_ATTESTATION, bundle), extensionRequest(snp))), 'ERR_CSR_NO_EVIDENCE');
  assert.equal(await refusal(await crafted(extensionRequest(snp, ext(ENARX_KVM, NULL)))), 'ERR_CSR_NO_EVIDENCE');
  const statement = (oid: string, stmt: Uint8Array): Uint8Array => tlv(0x30, encodeOid(oid), stmt);
  const snpStmt = statement(ENARX_SNP, encodeEnarxEvidence(simEvidence).value);
  assert.equal(await refusal(await crafted(attr(ID_AA_ATTESTATION, tlv(0x30, tlv(0x30, snpStmt, snpStmt))))), 'ERR_CSR_NO_EVIDENCE');
});

test('unsupported statements, certificate formats and Enarx evidence kinds are refused as such', async () => {
  const vcek = simEvidence.certs[0]!;
  const statement = (oid: string, stmt: Uint8Array): Uint8Array => tlv(0x30, encodeOid(oid), stmt);
  const snpStmt = statement(ENARX_SNP, encodeEnarxEvidence(simEvidence).value);
  const ietf = (...parts: Uint8Array[]): Promise<Uint8Array> => crafted(attr(ID_AA_ATTESTATION, tlv(0x30, ...parts)));
  assert.equal(await refusal(await ietf(tlv(0x30, statement('1.3.6.1.4.1.99999.1', NULL)))), 'ERR_CSR_UNSUPPORTED');
  assert.equal(await refusal(await ietf(tlv(0x30, snpStmt), tlv(0x30, tlv(0xa3, tlv(0x30, encodeOid('1.2.3.4'), NULL))))), 'ERR_CSR_UNSUPPORTED');
  assert.equal(await refusal(await ietf(tlv(0x30, snpStmt), tlv(0x30, tlv(0xa1, NULL)))), 'ERR_CSR_MALFORMED');
  assert.equal(await refusal(await crafted(extensionRequest(ext(ENARX_KVM, NULL)))), 'ERR_CSR_UNSUPPORTED');
  // Enarx's SgxEvidence: quote, CrlList, TcbPackage { crts, report }. Read in full, then refused:
  // our Evidence has no SGX format.
  const sgx = tlv(0x30, tlv(0x04, Uint8Array.of(3, 0, 2, 0)), tlv(0x30, tlv(0x30)), tlv(0x30, tlv(0x30, vcek), tlv(0x04, Buffer.from('{}'))));
  assert.equal(await refusal(await crafted(extensionRequest(ext(ENARX_SGX, sgx)))), 'ERR_CSR_UNSUPPORTED');
  assert.equal(await refusal(await crafted(extensionRequest(ext(ENARX_SGX, sgx.subarray(0, -1))))), 'ERR_CSR_MALFORMED');
  await assert.rejects(buildAttestedCsr({ keys: p384, form: 'enarx', evidence: { backend: 'tdx', format: 'tdx', report: Uint8Array.of(1), certs: [] } }), TypeError);
  // P-521: a well-formed CSR with a key this steward does not take; and not built.
  const p521 = await ecdsa('P-521');
  assert.equal(await refusal(await craftedWith(p521, 'SHA-384', [attr(ID_AA_ATTESTATION, encodeAttestationBundle(simEvidence))])), 'ERR_CSR_UNSUPPORTED');
  await assert.rejects(buildAttestedCsr({ keys: p521, form: 'ietf', evidence: simEvidence }), TypeError);
});

test('random byte flips in a valid CSR, and random bytes, only ever yield a CsrError', { timeout: 30_000 }, async () => {
  const der = await buildAttestedCsr({ keys: p384, form: 'ietf', evidence: simEvidence, dnsNames: ['keep.example'] });
  const flip = fc.record({ at: fc.nat({ max: der.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) });
  await fc.assert(
    fc.asyncProperty(fc.array(flip, { minLength: 1, maxLength: 4 }), async (flips) => {
      const bytes = der.slice();
      for (const { at, xor } of flips) bytes[at]! ^= xor;
      assert.notEqual(await refusal(bytes), 'accepted');
    }),
    { numRuns: 200 },
  );
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
      assert.notEqual(await refusal(bytes), 'accepted');
    }),
    { numRuns: 100 },
  );
});

/**
 * enarx/steward crates/attestation/src/snp/milan.signed.crl.csr at bb0ea54 (Apache-2.0),
 * SHA-256 c71b5677d612c6e4fae2a3aab26f21705973ed97b5cf1ad39c462f1957b8d4ca: a P-384 CSR whose
 * extensionRequest holds Enarx's SNP evidence (a Milan VCEK, the Genoa and Milan CRLs, a report).
 */
const ENARX_SNP_CSR =
  'MIISZDCCEeoCAQAwADB2MBAGByqGSM49AgEGBSuBBAAiA2IABApIyTznE11QQ4CeApNPSi4ICOjprzNppN7bf/wTaDvmC5+8raBrhM2B1TADAtK7Nxq3PbXC' +
  'BHYeb63sjdejYzXNw+nYiMMDH6lJ34TYjRgXsuP3Bf1X86rv/pSKFvtwfKCCEWkwghFlBgkqhkiG9w0BCQ4xghFWMIIRUjCCEU4GCisGAQQBg8ceAQMEghE+' +
  'MIIROjCCDJIwggVMMIIC+6ADAgECAgEAMEYGCSqGSIb3DQEBCjA5oA8wDQYJYIZIAWUDBAICBQChHDAaBgkqhkiG9w0BAQgwDQYJYIZIAWUDBAICBQCiAwIB' +
  'MKMDAgEBMHsxFDASBgNVBAsMC0VuZ2luZWVyaW5nMQswCQYDVQQGEwJVUzEUMBIGA1UEBwwLU2FudGEgQ2xhcmExCzAJBgNVBAgMAkNBMR8wHQYDVQQKDBZB' +
  'ZHZhbmNlZCBNaWNybyBEZXZpY2VzMRIwEAYDVQQDDAlTRVYtTWlsYW4wHhcNMjIwOTI5MTI0ODU2WhcNMjkwOTI5MTI0ODU2WjB6MRQwEgYDVQQLDAtFbmdp' +
  'bmVlcmluZzELMAkGA1UEBhMCVVMxFDASBgNVBAcMC1NhbnRhIENsYXJhMQswCQYDVQQIDAJDQTEfMB0GA1UECgwWQWR2YW5jZWQgTWljcm8gRGV2aWNlczER' +
  'MA8GA1UEAwwIU0VWLVZDRUswdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAQSoD70cn/s+EGsMQqhLs5PdJxgPF3dk1tYGrU8ZcKgCsvb2y9S/5DFZxHwqFd02W0u' +
  'IZtMbu9P3RebKayQiwvny47Mly+CHxdSbzYevNYowvwvn3fkpvMkTqo6vC7rhJqjggEWMIIBEjAQBgkrBgEEAZx4AQEEAwIBADAXBgkrBgEEAZx4AQIEChYI' +
  'TWlsYW4tQjAwEQYKKwYBBAGceAEDAQQDAgECMBEGCisGAQQBnHgBAwIEAwIBADARBgorBgEEAZx4AQMEBAMCAQAwEQYKKwYBBAGceAEDBQQDAgEAMBEGCisG' +
  'AQQBnHgBAwYEAwIBADARBgorBgEEAZx4AQMHBAMCAQAwEQYKKwYBBAGceAEDAwQDAgEGMBEGCisGAQQBnHgBAwgEAwIBXTBNBgkrBgEEAZx4AQQEQFyyYLnC' +
  'TYqcvxqrhT0Oq6403KeH2Haul/jXoOcH0YDOB9T9stp9aBSy91skKimd/YGBwVdxjEtTqa3nnoLSTL0wRgYJKoZIhvcNAQEKMDmgDzANBglghkgBZQMEAgIF' +
  'AKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgIFAKIDAgEwowMCAQEDggIBAHorevow/Okztg6F0t3tKgVybxrD3WN1zPpsRFXjmpLSbMtAwkFCBeQtWM2g' +
  '8zbhjOhp+thbqMslzT+cIblcdQ8jQ9S6IZ6UJBChziobF2XzFJ1cxuBPbrA5X9OV5nVAARWa5Gf15p+S10aitKrQ75S03a31+4z7z6A9DPRV85zaWE4tnHFr' +
  '9F51ewehG/8FG5dD2AToKDpdzdBF/KUEv60vyaUW5Z2cFG2QlKj6QqVrm+ixRsq6235SSCMHvb+fcfpLcXutPgyyPSFA9ogcRTJWrrx85Uo5jACYDImpI/nn' +
  'ToAigZefgt5o8rAOTC4PIiGwYD0pXr95OE4hLTDIAHJOBsaGQ0Hyy2CxNuRS+6AQ7dQLL36JqicG1ciUGpQwUGA5Z2rlpg6My8dR1iC5D0RdqbTlj7zwMvmM' +
  'kExuH3LByQ7FiWgfjt+/QmkrJIVMFNd+zCP0ymRp2mUvHgMsHMzyfyiX41FIeNnCIGfaRj3mxAtSJOFJWqhh5tKMB6vL7esCAnnUPTWw1mvUPxq9YzDs7Qil' +
  '1zqlxRWMRTuMI3mbjbk2/TkRDTf517PGeKkn1LyFwdbXNHqZQ7dFnmUm3aRgek73YHSDqJxQZ/c0oPQrTRc9urVgQmk9KY4ok7PWD58KGssBExuLDwajCjyT' +
  'J8xZUP71gxEzJBJ2M4B+nxNZMIIHPjCCBzowggOlDClodHRwczovL2tkc2ludGYuYW1kLmNvbS92Y2VrL3YxL0dlbm9hL2NybDCCA3YwggEqAgEBMEEGCSqG' +
  'SIb3DQEBCjA0oA8wDQYJYIZIAWUDBAICBQChHDAaBgkqhkiG9w0BAQgwDQYJYIZIAWUDBAICBQCiAwIBMDB7MRQwEgYDVQQLDAtFbmdpbmVlcmluZzELMAkG' +
  'A1UEBhMCVVMxFDASBgNVBAcMC1NhbnRhIENsYXJhMQswCQYDVQQIDAJDQTEfMB0GA1UECgwWQWR2YW5jZWQgTWljcm8gRGV2aWNlczESMBAGA1UEAwwJQVJL' +
  'LUdlbm9hFw0yMjEwMzExMzM0NDZaFw0yMzEwMzEyMzAwMDBaMBYwFAIDAgABFw0yMjEwMzExMzM0NDZaoC8wLTAfBgNVHSMEGDAWgBSfXfn+DdjzWtAzGiXv' +
  'gSlPvjGoWzAKBgNVHRQEAwIBAjBBBgkqhkiG9w0BAQowNKAPMA0GCWCGSAFlAwQCAgUAoRwwGgYJKoZIhvcNAQEIMA0GCWCGSAFlAwQCAgUAogMCATADggIB' +
  'ANNIJSsO3akaoIOg6KtMPwqlfcxWUVj/bPsa9BhLIeU4K7yHg+/jB/Lr1mB0kPFjJAG/JFS7HPCfOpWTKfBF5CkPKuiIS5sAP1E/YHR7XUf8PfVklrr201A0' +
  'RMTb7+uorqCMbONzZVSP9c8Fr3ijfF/v29PtjXjhwKg3+l+qLuCu3MTHxXN3lAgfOt71o4DyEt1x28PSMvjb89YwIfSfMIqjSv+GefUdG2yffQcMV5fzZc2D' +
  'VaibZ/Ame5nbainGoBQzcAvgAC6/jM3vL7CRIksJY8tsHmKxTxdStkyTjfya4+AwEVsaYZM8h2IJzIclEGTBLdOF9SUTYhfW4iPBemiieBz/OzLmoX0+S3iw' +
  'hCLgvMrWuxeTiyCkn0xYEa7P9SehseospKMQdrMjB3gsKsDT/xJmNn7/73lNka+9dwBjiNoM5bzySAnY4bHwJbbR52U/UgeaKbXI46+DginANcIPPxngFwTc' +
  'Z7HTnr0kDWF+bKAVwhDMaun2V0SG46Vym+1EavtsHXluLfHU3GJvaphZFJRTT4ioLi4gPMGhYdKJ4EHeafLeCMhoVoq/oqsfC+KHysHogkNoW8NqbK5tGLGY' +
  '9KhXiAALvtxyxhfXJ4NPTh8snv8dxk6Rc/UA1cZUVVoz6OwVa3sd1wDPmdW3TWVegpxEKXo8XfHjAv6DbmYfMIIDjQwpaHR0cHM6Ly9rZHNpbnRmLmFtZC5j' +
  'b20vdmNlay92MS9NaWxhbi9jcmwwggNeMIIBEgIBATBBBgkqhkiG9w0BAQowNKAPMA0GCWCGSAFlAwQCAgUAoRwwGgYJKoZIhvcNAQEIMA0GCWCGSAFlAwQC' +
  'AgUAogMCATAwezEUMBIGA1UECwwLRW5naW5lZXJpbmcxCzAJBgNVBAYTAlVTMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExHzAdBgNVBAoM' +
  'FkFkdmFuY2VkIE1pY3JvIERldmljZXMxEjAQBgNVBAMMCUFSSy1NaWxhbhcNMjIwNTA5MTcwNzQ1WhcNMjMwNTA5MjMwMDAwWqAvMC0wHwYDVR0jBBgwFoAU' +
  'hawa0UP3yKxV1MUdQUir1XhK1FMwCgYDVR0UBAMCAQMwQQYJKoZIhvcNAQEKMDSgDzANBglghkgBZQMEAgIFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQME' +
  'AgIFAKIDAgEwA4ICAQBLDb9lISHH9fraQZtoaXtYd0BjONk3DPP6EcOTLaZE8cWsaMihe9bVVwmxTBO/A0+1QdVpTV09sD+PgUt3peOPrOR5rTofaIQgfmRy' +
  'nKpFcDPwar5Ism75lBQ90mn7kUhmY38ivoXGB3M6DjUQtDsVkcbgLWx5GleDf14Y3CiYL1H92pOOa5ONFL2fQqXSL3muDUE1h6KZ2G6HtJrX8skYH4/5J99u' +
  'PtUIjHkYORar0begEBdli3hMiz3N4bBVvajOc6ibxsRC5TSStVWfneLoKUZIaBnrj3xGKBd2bmzPkSwf/ZzW2mGAdoJCSfJ4GB371wrFhxHFYw4rZb6ALYnM' +
  'dJPatG+9VlzO2NvAj1uV1MOrLNBEJvCmkmXIm8yfksAXHM3Sizh0hU918+uTiYj/M5FeYKAC/svWwDoTz91wUqAdlOgIV09QZ5V9mey0bqOXjt7N9l/+hfjB' +
  '+41mnR3nq4CF7WaXSEK7MKpOLMYxv40NZwFIFpA7qaE2+0Zi5LIoiu4MxoO2tpjtNKwitwEHBRtK4zDK1+53lIM4pv9eEWxnNpJsDRYZN17n5DoR6lz9bu24' +
  'SWqzz4U8pR09T9vAvPqoF2fbfwVu5X3tw/uI7X7dUvrscNTd94i5FoKxcXQ0iLman2JOtgZ193pSW8a57I3KvuHbTYlq4ABtL7zm5ASCBKACAAAAAQAAADMB' +
  'AwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAIAAAAAAAZdAQAAAAAAAAABAAAAAAAAAOdCKbtUWt/8AoiiE1A1MBTIdO9K' +
  'sRIMU+Xa/JlxmWMm4JHsNqu7U0rh0HKPoRTnxgAAAAAAAAAAAAAAAAAAAAD/cXrnGYQMk8H8o7fblkiEVMPCG0NTFIjuz/Uc/tP+vNkdqL6HpMvLxSo7rncJ' +
  'h8MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAANcaTR2kQNUVzWn7sTFKz0Ihcm6CdoqL9uSkBj7VQqx4NJyBRbRmakJCqRo3Q4e0c33CIkCoNE/O' +
  'a6XyL/vtq8UtQSOuC6HFl5blIblTkWtQPyI7FcRCnn2MVImtcfHhk2NNv2dfH9bZ0Asuv+2utbBrsWlh6jUwPepNlc5o0NIE////////////////////////' +
  '//////////////////8CAAAAAAAGXQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFyyYLnCTYqcvxqrhT0Oq6403KeH2Haul/jXoOcH0YDOB9T9stp9aBSy91sk' +
  'Kimd/YGBwVdxjEtTqa3nnoLSTL0CAAAAAAAGXQMzAQADMwEAAgAAAAAABl0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABhaqaD0bh6KRg8T7r97DfK/N8YaiPGdKqmoUA3Ssx0koD23gIxzjOiZ/cITkZCWbQAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAACPGmvVnIMAqfDXyyPdyIOvGS53TgUDit5cFvwL5T+XQ/zUWCOhiZRkeiN1KvCcTlIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAADAKBggqhkjOPQQDAwNoADBlAjEAiuOEY/s8iXfn8iXl/CJqmp8UJUiELa+eHZW0nf8v2zEMf7hLv/W4uVyWh+5Cg7QJAjA0/v9LWBWiK0HRo7CcpOXs' +
  'ubjbHPDsq5eXaNgRAwtfW953w7pilXeWHK1nzuI9NEs=';
