import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { CHUNK_SIZE, PackageOpener, SealError, sealPackage } from '../../src/crypto/seal.js';
import { DEFAULT_SUITE, findSuite } from '../../src/crypto/suites.js';
import type { SuiteRow } from '../../src/crypto/suites.js';

async function keepKey(suite: SuiteRow = DEFAULT_SUITE) {
  const hpke = await suite.create();
  const keyPair = await hpke.kem.generateKeyPair();
  const publicKey = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
  return { key: { hpke, keyPair, suite }, publicKey };
}

async function sealed(publicKey: Uint8Array, plaintext: Uint8Array, keepId = 'keep-a', evidence = new Uint8Array(32).fill(1), suite: SuiteRow = DEFAULT_SUITE): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of (await sealPackage(suite, publicKey, keepId, evidence, plaintext)).chunks) parts.push(p);
  return Buffer.concat(parts);
}

async function open(key: Awaited<ReturnType<typeof keepKey>>['key'], wire: Uint8Array, keepId = 'keep-a', evidence = new Uint8Array(32).fill(1), slice = 4096): Promise<Uint8Array> {
  const o = new PackageOpener(key, keepId, evidence, 1 << 30);
  for (let i = 0; i < wire.length; i += slice) await o.push(wire.subarray(i, i + slice));
  return (await o.finish()).plaintext;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SealError, String(e));
    return e.code;
  }
  return 'opened';
}

test('open(seal(m)) == m for any size and any slicing', async () => {
  const { key, publicKey } = await keepKey();
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3 * CHUNK_SIZE + 7 }), fc.integer({ min: 1, max: 100_000 }), async (n, slice) => {
      const m = randomBytes(n);
      assert.deepEqual(Buffer.from(await open(key, await sealed(publicKey, m), 'keep-a', new Uint8Array(32).fill(1), slice)), m);
    }),
    { numRuns: 25 },
  );
});

test('the post-quantum hybrid suite (X-Wing) seals and opens too', async () => {
  const xwing = findSuite('x-wing')!;
  const { key, publicKey } = await keepKey(xwing);
  const m = randomBytes(100_000);
  assert.deepEqual(Buffer.from(await open(key, await sealed(publicKey, m, 'keep-a', new Uint8Array(32).fill(1), xwing))), m);
});

test('a package sealed for keep A cannot be opened by keep B, nor with another id or evidence', async () => {
  const a = await keepKey();
  const b = await keepKey();
  const wire = await sealed(a.publicKey, randomBytes(1000));
  assert.equal(await code(open(b.key, wire)), 'ERR_PACKAGE_SEAL');
  assert.equal(await code(open(a.key, wire, 'keep-b')), 'ERR_PACKAGE_SEAL');
  assert.equal(await code(open(a.key, wire, 'keep-a', new Uint8Array(32).fill(2))), 'ERR_PACKAGE_SEAL');
  assert.equal(await code(open(a.key, wire)), 'opened');
});

test('any flipped bit of the ciphertext is refused', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(2 * CHUNK_SIZE + 100));
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: wire.length * 8 - 1 }), async (bit) => {
      const t = Buffer.from(wire);
      t[bit >> 3]! ^= 1 << (bit & 7);
      assert.notEqual(await code(open(key, t)), 'opened', `bit ${bit}`);
    }),
    { numRuns: 60 },
  );
});

test('truncated, extended or reordered streams are refused', async () => {
  const { key, publicKey } = await keepKey();
  const m = randomBytes(3 * CHUNK_SIZE);
  const wire = await sealed(publicKey, m);
  const header = wire.length - 3 * (4 + CHUNK_SIZE + 16);
  const chunk = (i: number) => wire.subarray(header + i * (CHUNK_SIZE + 20), header + (i + 1) * (CHUNK_SIZE + 20));
  assert.equal(await code(open(key, wire.subarray(0, header + 2 * (CHUNK_SIZE + 20)))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, Buffer.concat([wire, chunk(2)]))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, Buffer.concat([wire.subarray(0, header), chunk(1), chunk(0), chunk(2)]))), 'ERR_PACKAGE_SEAL');
  assert.equal(await code(open(key, Buffer.from('not a sealed package at all'))), 'ERR_PACKAGE_FORMAT');
});

test('random bytes never crash the opener', async () => {
  const { key } = await keepKey();
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
      await code(open(key, Buffer.concat([Buffer.from('ENXSEAL1'), bytes])));
    }),
    { numRuns: 100 },
  );
});

test('sealing a package given as pieces opens to their concatenation', async () => {
  const { key, publicKey } = await keepKey();
  const parts = [randomBytes(10), randomBytes(CHUNK_SIZE + 3), new Uint8Array(0), randomBytes(2 * CHUNK_SIZE - 13), randomBytes(1)];
  const wire: Uint8Array[] = [];
  for await (const p of (await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', new Uint8Array(32).fill(1), parts)).chunks) wire.push(p);
  assert.deepEqual(Buffer.from(await open(key, Buffer.concat(wire))), Buffer.concat(parts));
});

test('sender and keep derive the same session keys, different per direction and per package', async () => {
  const { key, publicKey } = await keepKey();
  const a = await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', new Uint8Array(32).fill(1), randomBytes(100));
  const wire: Uint8Array[] = [];
  for await (const p of a.chunks) wire.push(p);
  const o = new PackageOpener(key, 'keep-a', new Uint8Array(32).fill(1), 1 << 30);
  await o.push(Buffer.concat(wire));
  const { keys } = await o.finish();
  assert.deepEqual(keys, a.keys);
  assert.notDeepEqual(Buffer.from(keys.output.key), Buffer.from(keys.input.key));
  assert.notDeepEqual(Buffer.from(keys.output.iv), Buffer.from(keys.input.iv));
  const b = await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', new Uint8Array(32).fill(1), randomBytes(100));
  assert.notDeepEqual(Buffer.from(b.keys.output.key), Buffer.from(a.keys.output.key));
});
