/**
 * Builds X.509 certificates and CRLs for tests (RSA-PSS-SHA384 like AMD, ECDSA like Intel),
 * with exactly the extensions asked for, so that negative cases (no basicConstraints, expired,
 * revoked...) can be made on demand.
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import { bits, bool, concat, explicit, int, nul, octets, oid, printable, seq, set, time, tlv, utf8 } from './der-writer.js';

export type SigAlg = 'rsa-pss-sha384' | 'rsa-sha256' | 'ecdsa-sha256' | 'ecdsa-sha384';

const SHA384 = seq(oid('2.16.840.1.101.3.4.2.2'), nul());

/** The AlgorithmIdentifier DER of `alg` (PSS with SHA-384, MGF1-SHA-384, salt 48, as AMD uses). */
export function algorithmIdentifier(alg: SigAlg): Uint8Array {
  switch (alg) {
    case 'rsa-pss-sha384':
      return seq(
        oid('1.2.840.113549.1.1.10'),
        seq(explicit(0, SHA384), explicit(1, seq(oid('1.2.840.113549.1.1.8'), SHA384)), explicit(2, int(48))),
      );
    case 'rsa-sha256':
      return seq(oid('1.2.840.113549.1.1.11'), nul());
    case 'ecdsa-sha256':
      return seq(oid('1.2.840.10045.4.3.2'));
    case 'ecdsa-sha384':
      return seq(oid('1.2.840.10045.4.3.3'));
  }
}

/** Signs `data` the way `alg` says (X.509 encodings: DER ECDSA-Sig-Value). */
export function signWith(alg: SigAlg, key: KeyObject, data: Uint8Array): Uint8Array {
  switch (alg) {
    case 'rsa-pss-sha384':
      return sign('sha384', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
    case 'rsa-sha256':
      return sign('sha256', data, key);
    case 'ecdsa-sha256':
      return sign('sha256', data, key);
    case 'ecdsa-sha384':
      return sign('sha384', data, key);
  }
}

const ATTRS: Readonly<Record<string, string>> = { CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };

/** A Name from [key, value] pairs in order, e.g. [['OU','Engineering'],['CN','ARK-Milan']]. */
export function name(rdns: readonly (readonly [string, string])[]): Uint8Array {
  return seq(...rdns.map(([k, v]) => set(seq(oid(ATTRS[k] ?? k), k === 'C' ? printable(v) : utf8(v)))));
}

export interface ExtensionSpec {
  readonly oid: string;
  readonly critical?: boolean;
  /** The extnValue contents. */
  readonly value: Uint8Array;
}

export function extension(e: ExtensionSpec): Uint8Array {
  return seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value));
}

/** basicConstraints value. */
export function basicConstraints(ca: boolean, pathLength?: number): ExtensionSpec {
  return { oid: '2.5.29.19', critical: true, value: seq(...(ca ? [bool(true)] : []), ...(pathLength === undefined ? [] : [int(pathLength)])) };
}

/** keyUsage value from bit numbers (5 keyCertSign, 6 cRLSign, 0 digitalSignature). */
export function keyUsage(bitNumbers: readonly number[]): ExtensionSpec {
  const b = new Uint8Array(2);
  for (const n of bitNumbers) b[n >> 3]! |= 0x80 >> (n & 7);
  const content = b[1] === 0 ? b.subarray(0, 1) : b;
  return { oid: '2.5.29.15', critical: true, value: bits(content, 0) };
}

export interface CertSpec {
  readonly subject: readonly (readonly [string, string])[];
  readonly issuer?: readonly (readonly [string, string])[];
  readonly serial: bigint | number;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  readonly signingKey: KeyObject;
  readonly alg: SigAlg;
  readonly extensions?: readonly ExtensionSpec[];
}

/** A DER certificate. */
export function buildCertificate(spec: CertSpec): Uint8Array {
  const algId = algorithmIdentifier(spec.alg);
  const spki = new Uint8Array(spec.publicKey.export({ type: 'spki', format: 'der' }));
  const exts = spec.extensions ?? [];
  const tbs = seq(
    explicit(0, int(2)),
    int(spec.serial),
    algId,
    name(spec.issuer ?? spec.subject),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spki,
    ...(exts.length > 0 ? [explicit(3, seq(...exts.map(extension)))] : []),
  );
  return seq(tbs, algId, bits(signWith(spec.alg, spec.signingKey, tbs)));
}

export interface CrlSpec {
  readonly issuer: readonly (readonly [string, string])[];
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revoked?: readonly { serial: bigint | number; date: Date }[];
  readonly signingKey: KeyObject;
  readonly alg: SigAlg;
  readonly crlNumber?: number;
}

/** A DER v2 CRL. */
export function buildCrl(spec: CrlSpec): Uint8Array {
  const algId = algorithmIdentifier(spec.alg);
  const revoked = spec.revoked ?? [];
  const tbs = seq(
    int(1),
    algId,
    name(spec.issuer),
    time(spec.thisUpdate),
    ...(spec.nextUpdate ? [time(spec.nextUpdate)] : []),
    ...(revoked.length > 0 ? [seq(...revoked.map((r) => seq(int(r.serial), time(r.date))))] : []),
    ...(spec.crlNumber !== undefined ? [explicit(0, seq(extension({ oid: '2.5.29.20', value: int(spec.crlNumber) })))] : []),
  );
  return seq(tbs, algId, bits(signWith(spec.alg, spec.signingKey, tbs)));
}

export { concat, tlv };
