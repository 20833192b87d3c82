/**
 * The socket descriptors of a package (TLSSock), as the client resolves them from Enarx.toml and
 * the keep opens them: one definition that both ends import. A socket entry sits in the package
 * manifest's `fds` list at its descriptor number, beside the stdio kinds.
 *
 *   listen  = { kind: "listen", prot, addr, port, tls? }       bound and listened on by the keep
 *   connect = { kind: "connect", prot, host, port, tls? }      connected by the keep before start
 *   tls (listen)  = { clientAuth: "none" | "optional" | "required", trustAnchors: [PEM...], alpn: [...] }
 *   tls (connect) = { trustAnchors?: [PEM...] (absent: the engine's root store), presentCertificate, alpn: [...] }
 *
 * `tls` is present exactly when `prot` is "tls". Everything here travels sealed inside the
 * package, so the host learns a keep's ports only from the sockets the keep binds.
 */
import { isIP } from 'node:net';
import { array, boolean, int, literal, oneOf, optional, strictObject, string, taggedUnion, ValidationError } from './validate.js';
import type { Check } from './validate.js';

/** Transport of a socket: plain TCP, or TLS terminated inside the keep. */
export const SOCKET_PROTOCOLS = Object.freeze(['tcp', 'tls'] as const);
/** A socket protocol. */
export type SocketProtocol = (typeof SOCKET_PROTOCOLS)[number];

/** How a TLS listener treats client certificates. */
export const CLIENT_AUTH_MODES = Object.freeze(['none', 'optional', 'required'] as const);
/** A client-authentication mode. */
export type ClientAuthMode = (typeof CLIENT_AUTH_MODES)[number];

/** TLS options of a listen socket. */
export interface ListenTls {
  readonly clientAuth: ClientAuthMode;
  /** PEM certificates that client certificates must chain to (required unless clientAuth is none). */
  readonly trustAnchors: readonly string[];
  /** ALPN protocol names offered, in preference order (empty: no ALPN). */
  readonly alpn: readonly string[];
}

/** TLS options of a connect socket. */
export interface ConnectTls {
  /** PEM certificates the server must chain to; absent means the engine's root store. */
  readonly trustAnchors?: readonly string[];
  /** Whether the keep presents its own certificate (client authentication). */
  readonly presentCertificate: boolean;
  readonly alpn: readonly string[];
}

/** A listening socket. */
export interface ListenSpec {
  readonly kind: 'listen';
  readonly prot: SocketProtocol;
  readonly addr: string;
  readonly port: number;
  readonly tls?: ListenTls;
}

/** A socket connected out. */
export interface ConnectSpec {
  readonly kind: 'connect';
  readonly prot: SocketProtocol;
  readonly host: string;
  readonly port: number;
  readonly tls?: ConnectTls;
}

/** A socket descriptor of a package. */
export type SocketSpec = ListenSpec | ConnectSpec;

/** Most PEM certificates in one trust-anchor list, and the size of one. */
export const MAX_TRUST_ANCHORS = 64;
export const MAX_PEM_CHARS = 64 * 1024;
/** Most socket descriptors one package may declare. */
export const MAX_SOCKETS = 64;

// DNS names as resolvers take them (underscores allowed), or IP literals without brackets.
const HOSTNAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/** True when `s` is a host name or an IP address (IPv6 without brackets). */
export function isHost(s: string): boolean {
  return isIP(s) !== 0 || HOSTNAME.test(s);
}

const host: Check<string> = string({ min: 1, max: 253, refine: [isHost, 'expected a host name or an IP address'] });
const port = int(1, 65535);
const pem = string({ min: 1, max: MAX_PEM_CHARS, refine: [(s) => s.includes('-----BEGIN CERTIFICATE-----'), 'expected a PEM certificate'] });
/** ALPN protocol ids are 1-255 bytes (RFC 7301); we take printable ASCII. */
const alpnId = string({ min: 1, max: 255, pattern: /^[\x21-\x7e]+$/, patternMessage: 'expected printable ASCII' });
const alpn = array(alpnId, 16);

const checkListenTls: Check<ListenTls> = (v, path) => {
  const t = strictObject({ clientAuth: oneOf(...CLIENT_AUTH_MODES), trustAnchors: array(pem, MAX_TRUST_ANCHORS), alpn })(v, path);
  if (t.clientAuth !== 'none' && t.trustAnchors.length === 0) throw new ValidationError(`${path}.trustAnchors`, `client authentication (${t.clientAuth}) needs at least one trust anchor`);
  return t;
};
const checkConnectTls = strictObject({ trustAnchors: optional(array(pem, MAX_TRUST_ANCHORS)), presentCertificate: boolean, alpn });

function withTls<T extends { prot: SocketProtocol; tls?: unknown }>(check: Check<T>): Check<T> {
  return (v, path) => {
    const s = check(v, path);
    if ((s.prot === 'tls') !== (s.tls !== undefined)) throw new ValidationError(`${path}.tls`, s.prot === 'tls' ? 'required when prot is "tls"' : 'only allowed when prot is "tls"');
    return s;
  };
}

/** Checks one socket descriptor of a package manifest. */
export const checkSocketSpec: Check<SocketSpec> = taggedUnion('kind', {
  listen: withTls(strictObject({ kind: literal('listen'), prot: oneOf(...SOCKET_PROTOCOLS), addr: host, port, tls: optional(checkListenTls) })),
  connect: withTls(strictObject({ kind: literal('connect'), prot: oneOf(...SOCKET_PROTOCOLS), host, port, tls: optional(checkConnectTls) })),
}) as Check<SocketSpec>;

/**
 * An address a keep's listen socket is bound to: all its host learns of the keep's network
 * (reported by the keep, so only as true as the keep's host lets it be; the host can see its own
 * sockets anyway).
 */
export interface BoundPort {
  readonly address: string;
  readonly port: number;
}

/** Checks a bound port. */
export const checkBoundPort: Check<BoundPort> = strictObject({ address: string({ min: 1, max: 64, refine: [(s) => isIP(s) !== 0, 'expected an IP address'] }), port });

/** True when a manifest `fds` item is a socket. */
export function isSocketSpec(fd: unknown): fd is SocketSpec {
  return typeof fd === 'object' && fd !== null && ((fd as { kind?: unknown }).kind === 'listen' || (fd as { kind?: unknown }).kind === 'connect');
}
