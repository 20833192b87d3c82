/**
 * Errors of workload packages and registries: one stable code per reason. A registry, like a
 * host, is untrusted: everything it answers is checked (digests, sizes, media types, bounds), and
 * what does not check out is refused with one of these codes, never believed.
 */
import { CodedError } from '../errors.js';

/** Codes of {@link RegistryError}. */
export const RegistryErrorCode = {
  /** A package reference that does not parse (`oci://HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]`, `NAME:TAG`). */
  REF: 'ERR_REF',
  /** The registry cannot be reached, or did not answer in time. */
  UNREACHABLE: 'ERR_REGISTRY_UNREACHABLE',
  /** The registry wants credentials that were not given, or refused those given. */
  AUTH: 'ERR_REGISTRY_AUTH',
  /** The registry answered something the distribution protocol does not allow. */
  PROTOCOL: 'ERR_REGISTRY_PROTOCOL',
  /** No such tag, manifest or blob. */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** Content whose SHA-256 is not the digest it was asked for, or that a manifest names. */
  DIGEST_MISMATCH: 'ERR_DIGEST_MISMATCH',
  /** Content whose size is not the one its descriptor says. */
  SIZE_MISMATCH: 'ERR_SIZE_MISMATCH',
  /** A manifest, a layer or a package larger than allowed. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** The registry redirected to another origin. */
  REDIRECT: 'ERR_REDIRECT',
  /** Plain HTTP to a registry that is not on loopback, without asking for it. */
  INSECURE: 'ERR_INSECURE',
  /** A manifest that is not an enarx-ts package (media types, layers, paths). */
  FORMAT: 'ERR_PACKAGE_FORMAT',
  /** A package with no signature, when a signature was required. */
  UNSIGNED: 'ERR_UNSIGNED',
  /** No signature by any of the given keys verifies for this package. */
  SIGNATURE: 'ERR_SIGNATURE',
  /** The local store cannot be read or written. */
  STORE: 'ERR_STORE',
} as const;
/** One of {@link RegistryErrorCode}. */
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** A package or registry failure, with its stable code. */
export class RegistryError extends CodedError<RegistryErrorCode> {
  override readonly name = 'RegistryError';
}
