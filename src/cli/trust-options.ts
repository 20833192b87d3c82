/**
 * What a command that checks keeps trusts, as its command line says (`deploy`, `attest tls`):
 * the simulated platform (`--allow-sim`, optionally pinned with `--trust-root FILE`), keeps
 * without evidence (`--insecure-nil`, where the command offers it), and the runtimes accepted
 * (`--reference-values FILE`, `--measurement HEX`, workload-options.ts).
 */
import { readFile } from 'node:fs/promises';
import type { KeepTrustPolicy } from '../client/verify-keep.js';
import type { StewardTrust } from '../client/steward.js';
import { optionValue, optionValues } from './args.js';
import type { OptionSpecs, ParsedArgs } from './args.js';
import { CliError, usageError } from './errors.js';
import { acceptedRuntimes, loadAcceptedRuntimes } from './workload-options.js';
import type { AcceptedRuntimes } from './workload-options.js';

/** `--steward URL --steward-jwks FILE`: delegate the appraisal to a steward (client/steward.ts). */
export const STEWARD_OPTIONS: OptionSpecs = { steward: { value: true }, 'steward-jwks': { value: true } };

/**
 * The steward a command line delegates to, its pinned keys read, or undefined.
 * @throws CliError ERR_USAGE, ERR_FILE; StewardClientError when the JWKS file is not one
 */
export async function loadStewardTrust(args: ParsedArgs, allowSim: boolean): Promise<StewardTrust | undefined> {
  const url = optionValue(args, 'steward');
  const jwksFile = optionValue(args, 'steward-jwks');
  if (url === undefined && jwksFile === undefined) return undefined;
  if (url === undefined || jwksFile === undefined) throw usageError('--steward URL needs --steward-jwks FILE (the steward\'s /.well-known/jwks.json, saved and checked beforehand), and the other way round');
  if (!URL.canParse(url)) throw usageError(`--steward: '${url}' is not a URL`);
  let text: string;
  try {
    text = await readFile(jwksFile, 'utf8');
  } catch (err) {
    throw new CliError('ERR_FILE', `cannot read --steward-jwks ${jwksFile}: ${(err as Error).message}`, { cause: err });
  }
  const { parseJwks } = await import('../client/steward.js');
  return { url, jwks: parseJwks(text, jwksFile), allowSim };
}

/** The trust options (`--insecure-nil` apart: not every command has keeps without evidence to accept). */
export const TRUST_OPTIONS: OptionSpecs = {
  ...STEWARD_OPTIONS,
  'allow-sim': { value: false },
  'trust-root': { value: true, multiple: true },
  'reference-values': { value: true },
  measurement: { value: true, multiple: true },
};

/** The trust a command line asks for, checked but not yet read from its files. */
export interface TrustArgs {
  readonly allowSim: boolean;
  /** Files of the sim ARKs to trust (with allowSim only); none: the root the keep presents. */
  readonly simRoots: readonly string[];
  readonly insecureNil: boolean;
  readonly runtimes: AcceptedRuntimes;
}

/** The trust of a command line. @throws CliError ERR_USAGE */
export function trustArgs(args: ParsedArgs): TrustArgs {
  const allowSim = args.flags.has('allow-sim');
  const simRoots = optionValues(args, 'trust-root');
  if (simRoots.length > 0 && !allowSim) throw usageError("--trust-root names a simulated platform's root: it needs --allow-sim");
  return { allowSim, simRoots, insecureNil: args.flags.has('insecure-nil'), runtimes: acceptedRuntimes(args) };
}

/** The policy of `trust`, its files read. */
export async function loadTrustPolicy(trust: TrustArgs): Promise<KeepTrustPolicy> {
  const { derObjects } = await import('../attestation/pki/pem.js');
  const pinned = (await Promise.all(trust.simRoots.map(async (f) => derObjects(await readFile(f), ['CERTIFICATE'])))).flat();
  return {
    ...(trust.allowSim ? { sim: pinned.length > 0 ? { roots: pinned } : ('presented' as const) } : {}),
    insecureNil: trust.insecureNil,
    ...(await loadAcceptedRuntimes(trust.runtimes)),
  };
}
