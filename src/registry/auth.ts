/**
 * Registry credentials and authentication.
 *
 * - Credentials: given by the caller, else found in a docker-style `config.json` (`auths`).
 * - Challenges: `WWW-Authenticate` (RFC 7235 §4.1, syntax of §2.1), answered with Basic
 *   (RFC 7617) or with a Bearer token (RFC 6750) from the registry's token server, per the
 *   Docker registry token authentication specification (distribution `docs/spec/auth/token.md`)
 *   and, for identity tokens, its OAuth2 refresh-token grant (`docs/spec/auth/oauth.md`).
 *
 * Credentials never travel over plain HTTP except on loopback, and a token realm must be HTTPS
 * unless the registry itself is a plain-HTTP loopback registry: whatever the registry names as
 * its realm, a password or token is not sent where a network observer could read it.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { codeOf } from '../errors.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { discard, isLoopbackHost, readBounded } from './http.js';
import type { HttpTransport } from './http.js';

/** Credentials a caller gives: a user name and password (or personal token), or a bearer token sent as is. */
export type RegistryCredentials =
  | { readonly username: string; readonly password: string }
  | { readonly token: string };

/** Credentials ready to use; `identity` is an OAuth2 refresh token exchanged at the token realm. */
export type ResolvedCredentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'identity'; readonly token: string };

/** Where {@link resolveCredentials} looks. */
export interface CredentialSources {
  readonly credentials?: RegistryCredentials | undefined;
  /** Path of a docker-style `config.json`; default `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
  readonly dockerConfig?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly home?: string;
}

/** Credentials found (or none), with notes worth showing (credential helpers not run). */
export interface FoundCredentials {
  readonly credentials?: ResolvedCredentials;
  readonly source?: string;
  readonly notes: readonly string[];
}

/** Largest docker config file read. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Largest token-server answer, and longest token accepted. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
const MAX_TOKEN_CHARS = 16 * 1024;
/** Token lifetime when the server gives none (token spec: "defaults to 60 seconds"). */
const DEFAULT_EXPIRES_S = 60;
// A token goes into a header: visible ASCII only, so it cannot inject a line.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The credentials for `registry` (`host[:port]`): the caller's, else those of its `auths` entry
 * in the docker config (keys `host:port`, `https://host:port[/…]` or `http://…`): `auth`
 * (base64 `user:pass`), `username`/`password`, or `identitytoken`.
 * @throws TypeError for malformed caller credentials; RegistryError ERR_REGISTRY_AUTH for an
 *   unreadable or malformed config file
 */
export async function resolveCredentials(registry: string, src: CredentialSources): Promise<FoundCredentials> {
  if (src.credentials !== undefined) return { credentials: checkGiven(src.credentials), source: 'options', notes: [] };
  const env = src.env ?? process.env;
  const path = src.dockerConfig ?? join(env.DOCKER_CONFIG ?? join(src.home ?? homedir(), '.docker'), 'config.json');
  const config = await readConfig(path);
  if (config === undefined) return { notes: [] };
  const host = registry.toLowerCase();
  const auths = record(config.auths);
  const keys = Object.keys(auths ?? {}).filter((k) => configHost(k) === host);
  // The bare host:port key wins over URL-shaped keys for the same host.
  keys.sort((a, b) => Number(a.toLowerCase() !== host) - Number(b.toLowerCase() !== host));
  for (const key of keys) {
    const found = fromEntry(record(auths?.[key]), `${path} (auths["${key}"])`);
    if (found !== undefined) return { credentials: found, source: path, notes: [] };
  }
  const helper = record(config.credHelpers)?.[host] ?? config.credsStore;
  if (typeof helper !== 'string') return { notes: [] };
  const { runCredentialHelper } = await import('./cred-helper.js');
  const answer = await runCredentialHelper(helper, host, env);
  if (answer === 'not-installed') return { notes: [`${path} names the credential helper docker-credential-${helper}, which is not installed here, so it was not run`] };
  if (answer !== undefined) return { credentials: answer, source: `docker-credential-${helper}`, notes: [] };
  return { notes: [`the credential helper docker-credential-${helper} (${path}) has nothing for ${host}`] };
}

function checkGiven(c: RegistryCredentials): ResolvedCredentials {
  if ('token' in c) {
    if (typeof c.token !== 'string' || !HEADER_SAFE.test(c.token)) throw new TypeError('credentials.token must be a non-empty header-safe string');
    return { kind: 'bearer', token: c.token };
  }
  if (typeof c.username !== 'string' || c.username === '' || c.username.includes(':') || /[\r\n]/.test(c.username)) {
    throw new TypeError('credentials.username must be a non-empty string without ":" (RFC 7617)');
  }
  if (typeof c.password !== 'string') throw new TypeError('credentials.password must be a string');
  return { kind: 'basic', username: c.username, password: c.password };
}

async function readConfig(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    if ((await stat(path)).size > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    const obj = record(parsed);
    if (obj === undefined) throw new Error('not a JSON object');
    return obj;
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw new RegistryError(RegistryErrorCode.AUTH, `cannot read the docker config ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `host:port` of an `auths` key: `host:port`, or a URL such as `https://host:port/v1/`. */
function configHost(key: string): string {
  return key.replace(/^https?:\/\//i, '').split('/')[0]!.toLowerCase();
}

function fromEntry(entry: Record<string, unknown> | undefined, where: string): ResolvedCredentials | undefined {
  if (entry === undefined) return undefined;
  const bad = (what: string): RegistryError => new RegistryError(RegistryErrorCode.AUTH, `${where}: ${what}`);
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    if (!HEADER_SAFE.test(entry.identitytoken)) throw bad('identitytoken is not header-safe');
    return { kind: 'identity', token: entry.identitytoken };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) throw bad('auth is not base64 of "user:password"');
    return { kind: 'basic', username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
    return { kind: 'basic', username: entry.username, password: entry.password };
  }
  return undefined;
}

/** What an {@link Authenticator} works with. */
export interface AuthenticatorOptions {
  /** `host:port` of the registry, for messages. */
  readonly registry: string;
  readonly credentials?: ResolvedCredentials | undefined;
  /** False when the registry is plain HTTP off loopback: no credentials may be sent to it. */
  readonly credentialsAllowed: boolean;
  /** True when the registry is plain HTTP on loopback: its realm may be plain HTTP on loopback too. */
  readonly plainLoopback: boolean;
  readonly transport: HttpTransport;
  readonly now?: () => number;
}

interface Realm { readonly url: URL; readonly service: string | undefined }

/**
 * Answers a registry's challenges and remembers the answer: after the first challenge, requests
 * carry Basic credentials, or a Bearer token per scope until it expires, without another 401.
 */
export class Authenticator {
  readonly #o: AuthenticatorOptions;
  readonly #now: () => number;
  readonly #tokens = new Map<string, { readonly value: string; readonly expiresAt: number }>();
  #scheme: 'none' | 'basic' | 'bearer' = 'none';
  #realm: Realm | undefined;

  constructor(o: AuthenticatorOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** The `Authorization` value for a request needing `scope`, if one is known. */
  async authorization(scope: string): Promise<string | undefined> {
    const c = this.#o.credentials;
    if (c?.kind === 'bearer') return this.#allowed(`Bearer ${c.token}`);
    if (this.#scheme === 'basic' && c?.kind === 'basic') return this.#allowed(basic(c));
    if (this.#scheme !== 'bearer' || this.#realm === undefined) return undefined;
    const cached = this.#tokens.get(scope);
    if (cached !== undefined && cached.expiresAt > this.#now()) return `Bearer ${cached.value}`;
    return `Bearer ${await this.#fetchToken(this.#realm, scope, scope)}`;
  }

  /**
   * The `Authorization` value answering a 401's `WWW-Authenticate` for `scope`.
   * @throws RegistryError ERR_REGISTRY_AUTH (no or refused credentials), ERR_INSECURE (credentials
   *   or a token over plain HTTP), ERR_REGISTRY_PROTOCOL (malformed challenge or token answer)
   */
  async challenge(wwwAuthenticate: string | undefined, scope: string): Promise<string> {
    const reg = this.#o.registry;
    const challenges = wwwAuthenticate === undefined ? [] : parseChallenges(wwwAuthenticate);
    const bearer = challenges.find((ch) => ch.scheme === 'bearer');
    const c = this.#o.credentials;
    if (c?.kind === 'bearer') throw new RegistryError(RegistryErrorCode.AUTH, `registry ${reg} refused the token given`);
    if (bearer !== undefined) {
      const realm = this.#realmOf(bearer);
      this.#scheme = 'bearer';
      this.#realm = realm;
      this.#tokens.delete(scope);
      return `Bearer ${await this.#fetchToken(realm, bearer.params.get('scope') ?? scope, scope)}`;
    }
    if (challenges.some((ch) => ch.scheme === 'basic')) {
      if (c?.kind !== 'basic') throw new RegistryError(RegistryErrorCode.AUTH, `registry ${reg} requires a user name and password`);
      if (this.#scheme === 'basic') throw new RegistryError(RegistryErrorCode.AUTH, `registry ${reg} refused the credentials of user "${c.username}"`);
      this.#scheme = 'basic';
      return this.#allowed(basic(c));
    }
    throw new RegistryError(RegistryErrorCode.AUTH, `registry ${reg} requires authentication by a scheme other than Basic or Bearer`);
  }

  #allowed(value: string): string {
    if (!this.#o.credentialsAllowed) {
      throw new RegistryError(RegistryErrorCode.INSECURE, `refusing to send credentials over plain HTTP to ${this.#o.registry}`);
    }
    return value;
  }

  #realmOf(ch: Challenge): Realm {
    const text = ch.params.get('realm');
    let url: URL;
    try {
      url = new URL(text ?? '');
    } catch {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${this.#o.registry} sent a Bearer challenge without a valid realm URL`);
    }
    const plainOk = url.protocol === 'http:' && this.#o.plainLoopback && isLoopbackHost(url.hostname);
    if (url.protocol !== 'https:' && !plainOk) {
      throw new RegistryError(RegistryErrorCode.INSECURE, `token realm ${url.origin} is not HTTPS (plain HTTP only from a loopback registry to a loopback realm)`);
    }
    if (url.username !== '' || url.password !== '') throw new RegistryError(RegistryErrorCode.PROTOCOL, 'token realm URL carries credentials');
    return { url, service: ch.params.get('service') };
  }

  /** Token spec "Requesting a Token": GET <realm>?service=…&scope=…, Basic credentials if any; or the OAuth2 POST. */
  async #fetchToken(realm: Realm, scope: string, cacheKey: string): Promise<string> {
    this.#allowed('');
    const c = this.#o.credentials;
    const params = new URLSearchParams();
    if (realm.service !== undefined) params.set('service', realm.service);
    for (const s of scope.split(' ').filter((x) => x !== '')) params.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const url = new URL(realm.url);
    let body: Uint8Array | undefined;
    if (c?.kind === 'identity') {
      // OAuth2 spec "Getting a token": the identity token is the refresh token of a POST grant.
      params.set('grant_type', 'refresh_token');
      params.set('refresh_token', c.token);
      params.set('client_id', 'enarx-ts');
      body = new TextEncoder().encode(params.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      for (const [k, v] of params) url.searchParams.append(k, v);
      if (c?.kind === 'basic') headers.authorization = basic(c);
    }
    const res = await this.#o.transport.send({ method: body === undefined ? 'GET' : 'POST', url, headers, body });
    if (res.status !== 200) {
      discard(res);
      if (res.status === 401 || res.status === 403) throw new RegistryError(RegistryErrorCode.AUTH, `token server ${url.host} refused the credentials (${res.status})`);
      if (res.status >= 300 && res.status < 400) throw new RegistryError(RegistryErrorCode.REDIRECT, `token server ${url.host} redirected`);
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `token server ${url.host} answered ${res.status}`);
    }
    const answer = parseTokenAnswer(await readBounded(res, MAX_TOKEN_RESPONSE_BYTES, 'token answer'), url.host);
    const ttl = Math.min(answer.expiresIn, 24 * 3600) * 1000;
    // Renew a little early, so a token does not expire between the check and its use.
    this.#tokens.set(cacheKey, { value: answer.token, expiresAt: this.#now() + ttl - Math.min(10_000, ttl / 10) });
    return answer.token;
  }
}

function basic(c: { readonly username: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Token spec "Token Response Fields": `token` (or `access_token`), `expires_in` seconds. */
function parseTokenAnswer(bytes: Uint8Array, host: string): { readonly token: string; readonly expiresIn: number } {
  const bad = (what: string): RegistryError => new RegistryError(RegistryErrorCode.PROTOCOL, `token server ${host}: ${what}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw bad('answer is not JSON');
  }
  const obj = record(json);
  const token = obj?.token ?? obj?.access_token;
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS || !HEADER_SAFE.test(token)) throw bad('answer has no usable token');
  const e = obj?.expires_in;
  const expiresIn = typeof e === 'number' && Number.isFinite(e) && e > 0 ? e : DEFAULT_EXPIRES_S;
  return { token, expiresIn };
}

/** One challenge of a `WWW-Authenticate` header: scheme and parameter names lower-cased. */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
  readonly token68?: string;
}

/** Longest `WWW-Authenticate` value parsed. */
export const MAX_CHALLENGE_CHARS = 8 * 1024;
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses a `WWW-Authenticate` value (RFC 7235 §4.1):
 *
 *     WWW-Authenticate = 1#challenge
 *     challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *     auth-param = token BWS "=" BWS ( token / quoted-string )
 *     quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE ; quoted-pair = "\" char
 *
 * @throws RegistryError ERR_REGISTRY_PROTOCOL when malformed or longer than {@link MAX_CHALLENGE_CHARS}
 */
export function parseChallenges(text: string): Challenge[] {
  if (text.length > MAX_CHALLENGE_CHARS) throw new RegistryError(RegistryErrorCode.PROTOCOL, `WWW-Authenticate longer than ${MAX_CHALLENGE_CHARS} characters`);
  const p = new Cursor(text);
  const out: Challenge[] = [];
  for (;;) {
    p.skip(/[ \t,]/);
    if (p.end()) return out;
    const scheme = p.run(TCHAR);
    if (scheme === '') throw p.bad('an auth-scheme');
    const params = new Map<string, string>();
    let token68: string | undefined;
    if (p.skip(/ /) > 0) token68 = p.token68();
    if (token68 === undefined) p.params(params);
    out.push({ scheme: scheme.toLowerCase(), params, ...(token68 !== undefined ? { token68 } : {}) });
  }
}

class Cursor {
  #i = 0;
  readonly #s: string;

  constructor(s: string) {
    this.#s = s;
  }

  end(): boolean {
    return this.#i >= this.#s.length;
  }

  bad(expected: string): RegistryError {
    return new RegistryError(RegistryErrorCode.PROTOCOL, `malformed WWW-Authenticate: expected ${expected} at character ${this.#i}`);
  }

  /** Consumes characters matching `re`; returns how many. */
  skip(re: RegExp): number {
    return this.run(re).length;
  }

  run(re: RegExp): string {
    const start = this.#i;
    while (this.#i < this.#s.length && re.test(this.#s[this.#i]!)) this.#i++;
    return this.#s.slice(start, this.#i);
  }

  /** A token68 that stands alone (followed by the end or a comma), else nothing consumed. */
  token68(): string | undefined {
    const start = this.#i;
    const body = this.run(TOKEN68_CHAR);
    const value = body + this.run(/=/);
    this.skip(/[ \t]/);
    if (body !== '' && (this.end() || this.#s[this.#i] === ',')) return value;
    this.#i = start;
    return undefined;
  }

  /** `#auth-param`, stopping before a token not followed by "=" (the next challenge's scheme). */
  params(into: Map<string, string>): void {
    for (;;) {
      const start = this.#i;
      const name = this.run(TCHAR);
      this.skip(/[ \t]/);
      if (name === '' || this.#s[this.#i] !== '=') {
        this.#i = start;
        return;
      }
      this.#i++;
      this.skip(/[ \t]/);
      const value = this.#s[this.#i] === '"' ? this.quoted() : this.run(TCHAR);
      if (value === '' && this.#s[this.#i - 1] !== '"') throw this.bad('a parameter value');
      const key = name.toLowerCase();
      if (into.has(key)) throw this.bad(`one "${key}" parameter (RFC 7235 §2.1)`);
      into.set(key, value);
      this.skip(/[ \t]/);
      if (this.end()) return;
      if (this.#s[this.#i] !== ',') throw this.bad('","');
      this.skip(/[ \t,]/);
    }
  }

  quoted(): string {
    let out = '';
    for (this.#i++; this.#i < this.#s.length; this.#i++) {
      let c = this.#s[this.#i]!;
      if (c === '"') {
        this.#i++;
        return out;
      }
      if (c === '\\') c = this.#s[++this.#i] ?? '';
      if (c === '' || (c < ' ' && c !== '\t') || c === '\x7f') throw this.bad('a closing quote');
      out += c;
    }
    throw this.bad('a closing quote');
  }
}
