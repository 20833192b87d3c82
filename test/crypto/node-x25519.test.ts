import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { NodeAes256Gcm, NodeHkdfSha256 } from '../../src/crypto/node-primitives.js';
import { NodeDhkemX25519HkdfSha256 } from '../../src/crypto/node-x25519.js';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

// RFC 9180, appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
const A1 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
  exporterSecretExport32: '3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee',
  aad0: '436f756e742d30',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

test('DHKEM(X25519) on node:crypto gives RFC 9180 A.1.1: derived keys, enc, shared secret, first ciphertext, export', async () => {
  const kem = new NodeDhkemX25519HkdfSha256();
  const eph = await kem.deriveKeyPair(unhex(A1.ikmE));
  const rcp = await kem.deriveKeyPair(unhex(A1.ikmR));
  assert.equal(hex(await kem.serializePrivateKey(eph.privateKey)), A1.skEm);
  assert.equal(hex(await kem.serializePublicKey(eph.publicKey)), A1.pkEm);
  assert.equal(hex(await kem.serializePrivateKey(rcp.privateKey)), A1.skRm);
  assert.equal(hex(await kem.serializePublicKey(rcp.publicKey)), A1.pkRm);
  const { enc, sharedSecret } = await kem.encap({ recipientPublicKey: rcp.publicKey, ekm: eph });
  assert.equal(hex(enc), A1.pkEm);
  assert.equal(hex(sharedSecret), A1.sharedSecret);
  assert.equal(hex(await kem.decap({ enc, recipientKey: rcp })), A1.sharedSecret);

  const suite = new CipherSuite({ kem, kdf: new NodeHkdfSha256(), aead: new Aes128Gcm() });
  const sender = await suite.createSenderContext({ recipientPublicKey: rcp.publicKey, info: unhex(A1.info), ekm: eph });
  assert.equal(hex(await sender.seal(unhex(A1.pt), unhex(A1.aad0))), A1.ct0);
  assert.equal(hex(await sender.export(new Uint8Array(0), 32)), A1.exporterSecretExport32);
  const recipient = await suite.createRecipientContext({ recipientKey: await kem.deserializePrivateKey(unhex(A1.skRm)), enc: unhex(A1.pkEm), info: unhex(A1.info) });
  assert.equal(hex(await recipient.open(unhex(A1.ct0), unhex(A1.aad0))), A1.pt);
});

test('DHKEM(X25519) on node:crypto interoperates with the library’s own (WebCrypto) both ways', async () => {
  const ours = new CipherSuite({ kem: new NodeDhkemX25519HkdfSha256(), kdf: new NodeHkdfSha256(), aead: new NodeAes256Gcm() });
  const lib = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const info = Buffer.from('enarx-ts');
  for (const [from, to] of [
    [ours, lib],
    [lib, ours],
  ] as const) {
    const keyPair = await to.kem.generateKeyPair();
    const raw = new Uint8Array(await to.kem.serializePublicKey(keyPair.publicKey));
    const sender = await from.createSenderContext({ recipientPublicKey: await from.kem.deserializePublicKey(raw), info });
    const recipient = await to.createRecipientContext({ recipientKey: keyPair, enc: sender.enc, info });
    const ct = await sender.seal(Buffer.from('hello, keep'), Buffer.from('aad'));
    assert.equal(Buffer.from(await recipient.open(ct, Buffer.from('aad'))).toString(), 'hello, keep');
  }
});

test('DHKEM(X25519) on node:crypto refuses small-order points, bad sizes, foreign keys and public JWKs with "d"', async () => {
  const kem = new NodeDhkemX25519HkdfSha256();
  const keyPair = await kem.generateKeyPair();
  // The all-zero point and 1 are of small order: X25519 with them gives the all-zero value.
  for (const bad of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
    await assert.rejects(kem.decap({ enc: bad, recipientKey: keyPair }));
  }
  await assert.rejects(kem.deserializePublicKey(new Uint8Array(31)), /DeserializeError|32 bytes/);
  await assert.rejects(kem.deserializePrivateKey(new Uint8Array(33)), /DeserializeError|32 bytes/);
  const libKey = await new DhkemX25519HkdfSha256().generateKeyPair();
  await assert.rejects(kem.encap({ recipientPublicKey: libKey.publicKey }));
  await assert.rejects(kem.importKey('jwk', { kty: 'OKP', crv: 'X25519', x: 'AA', d: 'AA' }, true));
  await assert.rejects(kem.importKey('jwk', { kty: 'EC', crv: 'P-256', x: 'AA' }, true));
});

test('DHKEM(X25519) on node:crypto imports JWKs and raw keys that round-trip', async () => {
  const kem = new NodeDhkemX25519HkdfSha256();
  const eph = await kem.deriveKeyPair(unhex(A1.ikmE));
  const x = Buffer.from(A1.pkEm, 'hex').toString('base64url');
  const d = Buffer.from(A1.skEm, 'hex').toString('base64url');
  const priv = await kem.importKey('jwk', { kty: 'OKP', crv: 'X25519', x, d }, false);
  const pub = await kem.importKey('jwk', { kty: 'OKP', crv: 'X25519', x }, true);
  assert.equal(hex(await kem.serializePrivateKey(priv)), A1.skEm);
  assert.equal(hex(await kem.serializePublicKey(pub)), hex(await kem.serializePublicKey(eph.publicKey)));
  const rawPub = await kem.importKey('raw', unhex(A1.pkRm).buffer as ArrayBuffer, true);
  assert.equal(hex(await kem.serializePublicKey(rawPub)), A1.pkRm);
});
