/**
 * The TCG DICE TCB info structures, encoded and decoded in DER. Source: TCG "DICE Attestation
 * Architecture", Version 1.1, Revision 18 (6 January 2024), module TcgDiceAttestation, whose
 * DEFINITIONS AUTOMATIC TAGS make every field below [n] IMPLICIT (the tags are spelled out):
 *
 *   tcg OBJECT IDENTIFIER ::= { 2 23 133 }
 *   tcg-dice OBJECT IDENTIFIER ::= { tcg platformClass(5) dice(4) }
 *   tcg-dice-MultiTcbInfo OBJECT IDENTIFIER ::= { tcg-dice multitcbinfo(5) }
 *
 *   DiceTcbInfoSeq ::= SEQUENCE SIZE (1..MAX) OF DiceTcbInfo
 *
 *   DiceTcbInfo ::= SEQUENCE {
 *     vendor [0] IMPLICIT UTF8String OPTIONAL,
 *     model [1] IMPLICIT UTF8String OPTIONAL,
 *     version [2] IMPLICIT UTF8String OPTIONAL,
 *     svn [3] IMPLICIT INTEGER OPTIONAL,
 *     layer [4] IMPLICIT INTEGER OPTIONAL,
 *     index [5] IMPLICIT INTEGER OPTIONAL,
 *     fwids [6] IMPLICIT FWIDLIST OPTIONAL,
 *     flags [7] IMPLICIT OperationalFlags OPTIONAL,
 *     vendorInfo [8] IMPLICIT OCTET STRING OPTIONAL,
 *     type [9] IMPLICIT OCTET STRING OPTIONAL,
 *     flagsMask [10] IMPLICIT OperationalFlagsMask OPTIONAL,
 *     integrityRegisters [11] IMPLICIT IrList OPTIONAL
 *   }
 *   FWIDLIST ::= SEQUENCE SIZE (1..MAX) OF FWID
 *   FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }
 *   OperationalFlags ::= BIT STRING { notConfigured (0), notSecure (1), recovery (2), debug (3),
 *     notReplayProtected (4), notIntegrityProtected (5), notRuntimeMeasured (6),
 *     notImmutable (7), notTcb (8), fixedWidth (31) }
 *
 * We write vendor … type; flagsMask and integrityRegisters are read past, not interpreted. The
 * BIT STRING is a named bit list, so DER drops its trailing zero bits (X.690 §11.2.2): no flags
 * is `03 01 00`. The decoder is bounded (entry, FWID and size limits) for hostile certificates.
 */
import { AttestationError } from '../attestation/errors.js';
import { bits, int, octets, oid, seq, utf8 } from '../attestation/pki/der-writer.js';
import { DerTag, children, contentOf, decodeOid, expectTlv, readTlv, unsignedInteger, type Tlv } from '../attestation/pki/der.js';

export const OID_TCG_DICE_MULTI_TCB_INFO = '2.23.133.5.4.5';

/** The OperationalFlags bits we set or read. */
export const OperationalFlag = { notConfigured: 0, notSecure: 1, recovery: 2, debug: 3 } as const;
export type OperationalFlag = (typeof OperationalFlag)[keyof typeof OperationalFlag];

/** FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING } */
export interface Fwid {
  /** Dotted OID of the hash. */
  readonly hashAlg: string;
  readonly digest: Uint8Array;
}

/** One DiceTcbInfo; `flags` lists the numbers of the bits that are set. */
export interface DiceTcbInfo {
  readonly vendor?: string;
  readonly model?: string;
  readonly version?: string;
  readonly svn?: number;
  readonly layer?: number;
  readonly index?: number;
  readonly fwids?: readonly Fwid[];
  readonly flags?: readonly number[];
  readonly vendorInfo?: Uint8Array;
  readonly type?: Uint8Array;
}

const MAX_ENTRIES = 8;
const MAX_FWIDS = 8;
const MAX_TEXT_BYTES = 1024;
const MAX_OCTETS = 16 * 1024;
/** fixedWidth (31) is the highest named bit: no OperationalFlags has more than 32. */
const MAX_FLAG_BIT = 31;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** An [n] IMPLICIT encoding: the universal tag of `encoded` replaced by `tag` (one octet). */
function implicitly(tag: number, encoded: Uint8Array): Uint8Array {
  const out = encoded.slice();
  out[0] = tag;
  return out;
}

/** A named-bit BIT STRING with bits `set` (DER: trailing zero bits dropped). @throws TypeError */
function namedBits(set: readonly number[]): Uint8Array {
  for (const bit of set) if (!Number.isInteger(bit) || bit < 0 || bit > MAX_FLAG_BIT) throw new TypeError(`OperationalFlags: no bit ${bit}`);
  if (set.length === 0) return bits(new Uint8Array(0));
  const high = Math.max(...set);
  const bytes = new Uint8Array(Math.floor(high / 8) + 1);
  for (const bit of set) bytes[Math.floor(bit / 8)]! |= 0x80 >> bit % 8;
  return bits(bytes, 7 - (high % 8));
}

/** A non-negative INTEGER. @throws TypeError */
function integer(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`DiceTcbInfo: expected a non-negative integer, got ${value}`);
  return int(value);
}

/** DER of one DiceTcbInfo. @throws TypeError on values the types cannot hold */
export function encodeDiceTcbInfo(t: DiceTcbInfo): Uint8Array {
  const fields: Uint8Array[] = [];
  if (t.vendor !== undefined) fields.push(implicitly(0x80, utf8(t.vendor)));
  if (t.model !== undefined) fields.push(implicitly(0x81, utf8(t.model)));
  if (t.version !== undefined) fields.push(implicitly(0x82, utf8(t.version)));
  if (t.svn !== undefined) fields.push(implicitly(0x83, integer(t.svn)));
  if (t.layer !== undefined) fields.push(implicitly(0x84, integer(t.layer)));
  if (t.index !== undefined) fields.push(implicitly(0x85, integer(t.index)));
  if (t.fwids !== undefined) {
    if (t.fwids.length === 0) throw new TypeError('FWIDLIST: SIZE (1..MAX)');
    fields.push(implicitly(0xa6, seq(...t.fwids.map((f) => seq(oid(f.hashAlg), octets(f.digest))))));
  }
  if (t.flags !== undefined) fields.push(implicitly(0x87, namedBits(t.flags)));
  if (t.vendorInfo !== undefined) fields.push(implicitly(0x88, octets(t.vendorInfo)));
  if (t.type !== undefined) fields.push(implicitly(0x89, octets(t.type)));
  return seq(...fields);
}

/** DER of a DiceTcbInfoSeq: the extnValue of tcg-dice-MultiTcbInfo. */
export function encodeMultiTcbInfo(entries: readonly DiceTcbInfo[]): Uint8Array {
  if (entries.length === 0) throw new TypeError('DiceTcbInfoSeq: SIZE (1..MAX)');
  return seq(...entries.map(encodeDiceTcbInfo));
}

function fail(what: string): never {
  throw new AttestationError('ERR_FORMAT', `malformed DiceTcbInfo: ${what}`);
}

function readText(bytes: Uint8Array, what: string): string {
  if (bytes.length > MAX_TEXT_BYTES) fail(`${what} longer than ${MAX_TEXT_BYTES} bytes`);
  try {
    return UTF8.decode(bytes);
  } catch {
    return fail(`${what} is not UTF-8`);
  }
}

function readInteger(bytes: Uint8Array, what: string): number {
  if (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) fail(`${what}: non-minimal INTEGER`);
  const v = unsignedInteger(bytes, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} out of range`);
  return Number(v);
}

function readOctets(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length > MAX_OCTETS) fail(`${what} longer than ${MAX_OCTETS} bytes`);
  return bytes.slice();
}

/** The set bits of a named-bit BIT STRING's content. */
function readNamedBits(bytes: Uint8Array): number[] {
  const unused = bytes[0];
  if (unused === undefined || unused > 7 || (bytes.length === 1 && unused !== 0)) fail('flags: bad BIT STRING');
  if (bytes.length - 1 > (MAX_FLAG_BIT + 1) / 8) fail('flags: more than 32 bits');
  const bits: number[] = [];
  for (let i = 0; i < (bytes.length - 1) * 8 - unused; i++) if ((bytes[1 + (i >> 3)]! & (0x80 >> i % 8)) !== 0) bits.push(i);
  return bits;
}

function readFwids(der: Uint8Array, list: Tlv): Fwid[] {
  const items = children(der, list);
  if (items.length === 0 || items.length > MAX_FWIDS) fail(`fwids: expected 1 to ${MAX_FWIDS} FWIDs`);
  return items.map((item) => {
    if (item.tag !== DerTag.SEQUENCE) fail('FWID is not a SEQUENCE');
    const [alg, digest, ...rest] = children(der, item);
    if (alg?.tag !== DerTag.OID || digest?.tag !== DerTag.OCTET_STRING || rest.length > 0) fail('FWID fields');
    return Object.freeze({ hashAlg: decodeOid(contentOf(der, alg)), digest: readOctets(contentOf(der, digest), 'FWID digest') });
  });
}

/** One DiceTcbInfo at `entry`: fields in tag order, each at most once. */
function readDiceTcbInfo(der: Uint8Array, entry: Tlv): DiceTcbInfo {
  if (entry.tag !== DerTag.SEQUENCE) fail('entry is not a SEQUENCE');
  const out: { -readonly [K in keyof DiceTcbInfo]: DiceTcbInfo[K] } = {};
  let last = -1;
  for (const f of children(der, entry)) {
    const n = f.tag & 0x1f;
    if ((f.tag & 0xc0) !== 0x80 || n <= last) fail(`unexpected field tag 0x${f.tag.toString(16)}`);
    last = n;
    const constructed = (f.tag & 0x20) !== 0;
    if (constructed !== (n === 6 || n === 11)) fail(`field [${n}]: wrong form`);
    const c = contentOf(der, f);
    if (n === 0) out.vendor = readText(c, 'vendor');
    else if (n === 1) out.model = readText(c, 'model');
    else if (n === 2) out.version = readText(c, 'version');
    else if (n === 3) out.svn = readInteger(c, 'svn');
    else if (n === 4) out.layer = readInteger(c, 'layer');
    else if (n === 5) out.index = readInteger(c, 'index');
    else if (n === 6) out.fwids = Object.freeze(readFwids(der, f));
    else if (n === 7) out.flags = Object.freeze(readNamedBits(c));
    else if (n === 8) out.vendorInfo = readOctets(c, 'vendorInfo');
    else if (n === 9) out.type = readOctets(c, 'type');
    // [10] flagsMask, [11] integrityRegisters and later additions: read past
  }
  return Object.freeze(out);
}

/**
 * Decodes the extnValue of tcg-dice-MultiTcbInfo (a DiceTcbInfoSeq).
 * @throws AttestationError ERR_FORMAT when it is malformed or over the limits.
 */
export function decodeMultiTcbInfo(value: Uint8Array): DiceTcbInfo[] {
  const der = value.slice();
  const seq = expectTlv(der, 0, DerTag.SEQUENCE, 'DiceTcbInfoSeq');
  if (seq.end !== der.length) fail('trailing bytes');
  const entries: Tlv[] = [];
  for (let pos = seq.contentStart; pos < seq.end; ) {
    if (entries.length === MAX_ENTRIES) fail(`more than ${MAX_ENTRIES} entries`);
    const entry = readTlv(der, pos, seq.end);
    entries.push(entry);
    pos = entry.end;
  }
  if (entries.length === 0) fail('no entries');
  return entries.map((e) => readDiceTcbInfo(der, e));
}
