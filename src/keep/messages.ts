/**
 * Messages on the host ⇄ keep control channel (see frames.ts for the framing). The keep
 * validates everything the host sends: the host is not trusted. The host validates what a keep
 * says too. (Hand-written checks, validate.ts: the keep's start-up time is measured.)
 */
import { array, boolean, hex, int, literal, oneOf, optional, string, strictObject, taggedUnion } from './validate.js';
import type { Checked } from './validate.js';

const MAX_STRING = 64 * 1024;
const noNul = string({ max: MAX_STRING, noNul: true });
const str = string({ max: MAX_STRING });
const kem = oneOf('x25519', 'x-wing');

/** Limits as the host asks for them. */
export const checkLimits = strictObject({
  maxMemoryBytes: int(65536, 4 * 1024 ** 3),
  timeoutMs: int(0, 365 * 24 * 3600 * 1000),
  maxOutputBytes: int(0, Number.MAX_SAFE_INTEGER),
});

/** host → keep: prove yourself for this client nonce, with a fresh key of this HPKE suite. */
export const checkAttestRequest = strictObject({ type: literal('attest'), nonce: hex(32), kem });

/** A validated attest request. */
export type AttestRequest = Checked<typeof checkAttestRequest>;

/** host → keep: who you are to the client, and what the host gives your workload. */
export const checkLaunchRequest = strictObject({
  type: literal('launch'),
  keepId: string({ max: 128, pattern: /^[A-Za-z0-9_-]{1,128}$/, patternMessage: 'keep id must be 1-128 of [A-Za-z0-9_-]' }),
  evidenceDigest: hex(32),
  // Host directories it lends (in-process hosts only).
  preopens: array(strictObject({ host: noNul, guest: noNul }), 256),
  limits: checkLimits,
});

/** A validated launch request. */
export type LaunchRequest = Checked<typeof checkLaunchRequest>;

/** host → keep: the next slice of the sealed package (the frame's payload). */
export const checkPackageFrame = strictObject({ type: literal('package'), last: boolean });

/** keep → host events. */
export type KeepEvent =
  | { readonly type: 'attestation-request'; readonly reportData: string; readonly publicKey: string; readonly kem: 'x25519' | 'x-wing' }
  | { readonly type: 'started' }
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'trap'; readonly trap: string; readonly func?: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** Checks a keep → host event (the host validates what a keep says too). */
export const checkKeepEvent = taggedUnion('type', {
  'attestation-request': strictObject({
    type: literal('attestation-request'),
    reportData: hex(64),
    publicKey: string({ min: 2, max: 8192, pattern: /^(?:[0-9a-f]{2})+$/, patternMessage: 'must be lower-case hex' }),
    kem,
  }),
  started: strictObject({ type: literal('started') }),
  exit: strictObject({ type: literal('exit'), code: int(0, 0xffffffff) }),
  trap: strictObject({ type: literal('trap'), trap: str, func: optional(str) }),
  error: strictObject({ type: literal('error'), code: string({ max: 64 }), message: str }),
});

// The checks and the declared event type must agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: Same<Checked<typeof checkKeepEvent>, KeepEvent> = true;
void agree;
