/**
 * The host core's pure pieces (host.ts keeps the lifecycle): checking a create request, turning
 * a keep's last word into its recorded verdict, and presenting a record to API callers.
 */
import { findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import { checkLimits } from '../keep/messages.js';
import type { KeepEvent } from '../keep/messages.js';
import { validate } from '../keep/validate.js';
import { DEFAULT_LIMITS } from '../runtime/limits.js';
import type { Limits } from '../runtime/limits.js';
import { KeepFateCode } from './errors.js';
import type { LifecycleEvent } from './event-log.js';
import type { CreateKeepRequest, KeepInfo } from './host-types.js';
import { isTerminal } from './store.js';
import type { KeepPatch, KeepRecord, KeepState } from './store.js';

/** Error messages recorded for a keep are cut to this many characters. */
const MAX_ERROR_MESSAGE = 1024;

/** `message`, cut to what a record keeps. */
export function cut(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message;
}

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
  const suite = findSuite(req.kem ?? 'x25519');
  if (suite === undefined) throw new TypeError(`unknown kem '${String(req.kem)}'`);
  const asked = Object.fromEntries(Object.entries(req.limits ?? {}).filter(([, v]) => v !== undefined));
  const limits = validate(checkLimits, { ...DEFAULT_LIMITS, ...asked });
  if (!limits.ok) throw new TypeError(`bad limits: ${limits.message}`);
  const preopens = (req.preopens ?? []).map((p) => {
    if (typeof p?.host !== 'string' || typeof p.guest !== 'string') throw new TypeError('preopens: each needs host and guest strings');
    return { host: p.host, guest: p.guest };
  });
  return { nonce: new Uint8Array(req.nonce), suite, limits: limits.value, preopens };
}

/** What a keep's end means for its record and its event log. */
export interface Verdict {
  readonly state: KeepState;
  readonly patch: Omit<KeepPatch, 'state'>;
  /** The outcome event the keep reported, for the log (none when it reported none). */
  readonly events: LifecycleEvent[];
}

/** The verdict on a keep whose last word was `event` (undefined: it ended without one; `how` says how). */
export function verdictOf(event: KeepEvent | undefined, how: string): Verdict {
  switch (event?.type) {
    case 'exit':
      return { state: 'exited', patch: { exitCode: event.code }, events: [{ type: 'exit', code: event.code }] };
    case 'trap':
      return {
        state: 'trapped',
        patch: { errorCode: KeepFateCode.TRAP, errorMessage: cut(event.trap) },
        events: [event.func === undefined ? { type: 'trap', trap: event.trap } : { type: 'trap', trap: event.trap, func: event.func }],
      };
    case 'error':
      return { state: 'failed', patch: { errorCode: event.code, errorMessage: cut(event.message) }, events: [{ type: 'error', code: event.code, message: event.message }] };
    default:
      return { state: 'failed', patch: { errorCode: KeepFateCode.CRASHED, errorMessage: `the keep process ended without reporting an outcome (${how})` }, events: [] };
  }
}

/** A record as API callers see it. */
export function toInfo(r: KeepRecord): KeepInfo {
  const out: Record<string, unknown> = {
    id: r.id,
    tenant: r.tenant,
    backend: r.backend,
    kem: r.kem,
    state: r.state,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
  if (r.expiresAt !== undefined && r.state === 'attested') out['expiresAt'] = new Date(r.expiresAt);
  if (r.exitCode !== undefined) out['exitCode'] = r.exitCode;
  if (r.errorCode !== undefined) out['error'] = Object.freeze({ code: r.errorCode, message: r.errorMessage ?? '' });
  if (r.packageBytes !== undefined) out['packageBytes'] = r.packageBytes;
  if (r.pid !== undefined && !isTerminal(r.state)) out['pid'] = r.pid;
  return Object.freeze(out) as unknown as KeepInfo;
}
