/**
 * The Intel DCAP ECDSA quote: SGX quote v3, and the TDX/SGX quote v4 and v5 layouts.
 *
 * Sources: Intel SGX ECDSA Quote Library API (quote v3); Intel TDX DCAP Quoting Library API
 * (quote v4, and v5 with its body descriptor). All integers are little-endian; ECDSA values are
 * big-endian r‖s and x‖y. Bytes after the signature data (zero padding from configfs-tsm, junk
 * from test tooling) are ignored; every length inside the quote must fit and add up exactly.
 *
 * Header (48 bytes)
 * | off | size | field          | notes                                           |
 * |   0 |    2 | version        | 3, 4 or 5                                       |
 * |   2 |    2 | att_key_type   | 2 = ECDSA-256-with-P-256                        |
 * |   4 |    4 | tee_type       | 0x00 SGX, 0x81 TDX (reserved = 0 in v3)         |
 * |   8 |    2 | qe_svn         | v3; reserved in v4/v5                           |
 * |  10 |    2 | pce_svn        | v3; reserved in v4/v5                           |
 * |  12 |   16 | qe_vendor_id   | Intel: 939a7233f79c4ca9940a0db3957f0607         |
 * |  28 |   20 | user_data      |                                                 |
 *
 * v3/v4 body at 48 (SGX 384 or TD 1.0 584 bytes); v5 inserts body_type u16 (1 SGX, 2 TD 1.0,
 * 3 TD 1.5) and body_size u32 at 48, body at 54. The signed region is everything before the u32
 * signature-data length.
 *
 * Signature data
 * | size | field                                                                   |
 * |   64 | ECDSA signature over the signed region (attestation key)                |
 * |   64 | attestation public key (x‖y)                                            |
 * |    6 | v4/v5 only: certification data type u16 (= 6) and size u32               |
 * |  384 | QE report (SGX REPORT_BODY), signed by the PCK                          |
 * |   64 | QE report signature                                                     |
 * | 2+n  | QE authentication data: size u16, bytes                                 |
 * | 6+m  | certification data: type u16, size u32, bytes (5 = PCK chain PEM)      |
 */
import { AttestationError } from '../errors.js';
import { ByteReader, constantTimeEqual } from './bytes.js';
import {
  SGX_REPORT_BODY_SIZE,
  TD10_REPORT_BODY_SIZE,
  TD15_REPORT_BODY_SIZE,
  readSgxReportBody,
  readTdReportBody,
  type SgxReportBody,
  type TdReportBody,
} from './report-body.js';

/** Header size common to all versions. */
export const QUOTE_HEADER_SIZE = 48;
/** att_key_type for ECDSA-256-with-P-256. */
export const ATT_KEY_TYPE_ECDSA_P256 = 2;
/** tee_type of an SGX quote. */
export const TEE_TYPE_SGX = 0x00;
/** tee_type of a TDX quote. */
export const TEE_TYPE_TDX = 0x81;
/** Intel's QE vendor ID. */
export const INTEL_QE_VENDOR_ID = new Uint8Array(Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex'));

/** Certification data types (Intel quote library API, "Certification Data Type"). */
export const CertificationDataType = {
  PPID_CLEARTEXT: 1,
  PPID_RSA2048_ENCRYPTED: 2,
  PPID_RSA3072_ENCRYPTED: 3,
  PCK_LEAF: 4,
  PCK_CHAIN: 5,
  QE_REPORT: 6,
  PLATFORM_MANIFEST: 7,
} as const;

/** The 48-byte quote header. */
export interface QuoteHeader {
  readonly version: 3 | 4 | 5;
  readonly attestationKeyType: number;
  readonly teeType: number;
  /** v3 only (reserved, reported as read, in v4/v5). */
  readonly qeSvn: number;
  /** v3 only (reserved, reported as read, in v4/v5). */
  readonly pceSvn: number;
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
}

/** The quote body: an SGX enclave report or a TD report. */
export type QuoteBody =
  | { readonly kind: 'sgx'; readonly report: SgxReportBody }
  | { readonly kind: 'td10' | 'td15'; readonly report: TdReportBody };

/** Certification data: how the verifier finds the PCK certificate. */
export interface CertificationData {
  readonly type: number;
  readonly data: Uint8Array;
}

/** The ECDSA signature data that follows the signed region. */
export interface QuoteSignatureData {
  /** r‖s over the signed region. */
  readonly signature: Uint8Array;
  /** x‖y of the P-256 attestation key. */
  readonly attestationKey: Uint8Array;
  readonly qeReport: SgxReportBody;
  /** r‖s over the 384 QE report bytes, by the PCK key. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** The inner certification data (type 5, 1–4 or 7). */
  readonly certificationData: CertificationData;
}

/** A structurally valid DCAP quote. Nothing in it is authenticated yet. */
export interface DcapQuote {
  readonly header: QuoteHeader;
  readonly body: QuoteBody;
  /** The bytes the attestation key signs (header, v5 descriptor, body). */
  readonly signedRegion: Uint8Array;
  readonly signatureData: QuoteSignatureData;
  /** Bytes of the input the quote occupies; anything after it was ignored. */
  readonly length: number;
}

function formatError(message: string): never {
  throw new AttestationError('ERR_FORMAT', message);
}

function readHeader(r: ByteReader): QuoteHeader {
  const version = r.u16('version');
  const attestationKeyType = r.u16('att_key_type');
  const teeType = r.u32('tee_type');
  const qeSvn = r.u16('qe_svn');
  const pceSvn = r.u16('pce_svn');
  const qeVendorId = r.bytes(16, 'qe_vendor_id');
  const userData = r.bytes(20, 'user_data');
  if (version !== 3 && version !== 4 && version !== 5) formatError(`quote version ${version} is not supported`);
  if (attestationKeyType !== ATT_KEY_TYPE_ECDSA_P256) {
    formatError(`attestation key type ${attestationKeyType} is not supported (only 2, ECDSA P-256)`);
  }
  if (teeType !== TEE_TYPE_SGX && teeType !== TEE_TYPE_TDX) formatError(`tee_type 0x${teeType.toString(16)} is unknown`);
  if (version === 3 && teeType !== TEE_TYPE_SGX) formatError('a version 3 quote must be an SGX quote');
  if (!constantTimeEqual(qeVendorId, INTEL_QE_VENDOR_ID)) formatError('QE vendor ID is not Intel');
  return Object.freeze({ version, attestationKeyType, teeType, qeSvn, pceSvn, qeVendorId, userData });
}

function readBody(r: ByteReader, header: QuoteHeader): QuoteBody {
  const tdx = header.teeType === TEE_TYPE_TDX;
  if (header.version !== 5) {
    return tdx
      ? { kind: 'td10', report: readTdReportBody(r, false) }
      : { kind: 'sgx', report: readSgxReportBody(r, 'enclave report') };
  }
  const bodyType = r.u16('body_type');
  const bodySize = r.u32('body_size');
  const expected: Record<number, [number, boolean]> = {
    1: [SGX_REPORT_BODY_SIZE, false],
    2: [TD10_REPORT_BODY_SIZE, true],
    3: [TD15_REPORT_BODY_SIZE, true],
  };
  const row = expected[bodyType];
  if (row === undefined) formatError(`v5 body_type ${bodyType} is unknown`);
  if (row[1] !== tdx) formatError(`v5 body_type ${bodyType} does not match tee_type 0x${header.teeType.toString(16)}`);
  if (bodySize !== row[0]) formatError(`v5 body_size ${bodySize} does not match body_type ${bodyType}`);
  if (bodyType === 1) return { kind: 'sgx', report: readSgxReportBody(r, 'enclave report') };
  return { kind: bodyType === 3 ? 'td15' : 'td10', report: readTdReportBody(r, bodyType === 3) };
}

/** Reads a certification data header and skips its payload; returns where the payload lies. */
function skipCertificationData(r: ByteReader, what: string): { type: number; start: number; end: number } {
  const type = r.u16(`${what} type`);
  const size = r.u32(`${what} size`);
  const start = r.offset;
  if (size > r.remaining) formatError(`${what} size ${size} runs past the signature data (${r.remaining} left)`);
  r.skip(size, what);
  return { type, start, end: start + size };
}

/** Reads QE report … certification data, which must end exactly at `end`. */
function readQeSection(
  bytes: Uint8Array,
  start: number,
  end: number,
): Pick<QuoteSignatureData, 'qeReport' | 'qeReportSignature' | 'qeAuthData' | 'certificationData'> {
  const r = new ByteReader(bytes, 'QE report certification data', start, end);
  const qeReport = readSgxReportBody(r, 'QE report');
  const qeReportSignature = r.bytes(64, 'QE report signature');
  const authSize = r.u16('QE authentication data size');
  const qeAuthData = r.bytes(authSize, 'QE authentication data');
  const type = r.u16('certification data type');
  const size = r.u32('certification data size');
  if (size !== r.remaining) {
    formatError(`certification data size is ${size}, but ${r.remaining} bytes remain in its container`);
  }
  const data = r.bytes(size, 'certification data');
  if (type === CertificationDataType.QE_REPORT) formatError('certification data of type 6 cannot nest');
  if (type < 1 || type > 7) formatError(`certification data type ${type} is unknown`);
  return { qeReport, qeReportSignature, qeAuthData, certificationData: Object.freeze({ type, data }) };
}

/**
 * Parses any supported DCAP quote (v3 SGX; v4/v5 SGX or TDX). Trailing bytes are ignored.
 * @throws AttestationError ERR_FORMAT for any structural problem.
 */
export function parseDcapQuote(input: Uint8Array): DcapQuote {
  if (!(input instanceof Uint8Array)) throw new TypeError('quote must be a Uint8Array');
  const r = new ByteReader(input, 'quote');
  const header = readHeader(r);
  const body = readBody(r, header);
  const signedEnd = r.offset;
  const sigSize = r.u32('signature data length');
  if (sigSize > r.remaining) formatError(`signature data length ${sigSize} runs past the quote (${r.remaining} left)`);
  const sigStart = r.offset;
  const sigEnd = sigStart + sigSize;
  const s = new ByteReader(input, 'signature data', sigStart, sigEnd);
  const signature = s.bytes(64, 'quote signature');
  const attestationKey = s.bytes(64, 'attestation key');
  let qe: ReturnType<typeof readQeSection>;
  if (header.version === 3) {
    qe = readQeSection(input, s.offset, sigEnd);
  } else {
    const outer = skipCertificationData(s, 'outer certification data');
    if (outer.type !== CertificationDataType.QE_REPORT) {
      formatError(`v${header.version} outer certification data type is ${outer.type}, expected 6`);
    }
    if (outer.end !== sigEnd) formatError('outer certification data does not end with the signature data');
    qe = readQeSection(input, outer.start, outer.end);
  }
  return Object.freeze({
    header,
    body: Object.freeze(body),
    signedRegion: input.slice(0, signedEnd),
    signatureData: Object.freeze({ signature, attestationKey, ...qe }),
    length: sigEnd,
  });
}
