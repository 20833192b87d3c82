import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { CHUNK_SIZE, PackageOpener, SealError, sealPackage } from '../../src/crypto/seal.js';
import { DEFAULT_SUITE, findSuite } from '../../src/crypto/suites.js';
import type { SuiteRow } from '../../src/crypto/suites.js';
import { keepEngine } from '../../src/runtime/engine.js';

const TAG = 16;
const EVIDENCE = new Uint8Array(32).fill(1);

async function keepKey(suite: SuiteRow = DEFAULT_SUITE) {
  const hpke = await suite.create();
  const keyPair = await hpke.kem.generateKeyPair();
  const publicKey = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
  return { key: { hpke, keyPair, suite }, publicKey };
}
type Key = Awaited<ReturnType<typeof keepKey>>['key'];

async function sealed(publicKey: Uint8Array, plaintext: Uint8Array | Uint8Array[], keepId = 'keep-a', evidence = EVIDENCE, suite: SuiteRow = DEFAULT_SUITE): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of (await sealPackage(suite, publicKey, keepId, evidence, plaintext)).chunks) parts.push(p);
  return Buffer.concat(parts);
}

/** Opens `wire` pushed in pieces cut at `cuts` (fractions of its length), or whole. */
async function open(key: Key, wire: Uint8Array, keepId = 'keep-a', evidence = EVIDENCE, cuts: readonly number[] = []): Promise<Uint8Array> {
  const o = new PackageOpener(key, keepId, evidence, 1 << 30);
  const at = [...new Set(cuts.map((c) => Math.floor(c * wire.length)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...at, wire.length]) {
    await o.push(wire.subarray(from, to));
    from = to;
  }
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

/** The wire's header (JSON) and where the chunks start. */
function headerOf(wire: Buffer): { header: Record<string, unknown>; start: number } {
  const hlen = wire.readUInt32BE(8);
  return { header: JSON.parse(wire.subarray(12, 12 + hlen).toString()) as Record<string, unknown>, start: 12 + hlen };
}

/** `wire` with its header replaced by `header`. */
function withHeader(wire: Buffer, header: Record<string, unknown>): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([wire.subarray(0, 8), len, h, wire.subarray(headerOf(wire).start)]);
}

const sizes = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: -20, max: 20 }).map((d) => CHUNK_SIZE + d),
  fc.integer({ min: -20, max: 20 }).map((d) => 2 * CHUNK_SIZE + d),
  fc.integer({ min: 0, max: 2 * CHUNK_SIZE + 7 }),
);

test('open(seal(m)) == m for any size and any slicing', async () => {
  const { key, publicKey } = await keepKey();
  await fc.assert(
    fc.asyncProperty(sizes, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), async (n, cuts) => {
      const m = randomBytes(n);
      assert.deepEqual(Buffer.from(await open(key, await sealed(publicKey, m), 'keep-a', EVIDENCE, cuts)), m);
    }),
    { numRuns: 30 },
  );
});

test('the wire is the header, then each chunk as ciphertext and tag, then the trailer: size plus 16 bytes a chunk, plus 16', async () => {
  const { publicKey } = await keepKey();
  for (const n of [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE]) {
    const wire = await sealed(publicKey, randomBytes(n));
    const { header, start } = headerOf(wire);
    assert.equal(wire.subarray(0, 8).toString(), 'ENXSEAL3');
    assert.deepEqual({ version: header['version'], kem: header['kem'], size: header['size'], chunkSize: header['chunkSize'] }, { version: 3, kem: 'x25519', size: n, chunkSize: CHUNK_SIZE });
    assert.equal(wire.length - start, n + TAG * Math.max(1, Math.ceil(n / CHUNK_SIZE)) + TAG);
  }
});

test('the post-quantum hybrid suite (X-Wing) seals and opens too', async () => {
  const xwing = findSuite('x-wing')!;
  const { key, publicKey } = await keepKey(xwing);
  const m = randomBytes(100_000);
  assert.deepEqual(Buffer.from(await open(key, await sealed(publicKey, m, 'keep-a', EVIDENCE, xwing))), m);
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

test('any flipped bit is refused: anywhere, in the header, in any tag', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(2 * CHUNK_SIZE + 100));
  const { start } = headerOf(wire);
  // The three chunks' tags, and the trailer.
  const tags = [0, 1, 2, 3].map((i) => Math.min(start + (i + 1) * (CHUNK_SIZE + TAG), wire.length) - TAG);
  const bits = fc.oneof(
    fc.integer({ min: 0, max: wire.length * 8 - 1 }),
    fc.integer({ min: 0, max: start * 8 + 64 }),
    fc.constantFrom(...tags).chain((t) => fc.integer({ min: t * 8, max: (t + TAG) * 8 - 1 })),
  );
  await fc.assert(
    fc.asyncProperty(bits, async (bit) => {
      const t = Buffer.from(wire);
      t[bit >> 3]! ^= 1 << (bit & 7);
      assert.notEqual(await code(open(key, t)), 'opened', `bit ${bit}`);
    }),
    { numRuns: 80 },
  );
});

test('the header\'s enc is canonical base64: its last character\'s unused bits flipped is refused', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(100));
  const { header } = headerOf(wire);
  const enc = String(header['enc']);
  // 32 bytes: 43 characters and '='; the 43rd carries 4 bits of the key and 2 unused ones.
  const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const twin = enc.slice(0, 42) + last[last.indexOf(enc[42]!) ^ 1] + enc.slice(43);
  assert.deepEqual(Buffer.from(twin, 'base64'), Buffer.from(enc, 'base64'), 'the same bytes to a lenient decoder');
  assert.equal(await code(open(key, withHeader(wire, { ...header, enc: twin }))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, wire)), 'opened');
});

test('truncated, extended or reordered streams are refused', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(3 * CHUNK_SIZE));
  const { header, start } = headerOf(wire);
  const chunk = (i: number) => wire.subarray(start + i * (CHUNK_SIZE + TAG), start + (i + 1) * (CHUNK_SIZE + TAG));
  const head = wire.subarray(0, start);
  assert.equal(await code(open(key, wire.subarray(0, start + 2 * (CHUNK_SIZE + TAG)))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, wire.subarray(0, wire.length - 1))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, head)), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, Buffer.concat([wire, chunk(2)]))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, Buffer.concat([wire, Buffer.alloc(1)]))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, Buffer.concat([head, chunk(1), chunk(0), chunk(2)]))), 'ERR_PACKAGE_SEAL');
  assert.equal(await code(open(key, Buffer.concat([head, chunk(0), chunk(0), chunk(2)]))), 'ERR_PACKAGE_SEAL');
  // Cut at a chunk boundary with the size rewritten to match: the new last chunk was not sealed as the last.
  assert.equal(await code(open(key, withHeader(Buffer.concat([head, chunk(0), chunk(1)]), { ...header, size: 2 * CHUNK_SIZE }))), 'ERR_PACKAGE_SEAL');
  // A size that moves the chunk boundaries, or promises more.
  for (const size of [3 * CHUNK_SIZE - 1, 3 * CHUNK_SIZE + 1, CHUNK_SIZE + 5]) assert.notEqual(await code(open(key, withHeader(wire, { ...header, size }))), 'opened', `size ${size}`);
  assert.equal(await code(open(key, Buffer.from('not a sealed package at all'))), 'ERR_PACKAGE_FORMAT');
});

test('the trailer binds the package digest: dropped, it is a truncation; altered, the digest does not match', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(CHUNK_SIZE + 77));
  assert.equal(await code(open(key, wire.subarray(0, wire.length - TAG))), 'ERR_PACKAGE_FORMAT');
  for (const at of [1, 8, TAG]) {
    const t = Buffer.from(wire);
    t[t.length - at]! ^= 0x40;
    assert.equal(await code(open(key, t)), 'ERR_PACKAGE_DIGEST', `trailer byte -${at}`);
  }
  // Another package's trailer (same keep, same size) is not this one's.
  const other = await sealed(publicKey, randomBytes(CHUNK_SIZE + 77));
  assert.equal(await code(open(key, Buffer.concat([wire.subarray(0, wire.length - TAG), other.subarray(other.length - TAG)]))), 'ERR_PACKAGE_DIGEST');
  assert.equal(await code(open(key, Buffer.concat([wire, wire.subarray(wire.length - TAG)]))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, wire)), 'opened');
});

test('every header field is checked: version, chunk size, suite, size, enc', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(1000));
  const { header } = headerOf(wire);
  assert.equal(await code(open(key, withHeader(wire, header))), 'opened');
  assert.equal(await code(open(key, withHeader(wire, { ...header, version: 1 }))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, withHeader(wire, { ...header, chunkSize: 65536 }))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, withHeader(wire, { ...header, kem: 'x-wing' }))), 'ERR_PACKAGE_SEAL');
  assert.notEqual(await code(open(key, withHeader(wire, { ...header, size: 999 }))), 'opened');
  assert.notEqual(await code(open(key, withHeader(wire, { ...header, size: 1001 }))), 'opened');
  const enc = Buffer.from(String(header['enc']), 'base64');
  enc[0]! ^= 1;
  assert.equal(await code(open(key, withHeader(wire, { ...header, enc: enc.toString('base64') }))), 'ERR_PACKAGE_SEAL');
  // Earlier layouts are not read as this one.
  assert.equal(await code(open(key, Buffer.concat([Buffer.from('ENXSEAL1'), wire.subarray(8)]))), 'ERR_PACKAGE_FORMAT');
  assert.equal(await code(open(key, Buffer.concat([Buffer.from('ENXSEAL2'), wire.subarray(8)]))), 'ERR_PACKAGE_FORMAT');
});

test('random bytes and random headers never crash the opener', async () => {
  const { key } = await keepKey();
  const framed = (h: Uint8Array, rest: Uint8Array): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(h.length);
    return Buffer.concat([Buffer.from('ENXSEAL2'), len, h, rest]);
  };
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from('ENXSEAL2'), b])),
        fc.tuple(fc.jsonValue(), fc.uint8Array({ maxLength: 100 })).map(([j, rest]) => framed(Buffer.from(JSON.stringify(j) ?? ''), rest)),
      ),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
      async (bytes, cuts) => {
        await code(open(key, bytes, 'keep-a', EVIDENCE, cuts));
      },
    ),
    { numRuns: 200 },
  );
});

test('sealing a package given as pieces opens to their concatenation', async () => {
  const { key, publicKey } = await keepKey();
  const parts = [randomBytes(10), randomBytes(CHUNK_SIZE + 3), new Uint8Array(0), randomBytes(2 * CHUNK_SIZE - 13), randomBytes(1)];
  assert.deepEqual(Buffer.from(await open(key, await sealed(publicKey, parts))), Buffer.concat(parts));
});

test('the sealed pieces are fresh buffers: the plaintext is neither copied into them nor altered', async () => {
  const { publicKey } = await keepKey();
  const m = randomBytes(CHUNK_SIZE + 100);
  const copy = Buffer.from(m);
  for await (const p of (await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', EVIDENCE, m)).chunks) {
    assert.notEqual(p.buffer, m.buffer);
    assert.ok(p.length <= 64 * 1024 || p.length < 1000, `a piece of ${p.length} bytes`);
  }
  assert.deepEqual(m, copy);
});

test('sender and keep derive the same session keys, different per direction and per package', async () => {
  const { key, publicKey } = await keepKey();
  const a = await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', EVIDENCE, randomBytes(100));
  const wire: Uint8Array[] = [];
  for await (const p of a.chunks) wire.push(p);
  const o = new PackageOpener(key, 'keep-a', EVIDENCE, 1 << 30);
  await o.push(Buffer.concat(wire));
  const { keys } = await o.finish();
  assert.deepEqual(keys, a.keys);
  assert.notDeepEqual(Buffer.from(keys.output.key), Buffer.from(keys.input.key));
  assert.notDeepEqual(Buffer.from(keys.output.iv), Buffer.from(keys.input.iv));
  const b = await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', EVIDENCE, randomBytes(100));
  assert.notDeepEqual(Buffer.from(b.keys.output.key), Buffer.from(a.keys.output.key));
});

test('a package larger than the keep accepts is refused before anything is allocated for it', async () => {
  const { key, publicKey } = await keepKey();
  const wire = await sealed(publicKey, randomBytes(5000));
  const o = new PackageOpener(key, 'keep-a', EVIDENCE, 4096);
  assert.equal(await code(o.push(wire)), 'ERR_PACKAGE_TOO_LARGE');
});

test('on the keep engine, which frees each decrypted piece as it goes, open(seal(m)) == m', { skip: !keepEngineFrees() && 'the keep engine has no ArrayBuffer.prototype.transfer (nothing is freed early)', timeout: 60_000 }, () => {
  const seal = new URL('../../src/crypto/seal.js', import.meta.url).href;
  const suites = new URL('../../src/crypto/suites.js', import.meta.url).href;
  const script = `
    import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
    const { PackageOpener, sealPackage, CHUNK_SIZE } = await import(${JSON.stringify(seal)});
    const { DEFAULT_SUITE } = await import(${JSON.stringify(suites)});
    const hpke = await DEFAULT_SUITE.create();
    const keyPair = await hpke.kem.generateKeyPair();
    const pub = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
    for (const n of [0, 1, 65535, 65536, 65537, 200000, CHUNK_SIZE, CHUNK_SIZE + 70000, 2 * CHUNK_SIZE + 3]) {
      const m = randomBytes(n);
      const wire = [];
      for await (const p of (await sealPackage(DEFAULT_SUITE, pub, 'k', new Uint8Array(32), m)).chunks) wire.push(p);
      const all = Buffer.concat(wire);
      const o = new PackageOpener({ hpke, keyPair, suite: DEFAULT_SUITE }, 'k', new Uint8Array(32), 1 << 30);
      for (let at = 0; at < all.length; ) { const k = 1 + Math.floor(Math.random() * 150000); await o.push(all.subarray(at, at + k)); at += k; }
      const { plaintext } = await o.finish();
      if (!Buffer.from(plaintext).equals(m)) throw new Error('size ' + n + ': the opened package differs');
    }
    process.stdout.write('ok');
  `;
  const r = spawnSync(keepEngine().path, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.stdout, 'ok', r.stderr);
});

function keepEngineFrees(): boolean {
  return spawnSync(keepEngine().path, ['-p', 'typeof ArrayBuffer.prototype.transfer'], { encoding: 'utf8' }).stdout.trim() === 'function';
}

test('the digest the keep reports is the SHA-256 of the package it opened, whatever pieces it came in', async () => {
  const { key, publicKey } = await keepKey();
  const m = randomBytes(CHUNK_SIZE + 5000);
  const wire: Uint8Array[] = [];
  for await (const p of (await sealPackage(DEFAULT_SUITE, publicKey, 'keep-a', EVIDENCE, [m.subarray(0, 7), m.subarray(7)])).chunks) wire.push(p);
  const o = new PackageOpener(key, 'keep-a', EVIDENCE, 1 << 30);
  for (const p of wire) await o.push(p);
  const { plaintext, digest } = await o.finish();
  assert.deepEqual(Buffer.from(plaintext), m);
  assert.deepEqual(Buffer.from(digest), createHash('sha256').update(m).digest());
});
