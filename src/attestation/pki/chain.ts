/**
 * Certification path building and validation for vendor attestation PKIs (AMD KDS, Intel PCS).
 *
 * Building (finding issuers) is not validation: {@link verifyChain} checks every link itself —
 * issuer/subject names, each signature, validity at `now`, basicConstraints cA and
 * pathLenConstraint and keyUsage keyCertSign on issuers, unknown critical extensions — and the
 * supplied CRLs (signature by the issuer, cRLSign, thisUpdate/nextUpdate, revoked serials).
 * This is the subset of RFC 5280 §6 that these PKIs need; policies and name constraints are
 * not used by them, so certificates that mark such extensions critical are refused.
 */
import { AttestationError } from '../errors.js';
import type { ChainEntry } from '../appraisal.js';
import { OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, type Certificate } from './certificate.js';
import type { Crl } from './crl.js';

/** Longest path we build or accept (leaf, intermediates, root). */
export const MAX_CHAIN_LENGTH = 6;

/** Critical extensions every validation understands. */
const HANDLED_CRITICAL = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  '2.5.29.37', // extKeyUsage: not restricted by us, its presence is harmless
  '2.5.29.17', // subjectAltName
]);

/**
 * Remembers signature checks that succeeded (keyed by the SHA-256 of signed object and signer),
 * so that a verifier that sees the same chain again skips the RSA/ECDSA work. Holds only
 * successes; a bounded set that is cleared when full.
 */
export class SignatureCache {
  readonly #ok = new Set<string>();
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /** True when `objectSha256` was verified with the key of `signerSha256` before. */
  has(objectSha256: string, signerSha256: string): boolean {
    return this.#ok.has(`${objectSha256}:${signerSha256}`);
  }

  /** Records a successful verification. */
  add(objectSha256: string, signerSha256: string): void {
    if (this.#ok.size >= this.#limit) this.#ok.clear();
    this.#ok.add(`${objectSha256}:${signerSha256}`);
  }
}

/** Options of {@link buildChain} and {@link verifyChain}. */
export interface ChainOptions {
  /** The verification time: validity periods and CRL freshness are judged at this instant. */
  readonly now: Date;
  /** Trust anchors. A path must end at one of them (same SHA-256 fingerprint). */
  readonly anchors: readonly Certificate[];
  /** CRLs. Each one applies to the certificates its issuer signed; others are ignored. */
  readonly crls?: readonly Crl[];
  /** Extra critical extension OIDs the caller checks itself (e.g. vendor extensions). */
  readonly handledCriticalExtensions?: readonly string[];
  /** Shared signature cache (see {@link SignatureCache}). */
  readonly cache?: SignatureCache;
}

/** A validated path, leaf first and trust anchor last. */
export interface VerifiedChain {
  readonly certificates: readonly Certificate[];
  readonly anchor: Certificate;
}

function chainError(message: string): AttestationError {
  return new AttestationError('ERR_CHAIN', message);
}

function label(cert: Certificate): string {
  return `'${cert.commonName || cert.subject}'`;
}

/** True when `cert` is signed by `issuer`'s key, consulting and filling the cache. */
export function isIssuedBy(cert: Certificate, issuer: Certificate, cache?: SignatureCache): boolean {
  if (cache?.has(cert.sha256, issuer.sha256)) return true;
  const ok = cert.isSignedBy(issuer.publicKey);
  if (ok) cache?.add(cert.sha256, issuer.sha256);
  return ok;
}

/**
 * Builds the path from `leaf` to a trust anchor, taking issuers from `pool` and the anchors
 * (names must match and the signature must verify). Only builds; call {@link verifyChain} on
 * the result. @throws AttestationError ERR_CHAIN when no path to an anchor exists.
 */
export function buildChain(
  leaf: Certificate,
  pool: readonly Certificate[],
  options: Pick<ChainOptions, 'anchors' | 'cache'>,
): Certificate[] {
  const anchorIds = new Set(options.anchors.map((a) => a.sha256));
  const candidates = new Map<string, Certificate>();
  for (const c of [...options.anchors, ...pool]) candidates.set(c.sha256, c);
  const path = [leaf];
  let current = leaf;
  while (!anchorIds.has(current.sha256)) {
    if (path.length >= MAX_CHAIN_LENGTH) throw chainError(`no path to a trusted root within ${MAX_CHAIN_LENGTH} certificates`);
    const named = [...candidates.values()].filter(
      (c) => c.subjectName === current.issuerName && !path.some((p) => p.sha256 === c.sha256),
    );
    if (named.length === 0) {
      throw chainError(
        current.selfIssued
          ? `${label(current)} is self-signed but is not a trusted root`
          : `no certificate for issuer '${current.issuer}' of ${label(current)} (not supplied, not trusted)`,
      );
    }
    // Prefer anchors, so that a supplied copy of a root never shadows the pinned one.
    named.sort((a, b) => Number(anchorIds.has(b.sha256)) - Number(anchorIds.has(a.sha256)));
    const issuer = named.find((c) => isIssuedBy(current, c, options.cache));
    if (issuer === undefined) {
      throw chainError(`the signature of ${label(current)} does not verify with the key of ${label(named[0]!)}`);
    }
    path.push(issuer);
    current = issuer;
  }
  return path;
}

function checkValidity(cert: Certificate, nowMs: number): void {
  if (nowMs < cert.notBeforeMs) {
    throw new AttestationError('ERR_EXPIRED', `certificate ${label(cert)} is not valid before ${cert.notBefore}`);
  }
  if (nowMs > cert.notAfterMs) {
    throw new AttestationError('ERR_EXPIRED', `certificate ${label(cert)} expired at ${cert.notAfter}`);
  }
}

function checkCriticalExtensions(cert: Certificate, handled: ReadonlySet<string>): void {
  for (const e of cert.extensions) {
    if (e.critical && !HANDLED_CRITICAL.has(e.oid) && !handled.has(e.oid)) {
      throw chainError(`certificate ${label(cert)} has an unsupported critical extension ${e.oid}`);
    }
  }
}

/** Checks that `issuer` may issue certificates with `below` CA certificates under it. */
function checkIssuer(issuer: Certificate, intermediatesBelow: number): void {
  const bc = issuer.basicConstraints;
  if (bc === undefined || !bc.ca) throw chainError(`issuer ${label(issuer)} is not a CA (basicConstraints cA is not set)`);
  if (bc.pathLength !== undefined && intermediatesBelow > bc.pathLength) {
    throw chainError(`issuer ${label(issuer)} allows ${bc.pathLength} intermediate(s) below it, the path has ${intermediatesBelow}`);
  }
  if (issuer.keyUsage !== undefined && !issuer.keyUsage.has('keyCertSign')) {
    throw chainError(`issuer ${label(issuer)} lacks keyUsage keyCertSign`);
  }
}

function checkRevocation(cert: Certificate, issuer: Certificate, crls: readonly Crl[], nowMs: number, cache?: SignatureCache): void {
  for (const crl of crls) {
    if (crl.issuerName !== cert.issuerName) continue;
    if (!(cache?.has(crl.sha256, issuer.sha256) ?? false)) {
      if (!crl.isSignedBy(issuer.publicKey)) {
        throw new AttestationError('ERR_COLLATERAL', `the CRL of '${crl.issuer}' does not verify with the key of ${label(issuer)}`);
      }
      cache?.add(crl.sha256, issuer.sha256);
    }
    if (issuer.keyUsage !== undefined && !issuer.keyUsage.has('cRLSign')) {
      throw new AttestationError('ERR_COLLATERAL', `CRL issuer ${label(issuer)} lacks keyUsage cRLSign`);
    }
    if (nowMs < crl.thisUpdateMs) {
      throw new AttestationError('ERR_EXPIRED', `the CRL of '${crl.issuer}' is not valid before ${new Date(crl.thisUpdateMs).toISOString()}`);
    }
    if (crl.nextUpdateMs !== undefined && nowMs > crl.nextUpdateMs) {
      throw new AttestationError('ERR_EXPIRED', `the CRL of '${crl.issuer}' expired at ${new Date(crl.nextUpdateMs).toISOString()}`);
    }
    if (crl.isRevoked(cert.serialNumber)) {
      throw new AttestationError('ERR_REVOKED', `certificate ${label(cert)} (serial ${cert.serialNumber}) is revoked by the CRL of '${crl.issuer}'`);
    }
  }
}

/**
 * Validates `chain` (leaf first). When its last certificate is not an anchor but is issued by
 * one, that anchor is appended. Checks, in order: the path ends at an anchor; every link (names,
 * signature, issuer constraints); validity of every certificate at `now`; CRLs.
 * @throws AttestationError ERR_CHAIN, ERR_EXPIRED, ERR_REVOKED, ERR_COLLATERAL (bad or stale CRL).
 */
export function verifyChain(chain: readonly Certificate[], options: ChainOptions): VerifiedChain {
  if (chain.length === 0) throw new TypeError('verifyChain: empty chain');
  const nowMs = options.now.getTime();
  if (!Number.isFinite(nowMs)) throw new TypeError('verifyChain: invalid `now`');
  const anchorIds = new Set(options.anchors.map((a) => a.sha256));
  const path = [...chain];
  const last = path[path.length - 1]!;
  if (!anchorIds.has(last.sha256)) {
    const issuer = options.anchors.find((a) => a.subjectName === last.issuerName && isIssuedBy(last, a, options.cache));
    if (issuer === undefined) throw chainError(`the chain ends at ${label(last)}, which is not a trusted root nor issued by one`);
    path.push(issuer);
  }
  if (path.length > MAX_CHAIN_LENGTH) throw chainError(`the chain has more than ${MAX_CHAIN_LENGTH} certificates`);
  const anchor = path[path.length - 1]!;
  const handled = new Set(options.handledCriticalExtensions ?? []);
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    if (cert.issuerName !== issuer.subjectName) {
      throw chainError(`${label(cert)} names issuer '${cert.issuer}', but the next certificate is '${issuer.subject}'`);
    }
    if (!isIssuedBy(cert, issuer, options.cache)) {
      throw chainError(`the signature of ${label(cert)} does not verify with the key of ${label(issuer)}`);
    }
    checkIssuer(issuer, i); // path[1..i] are the CA certificates below this issuer
    checkCriticalExtensions(cert, handled);
  }
  checkCriticalExtensions(anchor, handled);
  if (anchor.selfIssued && !isIssuedBy(anchor, anchor, options.cache)) {
    throw chainError(`the self-signature of trusted root ${label(anchor)} does not verify`);
  }
  for (const cert of path) checkValidity(cert, nowMs);
  const crls = options.crls ?? [];
  for (let i = 0; i < path.length - 1; i++) checkRevocation(path[i]!, path[i + 1]!, crls, nowMs, options.cache);
  return Object.freeze({ certificates: Object.freeze(path), anchor });
}

/** The {@link ChainEntry} summary of a certificate, for an Appraisal's `chain`. */
export function chainEntry(cert: Certificate): ChainEntry {
  return Object.freeze({
    subject: cert.subject,
    issuer: cert.issuer,
    sha256: cert.sha256,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  });
}
