/**
 * The one result every TEE's verifier produces: an immutable appraisal of accepted evidence.
 */

/** The kind of TEE the evidence came from, and the TCB statuses (one list each: the wire contract's). */
export type { Tee, TcbStatus } from '../protocol/names.js';
import type { Tee, TcbStatus } from '../protocol/names.js';

/** A certificate of the chain that was used, leaf first. */
export interface ChainEntry {
  readonly subject: string;
  readonly issuer: string;
  /** SHA-256 of the DER, lower-case hex. */
  readonly sha256: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

/** The verdict on evidence that passed verification and policy. All hex is lower-case. */
export interface Appraisal {
  readonly tee: Tee;
  /** e.g. `Milan`, `Genoa`, `Turin` for SNP; `TDX` / `SGX` for Intel. */
  readonly product: string;
  /** SNP MEASUREMENT; TDX MRTD; SGX MRENCLAVE. */
  readonly measurement: string;
  /** Extra measurement registers: TDX `rtmr0..3`, `mrSeam`, ...; SGX `mrSigner`, ... */
  readonly measurements: Readonly<Record<string, string>>;
  /** The 64 bytes of report data the TEE signed. */
  readonly reportData: string;
  /** TCB and version fields of the evidence (format-specific names, numbers or hex strings). */
  readonly tcb: Readonly<Record<string, number | string>>;
  readonly tcbStatus: TcbStatus;
  readonly advisories: readonly string[];
  readonly debug: boolean;
  /** The certificate chain that verified the evidence, leaf first, root last. */
  readonly chain: readonly ChainEntry[];
  /** Other decoded fields worth showing (policy bits, VMPL, attributes...). */
  readonly details: Readonly<Record<string, unknown>>;
}
