/**
 * The keep's requests for evidence while it runs (control.ts `evidence-request`, answered by
 * `evidence` or `evidence-error`): report data out, the platform's evidence back, through the
 * host. The keep does not trust what comes back and has nothing to check it against (it holds no
 * roots or policy): it forwards the evidence, in its RA-TLS certificate, to relying parties, who
 * verify it. A host that lies, answers late or never, gives the keep evidence nobody accepts,
 * which is no worse than the host refusing to run it.
 */
import { CodedError } from '../errors.js';
import { EvidenceErrorCode } from '../protocol/control.js';
import type { EvidenceReply } from '../protocol/control.js';
import type { Evidence } from '../protocol/evidence.js';

/** How long the keep waits for its host's answer. */
export const EVIDENCE_TIMEOUT_MS = 10_000;

/** Why a request for evidence got none: the host's codes, and the keep's own timeout. */
export const KeepEvidenceErrorCode = { ...EvidenceErrorCode, TIMEOUT: 'ERR_EVIDENCE_TIMEOUT' } as const;
/** One of the values of {@link KeepEvidenceErrorCode}. */
export type KeepEvidenceErrorCode = (typeof KeepEvidenceErrorCode)[keyof typeof KeepEvidenceErrorCode];

/** No evidence for a request (the host's word, or its silence). */
export class EvidenceError extends CodedError<KeepEvidenceErrorCode> {
  override readonly name = 'EvidenceError';
}

/** Asks for evidence over 64 bytes of report data. */
export type RequestEvidence = (reportData: Uint8Array) => Promise<Evidence>;

interface Pending {
  readonly resolve: (e: Evidence) => void;
  readonly reject: (err: EvidenceError) => void;
  readonly timer: NodeJS.Timeout;
}

/** The keep's side of the exchange: numbered requests, each answered once or timed out. */
export class EvidenceRequests {
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  /** @param send writes one control message to the host */
  constructor(
    private readonly send: (header: Record<string, unknown>) => void,
    private readonly timeoutMs = EVIDENCE_TIMEOUT_MS,
  ) {}

  /**
   * Evidence from the keep's platform over `reportData` (64 bytes), as the host relays it: not
   * verified here. @throws TypeError when `reportData` is not 64 bytes
   * @throws EvidenceError ERR_EVIDENCE_UNAVAILABLE, _BUSY, _RATE, _FAILED (the host's answer),
   *   ERR_EVIDENCE_TIMEOUT (no answer within the timeout)
   */
  readonly requestEvidence: RequestEvidence = (reportData) => {
    if (!(reportData instanceof Uint8Array) || reportData.length !== 64) return Promise.reject(new TypeError('reportData must be 64 bytes'));
    const id = this.#next;
    this.#next = (this.#next + 1) & 0x7fffffff;
    return new Promise<Evidence>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new EvidenceError(KeepEvidenceErrorCode.TIMEOUT, `the host did not answer a request for evidence within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.send({ type: 'evidence-request', id, reportData: Buffer.from(reportData).toString('hex') });
    });
  };

  /** The host's answer (validated); one for no pending request (late, or invented) is dropped. */
  receive(reply: EvidenceReply): void {
    const p = this.#pending.get(reply.id);
    if (p === undefined) return;
    this.#pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.type === 'evidence') p.resolve(reply.evidence);
    else p.reject(new EvidenceError(reply.code, `the host gave no evidence: ${reply.message}`));
  }
}
