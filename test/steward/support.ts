/**
 * What the steward tests share: a simulated SEV-SNP platform that signs evidence for any report
 * data, CSRs in both forms made with fresh keys, and a steward served on loopback.
 */
import { createHash, webcrypto } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attestedKeyReportData, enarxStewardReportData } from '../../src/attestation/binding.js';
import { createBackend } from '../../src/backend/index.js';
import { SIM_PLATFORM } from '../../src/backend/sim/platform.js';
import { loadOrCreateSimState } from '../../src/backend/sim/state.js';
import { buildSnpReport, signSnpReport } from '../../src/attestation/snp/builder.js';
import { encodeTcbVersion } from '../../src/attestation/snp/tcb.js';
import type { Backend } from '../../src/backend/index.js';
import type { ReferenceValue } from '../../src/attestation/reference-values.js';
import { buildAttestedCsr } from '../../src/attestation/csr/attested-csr.js';
import type { CsrForm } from '../../src/attestation/csr/attested-csr.js';
import type { Evidence } from '../../src/protocol/evidence.js';
import { packageClaimUri } from '../../src/protocol/steward.js';
import { serveSteward } from '../../src/steward/http.js';
import type { StewardServer } from '../../src/steward/http.js';
import { parsePolicy } from '../../src/steward/policy.js';
import type { PolicyFlags } from '../../src/steward/policy.js';
import { Steward } from '../../src/steward/steward.js';

/** The runtime the tests' keeps run, and its reference value. */
export const MEASUREMENT = new Uint8Array(createHash('sha384').update('a keep runtime').digest());
export const REFERENCE: ReferenceValue = { measurement: Buffer.from(MEASUREMENT).toString('hex'), runtime: 'enarx-ts', release: '9.9.9', backend: 'sim' };
export const PACKAGE_DIGEST = new Uint8Array(createHash('sha256').update('a package').digest());

/** A temporary folder. */
export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `enarx-${name}-`));
}

/** A simulated platform in its own folder (made once per process: its RSA-4096 chain takes seconds). */
export function simPlatform(): Backend & { readonly stateDir: string } {
  const stateDir = tempDir('steward-sim');
  return Object.assign(createBackend('sim', { stateDir }), { stateDir });
}

/**
 * Evidence of `sim` whose guest policy has DEBUG set (its host can read its memory): the
 * platform's own report, rebuilt with bit 19 of POLICY and signed with its VCEK.
 */
export async function debugEvidence(sim: Backend & { readonly stateDir: string }, reportData: Uint8Array): Promise<Evidence> {
  const genuine = await sim.attest(reportData, { measurement: MEASUREMENT });
  const state = await loadOrCreateSimState(sim.stateDir, new Date());
  const f = state.facts;
  const tcb = encodeTcbVersion(f.reportedTcb, f.product);
  const report = buildSnpReport({
    version: SIM_PLATFORM.reportVersion,
    policy: SIM_PLATFORM.policy | (1 << 19),
    currentTcb: tcb,
    reportedTcb: tcb,
    committedTcb: tcb,
    launchTcb: tcb,
    platformInfo: SIM_PLATFORM.platformInfo,
    signingKey: 'VCEK',
    reportData,
    measurement: MEASUREMENT,
    product: f.product,
    chipId: f.chipId,
    currentVersion: f.firmware,
    committedVersion: f.firmware,
  });
  return { ...genuine, report: signSnpReport(report, state.vcekKey) };
}

/** Options of {@link makeCsr}. */
export interface CsrOptions {
  readonly form?: CsrForm;
  readonly measurement?: Uint8Array;
  /** Report data to sign instead of the binding of the CSR's key. */
  readonly reportData?: Uint8Array;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
  /** Evidence to carry instead of fresh evidence. */
  readonly evidence?: Evidence;
  /** Enarx's form: CRLs to carry. */
  readonly crls?: readonly { readonly url: string; readonly crl: Uint8Array }[];
  /** Makes the evidence for the report data that binds the CSR's key. */
  readonly evidenceFor?: (reportData: Uint8Array) => Promise<Evidence>;
}

/** A CSR with fresh evidence from `sim` for a fresh key (P-256 for the IETF form, P-384 for Enarx's). */
export async function makeCsr(sim: Backend, opts: CsrOptions = {}): Promise<{ der: Uint8Array; evidence: Evidence; spki: Uint8Array }> {
  const form = opts.form ?? 'ietf';
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: form === 'ietf' ? 'P-256' : 'P-384' }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const reportData = opts.reportData ?? (form === 'ietf' ? attestedKeyReportData(spki) : enarxStewardReportData(spki));
  const evidence = opts.evidence ?? (await (opts.evidenceFor ?? ((rd) => sim.attest(rd, { measurement: opts.measurement ?? MEASUREMENT })))(reportData));
  const der = await buildAttestedCsr({
    keys,
    form,
    evidence,
    dnsNames: opts.dnsNames ?? ['localhost'],
    ipAddresses: opts.ipAddresses ?? ['127.0.0.1'],
    uris: opts.uris ?? [packageClaimUri(PACKAGE_DIGEST)],
    ...(opts.crls ? { crls: opts.crls } : {}),
  });
  return { der, evidence, spki };
}

/** A steward in its own folder with {@link REFERENCE} known, served on loopback. */
export async function startSteward(flags: PolicyFlags = { allowSim: true }, policyText?: string, stateDir = tempDir('steward')): Promise<{ steward: Steward; server: StewardServer; stateDir: string }> {
  const steward = await Steward.open({ stateDir, policy: parsePolicy(policyText, { trustDomain: 'example.org', ...flags }) });
  steward.state.addReferenceValues([REFERENCE]);
  const server = await serveSteward(steward, { hostname: '127.0.0.1', port: 0 });
  return { steward, server, stateDir };
}

/** POSTs a CSR; resolves with the status, content type and body. */
export async function postCsr(url: string, der: Uint8Array, accept?: string): Promise<{ status: number; type: string; body: Buffer; code?: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/pkcs10', ...(accept ? { Accept: accept } : {}) }, body: der });
  const body = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const code = type.startsWith('application/json') ? (JSON.parse(body.toString('utf8')) as { error?: { code?: string } }).error?.code : undefined;
  return { status: res.status, type, body, ...(code ? { code } : {}) };
}
