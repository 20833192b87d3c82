/**
 * Generates the self-made SEV-SNP test vectors in test/vectors/snp/: an AMD-shaped PKI
 * (ARK → ASK → VCEK and ARK → ASVK → VLEK; RSA-4096 RSASSA-PSS-SHA384 CAs, P-384 keys with
 * AMD's extensions) for Milan and Turin, CRLs, and reports signed by those keys.
 *
 * Run after a build: `node dist/test/vectors/snp/generate.js`. It rewrites every file (new keys
 * each time) and manifest.json, which the tests read for the expected values. The private keys
 * written here are test keys and protect nothing.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSnpReport, signSnpReport, type SnpReportFields } from '../../../src/attestation/snp/builder.js';
import { encodeTcbVersion, type TcbVersion } from '../../../src/attestation/snp/tcb.js';
import { encodePem } from '../../../src/attestation/pki/pem.js';
import type { SnpProduct } from '../../../src/attestation/snp/product.js';
import { REPO_ROOT } from '../../support/vectors.js';
import { int, ia5, octets } from '../../attestation/support/der-writer.js';
import { basicConstraints, buildCertificate, buildCrl, keyUsage, type ExtensionSpec } from '../../attestation/support/x509-builder.js';

const dn = (cn: string): [string, string][] => [
  ['OU', 'Engineering'],
  ['C', 'US'],
  ['L', 'Test'],
  ['ST', 'CA'],
  ['O', 'enarx-ts test vectors (not AMD)'],
  ['CN', cn],
];
const CA_FROM = new Date('2025-01-01T00:00:00Z');
const CA_TO = new Date('2050-01-01T00:00:00Z');
const KEY_FROM = new Date('2025-06-01T00:00:00Z');
const KEY_TO = new Date('2032-06-01T00:00:00Z');

const rsa = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('rsa', { modulusLength: 4096 });
const p384 = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-384' });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (seed: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff);

const AMD = '1.3.6.1.4.1.3704.1';
function amdExtensions(product: SnpProduct, tcb: TcbVersion, opts: { hwId?: Uint8Array; cspId?: string }): ExtensionSpec[] {
  const e = (oid: string, value: Uint8Array): ExtensionSpec => ({ oid: `${AMD}.${oid}`, value });
  const out = [
    e('1', int(product === 'Turin' ? 1 : 0)),
    e('2', ia5(opts.cspId !== undefined ? product : product === 'Milan' ? 'Milan-B0' : product)),
    e('3.1', int(tcb.bootloader)),
    e('3.2', int(tcb.tee)),
    e('3.3', int(tcb.snp)),
    e('3.8', int(tcb.microcode)),
  ];
  if (product === 'Turin') out.push(e('3.9', int(tcb.fmc ?? 0)));
  else out.push(e('3.4', int(0)), e('3.5', int(0)), e('3.6', int(0)), e('3.7', int(0)));
  if (opts.hwId) out.push(e('4', opts.hwId));
  if (opts.cspId !== undefined) out.push(e('5', ia5(opts.cspId)));
  return out;
}

interface ProductSet {
  readonly product: SnpProduct;
  readonly tcb: TcbVersion;
  readonly chipId: Uint8Array;
}

/** Writes every vector for one product and returns its manifest entries. */
function generateProduct(dir: string, set: ProductSet): Record<string, unknown> {
  const { product, tcb } = set;
  const p = product.toLowerCase();
  const ark = rsa();
  const ask = rsa();
  const asvk = rsa();
  const vcek = p384();
  const vlek = p384();
  const pss = 'rsa-pss-sha384' as const;
  const caExt = [basicConstraints(true), keyUsage([5, 6])];
  const interExt = [basicConstraints(true, 0), keyUsage([5])];
  const arkDer = buildCertificate({ subject: dn(`ARK-${product}`), serial: 0x10000, notBefore: CA_FROM, notAfter: CA_TO, publicKey: ark.publicKey, signingKey: ark.privateKey, alg: pss, extensions: caExt });
  const askDer = buildCertificate({ subject: dn(`SEV-${product}`), issuer: dn(`ARK-${product}`), serial: 0x10001, notBefore: CA_FROM, notAfter: CA_TO, publicKey: ask.publicKey, signingKey: ark.privateKey, alg: pss, extensions: interExt });
  const asvkDer = buildCertificate({ subject: dn(`SEV-VLEK-${product}`), issuer: dn(`ARK-${product}`), serial: 0x10002, notBefore: CA_FROM, notAfter: CA_TO, publicKey: asvk.publicKey, signingKey: ark.privateKey, alg: pss, extensions: interExt });
  const hwId = product === 'Turin' ? set.chipId.subarray(0, 8) : set.chipId;
  const vcekDer = buildCertificate({ subject: dn('SEV-VCEK'), issuer: dn(`SEV-${product}`), serial: 0, notBefore: KEY_FROM, notAfter: KEY_TO, publicKey: vcek.publicKey, signingKey: ask.privateKey, alg: pss, extensions: amdExtensions(product, tcb, { hwId }) });
  const vlekDer = buildCertificate({ subject: dn('SEV-VLEK'), issuer: dn(`SEV-VLEK-${product}`), serial: 0, notBefore: KEY_FROM, notAfter: KEY_TO, publicKey: vlek.publicKey, signingKey: asvk.privateKey, alg: pss, extensions: amdExtensions(product, tcb, { cspId: 'cn=test.enarx.invalid' }) });
  const crlRevoked = buildCrl({ issuer: dn(`ARK-${product}`), thisUpdate: new Date('2025-12-01Z'), nextUpdate: new Date('2026-12-01Z'), revoked: [{ serial: 0x10001, date: new Date('2025-12-01Z') }], signingKey: ark.privateKey, alg: pss, crlNumber: 2 });
  const crlEmpty = buildCrl({ issuer: dn(`ARK-${product}`), thisUpdate: new Date('2025-12-01Z'), nextUpdate: new Date('2026-12-01Z'), signingKey: ark.privateKey, alg: pss, crlNumber: 1 });

  const write = (name: string, data: Uint8Array | string): void => writeFileSync(join(dir, name), data);
  write(`${p}-ark.pem`, encodePem('CERTIFICATE', arkDer));
  write(`${p}-ask.pem`, encodePem('CERTIFICATE', askDer));
  write(`${p}-asvk.pem`, encodePem('CERTIFICATE', asvkDer));
  write(`${p}-vcek.der`, vcekDer);
  write(`${p}-vlek.der`, vlekDer);
  write(`${p}-vcek-key.pem`, vcek.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  write(`${p}-vlek-key.pem`, vlek.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  write(`${p}-crl-ask-revoked.der`, crlRevoked);
  write(`${p}-crl-empty.der`, crlEmpty);

  const raw = encodeTcbVersion(tcb, product);
  const base: SnpReportFields = {
    product,
    guestSvn: 3,
    reportedTcb: raw,
    chipId: product === 'Turin' ? Uint8Array.of(...hwId, ...new Uint8Array(56)) : set.chipId,
    measurement: bytes(1, 48),
    reportData: bytes(2, 64),
    hostData: bytes(3, 32),
    reportId: bytes(4, 32),
    currentVersion: { major: 1, minor: 55, build: 21 },
  };
  const reports: Record<string, SnpReportFields> = {
    [`${p}-report-v5.bin`]: { ...base, version: 5, launchMitVector: 3n, currentMitVector: 3n },
    [`${p}-report-v3.bin`]: { ...base, version: 3 },
    [`${p}-report-debug.bin`]: { ...base, version: 5, policy: 0x0b0000 },
    [`${p}-report-vlek.bin`]: { ...base, version: 5, signingKey: 'VLEK', chipId: new Uint8Array(64), vmpl: 1 },
  };
  if (product !== 'Turin') reports[`${p}-report-v2.bin`] = { ...base, version: 2 };
  for (const [name, fields] of Object.entries(reports)) {
    const key = fields.signingKey === 'VLEK' ? vlek.privateKey : vcek.privateKey;
    write(name, signSnpReport(buildSnpReport(fields), key));
  }
  return {
    product,
    tcb,
    reportedTcb: raw.toString(16).padStart(16, '0'),
    chipId: hex(set.chipId),
    hwId: hex(hwId),
    measurement: hex(base.measurement!),
    reportData: hex(base.reportData!),
    askSerial: '10001',
    reports: Object.keys(reports),
  };
}

/** Generates all vectors into `dir`. */
export function generate(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    generatedBy: 'test/vectors/snp/generate.ts',
    now: '2026-01-01T00:00:00Z',
    milan: generateProduct(dir, { product: 'Milan', tcb: { bootloader: 4, tee: 0, snp: 24, microcode: 217 }, chipId: bytes(9, 64) }),
    turin: generateProduct(dir, { product: 'Turin', tcb: { fmc: 1, bootloader: 2, tee: 0, snp: 3, microcode: 72 }, chipId: bytes(11, 8) }),
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generate(join(REPO_ROOT, 'test', 'vectors', 'snp'));
  process.stdout.write('wrote test/vectors/snp/\n');
}
