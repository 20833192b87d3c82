/**
 * Exact byte ranges of the members of a JSON object (RFC 8259).
 *
 * Why: Intel signs the bytes of the `tcbInfo` / `enclaveIdentity` value exactly as its PCS sends
 * them. Parsing and re-serialising would change whitespace (two staged TCB infos are
 * pretty-printed to prove it), so the verifier slices the value out of the received bytes and
 * parses that same slice. Duplicate member names are refused: otherwise the slice we verify and
 * the value a JSON parser keeps could differ.
 */
import { AttestationError } from '../errors.js';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function bad(message: string): never {
  throw new AttestationError('ERR_COLLATERAL', `malformed JSON: ${message}`);
}

function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length && WS.has(b[i]!)) i++;
  return i;
}

/** Returns the offset just past the string that starts at `i` (which must be a quote). */
function skipString(b: Uint8Array, i: number): number {
  if (b[i] !== QUOTE) bad(`expected a string at offset ${i}`);
  i++;
  while (i < b.length) {
    const c = b[i]!;
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i + 1;
    else i++;
  }
  return bad('unterminated string');
}

/** Returns the offset just past the value that starts at `i`. Validity is checked by JSON.parse later. */
function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === undefined) bad('value expected');
  if (c === QUOTE) return skipString(b, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < b.length) {
      const d = b[i]!;
      if (d === QUOTE) {
        i = skipString(b, i);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return bad('unterminated object or array');
  }
  const start = i;
  while (i < b.length && !WS.has(b[i]!) && b[i] !== 0x2c && b[i] !== 0x7d && b[i] !== 0x5d) i++;
  if (i === start) bad(`unexpected character at offset ${i}`);
  return i;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 and parses it as JSON. @throws AttestationError ERR_COLLATERAL */
export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (err) {
    throw new AttestationError('ERR_COLLATERAL', `${what} is not UTF-8`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AttestationError('ERR_COLLATERAL', `${what} is not JSON`, { cause: err });
  }
}

/**
 * The exact bytes of each member value of the top-level JSON object in `bytes` (views into it).
 * The whole document must also be valid JSON.
 * @throws AttestationError ERR_COLLATERAL when it is not a JSON object or names a member twice.
 */
export function objectMemberBytes(bytes: Uint8Array, what: string): Map<string, Uint8Array> {
  const doc = parseJsonBytes(bytes, what);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad(`${what} is not a JSON object`);
  const out = new Map<string, Uint8Array>();
  let i = skipWs(bytes, 0);
  if (bytes[i] !== 0x7b) bad(`${what} is not a JSON object`);
  i = skipWs(bytes, i + 1);
  if (bytes[i] === 0x7d) return out;
  for (;;) {
    const keyEnd = skipString(bytes, i);
    const key = JSON.parse(Buffer.from(bytes.subarray(i, keyEnd)).toString('utf8')) as string;
    i = skipWs(bytes, keyEnd);
    if (bytes[i] !== 0x3a) bad(`expected ':' at offset ${i}`);
    const start = skipWs(bytes, i + 1);
    const end = skipValue(bytes, start);
    if (out.has(key)) bad(`${what} names member '${key}' twice`);
    out.set(key, bytes.subarray(start, end));
    i = skipWs(bytes, end);
    if (bytes[i] === 0x2c) {
      i = skipWs(bytes, i + 1);
      continue;
    }
    if (bytes[i] === 0x7d) return out;
    bad(`expected ',' or '}' at offset ${i}`);
  }
}
