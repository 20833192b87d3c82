/**
 * The steward's attestation results: EAR tokens (draft-ietf-rats-ear-04, claims in
 * src/protocol/ear.ts) signed ES384 with one P-384 key kept in the state folder, verifiable
 * by any JOSE library against `GET /.well-known/jwks.json` (RFC 7517 key set, `kid` = the
 * RFC 7638 thumbprint).
 *
 *   <stateDir>/ear-signing-key.pem   PKCS#8 private key, mode 0600
 *
 * The key file appears whole or not at all (temp file, fsync, atomic link into place, fsync of
 * the folder), so kill -9 or a power cut during the first start never leaves half a key, and
 * concurrent first starts agree on one key instead of the last writer silently replacing the
 * key the others already serve.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { newEcPrivateKey } from '../crypto/fresh-keys.js';
import type { KeyObject } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import type { Appraisal } from '../attestation/appraisal.js';
import type { ReferenceValue } from '../attestation/reference-values.js';
import { makeStateDir } from '../backend/state-dir.js';
import { codeOf } from '../errors.js';
import {
  EAR_ALG,
  EAR_DEVELOPER,
  EAR_JWT_TYPE,
  EAR_PROFILE,
  EAR_SUBMOD,
  ENARX_KEEP_PROFILE,
  TrustworthinessValue as V,
  validateEarClaims,
  vectorStatus,
  worseStatus,
} from '../protocol/ear.js';
import type { EarAppraisal, EarClaims, EarStatus, EarTeeClaim, TrustworthinessClaim, TrustworthinessVector } from '../protocol/ear.js';
import { StewardError } from './errors.js';

/** The key's file name in the state folder. */
export const EAR_SIGNING_KEY_FILE = 'ear-signing-key.pem';

/** How far `iat` may be from the signing time: the verifier's clock skew allowance. */
const IAT_SKEW_S = 60;
/** The longest refusal message a token carries. */
const MAX_MESSAGE = 1000;

/** The steward's EAR signing key: loads or creates it, publishes its JWKS, signs claims. */
export class EarSigner {
  readonly #key: KeyObject;
  readonly #publicJwk: Readonly<JWK>;
  /** The RFC 7638 SHA-256 thumbprint of the public key, as `kid`. */
  readonly kid: string;

  private constructor(key: KeyObject, publicJwk: JWK, kid: string) {
    this.#key = key;
    this.#publicJwk = Object.freeze(publicJwk);
    this.kid = kid;
  }

  /**
   * The key in `stateDir` (made 0700 if missing), created on first use.
   * @throws StewardError ERR_INTERNAL when the folder or the key cannot be read or written, the
   *   file is readable by others, or it holds anything but a P-384 private key.
   */
  static async loadOrCreate(stateDir: string): Promise<EarSigner> {
    const file = join(stateDir, EAR_SIGNING_KEY_FILE);
    try {
      await makeStateDir(stateDir);
      let pem = await readKeyFile(file);
      if (pem === undefined) {
        await createKeyFile(stateDir, file);
        pem = await readKeyFile(file);
      }
      if (pem === undefined) throw new Error('the key file vanished after it was written');
      const key = createPrivateKey({ key: pem, format: 'pem' });
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
        throw new Error('it is not a P-384 (secp384r1) EC private key');
      }
      const { kty, crv, x, y } = createPublicKey(key).export({ format: 'jwk' });
      const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
      return new EarSigner(key, { kty, crv, x, y, kid, alg: EAR_ALG, use: 'sig' }, kid);
    } catch (err) {
      if (err instanceof StewardError) throw err;
      throw new StewardError('ERR_INTERNAL', `cannot load the EAR signing key ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The public key set to serve at `/.well-known/jwks.json`: never private parts. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.#publicJwk }] };
  }

  /**
   * Signs `claims` as a compact JWS (header `alg` ES384, `kid`, `typ` eat+jwt).
   * @throws TypeError when the claims are not an EAR a client would accept, or `iat` is more
   *   than 60 s away from `now` (a back-dated or future result is the caller's bug).
   */
  async sign(claims: EarClaims, now: Date = new Date()): Promise<string> {
    const checked = validateEarClaims(claims);
    if (!checked.ok) throw new TypeError(`not a valid EAR claims set: ${checked.message}`);
    if (Math.abs(claims.iat - now.getTime() / 1000) > IAT_SKEW_S) {
      throw new TypeError(`EAR iat ${claims.iat} is more than ${IAT_SKEW_S} s from the signing time`);
    }
    // Sign what was validated (a fresh plain copy), not an object the caller may still change.
    const payload = JSON.parse(JSON.stringify(checked.value)) as Record<string, unknown>;
    return new SignJWT(payload).setProtectedHeader({ alg: EAR_ALG, kid: this.kid, typ: EAR_JWT_TYPE }).sign(this.#key);
  }
}

/** The PEM in `file`, or undefined when there is none. @throws when it is readable by group or others */
async function readKeyFile(file: string): Promise<string | undefined> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`its mode is ${mode.toString(8)}; a signing key must be 0600`);
  return pem;
}

/** Writes a fresh key to `file` unless another process got there first. */
async function createKeyFile(dir: string, file: string): Promise<void> {
  const privateKey = newEcPrivateKey('P-384');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const tmp = join(dir, `.${EAR_SIGNING_KEY_FILE}.${randomBytes(8).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600); // whatever the umask
    await fh.writeFile(pem);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link, unlike rename, never replaces: a concurrent first start that won keeps its key.
    await link(tmp, file);
  } catch (err) {
    const code = codeOf(err);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') await rename(tmp, file); // no hard links here
    else if (code !== 'EEXIST') throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  const d = await open(dir, 'r');
  try {
    await d.sync(); // the new name survives a power cut
  } finally {
    await d.close();
  }
}

/** What the steward decided about some evidence. */
export type EarOutcome =
  | { readonly ok: true; readonly appraisal: Appraisal; readonly reference: ReferenceValue | undefined }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly appraisal?: Appraisal };

/** The input of {@link earClaims}. */
export interface EarInput {
  readonly outcome: EarOutcome;
  /** The relying party's nonce, echoed as `eat_nonce` (8..64 bytes). */
  readonly nonce?: Uint8Array;
  /** The report data the evidence had to bind; on acceptance it must be the appraisal's. */
  readonly reportData?: Uint8Array;
  readonly now: Date;
  /** `ear_verifier_id.build`, e.g. `enarx-ts 0.1.0`. */
  readonly verifierBuild: string;
}

/**
 * What a refusal's code says in AR4SI terms, one row per code (attestation and steward codes).
 * A code without a row claims nothing beyond what the appraisal (if any) shows.
 */
const REFUSAL_CLAIMS: Readonly<Record<string, TrustworthinessVector>> = {
  ERR_MEASUREMENT: { executables: V.UNRECOGNIZED_RUNTIME },
  ERR_DEBUG: { configuration: V.UNSUPPORTABLE_CONFIG },
  ERR_TCB: { hardware: V.UNSAFE_HARDWARE },
  ERR_TCB_OUTDATED: { hardware: V.UNSAFE_HARDWARE },
  ERR_TCB_NO_MATCH: { hardware: V.UNRECOGNIZED_HARDWARE },
  ERR_REVOKED: { hardware: V.CONTRAINDICATED_HARDWARE },
  ERR_SNP_SIGNATURE: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_QUOTE_SIGNATURE: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_QE_REPORT: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_CHAIN: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_EXPIRED: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_COLLATERAL: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_TCB_MISMATCH: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_EVIDENCE: { hardware: V.CRYPTO_VALIDATION_FAILED },
  ERR_INTERNAL: { 'instance-identity': V.VERIFIER_MALFUNCTION },
};

/**
 * The claims an appraisal supports: the TCB verified to the vendor's root (hardware genuine, or
 * genuine with known vulnerabilities when an out-of-date status was accepted), debug off
 * (configuration approved; memory encrypted), the measurement named by a reference value
 * (executables approved). The simulator proves nothing about hardware or memory, so it gets
 * no hardware or runtime-opaque claim at all.
 */
function appraisalVector(a: Appraisal, reference: ReferenceValue | undefined): Partial<Record<TrustworthinessClaim, number>> {
  const v: Partial<Record<TrustworthinessClaim, number>> = {};
  if (a.tee !== 'sim') {
    v.hardware = a.tcbStatus === 'UpToDate' ? V.GENUINE_HARDWARE : V.UNSAFE_HARDWARE;
    if (!a.debug) v['runtime-opaque'] = V.ENCRYPTED_MEMORY;
  }
  v.configuration = a.debug ? V.UNSAFE_CONFIG : V.APPROVED_CONFIG;
  if (reference) v.executables = V.APPROVED_RUNTIME;
  return v;
}

function teeClaim(a: Appraisal): EarTeeClaim {
  return {
    tee: a.tee,
    product: a.product,
    tcb: { ...a.tcb },
    tcbStatus: a.tcbStatus,
    debug: a.debug,
    measurement: a.measurement.toLowerCase(),
    reportData: a.reportData.toLowerCase(),
  };
}

function submodule(outcome: EarOutcome): EarAppraisal {
  const a = outcome.appraisal;
  const tee = a ? { 'enarx-ts.tee': teeClaim(a) } : {};
  if (!outcome.ok) {
    const vector: TrustworthinessVector = { ...(a ? appraisalVector(a, undefined) : {}), ...REFUSAL_CLAIMS[outcome.code] };
    return {
      eat_profile: ENARX_KEEP_PROFILE,
      ear_status: 'contraindicated',
      // The vector must not be empty: 0 is AR4SI's explicit "no claim".
      ear_trustworthiness_vector: Object.keys(vector).length > 0 ? vector : { 'instance-identity': V.NO_CLAIM },
      ...tee,
      // Long messages (a certificate dump) are cut: the code is what relying parties branch on.
      'enarx-ts.error': { code: outcome.code, message: outcome.message.slice(0, MAX_MESSAGE) },
    };
  }
  const vector = appraisalVector(outcome.appraisal, outcome.reference);
  // Accepted evidence is affirming at best; the simulator at best warning, whatever the vector says.
  let status: EarStatus = worseStatus('affirming', vectorStatus(vector));
  if (outcome.appraisal.tee === 'sim') status = worseStatus(status, 'warning');
  const r = outcome.reference;
  return {
    eat_profile: ENARX_KEEP_PROFILE,
    ear_status: status,
    ear_trustworthiness_vector: vector,
    ...tee,
    ...(r ? { 'enarx-ts.runtime': { name: r.runtime, release: r.release, backend: r.backend } } : {}),
  };
}

/**
 * The EAR claims for the steward's decision about some evidence (pure: time is a parameter).
 * @throws TypeError for a nonce outside 8..64 bytes, an empty `verifierBuild`, a refusal code
 *   that is not `ERR_…`, or accepted evidence whose appraisal does not bind `reportData`.
 */
export function earClaims(input: EarInput): EarClaims {
  const { outcome, nonce, reportData, now, verifierBuild } = input;
  if (nonce !== undefined && (nonce.length < 8 || nonce.length > 64)) throw new TypeError('an EAR nonce is 8 to 64 bytes');
  if (verifierBuild === '') throw new TypeError('verifierBuild must not be empty');
  if (!outcome.ok && !/^ERR_[A-Z0-9_]{1,96}$/.test(outcome.code)) throw new TypeError(`not an error code: '${outcome.code.slice(0, 100)}'`);
  if (outcome.ok && reportData !== undefined && Buffer.from(reportData).toString('hex') !== outcome.appraisal.reportData.toLowerCase()) {
    throw new TypeError('the accepted appraisal does not bind the expected report data');
  }
  const sub = submodule(outcome);
  return {
    eat_profile: EAR_PROFILE,
    ear_status: sub.ear_status,
    iat: Math.floor(now.getTime() / 1000),
    ear_verifier_id: { developer: EAR_DEVELOPER, build: verifierBuild },
    submods: { [EAR_SUBMOD]: sub },
    ...(nonce ? { eat_nonce: Buffer.from(nonce).toString('base64url') } : {}),
  };
}
