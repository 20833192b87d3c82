/**
 * Issuance: the short-lived certificate the steward gives a keep that proved itself, and the
 * extension in it that says what the keep is.
 *
 * The certificate, encoded here (RFC 5280, Internet X.509 PKI Certificate and CRL Profile, May
 * 2008, §4.1):
 *
 *   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
 *     signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *     serialNumber CertificateSerialNumber, signature AlgorithmIdentifier, issuer Name,
 *     validity Validity, subject Name, subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     issuerUniqueID [1] IMPLICIT UniqueIdentifier OPTIONAL,
 *     subjectUniqueID [2] IMPLICIT UniqueIdentifier OPTIONAL,
 *     extensions [3] EXPLICIT Extensions OPTIONAL }
 *   Validity ::= SEQUENCE { notBefore Time, notAfter Time }
 *   Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *     extnValue OCTET STRING }
 *
 * with ecdsa-with-SHA384 (ecdsa-with-SHA256 under a P-256 CA), its parameters absent (RFC 5758
 * §3.2), and the signature as RFC 3279 §2.2.3's Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER,
 * s INTEGER }. The profile:
 *
 *   version 3, serialNumber: 16 random octets, positive; issuer = the CA's subject, byte for byte
 *   validity: notBefore = now − 5 min, notAfter = min(now + lifetime, the CA's notAfter)
 *   extensions:
 *     basicConstraints        (critical)  cA FALSE
 *     keyUsage                (critical)  digitalSignature
 *     extKeyUsage                         id-kp-serverAuth, id-kp-clientAuth
 *     subjectAltName                      dNSName, iPAddress, uniformResourceIdentifier
 *                                         (absent when there are none; critical when the
 *                                         subject is empty, §4.2.1.6)
 *     authorityKeyIdentifier              keyIdentifier = the CA's subjectKeyIdentifier
 *     subjectKeyIdentifier                SHA-1 of the subjectPublicKey bits
 *     tcg-dice-MultiTcbInfo               what the keep is (below)
 *
 * Why by hand rather than with @peculiar/x509's X509CertificateGenerator (which makes the CA):
 * its generic ASN.1 (de)serialisation took ~4 ms a certificate here, over the steward's budget;
 * the structure above is fixed and small, and the tests check it with OpenSSL and @peculiar/x509.
 *
 * What the keep is, in the TCG's standard extension rather than one of ours: tcg-dice-MultiTcbInfo
 * (2.23.133.5.4.5) = SEQUENCE OF DiceTcbInfo, from TCG "DICE Attestation Architecture", Version
 * 1.1, Revision 18 (6 January 2024); the ASN.1 is quoted in ./dice-tcb-info.ts.
 *
 * A keep is two entries. Layer 0, the TEE: vendor (AMD, Intel; enarx-ts for the simulator),
 * model, version = its TCB as text, svn where the TCB has a number, flags (always present, so
 * "not debug" is said, not implied: debug when the TEE runs in debug mode, notSecure when
 * simulated), vendorInfo = UTF-8 JSON {tee, product, tcb, tcbStatus}. Layer 1, the runtime: one
 * FWID, the launch measurement (SHA-384, or SHA-256 for SGX's MRENCLAVE); vendor enarx-ts,
 * model = runtime name, version = release and vendorInfo = JSON {backend} when the measurement
 * is a known release. Non-critical: relying parties that do not know it still use the TLS name.
 */
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe checks for Reflect.getMetadata at load
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { Name } from '@peculiar/x509';
import type { Tee } from '../attestation/appraisal.js';
import { parseCertificate } from '../attestation/pki/certificate.js';
import { bits, bool, explicit, implicit, int, octets, oid, seq, time } from '../attestation/pki/der-writer.js';
import { ValidationError, oneOf, record, string, strictObject, type Check } from '../protocol/validate.js';
import { CaError, CLOCK_SKEW_MS, randomSerialHex, spkiKeyIdentifier, type StewardCa } from './ca.js';
import { decodeMultiTcbInfo, encodeMultiTcbInfo, OID_TCG_DICE_MULTI_TCB_INFO, OperationalFlag, type DiceTcbInfo } from './dice-tcb-info.js';
import { workloadEntry, workloadFromEntry, type KeepWorkload } from './workload-layer.js';

/** What the steward certifies about a keep (from its Appraisal and matched ReferenceValue). */
export interface KeepTcbInfo {
  readonly tee: Tee;
  /** e.g. `Genoa` for SEV-SNP; `TDX`, `SGX`. */
  readonly product: string;
  readonly tcb: Readonly<Record<string, number | string>>;
  readonly tcbStatus: string;
  readonly debug: boolean;
  /** The launch measurement, lower-case hex (48 bytes; 32 for SGX). */
  readonly measurement: string;
  /** The release the measurement is, when the steward's reference values know it. */
  readonly runtime?: { readonly name: string; readonly release: string; readonly backend: string };
  /** The workload it runs (layer 2: workload-layer.ts). */
  readonly workload?: KeepWorkload;
}

/** What {@link issueCertificate} certifies. */
export interface IssueRequest {
  /** The keep's SubjectPublicKeyInfo, DER, whose possession the caller has verified (CSR signature). */
  readonly spki: Uint8Array;
  /** The subject DN. Default: `CN=enarx-ts keep`; '' for none (then a name is required). */
  readonly subject?: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly uris: readonly string[];
  /** How long the certificate is valid from now, in milliseconds (capped by the CA's). */
  readonly lifetimeMs: number;
  /** The current time. Default: the clock. */
  readonly now?: Date;
  readonly keep: KeepTcbInfo;
}

export const DEFAULT_KEEP_SUBJECT = 'CN=enarx-ts keep';

/** How each TEE is named in layer 0; one row per TEE. */
interface TeeProfile {
  readonly vendor: string;
  readonly model: (product: string) => string;
  /** The TCB field that is the layer's version. */
  readonly versionField: string;
  /** The TCB field that is its SVN, when the TEE has a single one. */
  readonly svnField?: string;
  readonly simulated: boolean;
}

const TEE_PROFILES: Readonly<Record<Tee, TeeProfile>> = Object.freeze({
  'sev-snp': { vendor: 'AMD', model: (p: string) => `SEV-SNP ${p}`, versionField: 'reportedTcb', simulated: false },
  tdx: { vendor: 'Intel', model: () => 'TDX', versionField: 'teeTcbSvn', svnField: 'tdxModuleSvn', simulated: false },
  sgx: { vendor: 'Intel', model: () => 'SGX', versionField: 'cpuSvn', svnField: 'pceSvn', simulated: false },
  sim: { vendor: 'enarx-ts', model: () => 'SEV-SNP (simulated)', versionField: 'reportedTcb', simulated: true },
});

/** The measurement digests, one row per length (NIST CSOR hashAlgs: id-sha384, id-sha256). */
const FWID_HASHES = Object.freeze([
  { oid: '2.16.840.1.101.3.4.2.2', bytes: 48 },
  { oid: '2.16.840.1.101.3.4.2.1', bytes: 32 },
]);

const RUNTIME_VENDOR = 'enarx-ts';
/** The largest certificate {@link parseKeepTcbInfo} reads. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;
const TEXT = new TextEncoder();
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A TCB record value: what Appraisal.tcb holds. */
const tcbValue: Check<number | string> = (v, path) => {
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256)) return v;
  throw new ValidationError(path, 'expected a number or a string of at most 256 characters');
};
/** Layer 0's vendorInfo, the JSON {tee, product, tcb, tcbStatus}. */
const checkTeeInfo = strictObject({
  tee: oneOf<Tee>('sev-snp', 'tdx', 'sgx', 'sim'),
  product: string({ min: 1, max: 200 }),
  tcb: record(string({ min: 1, max: 64 }), tcbValue, 64),
  tcbStatus: string({ min: 1, max: 64 }),
});
const label = string({ min: 1, max: 200 });
/** Layer 1's vendorInfo, the JSON {backend}. */
const checkRuntimeVendorInfo = strictObject({ backend: label });
const checkRuntime = strictObject({ name: label, release: label, backend: label });

/** `value` checked by `check`. @throws TypeError naming the bad field */
function checked<T>(check: Check<T>, value: unknown, what: string): T {
  try {
    return check(value, what);
  } catch (err) {
    if (err instanceof ValidationError) throw new TypeError(err.message);
    throw err;
  }
}

// RFC 1034 §3.5 preferred name syntax (letters, digits, hyphens; labels ≤ 63 octets), with an
// optional leftmost wildcard label (RFC 6125 §6.4.3).
const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
// uniformResourceIdentifier is an IA5String: printable ASCII, no spaces.
const URI_TEXT = /^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$/i;

function dnsName(name: unknown): string {
  if (typeof name !== 'string' || name.length > 253 || !DNS_NAME.test(name) || isIP(name) !== 0) throw new TypeError(`not a DNS name: ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

/** The iPAddress octets of an IPv4 or IPv6 address (RFC 5280 §4.2.1.6: 4 or 16 octets). */
function ipAddress(address: unknown): Uint8Array {
  const family = typeof address === 'string' && !address.includes('%') ? isIP(address) : 0;
  if (typeof address !== 'string' || family === 0) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  if (family === 4) return Uint8Array.from(address.split('.').map(Number));
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address); // an embedded IPv4 tail: ::ffff:192.0.2.1
  const tail = v4 === null ? [] : v4[2]!.split('.').map(Number);
  const head = v4 === null ? address : v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
  const groups = (text: string): number[] => (text === '' ? [] : text.split(':').map((h) => parseInt(h, 16)));
  const [left = '', right] = head.split('::');
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = right === undefined ? l : [...l, ...new Array<number>(8 - tail.length / 2 - l.length - r.length).fill(0), ...r];
  return Uint8Array.from([...all.flatMap((g) => [g >> 8, g & 0xff]), ...tail]);
}

function uri(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048 || !URI_TEXT.test(value) || !URL.canParse(value)) throw new TypeError(`not a URI: ${JSON.stringify(value)}`);
  return value; // as given: SPIFFE-style IDs are compared as strings
}

/** The hex of a measurement as bytes, with its FWID hash row. @throws TypeError */
function measurementDigest(hex: string): { oid: string; digest: Uint8Array } {
  const row = FWID_HASHES.find((h) => hex.length === h.bytes * 2);
  if (row === undefined || !/^[0-9a-f]*$/.test(hex)) throw new TypeError(`measurement: expected 64 or 96 lower-case hex digits, got ${JSON.stringify(hex)}`);
  return { oid: row.oid, digest: new Uint8Array(Buffer.from(hex, 'hex')) };
}

/** The two DiceTcbInfo entries that describe `keep` (see the file header). @throws TypeError */
function keepTcbInfoEntries(keep: KeepTcbInfo): DiceTcbInfo[] {
  const info = checked(checkTeeInfo, { tee: keep.tee, product: keep.product, tcb: keep.tcb, tcbStatus: keep.tcbStatus }, 'keep');
  const profile = TEE_PROFILES[info.tee];
  const version = info.tcb[profile.versionField];
  const svn = profile.svnField === undefined ? undefined : info.tcb[profile.svnField];
  const flags: OperationalFlag[] = [];
  if (profile.simulated) flags.push(OperationalFlag.notSecure);
  if (keep.debug) flags.push(OperationalFlag.debug);
  const tee: DiceTcbInfo = {
    vendor: profile.vendor,
    model: profile.model(info.product),
    ...(version === undefined ? {} : { version: String(version) }),
    ...(typeof svn === 'number' && Number.isSafeInteger(svn) && svn >= 0 ? { svn } : {}),
    layer: 0,
    flags,
    vendorInfo: TEXT.encode(JSON.stringify(info)),
  };
  const { oid, digest } = measurementDigest(keep.measurement);
  const r = keep.runtime;
  const runtime = r === undefined ? undefined : checked(checkRuntime, { name: r.name, release: r.release, backend: r.backend }, 'keep.runtime');
  const measured: DiceTcbInfo = {
    ...(runtime === undefined ? {} : { vendor: RUNTIME_VENDOR, model: runtime.name, version: runtime.release }),
    layer: 1,
    fwids: [{ hashAlg: oid, digest }],
    ...(runtime === undefined ? {} : { vendorInfo: TEXT.encode(JSON.stringify({ backend: runtime.backend })) }),
  };
  return keep.workload === undefined ? [tee, measured] : [tee, measured, workloadEntry(keep.workload)];
}

/** The validity window (whole seconds, as DER Time has them). @throws TypeError, CaError ERR_CA_EXPIRED */
function validity(ca: StewardCa, lifetimeMs: number, nowDate: Date | undefined): { notBefore: Date; notAfter: Date } {
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) throw new TypeError(`lifetimeMs: expected a positive integer, got ${String(lifetimeMs)}`);
  const now = (nowDate ?? new Date()).getTime();
  if (!Number.isFinite(now)) throw new TypeError('now: an invalid Date');
  const seconds = (ms: number): number => Math.floor(ms / 1000) * 1000;
  const notAfter = Math.min(seconds(now + lifetimeMs), seconds(ca.notAfter.getTime()));
  if (notAfter <= now) throw new CaError('ERR_CA_EXPIRED', `the CA certificate expired at ${ca.notAfter.toISOString()}`);
  return { notBefore: new Date(seconds(now - CLOCK_SKEW_MS)), notAfter: new Date(notAfter) };
}

/** The subjectAltName GeneralNames of the request, each once, or undefined for none. @throws TypeError */
function altNames(req: IssueRequest): Uint8Array | undefined {
  // GeneralName ::= CHOICE { ..., dNSName [2] IA5String, ...,
  //   uniformResourceIdentifier [6] IA5String, iPAddress [7] OCTET STRING, ... }
  const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
  const ips = new Map(req.ipAddresses.map(ipAddress).map((b) => [Buffer.from(b).toString('hex'), b]));
  const names = [
    ...[...new Set(req.dnsNames.map(dnsName))].map((d) => implicit(2, ascii(d))),
    ...[...ips.values()].map((b) => implicit(7, b)),
    ...[...new Set(req.uris.map(uri))].map((u) => implicit(6, ascii(u))),
  ];
  return names.length === 0 ? undefined : seq(...names);
}

/** The subject Name, DER. @throws TypeError */
function subjectName(subject: string): Uint8Array {
  try {
    return new Uint8Array(new Name(subject).toArrayBuffer());
  } catch (err) {
    throw new TypeError(`subject: not a distinguished name: ${JSON.stringify(subject)}`, { cause: err });
  }
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value)); // DER omits a DEFAULT
}

/** A big-endian unsigned integer's octets as a bigint. */
function unsigned(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

/**
 * Issues a keep's certificate under `ca` (see the file header); returns its DER.
 * @throws TypeError when the key, a name, the lifetime or the keep's TCB info is malformed.
 * @throws CaError ERR_CA_EXPIRED when the CA has expired.
 */
export async function issueCertificate(ca: StewardCa, req: IssueRequest): Promise<Uint8Array> {
  const spki = new Uint8Array(req.spki); // a copy: what is checked is what is certified
  // Its structure only (SEQUENCE { AlgorithmIdentifier, BIT STRING }): the key itself was
  // decoded and proved by the caller's check of the CSR signature; decoding it again (point
  // validation) cost a fifth of an issuance.
  const keyIdentifier = spkiKeyIdentifier(spki);
  const { notBefore, notAfter } = validity(ca, req.lifetimeMs, req.now);
  const san = altNames(req);
  const subject = req.subject ?? DEFAULT_KEEP_SUBJECT;
  if (subject === '' && san === undefined) throw new TypeError('a certificate with an empty subject needs a subjectAltName');
  const extensions = [
    // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
    extension('2.5.29.19', true, seq()),
    // KeyUsage ::= BIT STRING { digitalSignature (0), ... }
    extension('2.5.29.15', true, bits(Uint8Array.of(0x80), 7)),
    // ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId: id-kp-serverAuth, id-kp-clientAuth
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
    // SubjectAltName ::= GeneralNames; GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
    ...(san === undefined ? [] : [extension('2.5.29.17', subject === '', san)]),
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL, ... }
    extension('2.5.29.35', false, seq(implicit(0, Buffer.from(ca.keyIdentifier, 'hex')))),
    // SubjectKeyIdentifier ::= KeyIdentifier; KeyIdentifier ::= OCTET STRING
    extension('2.5.29.14', false, octets(Buffer.from(keyIdentifier, 'hex'))),
    extension(OID_TCG_DICE_MULTI_TCB_INFO, false, encodeMultiTcbInfo(keepTcbInfoEntries(req.keep))),
  ];
  const algorithm = seq(oid(ca.algorithm.signatureOid));
  const tbs = seq(
    explicit(0, int(2)), // v3
    int(BigInt(`0x${randomSerialHex()}`)),
    algorithm,
    ca.subjectName,
    seq(time(notBefore), time(notAfter)),
    subjectName(subject),
    spki,
    explicit(3, seq(...extensions)),
  );
  // WebCrypto signs off the main thread and answers r || s (IEEE P1363); X.509 wants DER.
  const rs = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: ca.algorithm.hash }, ca.privateKey, tbs));
  const half = rs.length / 2;
  return seq(tbs, algorithm, bits(seq(int(unsigned(rs.subarray(0, half))), int(unsigned(rs.subarray(half))))));
}

function bad(what: string): never {
  throw new CaError('ERR_CA_EXTENSION', `not a keep's TCB info: ${what}`);
}

/** UTF-8 JSON checked by `check`. @throws CaError ERR_CA_EXTENSION */
function vendorJson<T>(check: Check<T>, bytes: Uint8Array, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    return bad(`${what} is not UTF-8 JSON`);
  }
  try {
    return check(value, what);
  } catch (err) {
    if (err instanceof ValidationError) bad(err.message);
    throw err;
  }
}

/** The keep the two entries describe (the inverse of {@link keepTcbInfoEntries}). @throws CaError ERR_CA_EXTENSION */
function keepFromEntries(entries: readonly DiceTcbInfo[]): KeepTcbInfo {
  const tee = entries.find((e) => e.layer === 0);
  const measured = entries.find((e) => e.layer === 1);
  if (tee?.vendorInfo === undefined || measured === undefined) bad('expected a TEE entry (layer 0, with vendorInfo) and a runtime entry (layer 1)');
  const info = vendorJson(checkTeeInfo, tee.vendorInfo, 'layer 0 vendorInfo');
  const profile = TEE_PROFILES[info.tee];
  if (tee.vendor !== profile.vendor || tee.model !== profile.model(info.product)) bad('layer 0 vendor and model disagree with its vendorInfo');
  const flags = tee.flags ?? bad('layer 0 has no flags');
  if (flags.includes(OperationalFlag.notSecure) !== profile.simulated) bad('notSecure must be set for the simulator, and only for it');
  const fwid = measured.fwids?.length === 1 ? measured.fwids[0]! : bad('layer 1: expected one FWID');
  if (!FWID_HASHES.some((h) => h.oid === fwid.hashAlg && h.bytes === fwid.digest.length)) bad('layer 1: expected a SHA-384 or SHA-256 FWID');
  let runtime: KeepTcbInfo['runtime'];
  if (measured.model !== undefined || measured.vendorInfo !== undefined) {
    if (measured.vendor !== RUNTIME_VENDOR || measured.version === undefined || measured.vendorInfo === undefined) bad('layer 1: a named runtime has vendor, model, version and vendorInfo');
    const { backend } = vendorJson(checkRuntimeVendorInfo, measured.vendorInfo, 'layer 1 vendorInfo');
    runtime = Object.freeze({ name: measured.model ?? bad('layer 1: no model'), release: measured.version, backend });
  }
  return Object.freeze({
    tee: info.tee,
    product: info.product,
    tcb: Object.freeze({ ...info.tcb }),
    tcbStatus: info.tcbStatus,
    debug: flags.includes(OperationalFlag.debug),
    measurement: Buffer.from(fwid.digest).toString('hex'),
    ...(runtime === undefined ? {} : { runtime }),
    ...workloadOf(entries),
  });
}

function workloadOf(entries: readonly DiceTcbInfo[]): { workload?: KeepWorkload } {
  const w = workloadFromEntry(entries.find((e) => e.layer === 2));
  return w === undefined ? {} : { workload: w };
}

/**
 * What a certificate says the keep is: its tcg-dice-MultiTcbInfo extension read back, or
 * undefined when it has none. Total on hostile input: it returns or throws CaError only.
 * @throws CaError ERR_CA_EXTENSION when the certificate does not parse, or the extension is
 *   malformed or does not describe a keep.
 */
export function parseKeepTcbInfo(certDer: Uint8Array): KeepTcbInfo | undefined {
  try {
    if (!(certDer instanceof Uint8Array) || certDer.length > MAX_CERTIFICATE_BYTES) bad(`expected a DER certificate of at most ${MAX_CERTIFICATE_BYTES} bytes`);
    const value = parseCertificate(certDer).extensionValue(OID_TCG_DICE_MULTI_TCB_INFO);
    return value === undefined ? undefined : keepFromEntries(decodeMultiTcbInfo(value));
  } catch (err) {
    if (err instanceof CaError && err.code === 'ERR_CA_EXTENSION') throw err;
    throw new CaError('ERR_CA_EXTENSION', `cannot read the keep's TCB info: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
