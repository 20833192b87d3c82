/**
 * `enarx attest verify` end to end: spawns bin/enarx.js (which runs dist/src/cli/main.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, SKIP_NO_VECTORS, VECTORS_DIR } from '../support/vectors.js';

const SNP = join(REPO_ROOT, 'test', 'vectors', 'snp');
const NOW = '2026-01-01T00:00:00Z';

function enarx(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const selfArgs = (report: string): string[] => [
  'attest', 'verify',
  '--cert', join(SNP, 'milan-vcek.der'),
  '--cert', join(SNP, 'milan-ask.pem'),
  '--trust-root', join(SNP, 'milan-ark.pem'),
  '--now', NOW,
  join(SNP, report),
];

test('accepted evidence: exit 0, readable output', () => {
  const r = enarx(...selfArgs('milan-report-v5.bin'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^accepted: sev-snp evidence from Milan/);
  assert.match(r.stdout, /tcb status\s+UpToDate/);
});

test('--json prints the appraisal as JSON', () => {
  const r = enarx(...selfArgs('turin-report-v5.bin').map((a) => a.replace('milan-', 'turin-')), '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout) as { tee: string; product: string; tcb: Record<string, number>; chain: unknown[] };
  assert.equal(a.tee, 'sev-snp');
  assert.equal(a.product, 'Turin');
  assert.equal(a.tcb['fmc'], 1);
  assert.equal(a.chain.length, 3);
});

test('rejected evidence: exit 1 and the error code', () => {
  const debug = enarx(...selfArgs('milan-report-debug.bin'));
  assert.equal(debug.status, 1);
  assert.match(debug.stderr, /^enarx: .*\[ERR_DEBUG\]\n$/);
  assert.equal(enarx(...selfArgs('milan-report-debug.bin'), '--allow-debug').status, 0);
  const measurement = enarx(...selfArgs('milan-report-v5.bin'), '--measurement', '00'.repeat(48));
  assert.equal(measurement.status, 1);
  assert.match(measurement.stderr, /\[ERR_MEASUREMENT\]/);
  const revoked = enarx(...selfArgs('milan-report-v5.bin'), '--crl', join(SNP, 'milan-crl-ask-revoked.der'), '--json');
  assert.equal(revoked.status, 1);
  assert.equal((JSON.parse(revoked.stderr) as { error: { code: string } }).error.code, 'ERR_REVOKED');
  const untrusted = enarx('attest', 'verify', '--cert', join(SNP, 'milan-vcek.der'), '--cert', join(SNP, 'milan-ask.pem'), '--now', NOW, join(SNP, 'milan-report-v5.bin'));
  assert.equal(untrusted.status, 1);
  assert.match(untrusted.stderr, /\[ERR_CHAIN\]/);
});

test('usage errors exit 2; missing files are reported', () => {
  assert.equal(enarx('attest', 'verify').status, 2);
  assert.equal(enarx('attest', 'verify', '--format', 'xyz', 'f').status, 2);
  assert.equal(enarx('attest', 'verify', '--now', 'soon', 'f').status, 2);
  assert.equal(enarx('attest', 'frobnicate').status, 2);
  const missing = enarx('attest', 'verify', join(SNP, 'nope.bin'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /\[ERR_NOT_FOUND\]/);
  assert.equal(enarx('attest', '--help').status, 0);
});

test('real vectors: hex input, built-in AMD roots, expired VLEK', { skip: SKIP_NO_VECTORS }, () => {
  const v = (rel: string): string => join(VECTORS_DIR!, rel);
  const gcp = enarx('attest', 'verify', '--json', '--now', NOW, '--cert', v('sev-snp/teekit-gcp/sev-gcp-vcek.pem'), v('sev-snp/teekit-gcp/sev-gcp.hex'));
  assert.equal(gcp.status, 0, gcp.stderr);
  assert.equal((JSON.parse(gcp.stdout) as { product: string }).product, 'Milan');
  const vlek = enarx('attest', 'verify', '--cert', v('sev-snp/trustee/test-vlek.der'), v('sev-snp/trustee/test-vlek-report.bin'));
  assert.equal(vlek.status, 1);
  assert.match(vlek.stderr, /\[ERR_EXPIRED\]/);
  assert.equal(enarx('attest', 'verify', '--now', '2025-06-01T00:00:00Z', '--cert', v('sev-snp/trustee/test-vlek.der'), v('sev-snp/trustee/test-vlek-report.bin')).status, 0);
});

test('DCAP evidence without collateral names the flags that resolve it', () => {
  const DCAP = join(REPO_ROOT, 'test', 'vectors', 'dcap');
  for (const quote of ['tdx-v4.dat', 'sgx-v3.dat']) {
    const args = ['attest', 'verify', '--trust-root', join(DCAP, 'root.der'), '--now', '2025-06-01T00:00:00Z', join(DCAP, quote)];
    const refused = enarx(...args);
    assert.equal(refused.status, 1, quote);
    assert.match(refused.stderr, /\[ERR_COLLATERAL\]\n$/);
    assert.match(refused.stderr, /--allow-no-collateral/);
    assert.match(refused.stderr, /--collateral FILE/);
    assert.doesNotMatch(refused.stderr, /allowNoCollateral/);
    const allowed = enarx(...args, '--allow-no-collateral');
    assert.equal(allowed.status, 0, allowed.stderr);
  }
});
