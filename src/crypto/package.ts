/**
 * The workload package: what a client deploys and only the keep ever sees in plaintext.
 *
 *   package  = "ENXPKG01" ‖ u32be(len manifest) ‖ manifest (JSON) ‖ blobs
 *   manifest = { version: 2, wasm: { size }, files: [{ path, size }], args: [...],
 *                env: { K: V }, fds: ["stdin" | "stdout" | "stderr" | "null" | socket, ...],
 *                ttys?: ["stdin" | "stdout" | "stderr", ...], input?: true }
 *   blobs    = the wasm bytes, then each file's bytes, in manifest order
 *
 * The client resolves Enarx.toml into args, env and fds, so the keep needs no TOML parser; a
 * socket descriptor is protocol/sockets.ts's `SocketSpec` (its trust anchors as PEM text).
 * A package arrives authenticated (AEAD) from the client, but is still parsed as untrusted:
 * sizes, counts and paths are bounded and checked. Its integrity is the sealed package's (each
 * chunk authenticated, in order, to the last: seal.ts), and its digest, the SHA-256 of these very
 * bytes, is taken by the keep as it opens them. Version 1 also named the module's own SHA-256:
 * a pass over the largest part on the client's way to its keep that checked nothing more.
 */
import { CodedError } from '../errors.js';
import { FD_KINDS, STDIO_STREAMS } from '../protocol/names.js';
import type { FdKind, StdioStream } from '../protocol/names.js';
import { checkSocketSpec, MAX_SOCKETS } from '../protocol/sockets.js';
import type { SocketSpec } from '../protocol/sockets.js';
import { array, int, literal, oneOf, optional, record, string, strictObject, validate, ValidationError } from '../protocol/validate.js';
import type { Check } from '../protocol/validate.js';

const MAGIC = Buffer.from('ENXPKG01', 'latin1');
/** Largest package a keep accepts. */
export const MAX_PACKAGE_BYTES = 1024 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 10_000;

/** A package error (bad structure, sizes, paths or digests). */
export class PackageError extends CodedError<'ERR_PACKAGE'> {
  override readonly name = 'PackageError';
  constructor(message: string) {
    super('ERR_PACKAGE', message);
  }
}

/** One file of a package (relative path, no `..`). */
export interface PackageFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** One pre-opened descriptor of a package: a stdio kind, null, or a socket. */
export type PackageFd = FdKind | SocketSpec;

const checkFdKind = oneOf(...FD_KINDS);
const checkFd: Check<PackageFd> = (v, path) => (typeof v === 'string' ? checkFdKind(v, path) : checkSocketSpec(v, path));
const checkFds: Check<PackageFd[]> = (v, path) => {
  const fds = array(checkFd, 256)(v, path);
  if (fds.filter((f) => typeof f !== 'string').length > MAX_SOCKETS) throw new ValidationError(path, `must have at most ${MAX_SOCKETS} sockets`);
  return fds;
};

/** What a keep's TLS certificate names, and who issues it. */
export interface PackageIdentity {
  readonly steward?: string;
  /** PEM CA certificates the keep checks the steward's HTTPS against (else the engine's roots). */
  readonly stewardTrustAnchors?: readonly string[];
  readonly dnsNames?: readonly string[];
  /** Where the package came from, for the keep to check and its steward to certify (keep/provenance.ts). */
  readonly provenance?: PackageProvenance;
}

/**
 * A package deployed from a registry: the OCI manifest it was pulled as, its Enarx.toml's bytes,
 * and the signature the client checked (all base64). The keep checks them against its own
 * module and files before it claims any of it.
 */
export interface PackageProvenance {
  readonly ociManifest: string;
  readonly enarxToml?: string;
  readonly signature?: { readonly payload: string; readonly signature: string; readonly publicKeyPem: string };
}

const b64 = (max: number): Check<string> => string({ min: 1, max, pattern: /^[A-Za-z0-9+/]+={0,2}$/, patternMessage: 'must be base64' });
const checkProvenance = strictObject({
  ociManifest: b64(6 * 1024 * 1024),
  enarxToml: optional(b64(1024 * 1024)),
  signature: optional(strictObject({ payload: b64(90 * 1024), signature: b64(4096), publicKeyPem: string({ min: 1, max: 16 * 1024 }) })),
});

const checkIdentity = strictObject({
  steward: optional(string({ min: 1, max: 2048, pattern: /^https?:\/\/[^\s]+$/, patternMessage: 'must be an http or https URL' })),
  dnsNames: optional(array(string({ min: 1, max: 253, pattern: /^[a-z0-9*]([a-z0-9.-]{0,251}[a-z0-9])?$/, patternMessage: 'must be a lower-case DNS name' }), 64)),
  stewardTrustAnchors: optional(array(string({ min: 1, max: 16 * 1024 }), 64)),
  provenance: optional(checkProvenance),
});

/** A decoded package. */
export interface Package {
  readonly wasm: Uint8Array;
  readonly files: readonly PackageFile[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly fds: readonly PackageFd[];
  /** The client's streams that are terminals (the workload's `isatty()` says so too). */
  readonly ttys: readonly StdioStream[];
  /** The client streams stdin (sealed input records); without it the workload's stdin is empty. */
  readonly input?: boolean;
  /**
   * Where the keep gets its TLS certificate: the steward (attestation CA) URL of Enarx.toml, and
   * the DNS names it asks to be certified for (`dns_names`). Absent: a self-signed certificate
   * that carries the keep's evidence.
   */
  readonly identity?: PackageIdentity;
  /**
   * In a decoded package: how many bytes just before `wasm` in its buffer (the package's header
   * and manifest, parsed by then) its owner may overwrite (runtime/module-info.ts `capMemory`).
   */
  readonly wasmSpare?: number;
}

const noNul = string({ max: 65536, noNul: true });
const size = int(0, MAX_PACKAGE_BYTES);
const safePath = string({
  min: 1,
  max: 4096,
  refine: [(p) => !p.startsWith('/') && !p.includes('\0') && p.split('/').every((c) => c !== '' && c !== '.' && c !== '..'), 'must be a relative path without empty, . or .. components'],
});
const envName = string({ min: 1, max: 4096, refine: [(k) => !k.includes('=') && !k.includes('\0'), "must not contain '=' or NUL"] });

const checkManifest = strictObject({
  version: literal(2),
  wasm: strictObject({ size }),
  files: array(strictObject({ path: safePath, size }), MAX_FILES),
  args: array(noNul, 4096),
  env: record(envName, noNul, 4096),
  fds: checkFds,
  ttys: optional(array(oneOf(...STDIO_STREAMS), 3)),
  input: optional(literal(true)),
  identity: optional(checkIdentity),
});

/** Serialises a package (deterministic: same input, same bytes). */
export function encodePackage(pkg: Package): Uint8Array {
  return Buffer.concat(encodePackageParts(pkg));
}

/** The serialised package as a list of pieces (views of the inputs, not copies). */
export function encodePackageParts(pkg: Package): Uint8Array[] {
  const manifest = {
    version: 2,
    wasm: { size: pkg.wasm.length },
    files: pkg.files.map((f) => ({ path: f.path, size: f.data.length })),
    args: [...pkg.args],
    env: Object.fromEntries(Object.entries(pkg.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    fds: [...pkg.fds],
    ...(pkg.ttys.length > 0 ? { ttys: [...pkg.ttys] } : {}),
    ...(pkg.input ? { input: true } : {}),
    ...(pkg.identity ? { identity: { ...pkg.identity } } : {}),
  };
  const parsed = validate(checkManifest, manifest);
  if (!parsed.ok) throw new PackageError(`invalid package: ${parsed.message}`);
  const m = Buffer.from(JSON.stringify(manifest), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  const total = MAGIC.length + 4 + m.length + pkg.wasm.length + pkg.files.reduce((n, f) => n + f.data.length, 0);
  if (total > MAX_PACKAGE_BYTES) throw new PackageError(`package of ${total} bytes exceeds the maximum of ${MAX_PACKAGE_BYTES}`);
  return [MAGIC, len, m, pkg.wasm, ...pkg.files.map((f) => f.data)];
}

/**
 * Parses a serialised package: its structure, not its integrity (that is the sealed package's
 * digest, checked as it opened). @throws PackageError
 */
export function decodePackage(bytes: Uint8Array): Package {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < MAGIC.length + 4 || !b.subarray(0, MAGIC.length).equals(MAGIC)) throw new PackageError('not an enarx package (bad magic)');
  const mlen = b.readUInt32BE(MAGIC.length);
  if (mlen > MAX_MANIFEST_BYTES || MAGIC.length + 4 + mlen > b.length) throw new PackageError('package manifest length out of range');
  let json: unknown;
  try {
    json = JSON.parse(b.subarray(MAGIC.length + 4, MAGIC.length + 4 + mlen).toString('utf8'));
  } catch {
    throw new PackageError('package manifest is not JSON');
  }
  const parsed = validate(checkManifest, json);
  if (!parsed.ok) throw new PackageError(`package manifest: ${parsed.message}`);
  const man = parsed.value;
  let off = MAGIC.length + 4 + mlen;
  const take = (n: number, what: string): Uint8Array => {
    if (off + n > b.length) throw new PackageError(`package ends inside ${what}`);
    const out = new Uint8Array(b.buffer, b.byteOffset + off, n);
    off += n;
    return out;
  };
  const wasmSpare = off;
  const wasm = take(man.wasm.size, 'the module');
  const seen = new Set<string>();
  const files = man.files.map((f) => {
    if (seen.has(f.path)) throw new PackageError(`duplicate file '${f.path}'`);
    seen.add(f.path);
    return { path: f.path, data: take(f.size, `file '${f.path}'`) };
  });
  if (off !== b.length) throw new PackageError('trailing bytes after the last file');
  return { wasm, files, args: man.args, env: man.env, fds: man.fds, ttys: man.ttys ?? [], input: man.input === true, ...(man.identity ? { identity: man.identity } : {}), wasmSpare };
}
