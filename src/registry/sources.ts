/**
 * Where a package lives, behind one interface for the commands (packages.ts): the local store
 * (a `NAME[:TAG]` reference) or a registry (`oci://…`) with the local store as its cache. Either
 * way every blob that is read was checked against its digest and size on the way in.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryClient } from './client.js';
import type { RegistryClientOptions } from './client.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { MAX_MANIFEST_BYTES } from './package-format.js';
import type { Descriptor } from './package-format.js';
import { formatPackageRef } from './reference.js';
import type { PackageRef } from './reference.js';
import { COSIGN, signatureTag } from './signature.js';
import type { PackageStore } from './store.js';

/** Content to publish: a file on disk or bytes. */
export type BlobContent = { readonly path: string } | { readonly bytes: Uint8Array };

/** A package's home, as the commands use it. */
export interface PackageSource {
  /** The reference as text, without a digest. */
  readonly name: string;
  /** What a signature payload names (`docker-reference`): `host[:port]/repo`, or the local name. */
  readonly dockerReference: string;
  /** The manifest at `reference` (a tag or a digest), checked against its digest; undefined when absent. */
  manifest(reference: string): Promise<{ bytes: Uint8Array; digest: string } | undefined>;
  /** Makes sure the blob is in the local store (pulled and checked when remote). */
  ensureBlob(desc: Descriptor, onProgress?: (bytes: number) => void): Promise<void>;
  /** Publishes a blob (skipped when already there). */
  putBlob(desc: Descriptor, content: BlobContent, onProgress?: (bytes: number) => void): Promise<void>;
  /** Publishes a manifest under a tag; returns its digest. */
  putManifest(tag: string, bytes: Uint8Array, mediaType: string): Promise<string>;
  /** The signature manifests of `digest`: its referrers (where the registry has the API) and cosign's tag. */
  signatureManifests(digest: string): Promise<Uint8Array[]>;
}

/** How to reach registries (the command line's options). */
export interface RegistryAccess extends Pick<RegistryClientOptions, 'credentials' | 'ca' | 'plainHttp' | 'dockerConfig'> {}

function notFound(what: string): RegistryError {
  return new RegistryError(RegistryErrorCode.NOT_FOUND, what);
}

/** The local store as a source (`NAME[:TAG]`). */
function localSource(store: PackageStore, name: string): PackageSource {
  const manifest = async (reference: string): Promise<{ bytes: Uint8Array; digest: string } | undefined> => {
    const digest = reference.startsWith('sha256:') ? reference : await store.resolve(`${name}:${reference}`);
    if (digest === undefined || !(await store.hasBlob(digest))) return undefined;
    return { bytes: await store.readBlob(digest, MAX_MANIFEST_BYTES), digest };
  };
  return {
    name,
    dockerReference: name,
    manifest,
    async ensureBlob(desc) {
      if (!(await store.hasBlob(desc.digest))) throw notFound(`blob ${desc.digest} of ${name} is not in the local store`);
    },
    async putBlob(desc, content, onProgress) {
      const expected = { digest: desc.digest, size: desc.size };
      await ('path' in content ? store.putBlobFromFile(content.path, expected) : store.putBlobBytes(content.bytes, expected));
      onProgress?.(desc.size);
    },
    async putManifest(tag, bytes) {
      const { digest } = await store.putBlobBytes(bytes);
      await store.tag(`${name}:${tag}`, digest);
      return digest;
    },
    async signatureManifests(digest) {
      const m = await manifest(signatureTag(digest));
      return m === undefined ? [] : [m.bytes];
    },
  };
}

/** A registry as a source, the local store as its cache. */
function remoteSource(store: PackageStore, ref: Extract<PackageRef, { kind: 'remote' }>, access: RegistryAccess): PackageSource {
  const client = new RegistryClient(ref.registry, access);
  const repo = ref.repository;
  const get = async (reference: string): Promise<{ bytes: Uint8Array; digest: string } | undefined> => {
    try {
      const m = await client.getManifest(repo, reference);
      return { bytes: m.bytes, digest: m.digest };
    } catch (err) {
      if (err instanceof RegistryError && err.code === RegistryErrorCode.NOT_FOUND) return undefined;
      throw err;
    }
  };
  return {
    name: formatPackageRef({ kind: 'remote', registry: ref.registry, repository: repo }).replace(/:latest$/, ''),
    dockerReference: `${ref.registry}/${repo}`,
    manifest: get,
    async ensureBlob(desc, onProgress) {
      if (await store.hasBlob(desc.digest)) return onProgress?.(desc.size);
      // A stable place per digest: an interrupted pull leaves `<path>.partial`, which the next
      // pull of the same blob checks and continues (client.ts) instead of starting over.
      const dir = join(store.root, 'pulls');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, desc.digest.replace(':', '-'));
      await client.pullBlob(repo, desc, path, { ...(onProgress ? { onProgress } : {}) });
      try {
        // pullBlob checked every byte against the digest and size as it wrote them.
        await store.adoptCheckedBlob(path, { digest: desc.digest, size: desc.size });
      } finally {
        await rm(path, { force: true });
      }
    },
    async putBlob(desc, content, onProgress) {
      await client.pushBlob(repo, { digest: desc.digest, size: desc.size, ...content }, { ...(onProgress ? { onProgress } : {}) });
    },
    putManifest: (tag, bytes, mediaType) => client.putManifest(repo, tag, bytes, mediaType),
    async signatureManifests(digest) {
      const found: Uint8Array[] = [];
      const referrers = await client.referrers(repo, digest, COSIGN.SIGNATURE_ARTIFACT_TYPE);
      for (const d of (referrers ?? []).slice(-4)) {
        const m = await get(d.digest);
        if (m) found.push(m.bytes);
      }
      const tagged = await get(signatureTag(digest));
      if (tagged) found.push(tagged.bytes);
      return found;
    },
  };
}

/** The source a reference names. */
export async function openSource(ref: PackageRef, store: PackageStore, access: RegistryAccess): Promise<PackageSource> {
  return ref.kind === 'local' ? localSource(store, ref.name) : remoteSource(store, ref, access);
}
