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
 *
 * `failed` is a keep's plain-text report of a failure before its session with the client exists
 * (the package did not open): the host may read it, so it says nothing of the workload. Once the
 * session exists, everything the keep says about its workload is a sealed record.
 */
import { checkErrorMessage, KeepFailureCode } from './errors.js';
import { checkLimits } from './limits.js';
import { checkKemName, checkKeepId } from './names.js';
import { checkBoundPort, MAX_SOCKETS } from './sockets.js';
import { array, boolean, hex, literal, oneOf, string, strictObject, taggedUnion } from './validate.js';
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

/** Every message a host sends a keep. */
export const checkHostMessage = taggedUnion('type', {
  attest: checkAttestMessage,
  launch: checkLaunchMessage,
  package: checkPackageMessage,
  input: checkInputMessage,
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
});
/** A message from a keep to its host. */
export type KeepMessage = Checked<typeof checkKeepMessage>;
/** The keep's request for evidence. */
export type AttestationRequest = Extract<KeepMessage, { type: 'attestation-request' }>;
