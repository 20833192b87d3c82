/**
 * Options of the DCAP verifiers (`verifyTdxQuote`, `verifySgxQuote`) and their validation.
 * A malformed option is the caller's mistake: TypeError, not AttestationError.
 */
import type { TcbStatus } from '../appraisal.js';
import type { Certificate, SignatureCache } from '../pki/index.js';
import { parseHex } from './bytes.js';
import type { Collateral } from './collateral.js';
import { TCB_STATUSES } from './tcb-info.js';
import { parseTrustRoots } from './trust.js';

/** How to verify a DCAP quote. */
export interface DcapVerifyOptions {
  /** Verification time (certificates, CRLs, collateral windows). Default: the current time. */
  readonly now?: Date;
  /** Signed TCB info and QE identity (see `parseCollateral` / `parsePcsCollateral`). */
  readonly collateral?: Collateral;
  /** TCB statuses to accept. Default `['UpToDate']`. `Revoked` is never accepted. */
  readonly acceptStatus?: readonly TcbStatus[];
  /** Accept a debug TD / enclave. Default false. */
  readonly allowDebug?: boolean;
  /** Allowed MRTD (TDX) or MRENCLAVE (SGX) values, hex. Default: any. */
  readonly measurements?: readonly string[];
  /** Expected 64-byte report data (bytes or hex), compared in constant time. */
  readonly reportData?: Uint8Array | string;
  /** Extra CRLs (DER, or PEM bytes): Intel SGX Root CA CRL, PCK Platform/Processor CA CRLs. */
  readonly crls?: readonly Uint8Array[];
  /** Trust anchors (DER) that replace the pinned Intel SGX Root CA. */
  readonly trustRoots?: readonly Uint8Array[];
  /** Verify signatures and chains only when no collateral is given (TCB not evaluated). */
  readonly allowNoCollateral?: boolean;
  /** PCK chain (DER, leaf first) for quotes whose certification data lacks it (types 1–4). */
  readonly pckCertChain?: readonly Uint8Array[];
  /** Share signature checks across calls (see the PKI layer's `SignatureCache`). */
  readonly cache?: SignatureCache;
}

/** Validated options with defaults applied. */
export interface ResolvedOptions {
  readonly now: Date;
  readonly collateral: Collateral | undefined;
  readonly acceptStatus: ReadonlySet<TcbStatus>;
  readonly allowDebug: boolean;
  /** Lower-case hex. */
  readonly measurements: readonly string[] | undefined;
  readonly reportData: Uint8Array | undefined;
  /** DER or PEM, not yet parsed. */
  readonly crls: readonly Uint8Array[];
  readonly trustRoots: readonly Certificate[] | undefined;
  readonly allowNoCollateral: boolean;
  readonly pckCertChain: readonly Uint8Array[] | undefined;
  readonly cache: SignatureCache | undefined;
}

function bytesList(value: unknown, name: string): Uint8Array[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => v instanceof Uint8Array)) {
    throw new TypeError(`${name} must be an array of Uint8Array`);
  }
  return value as Uint8Array[];
}

/**
 * Validates `opts` and applies defaults.
 * @throws TypeError when an option has the wrong type or value.
 */
export function resolveOptions(opts: DcapVerifyOptions = {}): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  const now = opts.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
  const accept = opts.acceptStatus ?? ['UpToDate'];
  if (!Array.isArray(accept) || !accept.every((s) => (TCB_STATUSES as readonly string[]).includes(s))) {
    throw new TypeError(`acceptStatus must list TCB statuses (${TCB_STATUSES.join(', ')})`);
  }
  let measurements: string[] | undefined;
  if (opts.measurements !== undefined) {
    if (!Array.isArray(opts.measurements) || !opts.measurements.every((m) => typeof m === 'string' && parseHex(m) !== undefined)) {
      throw new TypeError('measurements must be hex strings');
    }
    measurements = opts.measurements.map((m) => m.toLowerCase());
  }
  let reportData: Uint8Array | undefined;
  if (opts.reportData !== undefined) {
    const rd = typeof opts.reportData === 'string' ? parseHex(opts.reportData) : opts.reportData;
    if (!(rd instanceof Uint8Array) || rd.length !== 64) throw new TypeError('reportData must be 64 bytes (or 128 hex digits)');
    reportData = new Uint8Array(rd); // a copy even when the caller passed a Buffer
  }
  // CRLs are untrusted collateral: parsed (ERR_COLLATERAL on failure) by the verifier.
  const crls = bytesList(opts.crls, 'crls') ?? [];
  const roots = bytesList(opts.trustRoots, 'trustRoots');
  if (opts.collateral !== undefined && (typeof opts.collateral !== 'object' || opts.collateral === null)) {
    throw new TypeError('collateral must come from parseCollateral or parsePcsCollateral');
  }
  return Object.freeze({
    now,
    collateral: opts.collateral,
    acceptStatus: new Set(accept),
    allowDebug: opts.allowDebug === true,
    measurements,
    reportData,
    crls,
    trustRoots: roots === undefined ? undefined : parseTrustRoots(roots),
    allowNoCollateral: opts.allowNoCollateral === true,
    pckCertChain: bytesList(opts.pckCertChain, 'pckCertChain'),
    cache: opts.cache,
  });
}
