/**
 * The local content-addressed store: where `enarx package publish` puts packages when there is
 * no registry at all, and where blobs pulled from registries are cached by digest.
 *
 *   <root>/blobs/sha256/<hex>   one file per blob, named by its SHA-256 (0600; folders 0700)
 *   <root>/refs.json            { "<formatted ref>": "sha256:<hex>", ... }   (local and remote refs)
 *   <root>/refs.json.lock       held while the index is read, changed and replaced
 *   <root>/tmp/                 blobs being written (same filesystem, so rename is atomic)
 *
 * The root is the constructor's argument, else `$ENARX_OCI_STORE`, else
 * `$XDG_DATA_HOME/enarx/oci` (default `~/.local/share/enarx/oci`). A blob is written to a
 * temporary file while its SHA-256 and length are computed, and renamed to its name only when
 * both match, so a name always holds its content and a refused blob leaves nothing.
 *
 * Why a lock file for the index: replacing refs.json by rename alone never tears it, but two
 * publishers that read the same old index and each rename in their own merge lose one tag, and
 * a rename cannot compare-and-swap. So each change takes `refs.json.lock` (O_CREAT|O_EXCL),
 * re-reads, writes a temporary file and renames it. A lock whose holder died (same host, pid
 * gone) or that has not been refreshed for `lockStaleMs` is set aside by rename and removed only
 * if it is still the lock judged stale, so two processes recovering at once do not both win.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { isAbsolute, join, resolve as resolvePath, sep } from 'node:path';
import { makeStateDir } from '../backend/state-dir.js';
import { MAX_PACKAGE_BYTES } from '../crypto/package.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { MAX_MANIFEST_BYTES } from './package-format.js';
import { formatPackageRef, parsePackageRef, SHA256_DIGEST } from './reference.js';

/** The store's folder: `$ENARX_OCI_STORE`, else `$XDG_DATA_HOME/enarx/oci`, else `~/.local/share/enarx/oci`. */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string {
  const explicit = env['ENARX_OCI_STORE'];
  if (explicit !== undefined && explicit !== '') return resolvePath(explicit);
  const xdg = env['XDG_DATA_HOME'];
  // A relative XDG_DATA_HOME is ignored, as the XDG Base Directory specification asks.
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home(), '.local', 'share'), 'enarx', 'oci');
}

/** Options of {@link PackageStore}. */
export interface StoreOptions {
  /** Where `ENARX_OCI_STORE` / `XDG_DATA_HOME` are read when no root is given. */
  readonly env?: NodeJS.ProcessEnv;
  /** The clock a blob's age is measured with in gc (locks use the real clock, as file mtimes do). */
  readonly now?: () => number;
  /** A lock not refreshed for this long is stale (default 10 s; holders refresh it). */
  readonly lockStaleMs?: number;
  /** How long to wait for the index lock before giving up (default 30 s). */
  readonly lockTimeoutMs?: number;
}

/** A blob's digest and size. */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

/** One tag of the store. */
export interface StoreEntry {
  readonly ref: string;
  readonly digest: string;
  /** The manifest and the blobs it names, as their descriptors say (0 when the manifest is gone). */
  readonly size: number;
}

const INDEX = 'refs.json';
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const CHUNK = 1024 * 1024;

const storeError = (what: string, err: unknown): RegistryError =>
  new RegistryError(RegistryErrorCode.STORE, err === undefined ? what : `${what}: ${(err as Error).message}`, { cause: err });
const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function checkDigest(digest: string): string {
  if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) throw new TypeError(`not a sha256 digest: '${String(digest).slice(0, 100)}'`);
  return digest;
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
}

/** A file's content as chunks of one reused buffer: each chunk is valid until the next is asked for. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The digests (and declared sizes) a manifest or index names: config, layers, manifests, blobs. */
function children(bytes: Uint8Array): BlobInfo[] {
  let o: Record<string, unknown> | null;
  try {
    o = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown> | null;
  } catch {
    return [];
  }
  if (typeof o !== 'object' || o === null) return [];
  const list = [o['config'], ...[o['layers'], o['manifests'], o['blobs']].flatMap((x) => (Array.isArray(x) ? x : []))];
  return list.flatMap((d) => {
    const { digest, size } = (typeof d === 'object' && d !== null ? d : {}) as { digest?: unknown; size?: unknown };
    return typeof digest === 'string' && SHA256_DIGEST.test(digest) ? [{ digest, size: typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : 0 }] : [];
  });
}

/** The local content-addressed store of packages and cached blobs. */
export class PackageStore {
  /** The store's folder. */
  readonly root: string;
  readonly #now: () => number;
  readonly #staleMs: number;
  readonly #timeoutMs: number;
  #ready: Promise<void> | undefined;

  constructor(root?: string, opts: StoreOptions = {}) {
    this.root = root !== undefined ? resolvePath(root) : defaultStoreDir(opts.env);
    this.#now = opts.now ?? Date.now;
    this.#staleMs = opts.lockStaleMs ?? 10_000;
    this.#timeoutMs = opts.lockTimeoutMs ?? 30_000;
  }

  /** Where the blob `digest` is (or would be) stored. */
  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', checkDigest(digest).slice('sha256:'.length));
  }

  /** True when the store holds `digest`. */
  async hasBlob(digest: string): Promise<boolean> {
    return stat(this.blobPath(digest)).then((s) => s.isFile(), () => false);
  }

  #dirs(): Promise<void> {
    this.#ready ??= (async () => {
      await makeStateDir(this.root);
      for (const sub of [['blobs', 'sha256'], ['tmp']]) await mkdir(join(this.root, ...sub), { recursive: true, mode: 0o700 });
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw storeError(`cannot create the package store '${this.root}'`, err);
    });
    return this.#ready;
  }

  /**
   * Writes chunks to a temporary file while hashing them, then renames it to its digest.
   * Bytes beyond `expected.size` (or `limit`) stop the copy at once; nothing stays behind.
   */
  async #put(chunks: AsyncIterable<Uint8Array>, expected: Partial<BlobInfo>, limit: number): Promise<BlobInfo> {
    await this.#dirs();
    const tmp = join(this.root, 'tmp', randomUUID());
    const fh = await open(tmp, 'wx', 0o600).catch((err: unknown) => Promise.reject(storeError('cannot write to the package store', err)));
    let closed = false;
    try {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of chunks) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError('a blob stream must yield bytes');
        size += chunk.length;
        if (expected.size !== undefined && size > expected.size) throw new RegistryError(RegistryErrorCode.SIZE_MISMATCH, `blob is larger than the ${expected.size} bytes its descriptor says`);
        if (size > limit) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `blob is larger than ${limit} bytes`);
        hash.update(chunk);
        await writeAll(fh, chunk);
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected.size !== undefined && size !== expected.size) throw new RegistryError(RegistryErrorCode.SIZE_MISMATCH, `blob has ${size} bytes, its descriptor says ${expected.size}`);
      if (expected.digest !== undefined && digest !== expected.digest) throw new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `content is ${digest}, not the ${expected.digest} asked for`);
      // Durable before it has a name: after a crash a blob's name must never hold less.
      await fh.datasync();
      closed = true;
      await fh.close();
      await rename(tmp, this.blobPath(digest)).catch((err: unknown) => Promise.reject(storeError('cannot write to the package store', err)));
      return { digest, size };
    } catch (err) {
      if (!closed) await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Stores a blob from a stream (a registry's answer), checking it while it streams.
   * @throws RegistryError ERR_SIZE_MISMATCH / ERR_DIGEST_MISMATCH (and nothing is stored)
   */
  async putBlobFromStream(stream: AsyncIterable<Uint8Array>, expected: BlobInfo): Promise<BlobInfo> {
    checkDigest(expected.digest);
    if (!Number.isSafeInteger(expected.size) || expected.size < 0) throw new TypeError('expected.size must be a non-negative integer');
    return this.#put(stream, expected, expected.size);
  }

  /** Stores a file's content (checked against `expected` when given; at most a package's size). */
  putBlobFromFile(path: string, expected: Partial<BlobInfo> = {}): Promise<BlobInfo> {
    return this.#put(fileChunks(path), expected, MAX_PACKAGE_BYTES);
  }

  /**
   * Takes a file inside the store's folder whose content the caller has just checked against
   * `expected` while writing it (a registry client's pull hashes every byte it writes): it is
   * synced and renamed into place, not copied and hashed a second time (100 MiB: ~0.4 s saved).
   * @throws RegistryError ERR_STORE when the file is not in the store's folder or has another size
   */
  async adoptCheckedBlob(path: string, expected: BlobInfo): Promise<BlobInfo> {
    checkDigest(expected.digest);
    await this.#dirs();
    const full = resolvePath(path);
    if (!full.startsWith(this.root + sep)) throw storeError(`${path} is not inside the store`, undefined);
    const fh = await open(full, 'r+').catch((err: unknown) => Promise.reject(storeError(`cannot open ${path}`, err)));
    try {
      if ((await fh.stat()).size !== expected.size) throw storeError(`${path} does not have the ${expected.size} bytes it was checked with`, undefined);
      await fh.chmod(0o600);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(full, this.blobPath(expected.digest)).catch((err: unknown) => Promise.reject(storeError('cannot write to the package store', err)));
    return { digest: expected.digest, size: expected.size };
  }

  /** Stores bytes (checked against `expected` when given). */
  putBlobBytes(bytes: Uint8Array, expected: Partial<BlobInfo> = {}): Promise<BlobInfo> {
    const copy = Uint8Array.from(bytes);
    return this.#put((async function* () { yield copy; })(), expected, MAX_PACKAGE_BYTES);
  }

  /**
   * A stored blob of at most `maxBytes`, checked against its digest as it is read.
   * @throws RegistryError ERR_NOT_FOUND, ERR_TOO_LARGE, ERR_DIGEST_MISMATCH (a damaged store)
   */
  async readBlob(digest: string, maxBytes: number): Promise<Uint8Array> {
    const fh = await open(this.blobPath(digest), 'r').catch((err: unknown) =>
      Promise.reject(errno(err) === 'ENOENT' ? new RegistryError(RegistryErrorCode.NOT_FOUND, `blob ${digest} is not in the store`) : storeError(`cannot read blob ${digest}`, err)),
    );
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `blob ${digest} has ${size} bytes, more than the ${maxBytes} allowed`);
      const buf = Buffer.alloc(size);
      let off = 0;
      for (let n = -1; n !== 0 && off < size; off += n) n = (await fh.read(buf, off, size - off, off)).bytesRead;
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, off);
      if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest) throw new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `stored blob ${digest} is damaged (it does not hash to its name)`);
      return bytes;
    } finally {
      await fh.close();
    }
  }

  async #readIndex(): Promise<Map<string, string>> {
    const path = join(this.root, INDEX);
    const damaged = (why: string) => new RegistryError(RegistryErrorCode.STORE, `the store's index is damaged (${why}); repair or remove ${path}`);
    let json: unknown;
    try {
      if ((await stat(path)).size > MAX_INDEX_BYTES) throw damaged(`larger than ${MAX_INDEX_BYTES} bytes`);
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      if (errno(err) === 'ENOENT') return new Map();
      throw err instanceof RegistryError ? err : err instanceof SyntaxError ? damaged('not JSON') : storeError(`cannot read ${path}`, err);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw damaged('not an object');
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(json)) {
      if (typeof v !== 'string' || !SHA256_DIGEST.test(v)) throw damaged(`'${k}' does not map to a digest`);
      map.set(k, v);
    }
    return map;
  }

  async #writeIndex(map: ReadonlyMap<string, string>): Promise<void> {
    const sorted = Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const path = join(this.root, INDEX);
    const tmp = `${path}.${randomUUID()}.tmp`;
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await writeAll(fh, Buffer.from(`${JSON.stringify(sorted, null, 2)}\n`));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw storeError(`cannot write the store's ${INDEX}`, err);
    }
  }

  /** True when the lock file's holder is gone: a dead pid on this host, or no refresh for too long. */
  #isStale(content: string, mtimeMs: number): boolean {
    if (Date.now() - mtimeMs > this.#staleMs) return true;
    try {
      const { pid, host } = JSON.parse(content) as { pid?: unknown; host?: unknown };
      if (host !== hostname() || typeof pid !== 'number' || pid === process.pid) return false;
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return errno(err) === 'ESRCH';
    }
  }

  /** Sets a stale lock aside; true when the caller should try to take the lock again at once. */
  async #breakStale(lock: string): Promise<boolean> {
    const seen = await Promise.all([readFile(lock, 'utf8'), stat(lock)]).catch(() => undefined);
    if (seen === undefined) return true;
    if (!this.#isStale(seen[0], seen[1].mtimeMs)) return false;
    const aside = `${lock}.${randomUUID()}.stale`;
    if (await rename(lock, aside).then(() => false, () => true)) return true;
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    // Someone took a fresh lock between our look and our rename: give it back.
    if (moved !== seen[0]) await link(aside, lock).catch(() => undefined);
    await rm(aside, { force: true });
    return moved === seen[0];
  }

  /** Runs `fn` holding the index lock, refreshing the lock's mtime so it never looks stale. */
  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.#dirs();
    const lock = join(this.root, `${INDEX}.lock`);
    const body = JSON.stringify({ pid: process.pid, host: hostname(), token: randomUUID() });
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const taken = writeFile(lock, body, { flag: 'wx', mode: 0o600 }).then(() => true);
      if (await taken.catch((err: unknown) => (errno(err) === 'EEXIST' ? false : Promise.reject(storeError(`cannot lock ${lock}`, err))))) break;
      if (await this.#breakStale(lock)) continue;
      if (Date.now() > deadline) throw new RegistryError(RegistryErrorCode.STORE, `the store's index is locked (${lock}); if no enarx process is running, remove that file`);
      await sleep(2 + Math.random() * 10);
    }
    const refresh = setInterval(() => void utimes(lock, new Date(), new Date()).catch(() => undefined), Math.max(10, this.#staleMs / 3));
    refresh.unref();
    try {
      return await fn();
    } finally {
      clearInterval(refresh);
      // Remove the lock only if it is still ours.
      if ((await readFile(lock, 'utf8').catch(() => undefined)) === body) await unlink(lock).catch(() => undefined);
    }
  }

  /** The index key of a tag reference (its formatted form without a digest). */
  #key(refText: string): { key: string; digest?: string } {
    const ref = parsePackageRef(refText);
    if (ref.tag === undefined) throw new TypeError(`'${refText}' names a digest, not a tag`);
    const { digest, ...tagged } = ref;
    return { key: formatPackageRef(tagged), ...(digest !== undefined ? { digest } : {}) };
  }

  /**
   * Points the tag `refText` (local `NAME:TAG` or `oci://…:TAG`) at the stored manifest `digest`.
   * @throws RegistryError ERR_REF, ERR_NOT_FOUND (no such blob), ERR_DIGEST_MISMATCH (the ref names another digest)
   */
  async tag(refText: string, digest: string): Promise<void> {
    checkDigest(digest);
    const { key, digest: named } = this.#key(refText);
    if (named !== undefined && named !== digest) throw new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `'${refText}' names ${named}, not ${digest}`);
    if (!(await this.hasBlob(digest))) throw new RegistryError(RegistryErrorCode.NOT_FOUND, `manifest ${digest} is not in the store`);
    await this.#locked(async () => {
      const index = await this.#readIndex();
      index.set(key, digest);
      // A refreshed mtime keeps a just-tagged manifest out of a concurrent gc's grace check.
      await utimes(this.blobPath(digest), new Date(), new Date()).catch(() => undefined);
      await this.#writeIndex(index);
    });
  }

  /** Removes the tag `refText`; false when there was none. */
  async untag(refText: string): Promise<boolean> {
    const { key } = this.#key(refText);
    return this.#locked(async () => {
      const index = await this.#readIndex();
      if (!index.delete(key)) return false;
      await this.#writeIndex(index);
      return true;
    });
  }

  /** The manifest digest `refText` names here (its digest, if it has one and it is stored), or undefined. */
  async resolve(refText: string): Promise<string | undefined> {
    const ref = parsePackageRef(refText);
    if (ref.digest !== undefined) return (await this.hasBlob(ref.digest)) ? ref.digest : undefined;
    return (await this.#readIndex()).get(this.#key(refText).key);
  }

  /** Every tag, sorted, with its manifest digest and package size. */
  async list(): Promise<StoreEntry[]> {
    const out: StoreEntry[] = [];
    for (const [ref, digest] of [...(await this.#readIndex())].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const manifest = await this.readBlob(digest, MAX_MANIFEST_BYTES).catch(() => undefined);
      const size = manifest === undefined ? 0 : manifest.length + children(manifest).reduce((n, c) => n + c.size, 0);
      out.push({ ref, digest, size });
    }
    return out;
  }

  /** Every blob reachable from the tagged manifests (signature manifests, `…:sha256-<hex>.sig`, are tagged too). */
  async #reachable(index: ReadonlyMap<string, string>): Promise<Set<string>> {
    const keep = new Set<string>();
    const todo = [...index.values()];
    for (let d = todo.pop(); d !== undefined; d = todo.pop()) {
      if (keep.has(d)) continue;
      keep.add(d);
      const bytes = await this.readBlob(d, MAX_MANIFEST_BYTES).catch(() => undefined);
      // Layers are not manifests; only a JSON document that names descriptors adds more.
      if (bytes !== undefined) for (const c of children(bytes)) todo.push(c.digest);
    }
    return keep;
  }

  /**
   * Removes every blob no tagged manifest reaches (nor a signature manifest tagged beside it),
   * and abandoned temporary files. Blobs and temporary files younger than `graceMs` (default one
   * hour) stay: a publish or pull puts its blobs before it tags them.
   */
  async gc(opts: { graceMs?: number } = {}): Promise<{ removedBlobs: number; freedBytes: number }> {
    const grace = opts.graceMs ?? 3_600_000;
    return this.#locked(async () => {
      const keep = await this.#reachable(await this.#readIndex());
      let removedBlobs = 0;
      let freedBytes = 0;
      const sweep = async (dir: string, isBlob: boolean): Promise<void> => {
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          if (isBlob && keep.has(`sha256:${name}`)) continue;
          const path = join(dir, name);
          const s = await stat(path).catch(() => undefined);
          if (!s?.isFile() || this.#now() - s.mtimeMs < grace) continue;
          await unlink(path).catch(() => undefined);
          if (isBlob) removedBlobs++;
          freedBytes += s.size;
        }
      };
      await sweep(join(this.root, 'blobs', 'sha256'), true);
      await sweep(join(this.root, 'tmp'), false);
      // Interrupted pulls (sources.ts) left to resume: kept for the grace period too.
      await sweep(join(this.root, 'pulls'), false);
      return { removedBlobs, freedBytes };
    });
  }
}
