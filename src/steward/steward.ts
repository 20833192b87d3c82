/**
 * The steward, without its HTTP: a CA that certifies keeps which prove themselves, and a verifier
 * that answers relying parties with EAR tokens. Its state folder holds the CA (ca.ts), the EAR
 * signing key (ear.ts) and the database of reference values, seen evidence and the audit log
 * (state.ts). Every decision, issued or refused, is written to the audit log.
 */
import { createHash } from 'node:crypto';
import { SignatureCache } from '../attestation/pki/chain.js';
import { parseCertificate } from '../attestation/pki/index.js';
import { codeOf } from '../errors.js';
import { CsrError, parseAttestedCsr } from '../attestation/csr/attested-csr.js';
import type { AttestedCsr } from '../attestation/csr/attested-csr.js';
import type { Evidence } from '../protocol/evidence.js';
import { VERSION } from '../version.js';
import { appraise, appraiseCsr } from './appraise.js';
import type { AcceptedEvidence } from './appraise.js';
import { loadCaFiles, loadOrCreateCa } from './ca.js';
import type { StewardCa } from './ca.js';
import { earClaims, EarSigner } from './ear.js';
import { StewardError } from './errors.js';
import type { StewardErrorCode } from './errors.js';
import { issueCertificate } from './issue.js';
import type { StewardPolicy } from './policy.js';
import { StewardState } from './state.js';

/** Options of {@link Steward.open}. */
export interface StewardOptions {
  readonly stateDir: string;
  readonly policy: StewardPolicy;
  /** A given CA (`--ca-cert`, `--ca-key`) instead of the one in the state folder. */
  readonly caFiles?: { readonly cert: string; readonly key: string };
  /** The clock. */
  readonly now?: () => Date;
}

/** A certificate the steward issued. */
export interface Issued {
  /** The keep's certificate, DER. */
  readonly certificate: Uint8Array;
  /** The CA's certificate, DER. */
  readonly ca: Uint8Array;
  readonly serialNumber: string;
  readonly notAfter: string;
}

/** Maps the CSR parser's codes to the steward's. */
function csrRefusal(err: CsrError): StewardError {
  const code: StewardErrorCode = err.code === 'ERR_CSR_TOO_LARGE' ? 'ERR_TOO_LARGE' : err.code;
  return new StewardError(code, err.message, { cause: err });
}

/** The steward service. */
export class Steward {
  readonly ca: StewardCa;
  readonly policy: StewardPolicy;
  readonly state: StewardState;
  readonly #signer: EarSigner;
  readonly #now: () => Date;
  /** Verified certificate signatures: the chains of the few platforms it sees, checked once. */
  readonly #cache = new SignatureCache();

  private constructor(ca: StewardCa, signer: EarSigner, state: StewardState, opts: StewardOptions) {
    this.ca = ca;
    this.#signer = signer;
    this.state = state;
    this.policy = opts.policy;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Opens the state folder (creating the CA, the EAR key and the database on first start). */
  static async open(opts: StewardOptions): Promise<Steward> {
    const state = await StewardState.open(opts.stateDir);
    try {
      const ca = opts.caFiles ? await loadCaFiles(opts.caFiles.cert, opts.caFiles.key) : await loadOrCreateCa(opts.stateDir);
      const signer = await EarSigner.loadOrCreate(opts.stateDir);
      return new Steward(ca, signer, state, opts);
    } catch (err) {
      state.close();
      throw err;
    }
  }

  /** The public keys of the EAR tokens. */
  jwks(): ReturnType<EarSigner['jwks']> {
    return this.#signer.jwks();
  }

  /**
   * Certifies the keep that sent `der` (a CSR with evidence in either form).
   * @throws StewardError (the CSR's, the appraisal's and ERR_REPLAYED)
   */
  async certify(der: Uint8Array, remote?: string): Promise<Issued> {
    const now = this.#now();
    let csr: AttestedCsr | undefined;
    try {
      csr = await parseAttestedCsr(der).catch((err: unknown) => {
        throw err instanceof CsrError ? csrRefusal(err) : err;
      });
      const accepted = await appraiseCsr(csr, { policy: this.policy, referenceValues: this.state.referenceValues(), now, cache: this.#cache });
      const certificate = await issueCertificate(this.ca, {
        spki: csr.spki,
        dnsNames: accepted.dnsNames,
        ipAddresses: accepted.ipAddresses,
        uris: accepted.uris,
        lifetimeMs: this.policy.lifetimeMs,
        now,
        keep: accepted.workload ? { ...accepted.tcb, workload: accepted.workload } : accepted.tcb,
      });
      const cert = parseCertificate(certificate);
      const detail = { ...describe(csr, accepted), serial: cert.serialNumber, notAfter: cert.notAfter, names: [...accepted.dnsNames, ...accepted.ipAddresses, ...accepted.uris], ...(accepted.workload ? { workload: accepted.workload } : {}) };
      if (!this.state.claimEvidence(accepted.evidenceSha256, { at: now.getTime(), event: 'issued', ...(remote ? { remote } : {}), detail })) {
        throw new StewardError('ERR_REPLAYED', 'this evidence was used before: each certificate needs fresh evidence');
      }
      return { certificate, ca: this.ca.certDer, serialNumber: cert.serialNumber, notAfter: cert.notAfter };
    } catch (err) {
      throw this.#refused(err, now, remote, csr ? describe(csr) : { bytes: der.length });
    }
  }

  /**
   * Appraises evidence for a relying party that expects it to bind `reportData`, and answers with
   * a signed EAR token: `affirming` (or `warning` for the simulator) when accepted,
   * `contraindicated` with the refusal's code when not.
   */
  async attest(req: { evidence: Evidence; reportData: Uint8Array; nonce?: Uint8Array | undefined }, remote?: string): Promise<string> {
    const now = this.#now();
    const base = { now, verifierBuild: `enarx-ts ${VERSION}`, reportData: req.reportData, ...(req.nonce ? { nonce: req.nonce } : {}) };
    let claims: ReturnType<typeof earClaims>;
    let detail: Record<string, unknown>;
    try {
      const accepted = await appraise(req.evidence, req.reportData, { policy: this.policy, referenceValues: this.state.referenceValues(), now, cache: this.#cache });
      claims = earClaims({ ...base, outcome: { ok: true, appraisal: accepted.appraisal, reference: accepted.reference } });
      detail = { backend: req.evidence.backend, ...tcbDetail(accepted), status: 'accepted' };
    } catch (err) {
      if (!(err instanceof StewardError) || err.code === 'ERR_INTERNAL') throw this.#refused(err, now, remote, { backend: req.evidence.backend });
      claims = earClaims({ ...base, outcome: { ok: false, code: err.code, message: err.message } });
      detail = { backend: req.evidence.backend, status: 'refused', code: err.code, message: err.message };
    }
    this.state.audit({ at: now.getTime(), event: 'ear', ...(remote ? { remote } : {}), detail });
    return this.#signer.sign(claims, now);
  }

  close(): void {
    this.state.close();
  }

  /** Records a refusal and returns the error to throw (unexpected ones become ERR_INTERNAL). */
  #refused(err: unknown, now: Date, remote: string | undefined, detail: Record<string, unknown>): StewardError {
    const e = err instanceof StewardError ? err : new StewardError('ERR_INTERNAL', `internal error: ${(err as Error).message} [${codeOf(err) ?? 'no code'}]`, { cause: err });
    try {
      this.state.audit({ at: now.getTime(), event: 'refused', code: e.code, ...(remote ? { remote } : {}), detail: { ...detail, message: e.message } });
    } catch {
      // The refusal is answered even when the log cannot be written (a full disk).
    }
    return e;
  }
}

function tcbDetail(a: AcceptedEvidence): Record<string, unknown> {
  return { tee: a.tcb.tee, product: a.tcb.product, measurement: a.tcb.measurement, runtime: a.tcb.runtime?.release };
}

function describe(csr: AttestedCsr, accepted?: AcceptedEvidence): Record<string, unknown> {
  const spkiSha256 = createHash('sha256').update(csr.spki).digest('hex');
  return { form: csr.form, backend: csr.evidence.backend, spkiSha256, ...(accepted ? tcbDetail(accepted) : {}) };
}
