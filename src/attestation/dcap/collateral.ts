/**
 * DCAP collateral: the signed TCB info and QE identity, their issuer chains, and the CRLs.
 *
 * Two input forms are accepted, both as bytes/strings (never file paths):
 * - the dcap-qvl `QuoteCollateralV3` JSON bundle: `tcb_info` / `qe_identity` hold the exact
 *   signed JSON text, `*_signature` hex r‖s, `*_issuer_chain` PEM, `pck_crl` / `root_ca_crl`
 *   hex DER, optional `pck_certificate_chain` PEM;
 * - Intel PCS v4 responses: the TCB info body `{"tcbInfo":…,"signature":…}`, the QE identity
 *   body `{"enclaveIdentity":…,"signature":…}`, and the issuer chains (PEM, from the
 *   `TCB-Info-Issuer-Chain` / `SGX-Enclave-Identity-Issuer-Chain` headers, URL-decoded).
 *
 * The signed bytes are kept exactly as received; parsing them here only checks their shape.
 * Nothing is trusted until {@link verifyCollateral} has checked the signatures.
 */
import { z } from 'zod';
import { AttestationError } from '../errors.js';
import { parseCertificates, parseCrls, type Certificate, type Crl, type PkiInput } from '../pki/index.js';
import { parseHex } from './bytes.js';
import { toQeIdentity, type QeIdentity } from './qe-identity.js';
import { objectMemberBytes, parseJsonBytes } from './raw-json.js';
import { toTcbInfo, type TcbInfo } from './tcb-info.js';

/** A signed PCS JSON value: the exact signed bytes, their parsed form, and the r‖s signature. */
export interface Signed<T> {
  readonly bytes: Uint8Array;
  readonly value: T;
  readonly signature: Uint8Array;
}

/**
 * Parsed, not yet verified, collateral for one quote. Certificates and CRLs are parsed once
 * here, so that a verifier that reuses the collateral does not parse them again per quote.
 */
export interface Collateral {
  readonly tcbInfo: Signed<TcbInfo>;
  /** TCB Signing certificate, usually followed by the root. */
  readonly tcbInfoIssuerChain: readonly Certificate[];
  readonly qeIdentity: Signed<QeIdentity>;
  readonly qeIdentityIssuerChain: readonly Certificate[];
  /** The CRL of the PCK's issuing CA (Platform or Processor CA). */
  readonly pckCrl?: Crl;
  readonly pckCrlIssuerChain?: readonly Certificate[];
  /** The Intel SGX Root CA's CRL. */
  readonly rootCaCrl?: Crl;
  /** The PCK chain for quotes whose certification data does not carry it (types 1–4). */
  readonly pckCertificateChain?: readonly Certificate[];
}

/** Intel PCS responses, as bytes or text. */
export interface PcsCollateralInput {
  /** Body of `GET …/tcb?fmspc=…`. */
  readonly tcbInfo: Uint8Array | string;
  /** PEM chain from the `TCB-Info-Issuer-Chain` header (URL-decoded). */
  readonly tcbInfoIssuerChain: PkiInput;
  /** Body of `GET …/qe/identity`. */
  readonly qeIdentity: Uint8Array | string;
  /** PEM chain from `SGX-Enclave-Identity-Issuer-Chain`; defaults to the TCB info issuer chain. */
  readonly qeIdentityIssuerChain?: PkiInput;
  /** DER or PEM. */
  readonly pckCrl?: PkiInput;
  readonly pckCrlIssuerChain?: PkiInput;
  /** DER or PEM. */
  readonly rootCaCrl?: PkiInput;
  readonly pckCertificateChain?: PkiInput;
}

function collateralError(message: string, cause?: unknown): never {
  throw new AttestationError('ERR_COLLATERAL', message, cause === undefined ? undefined : { cause });
}

function certs(input: PkiInput, what: string): readonly Certificate[] {
  try {
    return Object.freeze(parseCertificates(input));
  } catch (err) {
    return collateralError(`${what} is not a certificate chain`, err);
  }
}

function crl(input: PkiInput, what: string): Crl {
  let crls: Crl[];
  try {
    crls = parseCrls(input);
  } catch (err) {
    return collateralError(`${what} is not a CRL`, err);
  }
  if (crls.length !== 1) collateralError(`${what} must hold exactly one CRL`);
  return crls[0]!;
}

function signature(hex: unknown, what: string): Uint8Array {
  const sig = typeof hex === 'string' ? parseHex(hex) : undefined;
  if (sig?.length !== 64) collateralError(`${what} must be 64 bytes of hex (r‖s)`);
  return sig;
}

const utf8 = (s: Uint8Array | string): Uint8Array => (typeof s === 'string' ? new TextEncoder().encode(s) : new Uint8Array(s));

function signedTcbInfo(bytes: Uint8Array, sig: Uint8Array): Signed<TcbInfo> {
  return Object.freeze({ bytes, value: toTcbInfo(parseJsonBytes(bytes, 'tcbInfo')), signature: sig });
}

function signedQeIdentity(bytes: Uint8Array, sig: Uint8Array): Signed<QeIdentity> {
  return Object.freeze({ bytes, value: toQeIdentity(parseJsonBytes(bytes, 'enclaveIdentity')), signature: sig });
}

const bundleSchema = z.object({
  pck_crl_issuer_chain: z.string().optional(),
  root_ca_crl: z.string().optional(),
  pck_crl: z.string().optional(),
  tcb_info_issuer_chain: z.string(),
  tcb_info: z.string(),
  tcb_info_signature: z.string(),
  qe_identity_issuer_chain: z.string(),
  qe_identity: z.string(),
  qe_identity_signature: z.string(),
  pck_certificate_chain: z.string().optional(),
});

function hexCrl(text: string, what: string): Crl {
  const der = parseHex(text);
  if (der === undefined || der.length === 0) collateralError(`${what} must be hex DER`);
  return crl(der, what);
}

/**
 * Parses a dcap-qvl style collateral bundle (JSON text, its UTF-8 bytes, or the parsed object).
 * @throws AttestationError ERR_COLLATERAL when it is malformed.
 */
export function parseCollateral(input: string | Uint8Array | unknown): Collateral {
  const doc = typeof input === 'string' || input instanceof Uint8Array ? parseJsonBytes(utf8(input), 'collateral') : input;
  const r = bundleSchema.safeParse(doc);
  if (!r.success) collateralError(`collateral bundle does not follow the QuoteCollateralV3 shape: ${r.error.message}`);
  const b = r.data;
  return Object.freeze({
    tcbInfo: signedTcbInfo(utf8(b.tcb_info), signature(b.tcb_info_signature, 'tcb_info_signature')),
    tcbInfoIssuerChain: certs(b.tcb_info_issuer_chain, 'tcb_info_issuer_chain'),
    qeIdentity: signedQeIdentity(utf8(b.qe_identity), signature(b.qe_identity_signature, 'qe_identity_signature')),
    qeIdentityIssuerChain: certs(b.qe_identity_issuer_chain, 'qe_identity_issuer_chain'),
    ...(b.pck_crl === undefined ? {} : { pckCrl: hexCrl(b.pck_crl, 'pck_crl') }),
    ...(b.pck_crl_issuer_chain === undefined ? {} : { pckCrlIssuerChain: certs(b.pck_crl_issuer_chain, 'pck_crl_issuer_chain') }),
    ...(b.root_ca_crl === undefined ? {} : { rootCaCrl: hexCrl(b.root_ca_crl, 'root_ca_crl') }),
    ...(b.pck_certificate_chain === undefined
      ? {}
      : { pckCertificateChain: certs(b.pck_certificate_chain, 'pck_certificate_chain') }),
  });
}

/** Splits a PCS response body into the exact bytes of member `key` and the signature. */
function pcsBody(body: Uint8Array | string, key: string, what: string): { bytes: Uint8Array; sig: Uint8Array } {
  const members = objectMemberBytes(utf8(body), what);
  const value = members.get(key);
  const sigBytes = members.get('signature');
  if (value === undefined || sigBytes === undefined) collateralError(`${what} lacks '${key}' or 'signature'`);
  return { bytes: new Uint8Array(value), sig: signature(parseJsonBytes(sigBytes, `${what} signature`), `${what} signature`) };
}

/**
 * Assembles collateral from Intel PCS responses (TCB info and QE identity bodies, issuer chains,
 * optional CRLs). @throws AttestationError ERR_COLLATERAL when any part is malformed.
 */
export function parsePcsCollateral(input: PcsCollateralInput): Collateral {
  if (typeof input !== 'object' || input === null) throw new TypeError('parsePcsCollateral: input must be an object');
  const tcb = pcsBody(input.tcbInfo, 'tcbInfo', 'TCB info response');
  const qe = pcsBody(input.qeIdentity, 'enclaveIdentity', 'QE identity response');
  return Object.freeze({
    tcbInfo: signedTcbInfo(tcb.bytes, tcb.sig),
    tcbInfoIssuerChain: certs(input.tcbInfoIssuerChain, 'TCB info issuer chain'),
    qeIdentity: signedQeIdentity(qe.bytes, qe.sig),
    qeIdentityIssuerChain: certs(input.qeIdentityIssuerChain ?? input.tcbInfoIssuerChain, 'QE identity issuer chain'),
    ...(input.pckCrl === undefined ? {} : { pckCrl: crl(input.pckCrl, 'PCK CRL') }),
    ...(input.pckCrlIssuerChain === undefined ? {} : { pckCrlIssuerChain: certs(input.pckCrlIssuerChain, 'PCK CRL issuer chain') }),
    ...(input.rootCaCrl === undefined ? {} : { rootCaCrl: crl(input.rootCaCrl, 'root CA CRL') }),
    ...(input.pckCertificateChain === undefined
      ? {}
      : { pckCertificateChain: certs(input.pckCertificateChain, 'PCK certificate chain') }),
  });
}
