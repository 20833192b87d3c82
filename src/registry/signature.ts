/**
 * Package signatures stored as cosign stores key-based ones, so `cosign verify --key` checks ours
 * and we check cosign's. Pure: no network, no clock. Read at: sigstore/cosign d6d86c224e58
 * (specs/SIGNATURE_SPEC.md, pkg/oci/static/signature.go, pkg/oci/empty, pkg/oci/remote/write.go,
 * pkg/cosign/verifiers.go, cmd/cosign/cli/verify), sigstore/sigstore bd0ad71258e9
 * (pkg/signature/payload/payload.go, algorithm_registry.go), go-containerregistry v0.21.7 as
 * cosign pins it (pkg/v1/manifest.go, config.go, mutate/image.go).
 *
 * Discovery (SIGNATURE_SPEC.md "Tag-based Discovery"): `sha256:<hex>` → tag `sha256-<hex>.sig`.
 * With OCI 1.1 referrers cosign writes the same manifest with config media type and
 * `artifactType` = `application/vnd.dev.cosign.artifact.sig.v1+json` and a `subject`
 * (write.go WriteSignaturesExperimentalOCI). `cosign verify --key` base64-decodes the layer
 * annotation, verifies it over the payload blob's exact bytes, then requires only
 * `critical.image["docker-manifest-digest"]` to be the image digest (SimpleClaimVerifier).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { SHA256_DIGEST } from './reference.js';

/** Names cosign uses for its signature objects. */
export const COSIGN = {
  SIMPLE_SIGNING_MEDIA_TYPE: 'application/vnd.dev.cosign.simplesigning.v1+json', // payload layers
  SIGNATURE_ANNOTATION: 'dev.cosignproject.cosign/signature', // a layer's base64 signature
  CONFIG_MEDIA_TYPE: 'application/vnd.oci.image.config.v1+json', // tag-stored image's config
  MANIFEST_MEDIA_TYPE: 'application/vnd.oci.image.manifest.v1+json',
  SIGNATURE_ARTIFACT_TYPE: 'application/vnd.dev.cosign.artifact.sig.v1+json', // referrers form
  SIGNATURE_TYPE: 'cosign container image signature', // critical.type
  TAG_SUFFIX: '.sig',
} as const;

// The Docker types are what cosign writes with COSIGN_DOCKER_MEDIA_TYPES=1: read, never written.
const MANIFEST_MEDIA_TYPES: ReadonlySet<unknown> = new Set([undefined, COSIGN.MANIFEST_MEDIA_TYPE, 'application/vnd.docker.distribution.manifest.v2+json']);
const CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([COSIGN.CONFIG_MEDIA_TYPE, COSIGN.SIGNATURE_ARTIFACT_TYPE, 'application/vnd.docker.container.image.v1+json']);

/** Largest simple-signing payload read (cosign's are ~250 bytes). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Most signatures (layers) in one signature image. */
export const MAX_SIGNATURE_LAYERS = 64;
/** Largest signature manifest read (keyless layers carry certificates and bundles). */
export const MAX_SIGNATURE_MANIFEST_BYTES = 1024 * 1024;
// An RSA-8192 signature is 1368 base64 characters; nothing cosign makes is longer.
const MAX_SIGNATURE_CHARS = 2048;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** An OCI content descriptor (OCI Image Specification v1.1.0, descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One signature: the simple-signing payload bytes and its base64 (standard, padded) signature. */
export interface SignatureEntry { readonly payload: Uint8Array; readonly signature: string }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const formatError = (why: string): RegistryError => new RegistryError(RegistryErrorCode.FORMAT, why);
const sha256Digest = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The tag cosign stores a manifest's signatures under: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(manifestDigest: string): string {
  if (!SHA256_DIGEST.test(manifestDigest)) throw new TypeError(`not a sha256 digest: ${manifestDigest.slice(0, 80)}`);
  return `${manifestDigest.replace(':', '-')}${COSIGN.TAG_SUFFIX}`;
}

// ---------------------------------------------------------------------------------------------
// The simple-signing payload. Go's encoding/json of payload.SimpleContainerImage:
//   {"critical":{"identity":{"docker-reference":REF},"image":{"docker-manifest-digest":DIGEST},
//    "type":"cosign container image signature"},"optional":null | {K:V,...}}
// compact, no trailing newline; map keys sorted by their UTF-8 bytes; strings escaped as Go does
// (HTML-safe: < > & U+2028 U+2029 as \u003c \u003e \u0026 \u2028 \u2029). cosign writes
// `"optional":null` unless `-a key=value` annotations were given (options/annotations.go).

/** A string as Go's json.Marshal writes it (JSON.stringify agrees except for the HTML escapes). */
function goJsonString(s: string): string {
  if (!s.isWellFormed()) throw new TypeError('a string with a lone surrogate cannot be signed');
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The payload `cosign sign` signs for `dockerReference` (`host[:port]/repo`) at `manifestDigest`. */
export function simpleSigningPayload(dockerReference: string, manifestDigest: string, annotations?: Readonly<Record<string, string>>): Uint8Array {
  if (!isString(dockerReference) || dockerReference.length === 0 || dockerReference.length > 1024) throw new TypeError('dockerReference must be 1 to 1024 characters');
  if (!SHA256_DIGEST.test(manifestDigest)) throw new TypeError(`not a sha256 digest: ${String(manifestDigest).slice(0, 80)}`);
  const keys = Object.keys(annotations ?? {}).sort(byUtf8);
  for (const k of keys) if (typeof annotations?.[k] !== 'string') throw new TypeError(`annotation ${k} must be a string`);
  const optional = keys.length === 0 ? 'null' : `{${keys.map((k) => `${goJsonString(k)}:${goJsonString(annotations?.[k] ?? '')}`).join(',')}}`;
  const json =
    `{"critical":{"identity":{"docker-reference":${goJsonString(dockerReference)}},` +
    `"image":{"docker-manifest-digest":${goJsonString(manifestDigest)}},` +
    `"type":${goJsonString(COSIGN.SIGNATURE_TYPE)}},"optional":${optional}}`;
  const bytes = Buffer.from(json, 'utf8');
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new TypeError(`payload of ${bytes.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  return new Uint8Array(bytes);
}

/** A parsed simple-signing payload. */
export interface SimpleSigningPayload {
  readonly dockerReference: string;
  readonly manifestDigest: string;
  readonly type: string;
  readonly optional: Readonly<Record<string, unknown>> | null;
}

// Go's case folding as encoding/json applies it to field names (K/k/U+212A, S/s/U+017F alike).
const fold = (k: string): string => k.toLowerCase().replace(/\u017f/g, 's');

/**
 * `obj[name]`, refusing an object that also has a key Go's decoder would fold onto `name`:
 * encoding/json matches field names case-insensitively, so with two such keys cosign and we
 * could read different claims from the same signed bytes.
 */
function field(obj: Record<string, unknown>, name: string, where: string): unknown {
  const twin = Object.keys(obj).find((k) => k !== name && fold(k) === name);
  if (twin !== undefined) throw formatError(`signature payload: ${where} has '${twin}', ambiguous with '${name}'`);
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

function typedField<T>(obj: Record<string, unknown>, name: string, where: string, is: (v: unknown) => v is T): T {
  const v = field(obj, name, where);
  if (is(v)) return v;
  throw formatError(`signature payload: ${where}.${name} must be ${is === isString ? 'a string' : 'an object'}`);
}

/** Untrusted bytes, bounded, as a JSON object (a BOM is refused, as Go's decoder does). */
function parseJson(bytes: Uint8Array, max: number, what: string): Record<string, unknown> {
  if (bytes.length > max) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `${what} of ${bytes.length} bytes exceeds ${max}`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (err) {
    throw new RegistryError(RegistryErrorCode.FORMAT, `${what} is not UTF-8 JSON`, { cause: err });
  }
  if (isObject(doc)) return doc;
  throw formatError(`${what} must be a JSON object`);
}

/**
 * Parses an untrusted simple-signing payload (the bytes a signature covers).
 * @throws {RegistryError} ERR_TOO_LARGE over {@link MAX_PAYLOAD_BYTES}; ERR_PACKAGE_FORMAT when it is
 * not UTF-8 JSON of that shape, or its type is not cosign's, or its digest is not sha256.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  const doc = parseJson(bytes, MAX_PAYLOAD_BYTES, 'signature payload');
  const critical = typedField(doc, 'critical', 'payload', isObject);
  const identity = typedField(critical, 'identity', 'critical', isObject);
  const image = typedField(critical, 'image', 'critical', isObject);
  const type = typedField(critical, 'type', 'critical', isString);
  // Stricter than SimpleClaimVerifier, which ignores the type: every cosign writes this one.
  if (type !== COSIGN.SIGNATURE_TYPE) throw formatError(`signature payload: unknown type '${type.slice(0, 100)}'`);
  const dockerReference = typedField(identity, 'docker-reference', 'critical.identity', isString);
  const manifestDigest = typedField(image, 'docker-manifest-digest', 'critical.image', isString);
  if (!SHA256_DIGEST.test(manifestDigest)) throw formatError('signature payload: docker-manifest-digest is not a sha256 digest');
  const optional = field(doc, 'optional', 'payload') ?? null;
  if (optional !== null && !isObject(optional)) throw formatError('signature payload: optional must be an object or null');
  return Object.freeze({ dockerReference, manifestDigest, type, optional: optional === null ? null : Object.freeze(optional) });
}

// ---------------------------------------------------------------------------------------------
// Signature algorithms: the key decides, as in sigstore's GetDefaultPublicKeyDetails (what
// `cosign sign --key` uses). Signatures are ASN.1 DER for ECDSA, 64 bytes for Ed25519 (pure:
// cosign signs without ED25519ph when nothing goes to a transparency log, sign_blob.go), PKCS #1
// v1.5 for RSA. `cosign verify --key` hashes with SHA-256 unless told
// `--signature-digest-algorithm`, so P-384 and P-521 signatures need that flag there.

/** One row per algorithm (`name`: sigstore's PublicKeyDetails); `hash` null: Ed25519 hashes itself. */
interface SignatureAlgorithm {
  readonly name: string;
  readonly keyType: 'ec' | 'ed25519' | 'rsa';
  readonly namedCurve?: string;
  readonly modulusLength?: number;
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
}

const ALGORITHMS: readonly SignatureAlgorithm[] = Object.freeze([
  { name: 'PKIX_ECDSA_P256_SHA_256', keyType: 'ec', namedCurve: 'prime256v1', hash: 'sha256' },
  { name: 'PKIX_ECDSA_P384_SHA_384', keyType: 'ec', namedCurve: 'secp384r1', hash: 'sha384' },
  { name: 'PKIX_ECDSA_P521_SHA_512', keyType: 'ec', namedCurve: 'secp521r1', hash: 'sha512' },
  { name: 'PKIX_ED25519', keyType: 'ed25519', hash: null },
  { name: 'PKIX_RSA_PKCS1V15_2048_SHA256', keyType: 'rsa', modulusLength: 2048, hash: 'sha256' },
  { name: 'PKIX_RSA_PKCS1V15_3072_SHA256', keyType: 'rsa', modulusLength: 3072, hash: 'sha256' },
  { name: 'PKIX_RSA_PKCS1V15_4096_SHA256', keyType: 'rsa', modulusLength: 4096, hash: 'sha256' },
] as const);

function algorithmOf(key: KeyObject): SignatureAlgorithm {
  const d = key.asymmetricKeyDetails ?? {};
  const fits = (a: SignatureAlgorithm): boolean => a.keyType === key.asymmetricKeyType && (a.namedCurve ?? d.namedCurve) === d.namedCurve;
  const row = ALGORITHMS.find((a) => fits(a) && (a.modulusLength ?? d.modulusLength) === d.modulusLength);
  if (row === undefined) {
    const what = [key.asymmetricKeyType, d.namedCurve, d.modulusLength].filter((x) => x !== undefined).join(' ');
    throw new TypeError(`unsupported signing key (${what}): use ECDSA P-256, P-384 or P-521, Ed25519, or RSA 2048/3072/4096`);
  }
  return row;
}

/** A key with its algorithm row, SPKI PEM and id (SHA-256 of the SPKI DER, hex). */
interface ResolvedKey {
  readonly key: KeyObject;
  readonly algorithm: SignatureAlgorithm;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

function resolve(key: KeyObject, publicKey: KeyObject): ResolvedKey {
  const algorithm = algorithmOf(publicKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const publicKeyPem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  return { key, algorithm, publicKeyPem, keyId: createHash('sha256').update(spki).digest('hex') };
}

/** The PEM blocks of `text`: label, and whether RFC 1421 headers mark it encrypted. */
function pemBlocks(text: string): { label: string; block: string; encrypted: boolean }[] {
  const blocks = text.matchAll(/-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n([\s\S]*?)-----END \1-----/g);
  return [...blocks].map((m) => ({ label: m[1] ?? '', block: m[0], encrypted: /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(m[2] ?? '') }));
}

const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

function parseKey(parse: () => KeyObject, label: string): KeyObject {
  try {
    return parse();
  } catch (err) {
    throw new TypeError(`invalid ${label} PEM`, { cause: err });
  }
}

/** Loads an unencrypted PEM private key (PKCS #8, SEC1 or PKCS #1, as openssl writes them). */
function loadPrivateKey(pem: string): ResolvedKey {
  if (typeof pem !== 'string') throw new TypeError('privateKeyPem must be a PEM string');
  // `openssl ecparam -genkey` without -noout writes an EC PARAMETERS block first.
  const b = pemBlocks(pem).find((x) => x.label !== 'EC PARAMETERS');
  if (b === undefined) throw new TypeError('no PEM private key found');
  if (b.label === 'ENCRYPTED SIGSTORE PRIVATE KEY' || b.label === 'ENCRYPTED COSIGN PRIVATE KEY') {
    throw new TypeError("cosign's encrypted key format (cosign generate-key-pair) is not supported: use a PEM key made by openssl; cosign can use the same key after `cosign import-key-pair --key KEY.pem`");
  }
  if (b.label === 'ENCRYPTED PRIVATE KEY' || b.encrypted) throw new TypeError('the private key is encrypted: decrypt it first (openssl pkey -in KEY.pem -out PLAIN.pem)');
  if (!PRIVATE_LABELS.has(b.label)) throw new TypeError(`not a private key: PEM '${b.label}'`);
  const key = parseKey(() => createPrivateKey({ key: b.block, format: 'pem' }), b.label);
  return resolve(key, createPublicKey(key));
}

/** Loads a PEM public key (`PUBLIC KEY`, or PKCS #1 `RSA PUBLIC KEY`, as cosign accepts). */
function loadPublicKey(pem: string): ResolvedKey {
  if (typeof pem !== 'string') throw new TypeError('publicKeyPem must be a PEM string');
  const b = pemBlocks(pem)[0];
  if (b === undefined) throw new TypeError('no PEM public key found');
  if (b.label !== 'PUBLIC KEY' && b.label !== 'RSA PUBLIC KEY') throw new TypeError(`not a public key: PEM '${b.label}' (openssl pkey -in KEY.pem -pubout gives one)`);
  const key = parseKey(() => createPublicKey({ key: b.block, format: 'pem' }), b.label);
  return resolve(key, key);
}

/** Decodes canonical padded base64, or undefined. */
function decodeBase64(s: unknown, maxChars: number): Buffer | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > maxChars || !BASE64.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

function verifyWith(k: ResolvedKey, payload: Uint8Array, signatureB64: string): boolean {
  const sig = decodeBase64(signatureB64, MAX_SIGNATURE_CHARS);
  if (sig === undefined) return false;
  try {
    return verify(k.algorithm.hash, payload, { key: k.key, dsaEncoding: 'der' }, sig);
  } catch {
    return false; // OpenSSL refuses some malformed encodings by throwing rather than answering false
  }
}

/** Signs `payload` as `cosign sign --key` does with this key. */
export function signPayload(payload: Uint8Array, privateKeyPem: string): { signature: string; publicKeyPem: string; keyId: string } {
  const k = loadPrivateKey(privateKeyPem);
  const sig = sign(k.algorithm.hash, payload, { key: k.key, dsaEncoding: 'der' });
  return { signature: sig.toString('base64'), publicKeyPem: k.publicKeyPem, keyId: k.keyId };
}

/** Whether `signatureB64` signs `payload` for `publicKeyPem`: false, never a throw, for a bad signature. @throws {TypeError} a bad key */
export function verifyPayload(payload: Uint8Array, signatureB64: string, publicKeyPem: string): boolean {
  return verifyWith(loadPublicKey(publicKeyPem), new Uint8Array(payload), signatureB64);
}

// ---------------------------------------------------------------------------------------------
// The signature image (what go-containerregistry writes for cosign's appended empty image):
//   config   = {"architecture":"","created":"0001-01-01T00:00:00Z",
//               "history":[{"created":"0001-01-01T00:00:00Z"}, ... one per layer],
//               "os":"","rootfs":{"type":"layers","diff_ids":[PAYLOAD_DIGEST, ...]},"config":{}}
//   manifest = {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
//               "config":{"mediaType":CONFIG_MT,"size":N,"digest":D},
//               "layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json",
//                          "size":N,"digest":PAYLOAD_DIGEST,
//                          "annotations":{"dev.cosignproject.cosign/signature":B64}}, ...]
//               [,"subject":{"mediaType":MT,"size":N,"digest":D},"artifactType":SIG_ARTIFACT]}
// Go's struct field order, compact. The referrers form changes CONFIG_MT to the artifact type
// but keeps the config blob, and adds subject and artifactType.

/** A signature image ready to push: its manifest, config blob and payload layers. */
export interface SignatureImage {
  readonly manifest: Uint8Array;
  readonly manifestMediaType: string;
  readonly config: Uint8Array;
  readonly layers: readonly { readonly descriptor: Descriptor; readonly bytes: Uint8Array }[];
}

/**
 * The signature image cosign would write for `entries` (in order, exact duplicates dropped).
 * With `subject`, the OCI 1.1 referrers form. Appending a new signature means passing the
 * existing entries first; cosign also skips a new signature when an existing one for the same
 * payload verifies with the same key (pkg/cosign/remote DupeDetector): callers do that check.
 * @throws {RegistryError} ERR_TOO_LARGE over {@link MAX_SIGNATURE_LAYERS} signatures.
 */
export function signatureImage(entries: readonly SignatureEntry[], options: { subject?: Descriptor } = {}): SignatureImage {
  if (entries.length === 0) throw new TypeError('a signature image needs at least one signature');
  const seen = new Set<string>();
  const layers: { descriptor: Descriptor; bytes: Uint8Array }[] = [];
  for (const e of entries) {
    if (e.payload.length > MAX_PAYLOAD_BYTES) throw new TypeError(`payload of ${e.payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    if (decodeBase64(e.signature, MAX_SIGNATURE_CHARS) === undefined) throw new TypeError('signature must be padded base64');
    const bytes = new Uint8Array(e.payload);
    const digest = sha256Digest(bytes);
    if (seen.has(`${digest} ${e.signature}`)) continue;
    seen.add(`${digest} ${e.signature}`);
    const annotations = Object.freeze({ [COSIGN.SIGNATURE_ANNOTATION]: e.signature });
    layers.push({ descriptor: Object.freeze({ mediaType: COSIGN.SIMPLE_SIGNING_MEDIA_TYPE, size: bytes.length, digest, annotations }), bytes });
  }
  if (layers.length > MAX_SIGNATURE_LAYERS) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `${layers.length} signatures exceed the ${MAX_SIGNATURE_LAYERS} an image may hold`);
  const created = '0001-01-01T00:00:00Z';
  const diff_ids = layers.map((l) => l.descriptor.digest);
  const config = Buffer.from(JSON.stringify({ architecture: '', created, history: layers.map(() => ({ created })), os: '', rootfs: { type: 'layers', diff_ids }, config: {} }));
  const subject = options.subject === undefined ? undefined : checkDescriptor(options.subject, 'subject', TypeError);
  const manifest = {
    schemaVersion: 2,
    mediaType: COSIGN.MANIFEST_MEDIA_TYPE,
    config: { mediaType: subject ? COSIGN.SIGNATURE_ARTIFACT_TYPE : COSIGN.CONFIG_MEDIA_TYPE, size: config.length, digest: sha256Digest(config) },
    layers: layers.map((l) => l.descriptor),
    ...(subject ? { subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest }, artifactType: COSIGN.SIGNATURE_ARTIFACT_TYPE } : {}),
  };
  return { manifest: new Uint8Array(Buffer.from(JSON.stringify(manifest))), manifestMediaType: COSIGN.MANIFEST_MEDIA_TYPE, config: new Uint8Array(config), layers };
}

/** Checks a descriptor's shape; `Err` is TypeError for the caller's, RegistryError for untrusted ones. */
function checkDescriptor(v: unknown, where: string, Err: typeof TypeError | null = null): Descriptor {
  const fail = (why: string): Error => (Err ? new Err(`${where}: ${why}`) : formatError(`signature manifest: ${where}: ${why}`));
  if (!isObject(v)) throw fail('must be an object');
  const { mediaType, digest, size, annotations } = v;
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) throw fail('mediaType must be a media type');
  if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) throw fail('digest must be sha256:<64 hex>');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw fail('size must be a non-negative integer');
  if (annotations === undefined) return { mediaType, digest, size };
  if (!isObject(annotations) || !Object.values(annotations).every((a) => typeof a === 'string')) throw fail('annotations must map strings to strings');
  return { mediaType, digest, size, annotations: Object.freeze({ ...(annotations as Record<string, string>) }) };
}

/**
 * The signatures listed by an untrusted signature manifest (tag or referrers form): each
 * payload's descriptor (fetch it, check digest and size) and its base64 signature.
 * @throws {RegistryError} ERR_TOO_LARGE (manifest bytes, layer count, payload size);
 * ERR_PACKAGE_FORMAT for anything that is not a cosign signature manifest.
 */
export function readSignatureImage(manifestBytes: Uint8Array): { payloadDescriptor: Descriptor; signature: string }[] {
  const m = parseJson(manifestBytes, MAX_SIGNATURE_MANIFEST_BYTES, 'signature manifest');
  if (m.schemaVersion !== 2) throw formatError('signature manifest: schemaVersion must be 2');
  if (!MANIFEST_MEDIA_TYPES.has(m.mediaType)) throw formatError('signature manifest: not an image manifest');
  const config = checkDescriptor(m.config, 'config');
  if (!CONFIG_MEDIA_TYPES.has(config.mediaType)) throw formatError(`signature manifest: config mediaType '${config.mediaType}' is not a cosign signature's`);
  if (!Array.isArray(m.layers)) throw formatError('signature manifest: layers must be an array');
  if (m.layers.length === 0) throw formatError('signature manifest has no layers');
  if (m.layers.length > MAX_SIGNATURE_LAYERS) {
    throw new RegistryError(RegistryErrorCode.TOO_LARGE, `signature manifest has ${m.layers.length} layers, more than ${MAX_SIGNATURE_LAYERS}`);
  }
  return m.layers.map((raw: unknown, i: number) => {
    const d = checkDescriptor(raw, `layers[${i}]`);
    if (d.mediaType !== COSIGN.SIMPLE_SIGNING_MEDIA_TYPE) throw formatError(`signature manifest: layers[${i}] is '${d.mediaType}', not a simple-signing payload`);
    if (d.size > MAX_PAYLOAD_BYTES) throw new RegistryError(RegistryErrorCode.TOO_LARGE, `signature payload layers[${i}] of ${d.size} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    const signature = d.annotations?.[COSIGN.SIGNATURE_ANNOTATION];
    if (decodeBase64(signature, MAX_SIGNATURE_CHARS) === undefined) throw formatError(`signature manifest: layers[${i}] has no base64 ${COSIGN.SIGNATURE_ANNOTATION}`);
    return { payloadDescriptor: d, signature: signature as string };
  });
}

/** `host/repo` of `host/repo[:tag][@digest]` (cosign's ClaimedIdentity may carry a tag). */
function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0] ?? '';
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Why a payload does not name this package, or undefined when it does. */
function mismatch(payload: Uint8Array, manifestDigest: string, dockerReference: string | undefined): string | undefined {
  let claim: SimpleSigningPayload;
  try {
    claim = parseSimpleSigningPayload(payload);
  } catch {
    return 'unreadable';
  }
  if (claim.manifestDigest !== manifestDigest) return 'for another digest';
  if (dockerReference !== undefined && repositoryOf(claim.dockerReference) !== repositoryOf(dockerReference)) return 'for another repository';
  return undefined;
}

/**
 * Accepts a package when one signature entry verifies with one of `publicKeysPem` and its
 * payload names `manifestDigest` (and, when given, `dockerReference`'s repository: cosign itself
 * checks only the digest). Entries are untrusted; the keys are the caller's.
 * @throws {RegistryError} ERR_UNSIGNED without entries; ERR_SIGNATURE when none verifies.
 */
export function verifyPackageSignatures(opts: {
  manifestDigest: string;
  dockerReference?: string;
  entries: readonly SignatureEntry[];
  publicKeysPem: readonly string[];
}): { signerKeyId: string; publicKeyPem: string } {
  if (!SHA256_DIGEST.test(opts.manifestDigest)) throw new TypeError('manifestDigest must be sha256:<64 hex>');
  if (opts.publicKeysPem.length === 0) throw new TypeError('at least one public key is needed to verify');
  const keys = opts.publicKeysPem.map(loadPublicKey);
  if (opts.entries.length === 0) throw new RegistryError(RegistryErrorCode.UNSIGNED, `package ${opts.manifestDigest} has no signature`);
  const skipped = new Map<string, number>();
  for (const e of opts.entries) {
    const payload = new Uint8Array(e.payload); // what is verified is what is parsed
    const skip = mismatch(payload, opts.manifestDigest, opts.dockerReference);
    if (skip !== undefined) skipped.set(skip, (skipped.get(skip) ?? 0) + 1);
    const signer = skip === undefined ? keys.find((k) => verifyWith(k, payload, e.signature)) : undefined;
    if (signer !== undefined) return { signerKeyId: signer.keyId, publicKeyPem: signer.publicKeyPem };
  }
  const tried = `${opts.entries.length} signature(s) tried${[...skipped].map(([why, n]) => `, ${n} ${why}`).join('')}`;
  throw new RegistryError(RegistryErrorCode.SIGNATURE, `no signature of package ${opts.manifestDigest} verifies with key ids ${keys.map((k) => k.keyId).join(', ')}; ${tried}`);
}
