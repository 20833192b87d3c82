/**
 * The steward's transport and limits: its own TLS, plain HTTP on loopback only, the rate limit
 * per address, and a policy file that does not parse.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveSteward } from '../../src/steward/http.js';
import { dnsNameAllowed, ipAllowed, parsePolicy } from '../../src/steward/policy.js';
import { RateLimiter } from '../../src/steward/rate-limit.js';
import { Steward } from '../../src/steward/steward.js';
import { tempDir } from './support.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const T = { timeout: 30_000 };

async function openSteward(): Promise<Steward> {
  return Steward.open({ stateDir: tempDir('steward-http'), policy: parsePolicy(undefined, { allowSim: true }) });
}

test('plain HTTP is refused off loopback', T, async () => {
  const steward = await openSteward();
  try {
    assert.throws(() => serveSteward(steward, { hostname: '0.0.0.0', port: 0 }), { code: 'ERR_BAD_REQUEST' });
  } finally {
    steward.close();
  }
});

test('the steward serves its own TLS', { ...T, skip: HAVE_OPENSSL ? false : 'openssl is not installed' }, async () => {
  const dir = tempDir('steward-tls');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  assert.equal(made.status, 0, made.stderr?.toString());
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const steward = await openSteward();
  const server = await serveSteward(steward, { hostname: '127.0.0.1', port: 0, tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
  try {
    assert.match(server.url, /^https:/);
    const body = await new Promise<string>((resolve, reject) => {
      request(`https://localhost:${server.port}/ca.pem`, { ca: cert }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(body, steward.ca.certPem);
  } finally {
    await server.close();
    steward.close();
  }
});

test('each address is rate-limited, with Retry-After', T, async () => {
  const steward = await openSteward();
  const server = await serveSteward(steward, { hostname: '127.0.0.1', port: 0, rateLimits: { perSecond: 1, burst: 3 } });
  try {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/ca.pem`);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(statuses.slice(3).includes(429));
    assert.equal(retryAfter, '1');
  } finally {
    await server.close();
    steward.close();
  }
});

test('the rate limiter refills, and bounds the addresses it remembers', () => {
  const limiter = new RateLimiter({ perSecond: 10, burst: 2, maxAddresses: 2 });
  assert.equal(limiter.take('a', 0), true);
  assert.equal(limiter.take('a', 0), true);
  assert.equal(limiter.take('a', 0), false);
  assert.equal(limiter.take('a', 100), true, 'a tenth of a second later: one more');
  assert.equal(limiter.take('b', 100), true);
  assert.equal(limiter.take('c', 100), false, 'the table is full of recent addresses');
  assert.equal(limiter.take('c', 10_000), true, 'quiet addresses are forgotten for new ones');
});

test('a policy file that does not parse is refused with the key that is wrong', () => {
  assert.throws(() => parsePolicy('lifetime = "forever"'), /lifetime/);
  assert.throws(() => parsePolicy('lifetime = "90d"'), /lifetime/);
  assert.throws(() => parsePolicy('allow_debug = "yes"'), /allow_debug/);
  assert.throws(() => parsePolicy('[names]\ndns = ["UPPER.example.com"]'), /names\.dns/);
  assert.throws(() => parsePolicy('unknown = 1'), { code: 'ERR_BAD_REQUEST' });
  assert.throws(() => parsePolicy(undefined, { trustDomain: 'Bad Domain' }), { code: 'ERR_BAD_REQUEST' });
  const p = parsePolicy('lifetime = "7d"\ntcb_status = ["UpToDate", "SWHardeningNeeded"]\n[min_tcb]\nsnp = 8\n[names]\ndns = ["*.keeps.example.com"]\n');
  assert.equal(p.lifetimeMs, 7 * 86_400_000);
  assert.deepEqual(p.acceptStatus, ['UpToDate', 'SWHardeningNeeded']);
  assert.deepEqual(p.minTcb, { snp: 8 });
  assert.equal(dnsNameAllowed(p, 'api.keeps.example.com'), true);
  assert.equal(dnsNameAllowed(p, 'a.b.keeps.example.com'), false, '"*." is one label');
  assert.equal(dnsNameAllowed(p, 'keeps.example.com'), false);
  assert.equal(dnsNameAllowed(p, 'localhost'), false, 'a policy with names replaces the default');
  const d = parsePolicy(undefined);
  assert.equal(ipAllowed(d, '0:0:0:0:0:0:0:1'), true, 'two spellings of ::1');
  assert.equal(ipAllowed(d, '10.0.0.1'), false);
});
