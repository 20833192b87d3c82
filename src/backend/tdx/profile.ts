/**
 * `tdx`: the keep runs inside an Intel TDX trust domain; the `tdx_guest` provider of
 * configfs-tsm returns a DCAP quote (outblob), which usually embeds its PCK certificate chain.
 */
import { timingSafeEqual } from 'node:crypto';
import { parseTdxQuote } from '../../attestation/tdx/quote.js';
import { BackendError } from '../errors.js';
import type { TsmProfile } from '../tsm/backend.js';

/** The TDX row: provider `tdx_guest`, evidence `tdx`. */
export const TDX_PROFILE: TsmProfile = Object.freeze({
  backend: 'tdx',
  provider: 'tdx_guest',
  format: 'tdx',
  guest: 'a TDX guest',
  evidence(outblob: Uint8Array, _auxblob: Uint8Array, reportData: Uint8Array) {
    let quote;
    try {
      quote = parseTdxQuote(outblob);
    } catch (err) {
      throw new BackendError('ERR_BACKEND_PROTOCOL', `tdx_guest returned something that is not a TDX quote: ${(err as Error).message}`, { cause: err });
    }
    if (!timingSafeEqual(quote.body.report.reportData, reportData)) {
      throw new BackendError('ERR_BACKEND_PROTOCOL', 'tdx_guest returned a quote that does not carry the requested report data');
    }
    // The PCK chain travels inside the quote (certification data type 5) or comes from Intel
    // PCS; configfs-tsm offers none besides.
    return { report: new Uint8Array(outblob), certs: [] };
  },
});
