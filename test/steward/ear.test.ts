import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Appraisal } from '../../src/attestation/appraisal.js';
import type { ReferenceValue } from '../../src/attestation/reference-values.js';
import { EAR_PROFILE, EAR_SUBMOD, ENARX_KEEP_PROFILE, validateEarClaims } from '../../src/protocol/ear.js';
import type { EarClaims } from '../../src/protocol/ear.js';
import { EAR_SIGNING_KEY_FILE, EarSigner, earClaims } from '../../src/steward/ear.js';
import { EAR_NOW, EAR_REFERENCE, earFixture, type EarFixture } from '../support/ear-fixture.js';

let fx: EarFixture;
let dir: string;
let signer: EarSigner;
let sim: Appraisal;
let reportData: Buffer;
const now = EAR_NOW;
const reference = EAR_REFERENCE;

before(async () => {
  fx = await earFixture('steward-ear');
  ({ dir, signer, sim, reportData } = fx);
});
after(() => fx.cleanup());

/** The same verified appraisal as if it had come from SEV-SNP hardware. */
const snp = (extra: Partial<Appraisal> = {}): Appraisal => ({ ...sim, tee: 'sev-snp', ...extra });
const accepted = (appraisal: Appraisal, ref: ReferenceValue | undefined = reference, nonce?: Uint8Array): EarClaims =>
  earClaims({ outcome: { ok: true, appraisal, reference: ref }, reportData, now, verifierBuild: 'enarx-ts test', ...(nonce ? { nonce } : {}) });

test('the key is a 0600 PKCS#8 file, written without leftovers, and survives a reload with the same kid', async () => {
  const stateDir = join(dir, 'steward');
  const file = join(stateDir, EAR_SIGNING_KEY_FILE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(stateDir), [EAR_SIGNING_KEY_FILE]);
  const again = await EarSigner.loadOrCreate(stateDir);
  assert.equal(again.kid, signer.kid);
  assert.deepEqual(again.jwks(), signer.jwks());
});

test('concurrent first starts agree on one key', async () => {
  const stateDir = join(dir, 'race');
  const signers = await Promise.all([1, 2, 3, 4].map(() => EarSigner.loadOrCreate(stateDir)));
  assert.equal(new Set(signers.map((s) => s.kid)).size, 1);
  assert.deepEqual(readdirSync(stateDir), [EAR_SIGNING_KEY_FILE]);
});

test('a key file readable by others is refused', async () => {
  const stateDir = join(dir, 'loose');
  await EarSigner.loadOrCreate(stateDir);
  chmodSync(join(stateDir, EAR_SIGNING_KEY_FILE), 0o644);
  await assert.rejects(EarSigner.loadOrCreate(stateDir), { code: 'ERR_INTERNAL' });
});

test('the JWKS is public only: one P-384 key, kid = RFC 7638 thumbprint, alg ES384, use sig', () => {
  const { keys } = signer.jwks();
  assert.equal(keys.length, 1);
  const [key] = keys;
  assert.deepEqual(Object.keys(key!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  assert.equal(key!.kty, 'EC');
  assert.equal(key!.crv, 'P-384');
  assert.equal(key!.alg, 'ES384');
  assert.equal(key!.use, 'sig');
  assert.equal(key!.kid, signer.kid);
  // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: key!.crv, kty: key!.kty, x: key!.x, y: key!.y });
  assert.equal(signer.kid, createHash('sha256').update(canonical).digest('base64url'));
});

test('an EAR signed by the steward verifies with jose against its JWKS', async () => {
  const nonce = randomBytes(32);
  const claims = accepted(snp(), reference, nonce);
  const token = await signer.sign(claims, now);
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(signer.jwks()), { algorithms: ['ES384'], currentDate: now });
  assert.deepEqual(protectedHeader, { alg: 'ES384', kid: signer.kid, typ: 'eat+jwt' });
  assert.deepEqual(payload, JSON.parse(JSON.stringify(claims)));
  assert.equal(payload['eat_profile'], 'tag:ietf.org,2026:rats/ear#04');
  assert.equal(payload['eat_nonce'], nonce.toString('base64url'));
  assert.equal(decodeProtectedHeader(token).kid, signer.kid);
});

test('accepted hardware evidence is affirming: hardware genuine, configuration and executables approved', () => {
  const claims = accepted(snp());
  assert.equal(claims.eat_profile, EAR_PROFILE);
  assert.equal(claims.iat, Math.floor(now.getTime() / 1000));
  assert.deepEqual(claims.ear_verifier_id, { developer: 'https://github.com/enarx-ts', build: 'enarx-ts test' });
  assert.equal(claims.eat_nonce, undefined);
  const sub = claims.submods[EAR_SUBMOD];
  assert.equal(sub.eat_profile, ENARX_KEEP_PROFILE);
  assert.equal(sub.ear_status, 'affirming');
  assert.equal(claims.ear_status, 'affirming');
  assert.deepEqual(sub.ear_trustworthiness_vector, { hardware: 2, 'runtime-opaque': 2, configuration: 2, executables: 2 });
  assert.deepEqual(sub['enarx-ts.runtime'], { name: 'enarx-ts', release: '0.1.0', backend: 'sim' });
  assert.equal(sub['enarx-ts.tee']?.tee, 'sev-snp');
  assert.equal(sub['enarx-ts.tee']?.measurement, reference.measurement);
  assert.equal(sub['enarx-ts.tee']?.reportData, reportData.toString('hex'));
  assert.equal(sub['enarx-ts.error'], undefined);
  assert.ok(validateEarClaims(claims).ok);
});

test('sim evidence is at most warning, with no hardware claim', () => {
  const sub = accepted(sim).submods[EAR_SUBMOD];
  assert.equal(sim.tee, 'sim');
  assert.equal(sub.ear_status, 'warning');
  assert.equal(sub.ear_trustworthiness_vector.hardware, undefined);
  assert.equal(sub.ear_trustworthiness_vector['runtime-opaque'], undefined);
  assert.equal(sub['enarx-ts.tee']?.tee, 'sim');
  assert.equal(accepted({ ...sim, debug: true }).submods[EAR_SUBMOD].ear_status, 'warning');
});

test('what policy accepted with reservations shows: a non-current TCB, debug, no named release', () => {
  const outdated = accepted(snp({ tcbStatus: 'SWHardeningNeeded' })).submods[EAR_SUBMOD];
  assert.equal(outdated.ear_trustworthiness_vector.hardware, 32);
  assert.equal(outdated.ear_status, 'warning');
  const debug = accepted(snp({ debug: true })).submods[EAR_SUBMOD];
  assert.equal(debug.ear_trustworthiness_vector.configuration, 32);
  assert.equal(debug.ear_trustworthiness_vector['runtime-opaque'], undefined);
  assert.equal(debug.ear_status, 'warning');
  const unnamed = earClaims({ outcome: { ok: true, appraisal: snp(), reference: undefined }, now, verifierBuild: 'b' }).submods[EAR_SUBMOD];
  assert.equal(unnamed.ear_trustworthiness_vector.executables, undefined);
  assert.equal(unnamed['enarx-ts.runtime'], undefined);
});

test('a refusal is contraindicated and carries its code, with or without an appraisal', async () => {
  const withAppraisal = earClaims({ outcome: { ok: false, code: 'ERR_MEASUREMENT', message: 'not a known runtime', appraisal: snp() }, now, verifierBuild: 'b' });
  const sub = withAppraisal.submods[EAR_SUBMOD];
  assert.equal(sub.ear_status, 'contraindicated');
  assert.equal(withAppraisal.ear_status, 'contraindicated');
  assert.deepEqual(sub['enarx-ts.error'], { code: 'ERR_MEASUREMENT', message: 'not a known runtime' });
  assert.equal(sub.ear_trustworthiness_vector.executables, 33);
  assert.equal(sub.ear_trustworthiness_vector.hardware, 2);
  const bare = earClaims({ outcome: { ok: false, code: 'ERR_EVIDENCE', message: 'bad signature' }, now, verifierBuild: 'b' }).submods[EAR_SUBMOD];
  assert.deepEqual(bare.ear_trustworthiness_vector, { hardware: 99 });
  assert.equal(bare['enarx-ts.tee'], undefined);
  const unmapped = earClaims({ outcome: { ok: false, code: 'ERR_REPLAYED', message: 'seen' }, now, verifierBuild: 'b' }).submods[EAR_SUBMOD];
  assert.deepEqual(unmapped.ear_trustworthiness_vector, { 'instance-identity': 0 });
  const token = await signer.sign(withAppraisal, now);
  const { payload } = await jwtVerify(token, createLocalJWKSet(signer.jwks()), { algorithms: ['ES384'], currentDate: now });
  assert.equal((payload['submods'] as Record<string, { 'enarx-ts.error': { code: string } }>)[EAR_SUBMOD]!['enarx-ts.error'].code, 'ERR_MEASUREMENT');
});

test("the caller's mistakes are TypeErrors: bad nonce, unbound report data, bad code, claims the signer will not sign", async () => {
  assert.throws(() => accepted(snp(), reference, new Uint8Array(7)), TypeError);
  assert.throws(() => earClaims({ outcome: { ok: true, appraisal: snp(), reference }, reportData: randomBytes(64), now, verifierBuild: 'b' }), TypeError);
  assert.throws(() => earClaims({ outcome: { ok: false, code: 'nope', message: '' }, now, verifierBuild: 'b' }), TypeError);
  const claims = accepted(snp());
  await assert.rejects(signer.sign(claims, new Date(now.getTime() + 120_000)), TypeError);
  const sub = claims.submods[EAR_SUBMOD];
  const lying = { ...claims, submods: { [EAR_SUBMOD]: { ...sub, ear_trustworthiness_vector: { ...sub.ear_trustworthiness_vector, hardware: 99 } } } };
  await assert.rejects(signer.sign(lying, now), TypeError);
});
