/**
 * The attestation-result token the steward signs and clients verify: an EAR, "EAT Attestation
 * Results", draft-ietf-rats-ear-04 (26 May 2026), JSON claims set serialised as a JWT. One
 * definition of its claims, imported by the issuer (src/steward/ear.ts) and the verifier
 * (src/client/ear.ts).
 *
 * The claims we use, as draft-ietf-rats-ear-04 names them in JSON (Section 3, "EAT Attestation
 * Result", and its EAR-appraisal sub-section):
 *
 *   EAR = {
 *     "eat_profile"     => "tag:ietf.org,2026:rats/ear#04"     ; mandatory
 *     ? "ear_status"    => trustworthiness-tier               ; overall, no better than any submod
 *     "iat"             => int                                ; mandatory, never floating point
 *     ? "exp"           => int
 *     "ear_verifier_id" => { "developer" => text, "build" => text }   ; mandatory
 *     "submods"         => { + text => EAR-appraisal }        ; mandatory, at least one
 *     ? "eat_nonce"     => text                               ; echoed for freshness, 8..64 bytes
 *     * $$ear-extension                                       ; "An EAR extension MUST be a map"
 *   }
 *   EAR-appraisal = {
 *     ? "eat_profile"                => uri   ; "SHOULD be present" when there are extensions
 *     "ear_status"                   => trustworthiness-tier   ; no better than the vector's worst
 *     ? "ear_trustworthiness_vector" => trustworthiness-vector ; "MUST be present unless [...]
 *                                                              ;  explicitly asks for it to be dropped"
 *     * $$ear-appraisal-extension    ; "An EAR appraisal extension MUST be a map"
 *   }
 *   trustworthiness-tier   = "none" / "affirming" / "warning" / "contraindicated"
 *   trustworthiness-vector = non-empty<{ ? "instance-identity" / "configuration" / "executables" /
 *     "file-system" / "hardware" / "runtime-opaque" / "storage-opaque" / "sourced-data"
 *     => -128..127 }>
 *
 * Our claims are unregistered appraisal extensions in the one submodule "enarx-ts keep", each a
 * map as the draft requires: `enarx-ts.tee` (what the TEE signed: kind, product, TCB, debug,
 * measurement, report data), `enarx-ts.runtime` (the release the measurement names) and, on a
 * refusal, `enarx-ts.error`. "A receiver MUST ignore any unknown claim": the validator does.
 */
import {
  ValidationError,
  boolean,
  int,
  literal,
  oneOf,
  optional,
  record,
  string,
  strictObject,
  validate,
} from './validate.js';
import type { Check, Validated } from './validate.js';
import { TCB_STATUSES, TEES, type TcbStatus, type Tee } from './names.js';

/** The revision of draft-ietf-rats-ear this module follows. */
export const EAR_REVISION = 'draft-ietf-rats-ear-04';
/** `eat_profile` of the EAR claims set: the tag URI draft-ietf-rats-ear-04 mandates. */
export const EAR_PROFILE = 'tag:ietf.org,2026:rats/ear#04';
/**
 * `typ` of the JWS header: the EAT JWT media type (RFC 9782 `application/eat+jwt`, which the
 * draft's "Media Types" section derives EAR's from) without its `application/` prefix (RFC 7515
 * Section 4.1.9), so an EAR cannot be mistaken for another JWT (RFC 8725 Section 3.11).
 */
export const EAR_JWT_TYPE = 'eat+jwt';
/** The only JWS algorithm of our EARs: ECDSA P-384 with SHA-384. */
export const EAR_ALG = 'ES384';
/** The label of our one submodule. */
export const EAR_SUBMOD = 'enarx-ts keep';
/** `eat_profile` of our submodule: names the `enarx-ts.*` extension claims it carries. */
export const ENARX_KEEP_PROFILE = 'tag:github.com,2026:enarx-ts/ear-keep#1';
/** `developer` of our `ear_verifier_id`. */
export const EAR_DEVELOPER = 'https://github.com/enarx-ts';

/** The JSON names of the EAR claims (draft-ietf-rats-ear-04) and of ours. */
export const EarClaimName = {
  PROFILE: 'eat_profile',
  STATUS: 'ear_status',
  IAT: 'iat',
  EXP: 'exp',
  VERIFIER_ID: 'ear_verifier_id',
  SUBMODS: 'submods',
  NONCE: 'eat_nonce',
  TRUSTWORTHINESS_VECTOR: 'ear_trustworthiness_vector',
  TEE: 'enarx-ts.tee',
  RUNTIME: 'enarx-ts.runtime',
  ERROR: 'enarx-ts.error',
} as const;

/** The trustworthiness tiers (AR4SI, draft-ietf-rats-ar4si), least severe first. */
export const EAR_STATUSES = ['none', 'affirming', 'warning', 'contraindicated'] as const;
/** A trustworthiness tier, as `ear_status` carries it. */
export type EarStatus = (typeof EAR_STATUSES)[number];

/** The AR4SI trustworthiness-vector claim names. */
export const TRUSTWORTHINESS_CLAIMS = [
  'instance-identity',
  'configuration',
  'executables',
  'file-system',
  'hardware',
  'runtime-opaque',
  'storage-opaque',
  'sourced-data',
] as const;
/** One trustworthiness-vector claim name. */
export type TrustworthinessClaim = (typeof TRUSTWORTHINESS_CLAIMS)[number];
/** The vector: a value in -128..127 per claim the verifier makes; absent = no claim. */
export type TrustworthinessVector = Readonly<Partial<Record<TrustworthinessClaim, number>>>;

/** The AR4SI values we emit (the same integer means different things per claim). */
export const TrustworthinessValue = {
  /** any claim: "verifier malfunction". */
  VERIFIER_MALFUNCTION: -1,
  /** any claim: "no claim being made" (a relying party treats it as absent). */
  NO_CLAIM: 0,
  /** any claim: "cryptographic validation of the Evidence has failed". */
  CRYPTO_VALIDATION_FAILED: 99,
  /** configuration: "all recognized and approved". */
  APPROVED_CONFIG: 2,
  /** configuration: "known vulnerabilities". */
  UNSAFE_CONFIG: 32,
  /** configuration: "unacceptable security vulnerabilities". */
  UNSUPPORTABLE_CONFIG: 96,
  /** executables: "recognized and approved boot- and run-time". */
  APPROVED_RUNTIME: 2,
  /** executables: "unrecognized run-time". */
  UNRECOGNIZED_RUNTIME: 33,
  /** hardware: "genuine". */
  GENUINE_HARDWARE: 2,
  /** hardware: "genuine but known bugs or vulnerabilities". */
  UNSAFE_HARDWARE: 32,
  /** hardware: "genuine but contraindicated". */
  CONTRAINDICATED_HARDWARE: 96,
  /** hardware: "unrecognized". */
  UNRECOGNIZED_HARDWARE: 97,
  /** runtime-opaque: "memory encryption". */
  ENCRYPTED_MEMORY: 2,
} as const;

/**
 * The tier an AR4SI value falls in: -1..1 none; 2..31 and -32..-2 affirming; 32..95 and -96..-33
 * warning; 96..127 and -128..-97 contraindicated.
 */
export function tierOf(value: number): EarStatus {
  if (value >= -1 && value <= 1) return 'none';
  if (value >= -32 && value <= 31) return 'affirming';
  if (value >= -96 && value <= 95) return 'warning';
  return 'contraindicated';
}

/** The less trustworthy of two tiers. */
export function worseStatus(a: EarStatus, b: EarStatus): EarStatus {
  return EAR_STATUSES.indexOf(a) >= EAR_STATUSES.indexOf(b) ? a : b;
}

/** The worst tier of the vector's claims (`none` when it claims nothing). */
export function vectorStatus(vector: TrustworthinessVector): EarStatus {
  return Object.values(vector).reduce<EarStatus>((worst, v) => worseStatus(worst, tierOf(v)), 'none');
}


/** `enarx-ts.tee`: what the TEE signed, from an appraisal. All hex is lower-case. */
export interface EarTeeClaim {
  readonly tee: Tee;
  readonly product: string;
  readonly tcb: Readonly<Record<string, number | string>>;
  readonly tcbStatus: TcbStatus;
  readonly debug: boolean;
  /** SNP MEASUREMENT, TDX MRTD, SGX MRENCLAVE. */
  readonly measurement: string;
  /** The 64 bytes of report data the TEE signed: relying parties compare it to what they expected. */
  readonly reportData: string;
}

/** `enarx-ts.runtime`: the release a reference value names for the measurement. */
export interface EarRuntimeClaim {
  readonly name: string;
  readonly release: string;
  readonly backend: string;
}

/** `enarx-ts.error`: why the evidence was refused. */
export interface EarErrorClaim {
  readonly code: string;
  readonly message: string;
}

/** The EAR-appraisal of our submodule. */
export interface EarAppraisal {
  readonly eat_profile: typeof ENARX_KEEP_PROFILE;
  readonly ear_status: EarStatus;
  readonly ear_trustworthiness_vector: TrustworthinessVector;
  readonly 'enarx-ts.tee'?: EarTeeClaim;
  readonly 'enarx-ts.runtime'?: EarRuntimeClaim;
  readonly 'enarx-ts.error'?: EarErrorClaim;
}

/** The claims set of an enarx-ts EAR. */
export interface EarClaims {
  readonly eat_profile: typeof EAR_PROFILE;
  readonly ear_status?: EarStatus;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly exp?: number;
  readonly ear_verifier_id: { readonly developer: string; readonly build: string };
  readonly submods: { readonly 'enarx-ts keep': EarAppraisal };
  /** The relying party's nonce (8..64 bytes), base64url without padding. */
  readonly eat_nonce?: string;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** {@link strictObject} over the fields of `shape` only: other claims are ignored, as the draft asks. */
function openObject<S extends Readonly<Record<string, Check<unknown>>>>(shape: S): ReturnType<typeof strictObject<S>> {
  const strict = strictObject(shape);
  const keys = Object.keys(shape);
  return (v, path) => {
    if (!isRecord(v)) return strict(v, path);
    const known = Object.create(null) as Record<string, unknown>;
    for (const k of keys) if (Object.hasOwn(v, k)) known[k] = v[k];
    return strict(known, path);
  };
}

/** 8..64 bytes as canonical base64url without padding (11..86 characters). */
export const checkEarNonce: Check<string> = (v, path) => {
  const s = string({ min: 11, max: 86, pattern: /^[A-Za-z0-9_-]+$/, patternMessage: 'must be base64url without padding' })(v, path);
  const bytes = Buffer.from(s, 'base64url');
  if (bytes.length < 8 || bytes.length > 64 || bytes.toString('base64url') !== s) throw new ValidationError(path, 'must encode 8 to 64 bytes canonically');
  return s;
};

const text = (max: number): Check<string> => string({ min: 1, max });
const lowerHex = (min: number, max: number): Check<string> =>
  string({ max: max * 2, pattern: new RegExp(`^(?:[0-9a-f]{2}){${min},${max}}$`), patternMessage: `must be ${min} to ${max} bytes of lower-case hex` });

const tcbValue: Check<number | string> = (v, path) => (typeof v === 'number' ? int(0, Number.MAX_SAFE_INTEGER)(v, path) : text(200)(v, path));

const vectorEntry = int(-128, 127);
const checkVector: Check<TrustworthinessVector> = (v, path) => {
  const vector = record(oneOf(...TRUSTWORTHINESS_CLAIMS), vectorEntry, TRUSTWORTHINESS_CLAIMS.length)(v, path);
  if (Object.keys(vector).length === 0) throw new ValidationError(path, 'must claim at least one category');
  return vector as TrustworthinessVector;
};

const checkTee = openObject({
  tee: oneOf(...TEES),
  product: text(100),
  tcb: record(text(100), tcbValue, 64),
  tcbStatus: oneOf(...TCB_STATUSES),
  debug: boolean,
  measurement: lowerHex(32, 64),
  reportData: lowerHex(64, 64),
});
const checkRuntime = openObject({ name: text(200), release: text(200), backend: text(200) });
const checkError = openObject({ code: string({ max: 100, pattern: /^ERR_[A-Z0-9_]+$/, patternMessage: 'must be an ERR_ code' }), message: string({ max: 2000 }) });

const appraisalFields = openObject({
  eat_profile: literal(ENARX_KEEP_PROFILE),
  ear_status: oneOf(...EAR_STATUSES),
  ear_trustworthiness_vector: checkVector,
  'enarx-ts.tee': optional(checkTee),
  'enarx-ts.runtime': optional(checkRuntime),
  'enarx-ts.error': optional(checkError),
});

/** Our submodule: the fields, then the draft's status rule and ours (a refusal names its error). */
const checkAppraisal: Check<EarAppraisal> = (v, path) => {
  const a = appraisalFields(v, path);
  const worst = vectorStatus(a.ear_trustworthiness_vector);
  if (worseStatus(a.ear_status, worst) !== a.ear_status) {
    throw new ValidationError(join(path, 'ear_status'), `'${a.ear_status}' is more trustworthy than the vector's worst claim ('${worst}')`);
  }
  const accepted = a.ear_status === 'affirming' || a.ear_status === 'warning';
  if (accepted && (a['enarx-ts.tee'] === undefined || a['enarx-ts.error'] !== undefined)) {
    throw new ValidationError(path, 'an accepting appraisal must carry enarx-ts.tee and no enarx-ts.error');
  }
  if (a['enarx-ts.error'] !== undefined && a.ear_status !== 'contraindicated') {
    throw new ValidationError(join(path, 'ear_status'), "a refusal must be 'contraindicated'");
  }
  return a;
};

const checkSubmods: Check<EarClaims['submods']> = (v, path) => {
  if (!isRecord(v)) throw new ValidationError(path, 'expected an object');
  const labels = Object.keys(v);
  if (labels.length !== 1 || labels[0] !== EAR_SUBMOD) throw new ValidationError(path, `must hold exactly the submodule '${EAR_SUBMOD}'`);
  return { [EAR_SUBMOD]: checkAppraisal(v[EAR_SUBMOD], join(path, EAR_SUBMOD)) };
};

const claimsFields = openObject({
  eat_profile: literal(EAR_PROFILE),
  ear_status: optional(oneOf(...EAR_STATUSES)),
  iat: int(0, Number.MAX_SAFE_INTEGER),
  exp: optional(int(0, Number.MAX_SAFE_INTEGER)),
  ear_verifier_id: openObject({ developer: text(500), build: text(500) }),
  submods: checkSubmods,
  eat_nonce: optional(checkEarNonce),
});

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Checks a decoded EAR claims set (untrusted JSON); returns a frozen copy of the claims we know. */
export const checkEarClaims: Check<EarClaims> = (v, path) => {
  const c = claimsFields(v, path);
  const sub = c.submods[EAR_SUBMOD].ear_status;
  if (c.ear_status !== undefined && worseStatus(c.ear_status, sub) !== c.ear_status) {
    throw new ValidationError(join(path, 'ear_status'), `'${c.ear_status}' is more trustworthy than the submodule's '${sub}'`);
  }
  return deepFreeze(c);
};

/** Runs {@link checkEarClaims} without throwing: the typed claims, or the first problem found. */
export function validateEarClaims(value: unknown): Validated<EarClaims> {
  return validate(checkEarClaims, value);
}
