/**
 * PEM (RFC 7468) decoding, and the "DER or PEM" input convention of the PKI layer.
 */
import { AttestationError } from '../errors.js';

/** One decoded PEM block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE` or `X509 CRL`. */
  readonly label: string;
  readonly der: Uint8Array;
}

/** DER bytes, PEM text, or PEM text as bytes. */
export type PkiInput = Uint8Array | string;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when `bytes` look like PEM text (after optional leading whitespace). */
export function looksLikePem(input: PkiInput): boolean {
  if (typeof input === 'string') return input.includes('-----BEGIN ');
  let i = 0;
  while (i < input.length && (input[i] === 0x20 || input[i] === 0x0a || input[i] === 0x0d || input[i] === 0x09)) i++;
  return Buffer.from(input.subarray(i, i + 11)).toString('latin1') === '-----BEGIN ';
}

/**
 * Decodes every PEM block of `text` (text between blocks is ignored, as RFC 7468 allows).
 * @throws AttestationError ERR_FORMAT when a block's body is not base64.
 */
export function decodePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    const lines = m[2]!.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    // RFC 1421 headers ("Proc-Type: ...") are not used by any certificate we accept.
    const body = lines.join('');
    if (!BASE64.test(body) || body.length % 4 !== 0) {
      throw new AttestationError('ERR_FORMAT', `PEM block '${label}' is not valid base64`);
    }
    out.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

/**
 * The DER objects in `input`: the PEM blocks with one of `labels`, or `input` itself when it is
 * DER. Always returns copies. @throws AttestationError ERR_FORMAT when PEM holds no such block.
 */
export function derObjects(input: PkiInput, labels: readonly string[]): Uint8Array[] {
  if (!looksLikePem(input)) {
    if (typeof input === 'string') throw new AttestationError('ERR_FORMAT', 'expected PEM text or DER bytes');
    return [new Uint8Array(input)];
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const blocks = decodePem(text).filter((b) => labels.includes(b.label));
  if (blocks.length === 0) throw new AttestationError('ERR_FORMAT', `no PEM block labelled ${labels.join(' or ')}`);
  return blocks.map((b) => b.der);
}

/** Encodes DER as a PEM block with 64-character lines. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
