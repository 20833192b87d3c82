/**
 * The package commands (`enarx package …`, and deploy/run from a reference), over a source
 * (sources.ts: the local store, or a registry cached in it). Every reference is resolved to its
 * manifest digest once, and everything after — blobs, signatures, what is unpacked and deployed —
 * goes by that digest: a tag that moves meanwhile changes nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PackageProvenance } from '../crypto/package.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { MAX_CONFIG_BYTES, MANIFEST_MEDIA_TYPE, packDirectory, parsePackageConfig, parsePackageManifest, unpackToDirectory } from './package-format.js';
import type { Descriptor, ParsedPackageManifest } from './package-format.js';
import { formatPackageRef, parsePackageRef } from './reference.js';
import { openSource } from './sources.js';
import type { PackageSource, RegistryAccess } from './sources.js';
import { MAX_PAYLOAD_BYTES, readSignatureImage, signatureImage, signatureTag, signPayload, simpleSigningPayload, verifyPackageSignatures, verifyPayload } from './signature.js';
import type { SignatureEntry } from './signature.js';
import { PackageStore } from './store.js';
import { transferAll } from './transfer.js';

export type { RegistryAccess };

/** What a transfer reports as it goes (the CLI draws it: cli/progress.ts). */
export interface Progress {
  /** A transfer of `totalBytes` begins. */
  start(label: string, totalBytes: number): void;
  /** `bytes` more were transferred. */
  advance(bytes: number): void;
  end(): void;
}

/** What the commands need: registry access, a progress display, and the local store. */
export interface PackageContext {
  readonly access: RegistryAccess;
  readonly progress: Progress;
  readonly store?: PackageStore;
}

/** A reference resolved: its source, and the manifest it names, pinned by digest. */
interface Resolved {
  readonly ref: string;
  readonly source: PackageSource;
  readonly store: PackageStore;
  readonly digest: string;
  readonly manifest: ParsedPackageManifest;
  /** The manifest's bytes, as the digest covers them. */
  readonly manifestBytes: Uint8Array;
}

async function resolveRef(refText: string, ctx: PackageContext): Promise<Resolved> {
  const ref = parsePackageRef(refText);
  const store = ctx.store ?? new PackageStore();
  const source = await openSource(ref, store, ctx.access);
  const found = await source.manifest(ref.digest ?? ref.tag ?? 'latest');
  if (found === undefined) throw new RegistryError(RegistryErrorCode.NOT_FOUND, `no package ${formatPackageRef(ref)}`);
  return { ref: formatPackageRef(ref), source, store, digest: found.digest, manifest: parsePackageManifest(found.bytes), manifestBytes: found.bytes };
}

/** Pulls the blobs of a resolved package into the local store (4 at a time), with progress. */
async function pullAll(r: Resolved, ctx: PackageContext): Promise<void> {
  await r.source.ensureBlob(r.manifest.config);
  parsePackageConfig(await r.store.readBlob(r.manifest.config.digest, MAX_CONFIG_BYTES), r.manifest);
  const sent = new Map<string, number>();
  ctx.progress.start(`pulling ${r.ref}`, r.manifest.totalSize - r.manifest.config.size);
  await transferAll(r.manifest.layers, (d) => r.source.ensureBlob(d, (n) => advance(ctx.progress, sent, d.digest, n)));
  ctx.progress.end();
}

/** Progress callbacks report a blob's bytes so far; the bar wants what is new. */
function advance(progress: Progress, sent: Map<string, number>, digest: string, total: number): void {
  progress.advance(total - (sent.get(digest) ?? 0));
  sent.set(digest, total);
}

/** Packs `dir` and publishes it as `refText` (a tag). */
export async function publishPackage(refText: string, dir: string, ctx: PackageContext): Promise<{ ref: string; digest: string; layers: number; bytes: number }> {
  const ref = parsePackageRef(refText);
  if (ref.digest !== undefined) throw new RegistryError(RegistryErrorCode.REF, 'publish to a tag, not a digest: the digest is what publishing gives');
  const packed = await packDirectory(dir);
  if (packed.layers.some((l) => l.descriptor.mediaType === 'application/vnd.enarx-ts.config.v1+toml')) {
    // An Enarx.toml that would not run is refused before it is published.
    const { readEnarxToml } = await import('../config/index.js');
    await readEnarxToml(join(dir, 'Enarx.toml'));
  }
  const store = ctx.store ?? new PackageStore();
  const source = await openSource(ref, store, ctx.access);
  const bytes = packed.layers.reduce((n, l) => n + l.descriptor.size, 0);
  const sent = new Map<string, number>();
  ctx.progress.start(`pushing ${formatPackageRef(ref)}`, bytes);
  await transferAll(packed.layers, (l) => source.putBlob(l.descriptor, { path: l.path }, (n) => advance(ctx.progress, sent, l.descriptor.digest, n)));
  ctx.progress.end();
  await source.putBlob(packed.config.descriptor, { bytes: packed.config.bytes });
  const digest = await source.putManifest(ref.tag ?? 'latest', packed.manifest, MANIFEST_MEDIA_TYPE);
  if (digest !== packed.manifestDigest) throw new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `the registry stored the manifest as ${digest}, not ${packed.manifestDigest}`);
  return { ref: formatPackageRef(ref), digest, layers: packed.layers.length, bytes };
}

/** Pulls `refText` into the local store and unpacks it into `dir` (which must not exist or be empty). */
export async function fetchPackage(refText: string, dir: string, ctx: PackageContext): Promise<{ ref: string; digest: string }> {
  const r = await resolveRef(refText, ctx);
  await pullAll(r, ctx);
  await unpackToDirectory(r.manifest, (d) => r.store.blobPath(d), dir);
  return { ref: r.ref, digest: r.digest };
}

/** The signatures stored for a resolved package, their payloads pulled and checked (bounded). */
async function signatureEntries(r: Resolved): Promise<SignatureEntry[]> {
  const entries: SignatureEntry[] = [];
  for (const bytes of await r.source.signatureManifests(r.digest)) {
    for (const { payloadDescriptor, signature } of readSignatureImage(bytes)) {
      if (payloadDescriptor.size > MAX_PAYLOAD_BYTES) continue;
      await r.source.ensureBlob(payloadDescriptor);
      entries.push({ payload: await r.store.readBlob(payloadDescriptor.digest, MAX_PAYLOAD_BYTES), signature });
    }
  }
  return entries;
}

/** What `enarx package info` shows. */
export interface PackageInfo {
  readonly ref: string;
  readonly digest: string;
  readonly created: string;
  readonly size: number;
  readonly layers: readonly (Descriptor & { readonly title?: string })[];
  readonly signatures: number;
}

/** The manifest, config and signatures of `refText` (its layers are not pulled). */
export async function packageInfo(refText: string, ctx: PackageContext): Promise<PackageInfo> {
  const r = await resolveRef(refText, ctx);
  await r.source.ensureBlob(r.manifest.config);
  const config = parsePackageConfig(await r.store.readBlob(r.manifest.config.digest, MAX_CONFIG_BYTES), r.manifest);
  const signatures = (await signatureEntries(r)).length;
  const layers = r.manifest.layers.map((d) => ({ ...d, ...(d.annotations?.['org.opencontainers.image.title'] ? { title: d.annotations['org.opencontainers.image.title'] } : {}) }));
  return { ref: r.ref, digest: r.digest, created: config.created, size: r.manifest.totalSize, layers, signatures };
}

/** `info` for people. */
export function formatInfo(i: PackageInfo): string {
  const lines = [`${i.ref}`, `  digest      ${i.digest}`, `  created     ${i.created}`, `  size        ${i.size} bytes`, `  signatures  ${i.signatures}`];
  for (const l of i.layers) lines.push(`  ${(l.title ?? '').padEnd(24)} ${l.mediaType}  ${l.size}  ${l.digest}`);
  return lines.join('\n') + '\n';
}

/** Signs `refText`'s manifest digest with `keyPem`, adding to its signatures (cosign's tag). */
export async function signPackage(refText: string, keyPem: string, ctx: PackageContext): Promise<{ ref: string; digest: string; keyId: string; signatureRef: string }> {
  const r = await resolveRef(refText, ctx);
  const payload = simpleSigningPayload(r.source.dockerReference, r.digest);
  const signed = signPayload(payload, keyPem);
  const existing = await signatureEntries(r);
  // As cosign does: a signature by the same key over the same payload is not added twice.
  const dupe = existing.some((e) => Buffer.from(e.payload).equals(Buffer.from(payload)) && verifyPayload(e.payload, e.signature, signed.publicKeyPem));
  const tag = signatureTag(r.digest);
  if (!dupe) {
    const image = signatureImage([...existing, { payload, signature: signed.signature }]);
    for (const l of image.layers) await r.source.putBlob(l.descriptor, { bytes: l.bytes });
    const config = JSON.parse(Buffer.from(image.manifest).toString('utf8')) as { config: Descriptor };
    await r.source.putBlob(config.config, { bytes: image.config });
    await r.source.putManifest(tag, image.manifest, image.manifestMediaType);
  }
  return { ref: r.ref, digest: r.digest, keyId: signed.keyId, signatureRef: `${r.source.name}:${tag}` };
}

/** Checks that `refText` is signed by one of `publicKeysPem`. @throws RegistryError ERR_UNSIGNED, ERR_SIGNATURE */
export async function verifyPackage(refText: string, publicKeysPem: readonly string[], ctx: PackageContext): Promise<{ ref: string; digest: string; keyId: string }> {
  const r = await resolveRef(refText, ctx);
  const signer = verifyPackageSignatures({ manifestDigest: r.digest, entries: await signatureEntries(r), publicKeysPem });
  return { ref: r.ref, digest: r.digest, keyId: signer.signerKeyId };
}

/** What the local store holds. */
export async function listPackages(ctx: PackageContext): Promise<{ ref: string; digest: string; size: number }[]> {
  return (ctx.store ?? new PackageStore()).list();
}

/** Removes what no tag of the local store reaches. */
export async function collectGarbage(ctx: PackageContext): Promise<{ removedBlobs: number; freedBytes: number }> {
  return (ctx.store ?? new PackageStore()).gc();
}

/** A package ready to deploy: unpacked into a private folder, with what was checked. */
export interface ResolvedPackage {
  readonly ref: string;
  readonly digest: string;
  /** The key id that signed it, when keys were given. */
  readonly signer?: string;
  /** What the keep checks and its steward certifies (crypto/package.ts `PackageProvenance`). */
  readonly provenance: PackageProvenance;
  readonly dir: string;
  cleanup(): Promise<void>;
}

/**
 * Resolves `refText` for a deploy: pins its digest, checks its signature against `verifyKeys`
 * (when given) BEFORE anything is pulled or unpacked, then pulls, checks and unpacks it into a
 * private temporary folder. Nothing reaches a host before this returns.
 */
export async function resolveForDeploy(refText: string, verifyKeys: readonly string[], ctx: PackageContext): Promise<ResolvedPackage> {
  const r = await resolveRef(refText, ctx);
  const signed = verifyKeys.length > 0 ? signedBy(r.digest, await signatureEntries(r), verifyKeys) : undefined;
  await pullAll(r, ctx);
  const parent = await mkdtemp(join(tmpdir(), 'enarx-package-'));
  const dir = join(parent, 'package');
  try {
    await unpackToDirectory(r.manifest, (d) => r.store.blobPath(d), dir);
  } catch (err) {
    await rm(parent, { recursive: true, force: true });
    throw err;
  }
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  const toml = r.manifest.enarxToml ? await readFile(join(dir, 'Enarx.toml')) : undefined;
  const provenance: PackageProvenance = {
    ociManifest: b64(r.manifestBytes),
    ...(toml ? { enarxToml: b64(toml) } : {}),
    ...(signed ? { signature: { payload: b64(signed.entry.payload), signature: signed.entry.signature, publicKeyPem: signed.publicKeyPem } } : {}),
  };
  return { ref: r.ref, digest: r.digest, ...(signed ? { signer: signed.keyId } : {}), provenance, dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

/** The signature that one of `keys` made over `digest`, with its key. @throws RegistryError ERR_UNSIGNED, ERR_SIGNATURE */
function signedBy(digest: string, entries: readonly SignatureEntry[], keys: readonly string[]): { keyId: string; publicKeyPem: string; entry: SignatureEntry } {
  const found = verifyPackageSignatures({ manifestDigest: digest, entries, publicKeysPem: keys });
  // The entry that verified, so that the keep can check it again itself.
  const entry = entries.find((e) => {
    try {
      return verifyPackageSignatures({ manifestDigest: digest, entries: [e], publicKeysPem: [found.publicKeyPem] }) !== undefined;
    } catch {
      return false;
    }
  })!;
  return { keyId: found.signerKeyId, publicKeyPem: found.publicKeyPem, entry };
}
