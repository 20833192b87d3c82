/**
 * A tiny DER writer for building test certificates, CRLs and AMD extensions. Test-only: it
 * trusts its caller and writes exactly what it is told, malformed structures included.
 */

/** One DER element: tag byte + minimal length + content. */
// The writer lives in production code (the sim platform issues certificates with it); tests
// use the same one, plus two forms only tests need.
import { tlv } from '../../../src/attestation/pki/der-writer.js';

export { bits, bool, concat, explicit, ia5, int, nul, octets, oid, seq, set, time, tlv, utf8 } from '../../../src/attestation/pki/der-writer.js';
export const printable = (s: string): Uint8Array => tlv(0x13, new TextEncoder().encode(s));
export const rawInt = (content: Uint8Array): Uint8Array => tlv(0x02, content);
