/**
 * The runtime's error codes: why a keep refused or stopped a workload. They reach the client
 * inside the sealed outcome (`{ type: "error", code, message }`), never the host.
 */
import { CodedError } from '../errors.js';

/** Codes of {@link RuntimeError}. */
export const RuntimeErrorCode = {
  /** The module is not valid WebAssembly (or its memory section cannot be capped). */
  MODULE_INVALID: 'ERR_MODULE_INVALID',
  /** It imports something a keep does not provide, or a WASI function with the wrong type. */
  MODULE_IMPORT: 'ERR_MODULE_IMPORT',
  /** It is not a WASI command (no `_start`, or one of the wrong type). */
  MODULE_NO_START: 'ERR_MODULE_NO_START',
  /** It does not export its memory. */
  MODULE_NO_MEMORY: 'ERR_MODULE_NO_MEMORY',
  /** It needs more memory to start than the limit allows. */
  MEMORY_LIMIT: 'ERR_MEMORY_LIMIT',
  /** It wrote more than the output limit. */
  OUTPUT_LIMIT: 'ERR_OUTPUT_LIMIT',
  /** It ran longer than the time limit. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** Instantiation failed (a start function's trap is a trap, not this). */
  LINK: 'ERR_LINK',
  /** A host directory lent to it cannot be opened. */
  DIR: 'ERR_DIR',
  /** The package (authenticated, but still checked) is malformed or its files cannot be placed. */
  PACKAGE: 'ERR_PACKAGE',
  /** A listen socket's port is below 1024 and the keep may not bind it. */
  PORT_PRIVILEGED: 'ERR_PORT_PRIVILEGED',
  /** A listen socket's address and port are taken. */
  PORT_IN_USE: 'ERR_PORT_IN_USE',
  /** A listen socket's address is not one of this machine's. */
  ADDRESS_UNAVAILABLE: 'ERR_ADDRESS_UNAVAILABLE',
  /** A connect socket's host name does not resolve. */
  HOST_NOT_FOUND: 'ERR_HOST_NOT_FOUND',
  /** A connect socket could not connect (refused, unreachable, timed out). */
  CONNECT: 'ERR_CONNECT',
  /** A connect socket's TLS handshake failed (the server's certificate did not verify, or no common parameters). */
  TLS_HANDSHAKE: 'ERR_TLS_HANDSHAKE',
  /** The steward refused to certify the keep (its code and message follow), so it serves nothing. */
  STEWARD_REFUSED: 'ERR_STEWARD_REFUSED',
  /** The steward could not be reached, or answered with something that is not a certificate. */
  STEWARD_UNREACHABLE: 'ERR_STEWARD_UNREACHABLE',
  /** The keep itself failed. */
  INTERNAL: 'ERR_INTERNAL',
} as const;
/** One of {@link RuntimeErrorCode}. */
export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

/** A workload the runtime refuses or stops. */
export class RuntimeError extends CodedError<RuntimeErrorCode> {
  override readonly name: string = 'RuntimeError';
}
