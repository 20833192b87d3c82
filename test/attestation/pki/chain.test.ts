import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  SignatureCache,
  buildChain,
  chainEntry,
  parseCertificate,
  parseCertificates,
  parseCrl,
  verifyChain,
  type Certificate,
} from '../../../src/attestation/pki/index.js';
import { AttestationError } from '../../../src/attestation/errors.js';
import { basicConstraints, buildCertificate, buildCrl, keyUsage, type ExtensionSpec } from '../support/x509-builder.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const BEFORE = new Date('2025-01-01T00:00:00Z');
const AFTER = new Date('2030-01-01T00:00:00Z');
const ec = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rootKey = ec();
const interKey = ec();
const leafKey = ec();
const ROOT_NAME = [['CN', 'Test Root']] as const;
const INTER_NAME = [['CN', 'Test Inter']] as const;

function cert(opts: {
  subject: readonly (readonly [string, string])[];
  issuer: readonly (readonly [string, string])[];
  key: KeyObject;
  signer: KeyObject;
  ext?: ExtensionSpec[];
  serial?: number;
  notBefore?: Date;
  notAfter?: Date;
}): Certificate {
  return parseCertificate(
    buildCertificate({
      subject: opts.subject,
      issuer: opts.issuer,
      serial: opts.serial ?? 1,
      notBefore: opts.notBefore ?? BEFORE,
      notAfter: opts.notAfter ?? AFTER,
      publicKey: opts.key,
      signingKey: opts.signer,
      alg: 'ecdsa-sha256',
      extensions: opts.ext ?? [],
    }),
  );
}

const CA_EXT = [basicConstraints(true), keyUsage([5, 6])];
const root = cert({ subject: ROOT_NAME, issuer: ROOT_NAME, key: rootKey.publicKey, signer: rootKey.privateKey, ext: CA_EXT });
const inter = cert({
  subject: INTER_NAME,
  issuer: ROOT_NAME,
  key: interKey.publicKey,
  signer: rootKey.privateKey,
  ext: [basicConstraints(true, 0), keyUsage([5, 6])],
  serial: 0x1234,
});
const leaf = cert({ subject: [['CN', 'Leaf']], issuer: INTER_NAME, key: leafKey.publicKey, signer: interKey.privateKey, serial: 77 });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AttestationError, `expected AttestationError, got ${String(err)}`);
    return err.code;
  }
  return 'accepted';
}

test('a well-formed three-level chain verifies and is summarised', () => {
  const v = verifyChain([leaf, inter, root], { now: NOW, anchors: [root] });
  assert.deepEqual(v.certificates.map((c) => c.commonName), ['Leaf', 'Test Inter', 'Test Root']);
  assert.equal(v.anchor.sha256, root.sha256);
  const e = chainEntry(leaf);
  assert.equal(e.sha256, leaf.sha256);
  assert.equal(e.subject, 'CN=Leaf');
  assert.equal(e.issuer, 'CN=Test Inter');
  assert.equal(e.notAfter, AFTER.toISOString());
});

test('the anchor is appended when the chain stops below it', () => {
  const v = verifyChain([leaf, inter], { now: NOW, anchors: [root] });
  assert.equal(v.certificates.length, 3);
});

test('buildChain finds issuers in an unordered pool, preferring anchors', () => {
  const path = buildChain(leaf, [root, inter], { anchors: [root] });
  assert.deepEqual(path.map((c) => c.commonName), ['Leaf', 'Test Inter', 'Test Root']);
  assert.equal(code(() => buildChain(leaf, [], { anchors: [root] })), 'ERR_CHAIN');
});

test('an untrusted root is refused', () => {
  const otherKey = ec();
  const other = cert({ subject: ROOT_NAME, issuer: ROOT_NAME, key: otherKey.publicKey, signer: otherKey.privateKey, ext: CA_EXT });
  assert.equal(code(() => verifyChain([leaf, inter, root], { now: NOW, anchors: [other] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([leaf, inter, root], { now: NOW, anchors: [] })), 'ERR_CHAIN');
});

test('a wrong signature, a name mismatch and a broken order are refused', () => {
  const forged = cert({ subject: [['CN', 'Leaf']], issuer: INTER_NAME, key: leafKey.publicKey, signer: leafKey.privateKey });
  assert.equal(code(() => verifyChain([forged, inter, root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
  const misnamed = cert({ subject: [['CN', 'Leaf']], issuer: [['CN', 'Someone']], key: leafKey.publicKey, signer: interKey.privateKey });
  assert.equal(code(() => verifyChain([misnamed, inter, root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([inter, leaf, root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
});

test('validity is judged at `now`, for every certificate', () => {
  assert.equal(code(() => verifyChain([leaf, inter, root], { now: new Date('2024-06-01Z'), anchors: [root] })), 'ERR_EXPIRED');
  assert.equal(code(() => verifyChain([leaf, inter, root], { now: new Date('2031-06-01Z'), anchors: [root] })), 'ERR_EXPIRED');
  const shortInter = cert({
    subject: INTER_NAME,
    issuer: ROOT_NAME,
    key: interKey.publicKey,
    signer: rootKey.privateKey,
    ext: CA_EXT,
    notAfter: new Date('2025-06-01Z'),
  });
  assert.equal(code(() => verifyChain([leaf, shortInter, root], { now: NOW, anchors: [root] })), 'ERR_EXPIRED');
});

test('issuers need basicConstraints cA, keyCertSign and a large enough pathLen', () => {
  const mk = (ext: ExtensionSpec[]): Certificate =>
    cert({ subject: INTER_NAME, issuer: ROOT_NAME, key: interKey.publicKey, signer: rootKey.privateKey, ext });
  assert.equal(code(() => verifyChain([leaf, mk([]), root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([leaf, mk([basicConstraints(false)]), root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([leaf, mk([basicConstraints(true), keyUsage([0])]), root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([leaf, mk([basicConstraints(true)]), root], { now: NOW, anchors: [root] })), 'accepted');
  const tightRoot = cert({ subject: ROOT_NAME, issuer: ROOT_NAME, key: rootKey.publicKey, signer: rootKey.privateKey, ext: [basicConstraints(true, 0)] });
  assert.equal(code(() => verifyChain([leaf, inter, tightRoot], { now: NOW, anchors: [tightRoot] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([inter, tightRoot], { now: NOW, anchors: [tightRoot] })), 'accepted');
});

test('unknown critical extensions are refused unless the caller handles them', () => {
  const ext = { oid: '1.2.3.4', critical: true, value: Uint8Array.of(5, 0) };
  const odd = cert({ subject: [['CN', 'Leaf']], issuer: INTER_NAME, key: leafKey.publicKey, signer: interKey.privateKey, ext: [ext] });
  assert.equal(code(() => verifyChain([odd, inter, root], { now: NOW, anchors: [root] })), 'ERR_CHAIN');
  assert.equal(code(() => verifyChain([odd, inter, root], { now: NOW, anchors: [root], handledCriticalExtensions: ['1.2.3.4'] })), 'accepted');
});

test('CRLs: revoked serials, freshness, and the issuer signature', () => {
  const crl = (o: { revoked?: number[]; thisUpdate?: Date; nextUpdate?: Date; signer?: KeyObject; issuer?: readonly (readonly [string, string])[] }) =>
    parseCrl(
      buildCrl({
        issuer: o.issuer ?? ROOT_NAME,
        thisUpdate: o.thisUpdate ?? new Date('2025-12-01Z'),
        nextUpdate: o.nextUpdate ?? new Date('2026-02-01Z'),
        revoked: (o.revoked ?? []).map((serial) => ({ serial, date: new Date('2025-12-01Z') })),
        signingKey: o.signer ?? rootKey.privateKey,
        alg: 'ecdsa-sha256',
        crlNumber: 3,
      }),
    );
  const opts = { now: NOW, anchors: [root] };
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [crl({ revoked: [5, 0x1234] })] })), 'ERR_REVOKED');
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [crl({ revoked: [5] })] })), 'accepted');
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [crl({ nextUpdate: new Date('2025-12-31Z') })] })), 'ERR_EXPIRED');
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [crl({ thisUpdate: new Date('2026-01-02Z') })] })), 'ERR_EXPIRED');
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [crl({ signer: interKey.privateKey })] })), 'ERR_COLLATERAL');
  // A CRL of the intermediate applies to the leaf.
  const interCrl = crl({ issuer: INTER_NAME, signer: interKey.privateKey, revoked: [77] });
  assert.deepEqual([...interCrl.revoked.keys()], ['4d']);
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [interCrl] })), 'ERR_REVOKED');
  // A CRL of an unrelated issuer is ignored.
  const other = crl({ issuer: [['CN', 'Elsewhere']], revoked: [77, 0x1234] });
  assert.equal(code(() => verifyChain([leaf, inter, root], { ...opts, crls: [other] })), 'accepted');
});

test('a shared SignatureCache gives the same verdicts', () => {
  const cache = new SignatureCache();
  for (let i = 0; i < 2; i++) assert.equal(verifyChain([leaf, inter, root], { now: NOW, anchors: [root], cache }).certificates.length, 3);
  const forged = cert({ subject: [['CN', 'Leaf']], issuer: INTER_NAME, key: leafKey.publicKey, signer: leafKey.privateKey });
  for (let i = 0; i < 2; i++) assert.equal(code(() => verifyChain([forged, inter, root], { now: NOW, anchors: [root], cache })), 'ERR_CHAIN');
});

test('PEM bundles parse in order; garbage and truncation are ERR_FORMAT', () => {
  const certs = parseCertificates(leaf.toPem() + 'junk between blocks\n' + inter.toPem());
  assert.deepEqual(certs.map((c) => c.sha256), [leaf.sha256, inter.sha256]);
  assert.deepEqual(parseCertificates(new TextEncoder().encode(root.toPem())).map((c) => c.sha256), [root.sha256]);
  const der = leaf.toDer();
  assert.equal(code(() => parseCertificate(der.subarray(0, der.length - 1))), 'ERR_FORMAT');
  assert.equal(code(() => parseCertificate(Uint8Array.of(...der, 0))), 'ERR_FORMAT');
  assert.equal(code(() => parseCertificates('not a certificate')), 'ERR_FORMAT');
  assert.equal(code(() => parseCertificates('-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n')), 'ERR_FORMAT');
  assert.equal(code(() => parseCrl(Uint8Array.of(0x30, 0x03, 1, 2, 3))), 'ERR_COLLATERAL');
});

test('parsed certificates are immutable copies', () => {
  const der = leaf.toDer();
  const c = parseCertificate(der);
  der.fill(0);
  assert.equal(c.sha256, leaf.sha256);
  assert.ok(Object.isFrozen(c));
  const copy = c.toDer();
  copy[0] = 0;
  assert.equal(c.toDer()[0], 0x30);
});
