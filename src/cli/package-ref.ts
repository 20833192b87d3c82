/**
 * `enarx deploy REF` and `enarx run REF`: a workload named by a package reference instead of a
 * path. `oci://…` is always a reference; a bare `NAME[:TAG|@sha256:…]` is one when no file or
 * folder of that name exists (a path wins). With `--verify-key` (repeatable), a package that no
 * given key signed is refused before it is pulled, and long before anything reaches a host.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Package } from '../crypto/package.js';
import type { ResolvedPackage } from '../registry/packages.js';
import { optionValue, optionValues } from './args.js';
import type { OptionSpecs, ParsedArgs } from './args.js';
import { CliError, usageError } from './errors.js';
import { progressBar } from './progress.js';

/** The options of a command that takes a reference (`--token` is the host's there: registry credentials come from the docker config). */
export const PACKAGE_REF_OPTIONS: OptionSpecs = {
  'verify-key': { value: true, multiple: true },
  'registry-ca': { value: true },
  'plain-http': { value: false },
};

/** Whether `text` names a package rather than a file. */
export async function isPackageRef(text: string): Promise<boolean> {
  if (text.startsWith('oci://')) return true;
  if (await stat(text).then(() => true, () => false)) return false;
  const { parsePackageRef } = await import('../registry/reference.js');
  try {
    return parsePackageRef(text).kind === 'local';
  } catch {
    return false;
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError('ERR_FILE', `cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The workload `text` names: a path as it is, or a package resolved (signature checked, pulled,
 * unpacked into a private folder the caller removes with `cleanup`).
 * @throws CliError ERR_USAGE (`--verify-key` with a path); RegistryError
 */
export async function resolveWorkloadPath(text: string, args: ParsedArgs): Promise<{ path: string; resolved?: ResolvedPackage }> {
  const keyFiles = optionValues(args, 'verify-key');
  if (!(await isPackageRef(text))) {
    if (keyFiles.length > 0) throw usageError('--verify-key checks a package reference (oci://… or NAME:TAG), not a local file');
    return { path: text };
  }
  const keys = await Promise.all(keyFiles.map((f) => readText(f, '--verify-key')));
  const caFile = optionValue(args, 'registry-ca');
  const ca = caFile === undefined ? undefined : await readText(caFile, '--registry-ca');
  const { resolveForDeploy } = await import('../registry/packages.js');
  const resolved = await resolveForDeploy(text, keys, {
    access: { ...(ca !== undefined ? { ca } : {}), ...(args.flags.has('plain-http') ? { plainHttp: true } : {}) },
    progress: progressBar(process.stderr, { json: args.flags.has('json') }),
  });
  return { path: resolved.dir, resolved };
}

/** The package built from a resolved reference, carrying where it came from for its keep to check. */
export function withProvenance(pkg: Package, resolved: ResolvedPackage | undefined): Package {
  return resolved === undefined ? pkg : { ...pkg, identity: { ...pkg.identity, provenance: resolved.provenance } };
}
