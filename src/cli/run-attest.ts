/**
 * `enarx run`'s deploy step, in its own module (and bundle) because it brings the X.509, HPKE,
 * host and backend code: the deploy protocol against the embedded host, with the local trust
 * decisions of `enarx run`.
 */
import { deploy } from '../client/deploy.js';
import { trace } from '../client/trace.js';
import type { DeployResult } from '../client/deploy.js';
import { openEmbeddedHost } from '../client/embedded-host.js';
import { KnownCertificates } from '../client/known-certificates.js';
import { loadReferenceValues } from '../runtime/reference-values.js';
import type { KeepProcess } from '../host/keep-process.js';
import type { RunPlan } from './run.js';
import type { Backend, BackendName } from '../backend/types.js';
import { defaultStateDir } from '../backend/state-dir.js';

/** The local platform of an `enarx run`, started as soon as this module is loaded. */
export interface LocalPlatform {
  /** The default backend, selected and prepared (its keys loaded). */
  readonly backend: Promise<Backend>;
  /** Its certificate chain, parsed and checked by the client while the keep boots. */
  readonly known: KnownCertificates;
}

/**
 * Starts selecting and preparing the backend `name` (default: the first available), and then
 * has the client learn the certificates its evidence will carry (known-certificates.ts), so that
 * the platform is ready, and verifying its evidence finds the X.509 work done, when the keep
 * attests. Never rejects by itself: a failure is reported by the keep's creation.
 */
export function startLocalPlatform(name: BackendName | undefined): LocalPlatform {
  const backend = import('../backend/select.js')
    .then(({ selectBackend }) => selectBackend(name, { stateDir: defaultStateDir() }))
    .then(async (b) => {
      await b.prepare?.();
      trace('local platform ready');
      return b;
    });
  backend.catch(() => {});
  const known = new KnownCertificates();
  void backend
    .then((b) => b.certificates?.())
    .then((c) => (c ? known.learn([...c.certs, ...(c.trustRoots ?? [])]) : undefined))
    .then(() => trace('platform certificates known'), () => {});
  return { backend, known };
}

/**
 * Deploys the planned workload to the in-process host. The client and the platform are the same
 * machine and user here, so the local simulated platform's root is trusted (a remote client must
 * opt in with `deploy --allow-sim`), and a `nil` keep is accepted only when asked for by name.
 */
export async function deployLocally(plan: RunPlan, spare: { process: KeepProcess; bundleDir: string }, platform = startLocalPlatform(plan.backend)): Promise<DeployResult> {
  const referenceValues = await (plan.trust.referenceValues === undefined ? loadReferenceValues() : loadReferenceValues(plan.trust.referenceValues));
  trace('reference values loaded');
  // The embedded host: the host agent's core in this process, its keeps sharing this terminal.
  const host = await openEmbeddedHost({
    stdio: 'inherit',
    ...(plan.backend ? { backend: plan.backend } : {}),
    spare: spare.process,
    bundleDir: spare.bundleDir,
    defaultBackend: platform.backend,
  });
  trace('embedded host open');
  const known = platform.known;
  let simRoots: readonly Uint8Array[] = [];
  try {
    return await deploy(
      {
        // Trust the sim root that the local platform itself presents.
        createKeep: async (req) => {
          const k = await host.createKeep(req);
          simRoots = k.evidence.backend === 'sim' ? (k.evidence.trustRoots ?? []) : [];
          return k;
        },
        deliverPackage: (id, sealed) => host.deliverPackage(id, sealed),
        events: (id) => host.events(id),
        killKeep: (id) => host.killKeep(id),
      },
      plan.pkg,
      {
        trust: {
          allowSim: true,
          get simRoots() {
            return simRoots;
          },
          insecureNil: plan.backend === 'nil',
          known,
          referenceValues,
          measurements: plan.trust.measurements,
        },
        suite: plan.suite,
        ...(plan.backend ? { backend: plan.backend } : {}),
        limits: plan.limits,
        preopens: plan.preopens,
      },
    );
  } finally {
    await host.close();
  }
}
