/**
 * The validated, immutable shape of an `Enarx.toml` file (Enarx's `enarx-config` crate, the
 * `[[files]]` schema of Enarx 0.6/0.7). Values here are already defaulted: a runtime never has
 * to know which keys were written and which were implied.
 */

import type { ClientAuthMode, SocketProtocol } from '../protocol/sockets.js';

/** Transport of a socket entry: plain TCP, or TLS terminated inside the keep. */
export type Protocol = SocketProtocol;

/** The `kind` of a `[[files]]` entry. */
export type FileKind = 'null' | 'stdin' | 'stdout' | 'stderr' | 'listen' | 'connect';

/**
 * One pre-opened file descriptor. Its fd number is its index in {@link EnarxConfig.files};
 * `name` is what `FD_NAMES` lists for it.
 */
export type FileEntry =
  | { readonly kind: 'null'; readonly name: string }
  | { readonly kind: 'stdin' | 'stdout' | 'stderr'; readonly name: string }
  | { readonly kind: 'listen'; readonly name: string; readonly prot: Protocol; readonly addr: string; readonly port: number; readonly tls?: ListenTlsConfig }
  | { readonly kind: 'connect'; readonly name: string; readonly prot: Protocol; readonly host: string; readonly port: number; readonly tls?: ConnectTlsConfig };

/**
 * TLS options of a listen entry (`prot = "tls"`; ours, Enarx has none): `client_auth` (default
 * "none"), `trust_anchors` (PEM files, relative to Enarx.toml, that client certificates must chain
 * to), `alpn` (protocols offered, in preference order).
 */
export interface ListenTlsConfig {
  readonly clientAuth: ClientAuthMode;
  readonly trustAnchors: readonly string[];
  readonly alpn: readonly string[];
}

/**
 * TLS options of a connect entry: `trust_anchors` (PEM files the server must chain to; default:
 * the keep engine's root store), `client_cert` (present the keep's certificate; default false),
 * `alpn`.
 */
export interface ConnectTlsConfig {
  readonly trustAnchors?: readonly string[];
  readonly clientCert: boolean;
  readonly alpn: readonly string[];
}

/** A workload's configuration: what `Enarx.toml` says, with Enarx's defaults filled in. */
export interface EnarxConfig {
  /** Steward (attestation CA) URL, normalised by WHATWG URL parsing; absent means self-signed. */
  readonly steward?: string;
  /** PEM files (relative to Enarx.toml) of the CAs of the steward's HTTPS (`steward_trust_anchors`). */
  readonly stewardTrustAnchors?: readonly string[];
  /** DNS names the keep's TLS certificate carries (`dns_names`). */
  readonly dnsNames?: readonly string[];
  /** Arguments after `argv[0]`. */
  readonly args: readonly string[];
  /** Environment variables given to the workload (FD_COUNT/FD_NAMES are added by the runtime). */
  readonly env: Readonly<Record<string, string>>;
  /** Pre-opened file descriptors, fd = index. */
  readonly files: readonly FileEntry[];
}
