/**
 * The keep's TLS identity until a steward issues one: a key pair made here, in the keep, and a
 * self-signed X.509 v3 certificate for it (RFC 5280), which the keep's TLS servers present and
 * its TLS clients offer; with the keep's evidence in it when the platform has some (RA-TLS).
 *
 * The private key (ECDSA P-256) is generated in this process and leaves it only as the PEM
 * handed to Node.js's `tls` in this same process. Peers cannot trust a self-signed certificate by
 * itself: they pin it (by {@link TlsIdentity.fingerprintSha256}, or as their `ca`), or, when the
 * certificate carries the keep's evidence, verify that (see below).
 *
 * The certificate (RFC 5280 §4.1, §4.2.1):
 *
 *   version 3, serialNumber: 16 random octets, positive (top bit clear, first octet non-zero)
 *   signature: ecdsa-with-SHA256; issuer = subject = CN=enarx-ts keep
 *   validity: notBefore = now − 5 min (clock skew), notAfter = now + lifetime (default 24 h)
 *   extensions:
 *     basicConstraints  (critical)  cA FALSE
 *     keyUsage          (critical)  digitalSignature
 *     extKeyUsage                   id-kp-serverAuth, id-kp-clientAuth
 *     subjectAltName                dNSName localhost + given names,
 *                                   iPAddress 127.0.0.1, ::1 + given addresses
 *
 * Built with @peculiar/x509 over WebCrypto. That library resolves its algorithms through
 * tsyringe, which needs the `reflect-metadata` polyfill loaded first (it installs
 * `Reflect.getMetadata` globally); both are loaded with the first identity, never at import.
 * Measured on the pinned engine (Node.js 26.10), bundled as the keep bundles its code: loading
 * them ~75 ms (a 740 KB chunk), the first identity ~25 ms more, each later one 6–10 ms; a keep
 * without TLS pays none of it.
 *
 * An attested identity ({@link createAttestedIdentity}, RA-TLS) is the same certificate with one
 * more extension, which carries the keep's evidence:
 *
 *   id-aa-attestation  (not critical)  OID 1.2.840.113549.1.9.16.2.59, extnValue = the
 *                                      attestation bundle DER (attestation/csr/attestation-bundle.ts)
 *
 * The evidence's report data binds the certificate's key: `attestedKeyReportData(spki)`
 * (attestation/binding.ts) over the SubjectPublicKeyInfo DER, so evidence lifted into another
 * certificate names the wrong key. A peer checks it with client/keep-tls.ts. A steward-issued
 * identity will send a CSR for the same key pair instead and return the steward's chain in
 * `certPem` (keep/tls-identity-source.ts chooses); callers only use {@link TlsIdentity}.
 */
import { createHash, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509Types from '@peculiar/x509';
import { attestedKeyReportData } from '../attestation/binding.js';
import { newEcdsaKeyPair, type EcCurve } from '../crypto/fresh-keys.js';
import { encodePem } from '../attestation/pki/pem.js';
import { x509Library, type X509 } from '../attestation/pki/x509-library.js';
import { ID_AA_ATTESTATION } from '../attestation/csr/attestation-oids.js';
import type { Evidence } from '../protocol/evidence.js';

/** Options of {@link createSelfSignedIdentity}. */
export interface SelfSignedIdentityOptions {
  /** DNS names for the subjectAltName, besides `localhost`. */
  readonly dnsNames?: readonly string[];
  /** IPv4 or IPv6 addresses for the subjectAltName, besides 127.0.0.1 and ::1. */
  readonly ipAddresses?: readonly string[];
  /** How long the certificate is valid from now, in milliseconds. Default: 24 hours. */
  readonly lifetimeMs?: number;
  /** The current time. Default: the clock. */
  readonly now?: Date;
}

/** A TLS identity: what `tls.createServer({ key, cert })` and `tls.connect({ key, cert })` take. */
export interface TlsIdentity {
  /** The private key, PKCS #8 PEM (`PRIVATE KEY`). For this process's `tls` only. */
  readonly keyPem: string;
  /** The certificate, PEM. */
  readonly certPem: string;
  /** The certificate, DER. */
  readonly certDer: Uint8Array;
  /** SHA-256 of `certDer`, lower-case hex: what a peer pins. */
  readonly fingerprintSha256: string;
  /**
   * For an identity that is renewed while the keep runs (a steward's certificate): calls
   * `listener` with each new one. The fields above always read the current one.
   */
  readonly onRenew?: (listener: (next: TlsIdentity) => void) => void;
}

/** The subject (and issuer) of a keep's certificate. */
export const KEEP_SUBJECT = 'CN=enarx-ts keep';
/** Names every keep certificate carries, for connections on the same machine. */
export const DEFAULT_DNS_NAMES: readonly string[] = Object.freeze(['localhost']);
export const DEFAULT_IP_ADDRESSES: readonly string[] = Object.freeze(['127.0.0.1', '::1']);
/** The default lifetime: 24 hours. */
export const DEFAULT_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** How far notBefore lies before now, for peers whose clocks run behind. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const KEY_CURVE: EcCurve = 'P-256';
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };


// RFC 1034 §3.5 preferred name syntax (letters, digits, hyphens; labels ≤ 63 octets), with an
// optional leftmost wildcard label (RFC 6125 §6.4.3).
const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A DNS name for the subjectAltName. @throws TypeError when it is not one. */
function dnsName(name: unknown): string {
  if (typeof name !== 'string' || name.length > 253 || !DNS_NAME.test(name) || isIP(name) !== 0) throw new TypeError(`not a DNS name: ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

/**
 * An IP address as @peculiar/asn1-x509 can encode it: its IPv6 parser reads hex groups only,
 * so an embedded IPv4 suffix (`::ffff:192.0.2.1`) is rewritten as two hex groups.
 * @throws TypeError when it is not an IP address, or carries a zone (`fe80::1%eth0`).
 */
function ipAddress(address: unknown): string {
  if (typeof address !== 'string' || isIP(address) === 0 || address.includes('%')) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  if (isIP(address) === 4) return address;
  const v4 = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4 === null) return address.toLowerCase();
  const [a, b, c, d] = v4.slice(2).map(Number) as [number, number, number, number];
  return `${v4[1]!}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`.toLowerCase();
}

/** Each value once, in first-seen order. */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** 16 random octets that DER encodes as a positive INTEGER of exactly 16 octets, as hex. */
function serialNumberHex(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) || 0x01;
  return Buffer.from(b).toString('hex');
}

/** What goes into a keep certificate besides its key. */
interface CertificateSpec {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** More extensions (the evidence of an attested identity), already built. */
  readonly extraExtensions?: readonly X509Types.Extension[];
}

/** Signs a keep certificate for `keys` with its own private key. */
async function buildCertificate(x509: X509, keys: webcrypto.CryptoKeyPair, spec: CertificateSpec): Promise<X509Types.X509Certificate> {
  const names: X509Types.JsonGeneralName[] = [
    ...spec.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...spec.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumberHex(),
      name: KEEP_SUBJECT,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension(names, false),
        ...(spec.extraExtensions ?? []),
      ],
    },
    webcrypto as unknown as Parameters<X509['X509CertificateGenerator']['createSelfSigned']>[1],
  );
}

/**
 * Makes a fresh ECDSA P-256 key pair and a self-signed certificate for it (see the file header).
 * @throws TypeError when a DNS name or IP address is malformed, or the lifetime is not a
 *   positive number of milliseconds.
 */
export function createSelfSignedIdentity(opts: SelfSignedIdentityOptions = {}): Promise<TlsIdentity> {
  return createIdentity(opts, async () => []);
}

/** Options of {@link createAttestedIdentity}. */
export interface AttestedIdentityOptions extends SelfSignedIdentityOptions {
  /** Evidence from the keep's platform over 64 bytes of report data (keep/evidence.ts). */
  readonly evidence: (reportData: Uint8Array) => Promise<Evidence>;
}

/**
 * Makes a fresh key pair and a self-signed certificate that carries the keep's evidence for that
 * key (RA-TLS; see the file header). The evidence is not checked here: the keep has nothing to
 * check it with, and peers verify it.
 *
 * draft-ietf-lamps-csr-attestation defines id-aa-attestation for certification requests and
 * advises CAs not to copy evidence into the certificates they issue, as evidence can identify a
 * platform. This certificate carries it on purpose: it is self-signed, so there is no CA whose
 * word could stand in for the evidence — the evidence is exactly what a peer needs to trust the
 * key — and what it reveals is the TEE (its chip, TCB and platform certificates) and the runtime's
 * measurement, nothing of the workload or its data.
 * @throws TypeError as {@link createSelfSignedIdentity}; whatever `evidence` throws
 */
export function createAttestedIdentity(opts: AttestedIdentityOptions): Promise<TlsIdentity> {
  if (typeof opts?.evidence !== 'function') throw new TypeError('evidence: expected a function');
  return createIdentity(opts, async (x509, spki) => {
    // The encoder loads while the platform works.
    const [evidence, { encodeAttestationBundle }] = await Promise.all([opts.evidence(attestedKeyReportData(spki)), import('../attestation/csr/attestation-bundle.js')]);
    return [new x509.Extension(ID_AA_ATTESTATION, false, encodeAttestationBundle(evidence))];
  });
}

/** Builds the extensions a certificate adds for the key with this SubjectPublicKeyInfo (DER). */
type ExtraExtensions = (x509: X509, spki: Uint8Array) => Promise<X509Types.Extension[]>;

/** Makes a key pair and its self-signed certificate, with what `extra` adds for the key. */
async function createIdentity(opts: SelfSignedIdentityOptions, extra: ExtraExtensions): Promise<TlsIdentity> {
  const lifetimeMs = opts.lifetimeMs ?? DEFAULT_LIFETIME_MS;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) throw new TypeError(`lifetimeMs: expected a positive integer, got ${String(lifetimeMs)}`);
  const dnsNames = unique([...DEFAULT_DNS_NAMES, ...(opts.dnsNames ?? []).map(dnsName)]);
  const ipAddresses = unique([...DEFAULT_IP_ADDRESSES, ...(opts.ipAddresses ?? []).map(ipAddress)]);
  const now = (opts.now ?? new Date()).getTime();
  if (!Number.isFinite(now)) throw new TypeError('now: an invalid Date');

  const x509 = await x509Library();
  // Extractable: Node.js's tls takes the key as PEM (in this process only).
  const keys = await newEcdsaKeyPair(KEY_CURVE, true);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const cert = await buildCertificate(x509, keys, {
    dnsNames,
    ipAddresses,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + lifetimeMs),
    extraExtensions: await extra(x509, spki),
  });
  // What a peer hashes is the certificate's own SubjectPublicKeyInfo: it must be what was bound.
  if (!Buffer.from(cert.publicKey.rawData).equals(spki)) throw new Error('the certificate encodes its key differently from WebCrypto');
  const certDer = new Uint8Array(cert.rawData);
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return Object.freeze({
    keyPem: encodePem('PRIVATE KEY', pkcs8),
    certPem: encodePem('CERTIFICATE', certDer),
    certDer,
    fingerprintSha256: createHash('sha256').update(certDer).digest('hex'),
  });
}
