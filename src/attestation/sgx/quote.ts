/**
 * SGX quotes: DCAP ECDSA quote v3 (and the v4/v5 layouts with tee_type 0 and an SGX body).
 * The layout is documented in `../dcap/quote.ts` and `../dcap/report-body.ts`.
 */
import { AttestationError } from '../errors.js';
import { parseDcapQuote, TEE_TYPE_SGX, type DcapQuote } from '../dcap/quote.js';
import type { SgxReportBody } from '../dcap/report-body.js';

/** A structurally valid SGX quote (not yet authenticated). */
export interface SgxQuote extends DcapQuote {
  readonly body: { readonly kind: 'sgx'; readonly report: SgxReportBody };
}

/**
 * Parses an SGX quote; trailing bytes are ignored.
 * @throws AttestationError ERR_FORMAT when it is malformed or not an SGX quote.
 */
export function parseSgxQuote(bytes: Uint8Array): SgxQuote {
  const quote = parseDcapQuote(bytes);
  if (quote.header.teeType !== TEE_TYPE_SGX || quote.body.kind !== 'sgx') {
    throw new AttestationError('ERR_FORMAT', 'not an SGX quote (tee_type is not 0)');
  }
  return quote as SgxQuote;
}
