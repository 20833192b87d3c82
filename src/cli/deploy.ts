/**
 * `enarx deploy [options] PACKAGE [ARGS...]`: deploy a workload into an attested keep on a host
 * (`--host URL`) or on the embedded host, verify the keep before anything secret is sent, seal
 * the package to it, stream its output, exit with its exit code.
 */
import { keepKeysDir, saveKeepKeys } from '../client/keep-keys.js';
import { DEFAULT_SUITE, findSuite } from '../crypto/suites.js';
import type { HostApi } from '../protocol/host-api.js';
import { isBackendName } from '../protocol/names.js';
import type { BackendName } from '../protocol/names.js';
import { optionValue, optionValues, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { usageError } from './errors.js';
import { readStdin, reportOutcome, stopReadingStdin, withClientStdio, writeOutput } from './workload-io.js';
import { PACKAGE_REF_OPTIONS, resolveWorkloadPath, withProvenance } from './package-ref.js';
import { loadStewardTrust, loadTrustPolicy, TRUST_OPTIONS, trustArgs } from './trust-options.js';
import { WORKLOAD_OPTIONS, limitsFrom, parseEnv } from './workload-options.js';

const SPECS: OptionSpecs = {
  ...WORKLOAD_OPTIONS,
  ...TRUST_OPTIONS,
  ...PACKAGE_REF_OPTIONS,
  host: { value: true },
  token: { value: true },
  'insecure-nil': { value: false },
  'forget-keys': { value: false },
};

const USAGE = `usage: enarx deploy [options] PACKAGE [ARGS...]

Deploys PACKAGE (a .wasm file, a directory with main.wasm, an optional Enarx.toml and other
files the workload sees under /, or a package reference: oci://HOST/REPO[:TAG|@sha256:…], or
NAME[:TAG] in the local store) into a keep, after verifying the keep's evidence. The package
is sealed (HPKE) to a key that exists only inside that keep; the host never sees it.

options:
  --host URL             a host agent (enarx host serve); default: an embedded host in this process
  --token T              the tenant's bearer token (default: $ENARX_TOKEN)
  --backend NAME         snp, tdx, sim or nil (default: the host's choice)
  --allow-sim            accept keeps on the simulated SEV-SNP platform (development only)
  --trust-root FILE      with --allow-sim: the only sim ARK(s) to trust (PEM/DER); without it,
                         the root the host presents is accepted
  --insecure-nil         accept keeps without any evidence (no attestation at all)
  --steward URL          delegate the appraisal to this steward (its EAR token decides; the
                         runtimes it knows replace --reference-values); needs --steward-jwks
  --steward-jwks FILE    the steward's keys (its /.well-known/jwks.json, saved beforehand)
  --reference-values FILE  the runtimes accepted (default: this installation's)
  --measurement HEX      accept this runtime measurement (repeatable); with or without
                         --reference-values, replaces the installation's: a keep whose
                         measurement is not given gets nothing
  --forget-keys          with --host: do not keep the keys that let 'enarx keep logs' read
                         this keep's output (kept by default, 0600, in
                         ~/.local/share/enarx/keep-keys/KEEP_ID.json)
  --kem NAME             x25519 (default) or x-wing (post-quantum hybrid)
  --verify-key PUB.pem   with a package reference: refuse it unless one of these keys signed it
                         (repeatable; checked before anything is pulled or sent)
  --registry-ca FILE     CA bundle for the registry's HTTPS; --plain-http: plain HTTP off loopback
  --env KEY=VALUE        extra environment for the workload (repeatable)
  --max-memory SIZE, --timeout DURATION, --max-output SIZE   limits, as for enarx run
  --json                 errors as JSON on stderr
The workload's stdin is this process's, sealed to the keep; its stdout and stderr come back
sealed, and are shown only once they authenticate.
exit status: the workload's exit code; 134 on a trap; 124 on timeout; 137 when the host killed
the keep; 1 on errors (ERR_RECORD_* when the host altered the keep's stream).
`;

/** Entry point of `enarx deploy`. */
export async function deployMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SPECS, { stopAtPositional: true });
  if (args.flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [path, ...workloadArgs] = args.positionals;
  if (path === undefined) throw usageError('missing PACKAGE; see enarx deploy --help');
  const json = args.flags.has('json');
  const verbose = args.flags.has('verbose');
  const backend = optionValue(args, 'backend');
  if (backend !== undefined && !isBackendName(backend)) throw usageError(`--backend '${backend}': expected snp, tdx, sim or nil`);
  const trusted = trustArgs(args);
  const env: Record<string, string> = {};
  for (const e of optionValues(args, 'env')) {
    const [k, v] = parseEnv(e);
    env[k] = v;
  }
  const limits = limitsFrom(args);
  const suite = findSuite(optionValue(args, 'kem') ?? DEFAULT_SUITE.name);
  if (!suite) throw usageError(`--kem: expected x25519 or x-wing`);

  const [{ buildPackage }, { deploy }] = await Promise.all([import('../client/package-builder.js'), import('../client/deploy.js')]);
  const workload = await resolveWorkloadPath(path, args);
  const built = await buildPackage(workload.path, { args: workloadArgs, env }).finally(() => workload.resolved?.cleanup());
  const { pkg, wantsInput } = withClientStdio(withProvenance(built, workload.resolved));
  const [trust, steward] = await Promise.all([loadTrustPolicy(trusted), loadStewardTrust(args, trusted.allowSim)]);
  const url = optionValue(args, 'host');
  const { host, close } = await openHost(url, optionValue(args, 'token') ?? process.env['ENARX_TOKEN'], backend);
  const keysDir = keepKeysDir();
  let detach: (() => void) | undefined;
  try {
    const result = await deploy(host, pkg, {
      // Interrupted, a remote deploy leaves its keep running: say how to find it again.
      ...(url !== undefined ? { onAccepted: (id: string) => (detach = onInterrupt(id, url)) } : {}),
      trust,
      ...(steward ? { steward } : {}),
      suite,
      ...(backend ? { backend } : {}),
      limits,
      ...(wantsInput ? { input: readStdin() } : {}),
      onOutput: writeOutput,
      // A remote keep's output keys stay with this user, so that `enarx keep logs` can read it.
      ...(url !== undefined && !args.flags.has('forget-keys') ? { onSession: (id, keys) => void saveKeepKeys(keysDir, id, url, keys.output) } : {}),
    });
    return reportOutcome(result.outcome, { json, verbose });
  } finally {
    stopReadingStdin();
    detach?.();
    await close();
  }
}

/** On Ctrl-C: tells the user the keep goes on, and how to follow or stop it. Returns the undo. */
function onInterrupt(keepId: string, url: string): () => void {
  const handler = (): void => {
    process.stderr.write(`\nenarx: detached from keep ${keepId}, which keeps running on ${url}: 'enarx keep logs ${keepId}' follows it, 'enarx keep kill ${keepId}' stops it\n`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}

/** The host to deploy to: a remote agent (`--host`), or an embedded one in this process. */
async function openHost(url: string | undefined, token: string | undefined, backend: BackendName | undefined): Promise<{ host: HostApi; close: () => Promise<void> }> {
  if (url) {
    const { HttpHost } = await import('../client/http-host.js');
    return { host: new HttpHost(url, token), close: async () => {} };
  }
  const { openEmbeddedHost } = await import('../host/embedded.js');
  const embedded = await openEmbeddedHost(backend ? { backend } : {});
  return { host: embedded, close: () => embedded.close() };
}
