/**
 * Builds and signs ATTESTATION_REPORTs in the genuine binary layout (see report.ts for the
 * table). Used by the simulated SNP platform and by tests; the parser never depends on it.
 */
import { sign, type KeyObject } from 'node:crypto';
import type { SnpProduct } from './product.js';
import { SNP_REPORT_SIZE, SNP_SIGNED_SIZE, SnpOffset } from './report.js';
import type { SnpCpuid, SnpFirmwareVersion, SnpSigningKey } from './report.js';

/** The fields of a report to build; everything defaults to a plausible, policy-clean value. */
export interface SnpReportFields {
  readonly version?: 2 | 3 | 5;
  readonly guestSvn?: number;
  /** POLICY; default 0x30000 (SMT allowed, bit 17 set, ABI 0.0). */
  readonly policy?: number;
  readonly familyId?: Uint8Array;
  readonly imageId?: Uint8Array;
  readonly vmpl?: number;
  readonly currentTcb?: bigint;
  readonly platformInfo?: bigint;
  readonly signingKey?: SnpSigningKey;
  readonly authorKeyEn?: boolean;
  readonly maskChipKey?: boolean;
  /** Up to 64 bytes, zero-padded. */
  readonly reportData?: Uint8Array;
  readonly measurement?: Uint8Array;
  readonly hostData?: Uint8Array;
  readonly idKeyDigest?: Uint8Array;
  readonly authorKeyDigest?: Uint8Array;
  readonly reportId?: Uint8Array;
  /** Default all FFh (no migration agent). */
  readonly reportIdMa?: Uint8Array;
  readonly reportedTcb?: bigint;
  /** v3+ only; default follows `product`. */
  readonly cpuid?: SnpCpuid;
  /** Used to pick default CPUID bytes. Default Milan. */
  readonly product?: SnpProduct;
  readonly chipId?: Uint8Array;
  readonly committedTcb?: bigint;
  readonly currentVersion?: SnpFirmwareVersion;
  readonly committedVersion?: SnpFirmwareVersion;
  readonly launchTcb?: bigint;
  readonly launchMitVector?: bigint;
  readonly currentMitVector?: bigint;
}

const DEFAULT_CPUID: Readonly<Record<SnpProduct, SnpCpuid>> = {
  Milan: { family: 0x19, model: 0x01, stepping: 0x01 },
  Genoa: { family: 0x19, model: 0x11, stepping: 0x01 },
  Turin: { family: 0x1a, model: 0x02, stepping: 0x01 },
};

function put(out: Uint8Array, offset: number, value: Uint8Array | undefined, size: number, what: string): void {
  if (value === undefined) return;
  if (value.length > size) throw new RangeError(`${what}: ${value.length} bytes, at most ${size}`);
  out.set(value, offset);
}

/** An unsigned 1184-byte report (signature bytes zero). @throws RangeError on out-of-range fields */
export function buildSnpReport(fields: SnpReportFields = {}): Uint8Array {
  const out = new Uint8Array(SNP_REPORT_SIZE);
  const dv = new DataView(out.buffer);
  const version = fields.version ?? 5;
  const tcb = fields.reportedTcb ?? 0n;
  dv.setUint32(SnpOffset.VERSION, version, true);
  dv.setUint32(SnpOffset.GUEST_SVN, fields.guestSvn ?? 0, true);
  dv.setBigUint64(SnpOffset.POLICY, BigInt(fields.policy ?? 0x30000), true);
  put(out, SnpOffset.FAMILY_ID, fields.familyId, 16, 'familyId');
  put(out, SnpOffset.IMAGE_ID, fields.imageId, 16, 'imageId');
  dv.setUint32(SnpOffset.VMPL, fields.vmpl ?? 0, true);
  dv.setUint32(SnpOffset.SIGNATURE_ALGO, 1, true);
  dv.setBigUint64(SnpOffset.CURRENT_TCB, fields.currentTcb ?? tcb, true);
  dv.setBigUint64(SnpOffset.PLATFORM_INFO, fields.platformInfo ?? 0x25n, true);
  const sk = { VCEK: 0, VLEK: 1, none: 7 }[fields.signingKey ?? 'VCEK'];
  dv.setUint32(SnpOffset.FLAGS, (fields.authorKeyEn ? 1 : 0) | (fields.maskChipKey ? 2 : 0) | (sk << 2), true);
  put(out, SnpOffset.REPORT_DATA, fields.reportData, 64, 'reportData');
  put(out, SnpOffset.MEASUREMENT, fields.measurement, 48, 'measurement');
  put(out, SnpOffset.HOST_DATA, fields.hostData, 32, 'hostData');
  put(out, SnpOffset.ID_KEY_DIGEST, fields.idKeyDigest, 48, 'idKeyDigest');
  put(out, SnpOffset.AUTHOR_KEY_DIGEST, fields.authorKeyDigest, 48, 'authorKeyDigest');
  put(out, SnpOffset.REPORT_ID, fields.reportId, 32, 'reportId');
  out.fill(0xff, SnpOffset.REPORT_ID_MA, SnpOffset.REPORT_ID_MA + 32);
  put(out, SnpOffset.REPORT_ID_MA, fields.reportIdMa, 32, 'reportIdMa');
  dv.setBigUint64(SnpOffset.REPORTED_TCB, tcb, true);
  if (version >= 3) {
    const c = fields.cpuid ?? DEFAULT_CPUID[fields.product ?? 'Milan'];
    out.set([c.family, c.model, c.stepping], SnpOffset.CPUID_FAM_ID);
  }
  put(out, SnpOffset.CHIP_ID, fields.chipId, 64, 'chipId');
  dv.setBigUint64(SnpOffset.COMMITTED_TCB, fields.committedTcb ?? tcb, true);
  const cur = fields.currentVersion ?? { major: 1, minor: 55, build: 0 };
  out.set([cur.build, cur.minor, cur.major], SnpOffset.CURRENT_BUILD);
  const com = fields.committedVersion ?? cur;
  out.set([com.build, com.minor, com.major], SnpOffset.COMMITTED_BUILD);
  dv.setBigUint64(SnpOffset.LAUNCH_TCB, fields.launchTcb ?? tcb, true);
  if (version >= 5) {
    dv.setBigUint64(SnpOffset.LAUNCH_MIT_VECTOR, fields.launchMitVector ?? 0n, true);
    dv.setBigUint64(SnpOffset.CURRENT_MIT_VECTOR, fields.currentMitVector ?? 0n, true);
  }
  return out;
}

/**
 * Returns a copy of `report` signed with `key` (an EC P-384 private key, the VCEK/VLEK):
 * ECDSA P-384/SHA-384 over bytes 0x000–0x29F, R and S stored little-endian.
 */
export function signSnpReport(report: Uint8Array, key: KeyObject): Uint8Array {
  if (report.length !== SNP_REPORT_SIZE) throw new RangeError(`signSnpReport: expected ${SNP_REPORT_SIZE} bytes`);
  const out = new Uint8Array(report); // a copy (Buffer#slice would share memory)
  const sig = sign('sha384', out.subarray(0, SNP_SIGNED_SIZE), { key, dsaEncoding: 'ieee-p1363' });
  out.fill(0, SNP_SIGNED_SIZE);
  out.set(Uint8Array.from(sig.subarray(0, 48)).reverse(), SnpOffset.SIGNATURE_R);
  out.set(Uint8Array.from(sig.subarray(48, 96)).reverse(), SnpOffset.SIGNATURE_S);
  return out;
}
