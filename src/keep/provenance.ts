/**
 * What a keep deployed from a registry may claim about its package, checked by the keep itself
 * before its steward hears of it: the client says "this is OCI artifact D, signed by key K", and
 * the keep believes it only if
 * - the OCI manifest it was given hashes to D and is a package manifest (registry/package-format.ts);
 * - the manifest's module layer is this keep's module, its file layers are exactly this keep's
 *   files (path and SHA-256 each), and its Enarx.toml layer is the Enarx.toml bytes it was given;
 * - the signature (when there is one) verifies with the key given and its payload names D
 *   (registry/signature.ts, cosign's simple signing); K is that key's SHA-256 SPKI fingerprint.
 * What the keep cannot check: that its arguments, environment and sockets are what that Enarx.toml
 * says (the client derived them, in its own trusted code, and sealed them).
 */
import { createHash } from 'node:crypto';
import type { Package } from '../crypto/package.js';
import { RuntimeError, RuntimeErrorCode } from '../runtime/errors.js';

/** What the keep checked: the artifact's digest, and the signer's key id (hex). */
export interface CheckedProvenance {
  readonly oci: string;
  readonly signer?: string;
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function mismatch(what: string): never {
  throw new RuntimeError(RuntimeErrorCode.PACKAGE, `the package's provenance does not match it: ${what}`);
}

/**
 * Checks `pkg.identity.provenance` against `pkg`; undefined when there is none. `wasmDigest` is
 * the module's SHA-256 (`sha256:<hex>`) taken as it arrived: the runtime rewrites a module's
 * memory limits in place before it compiles it (runtime/module-info.ts).
 * @throws RuntimeError ERR_PACKAGE when anything does not match
 */
export async function checkProvenance(pkg: Package, wasmDigest: string): Promise<CheckedProvenance | undefined> {
  const p = pkg.identity?.provenance;
  if (p === undefined) return undefined;
  const [{ parsePackageManifest }, { verifyPackageSignatures }] = await Promise.all([import('../registry/package-format.js'), import('../registry/signature.js')]);
  const manifestBytes = new Uint8Array(Buffer.from(p.ociManifest, 'base64'));
  const oci = sha256(manifestBytes);
  let manifest;
  try {
    manifest = parsePackageManifest(manifestBytes);
  } catch (err) {
    mismatch(`its OCI manifest: ${(err as Error).message}`);
  }
  if (manifest.module.digest !== wasmDigest) mismatch('the module is not the one its OCI manifest names');
  const toml = p.enarxToml === undefined ? undefined : new Uint8Array(Buffer.from(p.enarxToml, 'base64'));
  if ((manifest.enarxToml?.digest ?? 'none') !== (toml === undefined ? 'none' : sha256(toml))) mismatch('its Enarx.toml is not the one its OCI manifest names');
  const mine = new Map(pkg.files.map((f) => [f.path, sha256(f.data)]));
  if (manifest.files.length !== mine.size || manifest.files.some((f) => mine.get(f.path) !== f.descriptor.digest)) mismatch('its files are not the ones its OCI manifest names');
  if (p.signature === undefined) return { oci };
  const s = p.signature;
  try {
    const signer = verifyPackageSignatures({ manifestDigest: oci, entries: [{ payload: new Uint8Array(Buffer.from(s.payload, 'base64')), signature: s.signature }], publicKeysPem: [s.publicKeyPem] });
    return { oci, signer: signer.signerKeyId };
  } catch (err) {
    mismatch(`its signature: ${(err as Error).message}`);
  }
}
