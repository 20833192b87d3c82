/**
 * The steward's HTTP contract, one definition for the steward, the keep that asks it for a
 * certificate and the client that asks it for an attestation result.
 *
 * | method, path                 | request                                         | answer |
 * |------------------------------|-------------------------------------------------|--------|
 * | `GET /`                      | —                                               | 200: the steward is up |
 * | `GET /ca.pem`                | —                                               | the CA certificate, PEM |
 * | `GET /.well-known/jwks.json` | —                                               | the EAR signing keys (JWK Set) |
 * | `POST /`                     | a CSR, DER, `Content-Type: application/pkcs10`, with evidence in either form (attestation/csr/attested-csr.ts) | `application/pkix-pkipath`: DER `SEQUENCE OF Certificate`, CA first, as Enarx's steward answers; with `Accept: application/pem-certificate-chain`, PEM, leaf first |
 * | `POST /attest`               | JSON `{evidence, reportData, nonce?}`           | `application/jwt`: an EAR token (protocol/ear.ts) |
 *
 * A refusal is JSON `{"error":{"code","message"}}` with a 4xx status (steward/errors.ts).
 *
 * What a keep puts in its CSR besides its key and evidence: the DNS names and IP addresses of its
 * Enarx.toml (`dns_names`), one URI naming the package it runs, {@link packageClaimUri}, and,
 * deployed from a registry, the OCI artifact and the key that signed it ({@link ociClaimUri},
 * {@link signerClaimUri}), each checked by the keep itself (keep/provenance.ts). The
 * CSR is signed with the key the evidence binds, and only the keep's measured runtime holds that
 * key, so these claims are the runtime's own; the steward turns the package claim into the
 * workload's SPIFFE ID in its trust domain.
 */
import { base64Bytes, hexBytes, optional, strictObject } from './validate.js';
import { checkEvidence } from './evidence.js';

/** Media types. */
export const PKCS10 = 'application/pkcs10';
export const PKIX_PKIPATH = 'application/pkix-pkipath';
export const PEM_CHAIN = 'application/pem-certificate-chain';
export const JWT = 'application/jwt';

/** Paths. */
export const STEWARD_PATHS = Object.freeze({
  csr: '/',
  ca: '/ca.pem',
  jwks: '/.well-known/jwks.json',
  attest: '/attest',
});

/** Largest body of `POST /attest`. */
export const MAX_ATTEST_BODY = 512 * 1024;

/** Body of `POST /attest`: evidence and the 64 bytes of report data the relying party expects it to bind. */
export const checkAttestRequest = strictObject({
  evidence: checkEvidence,
  reportData: hexBytes(64),
  nonce: optional(base64Bytes(64)),
});

/** Whether `hostname` (brackets allowed) is a loopback address: the only place plain HTTP is allowed. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A steward URL a client or keep may use: https anywhere, http on a loopback address only. */
export function stewardUrlAllowed(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

const PACKAGE_URI = /^urn:enarx-ts:package:sha256:([0-9a-f]{64})$/;

/** The URI by which a keep claims the package (its SHA-256 digest) it runs. */
export function packageClaimUri(digest: Uint8Array): string {
  if (digest.length !== 32) throw new TypeError('a package digest is 32 bytes');
  return `urn:enarx-ts:package:sha256:${Buffer.from(digest).toString('hex')}`;
}

/** The package digest (hex) a URI claims, or undefined when it is not a package claim. */
export function parsePackageClaim(uri: string): string | undefined {
  return PACKAGE_URI.exec(uri)?.[1];
}

const OCI_URI = /^urn:enarx-ts:oci:(sha256:[0-9a-f]{64})$/;
const SIGNER_URI = /^urn:enarx-ts:signer:sha256:([0-9a-f]{64})$/;

/**
 * The URI by which a keep deployed from a registry claims the OCI artifact its package is (the
 * manifest digest), once it has checked that the package's module and files are the artifact's.
 */
export function ociClaimUri(manifestDigest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(manifestDigest)) throw new TypeError('an OCI manifest digest is sha256:<64 hex>');
  return `urn:enarx-ts:oci:${manifestDigest}`;
}

/** The URI by which a keep claims the key (SHA-256 of its SubjectPublicKeyInfo) that signed its artifact, once it verified the signature. */
export function signerClaimUri(keyIdHex: string): string {
  if (!/^[0-9a-f]{64}$/.test(keyIdHex)) throw new TypeError('a signer key id is 64 hex digits');
  return `urn:enarx-ts:signer:sha256:${keyIdHex}`;
}

/** The OCI manifest digest a URI claims, or undefined. */
export function parseOciClaim(uri: string): string | undefined {
  return OCI_URI.exec(uri)?.[1];
}

/** The signer key id (hex) a URI claims, or undefined. */
export function parseSignerClaim(uri: string): string | undefined {
  return SIGNER_URI.exec(uri)?.[1];
}

/** The SPIFFE ID of a workload: the package it runs, in the steward's trust domain. */
export function workloadSpiffeId(trustDomain: string, packageSha256: string): string {
  return `spiffe://${trustDomain}/package/sha256/${packageSha256}`;
}
