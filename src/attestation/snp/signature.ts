/**
 * The report signature: ECDSA P-384 with SHA-384 over bytes 0x000–0x29F, R and S stored
 * little-endian in 72-byte fields of which the low 48 bytes are significant (ABI spec 1.58,
 * Table 141 "ECDSA P-384 with SHA-384 signature").
 */
import { verify, type KeyObject } from 'node:crypto';
import type { SnpReport } from './report.js';

/** True when `key` is an EC P-384 public key (what a VCEK/VLEK holds). */
export function isP384Key(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
}

/** True when the report's signature verifies with `key` (a VCEK or VLEK public key). Never throws. */
export function verifyReportSignature(report: SnpReport, key: KeyObject): boolean {
  if (!isP384Key(key)) return false;
  try {
    return verify('sha384', report.signedBytes(), { key, dsaEncoding: 'ieee-p1363' }, report.signatureP1363());
  } catch {
    return false;
  }
}
