/**
 * The registry client against a real CNCF distribution 2.8 registry, and against proxies and
 * servers that cut, tamper, lie, redirect or stall.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../src/registry/client.js';
import { SKIP, freePort, startRegistry } from '../support/registry.js';
import type { TestRegistry } from '../support/registry.js';
import { cutProxy, endlessServer, redirectServer, rewritingProxy, silentServer, uploadServer } from '../support/registry-fakes.js';

const MIB = 1024 * 1024;
const T = { skip: SKIP, timeout: 20_000 };
let reg: TestRegistry;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enarx-registry-client-'));
  if (SKIP === false) reg = await startRegistry();
});
after(async () => {
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function blobOf(bytes: Uint8Array): { digest: string; size: number; bytes: Uint8Array } {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}

function manifestOf(config: { digest: string; size: number }, layers: { digest: string; size: number }[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.enarx.package.v1',
    config: { mediaType: 'application/vnd.wasm.config.v0+json', ...config },
    layers: layers.map((l) => ({ mediaType: 'application/wasm', ...l })),
  }));
}

/** Pushes a random blob of `size` bytes to `repo` directly; returns it. */
async function seed(repo: string, size: number): Promise<{ digest: string; size: number; bytes: Uint8Array }> {
  const blob = blobOf(randomBytes(size));
  const c = new RegistryClient(reg.registry);
  await c.pushBlob(repo, blob);
  return blob;
}

test('pushes and pulls blobs and a manifest; tags, HEAD, referrers (none on 2.8)', T, async () => {
  const c = new RegistryClient(reg.registry);
  assert.equal(c.origin, reg.url);
  const config = blobOf(new TextEncoder().encode('{"enarx":1}'));
  const layerBytes = randomBytes(300 * 1024);
  const layerPath = join(dir, 'layer.bin');
  writeFileSync(layerPath, layerBytes);
  const layer = { ...blobOf(layerBytes), bytes: undefined, path: layerPath };
  assert.equal(await c.hasBlob('app/demo', config.digest), undefined);
  await c.pushBlob('app/demo', config);
  const seen: number[] = [];
  await c.pushBlob('app/demo', layer, { onProgress: (n) => seen.push(n) });
  assert.equal(seen.at(-1), layer.size);
  assert.equal(await c.hasBlob('app/demo', layer.digest), layer.size);
  await c.pushBlob('app/demo', layer); // present: skipped

  const manifest = manifestOf(config, [layer]);
  const digest = await c.putManifest('app/demo', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(digest, blobOf(manifest).digest);
  const byTag = await c.getManifest('app/demo', 'v1', ['application/vnd.oci.image.manifest.v1+json']);
  assert.deepEqual(byTag, { bytes: new Uint8Array(manifest), digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  assert.equal((await c.getManifest('app/demo', digest)).digest, digest);
  assert.deepEqual(await c.headManifest('app/demo', 'v1'), { digest, size: manifest.length, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  assert.equal(await c.headManifest('app/demo', 'nope'), undefined);
  await c.putManifest('app/demo', 'v2', manifest, 'application/vnd.oci.image.manifest.v1+json');
  assert.deepEqual((await c.listTags('app/demo')).sort(), ['v1', 'v2']);
  assert.equal(await c.referrers('app/demo', digest), undefined);

  await c.pullBlob('app/demo', layer, join(dir, 'pulled.bin'));
  assert.deepEqual(readFileSync(join(dir, 'pulled.bin')), layerBytes);
  assert.equal(existsSync(join(dir, 'pulled.bin.partial')), false);
  await assert.rejects(c.getManifest('app/demo', 'missing'), { code: 'ERR_NOT_FOUND' });
  await assert.rejects(c.pullBlob('app/demo', blobOf(randomBytes(8)), join(dir, 'x')), { code: 'ERR_NOT_FOUND' });
  await assert.rejects(c.listTags('app/none'), { code: 'ERR_NOT_FOUND' });
  assert.throws(() => new RegistryClient('bad/host'), TypeError);
  await assert.rejects(c.getManifest('Bad Name', 'v1'), TypeError);
});

test('a 100 MiB blob goes up in chunks and comes down with bounded memory', { ...T, timeout: 60_000 }, async (t) => {
  const path = join(dir, 'big.bin');
  const fh = await open(path, 'w');
  await fh.truncate(100 * MIB); // sparse, with a few bytes that are not zero
  for (const at of [0, 33 * MIB + 7, 100 * MIB - 16]) await fh.write(randomBytes(16), 0, 16, at);
  await fh.close();
  const hash = createHash('sha256');
  for await (const c of createReadStream(path)) hash.update(c as Buffer);
  const blob = { digest: `sha256:${hash.digest('hex')}`, size: 100 * MIB, path };
  const c = new RegistryClient(reg.registry);
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  try {
    const t0 = performance.now();
    let calls = 0;
    await c.pushBlob('app/big', blob, { onProgress: () => calls++ });
    const t1 = performance.now();
    await c.pullBlob('app/big', blob, join(dir, 'big.out'));
    const t2 = performance.now();
    t.diagnostic(`push ${(t1 - t0).toFixed(0)} ms, pull ${(t2 - t1).toFixed(0)} ms, rss +${((peak - base) / MIB).toFixed(1)} MiB (peak ${(peak / MIB).toFixed(0)} MiB), ${calls} progress calls`);
  } finally {
    clearInterval(sampler);
  }
  assert.ok(peak - base < 48 * MIB, `rss grew by ${((peak - base) / MIB).toFixed(1)} MiB`);
  const back = createHash('sha256');
  for await (const x of createReadStream(join(dir, 'big.out'))) back.update(x as Buffer);
  assert.equal(`sha256:${back.digest('hex')}`, blob.digest);
  rmSync(path);
  rmSync(join(dir, 'big.out'));
});

test('an upload cut mid-PATCH completes (distribution 2.8 drops that upload; a new one starts)', T, async () => {
  const proxy = await cutProxy(reg.port, { direction: 'up', afterBytes: 1.5 * MIB });
  try {
    const blob = blobOf(randomBytes(3 * MIB));
    await new RegistryClient(proxy.host).pushBlob('app/cut-up', blob, { chunkBytes: MIB });
    assert.equal(proxy.cuts(), 1);
    const posts = proxy.seen.filter((s) => s.startsWith('POST '));
    assert.equal(posts.length, 2, proxy.seen.join('\n'));
    await new RegistryClient(reg.registry).pullBlob('app/cut-up', blob, join(dir, 'cut-up.bin'));
    assert.deepEqual(readFileSync(join(dir, 'cut-up.bin')), Buffer.from(blob.bytes));
  } finally {
    await proxy.close();
  }
});

test('an upload cut mid-PATCH resumes from the offset the registry reports', { timeout: 20_000 }, async () => {
  const server = await uploadServer();
  const proxy = await cutProxy(server.port, { direction: 'up', afterBytes: 1.5 * MIB });
  try {
    const blob = blobOf(randomBytes(3 * MIB));
    await new RegistryClient(proxy.host).pushBlob('app/resume', blob, { chunkBytes: MIB });
    assert.equal(proxy.cuts(), 1);
    assert.deepEqual(server.blobs.get(blob.digest), Buffer.from(blob.bytes));
    const i = server.log.indexOf('status');
    assert.ok(i > 0, server.log.join(' '));
    const resumedAt = Number(server.log[i + 1]!.split('-')[0]);
    assert.ok(resumedAt > MIB && resumedAt < 2 * MIB, `resumed at ${resumedAt}: ${server.log.join(' ')}`);
  } finally {
    await proxy.close();
    await server.close();
  }
});

test('a chunk refused with 416 continues from the offset a status GET reports', { timeout: 20_000 }, async () => {
  const server = await uploadServer({ refuseFirstPatch: true });
  try {
    const blob = blobOf(randomBytes(2 * MIB + 5));
    await new RegistryClient(server.host).pushBlob('app/range', blob, { chunkBytes: MIB });
    assert.deepEqual(server.log, ['0-1048575', 'status', '0-1048575', '1048576-2097151', '2097152-2097156']);
    assert.deepEqual(server.blobs.get(blob.digest), Buffer.from(blob.bytes));
  } finally {
    await server.close();
  }
});

test('a download cut mid-body resumes with Range; so does a partial file left behind', T, async () => {
  const blob = await seed('app/cut-down', 3 * MIB);
  const proxy = await cutProxy(reg.port, { direction: 'down', afterBytes: 1.2 * MIB });
  try {
    const dest = join(dir, 'cut-down.bin');
    await new RegistryClient(proxy.host).pullBlob('app/cut-down', blob, dest);
    assert.equal(proxy.cuts(), 1);
    assert.ok(proxy.seen.some((s) => /^range: bytes=\d+-$/i.test(s)), proxy.seen.join('\n'));
    assert.deepEqual(readFileSync(dest), Buffer.from(blob.bytes));
    writeFileSync(`${dest}2.partial`, blob.bytes.subarray(0, 1000));
    await new RegistryClient(proxy.host).pullBlob('app/cut-down', blob, `${dest}2`);
    assert.ok(proxy.seen.some((s) => /^range: bytes=1000-$/i.test(s)), proxy.seen.join('\n'));
    assert.deepEqual(readFileSync(`${dest}2`), Buffer.from(blob.bytes));
  } finally {
    await proxy.close();
  }
});

test('a tampered blob is refused and leaves no file', T, async () => {
  const blob = await seed('app/tamper', 64 * 1024);
  const proxy = await rewritingProxy(reg.port, (req, res) => {
    if (req.method !== 'GET' || !req.path.includes('/blobs/')) return undefined;
    const body = Buffer.from(res.body);
    body[1234]! ^= 1;
    return { ...res, body };
  });
  try {
    const dest = join(dir, 'tampered.bin');
    await assert.rejects(new RegistryClient(proxy.host).pullBlob('app/tamper', blob, dest), { code: 'ERR_DIGEST_MISMATCH' });
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.partial`), false);
  } finally {
    await proxy.close();
  }
});

test('more bytes than the size are refused at once, declared or streamed', T, async () => {
  const blob = await seed('app/lies', 64 * 1024);
  for (const chunked of [false, true]) {
    const proxy = await rewritingProxy(reg.port, (req, res) => (req.method === 'GET' && req.path.includes('/blobs/') ? { ...res, body: Buffer.concat([res.body, Buffer.alloc(10)]), chunked } : undefined));
    try {
      const dest = join(dir, `lies-${chunked}.bin`);
      await assert.rejects(new RegistryClient(proxy.host).pullBlob('app/lies', blob, dest), { code: 'ERR_SIZE_MISMATCH' });
      assert.equal(existsSync(`${dest}.partial`), false);
    } finally {
      await proxy.close();
    }
  }
  const endless = await endlessServer();
  try {
    await assert.rejects(new RegistryClient(endless.host).pullBlob('app/lies', blob, join(dir, 'endless.bin')), { code: 'ERR_SIZE_MISMATCH' });
    assert.ok(endless.sent() < 16 * MIB, `the server got to send ${endless.sent()} bytes`);
  } finally {
    await endless.close();
  }
});

test('a manifest that is not its digest, or too large, is refused', T, async () => {
  const config = await seed('app/mlie', 100);
  const manifest = manifestOf(config, []);
  const c = new RegistryClient(reg.registry);
  const digest = await c.putManifest('app/mlie', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
  const proxy = await rewritingProxy(reg.port, (req, res) => (req.method === 'GET' && req.path.includes('/manifests/') ? { ...res, body: Buffer.from(res.body.toString().replace('"schemaVersion":2', '"schemaVersion":2 ')) } : undefined));
  try {
    const lying = new RegistryClient(proxy.host);
    await assert.rejects(lying.getManifest('app/mlie', digest), { code: 'ERR_DIGEST_MISMATCH' });
    await assert.rejects(lying.getManifest('app/mlie', 'v1'), { code: 'ERR_DIGEST_MISMATCH' }); // against Docker-Content-Digest
  } finally {
    await proxy.close();
  }
  await assert.rejects(new RegistryClient(reg.registry, { maxManifestBytes: 100 }).getManifest('app/mlie', 'v1'), { code: 'ERR_TOO_LARGE' });
  await assert.rejects(new RegistryClient(reg.registry, { maxManifestBytes: 100 }).putManifest('app/mlie', 'v3', manifest, 'application/vnd.oci.image.manifest.v1+json'), { code: 'ERR_TOO_LARGE' });
});

test('a redirect to another origin is refused unless its host is allowed', T, async () => {
  const blob = await seed('app/redirect', 1000);
  const redirector = await redirectServer(reg.url);
  try {
    await assert.rejects(new RegistryClient(redirector.host).pullBlob('app/redirect', blob, join(dir, 'r.bin')), { code: 'ERR_REDIRECT' });
    await assert.rejects(new RegistryClient(redirector.host).hasBlob('app/redirect', blob.digest), { code: 'ERR_REDIRECT' });
    await new RegistryClient(redirector.host, { allowRedirectHosts: [reg.registry] }).pullBlob('app/redirect', blob, join(dir, 'r.bin'));
    assert.deepEqual(readFileSync(join(dir, 'r.bin')), Buffer.from(blob.bytes));
  } finally {
    await redirector.close();
  }
});

test('plain HTTP off loopback is refused unless asked for', () => {
  assert.throws(() => new RegistryClient('http://10.1.2.3:5000'), { code: 'ERR_INSECURE' });
  assert.equal(new RegistryClient('registry.example:5000').origin, 'https://registry.example:5000');
  assert.equal(new RegistryClient('10.1.2.3:5000', { plainHttp: true }).origin, 'http://10.1.2.3:5000');
  assert.equal(new RegistryClient('127.0.0.1:5000').origin, 'http://127.0.0.1:5000');
  assert.equal(new RegistryClient('localhost:5000', { ca: 'x' }).origin, 'https://localhost:5000');
  assert.equal(new RegistryClient('[::1]:5000').origin, 'http://[::1]:5000');
});

test('a registry that is down, or that never answers, is unreachable within the bound', { timeout: 5000 }, async () => {
  const port = await freePort();
  await assert.rejects(new RegistryClient(`127.0.0.1:${port}`).hasBlob('app/x', blobOf(new Uint8Array(1)).digest), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_REGISTRY_UNREACHABLE');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}.*refused`));
    return true;
  });
  const silent = await silentServer();
  try {
    await assert.rejects(new RegistryClient(silent.host, { timeoutMs: 500 }).getManifest('app/x', 'v1'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_REGISTRY_UNREACHABLE');
      assert.match(err.message, /500 ms/);
      return true;
    });
  } finally {
    await silent.close();
  }
});
