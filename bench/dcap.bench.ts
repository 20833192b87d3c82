/**
 * DCAP verification benchmark: TDX quote verification with collateral (p50), cold (every
 * certificate and signature checked) and warm (a shared SignatureCache, as a long-running
 * verifier would use), against the floor of the ECDSA work a verifier cannot skip.
 *
 * Run after a build: `node dist/bench/dcap.bench.js`. Uses the self-made vectors, and the real
 * dcap-qvl TDX quote with its collateral when the shared vectors are present.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCollateral, parseTdxQuote, verifyTdxQuote, type DcapVerifyOptions } from '../src/attestation/dcap/index.js';
import { SignatureCache } from '../src/attestation/pki/index.js';
import { REPO_ROOT, VECTORS_DIR } from '../test/support/vectors.js';

/** One measured case. */
export interface BenchResult {
  readonly name: string;
  readonly p50Ms: number;
  readonly iterations: number;
}

async function p50(name: string, iterations: number, fn: () => unknown): Promise<BenchResult> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { name, p50Ms: samples[Math.floor(samples.length / 2)]!, iterations };
}

interface Subject {
  readonly label: string;
  readonly quote: Uint8Array;
  readonly opts: DcapVerifyOptions;
}

function subjects(): Subject[] {
  const own = (f: string) => new Uint8Array(readFileSync(join(REPO_ROOT, 'test', 'vectors', 'dcap', f)));
  const list: Subject[] = [
    {
      label: 'self-made TDX v4',
      quote: own('tdx-v4.dat'),
      opts: { now: new Date('2025-06-01'), trustRoots: [own('root.der')], collateral: parseCollateral(own('tdx-collateral.json')) },
    },
  ];
  if (VECTORS_DIR !== undefined) {
    const collateral = parseCollateral(readFileSync(join(VECTORS_DIR, 'tdx/dcap-qvl/tdx_quote_collateral.json'), 'utf8'));
    list.push({
      label: 'dcap-qvl TDX v4 (production chain, CRLs)',
      quote: new Uint8Array(readFileSync(join(VECTORS_DIR, 'tdx/dcap-qvl/tdx_quote'))),
      opts: { now: new Date('2025-07-19T09:00:00Z'), collateral },
    });
  }
  return list;
}

/** Measures p50s; printing is the caller's (bench/run.ts, or this file run directly). */
export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // The floor: the ECDSA P-256 verifications DCAP needs (quote, QE report, 3 PCK chain links,
  // TCB info, QE identity, 2 signing-chain links, 2 CRLs ≈ 11), measured on this machine.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = new Uint8Array(632);
  const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const floor = await p50('11 × ECDSA P-256 verify (floor)', 200, () => {
    for (let i = 0; i < 11; i++) verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  });
  results.push(floor);
  for (const s of subjects()) {
    results.push(await p50(`${s.label}: parse only`, 500, () => parseTdxQuote(s.quote)));
    results.push(await p50(`${s.label}: verify with collateral (cold)`, 200, () => verifyTdxQuote(s.quote, s.opts)));
    const cache = new SignatureCache();
    results.push(await p50(`${s.label}: verify with collateral (warm cache)`, 200, () => verifyTdxQuote(s.quote, { ...s.opts, cache })));
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await run();
  const floor = results[0]!.p50Ms;
  for (const r of results) {
    console.log(`${r.name.padEnd(62)} p50 ${r.p50Ms.toFixed(3).padStart(8)} ms  (${(r.p50Ms / floor).toFixed(2)}× floor)`);
  }
}
