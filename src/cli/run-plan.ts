/**
 * `enarx run`'s command line: its options and help text, what they are read into (RunArgs, at
 * once, without touching a file), and the plan built from them (RunPlan: the package and the host
 * resources, after reading and checking the files they name).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { readConfig, resolveWorkload } from '../client/package-builder.js';
import type { Package } from '../crypto/package.js';
import { DEFAULT_SUITE, SUITES, findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { Limits } from '../protocol/limits.js';
import { isBackendName } from '../protocol/names.js';
import type { BackendName } from '../protocol/names.js';
import { trace } from '../trace.js';
import { optionValue, optionValues, parseArgs } from './args.js';
import type { OptionSpecs, ParsedArgs } from './args.js';
import { isPackageRef, PACKAGE_REF_OPTIONS, resolveWorkloadPath, withProvenance } from './package-ref.js';
import { CliError, usageError } from './errors.js';
import type { ReportOptions } from './errors.js';
import { withClientStdio } from './workload-io.js';
import { WORKLOAD_OPTIONS, acceptedRuntimes, limitsFrom, parseEnv } from './workload-options.js';
import type { AcceptedRuntimes } from './workload-options.js';

const SPECS: OptionSpecs = {
  ...WORKLOAD_OPTIONS,
  ...PACKAGE_REF_OPTIONS,
  dir: { value: true, multiple: true },
  wasmcfgfile: { value: true },
};

export const USAGE = `usage: enarx run [options] MODULE [ARGS...]

Runs a WebAssembly (WASI preview1) command in a keep on this machine.
Everything after MODULE is passed to the workload; its argv[0] is MODULE's file name.
MODULE may also be a package folder (main.wasm, an optional Enarx.toml, files), or a package
reference (oci://HOST/REPO[:TAG|@sha256:…], or NAME[:TAG] in the local store): it is pulled,
checked (with --verify-key PUB.pem: its signature too) and run.

options:
  --dir HOST::GUEST      make host directory HOST visible to the workload as GUEST (repeatable);
                         --dir PATH maps PATH to the same name
  --env KEY=VALUE        set an environment variable for the workload (repeatable); the workload
                         sees only what Enarx.toml and --env give it, never the host's environment
  --wasmcfgfile FILE     an Enarx.toml (args, env, [[files]]); sets FD_COUNT and FD_NAMES
  --verify-key PUB.pem   with a package reference: refuse it unless one of these keys signed it
  --registry-ca FILE     CA bundle for the registry's HTTPS; --plain-http: plain HTTP off loopback
  --backend NAME         keep backend: snp, tdx (confidential VMs), sim (simulated SEV-SNP),
                         nil (process isolation, no evidence); default: the first available
                         of snp, tdx, sim, nil. Attested keeps are verified before the
                         workload is handed over (measurement in the reference values).
  --kem NAME             HPKE suite of the keep's key: x25519 (default), x-wing
  --reference-values FILE  the runtimes accepted (default: this installation's,
                         dist/reference-values.json)
  --measurement HEX      accept this runtime measurement (repeatable); with or without
                         --reference-values, replaces the installation's: a keep whose
                         measurement is not given gets nothing
  --max-memory SIZE      cap on the workload's linear memory (default 2GiB), e.g. 64MiB
  --timeout DURATION     wall-clock limit, e.g. 500ms, 10s, 2m (default: none)
  --max-output SIZE      cap on stdout+stderr bytes (default: none)
  --json                 report errors as JSON on stderr
  --verbose              show stack traces for internal errors
exit status: the workload's exit code; 134 on a trap; 124 on timeout; 1 or 2 on an error.
`;

/** One `--dir` mapping. */
export interface DirMapping {
  readonly host: string;
  readonly guest: string;
}

/** Parses `HOST::GUEST` or `PATH`. */
export function parseDirMapping(spec: string): DirMapping {
  const i = spec.indexOf('::');
  if (i === -1) {
    if (spec.length === 0) throw usageError('--dir needs a path');
    return { host: spec, guest: spec };
  }
  const host = spec.slice(0, i);
  const guest = spec.slice(i + 2);
  if (host.length === 0 || guest.length === 0) throw usageError(`--dir '${spec}': expected HOST::GUEST`);
  return { host, guest };
}

async function checkDir(d: DirMapping): Promise<void> {
  let s;
  try {
    s = await stat(d.host);
  } catch {
    throw new CliError('ERR_DIR_NOT_FOUND', `--dir: '${d.host}' does not exist`);
  }
  if (!s.isDirectory()) throw new CliError('ERR_NOT_A_DIRECTORY', `--dir: '${d.host}' is not a directory`);
}

/** Everything `enarx run` decided from its command line. */
export interface RunPlan {
  readonly modulePath: string;
  readonly pkg: Package;
  readonly preopens: readonly { host: string; guest: string }[];
  readonly limits: Limits;
  readonly backend: BackendName | undefined;
  readonly suite: SuiteRow;
  readonly trust: AcceptedRuntimes;
  /** The workload has a stdin: this process's is sealed and sent to it. */
  readonly wantsInput: boolean;
}

/** The command line of `enarx run`, read (no file touched yet). */
export interface RunArgs {
  readonly modulePath: string;
  readonly workloadArgs: readonly string[];
  readonly backend: BackendName | undefined;
  readonly suite: SuiteRow;
  readonly limits: Limits;
  readonly configPath: string | undefined;
  readonly dirs: readonly DirMapping[];
  readonly env: Readonly<Record<string, string>>;
  readonly trust: AcceptedRuntimes;
  readonly report: ReportOptions;
  /** The command line as parsed, for a package reference's options. */
  readonly parsed: ParsedArgs;
}

/** True when `argv` (after `run`) asks for the help text. */
export function isRunHelp(argv: readonly string[]): boolean {
  return argv[0] === '--help' || argv[0] === '-h';
}

/** Reads the command line, once. @throws CliError (usage errors, exit status 2) */
export function readRunArgs(argv: readonly string[]): RunArgs {
  const args = parseArgs(argv, SPECS, { stopAtPositional: true });
  const [modulePath, ...workloadArgs] = args.positionals;
  if (modulePath === undefined) throw usageError('missing MODULE; see enarx run --help');
  const backend = optionValue(args, 'backend');
  // Checked here by name only: the backends' code is loaded later, when a keep is made.
  if (backend !== undefined && !isBackendName(backend)) {
    throw new CliError('ERR_BACKEND_UNAVAILABLE', `unknown backend '${backend}' (expected snp, tdx, sim or nil)`);
  }
  const kem = optionValue(args, 'kem') ?? DEFAULT_SUITE.name;
  const suite = findSuite(kem);
  if (!suite) throw usageError(`--kem '${kem}': expected one of ${SUITES.map((s) => s.name).join(', ')}`);
  const env: Record<string, string> = {};
  for (const e of optionValues(args, 'env')) {
    const [k, v] = parseEnv(e);
    env[k] = v;
  }
  return {
    modulePath,
    workloadArgs,
    backend,
    suite,
    limits: limitsFrom(args),
    configPath: optionValue(args, 'wasmcfgfile'),
    dirs: optionValues(args, 'dir').map(parseDirMapping),
    env,
    trust: acceptedRuntimes(args),
    report: { json: args.flags.has('json'), verbose: args.flags.has('verbose') },
    parsed: args,
  };
}

/** Builds the workload package and checks the host resources the command line names. */
export async function planRun(a: RunArgs): Promise<RunPlan> {
  const config = a.configPath === undefined ? undefined : await readConfig(a.configPath);
  await Promise.all(a.dirs.map(checkDir));
  const { modulePath } = a;
  if (await isPackageRef(modulePath)) return planPackageRun(a, config);
  if (await stat(modulePath).then((s) => s.isDirectory(), () => false)) return planPackageRun(a, config, modulePath);
  let wasm: Uint8Array;
  try {
    wasm = await readFile(modulePath);
  } catch (err) {
    throw new CliError('ERR_MODULE_NOT_FOUND', `cannot read module '${modulePath}': ${(err as Error).message}`, { cause: err });
  }
  trace('module read');
  const { pkg, wantsInput } = withClientStdio(await resolveWorkload(wasm, basename(modulePath), config, [], {
      args: a.workloadArgs,
      env: a.env,
      ...(a.configPath === undefined ? {} : { configDir: dirname(a.configPath) }),
    }));
  return {
    modulePath,
    pkg,
    preopens: a.dirs.map((d) => ({ host: resolve(d.host), guest: d.guest })),
    limits: a.limits,
    backend: a.backend,
    suite: a.suite,
    trust: a.trust,
    wantsInput,
  };
}

/**
 * A run of a package folder (main.wasm, an optional Enarx.toml, files), or of a package reference:
 * pulled, checked and unpacked into a folder first.
 */
async function planPackageRun(a: RunArgs, config: unknown, folder?: string): Promise<RunPlan> {
  if (config !== undefined) throw usageError('--wasmcfgfile: a package brings its own Enarx.toml');
  const { buildPackage } = await import('../client/package-builder.js');
  const workload = folder === undefined ? await resolveWorkloadPath(a.modulePath, a.parsed) : { path: folder };
  const resolved = 'resolved' in workload ? workload.resolved : undefined;
  const built = await buildPackage(workload.path, { args: a.workloadArgs, env: a.env }).finally(() => resolved?.cleanup());
  const { pkg, wantsInput } = withClientStdio(withProvenance(built, resolved));
  return { modulePath: a.modulePath, pkg, preopens: a.dirs.map((d) => ({ host: resolve(d.host), guest: d.guest })), limits: a.limits, backend: a.backend, suite: a.suite, trust: a.trust, wantsInput };
}
