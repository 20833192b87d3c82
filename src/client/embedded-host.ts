/**
 * The embedded default host: the host agent's core (src/host/host.ts), in this process, with an
 * in-memory database. `enarx deploy` without `--host` and `enarx run` talk to it through the
 * same HostApi, and so the same deploy protocol, as to a remote agent.
 */
import type { Backend, BackendName } from '../backend/types.js';
import { Host } from '../host/host.js';
import type { KeepProcess } from '../host/keep-process.js';
import type { HostApi, KeepOutput } from './host-api.js';

const TENANT = 'local';

/** An embedded host; `close()` kills its keeps. */
export interface EmbeddedHost extends HostApi {
  close(): Promise<void>;
}

/** Options of {@link openEmbeddedHost}. */
export interface EmbeddedHostOptions {
  /** `inherit`: keeps write straight to this process's stdout/stderr (byte-exact, no copies). */
  readonly stdio: 'inherit' | 'pipe';
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
export async function openEmbeddedHost(opts: EmbeddedHostOptions): Promise<EmbeddedHost> {
  const host = await Host.open({
    stdio: opts.stdio,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.backendStateDir ? { backendStateDir: opts.backendStateDir } : {}),
    ...(opts.spare ? { spare: opts.spare } : {}),
    ...(opts.bundleDir ? { bundleDir: opts.bundleDir } : {}),
    ...(opts.defaultBackend ? { defaultBackend: opts.defaultBackend } : {}),
  });
  return {
    createKeep: (req) => host.createKeep(TENANT, req),
    deliverPackage: (id, sealed) => host.deliverPackage(TENANT, id, sealed),
    async *events(id): AsyncGenerator<KeepOutput> {
      for await (const e of host.events(TENANT, id)) {
        if (e.type === 'stdout' || e.type === 'stderr') yield { type: e.type, data: e.data };
        else if (e.type === 'exit') return yield { type: 'exit', code: e.code };
        else if (e.type === 'trap') return yield e.func === undefined ? { type: 'trap', trap: e.trap } : { type: 'trap', trap: e.trap, func: e.func };
        else if (e.type === 'error') return yield { type: 'error', code: e.code, message: e.message };
      }
    },
    killKeep: async (id) => {
      await host.killKeep(TENANT, id);
    },
    close: () => host.close(),
  };
}
