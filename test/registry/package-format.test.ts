import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, open, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPackage } from '../../src/client/package-builder.js';
import { RegistryError } from '../../src/registry/errors.js';
import {
  CONFIG_MEDIA_TYPE,
  MANIFEST_MEDIA_TYPE,
  MAX_MANIFEST_BYTES,
  packDirectory,
  parsePackageConfig,
  parsePackageManifest,
  sha256,
  TITLE_ANNOTATION,
  unpackToDirectory,
} from '../../src/registry/package-format.js';
import type { PackedPackage, ParsedPackageManifest } from '../../src/registry/package-format.js';
import { REPO_ROOT } from '../support/vectors.js';

const HELLO = join(REPO_ROOT, 'examples', 'hello', 'hello.wasm');
const FILE_TYPE = 'application/vnd.enarx-ts.file.v1';
let tmp: string;
let pkgDir: string;
let packed: PackedPackage;

/** A package directory: main.wasm, Enarx.toml and files whose walk order differs from a plain path sort. */
async function makePackageDir(dir: string): Promise<string> {
  await mkdir(join(dir, 'a', 'sub'), { recursive: true });
  await cp(HELLO, join(dir, 'main.wasm'));
  await writeFile(join(dir, 'Enarx.toml'), 'args = ["--greet"]\n[env]\nGREETING = "hi"\n');
  await writeFile(join(dir, 'a', 'b.txt'), 'under a\n');
  await writeFile(join(dir, 'a', 'sub', 'same.txt'), 'twin\n');
  await writeFile(join(dir, 'a-b'), 'beside a\n');
  await writeFile(join(dir, 'z.txt'), 'twin\n');
  return dir;
}

const code = (c: string) => (err: unknown) => err instanceof RegistryError && err.code === c;
const blobs = (p: PackedPackage) => (d: string) => p.layers.find((l) => l.descriptor.digest === d)!.path;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'enarx-pkgfmt-'));
  pkgDir = await makePackageDir(join(tmp, 'pkg'));
  packed = await packDirectory(pkgDir, { env: {} });
});
after(() => rm(tmp, { recursive: true, force: true }));

test('a directory packs into the Wasm OCI artifact layout, module and Enarx.toml first', async () => {
  const m = JSON.parse(Buffer.from(packed.manifest).toString()) as { schemaVersion: number; mediaType: string; config: { mediaType: string; digest: string }; layers: { mediaType: string; annotations: Record<string, string> }[] };
  assert.equal(packed.manifestDigest, sha256(packed.manifest));
  assert.equal(m.schemaVersion, 2);
  assert.equal(m.mediaType, MANIFEST_MEDIA_TYPE);
  assert.equal(m.config.mediaType, CONFIG_MEDIA_TYPE);
  assert.equal(m.config.digest, sha256(packed.config.bytes));
  // buildPackage's order: depth first, names sorted in each folder ('a/…' before 'a-b').
  assert.deepEqual(m.layers.map((l) => [l.mediaType, l.annotations[TITLE_ANNOTATION]]), [
    ['application/wasm', 'main.wasm'],
    ['application/vnd.enarx-ts.config.v1+toml', 'Enarx.toml'],
    [FILE_TYPE, 'a/b.txt'],
    [FILE_TYPE, 'a/sub/same.txt'],
    [FILE_TYPE, 'a-b'],
    [FILE_TYPE, 'z.txt'],
  ]);
  assert.equal(Buffer.from(packed.config.bytes).toString(), JSON.stringify({ created: '1970-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: packed.layers.map((l) => l.descriptor.digest) }));
  assert.equal(packed.layers[0]!.descriptor.digest, sha256(await readFile(HELLO)));
  const parsed = parsePackageManifest(packed.manifest);
  assert.equal(parsed.files.length, 4);
  assert.deepEqual(parsePackageConfig(packed.config.bytes, parsed).layerDigests, parsed.layers.map((l) => l.digest));
});

test('packing is reproducible: twice, and from a copy with other mtimes, gives one digest', async () => {
  assert.equal((await packDirectory(pkgDir, { env: {} })).manifestDigest, packed.manifestDigest);
  const copy = join(tmp, 'copy');
  await cp(pkgDir, copy, { recursive: true });
  for (const f of ['main.wasm', 'Enarx.toml', 'a/b.txt', 'a-b']) await utimes(join(copy, f), new Date('2001-02-03'), new Date('2001-02-03'));
  assert.equal((await packDirectory(copy, { env: {} })).manifestDigest, packed.manifestDigest);
  // `created` comes from the caller, else SOURCE_DATE_EPOCH, never from the files.
  const dated = await packDirectory(copy, { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.match(Buffer.from(dated.config.bytes).toString(), /"created":"2023-11-14T22:13:20Z"/);
  assert.notEqual(dated.manifestDigest, packed.manifestDigest);
  assert.equal((await packDirectory(copy, { created: '1970-01-01T00:00:00Z', env: { SOURCE_DATE_EPOCH: '1' } })).manifestDigest, packed.manifestDigest);
  await assert.rejects(packDirectory(copy, { env: { SOURCE_DATE_EPOCH: 'yesterday' } }), TypeError);
});

test('a 100 MiB module packs with bounded memory', async () => {
  const dir = join(tmp, 'big');
  await mkdir(dir);
  const fh = await open(join(dir, 'main.wasm'), 'w');
  await fh.truncate(100 * 1024 * 1024); // sparse: no disk, but 100 MiB to read and hash
  await fh.close();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 1);
  const big = await packDirectory(dir, { env: {} });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.equal(big.layers[0]!.descriptor.size, 100 * 1024 * 1024);
  assert.ok(peak - base < 32 * 1024 * 1024, `rss grew by ${((peak - base) / 1048576).toFixed(1)} MiB`);
});

test('a directory without main.wasm, or with a symlink or special file, is refused', async () => {
  const dir = join(tmp, 'odd');
  await mkdir(dir);
  await assert.rejects(packDirectory(dir), code('ERR_NOT_FOUND'));
  await cp(HELLO, join(dir, 'main.wasm'));
  await symlink('/etc/passwd', join(dir, 'passwd'));
  await assert.rejects(packDirectory(dir), code('ERR_PACKAGE_FORMAT'));
  await rm(join(dir, 'passwd'));
  await writeFile(join(dir, 'back\\slash'), '');
  await assert.rejects(packDirectory(dir), code('ERR_PACKAGE_FORMAT'));
});

interface M {
  schemaVersion?: unknown;
  mediaType?: unknown;
  config: Record<string, unknown>;
  layers: Record<string, unknown>[];
}
const D = (c: string) => `sha256:${c.repeat(64)}`;
const fileLayer = (title: string, digest = D('e')) => ({ mediaType: FILE_TYPE, digest, size: 1, annotations: { [TITLE_ANNOTATION]: title } });
const mutated = (f: (m: M) => void): Uint8Array => {
  const m = JSON.parse(Buffer.from(packed.manifest).toString()) as M;
  f(m);
  return Buffer.from(JSON.stringify(m));
};

const hostile = (): [string, string, Uint8Array][] => [
  ['more than 4 MiB', 'ERR_TOO_LARGE', new Uint8Array(MAX_MANIFEST_BYTES + 1)],
  ['not JSON', 'ERR_PACKAGE_FORMAT', Buffer.from('{"schemaVersion":2')],
  ['not UTF-8', 'ERR_PACKAGE_FORMAT', Buffer.from([0x7b, 0xff, 0x7d])],
  ['an array', 'ERR_PACKAGE_FORMAT', Buffer.from('[]')],
  ['schemaVersion 1', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.schemaVersion = 1))],
  ['a docker manifest', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.mediaType = 'application/vnd.docker.distribution.manifest.v2+json'))],
  ['no mediaType', 'ERR_PACKAGE_FORMAT', mutated((m) => delete m.mediaType)],
  ['an image config', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.config['mediaType'] = 'application/vnd.oci.image.config.v1+json'))],
  ['a huge config', 'ERR_TOO_LARGE', mutated((m) => (m.config['size'] = 2 * 1024 * 1024))],
  ['1025 layers', 'ERR_TOO_LARGE', mutated((m) => m.layers.push(...Array.from({ length: 1025 - m.layers.length }, (_, i) => fileLayer(`f${i}`))))],
  ['no module', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.shift())],
  ['two modules', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push({ ...m.layers[0] }))],
  ['two Enarx.toml', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push({ ...m.layers[1] }))],
  ['an unknown layer type', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[2]!['mediaType'] = 'application/vnd.oci.image.layer.v1.tar+gzip'))],
  ['an untitled file', 'ERR_PACKAGE_FORMAT', mutated((m) => delete m.layers[2]!['annotations'])],
  ['a non-string annotation', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[2]!['annotations'] = { [TITLE_ANNOTATION]: 7 }))],
  ['../x', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('../x')))],
  ['a/../../x', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('a/../../x')))],
  ['an absolute path', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('/etc/passwd')))],
  ['an empty component', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('a//b')))],
  ['a . component', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('./x')))],
  ['a backslash', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('..\\x')))],
  ['an empty title', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('')))],
  ['a duplicate file', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('z.txt')))],
  ['a file named main.wasm', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('main.wasm')))],
  ['a file named Enarx.toml', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('Enarx.toml')))],
  ['a file under a file', 'ERR_PACKAGE_FORMAT', mutated((m) => m.layers.push(fileLayer('z.txt/inner')))],
  ['a negative size', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[0]!['size'] = -1))],
  ['a fractional size', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[0]!['size'] = 1.5))],
  ['an unsafe size', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[0]!['size'] = 2 ** 53))],
  ['a string size', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[0]!['size'] = '10'))],
  ['more than 1 GiB in all', 'ERR_TOO_LARGE', mutated((m) => (m.layers[0]!['size'] = 1024 ** 3))],
  ['a sha512 digest', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[0]!['digest'] = `sha512:${'a'.repeat(128)}`))],
  ['an upper-case digest', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.layers[0]!['digest'] = D('A')))],
  ['a short config digest', 'ERR_PACKAGE_FORMAT', mutated((m) => (m.config['digest'] = 'sha256:abc'))],
];

test('hostile manifests are refused, each rule with its code', () => {
  for (const [what, want, bytes] of hostile()) assert.throws(() => parsePackageManifest(bytes), code(want), what);
  // Unknown fields are ignored, as image-spec asks; the parsed manifest is frozen.
  const extra = parsePackageManifest(mutated((m) => Object.assign(m, { annotations: { a: 'b' }, artifactType: 'x/y' })));
  assert.ok(Object.isFrozen(extra) && Object.isFrozen(extra.files[0]));
});

test('a config blob must match its manifest', () => {
  const parsed = parsePackageManifest(packed.manifest);
  const config = (c: object): [Uint8Array, ParsedPackageManifest] => {
    const bytes = Buffer.from(JSON.stringify(c));
    return [bytes, { ...parsed, config: { ...parsed.config, digest: sha256(bytes), size: bytes.length } }];
  };
  const good = JSON.parse(Buffer.from(packed.config.bytes).toString()) as { layerDigests: string[] };
  assert.throws(() => parsePackageConfig(config({ ...good, architecture: 'amd64' })[0], parsed), code('ERR_SIZE_MISMATCH'));
  assert.throws(() => parsePackageConfig(Buffer.from(packed.config.bytes).fill(0x20, 0, 1), parsed), code('ERR_DIGEST_MISMATCH'));
  assert.throws(() => parsePackageConfig(...config({ ...good, architecture: 'amd64' })), code('ERR_PACKAGE_FORMAT'));
  assert.throws(() => parsePackageConfig(...config({ ...good, os: 'wasip2' })), code('ERR_PACKAGE_FORMAT'));
  assert.throws(() => parsePackageConfig(...config({ ...good, created: 7 })), code('ERR_PACKAGE_FORMAT'));
  assert.throws(() => parsePackageConfig(...config({ ...good, layerDigests: [...good.layerDigests].reverse() })), code('ERR_PACKAGE_FORMAT'));
  assert.throws(() => parsePackageConfig(...config({ ...good, layerDigests: good.layerDigests.slice(1) })), code('ERR_PACKAGE_FORMAT'));
  assert.equal(parsePackageConfig(...config({ ...good, author: null, extra: 1 })).os, 'wasip1');
});

test('unpacking gives back the directory buildPackage reads', async () => {
  const out = join(tmp, 'unpacked');
  await unpackToDirectory(parsePackageManifest(packed.manifest), blobs(packed), out);
  const [a, b] = await Promise.all([buildPackage(pkgDir), buildPackage(out)]);
  assert.deepEqual({ ...b, wasm: Buffer.from(b.wasm) }, { ...a, wasm: Buffer.from(a.wasm) });
  assert.equal((await packDirectory(out, { env: {} })).manifestDigest, packed.manifestDigest);
  // Into a directory that is not empty: refused, and nothing is left behind.
  await assert.rejects(unpackToDirectory(parsePackageManifest(packed.manifest), blobs(packed), out), code('ERR_STORE'));
});

test('unpacking refuses ../x, a damaged blob and a missing one, and leaves nothing', async () => {
  const parsed = parsePackageManifest(packed.manifest);
  const evil: ParsedPackageManifest = { ...parsed, files: [{ path: '../x', descriptor: parsed.files[0]!.descriptor }] };
  const dir = join(tmp, 'evil', 'out');
  await assert.rejects(unpackToDirectory(evil, blobs(packed), dir), code('ERR_PACKAGE_FORMAT'));
  await assert.rejects(readFile(join(tmp, 'evil', 'x')), { code: 'ENOENT' });
  const damaged = join(tmp, 'damaged.wasm');
  await writeFile(damaged, Buffer.from(await readFile(HELLO)).fill(1, 100, 101));
  await assert.rejects(unpackToDirectory(parsed, (d) => (d === parsed.module.digest ? damaged : blobs(packed)(d)), dir), code('ERR_DIGEST_MISMATCH'));
  await writeFile(damaged, 'short');
  await assert.rejects(unpackToDirectory(parsed, (d) => (d === parsed.module.digest ? damaged : blobs(packed)(d)), dir), code('ERR_SIZE_MISMATCH'));
  await assert.rejects(unpackToDirectory(parsed, () => join(tmp, 'nothing'), dir), code('ERR_NOT_FOUND'));
  assert.deepEqual(await import('node:fs/promises').then((fs) => fs.readdir(join(tmp, 'evil'))), []);
});
