/**
 * The two report bodies a DCAP quote carries: the SGX REPORT_BODY (also the QE report) and the
 * TDX TD report (TDREPORT's TD_INFO plus TEE_TCB_INFO fields, as the quote lays them out).
 *
 * Sources: Intel SGX ECDSA Quote Library API (DCAP 1.x) Appendix A "sgx_report_body_t";
 * Intel TDX DCAP Quoting Library API, "TD Quote Body" v1.0 (584 bytes) and v1.5 (648 bytes).
 * All integers are little-endian.
 */
import { ByteReader } from './bytes.js';

/** Size of an SGX REPORT_BODY. */
export const SGX_REPORT_BODY_SIZE = 384;
/** Size of a TD 1.0 quote body. */
export const TD10_REPORT_BODY_SIZE = 584;
/** Size of a TD 1.5 quote body. */
export const TD15_REPORT_BODY_SIZE = 648;

/*
 * sgx_report_body_t (384 bytes)
 * | off | size | field         |
 * |   0 |   16 | CPUSVN        |
 * |  16 |    4 | MISCSELECT    |
 * |  20 |   12 | reserved      |
 * |  32 |   16 | ISVEXTPRODID  |
 * |  48 |   16 | ATTRIBUTES    | flags u64 (bit 1 DEBUG), then XFRM u64
 * |  64 |   32 | MRENCLAVE     |
 * |  96 |   32 | reserved      |
 * | 128 |   32 | MRSIGNER      |
 * | 160 |   32 | reserved      |
 * | 192 |   64 | CONFIGID      |
 * | 256 |    2 | ISVPRODID     |
 * | 258 |    2 | ISVSVN        |
 * | 260 |    2 | CONFIGSVN     |
 * | 262 |   42 | reserved      |
 * | 304 |   16 | ISVFAMILYID   |
 * | 320 |   64 | REPORTDATA    |
 */

/** A parsed SGX REPORT_BODY (an application enclave's or the QE's). */
export interface SgxReportBody {
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  readonly isvExtProdId: Uint8Array;
  /** 16 bytes: flags (u64 LE) then XFRM (u64 LE). */
  readonly attributes: Uint8Array;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly configId: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly configSvn: number;
  readonly isvFamilyId: Uint8Array;
  readonly reportData: Uint8Array;
  /** The 384 bytes as they were in the quote (what the PCK signs for the QE report). */
  readonly raw: Uint8Array;
}

/** Parses the 384-byte SGX REPORT_BODY at the reader's position. @throws AttestationError ERR_FORMAT */
export function readSgxReportBody(r: ByteReader, what: string): SgxReportBody {
  const raw = r.bytes(SGX_REPORT_BODY_SIZE, what);
  const b = new ByteReader(raw, what);
  const cpuSvn = b.bytes(16, 'CPUSVN');
  const miscSelect = b.u32('MISCSELECT');
  b.skip(12, 'reserved');
  const isvExtProdId = b.bytes(16, 'ISVEXTPRODID');
  const attributes = b.bytes(16, 'ATTRIBUTES');
  const mrEnclave = b.bytes(32, 'MRENCLAVE');
  b.skip(32, 'reserved');
  const mrSigner = b.bytes(32, 'MRSIGNER');
  b.skip(32, 'reserved');
  const configId = b.bytes(64, 'CONFIGID');
  const isvProdId = b.u16('ISVPRODID');
  const isvSvn = b.u16('ISVSVN');
  const configSvn = b.u16('CONFIGSVN');
  b.skip(42, 'reserved');
  const isvFamilyId = b.bytes(16, 'ISVFAMILYID');
  const reportData = b.bytes(64, 'REPORTDATA');
  return Object.freeze({
    cpuSvn,
    miscSelect,
    isvExtProdId,
    attributes,
    mrEnclave,
    mrSigner,
    configId,
    isvProdId,
    isvSvn,
    configSvn,
    isvFamilyId,
    reportData,
    raw,
  });
}

/** True when the SGX ATTRIBUTES DEBUG flag (flags bit 1) is set. */
export function sgxDebug(attributes: Uint8Array): boolean {
  return ((attributes[0] ?? 0) & 0x02) !== 0;
}

/*
 * TD quote body v1.0 (584 bytes); v1.5 appends two fields (648 bytes)
 * | off   | size | field            |
 * | 0x000 |   16 | TEE_TCB_SVN      | [0] module ISVSVN, [1] module major version, [2..] SEAM/platform SVNs
 * | 0x010 |   48 | MRSEAM           |
 * | 0x040 |   48 | MRSIGNERSEAM     |
 * | 0x070 |    8 | SEAM_ATTRIBUTES  |
 * | 0x078 |    8 | TD_ATTRIBUTES    | bit 0 DEBUG, bit 28 SEPT_VE_DISABLE, bit 30 PKS
 * | 0x080 |    8 | XFAM             |
 * | 0x088 |   48 | MRTD             |
 * | 0x0B8 |   48 | MRCONFIGID       |
 * | 0x0E8 |   48 | MROWNER          |
 * | 0x118 |   48 | MROWNERCONFIG    |
 * | 0x148 |  4x48| RTMR0..RTMR3     |
 * | 0x208 |   64 | REPORTDATA       |
 * | 0x248 |   16 | TEE_TCB_SVN2     | v1.5 only
 * | 0x258 |   48 | MRSERVICETD      | v1.5 only
 */

/** A parsed TD quote body (TD 1.0, or TD 1.5 when `teeTcbSvn2` is present). */
export interface TdReportBody {
  readonly teeTcbSvn: Uint8Array;
  readonly mrSeam: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
  readonly tdAttributes: Uint8Array;
  readonly xfam: Uint8Array;
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  readonly rtmrs: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  readonly reportData: Uint8Array;
  /** TD 1.5 only. */
  readonly teeTcbSvn2?: Uint8Array;
  /** TD 1.5 only. */
  readonly mrServiceTd?: Uint8Array;
}

/** Parses a TD 1.0 (`td15 = false`) or TD 1.5 quote body. @throws AttestationError ERR_FORMAT */
export function readTdReportBody(r: ByteReader, td15: boolean): TdReportBody {
  const what = td15 ? 'TD 1.5 report body' : 'TD 1.0 report body';
  const b = new ByteReader(r.bytes(td15 ? TD15_REPORT_BODY_SIZE : TD10_REPORT_BODY_SIZE, what), what);
  const teeTcbSvn = b.bytes(16, 'TEE_TCB_SVN');
  const mrSeam = b.bytes(48, 'MRSEAM');
  const mrSignerSeam = b.bytes(48, 'MRSIGNERSEAM');
  const seamAttributes = b.bytes(8, 'SEAM_ATTRIBUTES');
  const tdAttributes = b.bytes(8, 'TD_ATTRIBUTES');
  const xfam = b.bytes(8, 'XFAM');
  const mrTd = b.bytes(48, 'MRTD');
  const mrConfigId = b.bytes(48, 'MRCONFIGID');
  const mrOwner = b.bytes(48, 'MROWNER');
  const mrOwnerConfig = b.bytes(48, 'MROWNERCONFIG');
  const rtmrs = [b.bytes(48, 'RTMR0'), b.bytes(48, 'RTMR1'), b.bytes(48, 'RTMR2'), b.bytes(48, 'RTMR3')] as const;
  const reportData = b.bytes(64, 'REPORTDATA');
  const base = {
    teeTcbSvn,
    mrSeam,
    mrSignerSeam,
    seamAttributes,
    tdAttributes,
    xfam,
    mrTd,
    mrConfigId,
    mrOwner,
    mrOwnerConfig,
    rtmrs,
    reportData,
  };
  if (!td15) return Object.freeze(base);
  return Object.freeze({ ...base, teeTcbSvn2: b.bytes(16, 'TEE_TCB_SVN2'), mrServiceTd: b.bytes(48, 'MRSERVICETD') });
}

/** True when TD_ATTRIBUTES bit 0 (DEBUG) is set. */
export function tdDebug(tdAttributes: Uint8Array): boolean {
  return ((tdAttributes[0] ?? 0) & 0x01) !== 0;
}
