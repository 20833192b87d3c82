/**
 * The steward's decision on evidence: the attestation core verifies it (chain to the vendor's
 * root, signature, report data, measurement against the reference values, debug, TCB), and the
 * policy adds what a CA must decide besides (which names a keep may have).
 *
 * The report data a CSR's evidence must carry (attestation/binding.ts):
 * - IETF form: SHA-512("enarx-ts attested key v1" 0x00 ‖ the CSR's SubjectPublicKeyInfo DER);
 * - Enarx's form: SHA-384(SubjectPublicKeyInfo DER) ‖ 16 zero bytes, as Enarx's steward checks.
 * The CSR's own signature (checked when it was parsed) proves the requester holds that key.
 */
import { createHash } from 'node:crypto';
import type { Appraisal } from '../attestation/appraisal.js';
import { attestedKeyReportData, enarxStewardReportData } from '../attestation/binding.js';
import { AttestationErrorCode } from '../attestation/errors.js';
import { parseCertificate } from '../attestation/pki/index.js';
import type { SignatureCache } from '../attestation/pki/chain.js';
import type { ReferenceValue } from '../attestation/reference-values.js';
import type { AcceptedKeep, KeepTrustPolicy } from '../client/verify-keep.js';
import { appraiseEvidence } from '../client/verify-keep.js';
import { codeOf } from '../errors.js';
import type { AttestedCsr } from '../attestation/csr/attested-csr.js';
import type { Evidence } from '../protocol/evidence.js';
import { parseOciClaim, parsePackageClaim, parseSignerClaim, workloadSpiffeId } from '../protocol/steward.js';
import { StewardError } from './errors.js';
import type { StewardErrorCode } from './errors.js';
import type { KeepTcbInfo } from './issue.js';
import type { KeepWorkload } from './workload-layer.js';
import { dnsNameAllowed, ipAllowed } from './policy.js';
import type { StewardPolicy } from './policy.js';

/** What the steward accepted: the appraisal, the runtime it named, and what to certify. */
export interface AcceptedEvidence {
  readonly appraisal: Appraisal;
  readonly reference: ReferenceValue | undefined;
  readonly tcb: KeepTcbInfo;
  /** SHA-256 of the report or quote: the key of the replay check. */
  readonly evidenceSha256: Uint8Array;
}

/** An accepted CSR: the evidence, the names to certify, and the workload the keep claims. */
export interface AcceptedCsr extends AcceptedEvidence {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly uris: readonly string[];
  readonly workload?: KeepWorkload;
}

/** What an appraisal is made against. */
export interface AppraisalContext {
  readonly policy: StewardPolicy;
  readonly referenceValues: readonly ReferenceValue[];
  readonly now: Date;
  /** Certificate signatures verified before (a platform's VCEK, ASK, ARK are the same every time). */
  readonly cache?: SignatureCache;
}

/** How each refusal of the attestation core is answered. */
const ATTESTATION_REFUSALS: Readonly<Record<string, StewardErrorCode>> = {
  [AttestationErrorCode.REPORT_DATA]: 'ERR_REPORT_DATA',
  [AttestationErrorCode.MEASUREMENT]: 'ERR_MEASUREMENT',
  [AttestationErrorCode.POLICY]: 'ERR_POLICY',
  [AttestationErrorCode.DEBUG]: 'ERR_POLICY',
  [AttestationErrorCode.TCB_OUTDATED]: 'ERR_TCB',
  [AttestationErrorCode.TCB_NO_MATCH]: 'ERR_TCB',
};

/** The trust policy of the attestation core, from the steward's policy and reference values. */
function trustPolicy(policy: StewardPolicy, referenceValues: readonly ReferenceValue[], now: Date, cache: SignatureCache | undefined): KeepTrustPolicy {
  return {
    referenceValues,
    now,
    ...(cache ? { cache } : {}),
    // The simulator's root as the evidence presents it, or only the pinned one (--sim-chain).
    ...(policy.allowSim ? { sim: policy.simChain ? { roots: policy.simChain.filter((d) => parseCertificate(d).selfIssued) } : ('presented' as const) } : {}),
    ...(policy.allowDebug ? { allowDebug: true } : {}),
    ...(policy.minTcb ? { minTcb: policy.minTcb } : {}),
    acceptStatus: policy.acceptStatus,
  };
}

/**
 * Appraises evidence that must bind `reportData`.
 * @throws StewardError ERR_REPORT_DATA, ERR_MEASUREMENT, ERR_POLICY, ERR_TCB, ERR_EVIDENCE
 */
export async function appraise(evidence: Evidence, reportData: Uint8Array, ctx: AppraisalContext, crls: readonly Uint8Array[] = []): Promise<AcceptedEvidence> {
  if (evidence.backend === 'nil') throw new StewardError('ERR_POLICY', "a 'nil' keep has no evidence; the steward certifies only attested keeps");
  let accepted: AcceptedKeep;
  try {
    accepted = await appraiseEvidence(evidence, reportData, trustPolicy(ctx.policy, ctx.referenceValues, ctx.now, ctx.cache), { crls });
  } catch (err) {
    const code = codeOf(err) ?? 'ERR_INTERNAL';
    throw new StewardError(ATTESTATION_REFUSALS[code] ?? 'ERR_EVIDENCE', `${(err as Error).message} [${code}]`, { cause: err });
  }
  const appraisal = accepted.appraisal!;
  return {
    appraisal,
    reference: accepted.reference,
    tcb: tcbInfo(appraisal, accepted.reference),
    evidenceSha256: new Uint8Array(createHash('sha256').update(evidence.report).digest()),
  };
}

/** What the certificate records of a keep's TEE and runtime. */
export function tcbInfo(a: Appraisal, reference: ReferenceValue | undefined): KeepTcbInfo {
  return {
    tee: a.tee,
    product: a.product,
    tcb: a.tcb,
    tcbStatus: a.tcbStatus,
    debug: a.debug,
    measurement: a.measurement,
    ...(reference ? { runtime: { name: reference.runtime, release: reference.release, backend: reference.backend } } : {}),
  };
}

/**
 * Appraises a parsed CSR: its evidence must bind its key, and every name it asks for must be one
 * the policy allows.
 * @throws StewardError (every code of {@link appraise}, and ERR_NAME_NOT_ALLOWED)
 */
export async function appraiseCsr(csr: AttestedCsr, ctx: AppraisalContext): Promise<AcceptedCsr> {
  const names = checkNames(csr, ctx.policy);
  const expected = csr.form === 'ietf' ? attestedKeyReportData(csr.spki) : enarxStewardReportData(csr.spki);
  const evidence = csr.form === 'enarx' && ctx.policy.allowSim && ctx.policy.simChain ? withSimChain(csr.evidence, ctx.policy.simChain) : csr.evidence;
  // The CRLs the CSR carries (Enarx's form has a list) are checked against its chain too.
  return { ...(await appraise(evidence, expected, ctx, csr.crls)), ...names };
}

/** The names to certify, and the workload the keep claims. @throws StewardError ERR_NAME_NOT_ALLOWED */
function checkNames(csr: AttestedCsr, policy: StewardPolicy): Pick<AcceptedCsr, 'dnsNames' | 'ipAddresses' | 'uris' | 'workload'> {
  const badDns = csr.dnsNames.find((n) => !dnsNameAllowed(policy, n));
  if (badDns !== undefined) throw new StewardError('ERR_NAME_NOT_ALLOWED', `the policy does not let a keep be certified for the DNS name '${badDns}'`);
  const badIp = csr.ipAddresses.find((n) => !ipAllowed(policy, n));
  if (badIp !== undefined) throw new StewardError('ERR_NAME_NOT_ALLOWED', `the policy does not let a keep be certified for the IP address '${badIp}'`);
  const claims = { package: [] as string[], oci: [] as string[], signer: [] as string[] };
  for (const uri of csr.uris) {
    const p = parsePackageClaim(uri);
    const o = parseOciClaim(uri);
    const k = parseSignerClaim(uri);
    if (p !== undefined) claims.package.push(p);
    else if (o !== undefined) claims.oci.push(o);
    else if (k !== undefined) claims.signer.push(k);
    else throw new StewardError('ERR_NAME_NOT_ALLOWED', `a keep may ask only for its package, OCI artifact and signer URIs (urn:enarx-ts:…), not '${uri.slice(0, 200)}'`);
  }
  if (claims.package.length > 1 || claims.oci.length > 1 || claims.signer.length > 1) throw new StewardError('ERR_NAME_NOT_ALLOWED', 'a keep runs one package: at most one URI of each kind');
  if (claims.package.length === 0 && claims.oci.length + claims.signer.length > 0) throw new StewardError('ERR_NAME_NOT_ALLOWED', 'an OCI artifact or signer claim needs the package claim');
  if (claims.signer.length > 0 && claims.oci.length === 0) throw new StewardError('ERR_NAME_NOT_ALLOWED', 'a signer claim needs the OCI artifact it signed');
  const [pkg] = claims.package;
  const workload = pkg === undefined ? undefined : { package: pkg, ...(claims.oci[0] ? { oci: claims.oci[0] } : {}), ...(claims.signer[0] ? { signer: claims.signer[0] } : {}) };
  return {
    dnsNames: [...new Set(csr.dnsNames.map((n) => n.toLowerCase()))],
    ipAddresses: [...new Set(csr.ipAddresses)],
    uris: pkg === undefined ? [] : [workloadSpiffeId(policy.trustDomain, pkg)],
    ...(workload ? { workload } : {}),
  };
}

/**
 * Enarx's form carries only the VCEK (Enarx's steward knows AMD's chain). Evidence of the
 * simulated platform has its own chain, which the steward learns from `--sim-chain` (the ASK and
 * ARK of that platform): with it, an Enarx-form CSR from a simulated keep is verified against
 * that pinned root, and is a `sim` keep like any other.
 */
function withSimChain(evidence: Evidence, chain: readonly Uint8Array[]): Evidence {
  const vcek = evidence.certs[0];
  if (vcek === undefined || chain.length === 0) return evidence;
  const certs = chain.map((der) => ({ der, cert: parseCertificate(der) }));
  const issuer = parseCertificate(vcek).issuerName;
  if (!certs.some((c) => c.cert.subjectName === issuer)) return evidence;
  return {
    backend: 'sim',
    format: evidence.format,
    report: evidence.report,
    certs: [vcek, ...certs.filter((c) => !c.cert.selfIssued).map((c) => c.der)],
    trustRoots: certs.filter((c) => c.cert.selfIssued).map((c) => c.der),
  };
}
