/**
 * X.509 certificate revocation lists (RFC 5280 §5) as immutable objects.
 *
 * ```asn1
 * CertificateList  ::=  SEQUENCE  { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier,
 *                                   signatureValue BIT STRING }
 * TBSCertList  ::=  SEQUENCE  { version Version OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 *     thisUpdate Time, nextUpdate Time OPTIONAL,
 *     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
 *         revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * Fields are decoded with @peculiar/asn1-x509; the signed TBS bytes and the issuer Name are sliced
 * from the received DER with our own reader, so what is verified is what was sent.
 */
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as Asn1X509 from '@peculiar/asn1-x509';
import type { CertificateList, Extension } from '@peculiar/asn1-x509';
import { AttestationError } from '../errors.js';
import { resolveSignatureAlgorithm, verifySignature, type SignatureAlgorithm } from './algorithms.js';
import { DerTag, children, encodingOf, expectTlv } from './der.js';
import { serialHex, sha256Hex, toHex } from './fingerprint.js';
import { derObjects, type PkiInput } from './pem.js';

/** CRL extensions we understand; any other critical one makes the CRL unusable (RFC 5280 §5.2). */
const KNOWN_CRL_EXTENSIONS = new Set([
  '2.5.29.20', // cRLNumber
  '2.5.29.35', // authorityKeyIdentifier
]);
/** CRL entry extensions we understand (reasonCode, invalidityDate). certificateIssuer (indirect CRLs) is not. */
const KNOWN_ENTRY_EXTENSIONS = new Set(['2.5.29.21', '2.5.29.24']);

interface CrlParts {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly issuerName: string;
  readonly issuer: string;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number | undefined;
  readonly revoked: ReadonlyMap<string, number>;
}

/** An immutable, parsed CRL. Construct with {@link parseCrl}. */
export class Crl {
  readonly sha256: string;
  /** The issuer as readable `K=V, ...` text. */
  readonly issuer: string;
  /** The DER of the issuer Name, hex (matched against certificates' issuer names). */
  readonly issuerName: string;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number | undefined;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** Revoked serial numbers (minimal lower-case hex) and their revocation times (ms). */
  readonly revoked: ReadonlyMap<string, number>;
  readonly #der: Uint8Array;
  readonly #tbs: Uint8Array;
  readonly #signature: Uint8Array;

  /** @internal use {@link parseCrl}. */
  constructor(parts: CrlParts) {
    this.#der = parts.der;
    this.#tbs = parts.tbs;
    this.#signature = parts.signature;
    this.sha256 = sha256Hex(parts.der);
    this.issuer = parts.issuer;
    this.issuerName = parts.issuerName;
    this.thisUpdateMs = parts.thisUpdateMs;
    this.nextUpdateMs = parts.nextUpdateMs;
    this.signatureAlgorithm = parts.signatureAlgorithm;
    this.revoked = parts.revoked;
    Object.freeze(this);
  }

  /** A copy of the DER encoding. */
  toDer(): Uint8Array {
    return this.#der.slice();
  }

  /** True when the serial (minimal hex, see {@link Certificate.serialNumber}) is listed. */
  isRevoked(serialNumber: string): boolean {
    return this.revoked.has(serialNumber);
  }

  /** True when the CRL's signature verifies with `issuerKey`. Never throws. */
  isSignedBy(issuerKey: KeyObject): boolean {
    return verifySignature(this.signatureAlgorithm, issuerKey, this.#tbs, this.#signature);
  }
}

function bad(what: string, cause?: unknown): never {
  throw new AttestationError('ERR_COLLATERAL', `malformed CRL: ${what}`, cause === undefined ? undefined : { cause });
}

const NAME_KEYS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

// The ASN.1 schema libraries are loaded with the first CRL: their module evaluation costs
// ~15 ms, which verifications without CRLs (every `enarx run`) need not pay.
const requireLazily = createRequire(import.meta.url);
let asn1: { readonly schema: typeof Asn1Schema; readonly x509: typeof Asn1X509 } | undefined;
function asn1Libraries(): { readonly schema: typeof Asn1Schema; readonly x509: typeof Asn1X509 } {
  return (asn1 ??= { schema: requireLazily('@peculiar/asn1-schema') as typeof Asn1Schema, x509: requireLazily('@peculiar/asn1-x509') as typeof Asn1X509 });
}

function checkExtensions(exts: readonly Extension[] | undefined, known: ReadonlySet<string>, where: string): void {
  const seen = new Set<string>();
  for (const e of exts ?? []) {
    if (seen.has(e.extnID)) bad(`duplicate ${where} extension ${e.extnID}`);
    seen.add(e.extnID);
    if (e.critical && !known.has(e.extnID)) bad(`unsupported critical ${where} extension ${e.extnID}`);
  }
}

/**
 * Parses one DER CRL (copied).
 * @throws AttestationError ERR_COLLATERAL when malformed or using an unsupported critical extension.
 */
export function parseCrl(input: Uint8Array): Crl {
  const der = new Uint8Array(input); // a copy: Buffer#slice would share memory
  let list: CertificateList;
  try {
    const outer = expectTlv(der, 0, DerTag.SEQUENCE, 'CertificateList');
    if (outer.end !== der.length) bad('trailing bytes');
    const { schema, x509 } = asn1Libraries();
    list = schema.AsnConvert.parse(der, x509.CertificateList);
  } catch (err) {
    if (err instanceof AttestationError) bad(err.message, err);
    bad('not a CertificateList', err);
  }
  try {
    const outer = expectTlv(der, 0, DerTag.SEQUENCE, 'CertificateList');
    const [tbsTlv, algTlv, sigTlv] = children(der, outer);
    if (tbsTlv?.tag !== DerTag.SEQUENCE || algTlv === undefined || sigTlv?.tag !== DerTag.BIT_STRING) bad('structure');
    const tbsFields = children(der, tbsTlv);
    const offset = tbsFields[0]?.tag === DerTag.INTEGER ? 1 : 0;
    const innerAlg = tbsFields[offset];
    const issuerTlv = tbsFields[offset + 1];
    if (innerAlg === undefined || issuerTlv?.tag !== DerTag.SEQUENCE) bad('TBSCertList fields');
    if (!Buffer.from(encodingOf(der, innerAlg)).equals(encodingOf(der, algTlv))) bad('inner and outer signature algorithms differ');
    if (der[sigTlv.contentStart] !== 0) bad('signature BIT STRING has unused bits');
    const tbs = list.tbsCertList;
    const hasExtensions = (tbs.crlExtensions?.length ?? 0) > 0 || (tbs.revokedCertificates ?? []).some((r) => (r.crlEntryExtensions?.length ?? 0) > 0);
    if (hasExtensions && tbs.version !== 1) bad('extensions in a v1 CRL');
    checkExtensions(tbs.crlExtensions, KNOWN_CRL_EXTENSIONS, 'CRL');
    const revoked = new Map<string, number>();
    for (const entry of tbs.revokedCertificates ?? []) {
      checkExtensions(entry.crlEntryExtensions, KNOWN_ENTRY_EXTENSIONS, 'CRL entry');
      const when = entry.revocationDate.getTime().getTime();
      if (!Number.isFinite(when)) bad('invalid revocationDate');
      revoked.set(serialHex(new Uint8Array(entry.userCertificate)), when);
    }
    const thisUpdateMs = tbs.thisUpdate.getTime().getTime();
    const nextUpdateMs = tbs.nextUpdate?.getTime().getTime();
    if (!Number.isFinite(thisUpdateMs) || (nextUpdateMs !== undefined && !Number.isFinite(nextUpdateMs))) bad('invalid thisUpdate/nextUpdate time');
    const issuer = tbs.issuer
      .flatMap((rdn) => rdn.map((atv) => `${NAME_KEYS[atv.type] ?? atv.type}=${atv.value.toString()}`))
      .join(', ');
    return new Crl({
      der,
      tbs: encodingOf(der, tbsTlv).slice(),
      signature: der.slice(sigTlv.contentStart + 1, sigTlv.end),
      signatureAlgorithm: resolveSignatureAlgorithm(der, algTlv),
      issuerName: toHex(encodingOf(der, issuerTlv)),
      issuer,
      thisUpdateMs,
      nextUpdateMs,
      revoked,
    });
  } catch (err) {
    if (err instanceof AttestationError && err.code === 'ERR_COLLATERAL') throw err;
    bad(err instanceof Error ? err.message : String(err), err);
  }
}

/** Parses every CRL in `input`: DER bytes, or PEM with `X509 CRL` blocks. @throws AttestationError ERR_COLLATERAL */
export function parseCrls(input: PkiInput): Crl[] {
  let ders: Uint8Array[];
  try {
    ders = derObjects(input, ['X509 CRL']);
  } catch (err) {
    bad(err instanceof Error ? err.message : String(err), err);
  }
  return ders.map(parseCrl);
}
