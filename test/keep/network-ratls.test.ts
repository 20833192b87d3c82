/**
 * End to end, RA-TLS: a keep (`enarx run`, the local sim platform) with a TLS listen socket
 * running test/workloads/c/net_http.c presents a certificate that carries its evidence, bound to
 * its TLS key. `verifyKeepTls` and `enarx attest tls` accept it against this installation's
 * reference values, and refuse it when told to accept another runtime only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import { loadReferenceValues } from '../../src/attestation/reference-values.js';
import { verifyKeepTls } from '../../src/client/keep-tls.js';
import type { KeepTrustPolicy } from '../../src/client/verify-keep.js';
import { enarxToml, freePort, startKeep } from '../support/keep-net.js';
import type { RunningKeep } from '../support/keep-net.js';
import { REPO_ROOT } from '../support/vectors.js';

const T = { timeout: 60_000 };
let keep: RunningKeep;
let port: number;

before(async () => {
  port = await freePort();
  const entry = ['kind = "listen"', 'name = "web"', 'prot = "tls"', 'addr = "127.0.0.1"', `port = ${port}`].join('\n');
  keep = await startKeep({ module: 'net_http.wasm', toml: enarxToml(entry), waitPort: port });
});
after(async () => {
  await keep?.stop();
});

/** `enarx ARGS...`, its exit status and output (killed after 30 s). */
function enarx(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The certificate's SHA-256 as a plain TLS client sees it. */
function servedFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256.replaceAll(':', '').toLowerCase());
      s.destroy();
    });
    s.once('error', reject);
  });
}

test('verifyKeepTls accepts the keep: sim evidence, this installation\'s runtime, the certificate it serves', T, async () => {
  const policy: KeepTrustPolicy = { sim: 'presented', referenceValues: await loadReferenceValues() };
  const accepted = await verifyKeepTls('127.0.0.1', port, policy);
  assert.equal(accepted.appraisal?.tee, 'sim');
  assert.equal(accepted.reference?.runtime, 'enarx-ts');
  assert.equal(accepted.fingerprintSha256, await servedFingerprint(), 'the certificate every connection gets');
  await assert.rejects(verifyKeepTls('127.0.0.1', port, { referenceValues: policy.referenceValues }), { code: 'ERR_POLICY' });
});

test('enarx attest tls accepts it with --allow-sim, and refuses another --measurement', T, async () => {
  const ok = await enarx('attest', 'tls', `127.0.0.1:${port}`, '--allow-sim');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^accepted: the keep at 127\.0\.0\.1:\d+\n/);
  assert.match(ok.stdout, /tee\s+sim\n/);
  assert.match(ok.stdout, /product\s+\S+/);
  assert.match(ok.stdout, /runtime\s+enarx-ts \S+ \(sim\)\n/);
  assert.match(ok.stdout, /measurement\s+[0-9a-f]{96}\n/);
  assert.match(ok.stdout, /certificate sha256\s+[0-9a-f]{64}\n/);

  const json = await enarx('attest', 'tls', `127.0.0.1:${port}`, '--allow-sim', '--json');
  assert.equal(json.status, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { tee: string; fingerprintSha256: string; measurement: string };
  assert.equal(out.tee, 'sim');
  assert.equal(out.fingerprintSha256, await servedFingerprint());
  assert.match(ok.stdout, new RegExp(out.measurement));

  const other = await enarx('attest', 'tls', `127.0.0.1:${port}`, '--allow-sim', '--measurement', '07'.repeat(48));
  assert.equal(other.status, 1);
  assert.match(other.stderr, /^enarx: .*\[ERR_MEASUREMENT\]\n$/);
  const noSim = await enarx('attest', 'tls', `127.0.0.1:${port}`, '--json');
  assert.equal(noSim.status, 1);
  assert.equal((JSON.parse(noSim.stderr) as { error: { code: string } }).error.code, 'ERR_POLICY');
  assert.equal((await enarx('attest', 'tls', 'no-port')).status, 2);
});

test('a keep without evidence (nil) serves a plain self-signed certificate, which is refused', T, async () => {
  const nilPort = await freePort();
  const entry = ['kind = "listen"', 'name = "web"', 'prot = "tls"', 'addr = "127.0.0.1"', `port = ${nilPort}`].join('\n');
  const nil = await startKeep({ module: 'net_http.wasm', toml: enarxToml(entry), waitPort: nilPort, backend: 'nil' });
  try {
    await assert.rejects(verifyKeepTls('127.0.0.1', nilPort, { sim: 'presented', insecureNil: true, referenceValues: [] }), { code: 'ERR_NO_EVIDENCE' });
    const r = await enarx('attest', 'tls', `127.0.0.1:${nilPort}`, '--allow-sim');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\[ERR_NO_EVIDENCE\]\n$/);
  } finally {
    await nil.stop();
  }
});

test('the keep still serves HTTPS with that certificate', T, async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => s.end('GET / HTTP/1.0\r\n\r\n'));
    let text = '';
    s.setEncoding('utf8').on('data', (d: string) => (text += d));
    s.once('end', () => resolve(text));
    s.once('error', reject);
  });
  assert.match(body, /hello from the keep/);
});
