/**
 * Verification of an SGX quote into an Appraisal: DCAP authentication and TCB evaluation
 * (`../dcap/verify-quote.ts`), then policy: TCB status, enclave debug, MRENCLAVE allow-list,
 * REPORTDATA.
 */
import type { Appraisal } from '../appraisal.js';
import { applyPolicy, pckChainEntries, platformTcb, tcbDetails } from '../dcap/appraisal-parts.js';
import { toHex } from '../pki/index.js';
import { resolveOptions, type DcapVerifyOptions } from '../dcap/options.js';
import { sgxDebug } from '../dcap/report-body.js';
import { verifyDcapQuote } from '../dcap/verify-quote.js';
import { parseSgxQuote } from './quote.js';

/**
 * Verifies an SGX quote and appraises it against policy.
 * @throws TypeError for malformed options; AttestationError (ERR_FORMAT, ERR_CHAIN, ERR_EXPIRED,
 *   ERR_REVOKED, ERR_QE_REPORT, ERR_QUOTE_SIGNATURE, ERR_COLLATERAL, ERR_TCB_NO_MATCH,
 *   ERR_TCB_OUTDATED, ERR_DEBUG, ERR_MEASUREMENT, ERR_REPORT_DATA) otherwise.
 */
export async function verifySgxQuote(bytes: Uint8Array, opts: DcapVerifyOptions = {}): Promise<Appraisal> {
  const options = resolveOptions(opts);
  const quote = parseSgxQuote(bytes);
  const v = verifyDcapQuote(quote, options);
  const report = quote.body.report;
  const debug = sgxDebug(report.attributes);
  const { tcbStatus, advisories } = applyPolicy(v, options, {
    kind: 'enclave',
    debug,
    measurementName: 'MRENCLAVE',
    measurement: report.mrEnclave,
    reportData: report.reportData,
  });
  return Object.freeze({
    tee: 'sgx',
    product: 'SGX',
    measurement: toHex(report.mrEnclave),
    measurements: Object.freeze({ mrSigner: toHex(report.mrSigner), configId: toHex(report.configId) }),
    reportData: toHex(report.reportData),
    tcb: Object.freeze({
      ...platformTcb(v),
      isvProdId: report.isvProdId,
      isvSvn: report.isvSvn,
      configSvn: report.configSvn,
      enclaveCpuSvn: toHex(report.cpuSvn),
    }),
    tcbStatus,
    advisories,
    debug,
    chain: pckChainEntries(v),
    details: Object.freeze({
      ...tcbDetails(v),
      attributes: toHex(report.attributes),
      miscSelect: report.miscSelect,
      isvExtProdId: toHex(report.isvExtProdId),
      isvFamilyId: toHex(report.isvFamilyId),
    }),
  });
}
