/**
 * `enarx steward` as an operator runs it: reference values added from a file, the service
 * started, a keep certified, an EAR token verified with jose against the JWKS, then the process
 * killed with SIGKILL and started again: same CA, the audit log intact.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { keepReportData } from '../../src/attestation/binding.js';
import { DEFAULT_SUITE } from '../../src/crypto/suites.js';
import { encodeEvidence } from '../../src/protocol/evidence.js';
import { REPO_ROOT } from '../support/vectors.js';
import { makeCsr, postCsr, REFERENCE, simPlatform, tempDir } from '../steward/support.js';

const ENARX = join(REPO_ROOT, 'bin', 'enarx');
const T = { timeout: 90_000 };
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `enarx steward serve` on a free loopback port; resolves with its URL. */
function serve(state: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(ENARX, ['steward', 'serve', '--listen', '127.0.0.1:0', '--state', state, '--allow-sim', '--trust-domain', 'example.org'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`steward exited (${code}): ${err}`)));
  });
}

function enarx(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(ENARX, args, { encoding: 'utf8', timeout: 30_000 });
}

test('steward serve: certify, EAR with jose, kill -9, restart with the same CA and log', T, async () => {
  const state = tempDir('steward-cli');
  const values = join(state, '..', `${Date.now()}-rv.json`);
  writeFileSync(values, JSON.stringify({ version: 1, values: [REFERENCE] }));
  const add = enarx('steward', 'reference-values', 'add', values, '--state', state);
  assert.equal(add.status, 0, add.stderr);
  assert.match(enarx('steward', 'reference-values', 'list', '--state', state).stdout, new RegExp(REFERENCE.measurement));

  const sim = simPlatform();
  const first = await serve(state);
  const ca = await (await fetch(`${first.url}/ca.pem`)).text();
  const { der } = await makeCsr(sim);
  assert.equal((await postCsr(first.url, der)).status, 200);

  // A relying party forwards a keep's evidence with the report data it expects, and a nonce.
  const nonce = randomBytes(32);
  const publicKey = randomBytes(32);
  const expected = keepReportData(nonce, DEFAULT_SUITE.kemId, publicKey);
  const evidence = await sim.attest(expected, { measurement: Buffer.from(REFERENCE.measurement, 'hex') });
  const res = await fetch(`${first.url}/attest`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ evidence: encodeEvidence(evidence), reportData: Buffer.from(expected).toString('hex'), nonce: nonce.toString('base64') }),
  });
  assert.equal(res.status, 200);
  const token = await res.text();
  const jwks = await (await fetch(`${first.url}/.well-known/jwks.json`)).json();
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]));
  assert.equal(protectedHeader.alg, 'ES384');
  const submods = payload['submods'] as Record<string, Record<string, unknown>>;
  const submod = Object.values(submods)[0]!;
  assert.equal(submod['ear_status'], 'warning', 'the simulator is never better than warning');

  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const second = await serve(state);
  assert.equal(await (await fetch(`${second.url}/ca.pem`)).text(), ca);
  const log = enarx('steward', 'audit', '--state', state, '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
  assert.deepEqual(log.map((e) => e.event), ['issued', 'ear']);
  second.child.kill('SIGTERM');
});
