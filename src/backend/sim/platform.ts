/**
 * What the simulated SEV-SNP platform is: one table of the values a real AMD part and its
 * firmware would decide, and the AMD-shaped PKI it issues for itself on first use.
 *
 * The PKI has the shape of AMD's KDS (VCEK spec, publication 57230):
 *
 * | cert | key | signed by | extensions |
 * |---|---|---|---|
 * | ARK-Milan | RSA-4096 | itself, RSASSA-PSS SHA-384 salt 48 | keyUsage (critical) keyCertSign cRLSign, subjectKeyIdentifier, basicConstraints (critical) cA |
 * | SEV-Milan (ASK) | RSA-4096 | ARK, same | subjectKeyIdentifier, authorityKeyIdentifier, basicConstraints (critical) cA pathLen 0, keyUsage (critical) keyCertSign |
 * | SEV-VCEK | EC P-384 | ASK, same | AMD 1.3.6.1.4.1.3704.1: .1 structVersion 0, .2 productName "Milan-B0", .3.1 blSPL, .3.2 teeSPL, .3.4–.3.7 reserved SPLs 0, .3.3 snpSPL, .3.8 ucodeSPL, .4 hwID (the 64-byte chip id) |
 *
 * Unlike AMD's, the names say O=enarx-ts simulated SEV-SNP (not AMD), there are no CRL
 * distribution points (no KDS serves this platform), and the ARK is trusted by nobody unless
 * a verifier is told to.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { newEcPrivateKey } from '../../crypto/fresh-keys.js';
import { promisify } from 'node:util';
import type { SnpFirmwareVersion } from '../../attestation/snp/report.js';
import type { SnpProduct } from '../../attestation/snp/product.js';
import type { TcbVersion } from '../../attestation/snp/tcb.js';
import { ia5, int } from '../../attestation/pki/der-writer.js';
import {
  authorityKeyIdentifier,
  basicConstraintsCa,
  issueCertificate,
  keyUsageCa,
  subjectKeyIdentifier,
  type ExtensionSpec,
  type NameSpec,
} from './x509.js';

/** The values the simulated part and firmware stand for. */
export const SIM_PLATFORM = Object.freeze({
  product: 'Milan' as SnpProduct,
  /** VCEK productName, as AMD writes it for Milan parts. */
  productName: 'Milan-B0',
  /** REPORTED_TCB = CURRENT_TCB = COMMITTED_TCB = LAUNCH_TCB; the VCEK certifies exactly this. */
  reportedTcb: Object.freeze({ bootloader: 4, tee: 0, snp: 24, microcode: 219 }) as TcbVersion,
  /** SNP firmware 1.55.21, which writes version 3 reports (with CPUID fields). */
  firmware: Object.freeze({ major: 1, minor: 55, build: 21 }) as SnpFirmwareVersion,
  reportVersion: 3 as const,
  /**
   * Guest POLICY: ABI 0.0 (any firmware), bit 16 SMT allowed, bit 17 reserved-must-be-one,
   * bit 18 MIGRATE_MA off, bit 19 DEBUG off, bit 20 SINGLE_SOCKET off.
   */
  policy: 0x30000,
  /** PLATFORM_INFO: SMT_EN, ECC_EN, ALIAS_CHECK_COMPLETE. */
  platformInfo: 0x25n,
  /** Reports are requested at VMPL 0 and signed with the VCEK. */
  vmpl: 0,
});

const RSA_BITS = 4096;
const DAY_MS = 86_400_000;
/** Back-dating tolerates clocks that lag the host's a little. */
const BACKDATE_MS = DAY_MS;
const CA_YEARS = 25;
const VCEK_YEARS = 7;

/** A DER certificate with its private key. */
export interface IssuedKey {
  readonly der: Uint8Array;
  readonly privateKey: KeyObject;
}

/** The simulated platform's PKI. */
export interface SimPki {
  readonly ark: IssuedKey;
  readonly ask: IssuedKey;
  readonly vcek: IssuedKey;
}

const name = (cn: string): NameSpec => [
  ['OU', 'enarx-ts sim'],
  ['O', 'enarx-ts simulated SEV-SNP (not AMD)'],
  ['CN', cn],
];

const years = (from: Date, n: number): Date => {
  const d = new Date(from.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + n);
  return d;
};

/** A random positive serial number of 64 bits. */
function serial(): bigint {
  const b = randomBytes(8);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.readBigUInt64BE();
}

const AMD_ARC = '1.3.6.1.4.1.3704.1';

/** The VCEK's AMD extensions, in the order AMD's KDS writes them. */
export function vcekExtensions(productName: string, tcb: TcbVersion, chipId: Uint8Array): ExtensionSpec[] {
  const e = (arc: string, value: Uint8Array): ExtensionSpec => ({ oid: `${AMD_ARC}.${arc}`, value });
  return [
    e('1', int(0)),
    e('2', ia5(productName)),
    e('3.1', int(tcb.bootloader)),
    e('3.2', int(tcb.tee)),
    e('3.4', int(0)),
    e('3.5', int(0)),
    e('3.6', int(0)),
    e('3.7', int(0)),
    e('3.3', int(tcb.snp)),
    e('3.8', int(tcb.microcode)),
    e('4', chipId),
  ];
}

const generate = promisify(generateKeyPair);

/**
 * An RSA pair from a key-generation job (RSA needs primes), taken as DER and imported again: the
 * KeyObjects used share nothing with the job, which takes its own key's lock when the collector
 * destroys it (crypto/fresh-keys.ts says why that matters).
 */
async function newRsaKeyPair(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const { privateKey } = await generate('rsa', { modulusLength: RSA_BITS, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
  try {
    const key = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
    return { privateKey: key, publicKey: createPublicKey(key) };
  } finally {
    privateKey.fill(0);
  }
}

/** The VCEK's P-384 pair, made without a key-generation job (crypto/fresh-keys.ts says why). */
function newEcKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = newEcPrivateKey('P-384');
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Creates an ARK → ASK → VCEK chain for a part with `chipId` at `reportedTcb`, valid from a
 * day before `now`. The two RSA-4096 keys take a few seconds (off the main thread).
 */
export async function createSimPki(facts: { chipId: Uint8Array; reportedTcb: TcbVersion }, now: Date): Promise<SimPki> {
  const [ark, ask, vcek] = await Promise.all([
    newRsaKeyPair(),
    newRsaKeyPair(),
    newEcKeyPair(),
  ]);
  const from = new Date(now.getTime() - BACKDATE_MS);
  const product = SIM_PLATFORM.product;
  const arkName = name(`ARK-${product}`);
  const askName = name(`SEV-${product}`);
  const arkDer = issueCertificate(
    {
      subject: arkName,
      issuer: arkName,
      serial: serial(),
      notBefore: from,
      notAfter: years(from, CA_YEARS),
      publicKey: ark.publicKey,
      extensions: [keyUsageCa(true), subjectKeyIdentifier(ark.publicKey), basicConstraintsCa()],
    },
    ark.privateKey,
  );
  const askDer = issueCertificate(
    {
      subject: askName,
      issuer: arkName,
      serial: serial(),
      notBefore: from,
      notAfter: years(from, CA_YEARS),
      publicKey: ask.publicKey,
      extensions: [subjectKeyIdentifier(ask.publicKey), authorityKeyIdentifier(ark.publicKey), basicConstraintsCa(0), keyUsageCa(false)],
    },
    ark.privateKey,
  );
  const vcekDer = issueCertificate(
    {
      subject: name('SEV-VCEK'),
      issuer: askName,
      serial: 0n, // AMD's VCEKs all have serial 0
      notBefore: from,
      notAfter: years(from, VCEK_YEARS),
      publicKey: vcek.publicKey,
      extensions: vcekExtensions(SIM_PLATFORM.productName, facts.reportedTcb, facts.chipId),
    },
    ask.privateKey,
  );
  return {
    ark: { der: arkDer, privateKey: ark.privateKey },
    ask: { der: askDer, privateKey: ask.privateKey },
    vcek: { der: vcekDer, privateKey: vcek.privateKey },
  };
}
