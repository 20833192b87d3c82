/**
 * `sim`: a software SEV-SNP platform for development and CI. The host agent plays the firmware:
 * it signs ATTESTATION_REPORTs in the genuine layout with its own VCEK, putting in MEASUREMENT
 * what the launcher measured (`LaunchRecord`), never anything the keep says. Verifiers check
 * these reports with the same code as real ones, given the sim ARK as an extra trust root.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { buildSnpReport, signSnpReport } from '../../attestation/snp/builder.js';
import { encodeTcbVersion } from '../../attestation/snp/tcb.js';
import { toHex } from '../../attestation/pki/fingerprint.js';
import { trace } from '../../trace.js';
import { launchMeasurementArg, reportDataArg } from '../args.js';
import { errnoOf } from '../errors.js';
import type { Evidence } from '../../protocol/evidence.js';
import { makeStateDir } from '../state-dir.js';
import type { Availability, Backend, LaunchRecord } from '../types.js';
import { SIM_PLATFORM } from './platform.js';
import { loadOrCreateSimState, readSimState, simDir, type SimState } from './state.js';

/** Options of {@link SimBackend}. */
export interface SimBackendOptions {
  /** Where the platform's keys live (see `defaultStateDir`). */
  readonly stateDir: string;
  /** The clock (certificate validity at creation and when loading). */
  readonly now: () => Date;
}

/** Why a file-system step failed, e.g. "ENOENT: no such file or directory, mkdir '/proc/x'". */
function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const AVAILABLE: Availability = Object.freeze({ available: true });

function unavailable(reason: string): Availability {
  return Object.freeze({ available: false, reason });
}

/** The simulated SEV-SNP backend. */
export class SimBackend implements Backend {
  readonly name = 'sim' as const;
  readonly #opts: SimBackendOptions;
  #state: Promise<SimState> | undefined;

  constructor(opts: SimBackendOptions) {
    this.#opts = opts;
  }

  /**
   * Available when the platform exists and is readable, or when the state directory exists (it
   * is created here if missing: only trying tells, e.g. below /proc even root cannot) and this
   * user may create the platform's folder in it.
   */
  async availability(): Promise<Availability> {
    const { stateDir } = this.#opts;
    const dir = simDir(stateDir);
    let found: Stats | undefined;
    try {
      found = await stat(dir);
    } catch (err) {
      // ENOTDIR: a file above it, which makeStateDir names below.
      if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'ENOTDIR') return unavailable(`state directory ${dir}: ${why(err)}`);
    }
    if (found !== undefined) {
      if (!found.isDirectory()) return unavailable(`state directory ${dir}: ENOTDIR, not a directory`);
      return access(dir, constants.R_OK | constants.X_OK).then(
        () => AVAILABLE,
        (err: unknown) => unavailable(`state directory ${dir}: this user may not read it (${why(err)})`),
      );
    }
    try {
      await makeStateDir(stateDir);
    } catch (err) {
      return unavailable(`cannot create the state directory ${dir}: ${why(err)}`);
    }
    return access(stateDir, constants.W_OK | constants.X_OK).then(
      () => AVAILABLE,
      (err: unknown) => unavailable(`cannot create the state directory ${dir}: this user may not create folders in ${stateDir} (${why(err)})`),
    );
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
