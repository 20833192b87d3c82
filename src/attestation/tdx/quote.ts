/**
 * TDX quotes: DCAP quote v4 (TD 1.0 body) and v5 (TD 1.0 or TD 1.5 body), tee_type 0x81.
 * The layout is documented in `../dcap/quote.ts` and `../dcap/report-body.ts`.
 */
import { AttestationError } from '../errors.js';
import { parseDcapQuote, TEE_TYPE_TDX, type DcapQuote } from '../dcap/quote.js';
import type { TdReportBody } from '../dcap/report-body.js';

/** A structurally valid TDX quote (not yet authenticated). */
export interface TdxQuote extends DcapQuote {
  readonly body: { readonly kind: 'td10' | 'td15'; readonly report: TdReportBody };
}

/**
 * Parses a TDX quote (v4 or v5); trailing bytes are ignored.
 * @throws AttestationError ERR_FORMAT when it is malformed or not a TDX quote.
 */
export function parseTdxQuote(bytes: Uint8Array): TdxQuote {
  const quote = parseDcapQuote(bytes);
  if (quote.header.teeType !== TEE_TYPE_TDX || quote.body.kind === 'sgx') {
    throw new AttestationError('ERR_FORMAT', 'not a TDX quote (tee_type is not 0x81)');
  }
  return quote as TdxQuote;
}
