/**
 * `enarx deploy [options] PACKAGE [ARGS...]`: deploy a workload into an attested keep on a host
 * (`--host URL`) or on the embedded host, verify the keep before anything secret is sent, seal
 * the package to it, stream its output, exit with its exit code.
 */
import { readFile } from 'node:fs/promises';
import { isBackendName } from '../backend/types.js';
import { optionValue, optionValues, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { CliError, reportError, usageError } from './errors.js';
import { WORKLOAD_OPTIONS, limitsFrom, parseEnv } from './workload-options.js';

const SPECS: OptionSpecs = {
  ...WORKLOAD_OPTIONS,
  host: { value: true },
  token: { value: true },
  'allow-sim': { value: false },
  'insecure-nil': { value: false },
  'trust-root': { value: true, multiple: true },
};

const USAGE = `usage: enarx deploy [options] PACKAGE [ARGS...]

Deploys PACKAGE (a .wasm file, or a directory with main.wasm, an optional Enarx.toml and other
files the workload sees under /) into a keep, after verifying the keep's evidence. The package
is sealed (HPKE) to a key that exists only inside that keep; the host never sees it.

options:
  --host URL             a host agent (enarx host serve); default: an embedded host in this process
  --token T              the tenant's bearer token (default: $ENARX_TOKEN)
  --backend NAME         snp, tdx, sim or nil (default: the host's choice)
  --allow-sim            accept keeps on the simulated SEV-SNP platform (development only)
  --trust-root FILE      with --allow-sim: the only sim ARK(s) to trust (PEM/DER); without it,
                         the root the host presents is accepted
  --insecure-nil         accept keeps without any evidence (no attestation at all)
  --measurement HEX      accept this runtime measurement (repeatable)
  --reference-values FILE  accepted measurements (default: this installation's)
  --kem NAME             x25519 (default) or x-wing (post-quantum hybrid)
  --env KEY=VALUE        extra environment for the workload (repeatable)
  --max-memory SIZE, --timeout DURATION, --max-output SIZE   limits, as for enarx run
  --json                 errors as JSON on stderr
exit status: the workload's exit code; 134 on a trap; 124 on timeout; 1 on errors.
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
  const measurements = optionValues(args, 'measurement').map((m) => {
    if (!/^[0-9a-fA-F]{96}$/.test(m)) throw usageError(`--measurement '${m}': expected 96 hex digits (SHA-384)`);
    return m.toLowerCase();
  });
  const env: Record<string, string> = {};
  for (const e of optionValues(args, 'env')) {
    const [k, v] = parseEnv(e);
    env[k] = v;
  }
  const limits = limitsFrom(args);

  const [{ buildPackage }, { deploy }, { findSuite, DEFAULT_SUITE }, { loadReferenceValues }, { derObjects }] = await Promise.all([
    import('../client/package-builder.js'),
    import('../client/deploy.js'),
    import('../crypto/suites.js'),
    import('../runtime/reference-values.js'),
    import('../attestation/pki/pem.js'),
  ]);
  const suite = findSuite(optionValue(args, 'kem') ?? DEFAULT_SUITE.name);
  if (!suite) throw usageError(`--kem: expected x25519 or x-wing`);
  const pkg = await buildPackage(path, { args: workloadArgs, env });
  const rvPath = optionValue(args, 'reference-values');
  const referenceValues = await (rvPath === undefined ? loadReferenceValues() : loadReferenceValues(rvPath));
  const pinned = await Promise.all(optionValues(args, 'trust-root').map(async (f) => derObjects(await readFile(f), ['CERTIFICATE'])));
  const allowSim = args.flags.has('allow-sim');

  const url = optionValue(args, 'host');
  let host;
  let close = async (): Promise<void> => {};
  if (url) {
    const { HttpHost } = await import('../client/http-host.js');
    host = new HttpHost(url, optionValue(args, 'token') ?? process.env['ENARX_TOKEN']);
  } else {
    const { openEmbeddedHost } = await import('../client/embedded-host.js');
    const embedded = await openEmbeddedHost({ stdio: 'pipe', ...(backend ? { backend } : {}) });
    host = embedded;
    close = () => embedded.close();
  }
  // With --allow-sim and no pinned root, the sim root the host presents is accepted: the sim
  // platform proves nothing about hardware anyway; pin it with --trust-root to detect a swap.
  let presented: readonly Uint8Array[] = [];
  const watched = {
    createKeep: async (req: Parameters<typeof host.createKeep>[0]) => {
      const k = await host.createKeep(req);
      presented = k.evidence.trustRoots ?? [];
      return k;
    },
    deliverPackage: host.deliverPackage.bind(host),
    events: host.events.bind(host),
    killKeep: host.killKeep.bind(host),
  };
  try {
    const result = await deploy(watched, pkg, {
      trust: {
        allowSim,
        get simRoots() {
          return pinned.length ? pinned.flat() : presented;
        },
        insecureNil: args.flags.has('insecure-nil'),
        referenceValues,
        measurements,
      },
      suite,
      ...(backend ? { backend } : {}),
      limits,
      onOutput: (stream, data) => (stream === 'stdout' ? process.stdout : process.stderr).write(data),
    });
    const ev = result.outcome;
    if (ev.type === 'exit') return ev.code & 0xff;
    if (ev.type === 'trap') {
      reportError(new CliError('ERR_TRAP', `wasm trap: ${ev.trap}${ev.func ? ` in function '${ev.func}'` : ''}`), { json, verbose });
      return 134;
    }
    return reportError(new CliError(ev.code, ev.message, { exitCode: ev.code === 'ERR_TIMEOUT' ? 124 : 1 }), { json, verbose });
  } finally {
    await close();
  }
}
