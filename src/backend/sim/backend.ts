/**
 * `sim`: a software SEV-SNP platform for development and CI. The host agent plays the firmware:
 * it signs ATTESTATION_REPORTs in the genuine layout with its own VCEK, putting in MEASUREMENT
 * what the launcher measured (`LaunchRecord`), never anything the keep says. Verifiers check
 * these reports with the same code as real ones, given the sim ARK as an extra trust root.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildSnpReport, signSnpReport } from '../../attestation/snp/builder.js';
import { encodeTcbVersion } from '../../attestation/snp/tcb.js';
import { toHex } from '../../attestation/pki/fingerprint.js';
import { trace } from '../../client/trace.js';
import { launchMeasurementArg, reportDataArg } from '../args.js';
import { errnoOf } from '../errors.js';
import type { Availability, Backend, Evidence, LaunchRecord } from '../types.js';
import { SIM_PLATFORM } from './platform.js';
import { loadOrCreateSimState, readSimState, simDir, type SimState } from './state.js';

/** Options of {@link SimBackend}. */
export interface SimBackendOptions {
  /** Where the platform's keys live (see `defaultStateDir`). */
  readonly stateDir: string;
  /** The clock (certificate validity at creation and when loading). */
  readonly now: () => Date;
}

/** The nearest existing ancestor of `path` (or `path` itself). */
async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await stat(p);
      return p;
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT' || dirname(p) === p) return p;
    }
  }
}

/** The simulated SEV-SNP backend. */
export class SimBackend implements Backend {
  readonly name = 'sim' as const;
  readonly #opts: SimBackendOptions;
  #state: Promise<SimState> | undefined;

  constructor(opts: SimBackendOptions) {
    this.#opts = opts;
  }

  /** Available when the platform exists and is readable, or when its folder can be created. */
  async availability(): Promise<Availability> {
    const dir = simDir(this.#opts.stateDir);
    const base = await nearestExisting(dir);
    const [mode, what] = base === dir ? [constants.R_OK | constants.X_OK, 'read'] : [constants.W_OK | constants.X_OK, 'create folders in'];
    try {
      await access(base, mode);
      return Object.freeze({ available: true });
    } catch {
      return Object.freeze({ available: false, reason: `this user may not ${what} ${base} (the simulated platform's state directory is ${this.#opts.stateDir})` });
    }
  }

  /** Facts about the platform; it is not created by asking. */
  async platformInfo(): Promise<Readonly<Record<string, unknown>>> {
    const state = await readSimState(this.#opts.stateDir, this.#opts.now());
    const base = {
      backend: 'sim',
      tee: 'sev-snp',
      simulated: true,
      product: SIM_PLATFORM.product,
      stateDir: this.#opts.stateDir,
      initialized: state !== undefined,
    };
    if (state === undefined) return Object.freeze(base);
    const f = state.facts;
    return Object.freeze({
      ...base,
      productName: f.productName,
      chipId: toHex(f.chipId),
      reportedTcb: { ...f.reportedTcb },
      firmware: `${f.firmware.major}.${f.firmware.minor}.${f.firmware.build}`,
      created: f.created,
      ark: { subject: state.ark.subject, sha256: state.ark.sha256, notAfter: state.ark.notAfter },
      vcek: { sha256: state.vcek.sha256, notAfter: state.vcek.notAfter },
    });
  }

  /** Loads (or creates) the platform's state: its keys and certificate chain. */
  async prepare(): Promise<void> {
    await this.#load();
  }

  /** The VCEK, ASK and ARK every report of this platform carries, and its ARK as a root. */
  async certificates(): Promise<Pick<Evidence, 'certs' | 'trustRoots'>> {
    const state = await this.#load();
    return Object.freeze({
      certs: Object.freeze([new Uint8Array(state.ders.vcek), new Uint8Array(state.ders.ask), new Uint8Array(state.ders.ark)]),
      trustRoots: Object.freeze([new Uint8Array(state.ders.ark)]),
    });
  }

  #load(): Promise<SimState> {
    if (this.#state === undefined) {
      const p = loadOrCreateSimState(this.#opts.stateDir, this.#opts.now());
      // A failure is not remembered: the next call tries again (e.g. after the user fixed modes).
      p.catch(() => {
        if (this.#state === p) this.#state = undefined;
      });
      this.#state = p;
    }
    return this.#state;
  }

  /**
   * A signed report with REPORT_DATA = `reportData` and MEASUREMENT = `launch.measurement`,
   * plus the VCEK, ASK and ARK (the ARK also as `trustRoots`, which verifiers must opt into).
   * Creates the platform on first use.
   */
  async attest(reportData: Uint8Array, launch: LaunchRecord): Promise<Evidence> {
    const data = reportDataArg(reportData);
    const measurement = launchMeasurementArg(launch);
    const state = await this.#load();
    trace('sim: platform state ready');
    const f = state.facts;
    const tcb = encodeTcbVersion(f.reportedTcb, f.product);
    const unsigned = buildSnpReport({
      version: SIM_PLATFORM.reportVersion,
      guestSvn: 0,
      policy: SIM_PLATFORM.policy,
      vmpl: SIM_PLATFORM.vmpl,
      currentTcb: tcb,
      reportedTcb: tcb,
      committedTcb: tcb,
      launchTcb: tcb,
      platformInfo: SIM_PLATFORM.platformInfo,
      signingKey: 'VCEK',
      reportData: data,
      measurement,
      // REPORT_ID names the guest context; every attestation request here is a fresh guest.
      reportId: new Uint8Array(randomBytes(32)),
      product: f.product,
      chipId: f.chipId,
      currentVersion: f.firmware,
      committedVersion: f.firmware,
    });
    const report = signSnpReport(unsigned, state.vcekKey);
    return Object.freeze({ backend: 'sim', format: 'sev-snp', report, ...(await this.certificates()) });
  }
}
