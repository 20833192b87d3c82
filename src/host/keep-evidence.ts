/**
 * The host's answer to a running keep that asks for evidence (control.ts `evidence-request`):
 * the keep's own platform, asked with the launch record the host made when it launched the keep,
 * over the report data the keep chose. A keep runs a stranger's workload, so its requests are
 * bounded — {@link MAX_EVIDENCE_OUTSTANDING} at a time, {@link MAX_EVIDENCE_PER_MINUTE} in any
 * minute — and every failure becomes an `evidence-error` to the keep, never one of the host's.
 *
 * Signing report data a keep chose gives it nothing it could not have had at launch: the
 * evidence names the measurement the launcher recorded, never anything the keep claims.
 */
import type { Backend, LaunchRecord } from '../backend/types.js';
import { codeOf } from '../errors.js';
import { EvidenceErrorCode, MAX_EVIDENCE_OUTSTANDING, MAX_EVIDENCE_PER_MINUTE } from '../protocol/control.js';
import type { EvidenceRequest } from '../protocol/control.js';
import { cutMessage } from '../protocol/errors.js';
import { encodeEvidence } from '../protocol/evidence.js';
import { MAX_HEADER_BYTES } from '../protocol/frames.js';

/** What the host sends back: the header of an `evidence` or `evidence-error` frame. */
export type EvidenceAnswer =
  | { readonly type: 'evidence'; readonly id: number; readonly evidence: Record<string, unknown> }
  | { readonly type: 'evidence-error'; readonly id: number; readonly code: EvidenceErrorCode; readonly message: string };

const MINUTE_MS = 60_000;

/** One keep's evidence desk: its platform, its launch record, and what it has asked lately. */
export class KeepEvidence {
  #outstanding = 0;
  /** When each request of the last minute that the platform answered was taken, oldest first. */
  readonly #taken: number[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly launch: LaunchRecord,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer to `request` (already validated as a control message). Never rejects. */
  async answer(request: EvidenceRequest): Promise<EvidenceAnswer> {
    const refused = (code: EvidenceErrorCode, message: string): EvidenceAnswer => ({ type: 'evidence-error', id: request.id, code, message });
    // Checked before the limits: a keep on `nil` asking again and again costs the platform nothing.
    if (this.backend.name === 'nil') return refused(EvidenceErrorCode.UNAVAILABLE, "the keep's platform ('nil') has no evidence");
    if (this.#outstanding >= MAX_EVIDENCE_OUTSTANDING) return refused(EvidenceErrorCode.BUSY, `at most ${MAX_EVIDENCE_OUTSTANDING} requests for evidence at a time`);
    const now = this.now();
    while (this.#taken.length > 0 && this.#taken[0]! <= now - MINUTE_MS) this.#taken.shift();
    if (this.#taken.length >= MAX_EVIDENCE_PER_MINUTE) return refused(EvidenceErrorCode.RATE, `at most ${MAX_EVIDENCE_PER_MINUTE} requests for evidence a minute`);
    this.#taken.push(now);
    this.#outstanding++;
    try {
      const evidence = encodeEvidence(await this.backend.attest(Buffer.from(request.reportData, 'hex'), this.launch));
      const answer: EvidenceAnswer = { type: 'evidence', id: request.id, evidence };
      // A frame's header has a bound the keep enforces; say so rather than break the channel.
      if (Buffer.byteLength(JSON.stringify(answer)) > MAX_HEADER_BYTES - 64) return refused(EvidenceErrorCode.FAILED, 'the evidence is larger than a control frame carries');
      return answer;
    } catch (err) {
      return refused(EvidenceErrorCode.FAILED, cutMessage(`the platform made no evidence: ${(err as Error)?.message ?? String(err)} [${codeOf(err) ?? 'ERR_INTERNAL'}]`));
    } finally {
      this.#outstanding--;
    }
  }
}
