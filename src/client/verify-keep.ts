/**
 * The client's check of a keep, before anything secret is sent: the evidence verifies to a
 * trusted root, binds this deploy's nonce and the keep's key, and names a runtime the client
 * accepts (its measurement is in the reference values).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Appraisal } from '../attestation/appraisal.js';
import { keepReportData } from '../attestation/binding.js';
import { AttestationError, AttestationErrorCode } from '../attestation/errors.js';
import { sha256Hex } from '../attestation/pki/index.js';
import { verifyEvidence } from '../attestation/verify.js';
import type { VerifyEvidenceOptions } from '../attestation/verify.js';
import type { Evidence } from '../protocol/evidence.js';
import type { SuiteRow } from '../crypto/suites.js';
import { findReferenceValue } from '../attestation/reference-values.js';
import type { ReferenceValue } from '../attestation/reference-values.js';

/**
 * Which simulated platforms the client accepts evidence from: those whose ARK (DER) is listed,
 * or (`presented`) whichever root the evidence itself carries: the sim platform proves nothing
 * about hardware anyway, and pinning a root only detects a swapped platform.
 */
export type SimTrust = { readonly roots: readonly Uint8Array[] } | 'presented';

/** What the client knows and decides: data, read and never changed by verification. */
export interface KeepTrustPolicy {
  /** Accept evidence from the simulated platform, and from which. Default: never. */
  readonly sim?: SimTrust;
  /** Accept a `nil` keep (no evidence at all). Never the default. */
  readonly insecureNil?: boolean;
  /**
   * The runtimes accepted: a keep's measurement must be one of these (for its backend), or one of
   * `measurements`. Nothing else is accepted.
   */
  readonly referenceValues: readonly ReferenceValue[];
  /** Accepted measurements (hex) for any backend, e.g. from `--measurement`. */
  readonly measurements?: readonly string[];
  readonly now?: Date;
  /** Accept a keep whose TEE runs in debug mode (its memory is readable by the host). Default false. */
  readonly allowDebug?: boolean;
  /** SEV-SNP (and sim): the lowest acceptable reported TCB, per component. */
  readonly minTcb?: VerifyEvidenceOptions['minTcb'];
  /** TDX/SGX: TCB collateral and the statuses to accept (default UpToDate only). */
  readonly collateral?: VerifyEvidenceOptions['collateral'];
  readonly acceptStatus?: VerifyEvidenceOptions['acceptStatus'];
  /** Remembers verified certificate signatures (a service that appraises many keeps of few platforms). */
  readonly cache?: VerifyEvidenceOptions['cache'];
}

/** What the keep presented. */
export interface KeepClaim {
  readonly nonce: Uint8Array;
  readonly suite: SuiteRow;
  readonly publicKey: Uint8Array;
  readonly evidence: Evidence;
}

/** An accepted keep: the appraisal plus the reference value it matched (undefined for nil). */
export interface AcceptedKeep {
  readonly appraisal: Appraisal | undefined;
  readonly reference: ReferenceValue | undefined;
}

/**
 * Verifies a keep's evidence against the client's policy.
 * @throws AttestationError (ERR_POLICY for an untrusted backend, ERR_REPORT_DATA, ERR_MEASUREMENT,
 *   and every code of the evidence verifiers).
 */
export async function verifyKeep(claim: KeepClaim, policy: KeepTrustPolicy): Promise<AcceptedKeep> {
  return appraiseEvidence(claim.evidence, keepReportData(claim.nonce, claim.suite.kemId, claim.publicKey), policy);
}

/**
 * Verifies evidence that must bind `expected` (64 bytes of report data) against a policy: the
 * check every relying party makes (the client of a deploy, a steward, a peer of a keep's TLS).
 * `extras.crls`: CRLs the evidence came with (Enarx's steward form carries them), checked too.
 * @throws AttestationError (ERR_POLICY for an untrusted backend, ERR_REPORT_DATA, ERR_MEASUREMENT,
 *   and every code of the evidence verifiers).
 */
export async function appraiseEvidence(ev: Evidence, expected: Uint8Array, policy: KeepTrustPolicy, extras: { readonly crls?: readonly Uint8Array[] } = {}): Promise<AcceptedKeep> {
  if (ev.backend === 'nil') {
    if (!policy.insecureNil) {
      throw new AttestationError(AttestationErrorCode.POLICY, "the keep runs on the 'nil' backend and has no evidence; refusing (opt in with --insecure-nil)");
    }
    return { appraisal: undefined, reference: undefined };
  }
  if (ev.backend === 'sim' && policy.sim === undefined) {
    throw new AttestationError(AttestationErrorCode.POLICY, "the keep runs on the simulated platform 'sim'; refusing (opt in with --allow-sim)");
  }
  const trustRoots = ev.backend !== 'sim' || policy.sim === undefined ? [] : policy.sim === 'presented' ? (ev.trustRoots ?? []) : policy.sim.roots;
  const appraisal = await verifyEvidence(ev.report, {
    certs: ev.certs,
    trustRoots,
    reportData: expected,
    ...(policy.now ? { now: policy.now } : {}),
    ...(policy.allowDebug ? { allowDebug: true } : {}),
    ...(policy.minTcb ? { minTcb: policy.minTcb } : {}),
    ...(policy.collateral ? { collateral: policy.collateral } : {}),
    ...(policy.acceptStatus ? { acceptStatus: policy.acceptStatus } : {}),
    ...(policy.cache ? { cache: policy.cache } : {}),
    ...(extras.crls && extras.crls.length > 0 ? { crls: extras.crls } : {}),
  });
  // Defence in depth: the verifier compared the report data already.
  const got = Buffer.from(appraisal.reportData, 'hex');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw new AttestationError(AttestationErrorCode.REPORT_DATA, 'the evidence does not bind the expected report data (nonce and key)');
  }
  let result: Appraisal = appraisal;
  if (ev.backend === 'sim') {
    // Genuine SNP layout, but rooted in the simulator's ARK: call it what it is.
    const root = appraisal.chain[appraisal.chain.length - 1];
    const simShas = new Set(trustRoots.map((r) => sha256Hex(r)));
    if (!root || !simShas.has(root.sha256)) {
      throw new AttestationError(AttestationErrorCode.CHAIN, 'sim evidence does not chain to a trusted simulator root');
    }
    result = Object.freeze({ ...appraisal, tee: 'sim' as const });
  }
  const measurement = result.measurement.toLowerCase();
  const reference = findReferenceValue(policy.referenceValues, measurement, ev.backend);
  const extra = (policy.measurements ?? []).some((m) => m.toLowerCase() === measurement);
  if (!reference && !extra) {
    throw new AttestationError(
      AttestationErrorCode.MEASUREMENT,
      `the keep's measurement ${measurement} is not in the reference values for backend '${ev.backend}': it is not a runtime you accept`,
    );
  }
  return { appraisal: result, reference };
}
