/**
 * Issues X.509 v3 certificates signed with RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48), the
 * profile AMD's KDS uses for ARK, ASK and VCEK certificates.
 *
 * RFC 5280 §4.1:
 *
 *   Certificate  ::=  SEQUENCE  { tbsCertificate TBSCertificate,
 *                                 signatureAlgorithm AlgorithmIdentifier,
 *                                 signatureValue BIT STRING }
 *   TBSCertificate  ::=  SEQUENCE  {
 *        version         [0]  EXPLICIT Version DEFAULT v1,   -- v3 = 2
 *        serialNumber         CertificateSerialNumber,
 *        signature            AlgorithmIdentifier,
 *        issuer               Name,
 *        validity             Validity,                    -- notBefore, notAfter
 *        subject              Name,
 *        subjectPublicKeyInfo SubjectPublicKeyInfo,
 *        extensions      [3]  EXPLICIT Extensions OPTIONAL }
 *   Extension  ::=  SEQUENCE  { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *                               extnValue OCTET STRING }
 *
 * RFC 4055 §3.1 RSASSA-PSS-params, written as AMD writes them (every field explicit, the
 * trailerField too):
 *
 *   RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] sha384, maskGenAlgorithm [1] mgf1SHA384,
 *                                    saltLength [2] 48, trailerField [3] 1 }
 */
import { constants, createHash, sign, type KeyObject } from 'node:crypto';
import { contentOf, expectTlv, children } from '../../attestation/pki/der.js';
import { bits, bool, explicit, implicit, int, nul, octets, oid, seq, set, time, utf8 } from '../../attestation/pki/der-writer.js';

const SHA384 = seq(oid('2.16.840.1.101.3.4.2.2'), nul());

/** The AlgorithmIdentifier of RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48, trailer 1. */
export const RSA_PSS_SHA384_ALGORITHM: Uint8Array = seq(
  oid('1.2.840.113549.1.1.10'),
  seq(explicit(0, SHA384), explicit(1, seq(oid('1.2.840.113549.1.1.8'), SHA384)), explicit(2, int(48)), explicit(3, int(1))),
);

/** One extension: the extnValue contents are given already encoded. */
export interface ExtensionSpec {
  readonly oid: string;
  readonly critical?: boolean;
  readonly value: Uint8Array;
}

/** A distinguished name as attribute type OIDs (or short names) and values, in order. */
export type NameSpec = readonly (readonly [string, string])[];

const ATTRIBUTE_TYPES: Readonly<Record<string, string>> = { CN: '2.5.4.3', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };

/** Name ::= SEQUENCE OF RelativeDistinguishedName, one attribute per RDN, UTF8String values. */
export function encodeName(name: NameSpec): Uint8Array {
  return seq(...name.map(([k, v]) => set(seq(oid(ATTRIBUTE_TYPES[k] ?? k), utf8(v)))));
}

/** What to put in a certificate. */
export interface CertificateSpec {
  readonly subject: NameSpec;
  readonly issuer: NameSpec;
  readonly serial: bigint;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  readonly extensions: readonly ExtensionSpec[];
}

/** Signs `spec` with `signingKey` (an RSA private key) and returns the DER certificate. */
export function issueCertificate(spec: CertificateSpec, signingKey: KeyObject): Uint8Array {
  const spki = new Uint8Array(spec.publicKey.export({ type: 'spki', format: 'der' }));
  const tbs = seq(
    explicit(0, int(2)),
    int(spec.serial),
    RSA_PSS_SHA384_ALGORITHM,
    encodeName(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)),
    encodeName(spec.subject),
    spki,
    explicit(3, seq(...spec.extensions.map((e) => seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value))))),
  );
  const signature = sign('sha384', tbs, { key: signingKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  return seq(tbs, RSA_PSS_SHA384_ALGORITHM, bits(signature));
}

/** basicConstraints (critical): cA TRUE, with an optional pathLenConstraint. */
export function basicConstraintsCa(pathLength?: number): ExtensionSpec {
  return { oid: '2.5.29.19', critical: true, value: seq(bool(true), ...(pathLength === undefined ? [] : [int(pathLength)])) };
}

/** keyUsage (critical): keyCertSign, plus cRLSign when asked. */
export function keyUsageCa(crlSign: boolean): ExtensionSpec {
  // Bit 5 keyCertSign, bit 6 cRLSign; the BIT STRING's unused trailing bits are declared.
  return { oid: '2.5.29.15', critical: true, value: crlSign ? bits(Uint8Array.of(0x06), 1) : bits(Uint8Array.of(0x04), 2) };
}

/** The RFC 5280 §4.2.1.2 method (1) key identifier: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(publicKey: KeyObject): Uint8Array {
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const outer = expectTlv(spki, 0, 0x30, 'SubjectPublicKeyInfo');
  const bitString = children(spki, outer)[1];
  if (bitString === undefined || bitString.tag !== 0x03) throw new Error('SubjectPublicKeyInfo without a BIT STRING');
  return new Uint8Array(createHash('sha1').update(contentOf(spki, bitString).subarray(1)).digest());
}

/** subjectKeyIdentifier. */
export function subjectKeyIdentifier(publicKey: KeyObject): ExtensionSpec {
  return { oid: '2.5.29.14', value: octets(keyIdentifier(publicKey)) };
}

/** authorityKeyIdentifier with the issuer's key identifier only. */
export function authorityKeyIdentifier(issuerPublicKey: KeyObject): ExtensionSpec {
  return { oid: '2.5.29.35', value: seq(implicit(0, keyIdentifier(issuerPublicKey))) };
}
