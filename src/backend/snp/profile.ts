/**
 * `snp`: the keep runs inside an AMD SEV-SNP confidential VM; the `sev_guest` provider of
 * configfs-tsm returns an ATTESTATION_REPORT (outblob) and, when the host supplies it, the GHCB
 * certificate table (auxblob) with the VCEK or VLEK and often the ASK and ARK.
 */
import { timingSafeEqual } from 'node:crypto';
import { parseCertTable } from '../../attestation/snp/certtable.js';
import { parseSnpReport } from '../../attestation/snp/report.js';
import { BackendError } from '../errors.js';
import type { TsmProfile } from '../tsm/backend.js';

function protocol(message: string, cause: unknown): BackendError {
  return new BackendError('ERR_BACKEND_PROTOCOL', message, { cause });
}

/** The SEV-SNP row: provider `sev_guest`, evidence `sev-snp`. */
export const SNP_PROFILE: TsmProfile = Object.freeze({
  backend: 'snp',
  provider: 'sev_guest',
  format: 'sev-snp',
  guest: 'an SEV-SNP guest',
  evidence(outblob: Uint8Array, auxblob: Uint8Array, reportData: Uint8Array) {
    let report;
    try {
      report = parseSnpReport(outblob);
    } catch (err) {
      throw protocol(`sev_guest returned something that is not an SNP report: ${(err as Error).message}`, err);
    }
    if (!timingSafeEqual(report.reportDataBytes(), reportData)) {
      throw new BackendError('ERR_BACKEND_PROTOCOL', 'sev_guest returned a report that does not carry the requested report data');
    }
    let table;
    try {
      table = parseCertTable(auxblob);
    } catch (err) {
      throw protocol(`the host's certificate table (auxblob) is malformed: ${(err as Error).message}`, err);
    }
    // The signer first (VCEK, or VLEK on clouds that provision one), then its CAs.
    const signer = report.signingKey === 'VLEK' ? (table.vlek ?? table.vcek) : (table.vcek ?? table.vlek);
    const certs = [signer, table.ask, table.ark].filter((c) => c !== undefined).map((c) => c.toDer());
    return { report: new Uint8Array(outblob), certs };
  },
});
