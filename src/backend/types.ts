/**
 * The backend (hardware abstraction layer) contract: what every TEE backend offers the host
 * agent — availability with a reason, platform facts, and evidence for 64 bytes of report data.
 */
import type { Evidence } from '../protocol/evidence.js';
import type { BackendName } from '../protocol/names.js';

/** Whether a backend can be used on this machine, and why not. */
export interface Availability {
  readonly available: boolean;
  /** Why the backend is unavailable (absent when available). */
  readonly reason?: string;
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
