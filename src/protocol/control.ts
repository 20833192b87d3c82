/**
 * Messages on the host ⇄ keep control channel (frames.ts frames them). Each side validates what
 * the other sends: the keep does not trust its host, and the host does not trust a keep that runs
 * a stranger's workload.
 *
 * | direction   | header                                                   | payload                       |
 * |-------------|----------------------------------------------------------|-------------------------------|
 * | host → keep | `{type:"attest", nonce, kem}`                            | —                             |
 * | keep → host | `{type:"attestation-request", reportData, publicKey, kem}` | —                           |
 * | host → keep | `{type:"launch", keepId, evidenceDigest, preopens, limits}` | —                          |
 * | host → keep | `{type:"package", last}`                                 | the next slice of the sealed package |
 * | keep → host | `{type:"started"}`                                       | —                             |
 * | keep → host | `{type:"input-wanted"}`: the workload first asked for stdin | —                        |
 * | keep → host | `{type:"listening", ports:[{address, port}]}`: its listen sockets are bound | —     |
 * | host → keep | `{type:"input"}`                                         | one sealed input record       |
 * | keep → host | `{type:"record"}`                                        | one sealed output or outcome record |
 * | keep → host | `{type:"failed", code, message}`                         | —                             |
 * | keep → host | `{type:"evidence-request", id, reportData}`              | —                             |
 * | host → keep | `{type:"evidence", id, evidence}`                        | —                             |
 * | host → keep | `{type:"evidence-error", id, code, message}`             | —                             |
 *
 * `evidence-request` asks the platform for evidence over 64 bytes of report data while the keep
 * runs (its RA-TLS certificate binds its TLS key this way); `id` (0 … 2³¹−1) is the keep's, and the
 * answer repeats it. `evidence` is in the JSON form of evidence.ts. The host treats the keep as a
 * stranger here too: it answers at most {@link MAX_EVIDENCE_OUTSTANDING} requests at a time and
 * {@link MAX_EVIDENCE_PER_MINUTE} a minute, and refuses the rest with an {@link EvidenceErrorCode}.
 * The keep does not trust what comes back either: it forwards it to relying parties, who verify it.
 *
 * `failed` is a keep's plain-text report of a failure before its session with the client exists
 * (the package did not open): the host may read it, so it says nothing of the workload. Once the
 * session exists, everything the keep says about its workload is a sealed record.
 */
import { checkErrorMessage, KeepFailureCode } from './errors.js';
import { checkEvidence } from './evidence.js';
import { checkLimits } from './limits.js';
import { checkKemName, checkKeepId } from './names.js';
import { checkBoundPort, MAX_SOCKETS } from './sockets.js';
import { array, boolean, hex, int, literal, oneOf, string, strictObject, taggedUnion } from './validate.js';
import type { Check, Checked } from './validate.js';

const MAX_PATH = 4096;
const path = string({ max: MAX_PATH, noNul: true });

/** host → keep: prove yourself for this client nonce, with a fresh key of this HPKE suite. */
export const checkAttestMessage = strictObject({ type: literal('attest'), nonce: hex(32), kem: checkKemName });

/** host → keep: who you are to the client, and what the host gives your workload. */
export const checkLaunchMessage = strictObject({
  type: literal('launch'),
  keepId: checkKeepId,
  evidenceDigest: hex(32),
  // Host directories it lends (in-process hosts only).
  preopens: array(strictObject({ host: path, guest: path }), 256),
  limits: checkLimits,
});

/** host → keep: the next slice of the sealed package (the frame's payload). */
export const checkPackageMessage = strictObject({ type: literal('package'), last: boolean });

/** host → keep: one sealed input record (the frame's payload). */
export const checkInputMessage = strictObject({ type: literal('input') });

/** Requests for evidence a host answers at once for one keep; more are refused (ERR_EVIDENCE_BUSY). */
export const MAX_EVIDENCE_OUTSTANDING = 2;
/** Requests for evidence a host answers per keep in any minute; more are refused (ERR_EVIDENCE_RATE). */
export const MAX_EVIDENCE_PER_MINUTE = 30;

/** Why a host did not answer a keep's request for evidence. */
export const EvidenceErrorCode = {
  /** The keep's platform has no evidence (`nil`). */
  UNAVAILABLE: 'ERR_EVIDENCE_UNAVAILABLE',
  /** The keep already has {@link MAX_EVIDENCE_OUTSTANDING} requests being answered. */
  BUSY: 'ERR_EVIDENCE_BUSY',
  /** The keep asked more than {@link MAX_EVIDENCE_PER_MINUTE} times in the last minute. */
  RATE: 'ERR_EVIDENCE_RATE',
  /** The platform failed to make evidence (its code is in the message). */
  FAILED: 'ERR_EVIDENCE_FAILED',
} as const;
/** One of the values of {@link EvidenceErrorCode}. */
export type EvidenceErrorCode = (typeof EvidenceErrorCode)[keyof typeof EvidenceErrorCode];

/** The keep's number for one request for evidence, repeated in the answer. */
const checkEvidenceId = int(0, 0x7fffffff);

/** host → keep: the evidence a keep asked for. */
export const checkEvidenceMessage = strictObject({ type: literal('evidence'), id: checkEvidenceId, evidence: checkEvidence });

/** host → keep: why there is no evidence for a keep's request. */
export const checkEvidenceErrorMessage = strictObject({
  type: literal('evidence-error'),
  id: checkEvidenceId,
  code: oneOf(...Object.values(EvidenceErrorCode)),
  message: checkErrorMessage,
});

/** keep → host: evidence over this report data, please. */
export const checkEvidenceRequest = strictObject({ type: literal('evidence-request'), id: checkEvidenceId, reportData: hex(64) });

/** Every message a host sends a keep. */
export const checkHostMessage = taggedUnion('type', {
  attest: checkAttestMessage,
  launch: checkLaunchMessage,
  package: checkPackageMessage,
  input: checkInputMessage,
  evidence: checkEvidenceMessage,
  'evidence-error': checkEvidenceErrorMessage,
});
/** A message from a host to a keep. */
export type HostMessage = Checked<typeof checkHostMessage>;
/** A launch message. */
export type LaunchMessage = Checked<typeof checkLaunchMessage>;

const checkFailureCode: Check<KeepFailureCode> = oneOf(...Object.values(KeepFailureCode));

/** Every message a keep sends its host. */
export const checkKeepMessage = taggedUnion('type', {
  'attestation-request': strictObject({
    type: literal('attestation-request'),
    reportData: hex(64),
    publicKey: string({ min: 2, max: 8192, pattern: /^(?:[0-9a-f]{2})+$/, patternMessage: 'must be lower-case hex' }),
    kem: checkKemName,
  }),
  started: strictObject({ type: literal('started') }),
  'input-wanted': strictObject({ type: literal('input-wanted') }),
  listening: strictObject({ type: literal('listening'), ports: array(checkBoundPort, MAX_SOCKETS) }),
  record: strictObject({ type: literal('record') }),
  failed: strictObject({ type: literal('failed'), code: checkFailureCode, message: checkErrorMessage }),
  'evidence-request': checkEvidenceRequest,
});
/** A message from a keep to its host. */
export type KeepMessage = Checked<typeof checkKeepMessage>;
/** The keep's request for evidence. */
export type AttestationRequest = Extract<KeepMessage, { type: 'attestation-request' }>;
/** A keep's request for evidence while it runs. */
export type EvidenceRequest = Extract<KeepMessage, { type: 'evidence-request' }>;
/** A host's answer to an {@link EvidenceRequest}. */
export type EvidenceReply = Extract<HostMessage, { type: 'evidence' | 'evidence-error' }>;
