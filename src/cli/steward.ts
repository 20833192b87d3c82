/**
 * `enarx steward …`: run the attestation CA (`serve`), manage the runtimes it names
 * (`reference-values add|list|remove`), and read its audit log (`audit`). The state folder holds
 * the CA, the EAR signing key and the database; the subcommands other than `serve` work on it
 * directly, and a running steward sees their changes at its next request.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultStateDir } from '../backend/state-dir.js';
import { derObjects } from '../attestation/pki/pem.js';
import { parseReferenceValues } from '../attestation/reference-values.js';
import { optionValue, parseArgs, parseListen, runSubcommand, type OptionSpecs, type ParsedArgs } from './args.js';
import { CliError, usageError } from './errors.js';

const USAGE = `usage: enarx steward <command> [options]

commands:
  serve              run the steward: certificates for attested keeps, EAR tokens for relying parties
  reference-values   add, list or remove the runtimes the steward names (add FILE | list | remove MEASUREMENT)
  audit              print the last decisions (issued, refused, EAR)

every command takes --state DIR (default: the user's state folder, steward/)
`;

const SERVE_USAGE = `usage: enarx steward serve --listen ADDR:PORT --state DIR [options]

options:
  --listen ADDR:PORT     where to listen (plain HTTP only on a loopback address)
  --state DIR            the steward's state: CA, EAR key, reference values, audit log
  --ca-cert FILE, --ca-key FILE   a CA of your own (PEM) instead of the one made in --state
  --tls-cert FILE, --tls-key FILE the steward's own TLS certificate chain and key (PEM)
  --policy FILE          appraisal policy (TOML: lifetime, allow_debug, tcb_status, min_tcb, names)
  --trust-domain NAME    SPIFFE trust domain of workload IDs (default enarx-ts.local)
  --allow-sim            accept keeps on the simulated SEV-SNP platform (development only)
  --sim-chain FILE       the simulated platform's ASK and ARK (PEM): accept only that platform
  --rate N               requests a second per client address (default 50, bursts of 200)
`;

const COMMON: OptionSpecs = { state: { value: true }, json: { value: false }, verbose: { value: false }, help: { value: false, short: 'h' } };
const SERVE_OPTIONS: OptionSpecs = {
  ...COMMON,
  listen: { value: true },
  'ca-cert': { value: true },
  'ca-key': { value: true },
  'tls-cert': { value: true },
  'tls-key': { value: true },
  policy: { value: true },
  'trust-domain': { value: true },
  'allow-sim': { value: false },
  'sim-chain': { value: true },
  rate: { value: true },
};

function stateOf(args: ParsedArgs): string {
  return optionValue(args, 'state') ?? join(defaultStateDir(), 'steward');
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError('ERR_FILE', `cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Both or neither of two options. */
function pair(args: ParsedArgs, a: string, b: string): { a: string; b: string } | undefined {
  const x = optionValue(args, a);
  const y = optionValue(args, b);
  if ((x === undefined) !== (y === undefined)) throw usageError(`--${a} and --${b} go together`);
  return x === undefined ? undefined : { a: x, b: y! };
}

async function serveMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SERVE_OPTIONS);
  if (args.flags.has('help')) return (process.stdout.write(SERVE_USAGE), 0);
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}'`);
  const listenText = optionValue(args, 'listen');
  if (listenText === undefined) throw usageError("missing --listen ADDR:PORT; see 'enarx steward serve --help'");
  if (optionValue(args, 'state') === undefined) throw usageError("missing --state DIR; see 'enarx steward serve --help'");
  const listen = parseListen(listenText);
  const ca = pair(args, 'ca-cert', 'ca-key');
  const tlsFiles = pair(args, 'tls-cert', 'tls-key');
  const simChainFile = optionValue(args, 'sim-chain');
  if (simChainFile !== undefined && !args.flags.has('allow-sim')) throw usageError('--sim-chain needs --allow-sim');
  const rateText = optionValue(args, 'rate');
  if (rateText !== undefined && !/^[1-9]\d{0,5}$/.test(rateText)) throw usageError(`--rate: expected a whole number of requests a second, got '${rateText}'`);
  const simChain = simChainFile === undefined ? undefined : derObjects(await readText(simChainFile, 'the sim chain'), ['CERTIFICATE']);
  const tls = tlsFiles && { cert: await readText(tlsFiles.a, 'the TLS certificate'), key: await readText(tlsFiles.b, 'the TLS key') };
  const trustDomain = optionValue(args, 'trust-domain');
  const [{ loadPolicy }, { Steward }, { serveSteward }] = await Promise.all([import('../steward/policy.js'), import('../steward/steward.js'), import('../steward/http.js')]);
  const policy = await loadPolicy(optionValue(args, 'policy'), { allowSim: args.flags.has('allow-sim'), ...(simChain ? { simChain } : {}), ...(trustDomain ? { trustDomain } : {}) });
  const steward = await Steward.open({ stateDir: stateOf(args), policy, ...(ca ? { caFiles: { cert: ca.a, key: ca.b } } : {}) });
  let server;
  try {
    const rate = rateText === undefined ? undefined : Number(rateText);
    server = await serveSteward(steward, { hostname: listen.hostname, port: listen.port, ...(tls ? { tls } : {}), ...(rate ? { rateLimits: { perSecond: rate, burst: rate * 4 } } : {}) });
  } catch (err) {
    steward.close();
    throw new CliError((err as { code?: string }).code ?? 'ERR_LISTEN', `cannot serve on ${listenText}: ${(err as Error).message}`, { cause: err });
  }
  const values = steward.state.referenceValues().length;
  process.stdout.write(`steward listening on ${server.url} (CA: ${steward.ca.subject}; ${values} reference value${values === 1 ? '' : 's'})\n`);
  if (values === 0) process.stderr.write("warning: no reference values: every keep will be refused until 'enarx steward reference-values add FILE'\n");
  await new Promise<void>((resolve) => {
    const on = (): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve();
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  await server.close();
  steward.close();
  return 0;
}

async function withState<T>(args: ParsedArgs, f: (state: import('../steward/state.js').StewardState) => T): Promise<T> {
  const { StewardState } = await import('../steward/state.js');
  const state = await StewardState.open(stateOf(args));
  try {
    return f(state);
  } finally {
    state.close();
  }
}

async function referenceValuesMain(argv: readonly string[]): Promise<number> {
  const [op, ...rest] = argv;
  const args = parseArgs(rest, COMMON);
  if (op === undefined || args.flags.has('help')) return (process.stdout.write('usage: enarx steward reference-values add FILE | list | remove MEASUREMENT [--state DIR] [--json]\n'), 0);
  const json = args.flags.has('json');
  if (op === 'add') {
    const file = args.positionals[0];
    if (file === undefined || args.positionals.length > 1) throw usageError('usage: enarx steward reference-values add FILE');
    const values = parseReferenceValues(await readText(file, 'reference values'), file);
    const n = await withState(args, (s) => s.addReferenceValues(values));
    process.stdout.write(json ? JSON.stringify({ added: n }) + '\n' : `added ${n} reference value${n === 1 ? '' : 's'}\n`);
    return 0;
  }
  if (op === 'list') {
    const values = await withState(args, (s) => s.referenceValues());
    if (json) process.stdout.write(JSON.stringify({ version: 1, values }, null, 2) + '\n');
    else for (const v of values) process.stdout.write(`${v.measurement}  ${v.runtime} ${v.release} on ${v.backend}\n`);
    return 0;
  }
  if (op === 'remove') {
    const m = args.positionals[0];
    if (m === undefined || !/^[0-9a-fA-F]{96}$/.test(m)) throw usageError('usage: enarx steward reference-values remove MEASUREMENT (96 hex digits)');
    const n = await withState(args, (s) => s.removeReferenceValue(m));
    process.stdout.write(json ? JSON.stringify({ removed: n }) + '\n' : `removed ${n}\n`);
    return 0;
  }
  throw usageError(`unknown operation 'reference-values ${op}'`);
}

async function auditMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { ...COMMON, limit: { value: true } });
  if (args.flags.has('help')) return (process.stdout.write('usage: enarx steward audit [--state DIR] [--limit N] [--json]\n'), 0);
  const limitText = optionValue(args, 'limit') ?? '50';
  if (!/^[1-9]\d{0,5}$/.test(limitText)) throw usageError(`--limit: expected a number, got '${limitText}'`);
  const log = await withState(args, (s) => s.auditLog(Number(limitText)));
  for (const e of log) {
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(e) + '\n');
    else process.stdout.write(`${new Date(e.at).toISOString()}  ${e.event.padEnd(7)} ${e.code ?? ''} ${e.remote ?? ''} ${JSON.stringify(e.detail)}\n`);
  }
  return 0;
}

/** `enarx steward …`. Returns the exit status. */
export function stewardMain(argv: readonly string[]): Promise<number> {
  return runSubcommand('steward', argv, USAGE, { serve: serveMain, 'reference-values': referenceValuesMain, audit: auditMain });
}
