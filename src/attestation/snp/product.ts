/**
 * SEV-SNP products (processor generations) and how a report or certificate names them.
 *
 * The product decides the TCB_VERSION layout, the KDS URL path and the ARK, so it is settled
 * before any TCB field is decoded (AMD SEV-SNP ABI spec 1.58, §8.2 TCB_VERSION; family/model
 * ranges as trustee maps them).
 */

/** The SEV-SNP products AMD's KDS serves. */
export type SnpProduct = 'Milan' | 'Genoa' | 'Turin';

/** All products, oldest first. */
export const SNP_PRODUCTS: readonly SnpProduct[] = Object.freeze(['Milan', 'Genoa', 'Turin']);

/** True when `value` names a product exactly (`Milan`, `Genoa`, `Turin`). */
export function isSnpProduct(value: unknown): value is SnpProduct {
  return value === 'Milan' || value === 'Genoa' || value === 'Turin';
}

/**
 * The product of a report's CPUID_FAM_ID / CPUID_MOD_ID (v3+): family 19h models 00h–0Fh Milan,
 * 10h–1Fh Genoa; family 1Ah models 00h–11h Turin. Undefined for anything else (v2 reports carry
 * zeros here).
 */
export function productFromCpuid(family: number, model: number): SnpProduct | undefined {
  if (family === 0x19 && model <= 0x0f) return 'Milan';
  if (family === 0x19 && model >= 0x10 && model <= 0x1f) return 'Genoa';
  if (family === 0x1a && model <= 0x11) return 'Turin';
  return undefined;
}

/** The product of a VCEK/VLEK productName extension ("Milan-B0", "Genoa", "Turin", "Milan"). */
export function productFromName(productName: string): SnpProduct | undefined {
  const base = productName.split('-')[0];
  return isSnpProduct(base) ? base : undefined;
}

/**
 * The product an AMD CA's common name names: "ARK-Milan", "SEV-Genoa", "SEV-VLEK-Turin".
 */
export function productFromCaName(commonName: string): SnpProduct | undefined {
  const m = /^(?:ARK|ASK|SEV|SEV-VLEK)-(\w+)$/.exec(commonName);
  return m && isSnpProduct(m[1]) ? m[1] : undefined;
}

/**
 * Guesses the product from the CHIP_ID shape: Turin uses only its first 8 bytes, the other
 * products all 64. Undefined when the id is masked (all zero).
 */
export function productHintFromChipId(chipId: Uint8Array): 'Turin' | 'Milan or Genoa' | undefined {
  if (chipId.every((b) => b === 0)) return undefined;
  return chipId.subarray(8).every((b) => b === 0) ? 'Turin' : 'Milan or Genoa';
}
