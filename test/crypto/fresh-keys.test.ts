/**
 * Keys made without Node.js's key-generation jobs (src/crypto/fresh-keys.ts): they work as keys
 * of their kind, and no job exists for the collector to destroy while the key's lock is held.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createPublicKey, diffieHellman, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';
import { test } from 'node:test';
import { newEcdsaKeyPair, newEcPrivateKey, newX25519PrivateKey } from '../../src/crypto/fresh-keys.js';
import { NodeDhkemX25519HkdfSha256 } from '../../src/crypto/node-x25519.js';
import { generateKeepKey } from '../../src/keep/identity.js';

/** The async resources `fn` creates, by type. */
async function resourcesOf(fn: () => unknown): Promise<string[]> {
  const types: string[] = [];
  const hook = createHook({ init: (_id, type) => void types.push(type) }).enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return types;
}

const JOBS = /KEYPAIRGENREQUEST|KEYGENREQUEST/;

test('the hook sees the job a generateKeyPairSync makes (the check below can fail)', async () => {
  assert.ok((await resourcesOf(() => generateKeyPairSync('x25519'))).some((t) => JOBS.test(t)));
});

test('no key-generation job: X25519, P-256, P-384, the HPKE suite and the keep key', async () => {
  const made = await resourcesOf(async () => {
    newX25519PrivateKey();
    newEcPrivateKey('P-256');
    newEcPrivateKey('P-384');
    await newEcdsaKeyPair('P-256', true);
    await new NodeDhkemX25519HkdfSha256().generateKeyPair();
    await generateKeepKey('x25519');
  });
  assert.deepEqual(made.filter((t) => JOBS.test(t)), []);
});

test('fresh X25519 keys agree on a shared secret and differ from each other', () => {
  const a = newX25519PrivateKey();
  const b = newX25519PrivateKey();
  const ab = diffieHellman({ privateKey: a, publicKey: createPublicKey(b) });
  const ba = diffieHellman({ privateKey: b, publicKey: createPublicKey(a) });
  assert.equal(ab.length, 32);
  assert.deepEqual(ab, ba);
  assert.notDeepEqual(a.export({ format: 'jwk' }).d, b.export({ format: 'jwk' }).d);
});

test('fresh EC keys are on their curve, sign and verify, and differ from each other', async () => {
  for (const [curve, openssl, hash] of [['P-256', 'prime256v1', 'sha256'], ['P-384', 'secp384r1', 'sha384']] as const) {
    const key = newEcPrivateKey(curve);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, openssl);
    const signature = sign(hash, Buffer.from('fresh'), key);
    assert.ok(verify(hash, Buffer.from('fresh'), createPublicKey(key), signature));
    assert.notEqual(key.export({ format: 'jwk' }).d, newEcPrivateKey(curve).export({ format: 'jwk' }).d);
  }
  const pair = await newEcdsaKeyPair('P-256', false);
  assert.equal(pair.privateKey.extractable, false);
  const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const sig = await webcrypto.subtle.sign(algorithm, pair.privateKey, Buffer.from('x'));
  assert.ok(await webcrypto.subtle.verify(algorithm, pair.publicKey, sig, Buffer.from('x')));
});
