/**
 * How a keep binds its key to its evidence: the 64 bytes of report data.
 *
 *   reportData = SHA-512( "enarx keep v1" 0x00 ‖ nonce (32 bytes, the client's)
 *                         ‖ u16be(KEM id) ‖ u16be(len) ‖ the keep's HPKE public key )
 *
 * A fresh nonce per deploy makes evidence from another keep or an earlier deploy useless, and the
 * key in the hash means only this keep can open what the client seals.
 *
 * A keep's TLS key (the key of a CSR it sends a steward in the IETF form, and of its self-signed,
 * evidence-carrying certificate) is bound the same way, over its SubjectPublicKeyInfo:
 *
 *   reportData = SHA-512( "enarx-ts attested key v1" 0x00 ‖ SubjectPublicKeyInfo (DER) )
 *
 * Enarx's steward form binds the CSR key as Enarx's steward checks it (enarx/steward,
 * crates/attestation/src/snp/mod.rs): the first 48 bytes are SHA-384 of the CSR's
 * SubjectPublicKeyInfo DER; the last 16 are zero here.
 */
import { createHash } from 'node:crypto';

/** Length of the client's nonce. */
export const NONCE_BYTES = 32;

/** The report data a keep with `publicKey` asks its platform to sign for `nonce`. */
export function keepReportData(nonce: Uint8Array, kemId: number, publicKey: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new TypeError(`nonce must be ${NONCE_BYTES} bytes`);
  if (!Number.isInteger(kemId) || kemId < 0 || kemId > 0xffff) throw new TypeError('kemId must be a u16');
  if (publicKey.length === 0 || publicKey.length > 0xffff) throw new TypeError('bad public key length');
  const head = Buffer.alloc(4);
  head.writeUInt16BE(kemId, 0);
  head.writeUInt16BE(publicKey.length, 2);
  return new Uint8Array(createHash('sha512').update('enarx keep v1\0').update(nonce).update(head).update(publicKey).digest());
}

/** The report data that binds a key with this SubjectPublicKeyInfo (DER): IETF CSRs, RA-TLS certificates. */
export function attestedKeyReportData(spki: Uint8Array): Uint8Array {
  if (spki.length === 0) throw new TypeError('empty SubjectPublicKeyInfo');
  return new Uint8Array(createHash('sha512').update('enarx-ts attested key v1\0').update(spki).digest());
}

/** The report data of Enarx's steward form: SHA-384 of the SubjectPublicKeyInfo (DER), then 16 zero bytes. */
export function enarxStewardReportData(spki: Uint8Array): Uint8Array {
  if (spki.length === 0) throw new TypeError('empty SubjectPublicKeyInfo');
  const out = new Uint8Array(64);
  out.set(createHash('sha384').update(spki).digest(), 0);
  return out;
}
