/**
 * SEV-SNP verification benchmark (p50): parse only; verify cold (fresh cache: the RSA-4096 PSS
 * chain links and the report's ECDSA P-384 signature are all checked); verify warm (a shared
 * SignatureCache and a pre-parsed VCEK, as a long-running verifier would keep them; goal
 * ≤ 2 ms); and the floor, one ECDSA P-384 verification, which no verifier can skip.
 *
 * `run()` returns the rows; printing is the bench runner's job. Runnable directly after a build:
 * `node dist/bench/attestation.bench.js`.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCertificates } from '../src/attestation/pki/certificate.js';
import { SignatureCache } from '../src/attestation/pki/chain.js';
import { parseSnpReport } from '../src/attestation/snp/report.js';
import { verifySnpSync, type SnpVerifyOptions } from '../src/attestation/snp/verify.js';
import { REPO_ROOT, VECTORS_DIR } from '../test/support/vectors.js';

/** One measured case. */
export interface BenchRow {
  readonly name: string;
  readonly p50Ms: number;
  readonly iterations: number;
  /** The target for this case, when there is one. */
  readonly goalMs?: number;
}

function p50(name: string, iterations: number, fn: () => unknown, goalMs?: number): BenchRow {
  for (let i = 0; i < Math.min(20, iterations); i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { name, p50Ms: samples[Math.floor(samples.length / 2)]!, iterations, ...(goalMs === undefined ? {} : { goalMs }) };
}

interface Subject {
  readonly label: string;
  readonly report: Uint8Array;
  readonly opts: SnpVerifyOptions;
}

function subjects(): Subject[] {
  const own = (f: string): Uint8Array => new Uint8Array(readFileSync(join(REPO_ROOT, 'test', 'vectors', 'snp', f)));
  const list: Subject[] = [
    {
      label: 'self-made Milan v5',
      report: own('milan-report-v5.bin'),
      opts: { certs: [own('milan-vcek.der'), own('milan-ask.pem')], trustRoots: [own('milan-ark.pem')], now: new Date('2026-01-01Z') },
    },
  ];
  if (VECTORS_DIR !== undefined) {
    const v = (f: string): Uint8Array => new Uint8Array(readFileSync(join(VECTORS_DIR!, f)));
    list.push({
      label: 'virtee Milan v2 (AMD roots)',
      report: v('sev-snp/virtee-sev/report_milan.bin'),
      opts: { certs: [v('sev-snp/virtee-sev/vcek_milan.der')], now: new Date('2026-01-01Z') },
    });
  }
  return list;
}

/** Measures every case and returns the rows (nothing is printed). */
export function run(): BenchRow[] {
  const rows: BenchRow[] = [];
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const data = new Uint8Array(0x2a0);
  const sig = sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  rows.push(p50('1 × ECDSA P-384 verify (floor)', 500, () => verify('sha384', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)));
  for (const s of subjects()) {
    rows.push(p50(`${s.label}: parse only`, 2000, () => parseSnpReport(s.report)));
    rows.push(p50(`${s.label}: verify cold (chain included)`, 200, () => verifySnpSync(s.report, { ...s.opts, cache: new SignatureCache() })));
    const cache = new SignatureCache();
    const parsed = (list: unknown): ReturnType<typeof parseCertificates> =>
      (Array.isArray(list) ? (list as Uint8Array[]) : []).flatMap((c) => parseCertificates(c));
    const warm: SnpVerifyOptions = { ...s.opts, certs: parsed(s.opts.certs), trustRoots: parsed(s.opts.trustRoots), cache };
    rows.push(p50(`${s.label}: verify warm`, 1000, () => verifySnpSync(s.report, warm), 2));
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = run();
  const floor = rows[0]!.p50Ms;
  for (const r of rows) {
    const goal = r.goalMs === undefined ? '' : `  goal ≤ ${r.goalMs} ms: ${r.p50Ms <= r.goalMs ? 'met' : 'MISSED'}`;
    console.log(`${r.name.padEnd(52)} p50 ${r.p50Ms.toFixed(3).padStart(8)} ms  (${(r.p50Ms / floor).toFixed(2)}× floor)${goal}`);
  }
}
