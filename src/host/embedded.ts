/**
 * The embedded host: the host agent's core (host.ts) in the client's own process, with its state
 * in memory. `enarx deploy` without `--host` and `enarx run` talk to it through the same HostApi,
 * and so the same deploy protocol and the same sealed records, as to a remote agent.
 */
import type { Backend } from '../backend/types.js';
import type { HostApi } from '../protocol/host-api.js';
import type { BackendName } from '../protocol/names.js';
import { Host } from './host.js';
import type { KeepProcess } from './keep-process.js';

const TENANT = 'local';

/** An embedded host; `close()` kills its keeps. */
export interface EmbeddedHost extends HostApi {
  close(): Promise<void>;
}

/** Options of {@link openEmbeddedHost}. */
export interface EmbeddedHostOptions {
  /** `inherit`: the keeps' diagnostics (not workload data) go to this process's stderr. */
  readonly keepDiagnostics?: 'inherit' | 'ignore';
  readonly backend?: BackendName;
  /** The sim platform's state directory (default: the user's). */
  readonly backendStateDir?: string;
  /** A keep process already started from `bundleDir`, used for the first keep (see Host.open). */
  readonly spare?: KeepProcess;
  readonly bundleDir?: string;
  /** The default backend, already being selected and prepared (see HostOptions.defaultBackend). */
  readonly defaultBackend?: Promise<Backend>;
}

/** Opens an embedded host. */
export async function openEmbeddedHost(opts: EmbeddedHostOptions = {}): Promise<EmbeddedHost> {
  const host = await Host.open({
    keepDiagnostics: opts.keepDiagnostics ?? 'ignore',
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.backendStateDir ? { backendStateDir: opts.backendStateDir } : {}),
    ...(opts.spare ? { spare: opts.spare } : {}),
    ...(opts.bundleDir ? { bundleDir: opts.bundleDir } : {}),
    ...(opts.defaultBackend ? { defaultBackend: opts.defaultBackend } : {}),
  });
  return {
    createKeep: (req) => host.createKeep(TENANT, req),
    deliverPackage: (id, sealed) => host.deliverPackage(TENANT, id, sealed),
    sendInput: async (id, records) => {
      await host.sendInput(TENANT, id, records);
    },
    events: (id, o) => host.events(TENANT, id, o),
    getKeep: async (id) => host.getKeep(TENANT, id),
    listKeeps: async () => host.listKeeps(TENANT),
    killKeep: (id) => host.killKeep(TENANT, id),
    close: () => host.close(),
  };
}
