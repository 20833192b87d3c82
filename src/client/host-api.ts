/**
 * What a client needs from a host, whether the host is a remote agent over HTTP
 * (src/client/http-host.ts) or in this process (src/client/local-host.ts). The deploy protocol
 * (src/client/deploy.ts) runs against this interface only: one code path for both.
 */
import type { BackendName, Evidence } from '../backend/types.js';
import type { Limits } from '../runtime/limits.js';

/** A request for a new keep. */
export interface CreateKeepRequest {
  readonly nonce: Uint8Array;
  readonly kem: 'x25519' | 'x-wing';
  readonly backend?: BackendName;
  readonly limits?: Partial<Limits>;
  /** Host directories lent to the workload: only an in-process host honours this. */
  readonly preopens?: readonly { host: string; guest: string }[];
}

/** A keep the host created, with what the client must verify. */
export interface CreatedKeep {
  readonly id: string;
  readonly backend: BackendName;
  readonly publicKey: Uint8Array;
  readonly evidence: Evidence;
}

/** What a running keep reports: output and, last, how it ended. */
export type KeepOutput =
  | { readonly type: 'stdout'; readonly data: Uint8Array }
  | { readonly type: 'stderr'; readonly data: Uint8Array }
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'trap'; readonly trap: string; readonly func?: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** A host, local or remote. */
export interface HostApi {
  createKeep(req: CreateKeepRequest): Promise<CreatedKeep>;
  /** Streams the sealed package (opaque bytes) to the keep. */
  deliverPackage(id: string, sealed: AsyncIterable<Uint8Array>): Promise<void>;
  /** The keep's output and outcome, from the beginning; ends after the outcome. */
  events(id: string): AsyncIterable<KeepOutput>;
  killKeep(id: string): Promise<void>;
}
