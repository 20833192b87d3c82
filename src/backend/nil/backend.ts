/**
 * `nil`: process isolation only. A keep is an ordinary OS process; there is no TEE and no
 * evidence, so a client must opt in explicitly to deploy to it.
 */
import { arch, platform } from 'node:process';
import { reportDataArg } from '../args.js';
import type { Evidence } from '../../protocol/evidence.js';
import type { Availability, Backend, LaunchRecord } from '../types.js';

/** The `nil` backend. */
export class NilBackend implements Backend {
  readonly name = 'nil' as const;

  async availability(): Promise<Availability> {
    return Object.freeze({ available: true });
  }

  async platformInfo(): Promise<Readonly<Record<string, unknown>>> {
    return Object.freeze({
      backend: 'nil',
      tee: 'none',
      isolation: 'process',
      os: `${platform}-${arch}`,
      node: process.version,
    });
  }

  /** Evidence of format `none`: an empty report. Nothing binds `reportData`. */
  async attest(reportData: Uint8Array, _launch: LaunchRecord): Promise<Evidence> {
    reportDataArg(reportData);
    return Object.freeze({ backend: 'nil', format: 'none', report: new Uint8Array(0), certs: Object.freeze([]) });
  }
}
