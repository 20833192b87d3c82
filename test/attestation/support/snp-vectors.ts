/**
 * Access to the self-made SEV-SNP vectors (test/vectors/snp/, see its README) and helpers to
 * sign report variants with their committed test keys.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSnpReport, signSnpReport, type SnpReportFields } from '../../../src/attestation/snp/builder.js';
import type { SnpVerifyOptions } from '../../../src/attestation/snp/verify.js';
import { SignatureCache } from '../../../src/attestation/pki/chain.js';
import { REPO_ROOT } from '../../support/vectors.js';

/** Folder of the self-made SNP vectors. */
export const SELF_DIR = join(REPO_ROOT, 'test', 'vectors', 'snp');

/** Reads a self-made vector. */
export function readSelf(name: string): Buffer {
  return readFileSync(join(SELF_DIR, name));
}

interface ProductManifest {
  readonly product: 'Milan' | 'Turin';
  readonly tcb: Record<string, number>;
  readonly reportedTcb: string;
  readonly chipId: string;
  readonly hwId: string;
  readonly measurement: string;
  readonly reportData: string;
  readonly askSerial: string;
  readonly reports: readonly string[];
}

/** manifest.json of the self-made vectors. */
export const SELF_MANIFEST = JSON.parse(readFileSync(join(SELF_DIR, 'manifest.json'), 'utf8')) as {
  readonly now: string;
  readonly milan: ProductManifest;
  readonly turin: ProductManifest;
};

/** The verification time the self-made vectors are meant for. */
export const SELF_NOW = new Date(SELF_MANIFEST.now);

/** One signature cache for all tests of a file (keeps fast-check runs quick). */
export const SHARED_CACHE = new SignatureCache();

/** Options that verify the product's self-made reports: its VCEK (or VLEK) + ASK (or ASVK), its ARK trusted. */
export function selfOptions(p: 'milan' | 'turin', key: 'vcek' | 'vlek' = 'vcek', extra: SnpVerifyOptions = {}): SnpVerifyOptions {
  return {
    certs: [readSelf(`${p}-${key}.der`), readSelf(`${p}-${key === 'vcek' ? 'ask' : 'asvk'}.pem`)],
    trustRoots: [readSelf(`${p}-ark.pem`)],
    now: SELF_NOW,
    cache: SHARED_CACHE,
    ...extra,
  };
}

/** The committed private key of the product's VCEK or VLEK. */
export function selfKey(p: 'milan' | 'turin', key: 'vcek' | 'vlek' = 'vcek'): KeyObject {
  return createPrivateKey(readSelf(`${p}-${key}-key.pem`));
}

/** A report with the product's genuine defaults (TCB, chip id...) overridden by `fields`, signed. */
export function signedVariant(p: 'milan' | 'turin', fields: SnpReportFields = {}, key: 'vcek' | 'vlek' = 'vcek'): Uint8Array {
  const m = SELF_MANIFEST[p];
  const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
  const base: SnpReportFields = {
    product: m.product,
    reportedTcb: BigInt('0x' + m.reportedTcb),
    chipId: key === 'vlek' ? new Uint8Array(64) : Uint8Array.of(...hex(m.hwId), ...new Uint8Array(64 - m.hwId.length / 2)),
    measurement: hex(m.measurement),
    reportData: hex(m.reportData),
    signingKey: key === 'vcek' ? 'VCEK' : 'VLEK',
  };
  return signSnpReport(buildSnpReport({ ...base, ...fields }), selfKey(p, key));
}
