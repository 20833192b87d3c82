/**
 * A client that delegates the appraisal of a keep to a steward it pinned (by its JWKS): accepted
 * only when the steward's token, signed by a pinned key, accepts exactly this report data and
 * nonce; `enarx deploy --steward` end to end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { keepReportData } from '../../src/attestation/binding.js';
import { loadReferenceValues } from '../../src/attestation/reference-values.js';
import type { Backend } from '../../src/backend/index.js';
import { attestWithSteward } from '../../src/client/steward.js';
import type { StewardTrust } from '../../src/client/steward.js';
import { DEFAULT_SUITE } from '../../src/crypto/suites.js';
import type { StewardServer } from '../../src/steward/http.js';
import type { Steward } from '../../src/steward/steward.js';
import { REPO_ROOT } from '../support/vectors.js';
import { MEASUREMENT, simPlatform, startSteward, tempDir } from '../steward/support.js';

const T = { timeout: 60_000 };
let sim: Backend;
let steward: Steward;
let server: StewardServer;
let trust: StewardTrust;

before(async () => {
  sim = simPlatform();
  ({ steward, server } = await startSteward());
  trust = { url: server.url, jwks: steward.jwks(), allowSim: true };
});
after(async () => {
  await server.close();
  steward.close();
});

async function keep(measurement = MEASUREMENT) {
  const nonce = randomBytes(32);
  const expected = keepReportData(nonce, DEFAULT_SUITE.kemId, randomBytes(32));
  return { nonce, expected, evidence: await sim.attest(expected, { measurement }) };
}

test('the steward accepts a known runtime, and says which', T, async () => {
  const k = await keep();
  const accepted = await attestWithSteward(k.evidence, k.expected, k.nonce, trust);
  assert.equal(accepted.appraisal?.tee, 'sim');
  assert.equal(accepted.reference?.release, '9.9.9');
  assert.equal(accepted.appraisal?.reportData, Buffer.from(k.expected).toString('hex'));
});

test('refusals: the simulator not allowed here, an unknown runtime, other report data', T, async () => {
  const k = await keep();
  await assert.rejects(attestWithSteward(k.evidence, k.expected, k.nonce, { ...trust, allowSim: false }), { code: 'ERR_STEWARD_REFUSED' });
  const unknown = await keep(new Uint8Array(48).fill(3));
  await assert.rejects(attestWithSteward(unknown.evidence, unknown.expected, unknown.nonce, trust), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_STEWARD_REFUSED');
    assert.match(err.message, /ERR_MEASUREMENT/);
    return true;
  });
  await assert.rejects(attestWithSteward(k.evidence, new Uint8Array(64), k.nonce, trust), (err: Error) => /ERR_REPORT_DATA/.test(err.message));
});

test("a token signed by a key that is not pinned, or for another nonce, is refused", T, async () => {
  const other = await startSteward();
  try {
    const k = await keep();
    await assert.rejects(attestWithSteward(k.evidence, k.expected, k.nonce, { ...trust, url: other.server.url }), { code: 'ERR_EAR_SIGNATURE' });
  } finally {
    await other.server.close();
    other.steward.close();
  }
  // A "steward" that answers an old token (for another nonce) is caught by the nonce.
  const k = await keep();
  const old = await attestWithSteward(k.evidence, k.expected, k.nonce, trust);
  const { createServer } = await import('node:http');
  const replayer = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/jwt' }).end(old.token));
  await new Promise<void>((r) => replayer.listen(0, '127.0.0.1', r));
  try {
    const port = (replayer.address() as { port: number }).port;
    await assert.rejects(attestWithSteward(k.evidence, k.expected, randomBytes(32), { ...trust, url: `http://127.0.0.1:${port}/` }), { code: 'ERR_EAR_NONCE' });
  } finally {
    replayer.close();
  }
  await assert.rejects(attestWithSteward(k.evidence, k.expected, k.nonce, { ...trust, url: 'http://steward.example.com/' }), { code: 'ERR_STEWARD_UNREACHABLE' });
});

test('enarx deploy --steward: the steward decides, and the workload runs', T, async () => {
  steward.state.addReferenceValues(await loadReferenceValues());
  const dir = tempDir('deploy-steward');
  const jwks = join(dir, 'steward.jwks.json');
  writeFileSync(jwks, JSON.stringify(steward.jwks()));
  const hello = join(REPO_ROOT, 'examples', 'hello', 'hello.wasm');
  // Not spawnSync: the steward answers from this process's event loop.
  const run = (...extra: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'deploy', '--steward', server.url, '--steward-jwks', jwks, ...extra, hello], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
  const ok = await run('--allow-sim');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Hello from inside a keep!/);
  const refused = await run();
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /ERR_STEWARD_REFUSED/);
});
