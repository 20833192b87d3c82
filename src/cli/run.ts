/**
 * `enarx run [options] MODULE [ARGS...]`: run a WASI command in a local keep.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { readConfig, resolveWorkload } from '../client/package-builder.js';
import type { Package } from '../crypto/package.js';
import { DEFAULT_SUITE, SUITES, findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { Limits } from '../protocol/limits.js';
import { isBackendName } from '../protocol/names.js';
import type { BackendName } from '../protocol/names.js';
import { trace } from '../trace.js';
import { optionValue, optionValues, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { CliError, usageError } from './errors.js';
import { isRunHelp, startLocalKeep } from './run-keep.js';
import type { LocalKeep } from './run-keep.js';
import { reportOutcome, withClientStdio } from './workload-io.js';
import { WORKLOAD_OPTIONS, acceptedRuntimes, limitsFrom, parseEnv } from './workload-options.js';
import type { AcceptedRuntimes } from './workload-options.js';

const SPECS: OptionSpecs = {
  ...WORKLOAD_OPTIONS,
  dir: { value: true, multiple: true },
  wasmcfgfile: { value: true },
};

const USAGE = `usage: enarx run [options] MODULE [ARGS...]

Runs a WebAssembly (WASI preview1) command in a keep on this machine.
Everything after MODULE is passed to the workload; its argv[0] is MODULE's file name.

options:
  --dir HOST::GUEST      make host directory HOST visible to the workload as GUEST (repeatable);
                         --dir PATH maps PATH to the same name
  --env KEY=VALUE        set an environment variable for the workload (repeatable); the workload
                         sees only what Enarx.toml and --env give it, never the host's environment
  --wasmcfgfile FILE     an Enarx.toml (args, env, [[files]]); sets FD_COUNT and FD_NAMES
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

/**
 * The `--backend` of a run's command line, read ahead of the rest: undefined for the default,
 * null when the command line does not parse (planRun reports why; nothing is started for it).
 */
function backendOf(argv: readonly string[]): BackendName | undefined | null {
  try {
    const backend = optionValue(parseArgs(argv, SPECS, { stopAtPositional: true }), 'backend');
    return backend === undefined ? undefined : isBackendName(backend) ? backend : null;
  } catch {
    return null;
  }
}

/** Builds the workload package and the host resources from the command line. */
export async function planRun(argv: readonly string[]): Promise<RunPlan> {
  const args = parseArgs(argv, SPECS, { stopAtPositional: true });
  const [modulePath, ...workloadArgs] = args.positionals;
  if (modulePath === undefined) throw usageError('missing MODULE; see enarx run --help');
  const backend = optionValue(args, 'backend') as BackendName | undefined;
  // Checked here by name only: the backends' code is loaded later, when a keep is made.
  if (backend !== undefined && !isBackendName(backend)) {
    throw new CliError('ERR_BACKEND_UNAVAILABLE', `unknown backend '${backend}' (expected snp, tdx, sim or nil)`);
  }
  const kem = optionValue(args, 'kem') ?? DEFAULT_SUITE.name;
  const suite = findSuite(kem);
  if (!suite) throw usageError(`--kem '${kem}': expected one of ${SUITES.map((s) => s.name).join(', ')}`);
  const limits = limitsFrom(args);
  const cfgPath = optionValue(args, 'wasmcfgfile');
  const config = cfgPath === undefined ? undefined : await readConfig(cfgPath);
  const dirs = optionValues(args, 'dir').map(parseDirMapping);
  await Promise.all(dirs.map(checkDir));
  const env: Record<string, string> = {};
  for (const e of optionValues(args, 'env')) {
    const [k, v] = parseEnv(e);
    env[k] = v;
  }
  const trust = acceptedRuntimes(args);
  trace('args parsed');
  let wasm: Uint8Array;
  try {
    wasm = await readFile(modulePath);
  } catch (err) {
    throw new CliError('ERR_MODULE_NOT_FOUND', `cannot read module '${modulePath}': ${(err as Error).message}`, { cause: err });
  }
  trace('module read');
  const { pkg, wantsInput } = withClientStdio(await resolveWorkload(wasm, basename(modulePath), config, [], { args: workloadArgs, env }));
  return {
    modulePath,
    pkg,
    preopens: dirs.map((d) => ({ host: resolve(d.host), guest: d.guest })),
    limits,
    backend,
    suite,
    trust,
    wantsInput,
  };
}

/**
 * Entry point of `enarx run`: a deploy to an in-process host whose keeps share this terminal.
 * `early` is the keep the dispatcher is starting or adopting (see startLocalKeep); this owns it
 * from now on. The command line is read, and the deploy code loaded, while that goes on.
 */
export async function runMain(argv: readonly string[], early?: Promise<LocalKeep>): Promise<number> {
  const stop = (keep: Promise<LocalKeep>): void => void keep.then((k) => k.process.kill(), () => {});
  if (isRunHelp(argv)) {
    if (early) stop(early);
    process.stdout.write(USAGE);
    return 0;
  }
  // The protocol, trust decisions, sealing and the host load while the command line is read,
  // and the local platform (the backend, its keys and certificates) starts as soon as they have.
  const deployCode = import('./run-attest.js');
  deployCode.catch(() => {});
  const keep = early ?? startLocalKeep();
  keep.catch(() => {});
  const backend = backendOf(argv);
  const platform = backend === null ? undefined : deployCode.then((m) => m.startLocalPlatform(backend));
  platform?.catch(() => {});
  let plan: RunPlan;
  try {
    plan = await planRun(argv);
  } catch (err) {
    stop(keep);
    throw err;
  }
  const json = argv.slice(0, argv.indexOf(plan.modulePath)).includes('--json');
  const verbose = argv.slice(0, argv.indexOf(plan.modulePath)).includes('--verbose');
  trace('planned');
  let spare: LocalKeep['process'];
  let bundleDir: string;
  let deployLocally: Awaited<typeof deployCode>['deployLocally'];
  let localPlatform: ReturnType<Awaited<typeof deployCode>['startLocalPlatform']> | undefined;
  try {
    [{ process: spare, bundleDir }, { deployLocally }] = await Promise.all([keep, deployCode]);
    if (platform) localPlatform = await platform;
  } catch (err) {
    stop(keep);
    throw err;
  }
  trace('deploy code loaded');
  let result;
  try {
    result = await deployLocally(plan, { process: spare, bundleDir }, localPlatform);
  } catch (err) {
    // Whatever failed, the keep this command started must not outlive it.
    spare.kill();
    throw err;
  }
  return reportOutcome(result.outcome, { json, verbose });
}
