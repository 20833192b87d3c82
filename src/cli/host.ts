/**
 * `enarx host serve`: the host agent — keeps for remote clients over HTTP (the API of
 * README, "Deploy protocol"). `enarx host token`: issue (or replace) a tenant's bearer token.
 *
 * Tenants come from `--token-file` (`{ "tenants": { "alice": "<token>" } }`), else from the
 * state database; when it has none, the first start creates tenant `default` and prints its
 * token once (only its SHA-256 is stored).
 */
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { defaultStateDir } from '../backend/state-dir.js';
import { isBackendName } from '../protocol/names.js';
import { Host } from '../host/host.js';
import type { HostOptions } from '../host/host-types.js';
import type { Authenticator, HostServer } from '../host/http.js';
import { serveHost } from '../host/http.js';
import type { HostLogger } from '../host/log.js';
import { jsonLineLogger } from '../host/log.js';
import { TENANT_NAME, TenantAuth, generateToken, hashToken, parseTokenFile } from '../host/tokens.js';
import { optionValue, parseArgs, parseListen, runSubcommand, type OptionSpecs, type ParsedArgs } from './args.js';
import { parseDuration, parseSize } from '../units.js';
import { CliError, usageError } from './errors.js';

const USAGE = `usage: enarx host <command> [options]

commands:
  serve    run the host agent (HTTP API for 'enarx deploy' and the SDK)
  token    issue or replace a tenant's bearer token

run 'enarx host <command> --help' for a command's options
`;

const SERVE_USAGE = `usage: enarx host serve --listen ADDR:PORT [options]

Runs the host agent: clients create attested keeps here and deploy sealed workloads to them.
The agent sees ciphertext, ids and sizes only.

options:
  --listen ADDR:PORT     where to listen (port 0: any free port; IPv6 as [::1]:PORT)
  --state DIR            the agent's state folder (database, sim platform keys)
                         default: $ENARX_STATE_DIR, else $XDG_STATE_HOME/enarx, else ~/.local/state/enarx
  --backend NAME         backend of keeps whose request names none (nil, sim, snp, tdx)
                         default: the first available of snp, tdx, sim, nil
  --token-file FILE      tenants and their tokens: {"tenants": {"alice": "<token>"}}
                         default: tenants in the state folder ('enarx host token')
  --max-package SIZE     largest sealed package accepted (default 1GiB)
  --abandon-after TIME   kill a keep that does not have its whole package within TIME (default 60s)
  --upload-idle TIME     fail an upload that stalls this long (default 10s)
  --max-keeps N          live keeps in all (default 256); more are refused with 429
  --max-keeps-per-tenant N   live keeps of one tenant (default 64)
  --memory-budget SIZE   memory promised to live keeps in all: each keep's --max-memory plus
                         64 MiB for its runtime (default: this machine's RAM)
  --memory-budget-per-tenant SIZE   the same, per tenant (default: --memory-budget)
  --retain-output SIZE   sealed output records kept per keep for 'keep logs' (default 1MiB);
                         a client following its keep loses nothing: the keep waits for it
  --warm N               keep N keep processes booted and waiting (default 2; ~70 MiB each)
  --log                  log events (ids, states, sizes, codes) to stderr as JSON lines
  -h, --help             print this help
`;

const SERVE_OPTIONS: OptionSpecs = {
  listen: { value: true },
  state: { value: true },
  backend: { value: true },
  'token-file': { value: true },
  'max-package': { value: true },
  'abandon-after': { value: true },
  'upload-idle': { value: true },
  'max-keeps': { value: true },
  'max-keeps-per-tenant': { value: true },
  'memory-budget': { value: true },
  'memory-budget-per-tenant': { value: true },
  'retain-output': { value: true },
  warm: { value: true },
  log: { value: false },
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
};

const TOKEN_USAGE = `usage: enarx host token [--tenant NAME] [--state DIR]

Creates tenant NAME (default: default) in the agent's state folder, or gives it a new token,
and prints the token. Only its SHA-256 is stored: this is the one time it is shown. A running
agent that reads tenants from its state folder accepts it at once.

options:
  --tenant NAME    the tenant (letters, digits, '.', '-', '_'; default: default)
  --state DIR      the agent's state folder (default as for 'enarx host serve')
  -h, --help       print this help
`;

const TOKEN_OPTIONS: OptionSpecs = {
  tenant: { value: true },
  state: { value: true },
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
};


/** Tenants from the state database, re-read per request (so `enarx host token` takes effect at once). */
function databaseAuth(host: Host): Authenticator {
  return {
    authenticate: (header) => new TenantAuth(host.tenants().map((t) => ({ tenant: t.name, sha256: t.tokenSha256 }))).authenticate(header),
  };
}

/** A whole number from `--NAME`, or `fallback`. */
function count(args: ParsedArgs, name: string, fallback: number, max: number): number {
  const text = optionValue(args, name);
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) > max) throw usageError(`--${name}: expected a number from 0 to ${max}, got '${text}'`);
  return Number(text);
}

/** A size or a duration from `--NAME`, or undefined. */
function measure(args: ParsedArgs, name: string, parse: (t: string) => number | undefined, example: string): number | undefined {
  const text = optionValue(args, name);
  if (text === undefined) return undefined;
  const n = parse(text);
  if (n === undefined || n <= 0) throw usageError(`--${name}: expected something like ${example}, got '${text}'`);
  return n;
}

/** The agent's options from `host serve`'s command line. */
function serveOptions(args: ParsedArgs): HostOptions {
  const backend = optionValue(args, 'backend');
  if (backend !== undefined && !isBackendName(backend)) throw usageError(`--backend: unknown backend '${backend}'`);
  const maxPackageBytes = measure(args, 'max-package', parseSize, '512MiB');
  const abandonAfterMs = measure(args, 'abandon-after', parseDuration, '60s');
  const uploadIdleMs = measure(args, 'upload-idle', parseDuration, '10s');
  const retainedOutputBytes = measure(args, 'retain-output', parseSize, '1MiB');
  const memoryBytes = measure(args, 'memory-budget', parseSize, '16GiB') ?? totalmem();
  return {
    stateDir: optionValue(args, 'state') ?? defaultStateDir(),
    ...(backend === undefined ? {} : { backend }),
    ...(maxPackageBytes === undefined ? {} : { maxPackageBytes }),
    ...(abandonAfterMs === undefined ? {} : { abandonAfterMs }),
    ...(uploadIdleMs === undefined ? {} : { uploadIdleMs }),
    ...(retainedOutputBytes === undefined ? {} : { retainedOutputBytes }),
    warmKeeps: count(args, 'warm', 2, 64),
    quotas: {
      maxKeeps: count(args, 'max-keeps', 256, 1_000_000),
      maxKeepsPerTenant: count(args, 'max-keeps-per-tenant', 64, 1_000_000),
      memoryBytes,
      memoryBytesPerTenant: measure(args, 'memory-budget-per-tenant', parseSize, '4GiB') ?? memoryBytes,
    },
  };
}

async function serveMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SERVE_OPTIONS);
  if (args.flags.has('help')) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}'`);
  const listenText = optionValue(args, 'listen');
  if (listenText === undefined) throw usageError("missing --listen ADDR:PORT; see 'enarx host serve --help'");
  const listen = parseListen(listenText);
  const options = serveOptions(args);
  let fileAuth: TenantAuth | undefined;
  const tokenFile = optionValue(args, 'token-file');
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(tokenFile, 'utf8');
    } catch (err) {
      throw new CliError('ERR_TOKEN_FILE', `cannot read --token-file ${tokenFile}: ${(err as Error).message}`, { cause: err });
    }
    try {
      fileAuth = new TenantAuth(parseTokenFile(text));
    } catch (err) {
      throw new CliError('ERR_TOKEN_FILE', `${tokenFile}: ${(err as Error).message}`, { cause: err });
    }
  }

  const logger: HostLogger | undefined = args.flags.has('log') ? jsonLineLogger() : undefined;
  const host = await Host.open({ ...options, ...(logger === undefined ? {} : { logger }) });
  let server: HostServer;
  try {
    if (fileAuth === undefined && host.tenants().length === 0) {
      const token = generateToken();
      host.setTenant('default', hashToken(token));
      process.stdout.write(`created tenant 'default'; its token (shown only now): ${token}\n`);
    }
    server = await serveHost({ host, auth: fileAuth ?? databaseAuth(host), hostname: listen.hostname, port: listen.port, ...(logger === undefined ? {} : { logger }) });
  } catch (err) {
    await host.close();
    throw new CliError((err as { code?: string }).code ?? 'ERR_LISTEN', `cannot serve on ${listenText}: ${(err as Error).message}`, { cause: err });
  }
  process.stdout.write(`listening on ${server.url}\n`);

  // Until SIGTERM or SIGINT: then stop accepting, kill the keeps (they end `killed`), close.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  logger?.('host.signal', { signal });
  const closing = server.close();
  await host.close();
  await closing;
  return 0;
}

async function tokenMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, TOKEN_OPTIONS);
  if (args.flags.has('help')) {
    process.stdout.write(TOKEN_USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}'`);
  const tenant = optionValue(args, 'tenant') ?? 'default';
  if (!TENANT_NAME.test(tenant)) throw usageError(`--tenant: '${tenant}' is not a tenant name (letters, digits, '.', '-', '_', at most 64)`);
  const { openKeepStore } = await import('../host/open-store.js');
  const store = await openKeepStore(optionValue(args, 'state') ?? defaultStateDir());
  try {
    const token = generateToken();
    store.setTenant(tenant, hashToken(token), Date.now());
    process.stdout.write(args.flags.has('json') ? JSON.stringify({ tenant, token }) + '\n' : `${token}\n`);
  } finally {
    store.close();
  }
  return 0;
}

/** `enarx host ...`. Returns the exit status. */
export function hostMain(argv: readonly string[]): Promise<number> {
  return runSubcommand('host', argv, USAGE, { serve: serveMain, token: tokenMain });
}
