/**
 * Building a workload package from what a user has: a `.wasm` file, or a directory with
 * `main.wasm`, an optional `Enarx.toml` and any other files (which the workload sees under `/`,
 * from the keep's memory). Enarx.toml is resolved here, on the client, into the arguments,
 * environment and descriptors the keep provides.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { EnarxConfig, FileEntry } from '../config/index.js';
import { MAX_PEM_CHARS, MAX_TRUST_ANCHORS } from '../protocol/sockets.js';
import type { SocketSpec } from '../protocol/sockets.js';
import { CodedError } from '../errors.js';
import { MAX_PACKAGE_BYTES } from '../crypto/package.js';
import type { Package, PackageFile } from '../crypto/package.js';

/** Codes of {@link PackageBuildError}. */
export type PackageBuildErrorCode = 'ERR_MODULE_NOT_FOUND' | 'ERR_CONFIG_NOT_FOUND' | 'ERR_PACKAGE_TOO_LARGE' | 'ERR_PACKAGE_FILE' | 'ERR_UNSUPPORTED';

/** A package that cannot be built, with a stable code. */
export class PackageBuildError extends CodedError<PackageBuildErrorCode> {
  override readonly name = 'PackageBuildError';
}

/** Without an Enarx.toml a workload gets stdin, stdout and stderr and nothing else. */
export const DEFAULT_FDS: Package['fds'] = ['stdin', 'stdout', 'stderr'];
const MAX_FILES = 10_000;

/** Extra arguments and environment from the command line (after the config's). */
export interface WorkloadExtras {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Where the config's relative paths (TLS trust anchors) start; default: the working directory. */
  readonly configDir?: string;
}

type SocketEntry = Extract<FileEntry, { kind: 'listen' | 'connect' }>;

/** A socket entry of Enarx.toml as the package carries it: its trust anchors read into PEM text. */
async function socketSpec(f: SocketEntry, dir: string): Promise<SocketSpec> {
  if (f.kind === 'listen') {
    const base = { kind: 'listen', prot: f.prot, addr: f.addr, port: f.port } as const;
    if (!f.tls) return base;
    return { ...base, tls: { clientAuth: f.tls.clientAuth, trustAnchors: await readAnchors(f.tls.trustAnchors, dir, f.name), alpn: f.tls.alpn } };
  }
  const base = { kind: 'connect', prot: f.prot, host: f.host, port: f.port } as const;
  if (!f.tls) return base;
  const anchors = f.tls.trustAnchors ? { trustAnchors: await readAnchors(f.tls.trustAnchors, dir, f.name) } : {};
  return { ...base, tls: { ...anchors, presentCertificate: f.tls.clientCert, alpn: f.tls.alpn } };
}

/** Reads trust-anchor PEM files: each must hold at least one certificate; each certificate becomes one anchor. */
async function readAnchors(paths: readonly string[], dir: string, name: string): Promise<string[]> {
  const anchors: string[] = [];
  for (const p of paths) {
    const path = resolve(dir, p);
    let text: string;
    try {
      const st = await stat(path);
      if (st.size > MAX_PEM_CHARS * MAX_TRUST_ANCHORS) throw new Error('file too large');
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new PackageBuildError('ERR_PACKAGE_FILE', `Enarx.toml file '${name}': cannot read trust anchor '${p}': ${(err as Error).message}`);
    }
    const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (certs.length === 0) throw new PackageBuildError('ERR_PACKAGE_FILE', `Enarx.toml file '${name}': trust anchor '${p}' holds no PEM certificate`);
    anchors.push(...certs.map((c) => `${c}\n`));
  }
  if (anchors.length > MAX_TRUST_ANCHORS) throw new PackageBuildError('ERR_PACKAGE_FILE', `Enarx.toml file '${name}': more than ${MAX_TRUST_ANCHORS} trust anchors`);
  return anchors;
}

/** Combines a module, an optional Enarx.toml, files and extras into a package. */
export async function resolveWorkload(
  wasm: Uint8Array,
  argv0: string,
  config: EnarxConfig | undefined,
  files: readonly PackageFile[],
  extras: WorkloadExtras = {},
): Promise<Package> {
  const env: Record<string, string> = { ...(config?.env ?? {}), ...(extras.env ?? {}) };
  let fds = DEFAULT_FDS;
  if (config) {
    // Enarx sets these for every configured workload; they describe the descriptors it gets.
    const { fdEnvironment } = await import('../config/index.js');
    const fdEnv = fdEnvironment(config);
    env['FD_COUNT'] = fdEnv.FD_COUNT;
    env['FD_NAMES'] = fdEnv.FD_NAMES;
    const dir = extras.configDir ?? process.cwd();
    fds = await Promise.all(config.files.map((f) => (f.kind === 'listen' || f.kind === 'connect' ? socketSpec(f, dir) : f.kind)));
  }
  const stewardAnchors = config?.stewardTrustAnchors ? await readAnchors(config.stewardTrustAnchors, extras.configDir ?? process.cwd(), 'steward') : undefined;
  const identity =
    config?.steward !== undefined || config?.dnsNames !== undefined
      ? { ...(config.steward ? { steward: config.steward } : {}), ...(config.dnsNames ? { dnsNames: config.dnsNames } : {}), ...(stewardAnchors ? { stewardTrustAnchors: stewardAnchors } : {}) }
      : undefined;
  return { wasm, files, args: [argv0, ...(config?.args ?? []), ...(extras.args ?? [])], env, fds, ttys: [], ...(identity ? { identity } : {}) };
}

/** Reads and parses an Enarx.toml file. */
export async function readConfig(path: string): Promise<EnarxConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PackageBuildError('ERR_CONFIG_NOT_FOUND', `cannot read config '${path}': ${(err as Error).message}`);
  }
  // Loaded only when used: the schema library is a large part of start-up.
  const { parseEnarxToml } = await import('../config/index.js');
  return parseEnarxToml(text, path);
}

async function readFiles(dir: string, skip: ReadonlySet<string>): Promise<PackageFile[]> {
  const out: PackageFile[] = [];
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p).split(sep).join('/');
      if (skip.has(rel)) continue;
      const s = await lstat(p);
      if (s.isDirectory()) await walk(p);
      else if (s.isFile()) {
        if (out.length >= MAX_FILES) throw new PackageBuildError('ERR_PACKAGE_TOO_LARGE', `more than ${MAX_FILES} files in '${dir}'`);
        total += s.size;
        if (total > MAX_PACKAGE_BYTES) throw new PackageBuildError('ERR_PACKAGE_TOO_LARGE', `'${dir}' holds more than ${MAX_PACKAGE_BYTES} bytes`);
        out.push({ path: rel, data: await readFile(p) });
      } else throw new PackageBuildError('ERR_PACKAGE_FILE', `'${p}' is not a regular file or directory (symlinks are not packaged)`);
    }
  };
  await walk(dir);
  return out;
}

/** Builds the package for PATH: a `.wasm` file, or a directory with `main.wasm` [+ Enarx.toml + files]. */
export async function buildPackage(path: string, extras: WorkloadExtras = {}): Promise<Package> {
  let s;
  try {
    s = await lstat(path);
  } catch {
    throw new PackageBuildError('ERR_MODULE_NOT_FOUND', `'${path}' does not exist`);
  }
  if (!s.isDirectory()) {
    const wasm = await readFile(path).catch((err: Error) => {
      throw new PackageBuildError('ERR_MODULE_NOT_FOUND', `cannot read module '${path}': ${err.message}`);
    });
    return resolveWorkload(wasm, basename(path), undefined, [], extras);
  }
  const wasm = await readFile(join(path, 'main.wasm')).catch(() => {
    throw new PackageBuildError('ERR_MODULE_NOT_FOUND', `package directory '${path}' has no main.wasm`);
  });
  const cfgPath = join(path, 'Enarx.toml');
  const hasConfig = await lstat(cfgPath).then((x) => x.isFile(), () => false);
  const config = hasConfig ? await readConfig(cfgPath) : undefined;
  const files = await readFiles(path, new Set(['main.wasm', 'Enarx.toml']));
  // Files an Enarx.toml names (trust anchors) are relative to it, not to the working directory.
  return resolveWorkload(wasm, 'main.wasm', config, files, { configDir: path, ...extras });
}
