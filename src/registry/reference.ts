/**
 * Package references: where a workload package lives, in the local store or in an OCI registry.
 *
 *   remote = "oci://" host [":" port] "/" repository [":" tag] ["@" digest]
 *   local  = repository [":" tag] ["@" digest]          (a name in the local store)
 *
 * Grammar of the parts, OCI Distribution Specification v1.1.0, "Pulling manifests":
 *
 *   <name>      [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 *   <reference> a tag [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}, or a digest
 *   "many clients impose a limit of 255 characters on the length of the concatenation of the
 *   registry hostname (and optional port), /, and <name> value"
 *
 * Digests are `sha256:` + 64 lower-case hex (OCI Image Specification v1.1.0, "Digests": the one
 * algorithm every implementation must support; we accept no other). Hosts are DNS names, IPv4
 * addresses, bracketed IPv6 addresses or `localhost`, with an optional port.
 *
 * A bare `ghcr.io/org/app:1` is refused rather than read as a local name: a first component
 * that looks like a host means the user meant a registry, and silently using the local store
 * instead would publish or run something else than they asked for.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { RegistryError, RegistryErrorCode } from './errors.js';

/** A package in an OCI registry. */
export interface RemotePackageRef {
  readonly kind: 'remote';
  /** `host` or `host:port`; a host in lower case, an IPv6 address in brackets. */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<hex>`; when both are given the digest is what gets fetched. */
  readonly digest?: string;
}

/** A package in the local store. */
export interface LocalPackageRef {
  readonly kind: 'local';
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Where a package lives. */
export type PackageRef = RemotePackageRef | LocalPackageRef;

/** The tag a reference with neither tag nor digest names (as docker, oras and crane do). */
export const DEFAULT_TAG = 'latest';

const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** An OCI `sha256:` digest, the only algorithm this project accepts. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME = 255;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PORT = /^[1-9][0-9]{0,4}$/;

const FORMS = "expected 'oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]' or a local 'NAME[:TAG][@sha256:DIGEST]'";

function refError(text: string, why: string): RegistryError {
  const shown = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return new RegistryError(RegistryErrorCode.REF, `invalid package reference '${shown}': ${why}; ${FORMS}`);
}

/** True for a DNS name of letters, digits and hyphens (checked in lower case). */
function isDnsName(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.split('.');
  // An all-numeric last label is an (invalid) IPv4 address, not a name.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => DNS_LABEL.test(l));
}

/** `[addr]` in the WHATWG URL canonical form (`[0:0::1]` → `[::1]`), so equal addresses key alike. */
function canonicalIPv6(addr: string): string {
  return new URL(`http://[${addr}]/`).hostname;
}

/** `host[:port]` normalised (host lower-cased), or undefined when it is not one. */
function parseRegistry(text: string): string | undefined {
  let host: string;
  let port: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    const rest = text.slice(close + 1);
    // Zone ids (`%eth0`) name a link of this machine, not a registry.
    if (text.includes('%') || !isIPv6(text.slice(1, close))) return undefined;
    host = canonicalIPv6(text.slice(1, close));
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      port = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    host = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
    if (colon >= 0) port = text.slice(colon + 1);
    if (!isIPv4(host) && !isDnsName(host)) return undefined;
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) return undefined;
  return port === undefined ? host : `${host}:${port}`;
}

/** Splits `repository[:tag][@digest]`, checking each part. */
function parsePath(text: string, path: string): { repository: string; tag?: string; digest?: string } {
  let rest = path;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!SHA256_DIGEST.test(digest)) throw refError(text, `'${digest}' is not a digest (sha256: and 64 lower-case hex digits)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw refError(text, `'${tag}' is not a tag (up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)`);
  }
  if (!REPOSITORY.test(rest)) throw refError(text, `'${rest}' is not a repository name (lower-case a-z 0-9 separated by . _ __ - or /)`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** True when `first` (before the first `/`) names a host rather than a path component. */
function looksLikeHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first.startsWith('[') || first === 'localhost';
}

/**
 * Parses a package reference; a missing tag and digest mean tag `latest`.
 * @throws RegistryError ERR_REF for anything else, with the expected forms in the message
 */
export function parsePackageRef(text: string): PackageRef {
  if (typeof text !== 'string') throw new TypeError('a package reference must be a string');
  if (text.length > 1024) throw refError(text, 'too long');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  if (scheme) {
    if (scheme[1]!.toLowerCase() !== 'oci') throw refError(text, `unknown scheme '${scheme[1]}'`);
    const rest = text.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    if (slash < 0) throw refError(text, 'no repository after the host');
    const registry = parseRegistry(rest.slice(0, slash));
    if (registry === undefined) throw refError(text, `'${rest.slice(0, slash)}' is not a host[:port]`);
    const parts = parsePath(text, rest.slice(slash + 1));
    if (registry.length + 1 + parts.repository.length > MAX_NAME) throw refError(text, `registry and repository longer than ${MAX_NAME} characters`);
    return { kind: 'remote', registry, ...parts };
  }
  const slash = text.indexOf('/');
  if (slash >= 0 && looksLikeHost(text.slice(0, slash))) throw refError(text, `'${text.slice(0, slash)}' looks like a registry: write 'oci://${text}'`);
  const { repository, ...rest } = parsePath(text, text);
  if (repository.length > MAX_NAME) throw refError(text, `name longer than ${MAX_NAME} characters`);
  return { kind: 'local', name: repository, ...rest };
}

/** The text form of a reference; `parsePackageRef(formatPackageRef(r))` gives `r` back. */
export function formatPackageRef(ref: PackageRef): string {
  const suffix = `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
  return ref.kind === 'remote' ? `oci://${ref.registry}/${ref.repository}${suffix}` : `${ref.name}${suffix}`;
}

/**
 * True when `registry` (`host[:port]`, as in {@link RemotePackageRef}) is this machine's
 * loopback: `localhost`, 127.0.0.0/8 or ::1 (also IPv4-mapped). Plain HTTP is allowed only there.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const text = registry.toLowerCase();
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    const addr = text.slice(1, close);
    if (close < 0 || addr.includes('%') || !isIPv6(addr)) return false;
    // Canonical form: ::1, or 127.0.0.0/8 mapped into IPv6 (::ffff:7fxx:xxxx).
    const canonical = canonicalIPv6(addr);
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  }
  const host = text.includes(':') ? text.slice(0, text.indexOf(':')) : text;
  if (host === 'localhost') return true;
  return isIPv4(host) && host.startsWith('127.');
}
