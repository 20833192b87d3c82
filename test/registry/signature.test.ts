import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { RegistryErrorCode } from '../../src/registry/errors.js';
import {
  COSIGN,
  MAX_PAYLOAD_BYTES,
  MAX_SIGNATURE_LAYERS,
  parseSimpleSigningPayload,
  readSignatureImage,
  signatureImage,
  signatureTag,
  signPayload,
  simpleSigningPayload,
  verifyPackageSignatures,
  verifyPayload,
} from '../../src/registry/signature.js';
import { openssl } from '../support/test-ca.js';

const NO_OPENSSL = spawnSync('openssl', ['version']).status === 0 ? false : 'the openssl command is not installed';
const DIGEST = `sha256:${'d34db33f'.repeat(8)}`;
const OTHER_DIGEST = `sha256:${'4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec'}`;
const REF = 'registry.example:5000/apps/hello';

const tmp = mkdtempSync(join(tmpdir(), 'signature-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts `fn` throws an error with `code`. */
function throwsCode(fn: () => unknown, code: string, message?: RegExp, label = ''): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `${label} ${String(err)}`);
    if (message) assert.match((err as Error).message, message);
    return true;
  });
}

/** Keys as `openssl` makes them; hash = the `openssl dgst` digest (null: Ed25519, signed raw). */
interface OpensslKey {
  readonly name: string;
  readonly keyPath: string;
  readonly pubPath: string;
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
}

function opensslKeys(): OpensslKey[] {
  const make = (name: string, args: string[], hash: OpensslKey['hash']): OpensslKey => {
    const keyPath = join(tmp, `${name}.key`);
    const pubPath = join(tmp, `${name}.pub`);
    openssl(tmp, [...args, '-out', keyPath]);
    openssl(tmp, ['pkey', '-in', keyPath, '-pubout', '-out', pubPath]);
    return { name, keyPath, pubPath, hash };
  };
  return [
    make('p256-sec1', ['ecparam', '-genkey', '-name', 'prime256v1', '-noout'], 'sha256'),
    make('p256-sec1-with-params', ['ecparam', '-genkey', '-name', 'prime256v1'], 'sha256'),
    make('p256-pkcs8', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'sha256'),
    make('p384-pkcs8', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'sha384'),
    make('p521-pkcs8', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], 'sha512'),
    make('ed25519', ['genpkey', '-algorithm', 'ed25519'], null),
    make('rsa2048', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'sha256'),
  ];
}

let keysMade: OpensslKey[] | undefined;
const keys = (): OpensslKey[] => (keysMade ??= opensslKeys());
const pem = (path: string): string => readFileSync(path, 'utf8');

/** Verifies with the openssl command line: `openssl dgst` for ECDSA/RSA, `pkeyutl -rawin` for Ed25519. */
function opensslVerifies(k: OpensslKey, payload: Uint8Array, signatureB64: string): boolean {
  const p = join(tmp, `${k.name}.payload`);
  const s = join(tmp, `${k.name}.sig.der`);
  writeFileSync(p, payload);
  writeFileSync(s, Buffer.from(signatureB64, 'base64'));
  const args = k.hash === null
    ? ['pkeyutl', '-verify', '-pubin', '-inkey', k.pubPath, '-rawin', '-in', p, '-sigfile', s]
    : ['dgst', `-${k.hash}`, '-verify', k.pubPath, '-signature', s, p];
  return spawnSync('openssl', args, { cwd: tmp }).status === 0;
}

/** A signature made by the openssl command line, base64. */
function opensslSigns(k: OpensslKey, payload: Uint8Array): string {
  const p = join(tmp, `${k.name}.payload`);
  const s = join(tmp, `${k.name}.osig`);
  writeFileSync(p, payload);
  openssl(tmp, k.hash === null ? ['pkeyutl', '-sign', '-inkey', k.keyPath, '-rawin', '-in', p, '-out', s] : ['dgst', `-${k.hash}`, '-sign', k.keyPath, '-out', s, p]);
  return readFileSync(s).toString('base64');
}

test('signatureTag: sha256:<hex> → sha256-<hex>.sig (SIGNATURE_SPEC.md, tag-based discovery)', () => {
  const d = 'sha256:97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36';
  assert.equal(signatureTag(d), 'sha256-97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36.sig');
  assert.throws(() => signatureTag('sha512:abcd'), TypeError);
});

test("simpleSigningPayload: byte for byte the payloads of cosign's and sigstore's own tests", () => {
  // sigstore/sigstore bd0ad712 pkg/signature/payload/payload_test.go TestMarshalCosign "no claims", "custom identity".
  assert.equal(
    Buffer.from(simpleSigningPayload('example.com/test/image', DIGEST)).toString(),
    `{"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
  );
  assert.equal(
    Buffer.from(simpleSigningPayload('docker.io/library/test:1.2.3', DIGEST, {})).toString(),
    `{"critical":{"identity":{"docker-reference":"docker.io/library/test:1.2.3"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
  );
  // sigstore/cosign d6d86c22 pkg/cosign/obsolete_test.go.
  assert.deepEqual(
    Buffer.from(simpleSigningPayload('index.docker.io/namespace/image', OTHER_DIGEST)),
    Buffer.from(`{"critical":{"identity":{"docker-reference":"index.docker.io/namespace/image"},"image":{"docker-manifest-digest":"${OTHER_DIGEST}"},"type":"cosign container image signature"},"optional":null}`),
  );
});

test("simpleSigningPayload: annotations as Go's encoding/json writes a map (keys by UTF-8 bytes, HTML-safe escapes)", () => {
  const bytes = simpleSigningPayload(REF, DIGEST, { '\u{1F600}': 'smile', '\uFFFD': 'bmp', b: '<a & b>\u2028"\n', a: 'x' });
  const text = Buffer.from(bytes).toString();
  // U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80) by bytes, after it by UTF-16 units.
  assert.ok(text.endsWith(`"optional":{"a":"x","b":"\\u003ca \\u0026 b\\u003e\\u2028\\"\\n","\uFFFD":"bmp","\u{1F600}":"smile"}}`), text);
  assert.deepEqual(parseSimpleSigningPayload(bytes).optional, { a: 'x', b: '<a & b>\u2028"\n', '\uFFFD': 'bmp', '\u{1F600}': 'smile' });
  assert.throws(() => simpleSigningPayload(REF, DIGEST, { a: '\uD800' }), TypeError);
  assert.throws(() => simpleSigningPayload('', DIGEST), TypeError);
  assert.throws(() => simpleSigningPayload(REF, 'sha256:abc'), TypeError);
});

test('parseSimpleSigningPayload: reads what cosign writes, refuses what it should not believe', () => {
  const p = parseSimpleSigningPayload(simpleSigningPayload(REF, DIGEST));
  assert.deepEqual({ ...p }, { dockerReference: REF, manifestDigest: DIGEST, type: COSIGN.SIGNATURE_TYPE, optional: null });
  assert.ok(Object.isFrozen(p));
  const json = (o: unknown): Uint8Array => Buffer.from(JSON.stringify(o));
  const critical = { identity: { 'docker-reference': REF }, image: { 'docker-manifest-digest': DIGEST }, type: COSIGN.SIGNATURE_TYPE };
  // Unknown fields are ignored, as by Go's decoder; a missing optional reads as null.
  assert.equal(parseSimpleSigningPayload(json({ critical: { ...critical, extra: 1 }, more: [] })).optional, null);
  const bad: [unknown, string][] = [
    [[critical], 'array'],
    [{ critical: { ...critical, type: 'atomic container signature' } }, 'atomic type'],
    [{ critical: { ...critical, image: { 'docker-manifest-digest': 'sha512:00' } } }, 'digest'],
    [{ critical: { ...critical, image: { 'docker-manifest-digest': DIGEST, 'Docker-Manifest-Digest': OTHER_DIGEST } } }, 'case-folded twin'],
    [{ critical: { ...critical, image: { 'docker-manifest-digest': DIGEST, 'doc\u212Aer-manifest-digest': OTHER_DIGEST } } }, 'Kelvin-sign twin'],
    [{ critical: { ...critical, identity: { 'docker-reference': 7 } } }, 'reference type'],
    [{ critical, optional: 'x' }, 'optional string'],
    [{ critical: null }, 'null critical'],
  ];
  for (const [doc, why] of bad) throwsCode(() => parseSimpleSigningPayload(json(doc)), RegistryErrorCode.FORMAT, undefined, why);
  throwsCode(() => parseSimpleSigningPayload(Uint8Array.of(0x7b, 0xff, 0x7d)), RegistryErrorCode.FORMAT);
  throwsCode(() => parseSimpleSigningPayload(new Uint8Array(MAX_PAYLOAD_BYTES + 1)), RegistryErrorCode.TOO_LARGE);
});

// A genuine cosign v3.0.4 signature (`cosign sign --key … --tlog-upload=false`, classic attached
// format), captured byte for byte and checked with `cosign verify --key` by its authors:
// github.com/tobby-fetch/tobby-fetch internal/sigverify/cosign_compat_test.go @ 976ea80d85.
const GENUINE = {
  subject: 'sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268',
  reference: 'localhost:15381/tobby/fixture',
  publicKeyPem: `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEA9oFvTJJuu0cszKBsiuqfFYN3NLV
meleaASYW5l+nqDxoUg4f8177owlgVD89pZQ9jUxP8dbibmDJpvcjBo9RQ==
-----END PUBLIC KEY-----
`,
  keyId: 'dc2bcfdb0402cd0845f59232655c3ab2a53d55849d4665579efe45c6cc753478',
  signature: 'MEUCIEB+pz4s+9yxG+Om/bukeAfwloKFEISUhxLvIYlP02P8AiEAz1oNkilC+cprxcrEHqN0vxM+zvP34ikHFzi8e7Sevls=',
  manifest:
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":233,"digest":"sha256:2122b6ad0794d3fdae43a4b477cf1d95d4a38d3c5f10631e199676039b876e37"},' +
    '"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":245,"digest":"sha256:3a29d26a2fc848d25ccf9c2288194ca90599e70ef69087644f186e5e7331f28b","annotations":{"dev.cosignproject.cosign/signature":"MEUCIEB+pz4s+9yxG+Om/bukeAfwloKFEISUhxLvIYlP02P8AiEAz1oNkilC+cprxcrEHqN0vxM+zvP34ikHFzi8e7Sevls="}}]}',
  payload:
    '{"critical":{"identity":{"docker-reference":"localhost:15381/tobby/fixture"},"image":{"docker-manifest-digest":"sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268"},"type":"cosign container image signature"},"optional":null}',
};

test('a genuine cosign signature: same payload, same manifest and config bytes, verifies with its key', () => {
  const payload = simpleSigningPayload(GENUINE.reference, GENUINE.subject);
  assert.equal(Buffer.from(payload).toString(), GENUINE.payload);
  const img = signatureImage([{ payload, signature: GENUINE.signature }]);
  assert.equal(Buffer.from(img.manifest).toString(), GENUINE.manifest);
  assert.equal(`sha256:${createHash('sha256').update(img.config).digest('hex')}`, 'sha256:2122b6ad0794d3fdae43a4b477cf1d95d4a38d3c5f10631e199676039b876e37');
  const [entry] = readSignatureImage(Buffer.from(GENUINE.manifest));
  assert.equal(entry?.signature, GENUINE.signature);
  assert.equal(verifyPayload(payload, GENUINE.signature, GENUINE.publicKeyPem), true);
  const got = verifyPackageSignatures({ manifestDigest: GENUINE.subject, entries: [{ payload, signature: GENUINE.signature }], publicKeysPem: [GENUINE.publicKeyPem] });
  assert.equal(got.signerKeyId, GENUINE.keyId);
  assert.equal(got.publicKeyPem, GENUINE.publicKeyPem);
  throwsCode(() => verifyPackageSignatures({ manifestDigest: OTHER_DIGEST, entries: [{ payload, signature: GENUINE.signature }], publicKeysPem: [GENUINE.publicKeyPem] }), RegistryErrorCode.SIGNATURE);
});

test('sign/verify round trip for every openssl key kind; openssl verifies ours and we verify its', { skip: NO_OPENSSL }, () => {
  const payload = simpleSigningPayload(REF, DIGEST);
  for (const k of keys()) {
    const s = signPayload(payload, pem(k.keyPath));
    const spki = createPublicKey(pem(k.pubPath)).export({ type: 'spki', format: 'der' });
    assert.equal(s.keyId, createHash('sha256').update(spki).digest('hex'), k.name);
    assert.deepEqual(createPublicKey(s.publicKeyPem).export({ type: 'spki', format: 'der' }), spki, k.name);
    assert.equal(verifyPayload(payload, s.signature, pem(k.pubPath)), true, k.name);
    assert.equal(opensslVerifies(k, payload, s.signature), true, `openssl verifies ${k.name}`);
    assert.equal(verifyPayload(payload, opensslSigns(k, payload), pem(k.pubPath)), true, `we verify openssl's ${k.name}`);
    const tampered = Uint8Array.from(payload);
    tampered[40] = (tampered[40] ?? 0) ^ 1;
    assert.equal(verifyPayload(tampered, s.signature, pem(k.pubPath)), false, `tampered ${k.name}`);
  }
});

test('keys: PKCS #1 RSA works; encrypted and cosign-format keys, public keys, other curves are refused clearly', { skip: NO_OPENSSL }, () => {
  const rsa = keys().find((k) => k.name === 'rsa2048');
  assert.ok(rsa);
  const pkcs1 = openssl(tmp, ['rsa', '-in', rsa.keyPath, '-traditional']);
  assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
  assert.equal(verifyPayload(Uint8Array.of(1), signPayload(Uint8Array.of(1), pkcs1).signature, pem(rsa.pubPath)), true);
  const p256 = keys()[0];
  assert.ok(p256);
  const enc8 = openssl(tmp, ['pkey', '-in', p256.keyPath, '-aes256', '-passout', 'pass:secret']);
  assert.throws(() => signPayload(Uint8Array.of(1), enc8), { name: 'TypeError', message: /encrypted/ });
  const encSec1 = openssl(tmp, ['ec', '-in', p256.keyPath, '-aes256', '-passout', 'pass:secret']);
  assert.match(encSec1, /Proc-Type: 4,ENCRYPTED/);
  assert.throws(() => signPayload(Uint8Array.of(1), encSec1), { name: 'TypeError', message: /encrypted/ });
  const cosignKey = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n';
  assert.throws(() => signPayload(Uint8Array.of(1), cosignKey), { name: 'TypeError', message: /cosign's encrypted key format.*not supported/ });
  assert.throws(() => signPayload(Uint8Array.of(1), pem(p256.pubPath)), { name: 'TypeError', message: /not a private key/ });
  assert.throws(() => verifyPayload(Uint8Array.of(1), 'AAAA', pem(p256.keyPath)), { name: 'TypeError', message: /not a public key/ });
  const k1 = join(tmp, 'k1.key');
  openssl(tmp, ['ecparam', '-genkey', '-name', 'secp256k1', '-noout', '-out', k1]);
  assert.throws(() => signPayload(Uint8Array.of(1), pem(k1)), { name: 'TypeError', message: /unsupported signing key/ });
  assert.throws(() => signPayload(Uint8Array.of(1), 'not a key'), TypeError);
});

test('verifyPayload: malformed signatures answer false and never throw', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const pubPem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  const payload = simpleSigningPayload(REF, DIGEST);
  const good = signPayload(payload, keyPem).signature;
  const der = Buffer.from(good, 'base64');
  const malformed = [
    '', '!!!!', 'AAAA', 'AAA', good.slice(0, -4), `${good}AAAA`, ` ${good}`, 'A'.repeat(100_000),
    // Unpadded (a 72-byte DER signature has no padding to drop: then this case is the good one).
    ...(good.endsWith('=') ? [good.replace(/=+$/, '')] : []),
    Buffer.concat([der, Buffer.of(0)]).toString('base64'), // trailing garbage after the DER SEQUENCE
    Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]).toString('base64'), // r = s = 0
    Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0, 0]).toString('base64'), // BER indefinite length
    Buffer.alloc(64, 0xff).toString('base64'),
  ];
  for (const s of malformed) assert.equal(verifyPayload(payload, s, pubPem), false, s.slice(0, 40));
  assert.equal(verifyPayload(payload, 42 as unknown as string, pubPem), false);
  assert.equal(verifyPayload(payload, good, pubPem), true);
  fc.assert(
    fc.property(fc.nat({ max: der.length * 8 - 1 }), (bit) => {
      const flipped = Buffer.from(der);
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      return verifyPayload(payload, flipped.toString('base64'), pubPem) === false;
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => verifyPayload(payload, Buffer.from(bytes).toString('base64'), pubPem) === false),
    { numRuns: 200 },
  );
});

test('verifyPackageSignatures: one good entry among others is accepted, with its key id', { skip: NO_OPENSSL }, () => {
  const [a, b] = [keys()[2], keys()[3]];
  assert.ok(a && b);
  const payload = simpleSigningPayload(REF, DIGEST);
  const byA = signPayload(payload, pem(a.keyPath));
  const byB = signPayload(payload, pem(b.keyPath));
  const forOther = simpleSigningPayload(REF, OTHER_DIGEST);
  const entries = [
    { payload: forOther, signature: signPayload(forOther, pem(a.keyPath)).signature },
    { payload: Buffer.from('not json'), signature: byA.signature },
    { payload, signature: byB.signature },
    { payload, signature: byA.signature },
  ];
  const got = verifyPackageSignatures({ manifestDigest: DIGEST, entries, publicKeysPem: [pem(a.pubPath)] });
  assert.deepEqual(got, { signerKeyId: byA.keyId, publicKeyPem: byA.publicKeyPem });
  // Either key; the first entry that verifies decides.
  assert.equal(verifyPackageSignatures({ manifestDigest: DIGEST, entries, publicKeysPem: [pem(a.pubPath), pem(b.pubPath)] }).signerKeyId, byB.keyId);
  // The reference, when asked for, is compared by repository (a claimed tag is allowed).
  const tagged = simpleSigningPayload(`${REF}:v1`, DIGEST);
  const tEntry = [{ payload: tagged, signature: signPayload(tagged, pem(a.keyPath)).signature }];
  assert.equal(verifyPackageSignatures({ manifestDigest: DIGEST, dockerReference: REF, entries: tEntry, publicKeysPem: [pem(a.pubPath)] }).signerKeyId, byA.keyId);
  throwsCode(() => verifyPackageSignatures({ manifestDigest: DIGEST, dockerReference: 'registry.example:5000/apps/other', entries: tEntry, publicKeysPem: [pem(a.pubPath)] }), RegistryErrorCode.SIGNATURE, /another repository/);
});

test('verifyPackageSignatures: unsigned, another key, another digest, tampered → coded errors naming the keys tried', { skip: NO_OPENSSL }, () => {
  const [a, b] = [keys()[0], keys()[5]];
  assert.ok(a && b);
  const payload = simpleSigningPayload(REF, DIGEST);
  const byA = signPayload(payload, pem(a.keyPath));
  const bId = signPayload(payload, pem(b.keyPath)).keyId;
  const run = (entries: { payload: Uint8Array; signature: string }[], keysPem = [pem(b.pubPath)]) => () =>
    verifyPackageSignatures({ manifestDigest: DIGEST, entries, publicKeysPem: keysPem });
  throwsCode(run([]), RegistryErrorCode.UNSIGNED);
  throwsCode(run([{ payload, signature: byA.signature }]), RegistryErrorCode.SIGNATURE, new RegExp(bId));
  const forOther = simpleSigningPayload(REF, OTHER_DIGEST);
  throwsCode(run([{ payload: forOther, signature: signPayload(forOther, pem(a.keyPath)).signature }], [pem(a.pubPath)]), RegistryErrorCode.SIGNATURE, /another digest/);
  const tampered = Buffer.from(Buffer.from(payload).toString().replace(REF, 'registry.example:5000/apps/hellp'));
  throwsCode(run([{ payload: tampered, signature: byA.signature }], [pem(a.pubPath)]), RegistryErrorCode.SIGNATURE);
  assert.throws(run([{ payload, signature: byA.signature }], []), TypeError);
});

test('signatureImage: config, manifest and layers as cosign writes them; readSignatureImage reads them back', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const p1 = simpleSigningPayload(REF, DIGEST);
  const p2 = simpleSigningPayload(REF, DIGEST, { run: '1' });
  const s1 = signPayload(p1, keyPem).signature;
  const s1b = signPayload(p1, keyPem).signature; // ECDSA is randomised: another layer, same payload
  const s2 = signPayload(p2, keyPem).signature;
  const img = signatureImage([{ payload: p1, signature: s1 }, { payload: p2, signature: s2 }, { payload: p1, signature: s1 }, { payload: p1, signature: s1b }]);
  const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const [d1, d2] = [sha(p1), sha(p2)];
  const h = '{"created":"0001-01-01T00:00:00Z"}';
  assert.equal(
    Buffer.from(img.config).toString(),
    `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[${h},${h},${h}],"os":"","rootfs":{"type":"layers","diff_ids":["${d1}","${d2}","${d1}"]},"config":{}}`,
  );
  const layer = (d: string, n: number, s: string): string =>
    `{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${n},"digest":"${d}","annotations":{"dev.cosignproject.cosign/signature":"${s}"}}`;
  assert.equal(
    Buffer.from(img.manifest).toString(),
    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${img.config.length},"digest":"${sha(img.config)}"},` +
      `"layers":[${layer(d1, p1.length, s1)},${layer(d2, p2.length, s2)},${layer(d1, p1.length, s1b)}]}`,
  );
  assert.equal(img.manifestMediaType, COSIGN.MANIFEST_MEDIA_TYPE);
  assert.deepEqual(img.layers.map((l) => sha(l.bytes)), [d1, d2, d1]);
  const read = readSignatureImage(img.manifest);
  assert.deepEqual(read, img.layers.map((l) => ({ payloadDescriptor: l.descriptor, signature: l.descriptor.annotations?.[COSIGN.SIGNATURE_ANNOTATION] })));
  assert.deepEqual(read.map((r) => r.signature), [s1, s2, s1b]);

  // The OCI 1.1 referrers form: same config blob, config typed as the artifact, plus subject.
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 123, digest: DIGEST };
  const ref = signatureImage([{ payload: p1, signature: s1 }], { subject });
  const m = JSON.parse(Buffer.from(ref.manifest).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(m), ['schemaVersion', 'mediaType', 'config', 'layers', 'subject', 'artifactType']);
  assert.deepEqual(m.config, { mediaType: COSIGN.SIGNATURE_ARTIFACT_TYPE, size: ref.config.length, digest: sha(ref.config) });
  assert.deepEqual(m.subject, subject);
  assert.equal(m.artifactType, 'application/vnd.dev.cosign.artifact.sig.v1+json');
  assert.equal(readSignatureImage(ref.manifest)[0]?.signature, s1);

  assert.throws(() => signatureImage([]), TypeError);
  assert.throws(() => signatureImage([{ payload: p1, signature: 'not base64!' }]), TypeError);
  const many = Array.from({ length: MAX_SIGNATURE_LAYERS + 1 }, (_, i) => ({ payload: p1, signature: Buffer.from([i, 1, 2]).toString('base64') }));
  throwsCode(() => signatureImage(many), RegistryErrorCode.TOO_LARGE);
});

test('readSignatureImage: hostile manifests are refused with codes', () => {
  const sig = Buffer.alloc(70, 7).toString('base64');
  const layer = { mediaType: COSIGN.SIMPLE_SIGNING_MEDIA_TYPE, size: 200, digest: DIGEST, annotations: { [COSIGN.SIGNATURE_ANNOTATION]: sig } };
  const config = { mediaType: COSIGN.CONFIG_MEDIA_TYPE, size: 233, digest: DIGEST };
  const base = { schemaVersion: 2, mediaType: COSIGN.MANIFEST_MEDIA_TYPE, config, layers: [layer] };
  const enc = (o: unknown): Uint8Array => Buffer.from(JSON.stringify(o));
  assert.equal(readSignatureImage(enc(base)).length, 1);
  // cosign with COSIGN_DOCKER_MEDIA_TYPES=1 writes Docker media types; a manifest may omit mediaType.
  const docker = { ...base, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { ...config, mediaType: 'application/vnd.docker.container.image.v1+json' } };
  assert.equal(readSignatureImage(enc(docker)).length, 1);
  assert.equal(readSignatureImage(enc({ ...base, mediaType: undefined })).length, 1);
  const format: [unknown, string][] = [
    [[base], 'an array'],
    [{ ...base, schemaVersion: 1 }, 'schema 1'],
    [{ ...base, mediaType: 'application/vnd.oci.image.index.v1+json' }, 'an index'],
    [{ ...base, config: { ...config, mediaType: 'application/vnd.wasm.config.v1+json' } }, 'another config'],
    [{ ...base, layers: {} }, 'layers object'],
    [{ ...base, layers: [] }, 'no layers'],
    [{ ...base, layers: [{ ...layer, mediaType: 'application/vnd.in-toto+json' }] }, 'layer media type'],
    [{ ...base, layers: [{ ...layer, annotations: {} }] }, 'no signature'],
    [{ ...base, layers: [{ ...layer, annotations: { [COSIGN.SIGNATURE_ANNOTATION]: 'a b' } }] }, 'signature not base64'],
    [{ ...base, layers: [{ ...layer, annotations: { [COSIGN.SIGNATURE_ANNOTATION]: 5 } }] }, 'signature not a string'],
    [{ ...base, layers: [{ ...layer, digest: 'sha256:ABC' }] }, 'bad digest'],
    [{ ...base, layers: [{ ...layer, size: -1 }] }, 'negative size'],
    [{ ...base, layers: [{ ...layer, size: 1.5 }] }, 'fractional size'],
    [{ ...base, layers: [null] }, 'null layer'],
  ];
  for (const [m, why] of format) throwsCode(() => readSignatureImage(enc(m)), RegistryErrorCode.FORMAT, undefined, why);
  throwsCode(() => readSignatureImage(Buffer.from('{"schemaVersion":2,')), RegistryErrorCode.FORMAT);
  throwsCode(() => readSignatureImage(Uint8Array.of(0xc3, 0x28)), RegistryErrorCode.FORMAT);
  throwsCode(() => readSignatureImage(enc({ ...base, layers: [{ ...layer, size: MAX_PAYLOAD_BYTES + 1 }] })), RegistryErrorCode.TOO_LARGE);
  throwsCode(() => readSignatureImage(enc({ ...base, layers: Array(MAX_SIGNATURE_LAYERS + 1).fill(layer) })), RegistryErrorCode.TOO_LARGE);
  throwsCode(() => readSignatureImage(new Uint8Array(1024 * 1024 + 1).fill(0x20)), RegistryErrorCode.TOO_LARGE);
});
