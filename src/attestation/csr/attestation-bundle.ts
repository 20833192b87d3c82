/**
 * The attestation bundle a keep's CSR carries (draft-ietf-lamps-csr-attestation-28, ASN.1 module
 * CSR-ATTESTATION-2025, `DEFINITIONS IMPLICIT TAGS`), and the evidence structures of Enarx's
 * steward (enarx/steward at bb0ea54, crates/attestation) that its statements and Enarx's own CSR
 * extensions hold, mapped to and from our {@link Evidence}.
 *
 * ```asn1
 * AttestationBundle ::= SEQUENCE {
 *    attestations SEQUENCE SIZE (1..MAX) OF AttestationStatement,
 *    certs SEQUENCE SIZE (1..MAX) OF LimitedCertChoices OPTIONAL }
 * AttestationStatement ::= SEQUENCE {
 *    type   ATTESTATION-STATEMENT.&id({AttestationStatementSet}),
 *    stmt   ATTESTATION-STATEMENT.&Type({AttestationStatementSet}{@type}) }
 * LimitedCertChoices ::= CertificateChoices (WITH COMPONENTS {certificate, other})
 * -- RFC 6268: CertificateChoices ::= CHOICE { certificate Certificate, ...,
 * --   other [3] IMPLICIT OtherCertificateFormat }   ([0] [1] [2] are obsolete and forbidden here)
 * ```
 *
 * Statements (types in attestation-oids.ts): SEV-SNP = Enarx's SNP `Evidence` DER; SGX = Enarx's
 * `SgxEvidence` DER; TDX = OCTET STRING with the DCAP quote. Only plain certificates are
 * produced and accepted in `certs` (`other` is refused as unsupported).
 *
 * Mapping (SEV-SNP): evidence.certs = [the VCEK, then the bundle's certificates that are not
 * self-issued]. Self-issued ones are roots: if any is not one of AMD's ARKs (pinned by SHA-256,
 * attestation/snp/roots.ts) the evidence comes from the simulated platform: backend `sim`, with
 * the roots that are not AMD's as trustRoots; otherwise `snp`. AMD's ARKs are always dropped (verifiers
 * pin their own).
 * This only classifies: whether a `sim` root is trusted is the verifier's decision. Encoding
 * puts evidence.certs after the VCEK, and trustRoots, into `certs` (each once) and an empty CRL
 * list into the statement. Enarx's CRLs are returned beside the evidence, as DER.
 *
 * DER is read with the strict reader of attestation/pki/der.ts (definite, minimal lengths) and
 * certificates with attestation/pki/certificate.ts; no ASN.1 library is loaded here, so that the
 * keep, which bundles this code, pays nothing for it at start.
 */
import { AttestationError } from '../errors.js';
import { parseCertificate, type Certificate } from '../pki/certificate.js';
import { DerTag, children, contentOf, decodeOid, encodingOf, readTlv, type Tlv } from '../pki/der.js';
import { ARK_FINGERPRINTS } from '../snp/roots.js';
import { oid, tlv } from '../pki/der-writer.js';
import { CodedError } from '../../errors.js';
import { ENARX_KVM, ENARX_SGX, ENARX_SNP, TDX_QUOTE_PROVISIONAL } from './attestation-oids.js';
import type { Evidence } from '../../protocol/evidence.js';
import type { EvidenceFormat } from '../../protocol/names.js';

/** Codes of {@link CsrError}. */
export const CsrErrorCode = {
  /** Not DER, not the structure the specs define, or a count they forbid. */
  MALFORMED: 'ERR_CSR_MALFORMED',
  /** Larger than we read: the whole CSR, or more statements, certificates, CRLs or names. */
  TOO_LARGE: 'ERR_CSR_TOO_LARGE',
  /** The CSR's self-signature does not verify with its own key. */
  SIGNATURE: 'ERR_CSR_SIGNATURE',
  /** Well formed, but not supported: key or signature algorithm, statement type, kvm, `other` certificates. */
  UNSUPPORTED: 'ERR_CSR_UNSUPPORTED',
  /** No evidence, or several sources of it. */
  NO_EVIDENCE: 'ERR_CSR_NO_EVIDENCE',
} as const;
/** One of the values of {@link CsrErrorCode}. */
export type CsrErrorCode = (typeof CsrErrorCode)[keyof typeof CsrErrorCode];

/** A refused CSR or attestation bundle; branch on `code`. */
export class CsrError extends CodedError<CsrErrorCode> {
  override readonly name = 'CsrError';
}

/** Evidence read from a bundle or an Enarx extension, with the CRLs Enarx's structures carried. */
export interface DecodedEvidence {
  readonly evidence: Evidence;
  /** DER CertificateLists, in the order sent (their URLs are not kept). */
  readonly crls: readonly Uint8Array[];
}

/** Most statements a bundle may hold. */
export const MAX_STATEMENTS = 8;
/** Most certificates a bundle (or Enarx structure) may hold; decoded evidence keeps within it too. */
export const MAX_CERTS = 16;
/** Most CRLs an Enarx structure may hold. */
export const MAX_CRLS = 16;
/** Largest report or quote: what the JSON form of evidence accepts (evidence.ts). */
const MAX_REPORT_BYTES = 64 * 1024;
/**
 * Largest certificate read. Attestation certificates are 1–2 KiB; the certificate parser decodes
 * OIDs in time quadratic in their length, so a bound here bounds a hostile CSR's cost.
 */
const MAX_CERT_BYTES = 8 * 1024;
/**
 * Longest OBJECT IDENTIFIER read (content octets). Decoding arcs as bigints costs time quadratic
 * in the length: a 250 KB OID would hold a steward's CPU for seconds.
 */
const MAX_OID_BYTES = 64;

const UTF8_STRING = 0x0c;
/** `other [3] IMPLICIT OtherCertificateFormat` (constructed, context-specific 3). */
const OTHER_CERT = 0xa3;

/** Throws a CsrError. */
export function fail(code: CsrErrorCode, message: string, cause?: unknown): never {
  throw new CsrError(code, message, cause === undefined ? undefined : { cause });
}
function malformed(message: string): never {
  return fail(CsrErrorCode.MALFORMED, message);
}

/**
 * Runs a decoder over untrusted bytes: whatever a lower reader throws becomes a CsrError (an
 * unsupported certificate signature algorithm is UNSUPPORTED, anything else MALFORMED).
 */
export function readHostile<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof CsrError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    if (err instanceof AttestationError && err.code === 'ERR_CHAIN') fail(CsrErrorCode.UNSUPPORTED, `${what}: ${detail}`, err);
    return fail(CsrErrorCode.MALFORMED, `${what}: ${detail}`, err);
  }
}

/** The one element `bytes` must be exactly, with this tag. */
export function wholeTlv(bytes: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.tag !== tag || tlv.end !== bytes.length) malformed(`${what}: not one DER element with tag 0x${tag.toString(16)}`);
  return tlv;
}

/** The fields of `parent`, which must have exactly these tags, in order. */
export function fieldsOf(bytes: Uint8Array, parent: Tlv, tags: readonly number[], what: string): Tlv[] {
  const out = children(bytes, parent);
  if (out.length !== tags.length || out.some((t, i) => t.tag !== tags[i])) malformed(`${what}: unexpected fields`);
  return out;
}

/** The items of a SEQUENCE OF or SET OF, each with tag `tag`, at most `max` of them. */
export function itemsOf(bytes: Uint8Array, parent: Tlv, tag: number, max: number, what: string): Tlv[] {
  const out = children(bytes, parent);
  if (out.length > max) fail(CsrErrorCode.TOO_LARGE, `${what}: ${out.length} items, at most ${max} are read`);
  if (out.some((t) => t.tag !== tag)) malformed(`${what}: an item with an unexpected tag`);
  return out;
}

/** The dotted form of the OBJECT IDENTIFIER at `tlv` (its tag already checked). */
export function oidAt(bytes: Uint8Array, tlv: Tlv): string {
  if (tlv.end - tlv.contentStart > MAX_OID_BYTES) malformed(`an OBJECT IDENTIFIER of ${tlv.end - tlv.contentStart} octets`);
  return decodeOid(contentOf(bytes, tlv));
}

function certificateAt(bytes: Uint8Array, tlv: Tlv): Certificate {
  const n = tlv.end - tlv.start;
  if (n > MAX_CERT_BYTES) fail(CsrErrorCode.TOO_LARGE, `a certificate of ${n} bytes, at most ${MAX_CERT_BYTES} are read`);
  return parseCertificate(encodingOf(bytes, tlv));
}

function reportAt(bytes: Uint8Array, tlv: Tlv, what: string): Uint8Array {
  const n = tlv.end - tlv.contentStart;
  if (n === 0) malformed(`${what}: empty`);
  if (n > MAX_REPORT_BYTES) fail(CsrErrorCode.TOO_LARGE, `${what}: ${n} bytes, at most ${MAX_REPORT_BYTES} are read`);
  return contentOf(bytes, tlv).slice();
}

/**
 * ```asn1
 * -- enarx/steward crates/attestation/src/crypto/crl.rs
 * CrlList ::= SEQUENCE { crls SEQUENCE OF CrlListEntry }
 * CrlListEntry ::= SEQUENCE { url UTF8String, crl CertificateList }
 * ```
 */
function crlListAt(bytes: Uint8Array, tlv: Tlv): Uint8Array[] {
  const [list] = fieldsOf(bytes, tlv, [DerTag.SEQUENCE], 'CrlList') as [Tlv];
  return itemsOf(bytes, list, DerTag.SEQUENCE, MAX_CRLS, 'CrlList.crls').map((entry) => {
    const [, crl] = fieldsOf(bytes, entry, [UTF8_STRING, DerTag.SEQUENCE], 'CrlListEntry') as [Tlv, Tlv];
    fieldsOf(bytes, crl, [DerTag.SEQUENCE, DerTag.SEQUENCE, DerTag.BIT_STRING], 'CertificateList');
    return encodingOf(bytes, crl).slice();
  });
}

interface EnarxSnp {
  readonly vcek: Certificate;
  readonly crls: Uint8Array[];
  readonly report: Uint8Array;
}

/**
 * ```asn1
 * -- enarx/steward crates/attestation/src/snp/mod.rs
 * Evidence ::= SEQUENCE {
 *    crts   SEQUENCE { vcek Certificate, crl CrlList },
 *    report OCTET STRING }   -- the ATTESTATION_REPORT
 * ```
 */
function decodeEnarxSnp(bytes: Uint8Array): EnarxSnp {
  const top = wholeTlv(bytes, DerTag.SEQUENCE, 'SNP Evidence');
  const [crts, report] = fieldsOf(bytes, top, [DerTag.SEQUENCE, DerTag.OCTET_STRING], 'SNP Evidence') as [Tlv, Tlv];
  const [vcek, crl] = fieldsOf(bytes, crts, [DerTag.SEQUENCE, DerTag.SEQUENCE], 'SNP Evidence.crts') as [Tlv, Tlv];
  return { vcek: certificateAt(bytes, vcek), crls: crlListAt(bytes, crl), report: reportAt(bytes, report, 'SNP report') };
}

/**
 * ```asn1
 * -- enarx/steward crates/attestation/src/sgx/quote/mod.rs
 * SgxEvidence ::= SEQUENCE {
 *    quote  OCTET STRING,   -- DCAP quote v3 (its PCK chain inside)
 *    crl    CrlList,
 *    tcb    TcbPackage }
 * TcbPackage ::= SEQUENCE { crts SEQUENCE OF Certificate, report OCTET STRING }  -- Intel TCB info JSON
 * ```
 * Read in full, then refused: our Evidence has no SGX format (names.ts EVIDENCE_FORMATS).
 */
function decodeEnarxSgx(bytes: Uint8Array): never {
  const top = wholeTlv(bytes, DerTag.SEQUENCE, 'SgxEvidence');
  const [quote, crl, tcb] = fieldsOf(bytes, top, [DerTag.OCTET_STRING, DerTag.SEQUENCE, DerTag.SEQUENCE], 'SgxEvidence') as [Tlv, Tlv, Tlv];
  reportAt(bytes, quote, 'SGX quote');
  crlListAt(bytes, crl);
  const [crts, info] = fieldsOf(bytes, tcb, [DerTag.SEQUENCE, DerTag.OCTET_STRING], 'TcbPackage') as [Tlv, Tlv];
  for (const cert of itemsOf(bytes, crts, DerTag.SEQUENCE, MAX_CERTS, 'TcbPackage.crts')) certificateAt(bytes, cert);
  reportAt(bytes, info, 'TCB info');
  return fail(CsrErrorCode.UNSUPPORTED, 'SGX evidence is well formed, but evidence has no SGX format on this wire (only sev-snp and tdx)');
}

/** AMD's ARKs, by SHA-256 of their DER. */
const AMD_ARKS: ReadonlySet<string> = new Set(Object.values(ARK_FINGERPRINTS));

/** SEV-SNP evidence from Enarx's structure and a bundle's certificates (see the file header). */
function snpEvidence(snp: EnarxSnp, bundle: readonly Certificate[]): DecodedEvidence {
  const simRoots = bundle.filter((c) => c.selfIssued && !AMD_ARKS.has(c.sha256)).map((c) => c.toDer());
  const certs = [snp.vcek, ...bundle.filter((c) => !c.selfIssued)].map((c) => c.toDer());
  if (certs.length > MAX_CERTS) fail(CsrErrorCode.TOO_LARGE, `${certs.length} certificates, at most ${MAX_CERTS} are read`);
  const evidence: Evidence =
    simRoots.length > 0
      ? { backend: 'sim', format: 'sev-snp', report: snp.report, certs: Object.freeze(certs), trustRoots: Object.freeze(simRoots) }
      : { backend: 'snp', format: 'sev-snp', report: snp.report, certs: Object.freeze(certs) };
  return Object.freeze({ evidence: Object.freeze(evidence), crls: Object.freeze(snp.crls) });
}

/** TDX evidence: the quote, and the bundle's certificates as they came. */
function tdxEvidence(stmt: Uint8Array, bundle: readonly Certificate[]): DecodedEvidence {
  const quote = wholeTlv(stmt, DerTag.OCTET_STRING, 'TDX statement');
  const certs = Object.freeze(bundle.map((c) => c.toDer()));
  return Object.freeze({ evidence: Object.freeze({ backend: 'tdx', format: 'tdx', report: reportAt(stmt, quote, 'TDX quote'), certs }), crls: Object.freeze([]) });
}

/** One row per statement type: how its stmt is read, and which evidence format it carries. */
interface StatementRow {
  readonly oid: string;
  readonly format: EvidenceFormat | undefined;
  readonly decode: (stmt: Uint8Array, bundle: readonly Certificate[]) => DecodedEvidence;
}
const STATEMENTS: readonly StatementRow[] = [
  { oid: ENARX_SNP, format: 'sev-snp', decode: (stmt, bundle) => snpEvidence(decodeEnarxSnp(stmt), bundle) },
  { oid: ENARX_SGX, format: undefined, decode: (stmt) => decodeEnarxSgx(stmt) },
  { oid: TDX_QUOTE_PROVISIONAL, format: 'tdx', decode: tdxEvidence },
];

/** `certs`: plain certificates only (see the file header). */
function bundleCertificates(bytes: Uint8Array, tlv: Tlv): Certificate[] {
  const choices = children(bytes, tlv);
  if (choices.length === 0) malformed('AttestationBundle.certs: empty (SIZE (1..MAX))');
  if (choices.length > MAX_CERTS) fail(CsrErrorCode.TOO_LARGE, `AttestationBundle.certs: ${choices.length} certificates, at most ${MAX_CERTS} are read`);
  return choices.map((choice) => {
    if (choice.tag === OTHER_CERT) fail(CsrErrorCode.UNSUPPORTED, 'AttestationBundle.certs: `other` certificate formats are not supported');
    if (choice.tag !== DerTag.SEQUENCE) malformed(`AttestationBundle.certs: CertificateChoices tag 0x${choice.tag.toString(16)} is not allowed`);
    return certificateAt(bytes, choice);
  });
}

/**
 * Reads an AttestationBundle (DER; the bytes are copied first).
 * @throws CsrError ERR_CSR_MALFORMED (DER, structure, no statement), ERR_CSR_TOO_LARGE (more than
 *   {@link MAX_STATEMENTS} statements or {@link MAX_CERTS} certificates), ERR_CSR_UNSUPPORTED (a
 *   statement type not in attestation-oids.ts, SGX, `other` certificates), ERR_CSR_NO_EVIDENCE
 *   (several statements: one evidence source is accepted).
 */
export function decodeAttestationBundle(der: Uint8Array): DecodedEvidence {
  return readHostile('AttestationBundle', () => {
    const bytes = new Uint8Array(der);
    const top = wholeTlv(bytes, DerTag.SEQUENCE, 'AttestationBundle');
    const [attestations, certs, ...rest] = children(bytes, top);
    if (attestations?.tag !== DerTag.SEQUENCE || (certs !== undefined && certs.tag !== DerTag.SEQUENCE) || rest.length > 0) {
      malformed('AttestationBundle: unexpected fields');
    }
    const statements = itemsOf(bytes, attestations, DerTag.SEQUENCE, MAX_STATEMENTS, 'AttestationBundle.attestations').map((s) => {
      const [type, stmt, ...more] = children(bytes, s);
      if (type?.tag !== DerTag.OID || stmt === undefined || more.length > 0) malformed('AttestationStatement: unexpected fields');
      const oid = oidAt(bytes, type);
      const row = STATEMENTS.find((r) => r.oid === oid) ?? fail(CsrErrorCode.UNSUPPORTED, `attestation statement type ${oid} is not supported`);
      return { row, stmt: encodingOf(bytes, stmt) };
    });
    const [first, ...others] = statements;
    if (first === undefined) malformed('AttestationBundle.attestations: empty (SIZE (1..MAX))');
    if (others.length > 0) fail(CsrErrorCode.NO_EVIDENCE, `${statements.length} attestation statements: exactly one evidence source is accepted`);
    return first.row.decode(first.stmt, certs === undefined ? [] : bundleCertificates(bytes, certs));
  });
}

/**
 * Encodes evidence as an AttestationBundle (DER).
 * @throws TypeError when the evidence has no statement form (`none`), an SEV-SNP one lacks its
 *   VCEK, or its backend does not match what its roots say (`sim` needs trustRoots, `snp` has none).
 */
export function encodeAttestationBundle(evidence: Evidence): Uint8Array {
  const row = STATEMENTS.find((r) => r.format !== undefined && r.format === evidence?.format);
  if (row === undefined) throw new TypeError(`evidence of format ${String(evidence?.format)} has no attestation statement`);
  let stmt: Uint8Array;
  let certs: readonly Uint8Array[];
  if (row.format === 'sev-snp') {
    const [vcek, ...rest] = snpCerts(evidence);
    stmt = encodeEnarxSnp(vcek, evidence.report, []);
    certs = [...rest, ...(evidence.trustRoots ?? [])];
  } else {
    if (evidence.backend !== 'tdx') throw new TypeError(`tdx evidence from backend ${evidence.backend}`);
    stmt = tlv(DerTag.OCTET_STRING, evidence.report);
    certs = evidence.certs;
  }
  const unique = [...new Map(certs.map((c) => [Buffer.from(c).toString('base64'), c])).values()];
  const bundleCerts = unique.length > 0 ? [tlv(DerTag.SEQUENCE, ...unique)] : [];
  return tlv(DerTag.SEQUENCE, tlv(DerTag.SEQUENCE, tlv(DerTag.SEQUENCE, oid(row.oid), stmt)), ...bundleCerts);
}

/** The certificates of SEV-SNP evidence, VCEK first, once checked against its backend. */
function snpCerts(evidence: Evidence): [Uint8Array, ...Uint8Array[]] {
  if (evidence.backend !== 'sim' && evidence.backend !== 'snp') throw new TypeError(`sev-snp evidence from backend ${evidence.backend}`);
  const roots = evidence.trustRoots?.length ?? 0;
  // Its roots are what tells sim from snp on the wire (see the file header).
  if (evidence.backend === 'sim' && roots === 0) throw new TypeError('sim evidence without trustRoots would read as snp');
  if (evidence.backend === 'snp' && roots > 0) throw new TypeError('snp evidence with trustRoots would read as sim');
  const [vcek, ...rest] = evidence.certs;
  if (vcek === undefined) throw new TypeError('sev-snp evidence without its VCEK (certs[0])');
  return [vcek, ...rest];
}

function encodeEnarxSnp(vcek: Uint8Array, report: Uint8Array, crls: readonly EnarxCrl[]): Uint8Array {
  // CrlList ::= SEQUENCE { crls SEQUENCE OF CrlListEntry }; CrlListEntry ::= SEQUENCE { url UTF8String, crl CertificateList }
  const entries = crls.map((c) => tlv(DerTag.SEQUENCE, tlv(DerTag.UTF8_STRING, new TextEncoder().encode(c.url)), c.crl));
  const crlList = tlv(DerTag.SEQUENCE, tlv(DerTag.SEQUENCE, ...entries));
  return tlv(DerTag.SEQUENCE, tlv(DerTag.SEQUENCE, vcek, crlList), tlv(DerTag.OCTET_STRING, report));
}

/** A CRL in Enarx's list: where it came from, and its DER. */
export interface EnarxCrl {
  readonly url: string;
  readonly crl: Uint8Array;
}

/**
 * Reads the value of one of Enarx's evidence extensions (extnValue contents).
 * @throws CsrError as {@link decodeAttestationBundle}; ERR_CSR_UNSUPPORTED for kvm (no evidence),
 *   SGX, and OIDs Enarx does not define.
 */
export function decodeEnarxEvidence(oid: string, value: Uint8Array): DecodedEvidence {
  return readHostile(`Enarx evidence ${oid}`, () => {
    if (oid === ENARX_SNP) return snpEvidence(decodeEnarxSnp(new Uint8Array(value)), []);
    if (oid === ENARX_SGX) return decodeEnarxSgx(new Uint8Array(value));
    if (oid === ENARX_KVM) return fail(CsrErrorCode.UNSUPPORTED, 'Enarx kvm keeps have no evidence');
    return fail(CsrErrorCode.UNSUPPORTED, `Enarx evidence extension ${oid} is not supported`);
  });
}

/**
 * Enarx's evidence extension for SEV-SNP evidence: only the VCEK travels (Enarx's steward pins
 * AMD's chain), so `sim` evidence reads back as `snp`, and a steward that knows the simulated
 * platform's chain relabels it.
 * @throws TypeError for other formats (Enarx has no TDX evidence) or evidence without a VCEK.
 */
export function encodeEnarxEvidence(evidence: Evidence, crls: readonly EnarxCrl[] = []): { readonly oid: string; readonly value: Uint8Array } {
  if (evidence?.format !== 'sev-snp') throw new TypeError(`Enarx's CSR form carries sev-snp evidence only, not ${String(evidence?.format)}`);
  const vcek = evidence.certs[0];
  if (vcek === undefined) throw new TypeError('sev-snp evidence without its VCEK (certs[0])');
  return { oid: ENARX_SNP, value: encodeEnarxSnp(vcek, evidence.report, crls) };
}
