/**
 * AMD's VCEK / VLEK certificate extensions (AMD "Versioned Chip Endorsement Key (VCEK)
 * Certificate and KDS Interface Specification", publication 57230, rev. 1.00; VLEK per the
 * "Versioned Loaded Endorsement Key" spec 58369), and matching them to a report.
 *
 * | OID (1.3.6.1.4.1.3704.) | name | value (extnValue contents) |
 * |---|---|---|
 * | 1.1 | structVersion | INTEGER (0 Milan/Genoa, 1 Turin) |
 * | 1.2 | productName | IA5String ("Milan-B0", "Genoa", "Turin"; VLEK "Milan") |
 * | 1.3.1 | blSPL | INTEGER |
 * | 1.3.2 | teeSPL | INTEGER |
 * | 1.3.3 | snpSPL | INTEGER |
 * | 1.3.8 | ucodeSPL | INTEGER (may be `02 02 00 D9`) |
 * | 1.3.9 | fmcSPL | INTEGER, Turin only |
 * | 1.4 | hwID | raw 64 bytes (8 on Turin); an OCTET STRING wrapper is accepted too |
 * | 1.5 | cspId | IA5String, VLEK only |
 */
import { AttestationError } from '../errors.js';
import { DerTag, contentOf, readTlv, unsignedInteger } from '../pki/der.js';
import { toHex } from '../pki/fingerprint.js';
import type { Certificate } from '../pki/certificate.js';
import { productFromName, type SnpProduct } from './product.js';
import type { SnpReport } from './report.js';
import type { TcbVersion } from './tcb.js';

const ARC = '1.3.6.1.4.1.3704.1';
/** AMD's certificate extension OIDs. */
export const AmdOid = {
  STRUCT_VERSION: `${ARC}.1`,
  PRODUCT_NAME: `${ARC}.2`,
  BL_SPL: `${ARC}.3.1`,
  TEE_SPL: `${ARC}.3.2`,
  SNP_SPL: `${ARC}.3.3`,
  UCODE_SPL: `${ARC}.3.8`,
  FMC_SPL: `${ARC}.3.9`,
  HW_ID: `${ARC}.4`,
  CSP_ID: `${ARC}.5`,
} as const;

/** What a VCEK or VLEK certifies, decoded from its extensions. */
export interface AmdKeyInfo {
  /** `VLEK` when the certificate carries a cspId or is named SEV-VLEK, else `VCEK`. */
  readonly kind: 'VCEK' | 'VLEK';
  readonly structVersion: number | undefined;
  readonly productName: string | undefined;
  readonly product: SnpProduct | undefined;
  /** The SPLs the key is derived for; absent components are undefined. */
  readonly spl: Partial<Record<keyof TcbVersion, number>>;
  /** hwID, lower-case hex (64 or 8 bytes); VCEK only. */
  readonly hwId: string | undefined;
  /** The cloud provider id; VLEK only. */
  readonly cspId: string | undefined;
}

function bad(cert: Certificate, what: string): never {
  throw new AttestationError('ERR_FORMAT', `${cert.commonName || 'AMD key certificate'}: malformed extension ${what}`);
}

function integerExt(cert: Certificate, oid: string, name: string): number | undefined {
  const v = cert.extensionValue(oid);
  if (v === undefined) return undefined;
  const tlv = readTlv(v, 0);
  if (tlv.tag !== DerTag.INTEGER || tlv.end !== v.length) bad(cert, name);
  const n = unsignedInteger(contentOf(v, tlv), name);
  if (n > 0xffffffffn) bad(cert, `${name} (too large)`);
  return Number(n);
}

function stringExt(cert: Certificate, oid: string, name: string): string | undefined {
  const v = cert.extensionValue(oid);
  if (v === undefined) return undefined;
  const tlv = readTlv(v, 0);
  if ((tlv.tag !== DerTag.IA5_STRING && tlv.tag !== DerTag.UTF8_STRING && tlv.tag !== DerTag.PRINTABLE_STRING) || tlv.end !== v.length) {
    bad(cert, name);
  }
  return Buffer.from(contentOf(v, tlv)).toString('utf8');
}

function hwIdExt(cert: Certificate): string | undefined {
  const v = cert.extensionValue(AmdOid.HW_ID);
  if (v === undefined) return undefined;
  // The value is normally the raw id. Lengths tell the forms apart unambiguously: 64/8 raw,
  // 66/10 an OCTET STRING around 64/8 bytes (trustee's "new" encoding).
  if (v.length === 64 || v.length === 8) return toHex(v);
  if ((v.length === 66 && v[0] === DerTag.OCTET_STRING && v[1] === 64) || (v.length === 10 && v[0] === DerTag.OCTET_STRING && v[1] === 8)) {
    return toHex(v.subarray(2));
  }
  bad(cert, `hwID (${v.length} bytes)`);
}

/**
 * Decodes the AMD extensions of a VCEK or VLEK.
 * @throws AttestationError ERR_FORMAT when an extension is malformed.
 */
export function amdKeyInfo(cert: Certificate): AmdKeyInfo {
  const cspId = stringExt(cert, AmdOid.CSP_ID, 'cspId');
  const productName = stringExt(cert, AmdOid.PRODUCT_NAME, 'productName');
  const kind = cspId !== undefined || cert.commonName === 'SEV-VLEK' || /CN=SEV-VLEK-/.test(cert.issuer) ? 'VLEK' : 'VCEK';
  const spl: Partial<Record<keyof TcbVersion, number>> = {};
  const put = (k: keyof TcbVersion, oid: string, name: string): void => {
    const n = integerExt(cert, oid, name);
    if (n !== undefined) spl[k] = n;
  };
  put('bootloader', AmdOid.BL_SPL, 'blSPL');
  put('tee', AmdOid.TEE_SPL, 'teeSPL');
  put('snp', AmdOid.SNP_SPL, 'snpSPL');
  put('microcode', AmdOid.UCODE_SPL, 'ucodeSPL');
  put('fmc', AmdOid.FMC_SPL, 'fmcSPL');
  return Object.freeze({
    kind,
    structVersion: integerExt(cert, AmdOid.STRUCT_VERSION, 'structVersion'),
    productName,
    product: productName === undefined ? undefined : productFromName(productName),
    spl: Object.freeze(spl),
    hwId: kind === 'VCEK' ? hwIdExt(cert) : undefined,
    cspId,
  });
}

function mismatch(message: string): never {
  throw new AttestationError('ERR_TCB_MISMATCH', message);
}

/**
 * Checks that the certificate is the key the report names and that it certifies the report's
 * REPORTED_TCB (every SPL, FMC too on Turin) and CHIP_ID (VCEK only; skipped when masked).
 * @throws AttestationError ERR_TCB_MISMATCH
 */
export function matchKeyToReport(info: AmdKeyInfo, report: SnpReport, product: SnpProduct, reportedTcb: TcbVersion): void {
  if (report.signingKey !== info.kind) {
    mismatch(`the report is signed by its ${report.signingKey}, but the certificate is a ${info.kind}`);
  }
  if (info.product !== undefined && info.product !== product) {
    mismatch(`the ${info.kind} is for ${info.productName}, the report is from ${product}`);
  }
  const components: (keyof TcbVersion)[] = ['bootloader', 'tee', 'snp', 'microcode'];
  if (product === 'Turin') components.unshift('fmc');
  for (const c of components) {
    const certified = info.spl[c];
    if (certified === undefined) mismatch(`the ${info.kind} has no ${c} SPL extension`);
    if (certified !== reportedTcb[c]) {
      mismatch(`REPORTED_TCB ${c} is ${reportedTcb[c]}, the ${info.kind} certifies ${certified}`);
    }
  }
  if (info.kind !== 'VCEK') return;
  const chipId = report.chipIdBytes();
  if (chipId.every((b) => b === 0)) return; // MASK_CHIP_ID: nothing to compare
  if (info.hwId === undefined) mismatch('the VCEK has no hwID extension');
  const idLength = product === 'Turin' ? 8 : 64;
  if (info.hwId.length !== idLength * 2) mismatch(`the VCEK hwID has ${info.hwId.length / 2} bytes, ${product} uses ${idLength}`);
  if (!chipId.subarray(idLength).every((b) => b === 0)) mismatch(`CHIP_ID bytes ${idLength}..63 are not zero on ${product}`);
  if (toHex(chipId.subarray(0, idLength)) !== info.hwId) mismatch('CHIP_ID does not match the VCEK hwID');
}
