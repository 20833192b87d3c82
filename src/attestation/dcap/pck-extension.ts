/**
 * The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1).
 *
 * Source: Intel SGX PCK Certificate and Certificate Revocation List Profile Specification, §1.5
 * "Intel SGX PCK Certificate Extensions".
 *
 * ```asn1
 * SGXExtensions ::= SEQUENCE OF SEQUENCE { sgxExtensionId OBJECT IDENTIFIER, sgxExtensionValue ANY }
 *   .1  PPID                 OCTET STRING (16)
 *   .2  TCB                  SEQUENCE OF SEQUENCE { id OBJECT IDENTIFIER, value ANY }
 *         .2.1 … .2.16  SGX TCB component SVNs   INTEGER (0..255)
 *         .2.17         PCESVN                   INTEGER (0..65535)
 *         .2.18         CPUSVN                   OCTET STRING (16)
 *   .3  PCE-ID               OCTET STRING (2)
 *   .4  FMSPC                OCTET STRING (6)
 *   .5  SGX Type             ENUMERATED (0 Standard, 1 Scalable, 2 Scalable with integrity)
 *   .6  PlatformInstanceID   OCTET STRING (16)        optional (Scalable only)
 *   .7  Configuration        SEQUENCE { … }           optional (Scalable only)
 * ```
 */
import { AttestationError } from '../errors.js';
import { DerTag, children, contentOf, decodeOid, expectTlv, unsignedInteger, type Tlv } from '../pki/index.js';

/** The OID of the SGX extension. */
export const OID_SGX_EXTENSIONS = '1.2.840.113741.1.13.1';

const ENUMERATED = 0x0a;

/** The decoded SGX extension of a PCK certificate. Hex is lower-case. */
export interface PckExtension {
  readonly ppid: Uint8Array;
  /** The 16 SGX TCB component SVNs, in order. */
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Uint8Array;
  /** 2 bytes, hex. */
  readonly pceId: string;
  /** 6 bytes, hex. */
  readonly fmspc: string;
  /** 0 Standard, 1 Scalable, 2 Scalable with integrity. */
  readonly sgxType: number;
}

function bad(what: string): never {
  throw new AttestationError('ERR_CHAIN', `PCK certificate SGX extension: ${what}`);
}

/** Decodes each `SEQUENCE { OID, value }` member of a SEQUENCE into a map from the OID's last arc. */
function members(bytes: Uint8Array, seq: Tlv, prefix: string): Map<number, Tlv> {
  const out = new Map<number, Tlv>();
  for (const m of children(bytes, seq)) {
    if (m.tag !== DerTag.SEQUENCE) bad('member is not a SEQUENCE');
    const f = children(bytes, m);
    if (f.length !== 2 || f[0]!.tag !== DerTag.OID) bad('member is not { OID, value }');
    const oid = decodeOid(contentOf(bytes, f[0]!));
    if (!oid.startsWith(prefix + '.')) continue;
    const arc = oid.slice(prefix.length + 1);
    if (!/^\d+$/.test(arc)) continue; // deeper arcs belong to nested structures, which we do not read
    const n = Number(arc);
    if (out.has(n)) bad(`duplicate ${oid}`);
    out.set(n, f[1]!);
  }
  return out;
}

function octets(bytes: Uint8Array, tlv: Tlv | undefined, size: number, what: string): Uint8Array {
  if (tlv === undefined) bad(`${what} is missing`);
  if (tlv.tag !== DerTag.OCTET_STRING || tlv.end - tlv.contentStart !== size) bad(`${what} must be ${size} octets`);
  return new Uint8Array(contentOf(bytes, tlv));
}

function integer(bytes: Uint8Array, tlv: Tlv | undefined, max: number, what: string, tag: number = DerTag.INTEGER): number {
  if (tlv === undefined) bad(`${what} is missing`);
  if (tlv.tag !== tag) bad(`${what} has the wrong type`);
  const v = unsignedInteger(contentOf(bytes, tlv), what);
  if (v > BigInt(max)) bad(`${what} is out of range`);
  return Number(v);
}

/**
 * Decodes the extnValue contents of the SGX extension.
 * @throws AttestationError ERR_CHAIN when it is malformed or lacks a field the verifier needs.
 */
export function parsePckExtension(extnValue: Uint8Array): PckExtension {
  try {
    const bytes = new Uint8Array(extnValue);
    const top = expectTlv(bytes, 0, DerTag.SEQUENCE, 'SGXExtensions');
    if (top.end !== bytes.length) bad('trailing bytes');
    const m = members(bytes, top, OID_SGX_EXTENSIONS);
    const tcbTlv = m.get(2);
    if (tcbTlv === undefined || tcbTlv.tag !== DerTag.SEQUENCE) bad('TCB is missing');
    const tcb = members(bytes, tcbTlv, `${OID_SGX_EXTENSIONS}.2`);
    const sgxTcbComponents: number[] = [];
    for (let i = 1; i <= 16; i++) sgxTcbComponents.push(integer(bytes, tcb.get(i), 255, `SGX TCB component ${i}`));
    return Object.freeze({
      ppid: octets(bytes, m.get(1), 16, 'PPID'),
      sgxTcbComponents: Object.freeze(sgxTcbComponents),
      pceSvn: integer(bytes, tcb.get(17), 0xffff, 'PCESVN'),
      cpuSvn: octets(bytes, tcb.get(18), 16, 'CPUSVN'),
      pceId: Buffer.from(octets(bytes, m.get(3), 2, 'PCE-ID')).toString('hex'),
      fmspc: Buffer.from(octets(bytes, m.get(4), 6, 'FMSPC')).toString('hex'),
      sgxType: integer(bytes, m.get(5), 2, 'SGX Type', ENUMERATED),
    });
  } catch (err) {
    if (err instanceof AttestationError && err.code === 'ERR_CHAIN') throw err;
    throw new AttestationError('ERR_CHAIN', 'PCK certificate SGX extension is malformed', { cause: err });
  }
}
