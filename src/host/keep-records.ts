/**
 * The host core's pure pieces (host.ts keeps the lifecycle): checking a create request, the
 * verdict on a keep process's end, and presenting a record to API callers.
 */
import { suiteOf } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import { KeepFailureCode, cutMessage } from '../protocol/errors.js';
import type { CreateKeepRequest, KeepInfo } from '../protocol/http.js';
import type { BoundPort } from '../protocol/sockets.js';
import { checkLimitsRequest, resolveLimits } from '../protocol/limits.js';
import type { Limits } from '../protocol/limits.js';
import { DEFAULT_KEM, isKemName, isTerminal } from '../protocol/names.js';
import type { BackendName, KemName, KeepState } from '../protocol/names.js';
import { ValidationError } from '../protocol/validate.js';
import type { KeepEnd } from './keep-process.js';
import type { KeepPatch, KeepRecord } from './store.js';

/** A create request, checked. */
export interface CheckedCreateRequest {
  readonly nonce: Uint8Array;
  readonly suite: SuiteRow;
  readonly limits: Limits;
  readonly preopens: { host: string; guest: string }[];
}

/** Checks what a tenant asks for (defaults filled in). @throws TypeError naming the bad field */
export function checkCreateRequest(tenant: string, req: CreateKeepRequest): CheckedCreateRequest {
  if (typeof tenant !== 'string' || tenant === '') throw new TypeError('tenant must be a non-empty string');
  if (!(req.nonce instanceof Uint8Array) || req.nonce.length !== 32) throw new TypeError('nonce must be 32 bytes');
  const kem = req.kem ?? DEFAULT_KEM;
  if (!isKemName(kem)) throw new TypeError(`unknown kem '${String(kem)}'`);
  let limits: Limits;
  try {
    limits = resolveLimits(checkLimitsRequest(req.limits ?? {}, 'limits'));
  } catch (err) {
    if (err instanceof ValidationError) throw new TypeError(`bad limits: ${err.message}`);
    throw err;
  }
  const preopens = (req.preopens ?? []).map((p) => {
    if (typeof p?.host !== 'string' || typeof p.guest !== 'string') throw new TypeError('preopens: each needs host and guest strings');
    return { host: p.host, guest: p.guest };
  });
  return { nonce: new Uint8Array(req.nonce), suite: suiteOf(kem), limits, preopens };
}

/** What a keep process's end means for its record. */
export interface Verdict {
  readonly state: KeepState;
  readonly patch: Omit<KeepPatch, 'state'>;
}

/** The verdict on a keep that ended as `end` says (`how`: the process's exit, for the record). */
export function verdictOf(end: KeepEnd, how: string): Verdict {
  if (end.sealedOutcome) return { state: 'ended', patch: {} };
  if (end.failure) return { state: 'failed', patch: { errorCode: end.failure.code, errorMessage: cutMessage(end.failure.message) } };
  return { state: 'failed', patch: { errorCode: KeepFailureCode.CRASHED, errorMessage: `the keep process ended without sending its outcome (${how})` } };
}

/** What the host knows of a keep, and what only host-side callers see. */
export interface HostKeepInfo extends KeepInfo {
  readonly tenant: string;
  /** The keep's process id while it may run (the HTTP API does not show it). */
  readonly pid?: number;
}

/** A record as API callers see it (with the ports its live keep reported, while it runs). */
export function toInfo(r: KeepRecord, ports?: readonly BoundPort[]): HostKeepInfo {
  const out: Record<string, unknown> = {
    id: r.id,
    tenant: r.tenant,
    backend: r.backend as BackendName,
    kem: r.kem as KemName,
    state: r.state,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
  if (r.expiresAt !== undefined && r.state === 'attested') out['expiresAt'] = new Date(r.expiresAt);
  if (r.errorCode !== undefined) out['error'] = Object.freeze({ code: r.errorCode, message: cutMessage(r.errorMessage ?? '') });
  if (r.packageBytes !== undefined) out['packageBytes'] = r.packageBytes;
  if (r.outputRecords !== undefined) out['output'] = Object.freeze({ records: r.outputRecords, bytes: r.outputBytes ?? 0 });
  if (r.pid !== undefined && !isTerminal(r.state)) out['pid'] = r.pid;
  if (ports !== undefined && !isTerminal(r.state)) out['ports'] = ports;
  return Object.freeze(out) as unknown as HostKeepInfo;
}
