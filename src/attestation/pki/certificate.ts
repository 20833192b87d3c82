/**
 * X.509 certificates (RFC 5280) as immutable objects, parsed strictly from DER or PEM.
 *
 * ```asn1
 * Certificate  ::=  SEQUENCE  { tbsCertificate TBSCertificate, signatureAlgorithm AlgorithmIdentifier,
 *                               signatureValue BIT STRING }
 * TBSCertificate  ::=  SEQUENCE  { version [0] EXPLICIT Version DEFAULT v1, serialNumber INTEGER,
 *     signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL,
 *     subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT Extensions OPTIONAL }
 * Extension  ::=  SEQUENCE  { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * ```
 *
 * The structure is walked with our own DER reader (so the signed TBS bytes are exactly the bytes
 * received); Node's X509Certificate (OpenSSL) is used as a second parser and for the public key.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { AttestationError } from '../errors.js';
import { resolveSignatureAlgorithm, verifySignature, type SignatureAlgorithm } from './algorithms.js';
import { DerTag, children, contentOf, decodeOid, encodingOf, expectTlv, readTlv, unsignedInteger, type Tlv } from './der.js';
import { serialHex, sha256Hex, toHex } from './fingerprint.js';
import { derObjects, encodePem, type PkiInput } from './pem.js';
import { parseTime } from './time.js';

/** The names of the keyUsage bits (RFC 5280 §4.2.1.3), in bit order. */
export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** One keyUsage bit name. */
export type KeyUsage = (typeof KEY_USAGE_NAMES)[number];

/** The basicConstraints extension (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength?: number;
}

/** An extension's identity; its value is read with {@link Certificate.extensionValue}. */
export interface ExtensionInfo {
  readonly oid: string;
  readonly critical: boolean;
}

export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_KEY_USAGE = '2.5.29.15';

interface Parts {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly algorithmsAgree: boolean;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly version: number;
  readonly serialNumber: string;
  readonly issuerName: string;
  readonly subjectName: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly extensions: ReadonlyMap<string, { critical: boolean; value: Uint8Array }>;
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
}

/** An immutable, parsed X.509 certificate. Construct with {@link parseCertificate}. */
export class Certificate {
  /** SHA-256 of the DER, lower-case hex: the certificate's identity for pinning. */
  readonly sha256: string;
  /** The subject as readable `K=V, ...` text (OpenSSL order). */
  readonly subject: string;
  /** The issuer as readable `K=V, ...` text. */
  readonly issuer: string;
  /** The DER of the subject Name, hex (names are matched on these). */
  readonly subjectName: string;
  /** The DER of the issuer Name, hex. */
  readonly issuerName: string;
  /** The serial number as minimal lower-case hex (`0` for AMD VCEKs). */
  readonly serialNumber: string;
  /** X.509 version: 1, 2 or 3. */
  readonly version: number;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly publicKey: KeyObject;
  readonly basicConstraints: BasicConstraints | undefined;
  readonly keyUsage: ReadonlySet<KeyUsage> | undefined;
  readonly extensions: readonly ExtensionInfo[];
  readonly #der: Uint8Array;
  readonly #tbs: Uint8Array;
  readonly #signature: Uint8Array;
  readonly #algorithmsAgree: boolean;
  readonly #extensionValues: ReadonlyMap<string, Uint8Array>;

  /** @internal use {@link parseCertificate}. */
  constructor(parts: Parts) {
    this.#der = parts.der;
    this.#tbs = parts.tbs;
    this.#signature = parts.signature;
    this.#algorithmsAgree = parts.algorithmsAgree;
    this.sha256 = sha256Hex(parts.der);
    this.subject = readableName(parts.x509.subject);
    this.issuer = readableName(parts.x509.issuer);
    this.subjectName = parts.subjectName;
    this.issuerName = parts.issuerName;
    this.serialNumber = parts.serialNumber;
    this.version = parts.version;
    this.notBeforeMs = parts.notBeforeMs;
    this.notAfterMs = parts.notAfterMs;
    this.notBefore = new Date(parts.notBeforeMs).toISOString();
    this.notAfter = new Date(parts.notAfterMs).toISOString();
    this.signatureAlgorithm = parts.signatureAlgorithm;
    this.publicKey = parts.publicKey;
    const values = new Map<string, Uint8Array>();
    const infos: ExtensionInfo[] = [];
    for (const [oid, e] of parts.extensions) {
      values.set(oid, e.value);
      infos.push(Object.freeze({ oid, critical: e.critical }));
    }
    this.#extensionValues = values;
    this.extensions = Object.freeze(infos);
    this.basicConstraints = decodeBasicConstraints(values.get(OID_BASIC_CONSTRAINTS));
    this.keyUsage = decodeKeyUsage(values.get(OID_KEY_USAGE));
    Object.freeze(this);
  }

  /** True when subject and issuer names are equal (a root or a self-issued key rollover cert). */
  get selfIssued(): boolean {
    return this.subjectName === this.issuerName;
  }

  /** The common name of the subject, or '' when it has none. */
  get commonName(): string {
    return /(?:^|, )CN=([^,]*)/.exec(this.subject)?.[1] ?? '';
  }

  /** A copy of the DER encoding. */
  toDer(): Uint8Array {
    return this.#der.slice();
  }

  /** The PEM encoding. */
  toPem(): string {
    return encodePem('CERTIFICATE', this.#der);
  }

  /** A copy of the extnValue contents of extension `oid`, or undefined when absent. */
  extensionValue(oid: string): Uint8Array | undefined {
    return this.#extensionValues.get(oid)?.slice();
  }

  /** True when this certificate's signature verifies with `issuerKey`. Never throws. */
  isSignedBy(issuerKey: KeyObject): boolean {
    if (!this.#algorithmsAgree) return false;
    return verifySignature(this.signatureAlgorithm, issuerKey, this.#tbs, this.#signature);
  }
}

function readableName(openssl: string): string {
  return openssl.split('\n').join(', ');
}

function bad(what: string, cause?: unknown): never {
  throw new AttestationError('ERR_FORMAT', `malformed certificate: ${what}`, cause === undefined ? undefined : { cause });
}

function decodeBasicConstraints(value: Uint8Array | undefined): BasicConstraints | undefined {
  if (value === undefined) return undefined;
  const seq = expectTlv(value, 0, DerTag.SEQUENCE, 'basicConstraints');
  if (seq.end !== value.length) bad('trailing bytes in basicConstraints');
  let ca = false;
  let pathLength: number | undefined;
  for (const f of children(value, seq)) {
    const c = contentOf(value, f);
    if (f.tag === DerTag.BOOLEAN && pathLength === undefined && c.length === 1) ca = c[0] === 0xff;
    else if (f.tag === DerTag.INTEGER && pathLength === undefined) pathLength = Number(unsignedInteger(c, 'pathLenConstraint'));
    else bad('basicConstraints');
  }
  return Object.freeze(pathLength === undefined ? { ca } : { ca, pathLength });
}

function decodeKeyUsage(value: Uint8Array | undefined): ReadonlySet<KeyUsage> | undefined {
  if (value === undefined) return undefined;
  const bits = expectTlv(value, 0, DerTag.BIT_STRING, 'keyUsage');
  if (bits.end !== value.length || bits.end - bits.contentStart < 1) bad('keyUsage');
  const out = new Set<KeyUsage>();
  for (let i = 0; i < KEY_USAGE_NAMES.length; i++) {
    const byte = value[bits.contentStart + 1 + (i >> 3)];
    if (byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0) out.add(KEY_USAGE_NAMES[i]!);
  }
  return out;
}

function bitStringBytes(bytes: Uint8Array, tlv: Tlv, what: string): Uint8Array {
  if (tlv.tag !== DerTag.BIT_STRING || tlv.end - tlv.contentStart < 1 || bytes[tlv.contentStart] !== 0) bad(what);
  return bytes.subarray(tlv.contentStart + 1, tlv.end);
}

function parseExtensions(bytes: Uint8Array, wrapper: Tlv): Map<string, { critical: boolean; value: Uint8Array }> {
  const out = new Map<string, { critical: boolean; value: Uint8Array }>();
  const seq = readTlv(bytes, wrapper.contentStart, wrapper.end);
  if (seq.tag !== DerTag.SEQUENCE || seq.end !== wrapper.end) bad('extensions');
  for (const ext of children(bytes, seq)) {
    if (ext.tag !== DerTag.SEQUENCE) bad('extension');
    const f = children(bytes, ext);
    const oidTlv = f[0];
    const last = f[f.length - 1];
    if (oidTlv?.tag !== DerTag.OID || last?.tag !== DerTag.OCTET_STRING || f.length < 2 || f.length > 3) bad('extension');
    let critical = false;
    if (f.length === 3) {
      const b = contentOf(bytes, f[1]!);
      if (f[1]!.tag !== DerTag.BOOLEAN || b.length !== 1) bad('extension critical flag');
      critical = b[0] === 0xff;
    }
    const oid = decodeOid(contentOf(bytes, oidTlv));
    if (out.has(oid)) bad(`duplicate extension ${oid}`);
    out.set(oid, { critical, value: contentOf(bytes, last).slice() });
  }
  return out;
}

/**
 * Parses one DER certificate (the bytes are copied).
 * @throws AttestationError ERR_FORMAT when it is not a well-formed X.509 certificate;
 *   ERR_CHAIN when its signature algorithm is not supported.
 */
export function parseCertificate(input: Uint8Array): Certificate {
  // A service sees the same few platform certificates (VCEK, ASK, ARK) in every request: a parsed
  // certificate is immutable, so the one parsed from the same bytes before is the same answer.
  const key = createHash('sha256').update(input).digest('base64');
  const known = PARSED.get(key);
  if (known !== undefined) return known;
  const cert = parseCertificateBytes(input);
  if (PARSED.size >= PARSED_LIMIT) PARSED.delete(PARSED.keys().next().value!);
  PARSED.set(key, cert);
  return cert;
}

/** Parsed certificates by the SHA-256 of their DER, oldest first. */
const PARSED = new Map<string, Certificate>();
const PARSED_LIMIT = 256;

function parseCertificateBytes(input: Uint8Array): Certificate {
  const der = new Uint8Array(input); // a copy: Buffer#slice would share memory
  const outer = expectTlv(der, 0, DerTag.SEQUENCE, 'Certificate');
  if (outer.end !== der.length) bad('trailing bytes');
  const [tbsTlv, algTlv, sigTlv, ...rest] = children(der, outer);
  if (tbsTlv?.tag !== DerTag.SEQUENCE || algTlv?.tag !== DerTag.SEQUENCE || sigTlv === undefined || rest.length > 0) {
    bad('top-level structure');
  }
  const signature = bitStringBytes(der, sigTlv, 'signatureValue').slice();
  const fields = children(der, tbsTlv);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const v = expectTlv(der, fields[0].contentStart, DerTag.INTEGER, 'version', fields[0].end);
    version = Number(unsignedInteger(contentOf(der, v), 'version')) + 1;
    if (version < 2 || version > 3) bad(`version ${version}`);
    i++;
  }
  const [serialTlv, innerAlg, issuerTlv, validityTlv, subjectTlv, spkiTlv] = fields.slice(i, i + 6);
  if (
    serialTlv?.tag !== DerTag.INTEGER ||
    innerAlg?.tag !== DerTag.SEQUENCE ||
    issuerTlv?.tag !== DerTag.SEQUENCE ||
    validityTlv?.tag !== DerTag.SEQUENCE ||
    subjectTlv?.tag !== DerTag.SEQUENCE ||
    spkiTlv?.tag !== DerTag.SEQUENCE
  ) {
    bad('TBSCertificate fields');
  }
  // RFC 5280 requires the signed copy of the algorithm to equal the outer one. A mismatch is a
  // tampered or broken certificate: it still parses, but its signature never verifies.
  const algorithmsAgree = Buffer.from(encodingOf(der, innerAlg)).equals(encodingOf(der, algTlv));
  const serial = contentOf(der, serialTlv);
  if (serial.length === 0 || serial.length > 20 + 1) bad('serial number length');
  let extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const f of fields.slice(i + 6)) {
    if (f.tag === 0x81 || f.tag === 0x82) continue; // unique identifiers: allowed, unused
    if (f.tag === 0xa3 && version === 3 && extensions.size === 0) extensions = parseExtensions(der, f);
    else bad('unexpected TBSCertificate field');
  }
  const validity = children(der, validityTlv);
  if (validity.length !== 2) bad('validity');
  const notBeforeMs = parseTime(der, validity[0]!, 'notBefore');
  const notAfterMs = parseTime(der, validity[1]!, 'notAfter');
  let x509: X509Certificate;
  let publicKey: KeyObject;
  try {
    x509 = new X509Certificate(der);
    publicKey = x509.publicKey; // throws on an undecodable key (e.g. a point off the curve)
  } catch (err) {
    bad('rejected by the X.509 parser (structure or public key)', err);
  }
  return new Certificate({
    der,
    tbs: encodingOf(der, tbsTlv).slice(),
    signature,
    algorithmsAgree,
    signatureAlgorithm: resolveSignatureAlgorithm(der, algTlv),
    version,
    serialNumber: serialHex(serial),
    issuerName: toHex(encodingOf(der, issuerTlv)),
    subjectName: toHex(encodingOf(der, subjectTlv)),
    notBeforeMs,
    notAfterMs,
    extensions,
    x509,
    publicKey,
  });
}

/**
 * Parses every certificate in `input`: DER bytes (one certificate), or PEM text/bytes with one
 * or more `CERTIFICATE` blocks, in order. @throws AttestationError ERR_FORMAT
 */
export function parseCertificates(input: PkiInput): Certificate[] {
  return derObjects(input, ['CERTIFICATE']).map(parseCertificate);
}
