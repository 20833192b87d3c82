/**
 * Generates the self-made DCAP vectors in this folder: a test PKI (root → PCK CA → PCK leaf with
 * the SGX extension; root → TCB Signing), CRLs, TDX v4 / v5 and SGX v3 quotes signed through it,
 * and collateral (dcap-qvl bundles and Intel PCS-style responses) signed by the TCB Signing key.
 *
 * Run after a build: `node dist/test/vectors/dcap/generate.js`. Keys are fresh on every run and
 * discarded, so the output differs run to run; the tests depend only on its structure (see
 * README.md). The quote bytes are written from the Intel layouts directly, not with the parser
 * under test.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { basicConstraints, buildCertificate, buildCrl, keyUsage } from '../../attestation/support/x509-builder.js';
import { int, octets, oid, seq, tlv } from '../../attestation/support/der-writer.js';
import { REPO_ROOT } from '../../support/vectors.js';

const OUT = join(REPO_ROOT, 'test', 'vectors', 'dcap');
const SGX_EXT = '1.2.840.113741.1.13.1';
const O: readonly [string, string][] = [['O', 'enarx-ts test'], ['L', 'Santa Clara'], ['ST', 'CA'], ['C', 'US']];
const ROOT_NAME: [string, string][] = [['CN', 'Intel SGX Root CA'], ...O];
const PCK_CA_NAME: [string, string][] = [['CN', 'Intel SGX PCK Platform CA'], ...O];
const PCK_NAME: [string, string][] = [['CN', 'Intel SGX PCK Certificate'], ...O];
const SIGNING_NAME: [string, string][] = [['CN', 'Intel SGX TCB Signing'], ...O];

/** The fixed time window of every artefact; the tests verify at 2025-06-01. */
const CERT_FROM = new Date('2024-01-01T00:00:00Z');
const CERT_TO = new Date('2034-01-01T00:00:00Z');
const ISSUE = '2025-01-01T00:00:00Z';
const NEXT = '2026-01-01T00:00:00Z';

export const FMSPC = '00e7a2c00000';
export const PCE_ID = '0000';
/** The PCK's SGX TCB components and PCESVN. */
const SGX_COMPONENTS = [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
const PCE_SVN = 13;
const QE_MRSIGNER = Buffer.alloc(32, 0xd1);
const INTEL_QE_VENDOR_ID = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sigP1363 = (key: KeyObject, data: Uint8Array): Buffer => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** The SGX extension value (see src/attestation/dcap/pck-extension.ts for the ASN.1). */
function sgxExtension(): Uint8Array {
  const member = (arc: string, value: Uint8Array) => seq(oid(`${SGX_EXT}.${arc}`), value);
  const tcb = seq(
    ...SGX_COMPONENTS.map((svn, i) => member(`2.${i + 1}`, int(svn))),
    member('2.17', int(PCE_SVN)),
    member('2.18', octets(Uint8Array.from(SGX_COMPONENTS))),
  );
  return seq(
    member('1', octets(Buffer.alloc(16, 0x5a))),
    member('2', tcb),
    member('3', octets(Buffer.from(PCE_ID, 'hex'))),
    member('4', octets(Buffer.from(FMSPC, 'hex'))),
    member('5', tlv(0x0a, Uint8Array.of(0))),
  );
}

/** An SGX REPORT_BODY (384 bytes). */
function reportBody(f: { mrEnclave?: Buffer; mrSigner: Buffer; isvProdId: number; isvSvn: number; attributes: Buffer; reportData: Buffer }): Buffer {
  const b = Buffer.alloc(384);
  Buffer.from(SGX_COMPONENTS).copy(b, 0);
  f.attributes.copy(b, 48);
  (f.mrEnclave ?? Buffer.alloc(32)).copy(b, 64);
  f.mrSigner.copy(b, 128);
  b.writeUInt16LE(f.isvProdId, 256);
  b.writeUInt16LE(f.isvSvn, 258);
  f.reportData.copy(b, 320);
  return b;
}

/** A TD quote body: 584 bytes, or 648 for TD 1.5. */
function tdBody(f: { teeTcbSvn: number[]; tdAttributes: bigint; reportData: Buffer; td15: boolean }): Buffer {
  const b = Buffer.alloc(f.td15 ? 648 : 584);
  Buffer.from(f.teeTcbSvn).copy(b, 0);
  b.writeBigUInt64LE(f.tdAttributes, 0x78);
  b.writeBigUInt64LE(0xe7n, 0x80); // XFAM
  Buffer.alloc(48, 0x11).copy(b, 0x10); // MRSEAM
  Buffer.alloc(48, 0x7d).copy(b, 0x88); // MRTD
  for (let i = 0; i < 4; i++) Buffer.alloc(48, 0xa0 + i).copy(b, 0x148 + 48 * i);
  f.reportData.copy(b, 0x208);
  // TEE_TCB_SVN2: the module now loaded is one ISVSVN newer than the TD was built on, so Intel's
  // "TD relaunch advised" applies when the TCB info marks the running module out of date.
  if (f.td15) Buffer.from([f.teeTcbSvn[0]! + 1, ...f.teeTcbSvn.slice(1)]).copy(b, 0x248);
  return b;
}

interface Pki {
  rootDer: Uint8Array;
  pckCaDer: Uint8Array;
  pckDer: Uint8Array;
  signingDer: Uint8Array;
  rootKey: KeyObject;
  pckCaKey: KeyObject;
  pckKey: KeyObject;
  signingKey: KeyObject;
}

function makePki(): Pki {
  const root = p256();
  const pckCa = p256();
  const pck = p256();
  const signing = p256();
  const caExts = [basicConstraints(true), keyUsage([5, 6])];
  const alg = 'ecdsa-sha256' as const;
  const common = { notBefore: CERT_FROM, notAfter: CERT_TO, alg };
  const rootDer = buildCertificate({ ...common, subject: ROOT_NAME, serial: 1, publicKey: root.publicKey, signingKey: root.privateKey, extensions: caExts });
  const pckCaDer = buildCertificate({ ...common, subject: PCK_CA_NAME, issuer: ROOT_NAME, serial: 2, publicKey: pckCa.publicKey, signingKey: root.privateKey, extensions: [basicConstraints(true, 0), keyUsage([5, 6])] });
  const pckDer = buildCertificate({
    ...common,
    subject: PCK_NAME,
    issuer: PCK_CA_NAME,
    serial: 0x1234,
    publicKey: pck.publicKey,
    signingKey: pckCa.privateKey,
    extensions: [basicConstraints(false), keyUsage([0, 1]), { oid: SGX_EXT, value: sgxExtension() }],
  });
  const signingDer = buildCertificate({ ...common, subject: SIGNING_NAME, issuer: ROOT_NAME, serial: 3, publicKey: signing.publicKey, signingKey: root.privateKey, extensions: [basicConstraints(false), keyUsage([0, 1])] });
  return { rootDer, pckCaDer, pckDer, signingDer, rootKey: root.privateKey, pckCaKey: pckCa.privateKey, pckKey: pck.privateKey, signingKey: signing.privateKey };
}

/** Signature data after the signed region: quote sig, attestation key, QE report section. */
function signatureData(pki: Pki, version: number, signed: Buffer, attestKey: { publicKey: KeyObject; privateKey: KeyObject }, tdx: boolean): Buffer {
  const attPub = rawPublicKey(attestKey.publicKey);
  const authData = Buffer.alloc(32, 0xa5);
  const binding = Buffer.concat([createHash('sha256').update(attPub).update(authData).digest(), Buffer.alloc(32)]);
  const qeReport = reportBody({ mrSigner: QE_MRSIGNER, isvProdId: tdx ? 2 : 1, isvSvn: 4, attributes: Buffer.from('11000000000000000700000000000000', 'hex'), reportData: binding });
  const chain = Buffer.from(pem('CERTIFICATE', pki.pckDer) + pem('CERTIFICATE', pki.pckCaDer) + pem('CERTIFICATE', pki.rootDer) + '\0');
  const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const qeSection = Buffer.concat([qeReport, sigP1363(pki.pckKey, qeReport), u16(authData.length), authData, u16(5), u32(chain.length), chain]);
  const tail = version === 3 ? qeSection : Buffer.concat([u16(6), u32(qeSection.length), qeSection]);
  const data = Buffer.concat([sigP1363(attestKey.privateKey, signed), attPub, tail]);
  return Buffer.concat([u32(data.length), data]);
}

function header(version: number, teeType: number): Buffer {
  const h = Buffer.alloc(48);
  h.writeUInt16LE(version, 0);
  h.writeUInt16LE(2, 2);
  h.writeUInt32LE(teeType, 4);
  if (version === 3) {
    h.writeUInt16LE(4, 8);
    h.writeUInt16LE(PCE_SVN, 10);
  }
  INTEL_QE_VENDOR_ID.copy(h, 12);
  return h;
}

const REPORT_DATA = Buffer.from(createHash('sha512').update('enarx-ts dcap test vector').digest());

function tdxQuote(pki: Pki, version: 4 | 5, tdAttributes = 0x10000000n): Buffer {
  const attKey = p256();
  const td15 = version === 5;
  const body = tdBody({ teeTcbSvn: td15 ? [4, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] : [5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], tdAttributes, reportData: REPORT_DATA, td15 });
  const descriptor = Buffer.alloc(6);
  descriptor.writeUInt16LE(3, 0);
  descriptor.writeUInt32LE(body.length, 2);
  const signed = Buffer.concat([header(version, 0x81), ...(td15 ? [descriptor] : []), body]);
  return Buffer.concat([signed, signatureData(pki, version, signed, attKey, true)]);
}

function sgxQuote(pki: Pki): Buffer {
  const attKey = p256();
  const body = reportBody({ mrEnclave: Buffer.alloc(32, 0xe1), mrSigner: Buffer.alloc(32, 0xe2), isvProdId: 7, isvSvn: 3, attributes: Buffer.from('05000000000000000700000000000000', 'hex'), reportData: REPORT_DATA });
  const signed = Buffer.concat([header(3, 0), body]);
  return Buffer.concat([signed, signatureData(pki, 3, signed, attKey, false)]);
}

type Level = { sgx: number[]; pce: number; tdx?: number[]; status: string; advisoryIDs?: string[] };

function tcbInfo(id: 'TDX' | 'SGX', levels: Level[], moduleSvns: { isvsvn: number; status: string }[] = [{ isvsvn: 4, status: 'UpToDate' }, { isvsvn: 2, status: 'OutOfDate' }]): object {
  const components = (svns: number[]) => svns.map((svn) => ({ svn }));
  const zero48 = '0'.repeat(96);
  return {
    id,
    version: 3,
    issueDate: ISSUE,
    nextUpdate: NEXT,
    fmspc: FMSPC.toUpperCase(),
    pceId: PCE_ID,
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    ...(id === 'TDX'
      ? {
          tdxModule: { mrsigner: zero48, attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
          tdxModuleIdentities: [
            {
              id: 'TDX_01',
              mrsigner: zero48,
              attributes: '0000000000000000',
              attributesMask: 'FFFFFFFFFFFFFFFF',
              tcbLevels: moduleSvns.map((m) => ({ tcb: { isvsvn: m.isvsvn }, tcbDate: '2024-11-13T00:00:00Z', tcbStatus: m.status, ...(m.status === 'UpToDate' ? {} : { advisoryIDs: ['INTEL-SA-90002'] }) })),
            },
          ],
        }
      : {}),
    tcbLevels: levels.map((l) => ({
      tcb: { sgxtcbcomponents: components(l.sgx), pcesvn: l.pce, ...(l.tdx ? { tdxtcbcomponents: components(l.tdx) } : {}) },
      tcbDate: '2024-11-13T00:00:00Z',
      tcbStatus: l.status,
      ...(l.advisoryIDs ? { advisoryIDs: l.advisoryIDs } : {}),
    })),
  };
}

function qeIdentity(id: 'TD_QE' | 'QE'): object {
  return {
    id,
    version: 2,
    issueDate: ISSUE,
    nextUpdate: NEXT,
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: '11000000000000000000000000000000',
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: QE_MRSIGNER.toString('hex').toUpperCase(),
    isvprodid: id === 'TD_QE' ? 2 : 1,
    tcbLevels: [
      { tcb: { isvsvn: 4 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' },
      { tcb: { isvsvn: 2 }, tcbDate: '2023-08-09T00:00:00Z', tcbStatus: 'OutOfDate', advisoryIDs: ['INTEL-SA-90003'] },
    ],
  };
}

function bundle(pki: Pki, tcb: object, qe: object, crls: { pck: Uint8Array; root: Uint8Array }): string {
  const tcbText = JSON.stringify(tcb);
  const qeText = JSON.stringify(qe);
  const signingChain = pem('CERTIFICATE', pki.signingDer) + pem('CERTIFICATE', pki.rootDer);
  return JSON.stringify(
    {
      pck_crl_issuer_chain: pem('CERTIFICATE', pki.pckCaDer) + pem('CERTIFICATE', pki.rootDer),
      root_ca_crl: Buffer.from(crls.root).toString('hex'),
      pck_crl: Buffer.from(crls.pck).toString('hex'),
      tcb_info_issuer_chain: signingChain,
      tcb_info: tcbText,
      tcb_info_signature: sigP1363(pki.signingKey, Buffer.from(tcbText)).toString('hex'),
      qe_identity_issuer_chain: signingChain,
      qe_identity: qeText,
      qe_identity_signature: sigP1363(pki.signingKey, Buffer.from(qeText)).toString('hex'),
    },
    null,
    2,
  );
}

/** A PCS-style response body `{"<key>":<value>,"signature":"…"}` with the value pretty-printed. */
function pcsResponse(key: string, value: object, signingKey: KeyObject): string {
  const text = JSON.stringify(value, null, 2);
  return `{"${key}": ${text}, "signature": "${sigP1363(signingKey, Buffer.from(text)).toString('hex')}"}\n`;
}

function main(): void {
  mkdirSync(OUT, { recursive: true });
  const pki = makePki();
  const write = (name: string, data: string | Uint8Array) => writeFileSync(join(OUT, name), data);
  const crlDates = { thisUpdate: new Date(ISSUE), nextUpdate: new Date(NEXT), alg: 'ecdsa-sha256' as const };
  const pckCrl = buildCrl({ ...crlDates, issuer: PCK_CA_NAME, signingKey: pki.pckCaKey, revoked: [{ serial: 0x9999, date: new Date('2024-06-01T00:00:00Z') }] });
  const pckCrlRevoking = buildCrl({ ...crlDates, issuer: PCK_CA_NAME, signingKey: pki.pckCaKey, revoked: [{ serial: 0x1234, date: new Date('2024-06-01T00:00:00Z') }] });
  const rootCrl = buildCrl({ ...crlDates, issuer: ROOT_NAME, signingKey: pki.rootKey });
  write('root.der', pki.rootDer);
  write('pck-chain.pem', pem('CERTIFICATE', pki.pckDer) + pem('CERTIFICATE', pki.pckCaDer) + pem('CERTIFICATE', pki.rootDer));
  write('tcb-signing-chain.pem', pem('CERTIFICATE', pki.signingDer) + pem('CERTIFICATE', pki.rootDer));
  write('pck-crl.der', pckCrl);
  write('pck-crl-revoking.der', pckCrlRevoking);
  write('root-crl.der', rootCrl);
  write('tdx-v4.dat', tdxQuote(pki, 4));
  write('tdx-v4-debug.dat', tdxQuote(pki, 4, 0x10000001n));
  write('tdx-v5.dat', tdxQuote(pki, 5));
  write('sgx-v3.dat', sgxQuote(pki));

  const tdxTop = [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
  const tdxOld = [2, 2, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0];
  const tdxSvn = [5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const up: Level = { sgx: tdxTop, pce: 13, tdx: tdxSvn, status: 'UpToDate' };
  const old: Level = { sgx: tdxOld, pce: 11, tdx: [3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], status: 'OutOfDate', advisoryIDs: ['INTEL-SA-90001'] };
  const higher = (l: Level, status = l.status): Level => ({ ...l, sgx: l.sgx.map((s, i) => (i === 7 ? 6 : s)), status });
  const tdQe = qeIdentity('TD_QE');
  const crls = { pck: pckCrl, root: rootCrl };
  write('tdx-collateral.json', bundle(pki, tcbInfo('TDX', [up, old]), tdQe, crls));
  write('tdx-collateral-outofdate.json', bundle(pki, tcbInfo('TDX', [higher(up), old]), tdQe, crls));
  write('tdx-collateral-nomatch.json', bundle(pki, tcbInfo('TDX', [higher(up), higher(old)]), tdQe, crls));
  write('tdx-collateral-revoked.json', bundle(pki, tcbInfo('TDX', [{ ...up, status: 'Revoked', advisoryIDs: ['INTEL-SA-90004'] }, old]), tdQe, crls));
  write('tdx-collateral-module-outofdate.json', bundle(pki, tcbInfo('TDX', [up, old], [{ isvsvn: 5, status: 'UpToDate' }, { isvsvn: 2, status: 'OutOfDate' }]), tdQe, crls));
  write('tdx-collateral-wrong-fmspc.json', bundle(pki, { ...tcbInfo('TDX', [up, old]), fmspc: '00E7A2C00001' }, tdQe, crls));
  write('tdx-tcbinfo-pcs.json', pcsResponse('tcbInfo', tcbInfo('TDX', [up, old]), pki.signingKey));
  write('tdx-qe-identity-pcs.json', pcsResponse('enclaveIdentity', tdQe, pki.signingKey));
  const sgxUp: Level = { sgx: tdxTop, pce: 13, status: 'SWHardeningNeeded', advisoryIDs: ['INTEL-SA-90005'] };
  write('sgx-collateral.json', bundle(pki, tcbInfo('SGX', [sgxUp, { ...old, tdx: undefined }]), qeIdentity('QE'), crls));
}

main();
