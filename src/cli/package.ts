/**
 * `enarx package …`: workload packages as OCI artifacts, in a registry or the local store
 * (src/registry/: the format, the store, the client, signatures; packages.ts runs each command).
 */
import { readFile } from 'node:fs/promises';
import { optionValue, optionValues, parseArgs, type OptionSpecs, type ParsedArgs } from './args.js';
import { CliError, usageError } from './errors.js';
import { progressBar } from './progress.js';
import type { RegistryAccess } from '../registry/packages.js';

const USAGE = `usage: enarx package <command> [options]

commands:
  publish REF DIR        pack DIR (main.wasm, optional Enarx.toml, files) and push it as REF
  fetch REF DIR          pull REF, check every digest and size, and unpack it into DIR
  info REF [--json]      the package's manifest, layers and signatures
  sign --key KEY.pem REF sign REF's manifest digest (cosign's key-based simple signing)
  verify --key PUB.pem REF   check that REF is signed by one of the keys (repeatable)
  ls                     what the local store holds
  gc                     remove blobs of the local store no tag reaches

REF: oci://HOST[:PORT]/REPO[:TAG|@sha256:DIGEST] (a registry), or NAME[:TAG|@sha256:DIGEST]
(the local store, in the user's data folder; ENARX_OCI_STORE overrides it).

registry options:
  --username U, --password-stdin   basic credentials (else ~/.docker/config.json, or none)
  --token T              a bearer token (else the registry's token flow)
  --ca FILE              CA bundle (PEM) for the registry's HTTPS
  --plain-http           plain HTTP to a registry that is not on loopback (loopback needs no flag)
  --json                 results and errors as JSON; no progress bar
`;

const REGISTRY: OptionSpecs = {
  username: { value: true },
  'password-stdin': { value: false },
  token: { value: true },
  ca: { value: true },
  'plain-http': { value: false },
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
};

async function readStdinText(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

/** The registry access a command line asks for. @throws CliError ERR_USAGE, ERR_FILE */
export async function registryAccess(args: ParsedArgs): Promise<RegistryAccess> {
  const username = optionValue(args, 'username');
  const token = optionValue(args, 'token');
  if (args.flags.has('password-stdin') && username === undefined) throw usageError('--password-stdin needs --username');
  if (username !== undefined && token !== undefined) throw usageError('--username and --token exclude each other');
  const caFile = optionValue(args, 'ca');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = await readFile(caFile, 'utf8');
    } catch (err) {
      throw new CliError('ERR_FILE', `cannot read --ca ${caFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const password = username === undefined ? undefined : args.flags.has('password-stdin') ? await readStdinText() : (process.env['ENARX_REGISTRY_PASSWORD'] ?? '');
  return {
    ...(username !== undefined ? { credentials: { username, password: password ?? '' } } : token !== undefined ? { credentials: { token } } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(args.flags.has('plain-http') ? { plainHttp: true } : {}),
  };
}

async function readKeys(files: readonly string[], what: string): Promise<string[]> {
  return Promise.all(
    files.map((f) =>
      readFile(f, 'utf8').catch((err: Error) => {
        throw new CliError('ERR_FILE', `cannot read ${what} ${f}: ${err.message}`, { cause: err });
      }),
    ),
  );
}

function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human);
}

/** `enarx package …`. Returns the exit status. */
export async function packageMain(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const args = parseArgs(rest, { ...REGISTRY, key: { value: true, multiple: true } });
  if (args.flags.has('help')) return (process.stdout.write(USAGE), 0);
  const json = args.flags.has('json');
  const ops = await import('../registry/packages.js');
  const ctx = { access: await registryAccess(args), progress: progressBar(process.stderr, { json }) };
  const [a, b, ...extra] = args.positionals;
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`);
  const need = (n: number, form: string): void => {
    if ((n >= 1 && a === undefined) || (n >= 2 && b === undefined) || (n < 2 && b !== undefined) || (n < 1 && a !== undefined)) throw usageError(`usage: enarx package ${form}`);
  };
  switch (sub) {
    case 'publish': {
      need(2, 'publish REF DIR');
      const r = await ops.publishPackage(a!, b!, ctx);
      print(json, r, `published ${r.ref}@${r.digest} (${r.layers} layers, ${r.bytes} bytes)\n`);
      return 0;
    }
    case 'fetch': {
      need(2, 'fetch REF DIR');
      const r = await ops.fetchPackage(a!, b!, ctx);
      print(json, r, `fetched ${r.ref}@${r.digest} into ${b}\n`);
      return 0;
    }
    case 'info': {
      need(1, 'info REF [--json]');
      const r = await ops.packageInfo(a!, ctx);
      print(json, r, ops.formatInfo(r));
      return 0;
    }
    case 'sign': {
      need(1, 'sign --key KEY.pem REF');
      const [key, ...more] = await readKeys(optionValues(args, 'key'), 'the signing key');
      if (key === undefined || more.length > 0) throw usageError('sign needs exactly one --key KEY.pem');
      const r = await ops.signPackage(a!, key, ctx);
      print(json, r, `signed ${r.ref}@${r.digest} with key ${r.keyId.slice(0, 16)}… (${r.signatureRef})\n`);
      return 0;
    }
    case 'verify': {
      need(1, 'verify --key PUB.pem REF');
      const keys = await readKeys(optionValues(args, 'key'), 'the public key');
      if (keys.length === 0) throw usageError('verify needs --key PUB.pem (repeatable)');
      const r = await ops.verifyPackage(a!, keys, ctx);
      print(json, r, `verified ${r.ref}@${r.digest}: signed by key ${r.keyId}\n`);
      return 0;
    }
    case 'ls': {
      need(0, 'ls');
      const r = await ops.listPackages(ctx);
      print(json, r, r.map((p) => `${p.ref}  ${p.digest}  ${p.size}\n`).join(''));
      return 0;
    }
    case 'gc': {
      need(0, 'gc');
      const r = await ops.collectGarbage(ctx);
      print(json, r, `removed ${r.removedBlobs} blobs, ${r.freedBytes} bytes\n`);
      return 0;
    }
  }
  throw usageError(`unknown subcommand 'package ${sub}'; see 'enarx package --help'`);
}
