/**
 * The relying party's check of a steward's attestation result: an EAR (draft-ietf-rats-ear-04,
 * claims in src/protocol/ear.ts) as a JWT signed ES384, verified with jose against the
 * steward's JWKS (`GET /.well-known/jwks.json`). Only after the signature verifies are the
 * claims read: `eat_profile` must be `tag:ietf.org,2026:rats/ear#04`, `iat` fresh, `eat_nonce`
 * the nonce the relying party sent, and the claims set well formed.
 */
import { timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { CodedError } from '../errors.js';
import { EAR_ALG, EAR_JWT_TYPE, EAR_PROFILE, EAR_SUBMOD, validateEarClaims, worseStatus } from '../protocol/ear.js';
import type { EarAppraisal, EarClaims } from '../protocol/ear.js';

/** Stable codes for {@link EarError}. */
export const EarErrorCode = {
  /** Not a JWS we can verify with the key set: bad signature, unknown key, an algorithm other than ES384, malformed token. */
  SIGNATURE: 'ERR_EAR_SIGNATURE',
  /** Signed, but the claims are not an enarx-ts EAR (profile, header type, shape, status rules). */
  CLAIMS: 'ERR_EAR_CLAIMS',
  /** The token does not echo the relying party's nonce. */
  NONCE: 'ERR_EAR_NONCE',
  /** `iat` is older than allowed or in the future, or `exp` has passed. */
  STALE: 'ERR_EAR_STALE',
} as const;

/** One of the values of {@link EarErrorCode}. */
export type EarErrorCode = (typeof EarErrorCode)[keyof typeof EarErrorCode];

/** A refused attestation-result token; branch on `code`, never the message. */
export class EarError extends CodedError<EarErrorCode> {
  override readonly name = 'EarError';
}

/** Options of {@link verifyEar}. */
export interface VerifyEarOptions {
  /** The nonce the relying party sent: required in the token when given. */
  readonly nonce?: Uint8Array;
  readonly now?: Date;
  /** How old `iat` may be. Default 5 minutes. */
  readonly maxAgeMs?: number;
}

const DEFAULT_MAX_AGE_MS = 5 * 60 * 1000;
/** The clock skew tolerated between steward and relying party. */
const SKEW_S = 60;

/** jose's failures by code, one row each: what they mean for an EAR. */
const JOSE_CODES: Readonly<Record<string, EarErrorCode>> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: EarErrorCode.SIGNATURE,
  ERR_JWS_INVALID: EarErrorCode.SIGNATURE,
  ERR_JWKS_NO_MATCHING_KEY: EarErrorCode.SIGNATURE,
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: EarErrorCode.SIGNATURE,
  ERR_JWKS_INVALID: EarErrorCode.SIGNATURE,
  ERR_JOSE_ALG_NOT_ALLOWED: EarErrorCode.SIGNATURE,
  ERR_JOSE_NOT_SUPPORTED: EarErrorCode.SIGNATURE,
  ERR_JWT_INVALID: EarErrorCode.CLAIMS,
  ERR_JWT_CLAIM_VALIDATION_FAILED: EarErrorCode.CLAIMS,
  ERR_JWT_EXPIRED: EarErrorCode.STALE,
};

function fromJose(err: unknown): EarError {
  const code = err instanceof errors.JOSEError ? (JOSE_CODES[err.code] ?? EarErrorCode.SIGNATURE) : EarErrorCode.SIGNATURE;
  return new EarError(code, `EAR refused: ${(err as Error).message}`, { cause: err });
}

/**
 * Verifies an EAR token against the steward's key set and returns its claims.
 * @throws EarError ERR_EAR_SIGNATURE, ERR_EAR_CLAIMS, ERR_EAR_NONCE, ERR_EAR_STALE
 * @throws TypeError for a token that is not a string or a negative `maxAgeMs`
 */
export async function verifyEar(token: string, jwks: { keys: JWK[] }, opts: VerifyEarOptions = {}): Promise<EarClaims> {
  if (typeof token !== 'string') throw new TypeError('token must be a string');
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  if (!(maxAgeMs >= 0)) throw new TypeError('maxAgeMs must be a non-negative number');
  const now = opts.now ?? new Date();
  let payload: JWTPayload;
  try {
    // ES384 only: `none`, HMAC (with the public key as secret) and every other algorithm are refused.
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [EAR_ALG], typ: EAR_JWT_TYPE, currentDate: now, clockTolerance: SKEW_S }));
  } catch (err) {
    throw fromJose(err);
  }
  if (payload['eat_profile'] !== EAR_PROFILE) {
    throw new EarError(EarErrorCode.CLAIMS, `EAR refused: eat_profile is ${JSON.stringify(payload['eat_profile'])}, expected '${EAR_PROFILE}'`);
  }
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isInteger(iat)) throw new EarError(EarErrorCode.CLAIMS, 'EAR refused: iat must be an integer');
  const nowS = now.getTime() / 1000;
  if (iat > nowS + SKEW_S) throw new EarError(EarErrorCode.STALE, `EAR refused: iat is ${Math.round(iat - nowS)} s in the future`);
  if ((nowS - iat) * 1000 > maxAgeMs) throw new EarError(EarErrorCode.STALE, `EAR refused: issued ${Math.round(nowS - iat)} s ago, more than ${maxAgeMs / 1000} s`);
  const checked = validateEarClaims(payload);
  if (!checked.ok) throw new EarError(EarErrorCode.CLAIMS, `EAR refused: ${checked.message}`);
  if (opts.nonce !== undefined) checkNonce(checked.value.eat_nonce, opts.nonce);
  return checked.value;
}

function checkNonce(got: string | undefined, expected: Uint8Array): void {
  if (got === undefined) throw new EarError(EarErrorCode.NONCE, 'EAR refused: it carries no nonce');
  const bytes = Buffer.from(got, 'base64url');
  if (bytes.length !== expected.length || !timingSafeEqual(bytes, expected)) {
    throw new EarError(EarErrorCode.NONCE, 'EAR refused: it echoes another nonce');
  }
}

/** Our one submodule of verified claims. */
export function earSubmod(claims: EarClaims): EarAppraisal {
  return claims.submods[EAR_SUBMOD];
}

/**
 * Whether the steward accepted the keep: `affirming`, or `warning` only for the simulator (which
 * is never better). Any other warning (an accepted out-of-date TCB, debug) is refused here; a
 * relying party that takes those reads the vector itself.
 */
export function earAccepts(claims: EarClaims): boolean {
  const sub = earSubmod(claims);
  const status = worseStatus(claims.ear_status ?? sub.ear_status, sub.ear_status);
  if (status === 'affirming') return true;
  return status === 'warning' && sub['enarx-ts.tee']?.tee === 'sim';
}
