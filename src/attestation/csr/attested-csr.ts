/**
 * Attested certification requests: a PKCS #10 CSR (RFC 2986) for a keep's key, carrying the TEE
 * evidence that vouches for that key, in one of two forms read by one parser.
 *
 * - `ietf`: draft-ietf-lamps-csr-attestation-28. An `id-aa-attestation` attribute holds an
 *   AttestationBundle (attestation-bundle.ts); the report data binds the key as
 *   `attestedKeyReportData(spki)` (attestation/binding.ts).
 * - `enarx`: Enarx's steward (enarx/steward at bb0ea54, crates/server/src/lib.rs). The evidence is
 *   an extension requested in `extensionRequest` (OIDs 1.3.6.1.4.1.58270.1.{1,2,3}: kvm, sgx,
 *   snp); the report data binds the key as `enarxStewardReportData(spki)`. Enarx's steward also
 *   requires the CSR key to be of the VCEK's type, so for SEV-SNP a P-384 key, and refuses any
 *   attribute but extensionRequest and any extension but its own: a CSR meant for it asks for no
 *   subjectAltName. Only the VCEK travels in this form (Enarx pins AMD's chain).
 *
 * Checking the binding is the steward's job, not this codec's.
 *
 * ```asn1
 * -- RFC 2986 §4 (PKCS #10 v1.7)
 * CertificationRequest ::= SEQUENCE {
 *    certificationRequestInfo CertificationRequestInfo,
 *    signatureAlgorithm AlgorithmIdentifier{{ SignatureAlgorithms }},
 *    signature          BIT STRING }
 * CertificationRequestInfo ::= SEQUENCE {
 *    version       INTEGER { v1(0) } (v1,...),
 *    subject       Name,
 *    subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *    attributes    [0] Attributes{{ CRIAttributes }} }
 * Attributes { ATTRIBUTE:IOSet } ::= SET OF Attribute{{ IOSet }}
 * Attribute { ATTRIBUTE:IOSet } ::= SEQUENCE {
 *    type   ATTRIBUTE.&id({IOSet}),
 *    values SET SIZE(1..MAX) OF ATTRIBUTE.&Type({IOSet}{@type}) }
 * -- draft-ietf-lamps-csr-attestation-28 §4.3: at most one such attribute, with exactly one value
 * attr-attestation ATTRIBUTE ::= { TYPE AttestationBundle COUNTS MAX 1 IDENTIFIED BY id-aa-attestation }
 * -- RFC 2985 §5.4.2 (PKCS #9 v2.0)
 * extensionRequest ATTRIBUTE ::= { WITH SYNTAX ExtensionRequest SINGLE VALUE TRUE ID pkcs-9-at-extensionRequest }
 * ExtensionRequest ::= Extensions
 * -- RFC 5280 §4.1, §4.2.1.6
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 * GeneralName ::= CHOICE { ..., dNSName [2] IA5String, uniformResourceIdentifier [6] IA5String,
 *                          iPAddress [7] OCTET STRING, ... }
 * ```
 *
 * Parsing uses our strict DER reader over a copy of the bytes, so what is verified is what is
 * read. Building uses @peculiar/x509 over WebCrypto, loaded with the first CSR built
 * (pki/x509-library.ts), never at import.
 */
import { createPublicKey, verify, webcrypto, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509Types from '@peculiar/x509';
import { DerTag, children, contentOf, encodingOf, type Tlv } from '../pki/der.js';
import { x509Library, type X509 } from '../pki/x509-library.js';
import { CsrErrorCode, decodeAttestationBundle, decodeEnarxEvidence, encodeAttestationBundle, encodeEnarxEvidence } from './attestation-bundle.js';
import { fail, fieldsOf, itemsOf, oidAt, readHostile, wholeTlv } from './attestation-bundle.js';
import { oid as encodeOid, tlv } from '../pki/der-writer.js';
import type { DecodedEvidence, EnarxCrl } from './attestation-bundle.js';
import * as OID from './attestation-oids.js';
import type { Evidence } from '../../protocol/evidence.js';

export { CsrError, CsrErrorCode } from './attestation-bundle.js';

/** The two wire forms of an attested CSR (see the file header). */
export type CsrForm = 'ietf' | 'enarx';

/** A parsed attested CSR whose self-signature verified (immutable). Its evidence is not verified. */
export interface AttestedCsr {
  readonly form: CsrForm;
  /** The CSR as received (a copy). */
  readonly der: Uint8Array;
  /** SubjectPublicKeyInfo DER: what the evidence's report data must bind. */
  readonly spki: Uint8Array;
  readonly keyAlgorithm: 'ecdsa-p256' | 'ecdsa-p384';
  /** RFC 4514 string ('' for an empty subject). */
  readonly subject: string;
  /** From a requested subjectAltName (extensionRequest); IP addresses in canonical text form. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly uris: readonly string[];
  readonly evidence: Evidence;
  /** CRLs (DER) carried by Enarx's evidence structures. */
  readonly crls: readonly Uint8Array[];
}

/** Largest CSR read: 256 KiB. */
export const MAX_CSR_BYTES = 256 * 1024;
/** Most subjectAltName entries, attributes, requested extensions, and RDNs read. */
const [MAX_SAN_ENTRIES, MAX_ATTRIBUTES, MAX_EXTENSIONS, MAX_RDNS] = [64, 16, 32, 32];
/** The subject when the caller names none. */
const DEFAULT_SUBJECT = 'CN=enarx-ts keep';

/** One row per key algorithm: the curve, and the hash a CSR we build is signed with. */
const KEY_ALGORITHMS = [
  { name: 'ecdsa-p256', curve: OID.SECP256R1, namedCurve: 'P-256', hash: 'SHA-256' },
  { name: 'ecdsa-p384', curve: OID.SECP384R1, namedCurve: 'P-384', hash: 'SHA-384' },
] as const;
type KeyRow = (typeof KEY_ALGORITHMS)[number];
/** One row per signature algorithm accepted (with either curve). */
const SIGNATURE_ALGORITHMS = [
  { oid: OID.ECDSA_WITH_SHA256, hash: 'sha256' },
  { oid: OID.ECDSA_WITH_SHA384, hash: 'sha384' },
] as const;

/** GeneralName [2] dNSName, [6] uniformResourceIdentifier, [7] iPAddress; CRI attributes [0]; SET. */
const [GN_DNS, GN_URI, GN_IP, ATTRIBUTES_TAG, SET] = [0x82, 0x86, 0x87, 0xa0, 0x31];

/** The structure of a CSR, located in its bytes; its algorithms resolved to their rows. */
function readCsr(bytes: Uint8Array) {
  const top = wholeTlv(bytes, DerTag.SEQUENCE, 'CertificationRequest');
  const [info, algorithm, signature] = fieldsOf(bytes, top, [DerTag.SEQUENCE, DerTag.SEQUENCE, DerTag.BIT_STRING], 'CertificationRequest') as [Tlv, Tlv, Tlv];
  const infoTags = [DerTag.INTEGER, DerTag.SEQUENCE, DerTag.SEQUENCE, ATTRIBUTES_TAG];
  const [version, subject, spki, attributes] = fieldsOf(bytes, info, infoTags, 'CertificationRequestInfo') as [Tlv, Tlv, Tlv, Tlv];
  const v = contentOf(bytes, version);
  if (v.length !== 1 || v[0] !== 0) fail(CsrErrorCode.MALFORMED, 'CertificationRequestInfo.version is not v1(0)');
  // RFC 5758 §3.2: ecdsa-with-SHA* take no parameters.
  const [sigOid, ...params] = children(bytes, algorithm);
  if (sigOid?.tag !== DerTag.OID || params.length > 0) fail(CsrErrorCode.MALFORMED, 'signatureAlgorithm: not an ECDSA AlgorithmIdentifier');
  const oid = oidAt(bytes, sigOid);
  const sig = SIGNATURE_ALGORITHMS.find((r) => r.oid === oid) ?? fail(CsrErrorCode.UNSUPPORTED, `signature algorithm ${oid} is not supported`);
  const bits = contentOf(bytes, signature);
  if (bits.length < 2 || bits[0] !== 0) fail(CsrErrorCode.MALFORMED, 'signature: not a whole number of octets');
  const spkiDer = encodingOf(bytes, spki).slice();
  const { key, publicKey } = readKey(bytes, spki, spkiDer);
  const attributeList = itemsOf(bytes, attributes, DerTag.SEQUENCE, MAX_ATTRIBUTES, 'attributes');
  return { info: encodingOf(bytes, info), subject, spki: spkiDer, key, publicKey, hash: sig.hash, signature: bits.subarray(1), attributes: attributeList };
}

/** RFC 5480: `SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING }`. */
function readKey(bytes: Uint8Array, spki: Tlv, der: Uint8Array): { key: KeyRow; publicKey: KeyObject } {
  const [algorithm] = fieldsOf(bytes, spki, [DerTag.SEQUENCE, DerTag.BIT_STRING], 'SubjectPublicKeyInfo') as [Tlv, Tlv];
  const [type, curve, ...rest] = children(bytes, algorithm);
  if (type?.tag !== DerTag.OID || rest.length > 0) fail(CsrErrorCode.MALFORMED, 'SubjectPublicKeyInfo.algorithm: unexpected fields');
  const typeOid = oidAt(bytes, type);
  if (typeOid !== OID.EC_PUBLIC_KEY || curve?.tag !== DerTag.OID) fail(CsrErrorCode.UNSUPPORTED, `key algorithm ${typeOid}: only ECDSA keys on named curves are supported`);
  const curveOid = oidAt(bytes, curve);
  const key = KEY_ALGORITHMS.find((r) => r.curve === curveOid) ?? fail(CsrErrorCode.UNSUPPORTED, `curve ${curveOid} is not supported (P-256, P-384)`);
  // Node.js (OpenSSL) decodes the point, and refuses one that is not on the curve.
  return { key, publicKey: createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }) };
}

/** What the attributes carry: the bundle, Enarx's evidence extensions, the names asked for. */
interface Requested {
  readonly bundle: Uint8Array | undefined;
  readonly enarx: readonly { readonly oid: string; readonly value: Uint8Array }[];
  readonly names: Names;
}
type Names = Pick<AttestedCsr, 'dnsNames' | 'ipAddresses' | 'uris'>;
const NO_NAMES: Names = Object.freeze({ dnsNames: Object.freeze([]), ipAddresses: Object.freeze([]), uris: Object.freeze([]) });

function readAttributes(bytes: Uint8Array, attributes: readonly Tlv[]): Requested {
  let bundle: Uint8Array | undefined;
  let extensions: Requested | undefined;
  for (const attribute of attributes) {
    const [type, values] = fieldsOf(bytes, attribute, [DerTag.OID, SET], 'Attribute') as [Tlv, Tlv];
    const oid = oidAt(bytes, type);
    const [value, ...more] = children(bytes, values);
    if (value === undefined) fail(CsrErrorCode.MALFORMED, `attribute ${oid} has no value (SIZE(1..MAX))`);
    if (oid !== OID.ID_AA_ATTESTATION && oid !== OID.EXTENSION_REQUEST) continue;
    const once = oid === OID.ID_AA_ATTESTATION ? bundle === undefined : extensions === undefined;
    // COUNTS MAX 1 (id-aa-attestation), SINGLE VALUE TRUE (extensionRequest).
    if (!once || more.length > 0) fail(CsrErrorCode.MALFORMED, `attribute ${oid}: one attribute with one value is allowed`);
    if (oid === OID.ID_AA_ATTESTATION) bundle = encodingOf(bytes, value);
    else extensions = readExtensions(encodingOf(bytes, value));
  }
  return { bundle, enarx: extensions?.enarx ?? [], names: extensions?.names ?? NO_NAMES };
}

function readExtensions(bytes: Uint8Array): Requested {
  const top = wholeTlv(bytes, DerTag.SEQUENCE, 'ExtensionRequest');
  const seen = new Set<string>();
  const enarx: { oid: string; value: Uint8Array }[] = [];
  let names = NO_NAMES;
  for (const extension of itemsOf(bytes, top, DerTag.SEQUENCE, MAX_EXTENSIONS, 'ExtensionRequest')) {
    const [id, flag, value, ...rest] = children(bytes, extension);
    const critical = value !== undefined ? flag : undefined;
    const octets = value ?? flag;
    if (id?.tag !== DerTag.OID || octets?.tag !== DerTag.OCTET_STRING || rest.length > 0) fail(CsrErrorCode.MALFORMED, 'Extension: unexpected fields');
    const c = critical === undefined ? Uint8Array.of(0) : contentOf(bytes, critical);
    if ((critical !== undefined && critical.tag !== DerTag.BOOLEAN) || c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) fail(CsrErrorCode.MALFORMED, 'Extension.critical');
    const oid = oidAt(bytes, id);
    if (seen.has(oid)) fail(CsrErrorCode.MALFORMED, `extension ${oid} requested twice (RFC 5280 §4.2)`);
    seen.add(oid);
    if (oid === OID.SUBJECT_ALT_NAME) names = readSubjectAltName(contentOf(bytes, octets));
    else if (oid.startsWith(OID.ENARX_EVIDENCE_ARC)) {
      // Enarx's steward refuses critical evidence extensions too.
      if (c[0] !== 0) fail(CsrErrorCode.MALFORMED, `Enarx evidence extension ${oid} is marked critical`);
      enarx.push({ oid, value: contentOf(bytes, octets).slice() });
    }
  }
  return { bundle: undefined, enarx, names };
}

function readSubjectAltName(bytes: Uint8Array): Names {
  const top = wholeTlv(bytes, DerTag.SEQUENCE, 'subjectAltName');
  const names = children(bytes, top);
  if (names.length === 0) fail(CsrErrorCode.MALFORMED, 'subjectAltName: empty (SIZE (1..MAX))');
  if (names.length > MAX_SAN_ENTRIES) fail(CsrErrorCode.TOO_LARGE, `subjectAltName: ${names.length} names, at most ${MAX_SAN_ENTRIES} are read`);
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const uris: string[] = [];
  for (const name of names) {
    const value = contentOf(bytes, name);
    if (name.tag === GN_DNS) dnsNames.push(ia5Name(value));
    else if (name.tag === GN_URI) uris.push(ia5Name(value));
    else if (name.tag === GN_IP) ipAddresses.push(ipText(value));
    else fail(CsrErrorCode.UNSUPPORTED, `subjectAltName: GeneralName tag 0x${name.tag.toString(16)} is not supported (dNSName, iPAddress, URI)`);
  }
  return Object.freeze({ dnsNames: Object.freeze(dnsNames), ipAddresses: Object.freeze(ipAddresses), uris: Object.freeze(uris) });
}

/** An IA5String name: printable ASCII only, so that no control character reaches a log or a certificate. */
function ia5Name(value: Uint8Array): string {
  if (value.length === 0 || value.some((b) => b < 0x21 || b > 0x7e)) fail(CsrErrorCode.MALFORMED, 'subjectAltName: a name that is empty or not printable ASCII');
  return Buffer.from(value).toString('latin1');
}

/** RFC 5280: 4 octets (IPv4) or 16 (IPv6), written in canonical text (RFC 5952 for IPv6). */
function ipText(value: Uint8Array): string {
  if (value.length === 4) return value.join('.');
  if (value.length !== 16) fail(CsrErrorCode.MALFORMED, `subjectAltName: an iPAddress of ${value.length} octets`);
  const groups = Array.from({ length: 8 }, (_, i) => ((value[2 * i]! << 8) | value[2 * i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** RFC 4514 §2: the subject Name as a string, last RDN first. */
function rfc4514(bytes: Uint8Array, name: Tlv): string {
  const rdns = itemsOf(bytes, name, SET, MAX_RDNS, 'subject').map((rdn) => {
    const atvs = itemsOf(bytes, rdn, DerTag.SEQUENCE, MAX_RDNS, 'subject RDN');
    if (atvs.length === 0) fail(CsrErrorCode.MALFORMED, 'subject: an empty RDN');
    return atvs
      .map((atv) => {
        const [type, value, ...rest] = children(bytes, atv);
        if (type?.tag !== DerTag.OID || value === undefined || rest.length > 0) fail(CsrErrorCode.MALFORMED, 'subject: AttributeTypeAndValue');
        const oid = oidAt(bytes, type);
        const short = OID.RFC4514_NAMES[oid];
        const text = short === undefined ? undefined : directoryString(value.tag, contentOf(bytes, value));
        return text === undefined ? `${oid}=#${Buffer.from(encodingOf(bytes, value)).toString('hex')}` : `${short}=${escape4514(text)}`;
      })
      .join('+');
  });
  return rdns.reverse().join(',');
}

/** The text of a string value, or undefined for other types (written as #hex, RFC 4514 §2.4). */
function directoryString(tag: number, content: Uint8Array): string | undefined {
  if (tag === 0x0c) return new TextDecoder('utf-8', { fatal: true }).decode(content);
  if (tag === 0x13 || tag === 0x16) {
    if (content.some((b) => b > 0x7f)) fail(CsrErrorCode.MALFORMED, 'subject: a PrintableString or IA5String that is not ASCII');
    return Buffer.from(content).toString('latin1');
  }
  if (tag === 0x1e) return new TextDecoder('utf-16be', { fatal: true }).decode(content);
  return undefined;
}

/** RFC 4514 §2.4 escaping; control characters as \XX too. */
function escape4514(text: string): string {
  return text
    .replace(/[\\"+,;<>]/g, (ch) => `\\${ch}`)
    .replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/^[ #]/, (ch) => `\\${ch}`)
    .replace(/ $/, '\\ ');
}

/**
 * Parses an attested CSR and verifies its self-signature (the evidence is not verified).
 * @throws CsrError ERR_CSR_TOO_LARGE (over {@link MAX_CSR_BYTES}, or over a count bound),
 *   ERR_CSR_MALFORMED, ERR_CSR_SIGNATURE, ERR_CSR_UNSUPPORTED, ERR_CSR_NO_EVIDENCE (no evidence,
 *   or more than one source of it: both forms, several Enarx extensions, several statements).
 * @throws TypeError when `der` is not a Uint8Array.
 */
export async function parseAttestedCsr(der: Uint8Array): Promise<AttestedCsr> {
  if (!(der instanceof Uint8Array)) throw new TypeError('der: expected a Uint8Array');
  if (der.length > MAX_CSR_BYTES) fail(CsrErrorCode.TOO_LARGE, `a CSR of ${der.length} bytes: at most ${MAX_CSR_BYTES} are read`);
  const bytes = new Uint8Array(der);
  const csr = readHostile('CertificationRequest', () => readCsr(bytes));
  let valid = false;
  try {
    valid = verify(csr.hash, csr.info, { key: csr.publicKey, dsaEncoding: 'der' }, csr.signature);
  } catch {
    // A signature that is not even an ECDSA-Sig-Value: it does not verify either.
  }
  if (!valid) fail(CsrErrorCode.SIGNATURE, "the CSR's signature does not verify with its own key");
  const requested = readHostile('CSR attributes', () => readAttributes(bytes, csr.attributes));
  const sources = (requested.bundle === undefined ? 0 : 1) + requested.enarx.length;
  if (sources !== 1) fail(CsrErrorCode.NO_EVIDENCE, sources === 0 ? 'the CSR carries no evidence' : `the CSR carries ${sources} evidence sources; exactly one is accepted`);
  const form: CsrForm = requested.bundle === undefined ? 'enarx' : 'ietf';
  const ext = requested.enarx[0];
  const decoded: DecodedEvidence = ext === undefined ? decodeAttestationBundle(requested.bundle!) : decodeEnarxEvidence(ext.oid, ext.value);
  const subject = readHostile('subject', () => rfc4514(bytes, csr.subject));
  const { evidence, crls } = decoded;
  return Object.freeze({ form, der: bytes, spki: csr.spki, keyAlgorithm: csr.key.name, subject, ...requested.names, evidence, crls });
}

/** Options of {@link buildAttestedCsr}. */
export interface BuildAttestedCsrOptions {
  /** WebCrypto ECDSA P-256 or P-384 (P-384 for Enarx's steward with SEV-SNP evidence). */
  readonly keys: webcrypto.CryptoKeyPair;
  readonly form: CsrForm;
  /** Evidence whose report data binds the key (see the file header); not checked here. */
  readonly evidence: Evidence;
  /** RFC 4514. Default `CN=enarx-ts keep`. */
  readonly subject?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
  /** Enarx's form: CRLs to carry beside the VCEK (Enarx's steward wants one per certificate of the chain). */
  readonly crls?: readonly EnarxCrl[];
}

/**
 * Builds an attested CSR, signed with `keys` (ecdsa-with-SHA256 for P-256, SHA384 for P-384).
 * @throws TypeError on a key that is not ECDSA P-256/P-384, a bad subject or name, evidence that
 *   the form cannot carry (attestation-bundle.ts), or a CSR over {@link MAX_CSR_BYTES}.
 */
export async function buildAttestedCsr(opts: BuildAttestedCsrOptions): Promise<Uint8Array> {
  if (opts?.form !== 'ietf' && opts?.form !== 'enarx') throw new TypeError(`form: expected 'ietf' or 'enarx', got ${String(opts?.form)}`);
  const key = keyRowOf(opts.keys);
  const san = subjectAltName(opts);
  const attributes: Uint8Array[] = [];
  if (opts.form === 'ietf') {
    attributes.push(attribute(OID.ID_AA_ATTESTATION, encodeAttestationBundle(opts.evidence)));
    if (san !== undefined) attributes.push(attribute(OID.EXTENSION_REQUEST, tlv(DerTag.SEQUENCE, san)));
  } else {
    const { oid, value } = encodeEnarxEvidence(opts.evidence, opts.crls);
    attributes.push(attribute(OID.EXTENSION_REQUEST, tlv(DerTag.SEQUENCE, extension(oid, value), ...(san === undefined ? [] : [san]))));
  }
  // DER orders a SET OF by encoding (X.690 §11.6); strict parsers (Rust's der) check it.
  attributes.sort((a, b) => Buffer.compare(a, b));
  const x509 = await x509Library();
  let name: X509Types.Name;
  try {
    // @peculiar/x509 reads the string in DER order; RFC 4514 writes the last RDN first.
    name = new x509.Name(new x509.Name(opts.subject ?? DEFAULT_SUBJECT).toJSON().reverse());
  } catch (err) {
    throw new TypeError(`subject: not an RFC 4514 name: ${JSON.stringify(opts.subject)}`, { cause: err });
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name, keys: opts.keys, signingAlgorithm: { name: 'ECDSA', hash: key.hash }, attributes: attributes.map((a) => new x509.Attribute(a)) },
    webcrypto as unknown as Parameters<X509['Pkcs10CertificateRequestGenerator']['create']>[1],
  );
  const der = new Uint8Array(csr.rawData);
  if (der.length > MAX_CSR_BYTES) throw new TypeError(`the CSR would be ${der.length} bytes, over ${MAX_CSR_BYTES}`);
  return der;
}

function keyRowOf(keys: webcrypto.CryptoKeyPair | undefined): KeyRow {
  const algorithm = keys?.publicKey?.algorithm as webcrypto.EcKeyAlgorithm | undefined;
  const row = algorithm?.name === 'ECDSA' ? KEY_ALGORITHMS.find((r) => r.namedCurve === algorithm.namedCurve) : undefined;
  if (row === undefined || keys?.privateKey === undefined) throw new TypeError('keys: expected a WebCrypto ECDSA P-256 or P-384 key pair');
  return row;
}

function attribute(oid: string, value: Uint8Array): Uint8Array {
  return tlv(DerTag.SEQUENCE, encodeOid(oid), tlv(SET, value));
}
function extension(oid: string, value: Uint8Array): Uint8Array {
  return tlv(DerTag.SEQUENCE, encodeOid(oid), tlv(DerTag.OCTET_STRING, value));
}

/** The subjectAltName extension for the names asked for, or undefined for none. */
function subjectAltName(opts: BuildAttestedCsrOptions): Uint8Array | undefined {
  const ascii = (what: string) => (value: unknown) => {
    if (typeof value !== 'string' || !/^[\x21-\x7e]+$/.test(value)) throw new TypeError(`${what}: not printable ASCII: ${JSON.stringify(value)}`);
    return tlv(what === 'dnsNames' ? GN_DNS : GN_URI, Buffer.from(value, 'latin1'));
  };
  const names = [...(opts.dnsNames ?? []).map(ascii('dnsNames')), ...(opts.ipAddresses ?? []).map(ipOctets), ...(opts.uris ?? []).map(ascii('uris'))];
  if (names.length > MAX_SAN_ENTRIES) throw new TypeError(`${names.length} subjectAltName entries, at most ${MAX_SAN_ENTRIES}`);
  return names.length === 0 ? undefined : extension(OID.SUBJECT_ALT_NAME, tlv(DerTag.SEQUENCE, ...names));
}

/** An iPAddress GeneralName. @throws TypeError when not an IP address (or one with a zone). */
function ipOctets(address: unknown): Uint8Array {
  const version = typeof address === 'string' && !address.includes('%') ? isIP(address) : 0;
  if (version === 0) throw new TypeError(`ipAddresses: not an IP address: ${JSON.stringify(address)}`);
  const text = address as string;
  if (version === 4) return tlv(GN_IP, Uint8Array.from(text.split('.').map(Number)));
  // WHATWG URL writes any IPv6 form (an IPv4 tail too) as hex groups around at most one '::'.
  const [head = '', tail] = new URL(`http://[${text}]`).hostname.slice(1, -1).split('::');
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return tlv(GN_IP, Uint8Array.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
}

