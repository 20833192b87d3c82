/**
 * The wire contract, in one place: what client, host and keep say to each other, and how each
 * checks what it receives. Explicit exports only.
 */
export { FrameDecoder, FrameError, MAX_FRAME_BYTES, encodeFrame } from './frames.js';
export type { Frame } from './frames.js';
export { checkAttestMessage, checkHostMessage, checkInputMessage, checkKeepMessage, checkLaunchMessage, checkPackageMessage } from './control.js';
export type { AttestationRequest, HostMessage, KeepMessage, LaunchMessage } from './control.js';
export { HTTP_ERROR_STATUS, HttpErrorCode, KeepFailureCode, cutMessage, isHttpErrorCode, isKeepFailureCode } from './errors.js';
export { b64, checkEvidence, encodeEvidence } from './evidence.js';
export type { Evidence } from './evidence.js';
export {
  MAX_JSON_REQUEST_BYTES,
  MAX_JSON_RESPONSE_BYTES,
  SEALED_INPUT_MEDIA_TYPE,
  SEALED_PACKAGE_MEDIA_TYPE,
  checkCreateKeepRequest,
  checkCreatedKeep,
  checkKeepInfo,
  checkKeepList,
  decodeStreamEvent,
  encodeCreateKeepRequest,
  encodeCreatedKeep,
  encodeKeepInfo,
  encodeStreamEvent,
} from './http.js';
export type { CreateKeepRequest, CreatedKeep, KeepInfo, KeepStreamEvent } from './http.js';
export type { HostApi, KeepEventsOptions } from './host-api.js';
export { DEFAULT_LIMITS, checkLimits, resolveLimits } from './limits.js';
export type { Limits } from './limits.js';
export { BACKEND_NAMES, DEFAULT_KEM, KEM_NAMES, KEEP_STATES, LIVE_STATES, TERMINAL_STATES, isBackendName, isKemName, isKeepId, isTerminal } from './names.js';
export type { BackendName, EvidenceFormat, FdKind, KemName, KeepState, StdioStream } from './names.js';
export { checkOutcome, decodeOutcome } from './outcome.js';
export type { Outcome } from './outcome.js';
export { MAX_RECORD_BYTES, MAX_RECORD_PLAINTEXT, RecordKind, RecordSplitter, decodeSegments, readRecordHeader } from './records.js';
export type { OutputSegment, RecordHeader } from './records.js';
export { ValidationError, validate } from './validate.js';
export type { Check, Checked } from './validate.js';
