/**
 * Self-made TDX quotes (v4, TD 1.0 body) for any report data, signed through a fresh test PKI
 * (root → PCK CA → PCK with the SGX extension), in the Intel layout — the same construction as
 * test/vectors/dcap/generate.ts, packaged so that a fake tdx_guest provider can answer any
 * inblob. Verify with `{ trustRoots: [tdxTestPki().rootDer], allowNoCollateral: true, now: TDX_NOW }`.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { int, octets, oid, seq, tlv } from '../../attestation/support/der-writer.js';
import { basicConstraints, buildCertificate, keyUsage } from '../../attestation/support/x509-builder.js';

const SGX_EXT = '1.2.840.113741.1.13.1';
const O: readonly [string, string][] = [['O', 'enarx-ts backend test'], ['C', 'US']];
const ROOT_NAME: [string, string][] = [['CN', 'Intel SGX Root CA'], ...O];
const PCK_CA_NAME: [string, string][] = [['CN', 'Intel SGX PCK Platform CA'], ...O];
const PCK_NAME: [string, string][] = [['CN', 'Intel SGX PCK Certificate'], ...O];
const SGX_COMPONENTS = [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
const PCE_SVN = 13;
const INTEL_QE_VENDOR_ID = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

/** A time inside the test PKI's validity. */
export const TDX_NOW = new Date('2025-06-01T00:00:00Z');

const p256 = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sigP1363 = (key: KeyObject, data: Uint8Array): Buffer => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

function pem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function sgxExtension(): Uint8Array {
  const member = (arc: string, value: Uint8Array): Uint8Array => seq(oid(`${SGX_EXT}.${arc}`), value);
  const tcb = seq(
    ...SGX_COMPONENTS.map((svn, i) => member(`2.${i + 1}`, int(svn))),
    member('2.17', int(PCE_SVN)),
    member('2.18', octets(Uint8Array.from(SGX_COMPONENTS))),
  );
  return seq(
    member('1', octets(Buffer.alloc(16, 0x5a))),
    member('2', tcb),
    member('3', octets(Buffer.from('0000', 'hex'))),
    member('4', octets(Buffer.from('00e7a2c00000', 'hex'))),
    member('5', tlv(0x0a, Uint8Array.of(0))),
  );
}

interface Pki {
  readonly rootDer: Uint8Array;
  readonly chainPem: string;
  readonly pckKey: KeyObject;
}

let pki: Pki | undefined;

/** The test PKI (made once per process). */
export function tdxTestPki(): Pki {
  if (pki !== undefined) return pki;
  const root = p256();
  const pckCa = p256();
  const pck = p256();
  const common = { notBefore: new Date('2024-01-01Z'), notAfter: new Date('2034-01-01Z'), alg: 'ecdsa-sha256' as const };
  const rootDer = buildCertificate({ ...common, subject: ROOT_NAME, serial: 1, publicKey: root.publicKey, signingKey: root.privateKey, extensions: [basicConstraints(true), keyUsage([5, 6])] });
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
  pki = { rootDer, chainPem: pem(pckDer) + pem(pckCaDer) + pem(rootDer), pckKey: pck.privateKey };
  return pki;
}

const u16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** A signed TDX quote v4 whose REPORTDATA is `reportData` (64 bytes). */
export function tdxQuote(reportData: Uint8Array): Uint8Array {
  const { chainPem, pckKey } = tdxTestPki();
  const header = Buffer.alloc(48);
  header.writeUInt16LE(4, 0); // version
  header.writeUInt16LE(2, 2); // ECDSA P-256
  header.writeUInt32LE(0x81, 4); // TDX
  INTEL_QE_VENDOR_ID.copy(header, 12);
  const body = Buffer.alloc(584);
  Buffer.from([5, 0, 2]).copy(body, 0); // TEE_TCB_SVN
  body.writeBigUInt64LE(0x10000000n, 0x78); // TD_ATTRIBUTES: SEPT_VE_DISABLE
  body.writeBigUInt64LE(0xe7n, 0x80); // XFAM
  Buffer.alloc(48, 0x7d).copy(body, 0x88); // MRTD
  Buffer.from(reportData).copy(body, 0x208);
  const signed = Buffer.concat([header, body]);

  const attKey = p256();
  const attPub = rawPublicKey(attKey.publicKey);
  const authData = Buffer.alloc(32, 0xa5);
  const qeReport = Buffer.alloc(384);
  Buffer.from(SGX_COMPONENTS).copy(qeReport, 0);
  Buffer.from('11000000000000000700000000000000', 'hex').copy(qeReport, 48);
  Buffer.alloc(32, 0xd1).copy(qeReport, 128); // MRSIGNER
  qeReport.writeUInt16LE(2, 256); // ISVPRODID: TD_QE
  qeReport.writeUInt16LE(4, 258); // ISVSVN
  createHash('sha256').update(attPub).update(authData).digest().copy(qeReport, 320);
  const chain = Buffer.from(chainPem + '\0');
  const qeSection = Buffer.concat([qeReport, sigP1363(pckKey, qeReport), u16(authData.length), authData, u16(5), u32(chain.length), chain]);
  const data = Buffer.concat([sigP1363(attKey.privateKey, signed), attPub, u16(6), u32(qeSection.length), qeSection]);
  return new Uint8Array(Buffer.concat([signed, u32(data.length), data]));
}
