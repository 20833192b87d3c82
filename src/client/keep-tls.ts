/**
 * Checking a keep's TLS endpoint by its RA-TLS certificate (keep/tls-identity.ts): self-signed by
 * the keep's key, carrying the keep's evidence in an id-aa-attestation extension
 * (draft-ietf-lamps-csr-attestation; OID 1.2.840.113549.1.9.16.2.59) whose report data binds
 * that key:
 *
 *   reportData = SHA-512( "enarx-ts attested key v1" 0x00 ‖ SubjectPublicKeyInfo (DER) )
 *
 * Trust comes from the evidence, not from the certificate's issuer, so a peer checks: the
 * certificate parses, is signed by its own key and is valid now; the evidence verifies to a
 * trusted root, binds exactly this certificate's key, and names a runtime the peer accepts
 * (client/verify-keep.ts `appraiseEvidence`, the check of every relying party). Over a live
 * connection, the TLS handshake has proved that the server holds that key.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { attestedKeyReportData } from '../attestation/binding.js';
import { AttestationError } from '../attestation/errors.js';
import { children, DerTag, encodingOf, expectTlv, parseCertificate } from '../attestation/pki/index.js';
import type { Certificate } from '../attestation/pki/index.js';
import { decodeAttestationBundle } from '../attestation/csr/attestation-bundle.js';
import { ID_AA_ATTESTATION } from '../attestation/csr/attestation-oids.js';
import type { Evidence } from '../protocol/evidence.js';
import { KeepTlsError, KeepTlsErrorCode } from './errors.js';
import { appraiseEvidence } from './verify-keep.js';
import type { AcceptedKeep, KeepTrustPolicy } from './verify-keep.js';

/** An accepted keep, and the certificate it was accepted by. */
export type AcceptedKeepTls = AcceptedKeep & {
  /** SHA-256 of the certificate DER, lower-case hex: what to pin for later connections. */
  readonly fingerprintSha256: string;
};

/** How long {@link verifyKeepTls} waits for a handshake by default. */
export const DEFAULT_TLS_TIMEOUT_MS = 10_000;

/**
 * Verifies a keep's RA-TLS certificate (DER) against `policy` (see the file header). On its own,
 * this says what the certificate's key is; that a peer holds the key is for its TLS handshake to
 * show ({@link verifyKeepTls} does both).
 * @throws KeepTlsError ERR_MALFORMED, ERR_CERTIFICATE, ERR_CERTIFICATE_EXPIRED, ERR_NO_EVIDENCE
 * @throws AttestationError as `appraiseEvidence` (ERR_POLICY, ERR_CHAIN, ERR_REPORT_DATA,
 *   ERR_MEASUREMENT, ERR_SNP_SIGNATURE, …)
 */
export async function verifyAttestedCertificate(certDer: Uint8Array, policy: KeepTrustPolicy): Promise<AcceptedKeepTls> {
  if (!(certDer instanceof Uint8Array)) throw new TypeError('certDer: expected bytes');
  const der = new Uint8Array(certDer); // what is checked is what is used
  const cert = parsed(der);
  if (!cert.selfIssued || !cert.isSignedBy(cert.publicKey)) {
    throw new KeepTlsError(KeepTlsErrorCode.CERTIFICATE, "the certificate is not signed by its own key (a keep's RA-TLS certificate is self-signed)");
  }
  const now = (policy.now ?? new Date()).getTime();
  if (now < cert.notBeforeMs || now > cert.notAfterMs) {
    throw new KeepTlsError(KeepTlsErrorCode.CERTIFICATE_EXPIRED, `the certificate is valid from ${cert.notBefore} to ${cert.notAfter}, not now`);
  }
  const bundle = cert.extensionValue(ID_AA_ATTESTATION);
  if (bundle === undefined) {
    throw new KeepTlsError(KeepTlsErrorCode.NO_EVIDENCE, 'the certificate carries no evidence (no id-aa-attestation extension): a plain self-signed certificate proves nothing about its holder');
  }
  let evidence: Evidence;
  try {
    evidence = decodeAttestationBundle(bundle).evidence;
  } catch (err) {
    throw new KeepTlsError(KeepTlsErrorCode.MALFORMED, `the evidence in the certificate does not decode: ${(err as Error).message}`, { cause: err });
  }
  const accepted = await appraiseEvidence(evidence, attestedKeyReportData(subjectPublicKeyInfo(der)), policy);
  return Object.freeze({ ...accepted, fingerprintSha256: createHash('sha256').update(der).digest('hex') });
}

/** Options of {@link verifyKeepTls}. */
export interface VerifyKeepTlsOptions {
  /** The SNI name to send. Default: `host` when it is a name, none for an IP address. */
  readonly servername?: string;
  /** How long the connection and handshake may take, in ms. Default {@link DEFAULT_TLS_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/**
 * Connects to a keep's TLS endpoint, takes the certificate it presents (the handshake proves it
 * holds that certificate's key), closes the connection, and verifies the certificate with
 * {@link verifyAttestedCertificate}. Nothing is sent over the connection.
 * @throws KeepTlsError ERR_TLS_CONNECT, ERR_TLS_TIMEOUT, and as {@link verifyAttestedCertificate}
 * @throws AttestationError as {@link verifyAttestedCertificate}
 */
export async function verifyKeepTls(host: string, port: number, policy: KeepTrustPolicy, opts: VerifyKeepTlsOptions = {}): Promise<AcceptedKeepTls> {
  if (typeof host !== 'string' || host === '') throw new TypeError('host: expected a host name or address');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError('port: expected an integer from 1 to 65535');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TLS_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError('timeoutMs: expected a positive integer');
  const servername = opts.servername ?? (isIP(host) === 0 ? host : undefined);
  return verifyAttestedCertificate(await peerCertificate(host, port, servername, timeoutMs), policy);
}

/** The DER certificate the TLS server at `host`:`port` presents, once its handshake is done. */
function peerCertificate(host: string, port: number, servername: string | undefined, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined = undefined;
    const timer = setTimeout(() => {
      socket?.destroy();
      reject(new KeepTlsError(KeepTlsErrorCode.TIMEOUT, `no TLS handshake with ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    // Trust comes from the evidence in the certificate, not from a CA: any certificate is taken
    // here, and checked by verifyAttestedCertificate. The handshake still verifies that the server
    // signed it with the certificate's key (TLS 1.3 CertificateVerify).
    socket = connect({ host, port, rejectUnauthorized: false, ...(servername !== undefined ? { servername } : {}) }, () => {
      clearTimeout(timer);
      const raw = socket!.getPeerCertificate().raw as Buffer | undefined;
      socket!.destroy();
      if (raw === undefined || raw.length === 0) reject(new KeepTlsError(KeepTlsErrorCode.CONNECT, `${host}:${port} presented no certificate`));
      else resolve(new Uint8Array(raw));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket!.destroy();
      reject(new KeepTlsError(KeepTlsErrorCode.CONNECT, `no TLS handshake with ${host}:${port}: ${err.message}`, { cause: err }));
    });
  });
}

/** The certificate, parsed. @throws KeepTlsError ERR_MALFORMED */
function parsed(der: Uint8Array): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (err instanceof AttestationError) throw new KeepTlsError(KeepTlsErrorCode.MALFORMED, err.message, { cause: err });
    throw err;
  }
}

/**
 * The certificate's SubjectPublicKeyInfo as its DER carries it (RFC 5280 §4.1: the seventh field
 * of TBSCertificate with its [0] version, the sixth without): the bytes the keep bound, not a
 * re-encoding of the key. Called on a certificate {@link parsed} already accepted.
 */
function subjectPublicKeyInfo(der: Uint8Array): Uint8Array {
  const outer = expectTlv(der, 0, DerTag.SEQUENCE, 'Certificate');
  const tbs = children(der, outer)[0]!;
  const fields = children(der, tbs);
  const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5]!;
  return encodingOf(der, spki).slice();
}
