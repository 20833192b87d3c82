/**
 * Appraisal delegated to a steward: instead of carrying reference values and vendor policy
 * itself, a client sends the keep's evidence and the report data it expects (it binds the
 * client's nonce and the keep's key, attestation/binding.ts) to a steward it trusts, and accepts
 * the keep when the steward's EAR token (protocol/ear.ts) — signed by a key of the steward's
 * JWKS that the client pinned beforehand — says so for exactly that report data and nonce.
 *
 * The steward is trusted for its verdict, not for the binding: the client compares the report
 * data the token names with its own, in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { JWK } from 'jose';
import type { Appraisal } from '../attestation/appraisal.js';
import type { EarClaims } from '../protocol/ear.js';
import { encodeEvidence } from '../protocol/evidence.js';
import type { Evidence } from '../protocol/evidence.js';
import { JWT, STEWARD_PATHS, stewardUrlAllowed } from '../protocol/steward.js';
import { earAccepts, earSubmod, verifyEar } from './ear.js';
import { StewardClientError, StewardClientErrorCode } from './errors.js';
import type { AcceptedKeep } from './verify-keep.js';

/** The steward a client delegates to, and the keys it pinned for it. */
export interface StewardTrust {
  /** The steward's URL: https, or http on a loopback address. */
  readonly url: string;
  /** The steward's JWK Set (`GET /.well-known/jwks.json`), obtained and pinned beforehand. */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Accept a keep on the simulated platform (the steward says `warning` at best for it). */
  readonly allowSim?: boolean;
  readonly timeoutMs?: number;
}

/** A keep the steward accepted: what it said, as an appraisal, and its token. */
export interface StewardAccepted extends AcceptedKeep {
  readonly ear: EarClaims;
  readonly token: string;
}

/** Largest token read. */
const MAX_TOKEN_BYTES = 64 * 1024;

async function ask(trust: StewardTrust, body: string): Promise<string> {
  const url = new URL(STEWARD_PATHS.attest, trust.url);
  if (!stewardUrlAllowed(url)) throw new StewardClientError(StewardClientErrorCode.UNREACHABLE, `a steward is reached over https (plain http only on a loopback address): ${url.origin}`);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: JWT }, body, redirect: 'error', signal: AbortSignal.timeout(trust.timeoutMs ?? 15_000) });
  } catch (err) {
    throw new StewardClientError(StewardClientErrorCode.UNREACHABLE, `cannot reach the steward at ${url.origin}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  if (text.length > MAX_TOKEN_BYTES) throw new StewardClientError(StewardClientErrorCode.UNREACHABLE, 'the steward answered more than a token');
  if (res.status !== 200) throw new StewardClientError(StewardClientErrorCode.UNREACHABLE, `the steward answered HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text.trim();
}

/** The appraisal a token states (the steward's word, as an Appraisal). */
function appraisalOf(claims: EarClaims, steward: string): Appraisal | undefined {
  const tee = earSubmod(claims)['enarx-ts.tee'];
  if (tee === undefined) return undefined;
  return Object.freeze({
    tee: tee.tee,
    product: tee.product,
    measurement: tee.measurement,
    measurements: {},
    reportData: tee.reportData,
    tcb: tee.tcb,
    tcbStatus: tee.tcbStatus,
    advisories: [],
    debug: tee.debug,
    chain: [],
    details: { appraisedBy: steward },
  });
}

/**
 * Asks the steward to appraise `evidence`, which must bind `expected` (64 bytes), with `nonce`.
 * @throws StewardClientError ERR_STEWARD_UNREACHABLE, ERR_STEWARD_REFUSED, ERR_STEWARD_MISMATCH;
 *   EarError when the token does not verify against the pinned keys, or is stale
 */
export async function attestWithSteward(evidence: Evidence, expected: Uint8Array, nonce: Uint8Array, trust: StewardTrust): Promise<StewardAccepted> {
  const token = await ask(trust, JSON.stringify({ evidence: encodeEvidence(evidence), reportData: Buffer.from(expected).toString('hex'), nonce: Buffer.from(nonce).toString('base64') }));
  const ear = await verifyEar(token, { keys: [...trust.jwks.keys] }, { nonce });
  const sub = earSubmod(ear);
  const refused = sub['enarx-ts.error'];
  if (refused !== undefined || !earAccepts(ear)) {
    const why = refused ? `${refused.code}: ${refused.message}` : `status ${sub.ear_status}`;
    throw new StewardClientError(StewardClientErrorCode.REFUSED, `the steward did not accept the keep (${why})`);
  }
  const named = Buffer.from(sub['enarx-ts.tee']?.reportData ?? '', 'hex');
  if (named.length !== expected.length || !timingSafeEqual(named, expected)) {
    throw new StewardClientError(StewardClientErrorCode.MISMATCH, "the steward's token is about other report data than this keep's");
  }
  if (sub['enarx-ts.tee']?.tee === 'sim' && !trust.allowSim) {
    throw new StewardClientError(StewardClientErrorCode.REFUSED, 'the steward accepted a keep on the simulated platform; refusing (opt in with --allow-sim)');
  }
  const runtime = sub['enarx-ts.runtime'];
  const reference = runtime && { measurement: sub['enarx-ts.tee']!.measurement, runtime: runtime.name, release: runtime.release, backend: runtime.backend };
  return { appraisal: appraisalOf(ear, new URL(trust.url).origin), reference, ear, token };
}

/** Reads a pinned JWK Set (the steward's `/.well-known/jwks.json`, saved). @throws StewardClientError */
export function parseJwks(text: string, source: string): { keys: JWK[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StewardClientError(StewardClientErrorCode.UNREACHABLE, `${source}: not JSON`);
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 16 || !keys.every((k) => typeof k === 'object' && k !== null)) {
    throw new StewardClientError(StewardClientErrorCode.UNREACHABLE, `${source}: not a JWK Set ({"keys": [...]})`);
  }
  return { keys: keys as JWK[] };
}
