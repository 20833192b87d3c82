/**
 * Intel TDX evidence: quote parsing and verification (DCAP).
 */
export { parseTdxQuote } from './quote.js';
export type { TdxQuote } from './quote.js';
export { verifyTdxQuote } from './verify.js';
