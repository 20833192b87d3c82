/**
 * Verification of a TDX quote into an Appraisal: DCAP authentication and TCB evaluation
 * (`../dcap/verify-quote.ts`), then policy: TCB status, TD debug, MRTD allow-list, REPORTDATA.
 */
import type { Appraisal } from '../appraisal.js';
import { applyPolicy, pckChainEntries, platformTcb, tcbDetails } from '../dcap/appraisal-parts.js';
import { toHex } from '../pki/index.js';
import { resolveOptions, type DcapVerifyOptions } from '../dcap/options.js';
import { tdDebug } from '../dcap/report-body.js';
import { verifyDcapQuote } from '../dcap/verify-quote.js';
import { parseTdxQuote } from './quote.js';

/** TD_ATTRIBUTES bit 28: EPT violations are not converted to #VE (Intel TDX module ABI). */
const SEPT_VE_DISABLE = 1n << 28n;
/** TD_ATTRIBUTES bit 30: protection keys for supervisor pages. */
const PKS = 1n << 30n;

/**
 * Verifies a TDX quote (v4/v5) and appraises it against policy.
 * @throws TypeError for malformed options; AttestationError (ERR_FORMAT, ERR_CHAIN, ERR_EXPIRED,
 *   ERR_REVOKED, ERR_QE_REPORT, ERR_QUOTE_SIGNATURE, ERR_COLLATERAL, ERR_TCB_MISMATCH,
 *   ERR_TCB_NO_MATCH, ERR_TCB_OUTDATED, ERR_DEBUG, ERR_MEASUREMENT, ERR_REPORT_DATA) otherwise.
 */
export async function verifyTdxQuote(bytes: Uint8Array, opts: DcapVerifyOptions = {}): Promise<Appraisal> {
  const options = resolveOptions(opts);
  const quote = parseTdxQuote(bytes);
  const v = verifyDcapQuote(quote, options);
  const td = quote.body.report;
  const debug = tdDebug(td.tdAttributes);
  const { tcbStatus, advisories } = applyPolicy(v, options, {
    kind: 'TD',
    debug,
    measurementName: 'MRTD',
    measurement: td.mrTd,
    reportData: td.reportData,
  });
  const attributes = Buffer.from(td.tdAttributes).readBigUInt64LE(0);
  const measurements: Record<string, string> = {
    rtmr0: toHex(td.rtmrs[0]),
    rtmr1: toHex(td.rtmrs[1]),
    rtmr2: toHex(td.rtmrs[2]),
    rtmr3: toHex(td.rtmrs[3]),
    mrSeam: toHex(td.mrSeam),
    mrSignerSeam: toHex(td.mrSignerSeam),
    mrConfigId: toHex(td.mrConfigId),
    mrOwner: toHex(td.mrOwner),
    mrOwnerConfig: toHex(td.mrOwnerConfig),
  };
  if (td.mrServiceTd !== undefined) measurements['mrServiceTd'] = toHex(td.mrServiceTd);
  return Object.freeze({
    tee: 'tdx',
    product: 'TDX',
    measurement: toHex(td.mrTd),
    measurements: Object.freeze(measurements),
    reportData: toHex(td.reportData),
    tcb: Object.freeze({
      ...platformTcb(v),
      teeTcbSvn: toHex(td.teeTcbSvn),
      ...(td.teeTcbSvn2 === undefined ? {} : { teeTcbSvn2: toHex(td.teeTcbSvn2) }),
      tdxModuleSvn: td.teeTcbSvn[0]!,
      tdxModuleVersion: td.teeTcbSvn[1]!,
    }),
    tcbStatus,
    advisories,
    debug,
    chain: pckChainEntries(v),
    details: Object.freeze({
      ...tcbDetails(v),
      bodyType: quote.body.kind === 'td15' ? 'TD1.5' : 'TD1.0',
      tdAttributes: toHex(td.tdAttributes),
      septVeDisable: (attributes & SEPT_VE_DISABLE) !== 0n,
      pks: (attributes & PKS) !== 0n,
      xfam: toHex(td.xfam),
      seamAttributes: toHex(td.seamAttributes),
      ...(v.tcb === undefined ? {} : { tdRelaunchAdvised: v.tcb.tdRelaunchAdvised }),
    }),
  });
}
