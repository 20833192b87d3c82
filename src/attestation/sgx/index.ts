/**
 * Intel SGX evidence: DCAP quote parsing and verification.
 */
export { parseSgxQuote } from './quote.js';
export type { SgxQuote } from './quote.js';
export { verifySgxQuote } from './verify.js';
