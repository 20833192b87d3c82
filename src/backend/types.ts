/**
 * The backend (hardware abstraction layer) contract: what every TEE backend offers the host
 * agent — availability with a reason, platform facts, and evidence for 64 bytes of report data.
 */

/** The backends this implementation knows, in no particular order (see `BACKEND_ORDER`). */
export type BackendName = 'nil' | 'sim' | 'snp' | 'tdx';

/** Every backend name (here, not in select.ts: naming one needs no backend's code). */
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze(['nil', 'sim', 'snp', 'tdx']);

/** True when `value` is a backend name. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/** Whether a backend can be used on this machine, and why not. */
export interface Availability {
  readonly available: boolean;
  /** Why the backend is unavailable (absent when available). */
  readonly reason?: string;
}

/**
 * What a backend returns for one attestation request. A verifier receives it from the
 * untrusted host, so nothing here is trusted until verified; `backend` tells a client which
 * kind of platform produced it, so that it can refuse `sim` and `nil` unless told otherwise.
 */
export interface Evidence {
  readonly backend: BackendName;
  /** The evidence format: `sev-snp` (an ATTESTATION_REPORT), `tdx` (a DCAP quote), `none`. */
  readonly format: 'none' | 'sev-snp' | 'tdx';
  /** The raw report or quote (empty for `nil`). */
  readonly report: Uint8Array;
  /**
   * DER certificates a verifier needs beyond its own roots: for `sev-snp` the VCEK or VLEK
   * first, then its ASK/ASVK and ARK when known; for `tdx` a PCK chain when the platform
   * supplied one outside the quote.
   */
  readonly certs: readonly Uint8Array[];
  /**
   * DER roots that only this platform vouches for: the `sim` ARK. A verifier must opt in to
   * trust them; real platforms leave this absent (their roots are AMD's and Intel's).
   */
  readonly trustRoots?: readonly Uint8Array[];
}

/** The launcher's own record of what it launched (never the keep's word). */
export interface LaunchRecord {
  /** 48 bytes: the launch measurement the launcher computed over what it started. */
  readonly measurement: Uint8Array;
}

/** One TEE backend. */
export interface Backend {
  readonly name: BackendName;
  /** Whether the backend can be used here; never throws for an absent platform. */
  availability(): Promise<Availability>;
  /** JSON-friendly facts about the platform (always includes `backend`). */
  platformInfo(): Promise<Readonly<Record<string, unknown>>>;
  /**
   * Evidence binding `reportData` (exactly 64 bytes) for a keep the launcher launched as
   * `launch`. Hardware backends ignore `launch.measurement`: the hardware measures.
   * @throws TypeError when `reportData` (or, for `sim`, `launch`) is malformed
   * @throws BackendError ERR_BACKEND_UNAVAILABLE, ERR_BACKEND_IO, ERR_BACKEND_PROTOCOL, ERR_BACKEND_STATE
   */
  attest(reportData: Uint8Array, launch: LaunchRecord): Promise<Evidence>;
  /**
   * Gets ready to attest (loads keys, opens devices), so that the first `attest` does not pay
   * for it. Optional; a failure is reported again by the `attest` that needs the state.
   */
  prepare?(): Promise<void>;
  /**
   * The certificates and roots this platform's evidence will carry (`Evidence.certs` and
   * `trustRoots`), when they are fixed and known before a keep attests (the `sim` platform's
   * chain). A client may parse and check them while its keep boots. Optional.
   */
  certificates?(): Promise<Pick<Evidence, 'certs' | 'trustRoots'>>;
}
