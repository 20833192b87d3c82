/**
 * The host agent's HTTP API (v1): its routes, and for each the JSON it takes and gives, encoded
 * and checked here once. The agent (host/http.ts) validates requests with these checks and
 * encodes its answers with these encoders; the client (client/http-host.ts) encodes its
 * requests and validates the answers with the same pair, so both are typed from one definition.
 * Every body is bounded; bytes travel as padded base64, times as ISO-8601.
 *
 * | route          | method | path                    | request                 | answer                      |
 * |----------------|--------|-------------------------|-------------------------|-----------------------------|
 * | health         | GET    | /v1/health              | — (no authentication)   | 200 {ok, backends}          |
 * | createKeep     | POST   | /v1/keeps               | {nonce, kem?, backend?, limits?} | 201 created keep   |
 * | listKeeps      | GET    | /v1/keeps               | —                       | 200 {keeps: [info]}         |
 * | getKeep        | GET    | /v1/keeps/{id}          | —                       | 200 info                    |
 * | deliverPackage | PUT    | /v1/keeps/{id}/package  | the sealed package      | 202 {id, state}             |
 * | sendInput      | PUT    | /v1/keeps/{id}/input    | sealed input records    | 200 {id, records, bytes}    |
 * | events         | GET    | /v1/keeps/{id}/events   | — (Last-Event-ID)       | 200 text/event-stream: record, state, input-wanted, error, dropped |
 * | killKeep       | DELETE | /v1/keeps/{id}          | —                       | 200 info                    |
 *
 * Errors: `{ "error": { "code", "message" } }` with the status of errors.ts.
 */
import { checkBoundPort, MAX_SOCKETS } from './sockets.js';
import type { BoundPort } from './sockets.js';
import { checkErrorCode, checkErrorMessage } from './errors.js';
import { checkEvidence, encodeEvidence, b64 } from './evidence.js';
import type { Evidence } from './evidence.js';
import { checkLimitsRequest } from './limits.js';
import type { Limits } from './limits.js';
import { checkBackendName, checkKemName, checkKeepId, checkKeepState } from './names.js';
import type { BackendName, KemName, KeepState } from './names.js';
import { MAX_RECORD_BYTES } from './records.js';
import { array, base64Bytes, boolean, hexBytes, int, isoDate, literal, optional, strictObject } from './validate.js';
import type { Check } from './validate.js';

/** Largest JSON body in either direction: 64 KiB for a request, 16 MiB for a keep list. */
export const MAX_JSON_REQUEST_BYTES = 64 * 1024;
export const MAX_JSON_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Media type of a sealed package body. */
export const SEALED_PACKAGE_MEDIA_TYPE = 'application/vnd.enarx.sealed-package';
/** Media type of a stream of sealed input records. */
export const SEALED_INPUT_MEDIA_TYPE = 'application/vnd.enarx.sealed-input';

/** The routes: method, path (`:id` is a keep id), and the status of success. */
export const ROUTES = Object.freeze({
  health: { method: 'GET', path: '/v1/health', status: 200 },
  createKeep: { method: 'POST', path: '/v1/keeps', status: 201 },
  listKeeps: { method: 'GET', path: '/v1/keeps', status: 200 },
  getKeep: { method: 'GET', path: '/v1/keeps/:id', status: 200 },
  deliverPackage: { method: 'PUT', path: '/v1/keeps/:id/package', status: 202 },
  sendInput: { method: 'PUT', path: '/v1/keeps/:id/input', status: 200 },
  events: { method: 'GET', path: '/v1/keeps/:id/events', status: 200 },
  killKeep: { method: 'DELETE', path: '/v1/keeps/:id', status: 200 },
} as const);
/** A route. */
export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** The path of `route` for keep `id`. */
export function routePath(route: Route, id?: string): string {
  return id === undefined ? route.path : route.path.replace(':id', encodeURIComponent(id));
}

/** What a client asks for when creating a keep. */
export interface CreateKeepRequest {
  /** The client's fresh 32-byte nonce. */
  readonly nonce: Uint8Array;
  /** The HPKE suite of the keep's key. Default `x25519`. */
  readonly kem?: KemName;
  /** Default: the host's. */
  readonly backend?: BackendName;
  /** Merged over the default limits. */
  readonly limits?: Partial<Limits>;
  /**
   * Host folders the keep may open. Only an in-process host on the client's own machine honours
   * this (`enarx run --dir`); it has no JSON form, and the HTTP API never accepts it.
   */
  readonly preopens?: readonly { readonly host: string; readonly guest: string }[];
}

/** `POST /v1/keeps` body. */
export const checkCreateKeepRequest: Check<CreateKeepRequest> = strictObject({
  nonce: hexBytes(32),
  kem: optional(checkKemName),
  backend: optional(checkBackendName),
  limits: optional(checkLimitsRequest),
});

/** The JSON of a create request. */
export function encodeCreateKeepRequest(r: CreateKeepRequest): Record<string, unknown> {
  return {
    nonce: Buffer.from(r.nonce).toString('hex'),
    ...(r.kem === undefined ? {} : { kem: r.kem }),
    ...(r.backend === undefined ? {} : { backend: r.backend }),
    ...(r.limits === undefined ? {} : { limits: { ...r.limits } }),
  };
}

/** A created, attested keep, waiting for its package: what the client must verify. */
export interface CreatedKeep {
  readonly id: string;
  readonly backend: BackendName;
  readonly kem: KemName;
  /** The keep's HPKE public key. */
  readonly publicKey: Uint8Array;
  readonly evidence: Evidence;
  readonly state: 'attested';
  /** When the keep is killed unless it has its whole package. */
  readonly expiresAt: Date;
}

/** `201` answer to `POST /v1/keeps`. */
export const checkCreatedKeep: Check<CreatedKeep> = strictObject({
  id: checkKeepId,
  backend: checkBackendName,
  kem: checkKemName,
  publicKey: base64Bytes(8192),
  evidence: checkEvidence,
  state: literal('attested'),
  expiresAt: isoDate,
});

/** The JSON of a created keep. */
export function encodeCreatedKeep(k: CreatedKeep): Record<string, unknown> {
  return { id: k.id, backend: k.backend, kem: k.kem, publicKey: b64(k.publicKey), evidence: encodeEvidence(k.evidence), state: k.state, expiresAt: k.expiresAt.toISOString() };
}

/** What a host knows about a keep (never how its workload ended: that is sealed). */
export interface KeepInfo {
  readonly id: string;
  readonly backend: BackendName;
  readonly kem: KemName;
  readonly state: KeepState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** While `attested`: when the keep is killed unless it has its whole package. */
  readonly expiresAt?: Date;
  /** Why it failed, in the host's words (not authenticated). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Bytes of sealed package received. */
  readonly packageBytes?: number;
  /** Sealed records (and their bytes) the keep sent: output and outcome. */
  readonly output?: { readonly records: number; readonly bytes: number };
  /** While it runs: the addresses its listen sockets are bound to, as the keep reported them. */
  readonly ports?: readonly BoundPort[];
}

const count = int(0, Number.MAX_SAFE_INTEGER);

/** A keep's info. */
export const checkKeepInfo: Check<KeepInfo> = strictObject({
  id: checkKeepId,
  backend: checkBackendName,
  kem: checkKemName,
  state: checkKeepState,
  createdAt: isoDate,
  updatedAt: isoDate,
  expiresAt: optional(isoDate),
  error: optional(strictObject({ code: checkErrorCode, message: checkErrorMessage })),
  packageBytes: optional(count),
  output: optional(strictObject({ records: count, bytes: count })),
  ports: optional(array(checkBoundPort, MAX_SOCKETS)),
});

/** The JSON of a keep's info. */
export function encodeKeepInfo(k: KeepInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { id: k.id, backend: k.backend, kem: k.kem, state: k.state, createdAt: k.createdAt.toISOString(), updatedAt: k.updatedAt.toISOString() };
  if (k.expiresAt !== undefined) out['expiresAt'] = k.expiresAt.toISOString();
  if (k.error !== undefined) out['error'] = { code: k.error.code, message: k.error.message };
  if (k.packageBytes !== undefined) out['packageBytes'] = k.packageBytes;
  if (k.output !== undefined) out['output'] = { records: k.output.records, bytes: k.output.bytes };
  if (k.ports !== undefined) out['ports'] = k.ports.map((p) => ({ address: p.address, port: p.port }));
  return out;
}

/** `GET /v1/keeps` answer. */
export const checkKeepList: Check<{ keeps: KeepInfo[] }> = strictObject({ keeps: array(checkKeepInfo, 100_000) });

/** `GET /v1/health` answer. */
export const checkHealth = strictObject({ ok: boolean, backends: array(checkBackendName, 8) });

/** `202` answer to a package upload. */
export const checkDelivery = strictObject({ id: checkKeepId, state: checkKeepState });

/** Answer to an input stream: how much the host forwarded. */
export const checkInputSummary = strictObject({ id: checkKeepId, records: count, bytes: count });

/** An error answer. */
export const checkErrorBody = strictObject({ error: strictObject({ code: checkErrorCode, message: checkErrorMessage }) });

/**
 * One event of a keep's stream: a sealed record (opaque to the host), a state change, a failure
 * in the host's words, or records the host no longer holds. `seq` is the host's own numbering,
 * for resuming (`Last-Event-ID`).
 */
export type KeepStreamEvent =
  | { readonly type: 'record'; readonly seq: number; readonly record: Uint8Array }
  | { readonly type: 'state'; readonly seq: number; readonly state: KeepState }
  /** The workload first asked for stdin: a client streams it from then on (not before). */
  | { readonly type: 'input-wanted'; readonly seq: number }
  | { readonly type: 'error'; readonly seq: number; readonly code: string; readonly message: string }
  /** The reader missed `records` records of `bytes` bytes: the host no longer holds them. */
  | { readonly type: 'dropped'; readonly records: number; readonly bytes: number };

/** SSE event names, one per stream event type. */
export const STREAM_EVENTS = ['record', 'state', 'input-wanted', 'error', 'dropped'] as const;

const checkStateData = strictObject({ state: checkKeepState });
const checkErrorData = strictObject({ code: checkErrorCode, message: checkErrorMessage });
const checkDroppedData = strictObject({ records: count, bytes: count });
const checkRecordData = base64Bytes(MAX_RECORD_BYTES);

/** The SSE message of one stream event. */
export function encodeStreamEvent(e: KeepStreamEvent): { event: string; data: string; id?: string } {
  switch (e.type) {
    case 'record':
      return { event: 'record', data: b64(e.record), id: String(e.seq) };
    case 'state':
      return { event: 'state', data: JSON.stringify({ state: e.state }), id: String(e.seq) };
    case 'input-wanted':
      return { event: 'input-wanted', data: '{}', id: String(e.seq) };
    case 'error':
      return { event: 'error', data: JSON.stringify({ code: e.code, message: e.message }), id: String(e.seq) };
    case 'dropped':
      return { event: 'dropped', data: JSON.stringify({ records: e.records, bytes: e.bytes }) };
  }
}

/**
 * Decodes one SSE message. Undefined for an event type this version does not know (a newer host
 * may add some). @throws ValidationError when a known event is malformed
 */
export function decodeStreamEvent(event: string, data: string, id: string | undefined): KeepStreamEvent | undefined {
  const seq = id === undefined || !/^\d{1,15}$/.test(id) ? 0 : Number(id);
  switch (event) {
    case 'record':
      return { type: 'record', seq, record: checkRecordData(data, 'record') };
    case 'state':
      return { type: 'state', seq, state: checkStateData(parseJson(data), 'state').state };
    case 'input-wanted':
      return { type: 'input-wanted', seq };
    case 'error':
      return { type: 'error', seq, ...checkErrorData(parseJson(data), 'error') };
    case 'dropped':
      return { type: 'dropped', ...checkDroppedData(parseJson(data), 'dropped') };
    default:
      return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
