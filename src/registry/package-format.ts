/**
 * A workload package as an OCI artifact, so that any OCI registry can serve it.
 *
 * Layout: the CNCF TAG-Runtime "Wasm OCI Artifact layout" (wg-wasm guidance, config media type
 * v0), an OCI Image Specification v1.1.0 image manifest, extended with layers of our own for
 * Enarx.toml and the package's files:
 *
 *   manifest = { "schemaVersion": 2,
 *                "mediaType": "application/vnd.oci.image.manifest.v1+json",
 *                "config": descriptor(application/vnd.wasm.config.v0+json),
 *                "layers": [ descriptor(application/wasm, title "main.wasm"),
 *                            descriptor(application/vnd.enarx-ts.config.v1+toml, title "Enarx.toml")?,
 *                            descriptor(application/vnd.enarx-ts.file.v1, title <relative path>)* ] }
 *   descriptor = { "mediaType", "digest": "sha256:<64 hex>", "size", "annotations"? }   (image-spec v1.1.0 §descriptor)
 *   config   = { "created": RFC 3339, "architecture": "wasm", "os": "wasip1",
 *                "layerDigests": [ every layer's digest, in manifest order ] }
 *
 * A file's relative path (`/`-separated) is its layer's `org.opencontainers.image.title`
 * annotation (image-spec v1.1.0 annotations.md; ORAS names files the same way). Everything is
 * content-addressed and reproducible: keys in a fixed order, no whitespace, files in
 * `buildPackage`'s order, no mtimes, so the same directory always has the same manifest digest.
 * A manifest from a registry is untrusted and {@link parsePackageManifest} bounds and checks it.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { MAX_PACKAGE_BYTES } from '../crypto/package.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { SHA256_DIGEST } from './reference.js';

/** OCI Image Specification v1.1.0 image manifest. */
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
/** CNCF TAG-Runtime Wasm OCI artifact config (v0). */
export const CONFIG_MEDIA_TYPE = 'application/vnd.wasm.config.v0+json';
/** The annotation that names a layer's file (image-spec v1.1.0 pre-defined annotation keys). */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

/** What a layer holds. */
export type LayerKind = 'module' | 'config' | 'file';

/** One row per layer kind: its media type and, for the fixed ones, the file it unpacks to. */
export const LAYER_TYPES: readonly { readonly kind: LayerKind; readonly mediaType: string; readonly title?: string }[] = [
  { kind: 'module', mediaType: 'application/wasm', title: 'main.wasm' },
  { kind: 'config', mediaType: 'application/vnd.enarx-ts.config.v1+toml', title: 'Enarx.toml' },
  { kind: 'file', mediaType: 'application/vnd.enarx-ts.file.v1' },
];
const row = (kind: LayerKind) => LAYER_TYPES.find((r) => r.kind === kind)!;
const MODULE = row('module');
const CONFIG_LAYER = row('config');
const FILE = row('file');

/** Largest manifest accepted (the distribution spec's recommended minimum a registry takes). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Largest config blob accepted: its layer digests take ~70 bytes each. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most layers in a package (module + Enarx.toml + files). */
export const MAX_LAYERS = 1024;
const MAX_TITLE = 4096;
const CHUNK = 1024 * 1024;

/** An OCI content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A directory packed: the bytes to publish, and where each layer's content is on disk. */
export interface PackedPackage {
  /** The manifest's canonical JSON bytes; its SHA-256 is `manifestDigest`. */
  readonly manifest: Uint8Array;
  readonly manifestDigest: string;
  readonly config: { readonly bytes: Uint8Array; readonly descriptor: Descriptor };
  /** In manifest order; `path` is the absolute path of the content on disk. */
  readonly layers: readonly { readonly descriptor: Descriptor; readonly path: string }[];
}

/** A checked package manifest. */
export interface ParsedPackageManifest {
  readonly config: Descriptor;
  /** Every layer, in manifest order. */
  readonly layers: readonly Descriptor[];
  readonly module: Descriptor;
  readonly enarxToml?: Descriptor;
  readonly files: readonly { readonly path: string; readonly descriptor: Descriptor }[];
  /** Config plus layer sizes. */
  readonly totalSize: number;
}

/** A checked package config blob. */
export interface PackageConfig {
  readonly created: string;
  readonly architecture: 'wasm';
  readonly os: 'wasip1';
  readonly layerDigests: readonly string[];
}

function fail(code: RegistryErrorCode, message: string): never {
  throw new RegistryError(code, message);
}

/** Why `path` cannot be a package file's relative path, or undefined when it can. */
function titleProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > MAX_TITLE) return `must have 1 to ${MAX_TITLE} characters`;
  if (path.startsWith('/')) return 'must be relative';
  if (/[\0\\]/.test(path)) return 'must not contain NUL or a backslash';
  if (path.split('/').some((c) => c === '' || c === '.' || c === '..')) return 'must have no empty, . or .. components';
  return undefined;
}

/** `SOURCE_DATE_EPOCH` (reproducible-builds.org) as RFC 3339, or undefined when unset. */
function sourceDateEpoch(env: NodeJS.ProcessEnv): string | undefined {
  const v = env['SOURCE_DATE_EPOCH'];
  if (v === undefined || v === '') return undefined;
  if (!/^[0-9]{1,12}$/.test(v)) throw new TypeError(`SOURCE_DATE_EPOCH must be seconds since 1970 (an integer), not '${v}'`);
  return new Date(Number(v) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** SHA-256 and length of an open file, read through one reused buffer (bounded memory). */
async function hashHandle(fh: FileHandle, out?: FileHandle, limit = Number.MAX_SAFE_INTEGER): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
    if (bytesRead === 0) break;
    size += bytesRead;
    if (size > limit) break;
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    // A write may take fewer bytes than given; the rest must follow before the buffer is reused.
    if (out) for (let off = 0; off < chunk.length; ) off += (await out.write(chunk, off, chunk.length - off)).bytesWritten;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function hashFile(path: string, follow: boolean): Promise<{ digest: string; size: number }> {
  // O_NONBLOCK: a file swapped for a FIFO since it was listed must not hang the open.
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW));
  try {
    if (!(await fh.stat()).isFile()) fail(RegistryErrorCode.FORMAT, `'${path}' is not a regular file`);
    return await hashHandle(fh);
  } finally {
    await fh.close();
  }
}

/**
 * The files of a package directory besides main.wasm and Enarx.toml, in `buildPackage`'s order
 * (depth first, names sorted per folder), so that a published package unpacks to what
 * `buildPackage` would read from the original.
 */
async function listFiles(dir: string): Promise<{ path: string; abs: string; size: number }[]> {
  const out: { path: string; abs: string; size: number }[] = [];
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const rel = prefix + name;
      if (rel === MODULE.title || rel === CONFIG_LAYER.title) continue;
      const abs = join(d, name);
      const s = await lstat(abs);
      if (s.isDirectory()) await walk(abs, `${rel}/`);
      else if (s.isFile()) {
        const problem = titleProblem(rel);
        if (problem) fail(RegistryErrorCode.FORMAT, `file '${rel}': its path ${problem}`);
        if (out.length >= MAX_LAYERS - 2) fail(RegistryErrorCode.TOO_LARGE, `'${dir}' holds more than ${MAX_LAYERS - 2} files`);
        out.push({ path: rel, abs, size: s.size });
      } else fail(RegistryErrorCode.FORMAT, `'${abs}' is not a regular file or directory (symlinks are not packaged)`);
    }
  };
  await walk(dir, '');
  return out;
}

const titled = (mediaType: string, d: { digest: string; size: number }, title: string): Descriptor => ({ mediaType, digest: d.digest, size: d.size, annotations: { [TITLE_ANNOTATION]: title } });

/** The sources of a directory's layers: main.wasm (followed if a symlink, as buildPackage reads it), Enarx.toml, files. */
async function layerSources(root: string): Promise<{ mediaType: string; title: string; abs: string; follow: boolean; size: number }[]> {
  const module = await stat(join(root, MODULE.title!)).catch(() => undefined);
  if (!module?.isFile()) fail(RegistryErrorCode.NOT_FOUND, `package directory '${root}' has no main.wasm`);
  const sources = [{ mediaType: MODULE.mediaType, title: MODULE.title!, abs: join(root, MODULE.title!), follow: true, size: module.size }];
  // buildPackage reads Enarx.toml only when it is a regular file (lstat), and skips it otherwise.
  const cfg = await lstat(join(root, CONFIG_LAYER.title!)).catch(() => undefined);
  if (cfg?.isFile()) sources.push({ mediaType: CONFIG_LAYER.mediaType, title: CONFIG_LAYER.title!, abs: join(root, CONFIG_LAYER.title!), follow: false, size: cfg.size });
  for (const f of await listFiles(root)) sources.push({ mediaType: FILE.mediaType, title: f.path, abs: f.abs, follow: false, size: f.size });
  const total = sources.reduce((n, s) => n + s.size, 0);
  if (total > MAX_PACKAGE_BYTES) fail(RegistryErrorCode.TOO_LARGE, `'${root}' holds ${total} bytes, more than the ${MAX_PACKAGE_BYTES} a package may`);
  return sources;
}

/**
 * Packs a package directory (main.wasm, optional Enarx.toml, other files) into an OCI manifest
 * and config, hashing each file by streaming it. `created` is `opts.created`, else
 * `SOURCE_DATE_EPOCH`, else the epoch, never a file's mtime: mtimes change on every copy or
 * checkout, and the same directory must give the same digest wherever it is packed.
 * @throws RegistryError ERR_NOT_FOUND (no main.wasm), ERR_PACKAGE_FORMAT (a symlink, special
 *   file or unusable file name), ERR_TOO_LARGE (more than the package or layer bounds)
 */
export async function packDirectory(dir: string, opts: { created?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PackedPackage> {
  const created = opts.created ?? sourceDateEpoch(opts.env ?? process.env) ?? '1970-01-01T00:00:00Z';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(created)) throw new TypeError(`created must be an RFC 3339 timestamp, not '${created}'`);
  const root = resolve(dir);
  // The directory itself may be a symlink (the user named it); what is inside may not.
  if (!(await stat(root).catch(() => undefined))?.isDirectory()) fail(RegistryErrorCode.NOT_FOUND, `'${dir}' is not a directory`);
  const layers: { descriptor: Descriptor; path: string }[] = [];
  for (const s of await layerSources(root)) {
    layers.push({ descriptor: titled(s.mediaType, await hashFile(s.abs, s.follow), s.title), path: s.abs });
  }
  const total = layers.reduce((n, l) => n + l.descriptor.size, 0);
  if (total > MAX_PACKAGE_BYTES) fail(RegistryErrorCode.TOO_LARGE, `'${dir}' grew past ${MAX_PACKAGE_BYTES} bytes while it was packed`);
  const configJson = { created, architecture: 'wasm', os: 'wasip1', layerDigests: layers.map((l) => l.descriptor.digest) };
  const configBytes = new TextEncoder().encode(JSON.stringify(configJson));
  const config: Descriptor = { mediaType: CONFIG_MEDIA_TYPE, digest: sha256(configBytes), size: configBytes.length };
  const manifestJson = { schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, config, layers: layers.map((l) => l.descriptor) };
  const manifest = new TextEncoder().encode(JSON.stringify(manifestJson));
  return { manifest, manifestDigest: sha256(manifest), config: { bytes: configBytes, descriptor: config }, layers };
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Untrusted JSON bytes (at most `max`) as an object. */
function parseJsonObject(bytes: Uint8Array, max: number, what: string): Record<string, unknown> {
  if (bytes.length > max) fail(RegistryErrorCode.TOO_LARGE, `${what} of ${bytes.length} bytes exceeds the maximum of ${max}`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new RegistryError(RegistryErrorCode.FORMAT, `${what} is not UTF-8 JSON`, { cause: err });
  }
  if (!isObject(v)) fail(RegistryErrorCode.FORMAT, `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** A descriptor from untrusted JSON; unknown fields are ignored, as image-spec v1.1.0 asks. */
function descriptor(v: unknown, at: string): Descriptor {
  if (!isObject(v)) return fail(RegistryErrorCode.FORMAT, `${at} is not a descriptor object`);
  const { mediaType, digest, size, annotations } = v;
  if (typeof mediaType !== 'string' || mediaType.length > 255) return fail(RegistryErrorCode.FORMAT, `${at}.mediaType must be a media type string`);
  if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) return fail(RegistryErrorCode.FORMAT, `${at}.digest must be sha256: and 64 lower-case hex digits`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return fail(RegistryErrorCode.FORMAT, `${at}.size must be a non-negative safe integer`);
  if (annotations === undefined) return { mediaType, digest, size };
  if (!isObject(annotations) || Object.values(annotations).some((x) => typeof x !== 'string')) fail(RegistryErrorCode.FORMAT, `${at}.annotations must map strings to strings`);
  // A null-prototype copy: a `__proto__` key stays a plain key.
  return { mediaType, digest, size, annotations: Object.assign(Object.create(null) as Record<string, string>, annotations) };
}

/** Refuses a file layer whose path would clash with another, or with main.wasm / Enarx.toml. */
function checkFilePaths(files: readonly { path: string }[]): void {
  const all = new Set<string>([MODULE.title!, CONFIG_LAYER.title!]);
  for (const { path } of files) {
    if (all.has(path)) fail(RegistryErrorCode.FORMAT, `file layer '${path}' is named twice, or clashes with main.wasm or Enarx.toml`);
    all.add(path);
  }
  // A path that is also another's folder ('a' and 'a/b') cannot be unpacked.
  for (const { path } of files) {
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      if (all.has(path.slice(0, i))) fail(RegistryErrorCode.FORMAT, `file layer '${path}' lies under '${path.slice(0, i)}', which is a file`);
    }
  }
}

/**
 * Checks an untrusted manifest: bounds, media types, exactly one module layer, at most one
 * Enarx.toml layer, file layers with safe distinct relative paths.
 * @throws RegistryError ERR_TOO_LARGE (manifest, layer count, config or total size) or
 *   ERR_PACKAGE_FORMAT (anything else that is not an enarx-ts package manifest)
 */
export function parsePackageManifest(bytes: Uint8Array): ParsedPackageManifest {
  const m = parseJsonObject(bytes, MAX_MANIFEST_BYTES, 'manifest');
  if (m['schemaVersion'] !== 2) fail(RegistryErrorCode.FORMAT, 'manifest schemaVersion must be 2');
  if (m['mediaType'] !== MANIFEST_MEDIA_TYPE) fail(RegistryErrorCode.FORMAT, `manifest mediaType must be '${MANIFEST_MEDIA_TYPE}'`);
  const config = descriptor(m['config'], 'config');
  if (config.mediaType !== CONFIG_MEDIA_TYPE) fail(RegistryErrorCode.FORMAT, `config mediaType must be '${CONFIG_MEDIA_TYPE}' (not an enarx-ts / Wasm package)`);
  if (config.size > MAX_CONFIG_BYTES) fail(RegistryErrorCode.TOO_LARGE, `config of ${config.size} bytes exceeds the maximum of ${MAX_CONFIG_BYTES}`);
  const raw = m['layers'];
  if (!Array.isArray(raw)) return fail(RegistryErrorCode.FORMAT, 'manifest layers must be an array');
  if (raw.length > MAX_LAYERS) fail(RegistryErrorCode.TOO_LARGE, `manifest has ${raw.length} layers, more than ${MAX_LAYERS}`);
  const layers = raw.map((l, i) => descriptor(l, `layers[${i}]`));
  let totalSize = config.size;
  for (const l of layers) totalSize += l.size;
  if (totalSize > MAX_PACKAGE_BYTES) fail(RegistryErrorCode.TOO_LARGE, `package of ${totalSize} bytes exceeds the maximum of ${MAX_PACKAGE_BYTES}`);
  const modules = layers.filter((l) => l.mediaType === MODULE.mediaType);
  if (modules.length !== 1) fail(RegistryErrorCode.FORMAT, `a package has exactly one '${MODULE.mediaType}' layer, not ${modules.length}`);
  const tomls = layers.filter((l) => l.mediaType === CONFIG_LAYER.mediaType);
  if (tomls.length > 1) fail(RegistryErrorCode.FORMAT, `a package has at most one '${CONFIG_LAYER.mediaType}' layer`);
  const files: { path: string; descriptor: Descriptor }[] = [];
  layers.forEach((l, i) => {
    if (l.mediaType === MODULE.mediaType || l.mediaType === CONFIG_LAYER.mediaType) return;
    if (l.mediaType !== FILE.mediaType) fail(RegistryErrorCode.FORMAT, `layers[${i}] has media type '${l.mediaType}', not one of an enarx-ts package`);
    const path = l.annotations?.[TITLE_ANNOTATION];
    if (path === undefined) return fail(RegistryErrorCode.FORMAT, `layers[${i}] has no '${TITLE_ANNOTATION}' annotation naming its file`);
    const problem = titleProblem(path);
    if (problem) fail(RegistryErrorCode.FORMAT, `layers[${i}] file path '${path.slice(0, 200)}' ${problem}`);
    files.push({ path, descriptor: l });
  });
  checkFilePaths(files);
  return deepFreeze({ config, layers, module: modules[0]!, ...(tomls[0] ? { enarxToml: tomls[0] } : {}), files, totalSize });
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * Checks a package's config blob against its manifest: its digest and size, `architecture:
 * wasm`, `os: wasip1`, and `layerDigests` equal to the manifest's layer digests.
 * @throws RegistryError ERR_SIZE_MISMATCH, ERR_DIGEST_MISMATCH, ERR_TOO_LARGE, ERR_PACKAGE_FORMAT
 */
export function parsePackageConfig(bytes: Uint8Array, manifest: ParsedPackageManifest): PackageConfig {
  if (bytes.length > MAX_CONFIG_BYTES) fail(RegistryErrorCode.TOO_LARGE, `config of ${bytes.length} bytes exceeds the maximum of ${MAX_CONFIG_BYTES}`);
  // Copied first, so that the bytes hashed are the bytes parsed.
  const copy = Uint8Array.from(bytes);
  if (copy.length !== manifest.config.size) fail(RegistryErrorCode.SIZE_MISMATCH, `config has ${copy.length} bytes, its descriptor says ${manifest.config.size}`);
  if (sha256(copy) !== manifest.config.digest) fail(RegistryErrorCode.DIGEST_MISMATCH, `config is not ${manifest.config.digest}`);
  const c = parseJsonObject(copy, MAX_CONFIG_BYTES, 'config');
  if (c['architecture'] !== 'wasm') fail(RegistryErrorCode.FORMAT, "config architecture must be 'wasm'");
  if (c['os'] !== 'wasip1') fail(RegistryErrorCode.FORMAT, "config os must be 'wasip1' (a WASI preview 1 module)");
  const created = c['created'];
  if (typeof created !== 'string' || created.length > 64) fail(RegistryErrorCode.FORMAT, 'config created must be an RFC 3339 timestamp');
  const digests = c['layerDigests'];
  const expected = manifest.layers.map((l) => l.digest);
  if (!Array.isArray(digests) || digests.length !== expected.length || digests.some((d, i) => d !== expected[i])) {
    fail(RegistryErrorCode.FORMAT, "config layerDigests must list the manifest's layer digests, in order");
  }
  return deepFreeze({ created: created as string, architecture: 'wasm', os: 'wasip1', layerDigests: expected });
}

/** Copies one blob to `dest` (a new file), checking its size and digest on the way. */
async function copyBlob(src: string, dest: string, d: Descriptor): Promise<void> {
  const input = await open(src, 'r').catch((err: unknown) => {
    throw new RegistryError(RegistryErrorCode.NOT_FOUND, `blob ${d.digest} is not in the store`, { cause: err });
  });
  try {
    const output = await open(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const got = await hashHandle(input, output, d.size);
      if (got.size !== d.size) fail(RegistryErrorCode.SIZE_MISMATCH, `blob ${d.digest} has ${got.size > d.size ? 'more than ' : ''}${got.size} bytes, its descriptor says ${d.size}`);
      if (got.digest !== d.digest) fail(RegistryErrorCode.DIGEST_MISMATCH, `blob ${d.digest} does not hash to its digest`);
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/**
 * Writes a package's blobs as the directory `buildPackage` reads (main.wasm, Enarx.toml, the
 * files in their folders). It is built in a fresh sibling folder and renamed into place, so a
 * failure leaves nothing and `dir`, if it exists, must be empty (a package plus leftovers
 * would not be the package). Each blob's size and digest are checked again as it is copied.
 * @throws RegistryError ERR_PACKAGE_FORMAT (a path outside `dir`), ERR_NOT_FOUND (a missing
 *   blob), ERR_SIZE_MISMATCH / ERR_DIGEST_MISMATCH (a damaged blob), ERR_STORE (`dir` not empty)
 */
export async function unpackToDirectory(parsed: ParsedPackageManifest, blobPath: (digest: string) => string, dir: string): Promise<void> {
  const target = resolve(dir);
  const entries = [{ path: MODULE.title!, descriptor: parsed.module }, ...(parsed.enarxToml ? [{ path: CONFIG_LAYER.title!, descriptor: parsed.enarxToml }] : []), ...parsed.files];
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.unpack-`));
  try {
    for (const { path, descriptor: d } of entries) {
      const problem = titleProblem(path);
      const dest = resolve(tmp, path);
      if (problem || !dest.startsWith(tmp + sep)) fail(RegistryErrorCode.FORMAT, `refusing to write '${path.slice(0, 200)}': it would land outside '${dir}'`);
      await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
      await copyBlob(blobPath(d.digest), dest, d);
    }
    await rename(tmp, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST' || err.code === 'ENOTDIR') {
        throw new RegistryError(RegistryErrorCode.STORE, `cannot unpack into '${dir}': it exists and is not an empty directory`, { cause: err });
      }
      throw new RegistryError(RegistryErrorCode.STORE, `cannot unpack into '${dir}': ${err.message}`, { cause: err });
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
