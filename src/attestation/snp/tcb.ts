/**
 * TCB_VERSION: the security patch levels of the SNP firmware stack, one byte per component,
 * packed into a little-endian u64 whose layout depends on the product
 * (AMD SEV-SNP ABI spec 1.58, §8.2 Table 3; Turin per the 2024 revision).
 *
 * | byte | Milan, Genoa  | Turin       |
 * |------|---------------|-------------|
 * | 0    | BOOT_LOADER   | FMC         |
 * | 1    | TEE           | BOOT_LOADER |
 * | 2    | reserved      | TEE         |
 * | 3    | reserved      | SNP         |
 * | 4–5  | reserved      | reserved    |
 * | 6    | SNP           | reserved    |
 * | 7    | MICROCODE     | MICROCODE   |
 */
import { AttestationError } from '../errors.js';
import type { SnpProduct } from './product.js';

/** A decoded TCB_VERSION. `fmc` exists on Turin only. */
export interface TcbVersion {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  readonly fmc?: number;
}

/** The components of a TCB_VERSION, in the order we print and compare them. */
export const TCB_COMPONENTS = ['fmc', 'bootloader', 'tee', 'snp', 'microcode'] as const;

/** One TCB component name. */
export type TcbComponent = (typeof TCB_COMPONENTS)[number];

interface Layout {
  readonly fmc?: number;
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  readonly reserved: readonly number[];
}

const MILAN_GENOA: Layout = { bootloader: 0, tee: 1, snp: 6, microcode: 7, reserved: [2, 3, 4, 5] };
const TURIN: Layout = { fmc: 0, bootloader: 1, tee: 2, snp: 3, microcode: 7, reserved: [4, 5, 6] };

function layoutOf(product: SnpProduct): Layout {
  return product === 'Turin' ? TURIN : MILAN_GENOA;
}

const byteOf = (raw: bigint, i: number): number => Number((raw >> BigInt(8 * i)) & 0xffn);

/**
 * Decodes a raw TCB_VERSION for `product`.
 * @throws AttestationError ERR_FORMAT when a reserved byte is not zero (often: the wrong product).
 */
export function decodeTcbVersion(raw: bigint, product: SnpProduct, field = 'TCB_VERSION'): TcbVersion {
  const l = layoutOf(product);
  for (const i of l.reserved) {
    if (byteOf(raw, i) !== 0) {
      throw new AttestationError('ERR_FORMAT', `${field} 0x${raw.toString(16).padStart(16, '0')}: reserved byte ${i} is not zero for ${product}`);
    }
  }
  const tcb = {
    bootloader: byteOf(raw, l.bootloader),
    tee: byteOf(raw, l.tee),
    snp: byteOf(raw, l.snp),
    microcode: byteOf(raw, l.microcode),
  };
  return Object.freeze(l.fmc === undefined ? tcb : { fmc: byteOf(raw, l.fmc), ...tcb });
}

/** Encodes a TCB_VERSION for `product` (the inverse of {@link decodeTcbVersion}). */
export function encodeTcbVersion(tcb: TcbVersion, product: SnpProduct): bigint {
  const l = layoutOf(product);
  let raw = 0n;
  const put = (i: number | undefined, v: number | undefined): void => {
    if (i === undefined || v === undefined) return;
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`TCB component ${v} is not a byte`);
    raw |= BigInt(v) << BigInt(8 * i);
  };
  put(l.bootloader, tcb.bootloader);
  put(l.tee, tcb.tee);
  put(l.snp, tcb.snp);
  put(l.microcode, tcb.microcode);
  put(l.fmc, tcb.fmc);
  return raw;
}

/** The TCB_VERSION as 16 hex digits (most significant first, as AMD tools print it). */
export function tcbHex(raw: bigint): string {
  return raw.toString(16).padStart(16, '0');
}
