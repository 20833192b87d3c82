/**
 * One entry point for every evidence format: detect, then dispatch to the SEV-SNP verifier or
 * the Intel DCAP (TDX / SGX) verifiers with the options that apply to each.
 */
import type { Appraisal, TcbStatus } from './appraisal.js';
import type { Collateral } from './dcap/collateral.js';
import { EVIDENCE_FORMATS, decodeEvidenceText, detectEvidenceFormat, type EvidenceFormat } from './detect.js';
import type { SignatureCache } from './pki/chain.js';
import { Certificate } from './pki/certificate.js';
import { derObjects, type PkiInput } from './pki/pem.js';
import type { SnpProduct } from './snp/product.js';
import type { TcbVersion } from './snp/tcb.js';
import { verifySnp } from './snp/verify.js';

/** Options of {@link verifyEvidence}: common policy plus per-format extras. */
export interface VerifyEvidenceOptions {
  /** Skip detection and treat the evidence as this format. */
  readonly format?: EvidenceFormat;
  /** Verification time. Default: now. */
  readonly now?: Date;
  readonly allowDebug?: boolean;
  /** Allowed measurements (SNP MEASUREMENT, TDX MRTD, SGX MRENCLAVE), hex. */
  readonly measurements?: readonly string[];
  /** Expected report data (hex or bytes). */
  readonly reportData?: string | Uint8Array;
  /** SNP: the VCEK/VLEK (+ ASK/ASVK, ARK). DCAP: the PCK chain when the quote lacks it. Parsed certificates are taken as they are. */
  readonly certs?: readonly (PkiInput | Certificate)[];
  /** SNP: extra trusted ARKs (AMD's stay trusted). DCAP: roots that replace the Intel SGX Root CA. */
  readonly trustRoots?: readonly (PkiInput | Certificate)[];
  /** CRLs, DER or PEM. */
  readonly crls?: readonly PkiInput[];
  readonly cache?: SignatureCache;
  /** DCAP: TCB info and QE identity (see `parseCollateral`). */
  readonly collateral?: Collateral;
  /** DCAP: TCB statuses to accept (default UpToDate). */
  readonly acceptStatus?: readonly TcbStatus[];
  /** DCAP: verify without collateral (TCB not evaluated). */
  readonly allowNoCollateral?: boolean;
  /** SNP only. */
  readonly minTcb?: Partial<TcbVersion>;
  /** SNP only. */
  readonly vmpl?: number;
  /** SNP only. */
  readonly allowMigrationAgent?: boolean;
  /** SNP only. */
  readonly allowSmt?: boolean;
  /** SNP only. */
  readonly product?: SnpProduct;
}

function ders(inputs: readonly (PkiInput | Certificate)[] | undefined, label: string): Uint8Array[] | undefined {
  return inputs === undefined ? undefined : inputs.flatMap((i) => (i instanceof Certificate ? [i.toDer()] : derObjects(i, [label])));
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Verifies evidence of any supported format (raw, hex or base64) and returns its Appraisal.
 * @throws AttestationError ERR_UNSUPPORTED when the format is not recognised, and every code of
 *   the format's verifier; TypeError for malformed options.
 */
export async function verifyEvidence(evidence: Uint8Array, options: VerifyEvidenceOptions = {}): Promise<Appraisal> {
  if (!(evidence instanceof Uint8Array)) throw new TypeError('verifyEvidence: evidence must be a Uint8Array');
  if (options.format !== undefined && !EVIDENCE_FORMATS.includes(options.format)) throw new TypeError(`format: unknown '${String(options.format)}'`);
  const bytes = decodeEvidenceText(evidence);
  const format = options.format ?? detectEvidenceFormat(bytes);
  const common = { now: options.now, allowDebug: options.allowDebug, measurements: options.measurements, reportData: options.reportData, cache: options.cache };
  if (format === 'snp') {
    return verifySnp(
      bytes,
      defined({
        ...common,
        certs: options.certs,
        trustRoots: options.trustRoots,
        crls: options.crls,
        minTcb: options.minTcb,
        vmpl: options.vmpl,
        allowMigrationAgent: options.allowMigrationAgent,
        allowSmt: options.allowSmt,
        product: options.product,
      }),
    );
  }
  const dcap = defined({
    ...common,
    collateral: options.collateral,
    acceptStatus: options.acceptStatus,
    allowNoCollateral: options.allowNoCollateral,
    crls: ders(options.crls, 'X509 CRL'),
    trustRoots: ders(options.trustRoots, 'CERTIFICATE'),
    pckCertChain: ders(options.certs, 'CERTIFICATE'),
  });
  // Loaded on demand: the DCAP collateral code (and its JSON schemas) is most of the verifier.
  if (format === 'tdx') return (await import('./tdx/verify.js')).verifyTdxQuote(bytes, dcap);
  return (await import('./sgx/verify.js')).verifySgxQuote(bytes, dcap);
}
