/**
 * What a registry answers is bounded: a stalled body, oversized headers and error bodies, endless
 * tag pagination. Against a fake registry (node:http), so it runs without docker-registry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import { RegistryClient } from '../../src/registry/client.js';

let server: Server;
let host: string;
let errorBodyBytes = 0;
const D = `sha256:${'ab'.repeat(32)}`;

/** Writes `total` bytes as the client takes them, counting what it took. */
function pump(res: ServerResponse, total: number): void {
  const block = Buffer.alloc(64 * 1024, 'x');
  const more = (): void => {
    while (!res.destroyed && errorBodyBytes < total) {
      errorBodyBytes += block.length;
      if (!res.write(block)) return void res.once('drain', more);
    }
  };
  more();
}

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = Number(url.searchParams.get('last')?.slice(1) ?? -1) + 1;
    switch (url.pathname) {
      case '/v2/a/manifests/stall':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' }).write('{');
        return;
      case '/v2/a/manifests/big-header':
        res.writeHead(200, { 'x-filler': 'x'.repeat(40 * 1024) }).end('{}');
        return;
      case '/v2/a/manifests/error':
        res.writeHead(429, { 'content-type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down\\u0007"}]}');
        return;
      case '/v2/a/manifests/huge-error': // 64 MiB, unless the client stops reading
        res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(64 * 1024 * 1024) });
        pump(res, 64 * 1024 * 1024);
        return;
      case '/v2/a/tags/list': // three pages
        res.writeHead(200, n < 2 ? { link: `</v2/a/tags/list?n=1000&last=t${n}>; rel="next"` } : {}).end(JSON.stringify({ name: 'a', tags: [`t${n}`] }));
        return;
      case '/v2/endless/tags/list':
        res.writeHead(200, { link: `</v2/endless/tags/list?last=t${n}>; rel="next"` }).end(JSON.stringify({ tags: [`t${n}`] }));
        return;
      case '/v2/elsewhere/tags/list':
        res.writeHead(200, { link: '<http://127.0.0.2:1/v2/elsewhere/tags/list?last=x>; rel="next"' }).end(JSON.stringify({ tags: ['x'] }));
        return;
      case '/v2/bad/tags/list':
        res.writeHead(200).end(JSON.stringify({ tags: ['ok', 'not a tag'] }));
        return;
      case `/v2/a/referrers/${D}`: // an OCI 1.1 registry: an image index of referrers
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 10, artifactType: 'application/vnd.enarx.signature.v1', annotations: { k: 'v' } },
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 11, artifactType: 'application/vnd.example.sbom' },
          ],
        }));
        return;
      case `/v2/bad/referrers/${D}`:
        res.writeHead(200).end(JSON.stringify({ manifests: [{ mediaType: 'x/y', digest: D, size: -1 }] }));
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  host = `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('a body that stalls is cut after idleMs', { timeout: 5000 }, async () => {
  await assert.rejects(new RegistryClient(host, { idleMs: 300 }).getManifest('a', 'stall'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_REGISTRY_UNREACHABLE');
    assert.match(err.message, /stalled: no data for 300 ms/);
    return true;
  });
});

test('oversized headers and error bodies are bounded; the error code is kept, printable', async () => {
  await assert.rejects(new RegistryClient(host).getManifest('a', 'big-header'), { code: 'ERR_REGISTRY_PROTOCOL' });
  await assert.rejects(new RegistryClient(host).getManifest('a', 'error'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_REGISTRY_PROTOCOL');
    assert.match(err.message, /429 .*TOOMANYREQUESTS/);
    assert.doesNotMatch(err.message, /\x07/);
    return true;
  });
  await assert.rejects(new RegistryClient(host).getManifest('a', 'huge-error'), /answered 500/);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(errorBodyBytes < 16 * 1024 * 1024, `${errorBodyBytes} bytes of an error body were taken`);
});

test('tag lists follow Link pages, bounded, on the same origin, with valid tags only', async () => {
  const c = new RegistryClient(host);
  assert.deepEqual(await c.listTags('a'), ['t0', 't1', 't2']);
  await assert.rejects(c.listTags('endless'), { code: 'ERR_TOO_LARGE' });
  await assert.rejects(c.listTags('elsewhere'), { code: 'ERR_REDIRECT' });
  await assert.rejects(c.listTags('bad'), { code: 'ERR_REGISTRY_PROTOCOL' });
});

test('referrers: the index of an OCI 1.1 registry, filtered by artifactType, validated', async () => {
  const c = new RegistryClient(host);
  assert.deepEqual((await c.referrers('a', D))?.map((d) => d.size), [10, 11]);
  assert.deepEqual(await c.referrers('a', D, 'application/vnd.enarx.signature.v1'), [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 10, artifactType: 'application/vnd.enarx.signature.v1', annotations: { k: 'v' } },
  ]);
  await assert.rejects(c.referrers('bad', D), { code: 'ERR_REGISTRY_PROTOCOL' });
  assert.equal(await c.referrers('none', D), undefined);
});
