import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SignJWT, createLocalJWKSet, importPKCS8, jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import type { Appraisal } from '../../src/attestation/appraisal.js';
import { EarError, earAccepts, earSubmod, verifyEar } from '../../src/client/ear.js';
import { EAR_SUBMOD } from '../../src/protocol/ear.js';
import type { EarClaims } from '../../src/protocol/ear.js';
import { EAR_SIGNING_KEY_FILE, EarSigner, earClaims } from '../../src/steward/ear.js';
import { EAR_NOW, EAR_REFERENCE, earFixture, type EarFixture } from '../support/ear-fixture.js';

let fx: EarFixture;
let dir: string;
let signer: EarSigner;
let stewardKey: CryptoKey;
let sim: Appraisal;
let reportData: Buffer;
const nonce = randomBytes(32);
const now = EAR_NOW;
const reference = EAR_REFERENCE;

before(async () => {
  fx = await earFixture('client-ear');
  ({ dir, signer, sim, reportData } = fx);
  // The steward's own key, to sign payloads its EarSigner would refuse to.
  stewardKey = await importPKCS8(readFileSync(join(dir, 'steward', EAR_SIGNING_KEY_FILE), 'utf8'), 'ES384');
});
after(() => fx.cleanup());

const claimsFor = (appraisal: Appraisal, at: Date = now): EarClaims =>
  earClaims({ outcome: { ok: true, appraisal, reference }, nonce, reportData, now: at, verifierBuild: 'enarx-ts test' });
const snp = (): Appraisal => ({ ...sim, tee: 'sev-snp' });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EarError, String(e));
    return e.code;
  }
  return 'accepted';
}

/** Signs any payload with the steward's key and header, as a steward with a bug would. */
function forge(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES384', kid: signer.kid, typ: 'eat+jwt', ...header }).sign(stewardKey);
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

test('a fresh EAR verifies with jose directly and with verifyEar, nonce checked', async () => {
  const claims = claimsFor(snp());
  const token = await signer.sign(claims, now);
  const { payload } = await jwtVerify(token, createLocalJWKSet(signer.jwks()), { algorithms: ['ES384'], currentDate: now });
  assert.equal(payload['eat_profile'], 'tag:ietf.org,2026:rats/ear#04');
  const verified = await verifyEar(token, signer.jwks(), { nonce, now });
  assert.deepEqual(JSON.parse(JSON.stringify(verified)), JSON.parse(JSON.stringify(claims)));
  assert.ok(Object.isFrozen(verified) && Object.isFrozen(earSubmod(verified)));
  assert.equal(earSubmod(verified).ear_status, 'affirming');
  assert.equal(earSubmod(verified)['enarx-ts.tee']?.reportData, reportData.toString('hex'));
  assert.equal(earAccepts(verified), true);
});

test('a tampered payload or signature is refused as ERR_EAR_SIGNATURE', async () => {
  const token = await signer.sign(claimsFor(snp()), now);
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as EarClaims;
  const upgraded = { ...payload, submods: { [EAR_SUBMOD]: { ...payload.submods[EAR_SUBMOD], 'enarx-ts.runtime': { name: 'x', release: 'y', backend: 'snp' } } } };
  assert.equal(await code(verifyEar(`${h}.${b64(upgraded)}.${s}`, signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
  const sig = Buffer.from(s, 'base64url');
  sig[10]! ^= 1;
  assert.equal(await code(verifyEar(`${h}.${p}.${sig.toString('base64url')}`, signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
  assert.equal(await code(verifyEar('not a token', signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
});

test("a token signed by another key is refused, under its own kid or the steward's", async () => {
  const other = await EarSigner.loadOrCreate(join(dir, 'other'));
  const claims = claimsFor(snp());
  assert.equal(await code(verifyEar(await other.sign(claims, now), signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const posing = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES384', kid: signer.kid, typ: 'eat+jwt' }).sign(privateKey);
  assert.equal(await code(verifyEar(posing, signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
});

test('alg none and HS256 (keyed with the public key) are refused', async () => {
  const claims = claimsFor(snp());
  const none = `${b64({ alg: 'none', typ: 'eat+jwt' })}.${b64(claims)}.`;
  assert.equal(await code(verifyEar(none, signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
  const secret = Buffer.from(JSON.stringify(signer.jwks().keys[0]));
  const hs = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', kid: signer.kid, typ: 'eat+jwt' }).sign(secret);
  assert.equal(await code(verifyEar(hs, signer.jwks(), { now })), 'ERR_EAR_SIGNATURE');
  const keyless = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'eat+jwt' }).sign(secret);
  assert.equal(await code(verifyEar(keyless, { keys: [] }, { now })), 'ERR_EAR_SIGNATURE');
});

test('a wrong or missing nonce is refused as ERR_EAR_NONCE', async () => {
  const token = await signer.sign(claimsFor(snp()), now);
  assert.equal(await code(verifyEar(token, signer.jwks(), { now, nonce: randomBytes(32) })), 'ERR_EAR_NONCE');
  assert.equal(await code(verifyEar(token, signer.jwks(), { now, nonce: nonce.subarray(0, 16) })), 'ERR_EAR_NONCE');
  const { eat_nonce: _, ...noNonce } = claimsFor(snp());
  assert.equal(await code(verifyEar(await signer.sign(noNonce, now), signer.jwks(), { now, nonce })), 'ERR_EAR_NONCE');
  assert.equal(await code(verifyEar(token, signer.jwks(), { now })), 'accepted');
});

test('an old or future iat, or a passed exp, is refused as ERR_EAR_STALE', async () => {
  const issued = new Date(now.getTime() - 6 * 60_000);
  const old = await signer.sign(claimsFor(snp(), issued), issued);
  assert.equal(await code(verifyEar(old, signer.jwks(), { now })), 'ERR_EAR_STALE');
  assert.equal(await code(verifyEar(old, signer.jwks(), { now, maxAgeMs: 10 * 60_000 })), 'accepted');
  const ahead = new Date(now.getTime() + 2 * 60_000);
  assert.equal(await code(verifyEar(await signer.sign(claimsFor(snp(), ahead), ahead), signer.jwks(), { now })), 'ERR_EAR_STALE');
  const skewed = new Date(now.getTime() + 30_000);
  assert.equal(await code(verifyEar(await signer.sign(claimsFor(snp(), skewed), skewed), signer.jwks(), { now })), 'accepted');
  const expired = await forge({ ...claimsFor(snp()), exp: Math.floor(now.getTime() / 1000) - 120 });
  assert.equal(await code(verifyEar(expired, signer.jwks(), { now })), 'ERR_EAR_STALE');
});

test('signed claims that are not an enarx-ts EAR are refused as ERR_EAR_CLAIMS', async () => {
  const claims = claimsFor(snp());
  const sub = claims.submods[EAR_SUBMOD];
  const bad: JWTPayload[] = [
    { ...claims, eat_profile: 'tag:github.com,2023:veraison/ear' },
    { ...claims, iat: claims.iat + 0.5 },
    { ...claims, submods: {} },
    { ...claims, submods: { [EAR_SUBMOD]: { ...sub, ear_trustworthiness_vector: { hardware: 99 } } } },
    { ...claims, submods: { [EAR_SUBMOD]: { ...sub, ear_trustworthiness_vector: {} } } },
    { ...claims, submods: { [EAR_SUBMOD]: { ...sub, 'enarx-ts.error': { code: 'ERR_X', message: '' } } } },
    { ...claims, ear_status: 'affirming', submods: { [EAR_SUBMOD]: { ...sub, ear_status: 'contraindicated', 'enarx-ts.error': { code: 'ERR_X', message: '' } } } },
    { ...claims, eat_nonce: 'short' },
  ];
  for (const payload of bad) assert.equal(await code(verifyEar(await forge(payload), signer.jwks(), { now })), 'ERR_EAR_CLAIMS', JSON.stringify(payload));
  assert.equal(await code(verifyEar(await forge({ ...claims }, { typ: 'JWT' }), signer.jwks(), { now })), 'ERR_EAR_CLAIMS');
  // Claims we do not know are ignored, as the draft asks, and dropped from the result.
  const extended = await verifyEar(await forge({ ...claims, 'example.com/extra': { a: 1 } }), signer.jwks(), { now });
  assert.equal((extended as unknown as Record<string, unknown>)['example.com/extra'], undefined);
});

test('earAccepts: affirming, or warning only for the simulator', async () => {
  const verify = async (c: EarClaims) => verifyEar(await signer.sign(c, now), signer.jwks(), { now });
  assert.equal(earAccepts(await verify(claimsFor(sim))), true);
  assert.equal(earSubmod(await verify(claimsFor(sim))).ear_status, 'warning');
  assert.equal(earAccepts(await verify(claimsFor({ ...snp(), tcbStatus: 'OutOfDate' }))), false);
  const refused = earClaims({ outcome: { ok: false, code: 'ERR_MEASUREMENT', message: 'unknown', appraisal: sim }, now, verifierBuild: 'b' });
  assert.equal(earAccepts(await verify(refused)), false);
  assert.equal(earSubmod(await verify(refused))['enarx-ts.error']?.code, 'ERR_MEASUREMENT');
});
