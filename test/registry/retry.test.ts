/**
 * A registry that is briefly overloaded: GET and HEAD are asked again a few times (429, 502, 503,
 * 504; Retry-After honoured up to 5 s), never a request with a body, and not forever.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { RegistryClient, retryDelayMs } from '../../src/registry/client.js';

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"sha256:' + '0'.repeat(64) + '","size":2},"layers":[]}');

/** A registry that answers `busy` with the first `n` requests of each kind, then normally. */
async function flaky(n: number, busy: number): Promise<{ host: string; requests: string[]; close(): void }> {
  const requests: string[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const k = `${req.method}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
    if (seen.get(k)! <= n) {
      res.writeHead(busy, { 'Retry-After': '0' }).end('busy');
      return;
    }
    res.writeHead(req.method === 'PUT' ? 201 : 200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}` }).end(req.method === 'GET' ? MANIFEST : undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close() };
}

test('GET is asked again while the registry says 503, then succeeds', async () => {
  const r = await flaky(2, 503);
  try {
    const m = await new RegistryClient(r.host).getManifest('app', 'v1');
    assert.deepEqual(Buffer.from(m.bytes), MANIFEST);
    assert.equal(r.requests.filter((q) => q.startsWith('GET /v2/app/manifests')).length, 3);
  } finally {
    r.close();
  }
});

test('a registry that stays busy is given up on after three retries, with its status', async () => {
  const r = await flaky(100, 502);
  try {
    await assert.rejects(new RegistryClient(r.host).getManifest('app', 'v1'), (err: Error & { code?: string }) => err.code === 'ERR_REGISTRY_PROTOCOL' && /502/.test(err.message));
    assert.equal(r.requests.filter((q) => q.startsWith('GET /v2/app/manifests')).length, 4);
  } finally {
    r.close();
  }
});

test('a request with a body is not sent twice', async () => {
  const r = await flaky(1, 503);
  try {
    await assert.rejects(new RegistryClient(r.host).putManifest('app', 'v1', MANIFEST, 'application/vnd.oci.image.manifest.v1+json'), /503/);
    assert.equal(r.requests.filter((q) => q.startsWith('PUT')).length, 1);
  } finally {
    r.close();
  }
});

test('the pause: Retry-After seconds up to 5 s, else 200 ms doubling', () => {
  assert.equal(retryDelayMs('2', 0), 2000);
  assert.equal(retryDelayMs('3600', 0), 5000);
  assert.equal(retryDelayMs(undefined, 0), 200);
  assert.equal(retryDelayMs('soon', 2), 800);
});
