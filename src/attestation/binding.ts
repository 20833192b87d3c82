/**
 * How a keep binds its key to its evidence: the 64 bytes of report data.
 *
 *   reportData = SHA-512( "enarx keep v1" 0x00 ‖ nonce (32 bytes, the client's)
 *                         ‖ u16be(KEM id) ‖ u16be(len) ‖ the keep's HPKE public key )
 *
 * A fresh nonce per deploy makes evidence from another keep or an earlier deploy useless, and the
 * key in the hash means only this keep can open what the client seals.
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
