/**
 * The TLS parameters of the keep, for its servers and its clients: one table. No other module
 * spells a TLS version, cipher suite, group or signature scheme; they spread {@link tlsOptions}
 * into `tls.createServer`, `tls.connect` or `tls.createSecureContext`.
 *
 * TLS 1.3 only (RFC 8446). Names are OpenSSL's (what Node.js's options take); code points are
 * IANA's TLS registries (RFC 8446 §B.4 cipher suites, §4.2.7 NamedGroup, §4.2.3 SignatureScheme;
 * X25519MLKEM768 from draft-ietf-tls-ecdhe-mlkem).
 *
 * | cipher suite                 | code   |
 * |------------------------------|--------|
 * | TLS_AES_256_GCM_SHA384       | 0x1302 |
 * | TLS_CHACHA20_POLY1305_SHA256 | 0x1303 |
 * | TLS_AES_128_GCM_SHA256       | 0x1301 |
 *
 * | group          | code   | key exchange                          |
 * |----------------|--------|---------------------------------------|
 * | X25519MLKEM768 | 0x11ec | hybrid: ML-KEM-768 (FIPS 203) + X25519 |
 * | X25519         | 0x001d | ECDHE on Curve25519 (RFC 7748)         |
 * | P-256          | 0x0017 | ECDHE on secp256r1                     |
 * | P-384          | 0x0018 | ECDHE on secp384r1                     |
 *
 * | signature scheme       | code   |
 * |------------------------|--------|
 * | ecdsa_secp256r1_sha256 | 0x0403 |
 * | ecdsa_secp384r1_sha384 | 0x0503 |
 * | rsa_pss_rsae_sha256    | 0x0804 |
 * | rsa_pss_rsae_sha384    | 0x0805 |
 * | ed25519                | 0x0807 |
 * | ecdsa_secp521r1_sha512 | 0x0603 |
 * | rsa_pss_rsae_sha512    | 0x0806 |
 * | rsa_pkcs1_sha256       | 0x0401 |
 * | rsa_pkcs1_sha384       | 0x0501 |
 * | rsa_pkcs1_sha512       | 0x0601 |
 *
 * OpenSSL applies the list to certificate chains as well as to handshake signatures. TLS 1.3
 * never signs a handshake with PKCS #1 v1.5 (RFC 8446 §4.2.3), but most public CAs still sign
 * certificates with it, so the rsa_pkcs1 schemes are listed for chains: without them a keep could
 * not verify such a server.
 *
 * Groups depend on the OpenSSL that Node.js was built with: X25519MLKEM768 needs OpenSSL ≥ 3.5
 * (the keep's pinned engine has it; Node.js 20's OpenSSL 3.0 does not). Node.js takes the groups
 * as one ':'-separated `ecdhCurve` and rejects the whole list when OpenSSL lacks one name, so
 * {@link supportedGroups} asks this process's OpenSSL once which of them it knows, and
 * {@link tlsOptions} offers only those: in preference order, the hybrid first.
 *
 * node:tls is taken when first probing, not at import: loading it costs 8–15 ms, which the
 * table's other readers (`enarx platform`) need not pay.
 */
import { CodedError } from '../errors.js';

/** One TLS 1.3 cipher suite. */
export interface TlsCipherSuiteRow {
  /** The RFC 8446 name, which is also OpenSSL's. */
  readonly name: string;
  readonly codePoint: number;
}

/** One key-exchange group (`supported_groups`). */
export interface TlsGroupRow {
  /** OpenSSL's name, as `ecdhCurve` takes it. */
  readonly name: string;
  readonly codePoint: number;
  /** True for a hybrid of a post-quantum KEM and a classical exchange. */
  readonly pqHybrid: boolean;
}

/** One signature scheme (`signature_algorithms`). */
export interface TlsSignatureSchemeRow {
  /** The RFC 8446 name, which is also what `sigalgs` takes. */
  readonly name: string;
  readonly codePoint: number;
}

/** The keep's TLS parameters; each list in preference order. */
export interface TlsParams {
  readonly minVersion: 'TLSv1.3';
  readonly maxVersion: 'TLSv1.3';
  readonly cipherSuites: readonly TlsCipherSuiteRow[];
  readonly groups: readonly TlsGroupRow[];
  readonly signatureSchemes: readonly TlsSignatureSchemeRow[];
}

function frozenRows<T extends object>(rows: readonly T[]): readonly T[] {
  return Object.freeze(rows.map((r) => Object.freeze(r)));
}

/** The table. */
export const TLS_PARAMS: TlsParams = Object.freeze({
  minVersion: 'TLSv1.3',
  maxVersion: 'TLSv1.3',
  cipherSuites: frozenRows<TlsCipherSuiteRow>([
    { name: 'TLS_AES_256_GCM_SHA384', codePoint: 0x1302 },
    { name: 'TLS_CHACHA20_POLY1305_SHA256', codePoint: 0x1303 },
    { name: 'TLS_AES_128_GCM_SHA256', codePoint: 0x1301 },
  ]),
  groups: frozenRows<TlsGroupRow>([
    { name: 'X25519MLKEM768', codePoint: 0x11ec, pqHybrid: true },
    { name: 'X25519', codePoint: 0x001d, pqHybrid: false },
    { name: 'P-256', codePoint: 0x0017, pqHybrid: false },
    { name: 'P-384', codePoint: 0x0018, pqHybrid: false },
  ]),
  signatureSchemes: frozenRows<TlsSignatureSchemeRow>([
    { name: 'ecdsa_secp256r1_sha256', codePoint: 0x0403 },
    { name: 'ecdsa_secp384r1_sha384', codePoint: 0x0503 },
    { name: 'rsa_pss_rsae_sha256', codePoint: 0x0804 },
    { name: 'rsa_pss_rsae_sha384', codePoint: 0x0805 },
    { name: 'ed25519', codePoint: 0x0807 },
    { name: 'ecdsa_secp521r1_sha512', codePoint: 0x0603 },
    { name: 'rsa_pss_rsae_sha512', codePoint: 0x0806 },
    { name: 'rsa_pkcs1_sha256', codePoint: 0x0401 },
    { name: 'rsa_pkcs1_sha384', codePoint: 0x0501 },
    { name: 'rsa_pkcs1_sha512', codePoint: 0x0601 },
  ]),
});

/** The options {@link tlsOptions} returns: to spread into Node.js's `tls` functions. */
export interface TlsOptions {
  readonly minVersion: 'TLSv1.3';
  readonly maxVersion: 'TLSv1.3';
  /** The TLS 1.3 suites: Node.js takes them in `ciphers` (names starting with `TLS_`). */
  readonly ciphers: string;
  /** The supported groups, ':'-separated. */
  readonly ecdhCurve: string;
  readonly sigalgs: string;
}

let supported: readonly string[] | undefined;
let options: TlsOptions | undefined;

/** Whether this process's OpenSSL accepts `group` (an OpenSSL group name) as a key-exchange group. */
export function opensslSupportsGroup(group: string): boolean {
  const { createSecureContext } = process.getBuiltinModule('node:tls') as typeof import('node:tls');
  try {
    createSecureContext({ ecdhCurve: group });
    return true;
  } catch {
    return false;
  }
}

/**
 * The names of the table's groups that this process's OpenSSL supports, in preference order.
 * Asked once per process (one `createSecureContext` per group), then remembered.
 */
export function supportedGroups(): readonly string[] {
  return (supported ??= Object.freeze(TLS_PARAMS.groups.filter((g) => opensslSupportsGroup(g.name)).map((g) => g.name)));
}

/** The table's row of group `name`, or undefined. */
export function findGroup(name: string): TlsGroupRow | undefined {
  return TLS_PARAMS.groups.find((g) => g.name === name);
}

/**
 * The keep's TLS options for this process's OpenSSL: TLS 1.3 only, the table's suites and
 * signature schemes, and the groups this OpenSSL supports. The same frozen object on each call.
 * @throws CodedError ERR_TLS_NO_GROUP when this OpenSSL supports none of the table's groups
 *   (no OpenSSL ≥ 1.1.1 lacks X25519).
 */
export function tlsOptions(): TlsOptions {
  if (options !== undefined) return options;
  const groups = supportedGroups();
  if (groups.length === 0) throw new CodedError('ERR_TLS_NO_GROUP', `this OpenSSL (${process.versions.openssl}) supports none of the TLS groups ${TLS_PARAMS.groups.map((g) => g.name).join(', ')}`);
  return (options = Object.freeze({
    minVersion: TLS_PARAMS.minVersion,
    maxVersion: TLS_PARAMS.maxVersion,
    ciphers: TLS_PARAMS.cipherSuites.map((s) => s.name).join(':'),
    ecdhCurve: groups.join(':'),
    sigalgs: TLS_PARAMS.signatureSchemes.map((s) => s.name).join(':'),
  }));
}
