/**
 * The SEV-SNP ATTESTATION_REPORT (AMD SEV Secure Nested Paging Firmware ABI Specification,
 * publication 56860, revision 1.58, §7.3 Table 23), versions 2, 3 and 5 (4 is read as 3).
 * 1184 (0x4A0) bytes, all integers little-endian, reserved ranges must be zero.
 *
 * | offset | size | field | notes |
 * |---|---|---|---|
 * | 0x000 | 4 | VERSION | 2 (fw < 1.55), 3 (adds CPUID), 5 (adds MIT vectors) |
 * | 0x004 | 4 | GUEST_SVN | |
 * | 0x008 | 8 | POLICY | bit 17 must be 1; bits 63:26 reserved |
 * | 0x010 | 16 | FAMILY_ID | |
 * | 0x020 | 16 | IMAGE_ID | |
 * | 0x030 | 4 | VMPL | 0..3 |
 * | 0x034 | 4 | SIGNATURE_ALGO | 1 = ECDSA P-384 with SHA-384 |
 * | 0x038 | 8 | CURRENT_TCB | TCB_VERSION |
 * | 0x040 | 8 | PLATFORM_INFO | |
 * | 0x048 | 4 | flags | 0 AUTHOR_KEY_EN, 1 MASK_CHIP_KEY, 4:2 SIGNING_KEY (0 VCEK, 1 VLEK, 7 none); 31:5 reserved |
 * | 0x04C | 4 | reserved | |
 * | 0x050 | 64 | REPORT_DATA | |
 * | 0x090 | 48 | MEASUREMENT | |
 * | 0x0C0 | 32 | HOST_DATA | |
 * | 0x0E0 | 48 | ID_KEY_DIGEST | |
 * | 0x110 | 48 | AUTHOR_KEY_DIGEST | |
 * | 0x140 | 32 | REPORT_ID | |
 * | 0x160 | 32 | REPORT_ID_MA | all FFh without a migration agent |
 * | 0x180 | 8 | REPORTED_TCB | the TCB the VCEK is derived from |
 * | 0x188 | 1+1+1 | CPUID_FAM_ID, CPUID_MOD_ID, CPUID_STEP | v3+; reserved (zero) in v2 |
 * | 0x18B | 21 | reserved | |
 * | 0x1A0 | 64 | CHIP_ID | zero when masked; Turin uses bytes 0..7 |
 * | 0x1E0 | 8 | COMMITTED_TCB | |
 * | 0x1E8 | 1+1+1 | CURRENT_BUILD, CURRENT_MINOR, CURRENT_MAJOR | 0x1EB reserved |
 * | 0x1EC | 1+1+1 | COMMITTED_BUILD, COMMITTED_MINOR, COMMITTED_MAJOR | 0x1EF reserved |
 * | 0x1F0 | 8 | LAUNCH_TCB | |
 * | 0x1F8 | 8 | LAUNCH_MIT_VECTOR | v5; reserved before |
 * | 0x200 | 8 | CURRENT_MIT_VECTOR | v5; reserved before |
 * | 0x208 | 0x98 | reserved | |
 * | 0x2A0 | 512 | SIGNATURE | R (72, LE) at 0x2A0, S (72, LE) at 0x2E8; bytes 48..71 of each and 0x330..0x49F zero |
 *
 * The signature covers bytes 0x000–0x29F.
 */
import { AttestationError } from '../errors.js';
import { productFromCpuid, type SnpProduct } from './product.js';

/** Size of an ATTESTATION_REPORT in bytes. */
export const SNP_REPORT_SIZE = 0x4a0;
/** End of the signed region (exclusive). */
export const SNP_SIGNED_SIZE = 0x2a0;
/** Report versions this parser reads. */
export const SNP_REPORT_VERSIONS: readonly number[] = Object.freeze([2, 3, 4, 5]);

/** Offsets of the fields the builder and tests also use. */
export const SnpOffset = {
  VERSION: 0x000,
  GUEST_SVN: 0x004,
  POLICY: 0x008,
  FAMILY_ID: 0x010,
  IMAGE_ID: 0x020,
  VMPL: 0x030,
  SIGNATURE_ALGO: 0x034,
  CURRENT_TCB: 0x038,
  PLATFORM_INFO: 0x040,
  FLAGS: 0x048,
  REPORT_DATA: 0x050,
  MEASUREMENT: 0x090,
  HOST_DATA: 0x0c0,
  ID_KEY_DIGEST: 0x0e0,
  AUTHOR_KEY_DIGEST: 0x110,
  REPORT_ID: 0x140,
  REPORT_ID_MA: 0x160,
  REPORTED_TCB: 0x180,
  CPUID_FAM_ID: 0x188,
  CPUID_MOD_ID: 0x189,
  CPUID_STEP: 0x18a,
  CHIP_ID: 0x1a0,
  COMMITTED_TCB: 0x1e0,
  CURRENT_BUILD: 0x1e8,
  COMMITTED_BUILD: 0x1ec,
  LAUNCH_TCB: 0x1f0,
  LAUNCH_MIT_VECTOR: 0x1f8,
  CURRENT_MIT_VECTOR: 0x200,
  SIGNATURE_R: 0x2a0,
  SIGNATURE_S: 0x2e8,
} as const;

/** SIGNING_KEY values of the flags field. */
export type SnpSigningKey = 'VCEK' | 'VLEK' | 'none';

/** The guest POLICY bits (ABI spec Table 9). */
export interface SnpGuestPolicy {
  readonly abiMinor: number;
  readonly abiMajor: number;
  readonly smt: boolean;
  readonly migrateMa: boolean;
  readonly debug: boolean;
  readonly singleSocket: boolean;
  readonly cxlAllow: boolean;
  readonly memAes256Xts: boolean;
  readonly raplDis: boolean;
  readonly ciphertextHiding: boolean;
  readonly pageSwapDisable: boolean;
}

/** The PLATFORM_INFO bits (ABI spec Table 24). Unknown bits are kept in the raw value. */
export interface SnpPlatformInfo {
  readonly smtEn: boolean;
  readonly tsmeEn: boolean;
  readonly eccEn: boolean;
  readonly raplDis: boolean;
  readonly ciphertextHidingEn: boolean;
  readonly aliasCheckComplete: boolean;
  readonly tioEn: boolean;
}

/** A firmware version MAJOR.MINOR.BUILD. */
export interface SnpFirmwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/** CPUID identification (v3+). */
export interface SnpCpuid {
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
}

function fail(message: string): never {
  throw new AttestationError('ERR_FORMAT', `SEV-SNP report: ${message}`);
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * A parsed, immutable ATTESTATION_REPORT. Byte fields are lower-case hex; TCB_VERSION fields
 * stay raw (`bigint`) because their layout depends on the product (see {@link decodeTcbVersion}).
 */
export class SnpReport {
  readonly version: number;
  readonly guestSvn: number;
  /** POLICY as a number (bits 63:26 are zero, so it fits). */
  readonly policyRaw: number;
  readonly policy: SnpGuestPolicy;
  readonly familyId: string;
  readonly imageId: string;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly currentTcb: bigint;
  readonly platformInfoRaw: bigint;
  readonly platformInfo: SnpPlatformInfo;
  readonly flagsRaw: number;
  readonly authorKeyEn: boolean;
  readonly maskChipKey: boolean;
  readonly signingKey: SnpSigningKey;
  readonly reportData: string;
  readonly measurement: string;
  readonly hostData: string;
  readonly idKeyDigest: string;
  readonly authorKeyDigest: string;
  readonly reportId: string;
  readonly reportIdMa: string;
  readonly reportedTcb: bigint;
  /** CPUID identification; undefined in v2 reports. */
  readonly cpuid: SnpCpuid | undefined;
  /** The product named by CPUID (v3+), when it is a known one. */
  readonly cpuidProduct: SnpProduct | undefined;
  readonly chipId: string;
  readonly committedTcb: bigint;
  readonly currentVersion: SnpFirmwareVersion;
  readonly committedVersion: SnpFirmwareVersion;
  readonly launchTcb: bigint;
  /** v5 only. */
  readonly launchMitVector: bigint | undefined;
  /** v5 only. */
  readonly currentMitVector: bigint | undefined;
  readonly #bytes: Uint8Array;

  /** @internal use {@link parseSnpReport}. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u32 = (o: number): number => dv.getUint32(o, true);
    const u64 = (o: number): bigint => dv.getBigUint64(o, true);
    const slice = (o: number, n: number): string => hex(bytes.subarray(o, o + n));
    this.version = u32(SnpOffset.VERSION);
    this.guestSvn = u32(SnpOffset.GUEST_SVN);
    this.policyRaw = Number(u64(SnpOffset.POLICY));
    const p = this.policyRaw;
    const bit = (v: number, n: number): boolean => Math.floor(v / 2 ** n) % 2 === 1;
    this.policy = Object.freeze({
      abiMinor: p & 0xff,
      abiMajor: (p >> 8) & 0xff,
      smt: bit(p, 16),
      migrateMa: bit(p, 18),
      debug: bit(p, 19),
      singleSocket: bit(p, 20),
      cxlAllow: bit(p, 21),
      memAes256Xts: bit(p, 22),
      raplDis: bit(p, 23),
      ciphertextHiding: bit(p, 24),
      pageSwapDisable: bit(p, 25),
    });
    this.familyId = slice(SnpOffset.FAMILY_ID, 16);
    this.imageId = slice(SnpOffset.IMAGE_ID, 16);
    this.vmpl = u32(SnpOffset.VMPL);
    this.signatureAlgo = u32(SnpOffset.SIGNATURE_ALGO);
    this.currentTcb = u64(SnpOffset.CURRENT_TCB);
    this.platformInfoRaw = u64(SnpOffset.PLATFORM_INFO);
    const pi = Number(this.platformInfoRaw & 0xffn);
    this.platformInfo = Object.freeze({
      smtEn: bit(pi, 0),
      tsmeEn: bit(pi, 1),
      eccEn: bit(pi, 2),
      raplDis: bit(pi, 3),
      ciphertextHidingEn: bit(pi, 4),
      aliasCheckComplete: bit(pi, 5),
      tioEn: bit(pi, 7),
    });
    this.flagsRaw = u32(SnpOffset.FLAGS);
    this.authorKeyEn = bit(this.flagsRaw, 0);
    this.maskChipKey = bit(this.flagsRaw, 1);
    const sk = (this.flagsRaw >> 2) & 7;
    this.signingKey = sk === 0 ? 'VCEK' : sk === 1 ? 'VLEK' : 'none';
    this.reportData = slice(SnpOffset.REPORT_DATA, 64);
    this.measurement = slice(SnpOffset.MEASUREMENT, 48);
    this.hostData = slice(SnpOffset.HOST_DATA, 32);
    this.idKeyDigest = slice(SnpOffset.ID_KEY_DIGEST, 48);
    this.authorKeyDigest = slice(SnpOffset.AUTHOR_KEY_DIGEST, 48);
    this.reportId = slice(SnpOffset.REPORT_ID, 32);
    this.reportIdMa = slice(SnpOffset.REPORT_ID_MA, 32);
    this.reportedTcb = u64(SnpOffset.REPORTED_TCB);
    this.cpuid =
      this.version >= 3
        ? Object.freeze({
            family: bytes[SnpOffset.CPUID_FAM_ID]!,
            model: bytes[SnpOffset.CPUID_MOD_ID]!,
            stepping: bytes[SnpOffset.CPUID_STEP]!,
          })
        : undefined;
    this.cpuidProduct = this.cpuid ? productFromCpuid(this.cpuid.family, this.cpuid.model) : undefined;
    this.chipId = slice(SnpOffset.CHIP_ID, 64);
    this.committedTcb = u64(SnpOffset.COMMITTED_TCB);
    const version = (o: number): SnpFirmwareVersion =>
      Object.freeze({ build: bytes[o]!, minor: bytes[o + 1]!, major: bytes[o + 2]! });
    this.currentVersion = version(SnpOffset.CURRENT_BUILD);
    this.committedVersion = version(SnpOffset.COMMITTED_BUILD);
    this.launchTcb = u64(SnpOffset.LAUNCH_TCB);
    this.launchMitVector = this.version >= 5 ? u64(SnpOffset.LAUNCH_MIT_VECTOR) : undefined;
    this.currentMitVector = this.version >= 5 ? u64(SnpOffset.CURRENT_MIT_VECTOR) : undefined;
    Object.freeze(this);
  }

  /** A copy of the whole 1184-byte report. */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** A copy of the signed bytes 0x000–0x29F. */
  signedBytes(): Uint8Array {
    return this.#bytes.slice(0, SNP_SIGNED_SIZE);
  }

  /** The signature as IEEE P1363 r‖s (2 × 48 bytes, big-endian), as WebCrypto and Node expect. */
  signatureP1363(): Uint8Array {
    const out = new Uint8Array(96);
    out.set(this.#bytes.slice(SnpOffset.SIGNATURE_R, SnpOffset.SIGNATURE_R + 48).reverse(), 0);
    out.set(this.#bytes.slice(SnpOffset.SIGNATURE_S, SnpOffset.SIGNATURE_S + 48).reverse(), 48);
    return out;
  }

  /** A copy of CHIP_ID. */
  chipIdBytes(): Uint8Array {
    return this.#bytes.slice(SnpOffset.CHIP_ID, SnpOffset.CHIP_ID + 64);
  }

  /** A copy of REPORT_DATA. */
  reportDataBytes(): Uint8Array {
    return this.#bytes.slice(SnpOffset.REPORT_DATA, SnpOffset.REPORT_DATA + 64);
  }
}

function zero(bytes: Uint8Array, from: number, to: number, what: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) fail(`reserved ${what} (0x${from.toString(16)}–0x${(to - 1).toString(16)}) is not zero at 0x${i.toString(16)}`);
  }
}

/**
 * Parses an ATTESTATION_REPORT strictly: exactly 1184 bytes, a known version, reserved fields
 * zero, POLICY bit 17 set, SIGNATURE_ALGO 1 (0 allowed only for unsigned reports), VMPL 0..3.
 * The bytes are copied first, so later changes to `input` cannot affect the result.
 * @throws AttestationError ERR_FORMAT
 */
export function parseSnpReport(input: Uint8Array): SnpReport {
  if (!(input instanceof Uint8Array)) throw new TypeError('parseSnpReport: expected a Uint8Array');
  if (input.length !== SNP_REPORT_SIZE) fail(`expected ${SNP_REPORT_SIZE} bytes, got ${input.length}`);
  const bytes = new Uint8Array(input); // a copy: Buffer#slice would share memory
  const dv = new DataView(bytes.buffer);
  const version = dv.getUint32(SnpOffset.VERSION, true);
  if (!SNP_REPORT_VERSIONS.includes(version)) fail(`unsupported version ${version} (expected 2, 3 or 5)`);
  const policyHigh = dv.getUint32(SnpOffset.POLICY + 4, true);
  const policyLow = dv.getUint32(SnpOffset.POLICY, true);
  if (policyHigh !== 0 || policyLow >>> 26 !== 0) fail('POLICY bits 63:26 are reserved and must be zero');
  if (((policyLow >>> 17) & 1) !== 1) fail('POLICY bit 17 is reserved and must be one');
  const vmpl = dv.getUint32(SnpOffset.VMPL, true);
  if (vmpl > 3) fail(`VMPL ${vmpl} is out of range 0..3`);
  const flags = dv.getUint32(SnpOffset.FLAGS, true);
  if (flags >>> 5 !== 0) fail('flags bits 31:5 are reserved and must be zero');
  const signingKey = (flags >>> 2) & 7;
  if (signingKey !== 0 && signingKey !== 1 && signingKey !== 7) fail(`SIGNING_KEY ${signingKey} is reserved`);
  const algo = dv.getUint32(SnpOffset.SIGNATURE_ALGO, true);
  if (algo !== 1 && !(algo === 0 && signingKey === 7)) fail(`SIGNATURE_ALGO ${algo} is not 1 (ECDSA P-384 with SHA-384)`);
  zero(bytes, 0x04c, 0x050, 'bytes');
  zero(bytes, version >= 3 ? 0x18b : 0x188, 0x1a0, version >= 3 ? 'bytes' : 'CPUID bytes of a v2 report');
  zero(bytes, 0x1eb, 0x1ec, 'byte');
  zero(bytes, 0x1ef, 0x1f0, 'byte');
  zero(bytes, version >= 5 ? 0x208 : 0x1f8, SNP_SIGNED_SIZE, 'bytes');
  zero(bytes, SnpOffset.SIGNATURE_R + 48, SnpOffset.SIGNATURE_R + 72, 'high bytes of R');
  zero(bytes, SnpOffset.SIGNATURE_S + 48, SnpOffset.SIGNATURE_S + 72, 'high bytes of S');
  zero(bytes, SnpOffset.SIGNATURE_S + 72, SNP_REPORT_SIZE, 'signature bytes');
  return new SnpReport(bytes);
}
