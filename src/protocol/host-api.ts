/**
 * What a client needs from a host, whether a remote agent over HTTP (client/http-host.ts) or the
 * agent's core in the client's own process (host/embedded.ts). The deploy protocol
 * (client/deploy.ts) runs against this interface only: one code path for both.
 */
import type { CreateKeepRequest, CreatedKeep, KeepInfo, KeepStreamEvent } from './http.js';

/** Options of {@link HostApi.events}. */
export interface KeepEventsOptions {
  /** Start after this host sequence number (an SSE `Last-Event-ID`). Default 0: from the start. */
  readonly after?: number;
  /** Stops the stream. */
  readonly signal?: AbortSignal;
}

/** A host, local or remote. Every answer is untrusted: only what the client verifies counts. */
export interface HostApi {
  /** Creates and attests a keep. */
  createKeep(req: CreateKeepRequest): Promise<CreatedKeep>;
  /**
   * Streams the sealed package (opaque bytes) to the keep; resolves once the keep has it all. Its
   * pieces are handed over: the caller never touches one again once it is yielded (a host may
   * free each as soon as it has passed it on: host/keep-process.ts).
   */
  deliverPackage(id: string, sealed: AsyncIterable<Uint8Array>): Promise<void>;
  /** Streams sealed input records to the keep, until `records` ends or `signal` aborts. */
  sendInput(id: string, records: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
  /** The keep's stream: sealed records and the host's own events, from the start; ends with the keep. */
  events(id: string, opts?: KeepEventsOptions): AsyncIterable<KeepStreamEvent>;
  /** One keep's info. */
  getKeep(id: string): Promise<KeepInfo>;
  /** This tenant's keeps. */
  listKeeps(): Promise<KeepInfo[]>;
  /** Kills a live keep (or forgets an ended one); its info as of then. */
  killKeep(id: string): Promise<KeepInfo>;
}
