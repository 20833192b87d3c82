/**
 * A keep believes a package's provenance only when it matches: the OCI manifest hashes to the
 * artifact's digest and names exactly this module, these files and this Enarx.toml, and the
 * signature verifies for that digest with the key given.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { buildPackage } from '../../src/client/package-builder.js';
import type { Package, PackageProvenance } from '../../src/crypto/package.js';
import { checkProvenance as check, sha256 } from '../../src/keep/provenance.js';

const checkProvenance = (p: Package) => check(p, sha256(p.wasm));
import { packDirectory } from '../../src/registry/package-format.js';
import { signPayload, simpleSigningPayload } from '../../src/registry/signature.js';
import { REPO_ROOT } from '../support/vectors.js';
import { tempDir } from '../steward/support.js';

let pkg: Package;
let provenance: PackageProvenance;
let digest: string;
let keyId: string;
const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString('base64');

before(async () => {
  const dir = tempDir('provenance');
  cpSync(join(REPO_ROOT, 'examples', 'hello', 'hello.wasm'), join(dir, 'main.wasm'));
  writeFileSync(join(dir, 'Enarx.toml'), 'args = ["x"]\n');
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'app.conf'), 'a = 1\n');
  const packed = await packDirectory(dir);
  digest = packed.manifestDigest;
  pkg = await buildPackage(dir);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = simpleSigningPayload('registry.example/app', digest);
  const signed = signPayload(payload, String(privateKey.export({ type: 'pkcs8', format: 'pem' })));
  keyId = signed.keyId;
  provenance = {
    ociManifest: b64(packed.manifest),
    enarxToml: b64(readFileSync(join(dir, 'Enarx.toml'))),
    signature: { payload: b64(payload), signature: signed.signature, publicKeyPem: signed.publicKeyPem },
  };
});

const withProv = (p: Package, prov: PackageProvenance): Package => ({ ...p, identity: { provenance: prov } });

test('a matching provenance gives the artifact digest and the signer', async () => {
  assert.deepEqual(await checkProvenance(withProv(pkg, provenance)), { oci: digest, signer: keyId });
  const { signature: _s, ...unsigned } = provenance;
  assert.deepEqual(await checkProvenance(withProv(pkg, unsigned)), { oci: digest });
  assert.equal(await checkProvenance(pkg), undefined);
});

test('anything that does not match is refused with ERR_PACKAGE', async () => {
  const refused = async (p: Package, why: RegExp): Promise<void> => {
    await assert.rejects(checkProvenance(p), (err: Error & { code?: string }) => err.code === 'ERR_PACKAGE' && why.test(err.message));
  };
  await refused(withProv({ ...pkg, wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) }, provenance), /module/);
  await refused(withProv({ ...pkg, files: [...pkg.files, { path: 'extra', data: new Uint8Array(1) }] }, provenance), /files/);
  await refused(withProv({ ...pkg, files: pkg.files.map((f) => ({ ...f, data: new Uint8Array(3) })) }, provenance), /files/);
  await refused(withProv(pkg, { ...provenance, enarxToml: b64('args = ["y"]\n') }), /Enarx\.toml/);
  const { enarxToml: _t, ...noToml } = provenance;
  await refused(withProv(pkg, noToml), /Enarx\.toml/);
  await refused(withProv(pkg, { ...provenance, ociManifest: b64('{"schemaVersion":2}') }), /OCI manifest/);
  const sig = provenance.signature!;
  const other = simpleSigningPayload('registry.example/app', `sha256:${'0'.repeat(64)}`);
  await refused(withProv(pkg, { ...provenance, signature: { ...sig, payload: b64(other) } }), /signature/);
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await refused(withProv(pkg, { ...provenance, signature: { ...sig, publicKeyPem: String(publicKey.export({ type: 'spki', format: 'pem' })) } }), /signature/);
  await refused(withProv(pkg, { ...provenance, signature: { ...sig, publicKeyPem: 'not a key' } }), /signature/);
});
