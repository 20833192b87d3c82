import 'reflect-metadata'; // before @peculiar/x509: its tsyringe checks for Reflect.getMetadata at load
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { CA_CERT_FILE, CA_KEY_FILE, CLOCK_SKEW_MS, loadCaFiles, loadOrCreateCa, type StewardCa } from '../../src/steward/ca.js';
import { encodeDiceTcbInfo, OID_TCG_DICE_MULTI_TCB_INFO } from '../../src/steward/dice-tcb-info.js';
import { issueCertificate, parseKeepTcbInfo, type IssueRequest, type KeepTcbInfo } from '../../src/steward/issue.js';
import { openssl } from '../support/test-ca.js';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const NO_OPENSSL = HAS_OPENSSL ? false : 'the openssl command is not installed';
const NOW = new Date('2026-03-01T12:00:00.250Z');
const HOUR = 3_600_000;
const x509Crypto = webcrypto as unknown as Parameters<typeof X509CertificateGenerator.create>[1];

const tmp = mkdtempSync(join(tmpdir(), 'steward-ca-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(tmp, `state-${dirs++}`);

const SNP: KeepTcbInfo = {
  tee: 'sev-snp',
  product: 'Genoa',
  tcb: { reportedTcb: 'd315000000000004', bootloader: 4, tee: 0, snp: 21, microcode: 211, firmware: '1.55.21' },
  tcbStatus: 'UpToDate',
  debug: false,
  measurement: 'ab'.repeat(48),
  runtime: { name: 'enarx-ts', release: '0.1.0', backend: 'snp' },
};

function p256Spki(): Uint8Array {
  return new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
}

function request(over: Partial<IssueRequest> = {}): IssueRequest {
  return { spki: p256Spki(), dnsNames: ['keep.example.com'], ipAddresses: ['192.0.2.7', '::ffff:192.0.2.1', '2001:db8::1'], uris: ['spiffe://example.com/keep/abc'], lifetimeMs: HOUR, now: NOW, keep: SNP, ...over };
}

const pem = (der: Uint8Array): string => new X509Certificate(der).toString('pem');
const ext = <T extends Extension>(cert: X509Certificate, type: new (raw: BufferSource) => T): T => {
  const e = cert.getExtension(type);
  assert.ok(e, `missing ${type.name}`);
  return e;
};

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => (err as { code?: string }).code === code);
}

let shared: Promise<{ dir: string; ca: StewardCa }> | undefined;
const sharedCa = (): Promise<{ dir: string; ca: StewardCa }> => {
  const dir = freshDir();
  shared ??= loadOrCreateCa(dir, { now: NOW }).then((ca) => ({ dir, ca }));
  return shared;
};

test('a new CA: P-384, self-signed v3, 10 years, critical cA TRUE pathLen 0 and keyCertSign+cRLSign, stored 0600 in a 0700 directory', async () => {
  const { dir, ca } = await sharedCa();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, CA_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(createPrivateKey(readFileSync(join(dir, CA_KEY_FILE), 'utf8')).asymmetricKeyDetails?.namedCurve, 'secp384r1');
  assert.match(readFileSync(join(dir, CA_KEY_FILE), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/); // PKCS #8
  assert.equal(readFileSync(join(dir, CA_CERT_FILE), 'utf8'), ca.certPem);
  const cert = new X509Certificate(ca.certDer);
  assert.equal(ca.subject, 'CN=enarx-ts steward CA');
  assert.equal(cert.subject, cert.issuer);
  assert.equal(cert.signatureAlgorithm.hash.name, 'SHA-384');
  assert.equal(cert.serialNumber.length, 32);
  assert.ok(Number.parseInt(cert.serialNumber.slice(0, 2), 16) < 0x80);
  assert.equal(cert.notBefore.getTime(), Math.floor((NOW.getTime() - CLOCK_SKEW_MS) / 1000) * 1000);
  assert.equal(cert.notAfter.toISOString(), '2036-03-01T12:00:00.000Z');
  assert.equal(ca.notAfter.getTime(), cert.notAfter.getTime());
  const bc = ext(cert, BasicConstraintsExtension);
  assert.deepEqual([bc.critical, bc.ca, bc.pathLength], [true, true, 0]);
  const ku = ext(cert, KeyUsagesExtension);
  assert.deepEqual([ku.critical, ku.usages], [true, KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign]);
  assert.equal(ext(cert, SubjectKeyIdentifierExtension).keyId, ca.keyIdentifier);
  assert.ok(await cert.verify({ signatureOnly: true }, x509Crypto));
});

test('the CA survives a restart: the same certificate, whatever name the second start asks for', async () => {
  const { dir, ca } = await sharedCa();
  const again = await loadOrCreateCa(dir, { commonName: 'another name' });
  assert.deepEqual(again.certDer, ca.certDer);
  assert.equal(again.keyIdentifier, ca.keyIdentifier);
  const leaf = new NodeX509(await issueCertificate(again, request()));
  assert.ok(leaf.verify(new NodeX509(ca.certDer).publicKey)); // the reloaded key is the same key
});

test('an issued certificate: the profile, read back with @peculiar/x509 and Node.js', async () => {
  const { ca } = await sharedCa();
  const der = await issueCertificate(ca, request());
  const cert = new X509Certificate(der);
  const caCert = new NodeX509(ca.certDer);
  assert.ok(new NodeX509(der).verify(caCert.publicKey));
  assert.ok(new NodeX509(der).checkIssued(caCert));
  assert.deepEqual(new Uint8Array(cert.issuerName.toArrayBuffer()), ca.subjectName); // byte for byte
  assert.equal(cert.subject, 'CN=enarx-ts keep');
  assert.equal(cert.signatureAlgorithm.hash.name, 'SHA-384');
  assert.equal(cert.serialNumber.length, 32);
  assert.equal(cert.notBefore.toISOString(), '2026-03-01T11:55:00.000Z');
  assert.equal(cert.notAfter.toISOString(), '2026-03-01T13:00:00.000Z'); // lifetime honoured
  const bc = ext(cert, BasicConstraintsExtension);
  assert.deepEqual([bc.critical, bc.ca], [true, false]);
  const ku = ext(cert, KeyUsagesExtension);
  assert.deepEqual([ku.critical, ku.usages], [true, KeyUsageFlags.digitalSignature]);
  const san = ext(cert, SubjectAlternativeNameExtension);
  assert.equal(san.critical, false);
  assert.deepEqual(
    san.names.toJSON().map((n) => `${n.type}:${n.value}`),
    ['dns:keep.example.com', 'ip:192.0.2.7', 'ip:::ffff:c000:201', 'ip:2001:db8::1', 'url:spiffe://example.com/keep/abc'],
  );
  assert.equal(ext(cert, AuthorityKeyIdentifierExtension).keyId, ca.keyIdentifier);
  const ski = ext(cert, SubjectKeyIdentifierExtension);
  assert.equal(ski.keyId, (await SubjectKeyIdentifierExtension.create(cert.publicKey, false, x509Crypto)).keyId);
  const dice = cert.getExtension(OID_TCG_DICE_MULTI_TCB_INFO);
  assert.equal(dice?.critical, false);
  assert.deepEqual(
    [...cert.extensions].map((e) => e.type),
    ['2.5.29.19', '2.5.29.15', '2.5.29.37', '2.5.29.17', '2.5.29.35', '2.5.29.14', OID_TCG_DICE_MULTI_TCB_INFO],
  );
});

test('openssl verifies an issued certificate against ca.pem and shows its profile', { skip: NO_OPENSSL }, async () => {
  const { dir, ca } = await sharedCa();
  writeFileSync(join(dir, 'leaf.pem'), pem(await issueCertificate(ca, request({ now: new Date() }))));
  assert.match(openssl(dir, ['verify', '-CAfile', CA_CERT_FILE, 'leaf.pem']), /leaf\.pem: OK/);
  const text = openssl(dir, ['x509', '-in', 'leaf.pem', '-noout', '-text']);
  assert.match(text, /CA:FALSE/);
  assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(text, /DNS:keep\.example\.com/);
  assert.match(text, /IP Address:192\.0\.2\.7/);
  assert.match(text, /IP Address:2001:DB8:0:0:0:0:0:1/i);
  assert.match(text, /URI:spiffe:\/\/example\.com\/keep\/abc/);
  assert.match(text, /2\.23\.133\.5\.4\.5:/);
});

test('parseKeepTcbInfo returns what was certified: SEV-SNP, a debug simulator, SGX without a known release', async () => {
  const { ca } = await sharedCa();
  const sim: KeepTcbInfo = { ...SNP, tee: 'sim', debug: true, runtime: { name: 'enarx-ts', release: '0.1.0', backend: 'sim' } };
  const sgx: KeepTcbInfo = { tee: 'sgx', product: 'SGX', tcb: { cpuSvn: '0e0e0f', pceSvn: 13, isvSvn: 1 }, tcbStatus: 'SWHardeningNeeded', debug: false, measurement: 'cd'.repeat(32) };
  for (const keep of [SNP, sim, sgx]) {
    assert.deepEqual(parseKeepTcbInfo(await issueCertificate(ca, request({ keep }))), keep);
  }
  assert.equal(parseKeepTcbInfo(ca.certDer), undefined); // no extension
});

test('the TCB extension: layer 0 names the TEE, its TCB, svn and flags; layer 1 the runtime and its measurement', { skip: NO_OPENSSL }, async () => {
  const { dir, ca } = await sharedCa();
  const tdx: KeepTcbInfo = { tee: 'tdx', product: 'TDX', tcb: { teeTcbSvn: '0b01', tdxModuleSvn: 11 }, tcbStatus: 'UpToDate', debug: true, measurement: 'ef'.repeat(48) };
  const der = await issueCertificate(ca, request({ keep: tdx }));
  writeFileSync(join(dir, 'tdx.der'), der);
  const parsed = openssl(dir, ['asn1parse', '-inform', 'DER', '-in', 'tdx.der', '-strparse', String(diceValueOffset(der))]);
  assert.match(parsed, /cont \[ 0 \]\s*$/m); // vendor [0] IMPLICIT UTF8String, read as primitive context-specific
  const dice = new X509Certificate(der).getExtension(OID_TCG_DICE_MULTI_TCB_INFO)!.value;
  const hex = Buffer.from(dice).toString('hex');
  const text = (s: string): string => Buffer.from(s).toString('hex');
  // vendor [0] 'Intel', model [1] 'TDX', version [2] '0b01', svn [3] 11, layer [4] 0, flags [7] debug (3): 0001 0000, 4 unused
  assert.ok(hex.includes(`8005${text('Intel')}8103${text('TDX')}8204${text('0b01')}83010b84010087020410`), hex);
  // layer [4] 1, fwids [6] { FWID { id-sha384, OCTET STRING (48) } }, no runtime named
  assert.ok(hex.endsWith(`840101a63f303d06096086480165030402020430${'ef'.repeat(48)}`), hex);
});

/** The offset of the tcg-dice-MultiTcbInfo extnValue's content (for `openssl asn1parse -strparse`). */
function diceValueOffset(der: Uint8Array): number {
  const marker = Buffer.from('0606678105050405', 'hex'); // OBJECT IDENTIFIER 2.23.133.5.4.5
  const at = Buffer.from(der).indexOf(marker);
  assert.ok(at > 0);
  return at + marker.length; // the OCTET STRING that follows
}

test('encodeDiceTcbInfo matches the DiceTcbInfo example of draft-ietf-lamps-csr-attestation (IMPLICIT tags)', () => {
  // From lamps-wg/csr-attestation, CSR-ATTESTATION-WITH-DiceTcbInfo.txt: version "ABCDEF123456", svn 4,
  // one SHA-256 FWID of zeros, vendorInfo and type 00000000.
  const expected =
    '304e820c414243444546313233343536830104a62f302d0609608648016503040201' + '0420' + '00'.repeat(32) + '880400000000' + '890400000000';
  const zero4 = new Uint8Array(4);
  const der = encodeDiceTcbInfo({ version: 'ABCDEF123456', svn: 4, fwids: [{ hashAlg: '2.16.840.1.101.3.4.2.1', digest: new Uint8Array(32) }], vendorInfo: zero4, type: zero4 });
  assert.equal(Buffer.from(der).toString('hex'), expected);
});

test('the lifetime is capped by the CA notAfter, and an expired CA issues nothing', async () => {
  const { ca } = await sharedCa();
  const late = new Date(ca.notAfter.getTime() - HOUR);
  const cert = new X509Certificate(await issueCertificate(ca, request({ now: late, lifetimeMs: 24 * HOUR })));
  assert.equal(cert.notAfter.getTime(), ca.notAfter.getTime());
  await expectCode(issueCertificate(ca, request({ now: new Date(ca.notAfter.getTime() + 1000) })), 'ERR_CA_EXPIRED');
});

test('names and subjects: an empty subject makes the subjectAltName critical; bad names are the caller\'s mistake', async () => {
  const { ca } = await sharedCa();
  const anonymous = new X509Certificate(await issueCertificate(ca, request({ subject: '', dnsNames: [], ipAddresses: [] })));
  assert.equal(anonymous.subject, '');
  assert.equal(ext(anonymous, SubjectAlternativeNameExtension).critical, true);
  const nameless = new X509Certificate(await issueCertificate(ca, request({ dnsNames: [], ipAddresses: [], uris: [] })));
  assert.equal(nameless.getExtension(SubjectAlternativeNameExtension), null);
  await assert.rejects(issueCertificate(ca, request({ subject: '', dnsNames: [], ipAddresses: [], uris: [] })), TypeError);
  await assert.rejects(issueCertificate(ca, request({ dnsNames: ['bad name'] })), TypeError);
  await assert.rejects(issueCertificate(ca, request({ ipAddresses: ['fe80::1%eth0'] })), TypeError);
  await assert.rejects(issueCertificate(ca, request({ uris: ['no scheme'] })), TypeError);
  await assert.rejects(issueCertificate(ca, request({ lifetimeMs: 0 })), TypeError);
  await assert.rejects(issueCertificate(ca, request({ spki: Uint8Array.of(0x30, 0) })), TypeError);
  await assert.rejects(issueCertificate(ca, request({ keep: { ...SNP, measurement: 'ab' } })), TypeError);
});

test('a crash between the key and the certificate is finished on the next start', async () => {
  const dir = freshDir();
  const first = await loadOrCreateCa(dir, { now: NOW });
  const keyPem = readFileSync(join(dir, CA_KEY_FILE), 'utf8');
  unlinkSync(join(dir, CA_CERT_FILE));
  writeFileSync(join(dir, `.${CA_KEY_FILE}.0123456789ab.tmp`), 'a half-written copy');
  const again = await loadOrCreateCa(dir, { now: NOW });
  assert.equal(readFileSync(join(dir, CA_KEY_FILE), 'utf8'), keyPem);
  assert.notDeepEqual(again.certDer, first.certDer); // a new certificate (new serial) ...
  assert.equal(again.keyIdentifier, first.keyIdentifier); // ... for the same key
  assert.deepEqual(readdirSync(dir).sort(), [CA_KEY_FILE, CA_CERT_FILE].sort()); // the stale temp file is gone
});

test('a certificate without its key, or a key that is not its key, stops the steward', async () => {
  const lost = freshDir();
  await loadOrCreateCa(lost, { now: NOW });
  unlinkSync(join(lost, CA_KEY_FILE));
  await expectCode(loadOrCreateCa(lost), 'ERR_CA_STATE');
  assert.ok(readFileSync(join(lost, CA_CERT_FILE), 'utf8').includes('CERTIFICATE')); // never replaced

  const swapped = freshDir();
  await loadOrCreateCa(swapped, { now: NOW });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  writeFileSync(join(swapped, CA_KEY_FILE), other, { mode: 0o600 });
  await expectCode(loadOrCreateCa(swapped), 'ERR_CA_MISMATCH');
});

test('loadCaFiles: an openssl-made P-384 CA issues certificates openssl accepts', { skip: NO_OPENSSL }, async () => {
  const dir = freshDir();
  mkdirSync(dir);
  const ext = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-subj', '/CN=test', ...ext, '-days', '30', '-keyout', 'ca.key', '-out', 'ca.pem']);
  const ca = await loadCaFiles(join(dir, 'ca.pem'), join(dir, 'ca.key'));
  assert.equal(ca.subject, 'CN=test');
  assert.equal(ca.algorithm.hash, 'SHA-384');
  writeFileSync(join(dir, 'leaf.pem'), pem(await issueCertificate(ca, request({ now: new Date() }))));
  assert.match(openssl(dir, ['verify', '-CAfile', 'ca.pem', 'leaf.pem']), /leaf\.pem: OK/);

  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=p256', ...ext, '-keyout', 'p256.key', '-out', 'p256.pem']);
  const p256 = await loadCaFiles(join(dir, 'p256.pem'), join(dir, 'p256.key'));
  const leaf = new X509Certificate(await issueCertificate(p256, request()));
  assert.equal(leaf.signatureAlgorithm.hash.name, 'SHA-256');
  assert.ok(new NodeX509(Buffer.from(leaf.rawData)).verify(new NodeX509(p256.certDer).publicKey));
});

test('loadCaFiles refuses a non-CA certificate, a mismatched key, an RSA key and a missing file', { skip: NO_OPENSSL }, async () => {
  const dir = freshDir();
  mkdirSync(dir);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes'];
  openssl(dir, ['req', '-x509', ...newKey, '-subj', '/CN=leaf', '-addext', 'basicConstraints=critical,CA:FALSE', '-keyout', 'leaf.key', '-out', 'leaf.pem']);
  await expectCode(loadCaFiles(join(dir, 'leaf.pem'), join(dir, 'leaf.key')), 'ERR_CA_FILE');
  const ext = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'];
  openssl(dir, ['req', '-x509', ...newKey, '-subj', '/CN=ca', ...ext, '-keyout', 'ca.key', '-out', 'ca.pem']);
  await expectCode(loadCaFiles(join(dir, 'ca.pem'), join(dir, 'leaf.key')), 'ERR_CA_MISMATCH');
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rsa', ...ext, '-keyout', 'rsa.key', '-out', 'rsa.pem']);
  await expectCode(loadCaFiles(join(dir, 'rsa.pem'), join(dir, 'rsa.key')), 'ERR_CA_FILE');
  await expectCode(loadCaFiles(join(dir, 'absent.pem'), join(dir, 'ca.key')), 'ERR_CA_FILE');
});

test('parseKeepTcbInfo on hostile input returns or throws CaError ERR_CA_EXTENSION, nothing else', async () => {
  const { ca } = await sharedCa();
  const good = await issueCertificate(ca, request({ keep: { ...SNP, tee: 'sim', debug: true } }));
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const withValue = async (value: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array((await X509CertificateGenerator.createSelfSigned({ name: 'CN=x', keys, extensions: [new Extension(OID_TCG_DICE_MULTI_TCB_INFO, false, value)] }, x509Crypto)).rawData);
  const dice = new X509Certificate(good).getExtension(OID_TCG_DICE_MULTI_TCB_INFO)!.value;
  const inputs: Uint8Array[] = [new Uint8Array(0), good.subarray(0, 100), new Uint8Array(70_000)];
  for (let i = 0; i < dice.byteLength; i += 4) {
    const flipped = new Uint8Array(dice.slice(0));
    flipped[i]! ^= 1 << i % 8;
    inputs.push(await withValue(flipped), await withValue(new Uint8Array(dice.slice(0, i))));
  }
  inputs.push(await withValue(encodeDiceTcbInfo({ vendor: 'someone', layer: 0 })), await withValue(Uint8Array.of(0x30, 0)));
  let refused = 0;
  for (const input of inputs) {
    try {
      parseKeepTcbInfo(input);
    } catch (err) {
      assert.equal((err as { name?: string }).name, 'CaError');
      assert.equal((err as { code?: string }).code, 'ERR_CA_EXTENSION');
      refused++;
    }
  }
  assert.ok(refused > inputs.length / 2);
});
