/**
 * Recognises an evidence blob: an SEV-SNP ATTESTATION_REPORT, a TDX quote (v4/v5, tee_type 81h)
 * or an SGX quote (v3), given as raw bytes or as hex / base64 text.
 */
import { AttestationError } from './errors.js';
import { SNP_REPORT_SIZE } from './snp/report.js';

/** The evidence formats `verifyEvidence` dispatches on. */
export type EvidenceFormat = 'snp' | 'tdx' | 'sgx';

/** All formats, for option validation. */
export const EVIDENCE_FORMATS: readonly EvidenceFormat[] = Object.freeze(['snp', 'tdx', 'sgx']);

const TEE_TYPE_TDX = 0x81;
const ATT_KEY_ECDSA_P256 = 2;

function isText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes) if (!((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09)) return false;
  return true;
}

/**
 * The binary evidence in `input`: itself when binary; decoded when it is hex (optionally
 * `0x`-prefixed) or base64 / base64url text (whitespace ignored).
 * @throws AttestationError ERR_FORMAT when text is neither hex nor base64.
 */
export function decodeEvidenceText(input: Uint8Array): Uint8Array {
  if (!isText(input)) return input;
  let text = Buffer.from(input).toString('latin1').replace(/\s+/g, '');
  if (text.startsWith('0x') || text.startsWith('0X')) text = text.slice(2);
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return new Uint8Array(Buffer.from(text, 'hex'));
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) || /^[A-Za-z0-9_-]+$/.test(text)) {
    const decoded = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
    if (decoded.length > 0) return new Uint8Array(decoded);
  }
  throw new AttestationError('ERR_FORMAT', 'evidence is text but neither hex nor base64');
}

/**
 * The format of binary evidence, from its header. SNP: 1184 bytes with VERSION 2..5. DCAP:
 * u16 version, u16 att_key_type (2), u32 tee_type — 4/5 with 81h is TDX, 3 with 0 is SGX.
 * @throws AttestationError ERR_UNSUPPORTED when none matches.
 */
export function detectEvidenceFormat(bytes: Uint8Array): EvidenceFormat {
  if (bytes.length >= 8) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u32 = dv.getUint32(0, true);
    if (bytes.length === SNP_REPORT_SIZE && u32 >= 2 && u32 <= 5) return 'snp';
    const version = dv.getUint16(0, true);
    const attKeyType = dv.getUint16(2, true);
    const teeType = dv.getUint32(4, true);
    if ((version === 4 || version === 5) && teeType === TEE_TYPE_TDX) return 'tdx';
    if (version === 3 && attKeyType === ATT_KEY_ECDSA_P256 && teeType === 0) return 'sgx';
  }
  throw new AttestationError(
    'ERR_UNSUPPORTED',
    `unrecognised evidence (${bytes.length} bytes): not an SEV-SNP report (1184 bytes, version 2..5), a TDX quote (v4/v5) or an SGX quote (v3)`,
  );
}
