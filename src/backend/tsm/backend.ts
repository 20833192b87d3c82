/**
 * The confidential-VM backends (`snp`, `tdx`): evidence from the hardware through
 * configfs-tsm. What differs between them is one {@link TsmProfile} row each; this class
 * never switches on a backend name.
 */
import { reportDataArg } from '../args.js';
import type { Evidence } from '../../protocol/evidence.js';
import type { BackendName } from '../../protocol/names.js';
import type { Availability, Backend, LaunchRecord } from '../types.js';
import { probeTsm, requestTsmReport, tsmReportDir, type ConfigfsIo } from './configfs.js';

/** What one hardware backend needs to know about its provider and evidence format. */
export interface TsmProfile {
  readonly backend: Extract<BackendName, 'snp' | 'tdx'>;
  /** The configfs-tsm provider that produces this evidence. */
  readonly provider: string;
  readonly format: Extract<Evidence['format'], 'sev-snp' | 'tdx'>;
  /** How the platform is called in messages, e.g. "an SEV-SNP guest". */
  readonly guest: string;
  /**
   * Turns the provider's blobs into the evidence's report and certificates, after checking
   * that the report is well-formed and carries `reportData`.
   * @throws BackendError ERR_BACKEND_PROTOCOL
   */
  readonly evidence: (outblob: Uint8Array, auxblob: Uint8Array, reportData: Uint8Array) => { report: Uint8Array; certs: Uint8Array[] };
}

/** Options of {@link TsmBackend}. */
export interface TsmBackendOptions {
  /** The configfs mount point. Default /sys/kernel/config. */
  readonly configfsRoot: string;
  readonly io: ConfigfsIo;
}

/** A backend that obtains reports through configfs-tsm. */
export class TsmBackend implements Backend {
  readonly name: TsmProfile['backend'];
  readonly #profile: TsmProfile;
  readonly #opts: TsmBackendOptions;

  constructor(profile: TsmProfile, opts: TsmBackendOptions) {
    this.name = profile.backend;
    this.#profile = profile;
    this.#opts = opts;
  }

  async availability(): Promise<Availability> {
    const p = await probeTsm(this.#opts.io, this.#opts.configfsRoot, this.#profile.provider);
    if (p.available) return Object.freeze({ available: true });
    return Object.freeze({ available: false, reason: `not ${this.#profile.guest}: ${p.reason ?? 'unknown'}` });
  }

  async platformInfo(): Promise<Readonly<Record<string, unknown>>> {
    const p = await probeTsm(this.#opts.io, this.#opts.configfsRoot, this.#profile.provider);
    return Object.freeze({
      backend: this.name,
      tee: this.#profile.format,
      interface: 'configfs-tsm',
      reportDir: tsmReportDir(this.#opts.configfsRoot),
      expectedProvider: this.#profile.provider,
      provider: p.provider ?? null,
      available: p.available,
      ...(p.reason !== undefined ? { reason: p.reason } : {}),
    });
  }

  /** A fresh hardware report for `reportData`; `launch` is not used (the hardware measures). */
  async attest(reportData: Uint8Array, _launch: LaunchRecord): Promise<Evidence> {
    const data = reportDataArg(reportData);
    const r = await requestTsmReport(data, { io: this.#opts.io, configfsRoot: this.#opts.configfsRoot, provider: this.#profile.provider });
    const { report, certs } = this.#profile.evidence(r.outblob, r.auxblob, data);
    return Object.freeze({ backend: this.name, format: this.#profile.format, report, certs: Object.freeze(certs) });
  }
}
