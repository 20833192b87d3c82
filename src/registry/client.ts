/**
 * A client of one OCI registry, per the OCI distribution-spec v1.1 (section names cited above
 * each exchange). Works with CNCF distribution, Harbor, Zot and GHCR.
 *
 * The registry is untrusted, like the host: every manifest is hashed and checked against the
 * digest asked for and the one the registry names, every blob against its descriptor's size and
 * digest; answers are bounded (manifests, error bodies, headers, tag and referrer lists); a
 * redirect is followed only within the registry's origin; credentials and tokens never go over
 * plain HTTP except on loopback. What does not check out is refused with a RegistryError code.
 */
import { Authenticator, resolveCredentials } from './auth.js';
import type { RegistryCredentials } from './auth.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { HttpTransport, discard, header, isLoopbackHost, readBounded, statusError } from './http.js';
import type { HttpResponse } from './http.js';
import { DIGEST, digestAlgorithm, digestOf, pullBlob, pushBlob } from './transfer.js';
import type { BlobExchange, BlobUpload, Exchange, PullOptions, PushOptions } from './transfer.js';

/** An OCI content descriptor (image-spec v1.1 "Descriptors"), as validated from a registry. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** How a {@link RegistryClient} reaches and trusts its registry. */
export interface RegistryClientOptions {
  /** Given credentials; otherwise the docker config's, if any. */
  readonly credentials?: RegistryCredentials;
  /** Path of a docker-style `config.json` (default `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`). */
  readonly dockerConfig?: string;
  /** PEM CA bundle trusted for the registry's (and its token realm's) HTTPS, besides Node.js's roots. */
  readonly ca?: string | Buffer;
  /**
   * Plain HTTP. Loopback registries (127.x, ::1, localhost) use it unless `ca` is given or this is
   * false; elsewhere only when this is true (otherwise ERR_INSECURE), and without credentials.
   */
  readonly plainHttp?: boolean;
  /** Longest wait to connect, and for an answer's headers (default 10 s). */
  readonly timeoutMs?: number;
  /** Longest pause inside a response body (default 30 s). */
  readonly idleMs?: number;
  /** Largest manifest (and list page) read or written (default 4 MiB). */
  readonly maxManifestBytes?: number;
  /** Hosts (`host[:port]`) a GET may be redirected to besides the registry's own origin, e.g. a blob CDN. */
  readonly allowRedirectHosts?: readonly string[];
  /** Environment for `DOCKER_CONFIG` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A manifest as the registry served it, checked against its digest. */
export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly mediaType: string;
}

/** Media types a manifest request accepts by default. */
export const MANIFEST_TYPES: readonly string[] = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

const MIB = 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_PAGES = 100;
const MAX_LISTED = 100_000;
const TAGS_PER_PAGE = 1000;
// distribution-spec "Pulling manifests": <name> and <reference> grammars.
const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** Statuses that say "later", and how often a safe request is repeated for them. */
const RETRIED_STATUSES: readonly number[] = [429, 502, 503, 504];
const MAX_BUSY_RETRIES = 3;

/** The pause before retry `n` (0-based): the registry's `Retry-After` seconds, at most 5 s, or 200 ms doubling. */
export function retryDelayMs(retryAfter: string | undefined, n: number): number {
  const seconds = retryAfter !== undefined && /^\d{1,4}$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return seconds !== undefined ? Math.min(5000, seconds * 1000) : 200 * 2 ** n;
}

/** A client of one registry (`host[:port]`, or `http://…` / `https://…` to force the scheme). */
export class RegistryClient {
  /** `host[:port]` of the registry. */
  readonly registry: string;
  /** `scheme://host[:port]` every request goes to. */
  readonly origin: string;
  readonly #opts: RegistryClientOptions;
  readonly #transport: HttpTransport;
  readonly #maxManifest: number;
  readonly #plainLoopback: boolean;
  readonly #allowed: ReadonlySet<string>;
  readonly #blobs: BlobExchange;
  #auth: Promise<Authenticator> | undefined;
  #notes: readonly string[] = [];

  /** @throws TypeError for a malformed registry; RegistryError ERR_INSECURE for plain HTTP off loopback not asked for */
  constructor(registry: string, opts: RegistryClientOptions = {}) {
    const r = parseRegistry(registry, opts);
    this.registry = r.host;
    this.origin = r.origin;
    this.#plainLoopback = r.plain && r.loopback;
    this.#opts = opts;
    this.#maxManifest = positive(opts.maxManifestBytes ?? 4 * MIB, 'maxManifestBytes');
    this.#transport = new HttpTransport({ timeoutMs: positive(opts.timeoutMs ?? 10_000, 'timeoutMs'), idleMs: positive(opts.idleMs ?? 30_000, 'idleMs'), ca: opts.ca });
    this.#allowed = new Set((opts.allowRedirectHosts ?? []).map((h) => h.toLowerCase()));
    this.#blobs = {
      send: (x) => this.#send(x),
      uploadLocation: (base, location) => this.#sameOrigin(base, location, 'upload location'),
      hasBlob: (repo, digest) => this.hasBlob(repo, digest),
    };
  }

  /** Closes idle connections (they do not keep the process alive either way). */
  close(): void {
    this.#transport.close();
  }

  /**
   * distribution-spec "Pulling manifests": GET /v2/<name>/manifests/<reference>, Accept: …
   * @throws RegistryError ERR_NOT_FOUND, ERR_TOO_LARGE, ERR_DIGEST_MISMATCH (not the digest asked
   *   for, or not the Docker-Content-Digest the registry sent), ERR_REGISTRY_PROTOCOL, …
   */
  async getManifest(repo: string, reference: string, accept: readonly string[] = MANIFEST_TYPES): Promise<FetchedManifest> {
    checkNames(repo, reference);
    if (accept.length === 0 || accept.some((t) => !MEDIA_TYPE.test(t))) throw new TypeError('accept must list media types');
    const res = await this.#send({ method: 'GET', url: `/v2/${repo}/manifests/${reference}`, repo, headers: { accept: accept.join(', ') }, expect: [200] });
    const bytes = await readBounded(res, this.#maxManifest, `manifest ${repo}:${reference}`);
    const digest = digestOf('sha256', bytes);
    if (DIGEST.test(reference)) checkDigest(bytes, reference, `manifest ${repo}@${reference}`);
    const said = header(res, 'docker-content-digest');
    if (said !== undefined) {
      if (!DIGEST.test(said)) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.registry} sent a malformed Docker-Content-Digest`);
      checkDigest(bytes, said, `manifest ${repo}:${reference}`);
    }
    return { bytes, digest, mediaType: mediaTypeOf(res) };
  }

  /**
   * distribution-spec "Checking if content exists in the registry": HEAD /v2/<name>/manifests/<reference>.
   * What the registry says, unchecked until the manifest is fetched by that digest.
   * @returns undefined when there is no such manifest
   */
  async headManifest(repo: string, reference: string, accept: readonly string[] = MANIFEST_TYPES): Promise<{ digest: string; size: number; mediaType: string } | undefined> {
    checkNames(repo, reference);
    const res = await this.#send({ method: 'HEAD', url: `/v2/${repo}/manifests/${reference}`, repo, headers: { accept: accept.join(', ') }, expect: [200, 404] });
    discard(res);
    if (res.status === 404) return undefined;
    const size = Number(header(res, 'content-length') ?? NaN);
    if (!Number.isSafeInteger(size) || size < 0) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.registry} sent no manifest size`);
    if (size > this.#maxManifest) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `manifest ${repo}:${reference} is ${size} bytes, over ${this.#maxManifest}`);
    const digest = header(res, 'docker-content-digest');
    // The digest header is a SHOULD: without it, the manifest itself tells.
    if (digest === undefined || !DIGEST.test(digest)) {
      const m = await this.getManifest(repo, reference, accept);
      return { digest: m.digest, size: m.bytes.length, mediaType: m.mediaType };
    }
    return { digest, size, mediaType: mediaTypeOf(res) };
  }

  /**
   * distribution-spec "Pushing Manifests": PUT /v2/<name>/manifests/<reference> → 201 Created.
   * @returns the manifest's sha256 digest
   * @throws RegistryError ERR_TOO_LARGE, ERR_DIGEST_MISMATCH (the registry names another digest), …
   */
  async putManifest(repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    checkNames(repo, reference);
    if (!MEDIA_TYPE.test(mediaType)) throw new TypeError('mediaType is not a media type');
    if (bytes.length > this.#maxManifest) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `manifest of ${bytes.length} bytes is over ${this.#maxManifest}`);
    const digest = digestOf('sha256', bytes);
    if (DIGEST.test(reference) && digestOf(digestAlgorithm(reference), bytes) !== reference) throw new TypeError(`manifest bytes do not have the digest ${reference}`);
    const body = new Uint8Array(bytes); // what is hashed is what is sent
    const headers = { 'content-type': mediaType, 'content-length': String(body.length) };
    const res = await this.#send({ method: 'PUT', url: `/v2/${repo}/manifests/${reference}`, repo, push: true, headers, body, expect: [201] });
    discard(res);
    const said = header(res, 'docker-content-digest');
    if (said !== undefined && said !== digest && said !== reference) {
      throw new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `registry stored manifest ${digest} as ${said.slice(0, 140)}`);
    }
    return digest;
  }

  /**
   * distribution-spec "Checking if content exists in the registry": HEAD /v2/<name>/blobs/<digest>.
   * @returns the size the registry gives, or undefined when it does not have the blob
   */
  async hasBlob(repo: string, digest: string): Promise<number | undefined> {
    checkNames(repo);
    digestAlgorithm(digest);
    const res = await this.#send({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}`, repo, expect: [200, 404] });
    discard(res);
    if (res.status === 404) return undefined;
    const size = Number(header(res, 'content-length') ?? NaN);
    if (!Number.isSafeInteger(size) || size < 0) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.registry} sent no blob size`);
    return size;
  }

  /** Pushes a blob (see {@link pushBlob}): skipped when present; chunked, streamed, resumed. */
  async pushBlob(repo: string, blob: BlobUpload, opts?: PushOptions): Promise<void> {
    checkNames(repo);
    return pushBlob(this.#blobs, repo, blob, opts);
  }

  /** Pulls a blob to `destPath` (see {@link pullBlob}): streamed, bounded, verified, resumed. */
  async pullBlob(repo: string, desc: { readonly digest: string; readonly size: number }, destPath: string, opts?: PullOptions): Promise<void> {
    checkNames(repo);
    return pullBlob(this.#blobs, repo, desc, destPath, opts);
  }

  /**
   * distribution-spec "Listing Referrers": GET /v2/<name>/referrers/<digest>[?artifactType=…].
   * A registry without the API answers 404 (the spec forbids 404 to those that have it).
   * @returns the referrers' descriptors, or undefined when the registry has no referrers API
   *   (callers fall back to the "Referrers Tag Schema")
   */
  async referrers(repo: string, digest: string, artifactType?: string): Promise<Descriptor[] | undefined> {
    checkNames(repo);
    digestAlgorithm(digest);
    if (artifactType !== undefined && !MEDIA_TYPE.test(artifactType)) throw new TypeError('artifactType is not a media type');
    const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    const out: Descriptor[] = [];
    let url: string | URL = `/v2/${repo}/referrers/${digest}${query}`;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#send({ method: 'GET', url, repo, headers: { accept: 'application/vnd.oci.image.index.v1+json' }, expect: page === 0 ? [200, 404] : [200] });
      if (res.status === 404) return void discard(res);
      const index = parseJson(await readBounded(res, this.#maxManifest, 'referrers list'), 'referrers list');
      if (!Array.isArray(index?.manifests)) throw new RegistryError(RegistryErrorCode.PROTOCOL, 'referrers answer is not an image index');
      for (const d of index.manifests) out.push(parseDescriptor(d));
      if (out.length > MAX_LISTED) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `more than ${MAX_LISTED} referrers`);
      const next = nextLink(res);
      if (next === undefined) return artifactType === undefined ? out : out.filter((d) => d.artifactType === artifactType);
      url = this.#sameOrigin(res.url, next, 'Link');
    }
    throw new RegistryError(RegistryErrorCode.TOO_LARGE, `referrers list longer than ${MAX_PAGES} pages`);
  }

  /**
   * distribution-spec "Listing Tags": GET /v2/<name>/tags/list?n=…, following `Link: <…>; rel="next"`.
   * @throws RegistryError ERR_NOT_FOUND (no such repository), ERR_TOO_LARGE (too many tags or pages)
   */
  async listTags(repo: string): Promise<string[]> {
    checkNames(repo);
    const tags: string[] = [];
    let url: string | URL = `/v2/${repo}/tags/list?n=${TAGS_PER_PAGE}`;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#send({ method: 'GET', url, repo, headers: { accept: 'application/json' }, expect: [200] });
      const list = parseJson(await readBounded(res, this.#maxManifest, 'tag list'), 'tag list');
      const got = list?.tags ?? [];
      if (!Array.isArray(got) || got.some((t) => typeof t !== 'string' || !TAG.test(t))) throw new RegistryError(RegistryErrorCode.PROTOCOL, 'tag list is malformed');
      tags.push(...(got as string[]));
      if (tags.length > MAX_LISTED) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `more than ${MAX_LISTED} tags`);
      const next = nextLink(res);
      if (next === undefined) return tags;
      url = this.#sameOrigin(res.url, next, 'Link');
    }
    throw new RegistryError(RegistryErrorCode.TOO_LARGE, `tag list longer than ${MAX_PAGES} pages`);
  }

  /**
   * One exchange: authorized for its scope (after a 401, the challenge is answered once),
   * redirects followed by hand within the origin, unexpected statuses turned into errors.
   */
  async #send(x: Exchange): Promise<HttpResponse> {
    const auth = await this.#authenticator();
    const scope = `repository:${x.repo}:${x.push === true ? 'pull,push' : 'pull'}`;
    let url = typeof x.url === 'string' ? new URL(x.url, this.origin) : x.url;
    let authorization = await auth.authorization(scope);
    let challenged = false;
    let busy = 0;
    for (let hops = 0; ; ) {
      const own = url.origin === this.origin;
      const headers = { ...x.headers, ...(own && authorization !== undefined ? { authorization } : {}) };
      const res = await this.#transport.send({ method: x.method, url, headers, body: x.body });
      if (x.expect.includes(res.status)) return res;
      // A registry that is briefly overloaded (429, 502, 503, 504) is asked again, a few times and
      // never for long, for requests that repeat safely (GET, HEAD: no body to send again).
      if (RETRIED_STATUSES.includes(res.status) && (x.method === 'GET' || x.method === 'HEAD') && busy < MAX_BUSY_RETRIES) {
        const wait = retryDelayMs(header(res, 'retry-after'), busy++);
        discard(res);
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      const location = header(res, 'location');
      if ([301, 302, 303, 307, 308].includes(res.status) && location !== undefined) {
        discard(res);
        if (++hops > MAX_REDIRECTS) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.registry} redirected more than ${MAX_REDIRECTS} times`);
        url = this.#redirectTarget(url, location, x.method);
        continue;
      }
      if (res.status === 401 && own && !challenged) {
        challenged = true;
        const www = header(res, 'www-authenticate');
        discard(res);
        authorization = await auth.challenge(www, scope).catch((err: unknown) => Promise.reject(this.#noted(err)));
        continue;
      }
      throw this.#noted(await statusError(res, this.registry));
    }
  }

  /**
   * Some registries send blob downloads to a CDN on another origin; that is refused here on
   * purpose (content would come from a party the user did not name), unless its host is listed
   * in `allowRedirectHosts` (for a GET or HEAD, over HTTPS, without our credentials).
   */
  #redirectTarget(base: URL, location: string, method: string): URL {
    const to = this.#resolve(base, location, 'redirect');
    if (to.origin === this.origin) return to;
    const secure = to.protocol === 'https:' || isLoopbackHost(to.hostname);
    if ((method === 'GET' || method === 'HEAD') && secure && this.#allowed.has(to.host)) return to;
    throw new RegistryError(RegistryErrorCode.REDIRECT, `registry ${this.registry} redirected to ${to.origin}; only its own origin is followed (allowRedirectHosts lists exceptions)`);
  }

  #sameOrigin(base: URL, location: string | undefined, what: string): URL {
    if (location === undefined) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.registry} sent no ${what}`);
    const to = this.#resolve(base, location, what);
    if (to.origin !== this.origin) throw new RegistryError(RegistryErrorCode.REDIRECT, `registry ${this.registry} sent a ${what} on another origin (${to.origin})`);
    return to;
  }

  #resolve(base: URL, location: string, what: string): URL {
    const to = parseUrl(location, base);
    if (to === null) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.registry} sent a malformed ${what}`);
    return to;
  }

  /** An auth failure with the reason no credentials were found (a credential helper not run). */
  #noted(err: unknown): unknown {
    if (!(err instanceof RegistryError) || err.code !== RegistryErrorCode.AUTH || this.#notes.length === 0) return err;
    return new RegistryError(err.code, `${err.message} (${this.#notes.join('; ')})`, { cause: err });
  }

  #authenticator(): Promise<Authenticator> {
    this.#auth ??= this.#newAuthenticator();
    return this.#auth;
  }

  async #newAuthenticator(): Promise<Authenticator> {
    const o = this.#opts;
    const found = await resolveCredentials(this.registry, { credentials: o.credentials, dockerConfig: o.dockerConfig, ...(o.env !== undefined ? { env: o.env } : {}) });
    this.#notes = found.notes;
    return new Authenticator({
      registry: this.registry,
      credentials: found.credentials,
      credentialsAllowed: this.origin.startsWith('https:') || this.#plainLoopback,
      plainLoopback: this.#plainLoopback,
      transport: this.#transport,
    });
  }
}

function parseRegistry(text: string, opts: RegistryClientOptions): { host: string; origin: string; plain: boolean; loopback: boolean } {
  const m = typeof text === 'string' ? /^(?:(https?):\/\/)?([^/?#@\s]+)\/?$/i.exec(text) : null;
  const url = m === null ? null : parseUrl(`http://${m[2]}`);
  if (m === null || url === null) throw new TypeError(`registry must be host[:port], got ${JSON.stringify(text)}`);
  const scheme = m[1]?.toLowerCase();
  if (scheme === 'https' && opts.plainHttp === true) throw new TypeError('an https:// registry with plainHttp: true');
  const loopback = isLoopbackHost(url.hostname);
  const plain = scheme === 'http' || (scheme === undefined && (opts.plainHttp ?? (loopback && opts.ca === undefined)));
  if (plain && !loopback && opts.plainHttp !== true) {
    throw new RegistryError(RegistryErrorCode.INSECURE, `plain HTTP to ${url.host}, which is not on loopback: pass plainHttp to allow it`);
  }
  return { host: url.host, origin: new URL(`${plain ? 'http' : 'https'}://${m[2]}`).origin, plain, loopback };
}

function parseUrl(text: string, base?: URL): URL | null {
  try {
    return new URL(text, base);
  } catch {
    return null;
  }
}

function positive(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`${what} must be a positive integer`);
  return n;
}

function checkNames(repo: string, reference?: string): void {
  if (typeof repo !== 'string' || repo.length > 255 || !NAME.test(repo)) throw new TypeError(`repository name ${JSON.stringify(repo)} is not valid (distribution-spec <name>)`);
  if (reference !== undefined && (typeof reference !== 'string' || !(TAG.test(reference) || DIGEST.test(reference)))) throw new TypeError(`reference ${JSON.stringify(reference)} is neither a tag nor a digest`);
}

function checkDigest(bytes: Uint8Array, expected: string, what: string): void {
  const got = digestOf(digestAlgorithm(expected), bytes);
  if (got !== expected) throw new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `${what} has digest ${got}, not ${expected}`);
}

function mediaTypeOf(res: HttpResponse): string {
  const t = (header(res, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!MEDIA_TYPE.test(t)) throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${res.url.host} sent no media type`);
  return t;
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RegistryError(RegistryErrorCode.PROTOCOL, `${what} is not JSON`);
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseDescriptor(v: unknown): Descriptor {
  const { mediaType, digest, size, artifactType, annotations } = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const isType = (t: unknown): t is string => typeof t === 'string' && MEDIA_TYPE.test(t);
  const ann = typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations) ? Object.entries(annotations) : undefined;
  if (!isType(mediaType) || typeof digest !== 'string' || !DIGEST.test(digest) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0
    || (artifactType !== undefined && !isType(artifactType)) || (annotations !== undefined && (ann === undefined || ann.some(([, a]) => typeof a !== 'string')))) {
    throw new RegistryError(RegistryErrorCode.PROTOCOL, 'a referrer descriptor is malformed');
  }
  return { mediaType, digest, size, ...(artifactType !== undefined ? { artifactType } : {}), ...(ann !== undefined ? { annotations: Object.fromEntries(ann) as Record<string, string> } : {}) };
}

/** RFC 8288 `Link: <url>; rel="next"`, as registries paginate. */
function nextLink(res: HttpResponse): string | undefined {
  return /<([^>]{1,2048})>\s*;\s*rel="?next"?/i.exec(header(res, 'link') ?? '')?.[1];
}
