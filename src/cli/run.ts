/**
 * `enarx run [options] MODULE [ARGS...]`: run a WASI command in a local keep.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { EnarxConfig } from '../config/index.js';
import type { BackendName } from '../backend/types.js';
import { DEFAULT_SUITE, SUITES, findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { Package } from '../crypto/package.js';
import { EXIT_TIMEOUT, EXIT_TRAP } from '../keep/exit-codes.js';
import { DEFAULT_LIMITS, parseDuration, parseSize } from '../runtime/limits.js';
import type { Limits } from '../runtime/limits.js';
import { optionValue, optionValues, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { CliError, reportError, usageError } from './errors.js';

const SPECS: OptionSpecs = {
  dir: { value: true, multiple: true },
  env: { value: true, multiple: true },
  wasmcfgfile: { value: true },
  backend: { value: true },
  kem: { value: true },
  'reference-values': { value: true },
  measurement: { value: true, multiple: true },
  'max-memory': { value: true },
  timeout: { value: true },
  'max-output': { value: true },
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
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
  --reference-values FILE  accepted measurements (default: this installation's,
                         dist/reference-values.json)
  --measurement HEX      also accept this measurement (repeatable)
  --max-memory SIZE      cap on the workload's linear memory (default 2GiB), e.g. 64MiB
  --timeout DURATION     wall-clock limit, e.g. 500ms, 10s, 2m (default: none)
  --max-output SIZE      cap on stdout+stderr bytes (default: none)
  --json                 report errors as JSON on stderr
  --verbose              show stack traces for internal errors
exit status: the workload's exit code; 134 on a trap; 124 on timeout; 1 or 2 on an error.
`;

/** What the local client accepts: reference values (a file, default the installation's) and extra measurements. */
export interface LocalTrust {
  readonly referenceValues: string | undefined;
  readonly measurements: readonly string[];
}

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

function parseEnv(spec: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0) throw usageError(`--env '${spec}': expected KEY=VALUE`);
  if (spec.includes('\0')) throw usageError('--env: NUL bytes are not allowed');
  return [spec.slice(0, i), spec.slice(i + 1)];
}

function limitsFrom(args: ReturnType<typeof parseArgs>): Limits {
  const size = (name: string, fallback: number): number => {
    const v = optionValue(args, name);
    if (v === undefined) return fallback;
    const n = parseSize(v);
    if (n === undefined || n <= 0) throw usageError(`--${name} '${v}': expected a size like 64MiB`);
    return n;
  };
  const t = optionValue(args, 'timeout');
  let timeoutMs = DEFAULT_LIMITS.timeoutMs;
  if (t !== undefined) {
    const n = parseDuration(t);
    if (n === undefined || n <= 0) throw usageError(`--timeout '${t}': expected a duration like 10s or 500ms`);
    timeoutMs = n;
  }
  const maxMemoryBytes = size('max-memory', DEFAULT_LIMITS.maxMemoryBytes);
  if (maxMemoryBytes < 65536) throw usageError('--max-memory must be at least 64KiB (one page)');
  if (maxMemoryBytes > 4 * 1024 ** 3) throw usageError('--max-memory cannot exceed 4GiB (the wasm32 address space)');
  return { maxMemoryBytes, timeoutMs, maxOutputBytes: size('max-output', DEFAULT_LIMITS.maxOutputBytes) };
}

/** Without an Enarx.toml a workload gets stdin, stdout and stderr and nothing else. */
const DEFAULT_FILES = ['stdin', 'stdout', 'stderr'] as const;

async function loadConfig(path: string): Promise<EnarxConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError('ERR_CONFIG_NOT_FOUND', `cannot read config '${path}': ${(err as Error).message}`, { cause: err });
  }
  // Loaded only when used: the schema library is the largest part of the CLI's start-up.
  const { parseEnarxToml } = await import('../config/index.js');
  return parseEnarxToml(text, path);
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
  readonly trust: LocalTrust;
}

/** Builds the workload package and the host resources from the command line. */
export async function planRun(argv: readonly string[]): Promise<RunPlan> {
  const args = parseArgs(argv, SPECS, { stopAtPositional: true });
  const [modulePath, ...workloadArgs] = args.positionals;
  if (modulePath === undefined) throw usageError('missing MODULE; see enarx run --help');
  const backend = optionValue(args, 'backend') as BackendName | undefined;
  // Checked here by name only: the backends' code is loaded later, when a keep is made.
  if (backend !== undefined && !(['snp', 'tdx', 'sim', 'nil'] as const).includes(backend)) {
    throw new CliError('ERR_BACKEND_UNAVAILABLE', `unknown backend '${backend}' (expected snp, tdx, sim or nil)`);
  }
  const kem = optionValue(args, 'kem') ?? DEFAULT_SUITE.name;
  const suite = findSuite(kem);
  if (!suite) throw usageError(`--kem '${kem}': expected one of ${SUITES.map((s) => s.name).join(', ')}`);
  const limits = limitsFrom(args);
  const cfgPath = optionValue(args, 'wasmcfgfile');
  const config = cfgPath === undefined ? undefined : await loadConfig(cfgPath);
  const dirs = optionValues(args, 'dir').map(parseDirMapping);
  await Promise.all(dirs.map(checkDir));
  const env = new Map<string, string>(Object.entries(config?.env ?? {}));
  for (const e of optionValues(args, 'env')) {
    const [k, v] = parseEnv(e);
    env.set(k, v);
  }
  let fds: Package['fds'] = [...DEFAULT_FILES];
  if (config) {
    // Enarx sets these for every configured workload; they describe the descriptors it gets.
    const { fdEnvironment } = await import('../config/index.js');
    const fdEnv = fdEnvironment(config);
    env.set('FD_COUNT', fdEnv.FD_COUNT);
    env.set('FD_NAMES', fdEnv.FD_NAMES);
    fds = config.files.map((f) => {
      if (f.kind === 'listen' || f.kind === 'connect') {
        throw new CliError('ERR_UNSUPPORTED', `Enarx.toml file '${f.name}': ${f.kind} sockets are not supported by this keep runtime yet`);
      }
      return f.kind;
    });
  }
  const measurements = optionValues(args, 'measurement').map((m) => {
    if (!/^[0-9a-fA-F]{96}$/.test(m)) throw usageError(`--measurement '${m}': expected 96 hex digits (SHA-384)`);
    return m.toLowerCase();
  });
  let wasm: Uint8Array;
  try {
    wasm = await readFile(modulePath);
  } catch (err) {
    throw new CliError('ERR_MODULE_NOT_FOUND', `cannot read module '${modulePath}': ${(err as Error).message}`, { cause: err });
  }
  return {
    modulePath,
    pkg: {
      wasm,
      files: [],
      args: [basename(modulePath), ...(config?.args ?? []), ...workloadArgs],
      env: Object.fromEntries(env),
      fds,
    },
    preopens: dirs.map((d) => ({ host: resolve(d.host), guest: d.guest })),
    limits,
    backend,
    suite,
    trust: { referenceValues: optionValue(args, 'reference-values'), measurements },
  };
}

/** Entry point of `enarx run`: a deploy to an in-process host whose keeps share this terminal. */
export async function runMain(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const plan = await planRun(argv);
  const json = argv.slice(0, argv.indexOf(plan.modulePath)).includes('--json');
  const verbose = argv.slice(0, argv.indexOf(plan.modulePath)).includes('--verbose');
  // The protocol, trust decisions, sealing and the host are loaded with the code that needs them.
  const { deployLocally } = await import('./run-attest.js');
  const result = await deployLocally(plan);
  const ev = result.outcome;
  if (ev.type === 'exit') return ev.code & 0xff;
  if (ev.type === 'trap') {
    const where = ev.func ? ` in function '${ev.func}'` : '';
    reportError(new CliError('ERR_TRAP', `wasm trap: ${ev.trap}${where}`), { json, verbose });
    return EXIT_TRAP;
  }
  const exitCode = ev.code === 'ERR_TIMEOUT' ? EXIT_TIMEOUT : 1;
  return reportError(new CliError(ev.code, ev.message, { exitCode }), { json, verbose });
}
