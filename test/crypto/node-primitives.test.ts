import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { NodeAes256Gcm, NodeHkdfSha256, hkdfExpand, hkdfExtract } from '../../src/crypto/node-primitives.js';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

// RFC 5869, appendix A: test cases 1 (salt and info) and 3 (both empty).
const RFC5869 = [
  {
    ikm: '0b'.repeat(22),
    salt: '000102030405060708090a0b0c',
    info: 'f0f1f2f3f4f5f6f7f8f9',
    len: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    ikm: '0b'.repeat(22),
    salt: '',
    info: '',
    len: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

test('HKDF-SHA256 gives RFC 5869 test cases 1 and 3', () => {
  for (const c of RFC5869) {
    assert.equal(hex(hkdfExtract(unhex(c.salt), unhex(c.ikm))), c.prk);
    assert.equal(hex(hkdfExpand(unhex(c.prk), unhex(c.info), c.len)), c.okm);
  }
});

test('HKDF-SHA256 matches the library (WebCrypto) on random inputs, lengths and salts', async () => {
  const ours = new NodeHkdfSha256();
  const lib = new HkdfSha256();
  const suiteId = new Uint8Array([0x48, 0x50, 0x4b, 0x45, 0, 0x20, 0, 1, 0, 2]);
  ours.init(suiteId);
  lib.init(suiteId);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.integer({ min: 1, max: 255 * 32 }),
      async (salt, ikm, info, len) => {
        assert.equal(hex(await ours.extract(salt, ikm)), hex(await lib.extract(salt, ikm)));
        const prk = await lib.extract(salt, ikm);
        assert.equal(hex(await ours.expand(prk, info, len)), hex(await lib.expand(prk, info, len)));
        assert.equal(hex(await ours.extractAndExpand(salt, ikm, info, len)), hex(await lib.extractAndExpand(salt, ikm, info, len)));
        const label = new TextEncoder().encode('secret');
        assert.equal(hex(await ours.labeledExtract(salt, label, ikm)), hex(await lib.labeledExtract(salt, label, ikm)));
      },
    ),
    { numRuns: 60 },
  );
});

test('HKDF-SHA256 refuses what the library refuses: a salt of the wrong size, too long an output', async () => {
  const ours = new NodeHkdfSha256();
  await assert.rejects(ours.extract(new Uint8Array(13), new Uint8Array(1)), /salt length/);
  await assert.rejects(ours.expand(new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1), /Entropy limit/);
});

test('AES-256-GCM seals byte for byte as the library does, and each opens the other', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 70_000 }), fc.uint8Array({ maxLength: 64 }), async (key, iv, pt, aad) => {
      // Each context zeroes the key it is given, as the library's does.
      const ours = new NodeAes256Gcm().createEncryptionContext(key.slice());
      const lib = new Aes256Gcm().createEncryptionContext(key.slice());
      const a = await ours.seal(iv, pt, aad);
      const b = await lib.seal(iv, pt, aad);
      assert.equal(hex(a), hex(b));
      assert.equal(hex(await ours.open(iv, b, aad)), hex(pt));
      assert.equal(hex(await lib.open(iv, a, aad)), hex(pt));
    }),
    { numRuns: 40 },
  );
});

test('AES-256-GCM open refuses a flipped bit, another AAD, a short ciphertext and a wrong-size key', async () => {
  const key = randomBytes(32);
  const ctx = new NodeAes256Gcm().createEncryptionContext(new Uint8Array(key));
  const iv = randomBytes(12);
  const ct = new Uint8Array(await ctx.seal(iv, Buffer.from('attack at dawn'), Buffer.from('aad')));
  for (let i = 0; i < ct.length; i++) {
    const bad = ct.slice();
    bad[i]! ^= 0x01;
    await assert.rejects(ctx.open(iv, bad, Buffer.from('aad')));
  }
  await assert.rejects(ctx.open(iv, ct, Buffer.from('aae')));
  await assert.rejects(ctx.open(iv, ct.subarray(0, 15), Buffer.from('aad')), /shorter than its tag/);
  assert.throws(() => new NodeAes256Gcm().createEncryptionContext(new Uint8Array(16)), /32-byte key/);
});

test('an HPKE suite on these primitives interoperates with the library’s own, both ways', async () => {
  const ours = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new NodeHkdfSha256(), aead: new NodeAes256Gcm() });
  const lib = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const info = Buffer.from('enarx-ts test');
  for (const [from, to] of [
    [ours, lib],
    [lib, ours],
  ] as const) {
    const keyPair = await to.kem.generateKeyPair();
    const sender = await from.createSenderContext({ recipientPublicKey: keyPair.publicKey, info });
    const recipient = await to.createRecipientContext({ recipientKey: keyPair, enc: sender.enc, info });
    for (let i = 0; i < 3; i++) {
      const msg = randomBytes(100 + i);
      const ct = await sender.seal(msg, Buffer.from([i]));
      assert.equal(hex(await recipient.open(ct, Buffer.from([i]))), hex(msg));
    }
    assert.equal(hex(await sender.export(Buffer.from('x'), 32)), hex(await recipient.export(Buffer.from('x'), 32)));
  }
});
