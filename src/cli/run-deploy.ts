/**
 * `enarx run`'s deploy step (run.ts explains the whole start-up), in its own module and bundle
 * because it brings the X.509, HPKE, host and backend code: the local platform, the deploy
 * protocol against the embedded host, and the local trust decisions of `enarx run`.
 */
import type { SelectedBackend } from '../backend/select.js';
import { defaultStateDir } from '../backend/state-dir.js';
import { deploy } from '../client/deploy.js';
import type { DeployResult } from '../client/deploy.js';
import type { KeepTrustPolicy } from '../client/verify-keep.js';
import { openEmbeddedHost } from '../host/embedded.js';
import type { KeepProcess } from '../host/keep-process.js';
import type { BackendName } from '../protocol/names.js';
import type { OutputStreamName } from '../protocol/records.js';
import { trace } from '../trace.js';
import { CliError } from './errors.js';
import type { RunPlan } from './run-plan.js';
import { readStdin, stopReadingStdin, writeOutput } from './workload-io.js';
import { loadAcceptedRuntimes } from './workload-options.js';

/**
 * The local platform of an `enarx run`, started as soon as this module is loaded. An object, not
 * the promise itself: `deployCode.then(startLocalPlatform)` must not wait for the backend.
 */
export interface LocalPlatform {
  /** The default backend, selected and prepared (its keys loaded). */
  readonly backend: Promise<SelectedBackend>;
}

/**
 * Starts selecting and preparing the backend `name` (default: the first available), so that the
 * platform is ready when the keep attests. Never rejects by itself: a failure is reported by the
 * keep's creation.
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
  return { backend };
}

/**
 * Without `--backend`, a machine whose attested backends are all unavailable would leave only
 * `nil`: say why each was unavailable, rather than advise switching attestation off.
 */
function refuseFallbackToNil(backend: SelectedBackend, asked: BackendName | undefined): void {
  if (asked !== undefined || backend.name !== 'nil' || backend.skipped.length === 0) return;
  const why = backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new CliError(
    'ERR_BACKEND_UNAVAILABLE',
    `no attested backend is available here (${why}); only 'nil' (no attestation) is left: fix the above, or run without attestation with --backend nil`,
  );
}

/** What `enarx run` trusts: the runtimes accepted, and the local sim platform's own root. */
async function localTrust(plan: RunPlan, platform: LocalPlatform): Promise<KeepTrustPolicy> {
  const [accepted, backend] = await Promise.all([loadAcceptedRuntimes(plan.trust), platform.backend.catch(() => undefined)]);
  if (backend) refuseFallbackToNil(backend, plan.backend);
  const roots = backend?.name === 'sim' ? ((await backend.certificates?.())?.trustRoots ?? []) : [];
  trace('trust policy ready');
  return { sim: { roots }, insecureNil: plan.backend === 'nil', ...accepted };
}

/** The client's ends of the workload's streams (default: this process's stdin, stdout and stderr). */
export interface LocalIo {
  readonly input: () => AsyncIterable<Uint8Array>;
  readonly onOutput: (stream: OutputStreamName, data: Uint8Array) => void;
}

const PROCESS_IO: LocalIo = { input: readStdin, onOutput: writeOutput };

/**
 * Deploys the planned workload to the in-process host. The client and the platform are the same
 * machine and user here, so the local simulated platform's own root is trusted (a remote client
 * must opt in with `deploy --allow-sim`), and a `nil` keep is accepted only when asked for by name.
 */
export async function deployLocally(plan: RunPlan, spare: { process: KeepProcess; bundleDir: string }, platform = startLocalPlatform(plan.backend), io: LocalIo = PROCESS_IO): Promise<DeployResult> {
  // Known while the keep boots and attests: the platform's own roots are the sim roots trusted.
  const trust = localTrust(plan, platform);
  trust.catch(() => {});
  // The embedded host: the host agent's core in this process; keeps' diagnostics on our stderr.
  const host = await openEmbeddedHost({
    keepDiagnostics: 'inherit',
    ...(plan.backend ? { backend: plan.backend } : {}),
    spare: spare.process,
    bundleDir: spare.bundleDir,
    defaultBackend: platform.backend,
  });
  trace('embedded host open');
  try {
    return await deploy(host, plan.pkg, {
      trust,
      suite: plan.suite,
      ...(plan.backend ? { backend: plan.backend } : {}),
      limits: plan.limits,
      preopens: plan.preopens,
      ...(plan.wantsInput ? { input: io.input() } : {}),
      onOutput: io.onOutput,
    });
  } finally {
    // A read of this process's stdin still pending (none when `io` is not ours): stopped.
    stopReadingStdin();
    await host.close();
  }
}
