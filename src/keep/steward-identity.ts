/**
 * A keep's TLS identity issued by a steward (Enarx.toml `steward = "URL"`): the keep makes its
 * key pair here, obtains evidence whose report data binds the key (attestation/binding.ts
 * `attestedKeyReportData`), sends the steward a CSR in the IETF form carrying that evidence and
 * the names it asks for — the DNS names of its Enarx.toml and the URI of the package it runs
 * (protocol/steward.ts) — and serves its TLS sockets with the certificate chain it gets back.
 *
 * The steward is reached over HTTPS, checked against the engine's CA roots; plain HTTP only on a
 * loopback address (a steward on the same machine, in development). A refusal is the steward's
 * code and message; the keep then serves nothing.
 */
import { createHash, webcrypto } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { attestedKeyReportData } from '../attestation/binding.js';
import { newEcdsaKeyPair } from '../crypto/fresh-keys.js';
import { derObjects, encodePem } from '../attestation/pki/pem.js';
import type { Evidence } from '../protocol/evidence.js';
import { packageClaimUri, PEM_CHAIN, PKCS10, STEWARD_PATHS, stewardUrlAllowed } from '../protocol/steward.js';
import { RuntimeError, RuntimeErrorCode } from '../runtime/errors.js';
import type { TlsIdentity } from './tls-identity.js';

/** How long the steward may take to answer. */
export const STEWARD_TIMEOUT_MS = 15_000;
/** Largest answer read from a steward. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** What a keep asks its steward for. */
export interface StewardRequest {
  /** The steward's URL (Enarx.toml `steward`). */
  readonly url: string;
  /** Evidence from the keep's platform over 64 bytes of report data. */
  readonly evidence: (reportData: Uint8Array) => Promise<Evidence>;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** SHA-256 of the package the keep runs. */
  readonly packageDigest: Uint8Array;
  /** More claims the keep checked itself: its OCI artifact and signer (protocol/steward.ts URIs). */
  readonly claims?: readonly string[];
  /** PEM CA certificates for the steward's HTTPS instead of the engine's roots (Enarx.toml `steward_trust_anchors`). */
  readonly trustAnchors?: readonly string[];
  readonly timeoutMs?: number;
}

/** An issued identity, and when its certificate ends. */
export interface IssuedIdentity {
  readonly identity: TlsIdentity;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Whether `url` may be used: https anywhere, http only to a loopback address. @throws RuntimeError */
export function checkStewardUrl(url: string): URL {
  const u = new URL(url);
  if (stewardUrlAllowed(u)) return u;
  throw new RuntimeError(RuntimeErrorCode.STEWARD_UNREACHABLE, `the steward must be reached over https (plain http only on a loopback address): ${u.origin}`);
}

/** Sends `csr` to the steward; resolves with its answer's status and body (bounded). */
function post(url: URL, csr: Uint8Array, timeoutMs: number, ca: readonly string[] | undefined): Promise<{ status: number; body: Buffer }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const tls = url.protocol === 'https:' && ca !== undefined && ca.length > 0 ? { ca: [...ca] } : {};
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': PKCS10, Accept: PEM_CHAIN, 'Content-Length': csr.length }, timeout: timeoutMs, ...tls }, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        else parts.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(csr);
  });
}

/** The steward's refusal, from its JSON error body. */
function refusal(status: number, body: Buffer): RuntimeError {
  let detail = `HTTP ${status}`;
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof e?.code === 'string' && typeof e.message === 'string') detail = `${e.code.slice(0, 64)}: ${e.message.slice(0, 1000)}`;
  } catch {
    // not JSON: the status says enough
  }
  const code = status >= 400 && status < 500 && status !== 429 ? RuntimeErrorCode.STEWARD_REFUSED : RuntimeErrorCode.STEWARD_UNREACHABLE;
  return new RuntimeError(code, `the steward refused to certify this keep (${detail})`);
}

/**
 * Obtains a certificate from the steward for a fresh key pair.
 * @throws RuntimeError ERR_STEWARD_REFUSED (with the steward's code), ERR_STEWARD_UNREACHABLE
 */
export async function requestStewardIdentity(req: StewardRequest): Promise<IssuedIdentity> {
  const url = checkStewardUrl(new URL(STEWARD_PATHS.csr, req.url).href);
  const keys = await newEcdsaKeyPair('P-256', true);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const evidence = await req.evidence(attestedKeyReportData(spki));
  const { buildAttestedCsr } = await import('../attestation/csr/attested-csr.js');
  const csr = await buildAttestedCsr({
    keys,
    form: 'ietf',
    evidence,
    dnsNames: req.dnsNames,
    ipAddresses: req.ipAddresses,
    uris: [packageClaimUri(req.packageDigest), ...(req.claims ?? [])],
  });
  let answer: { status: number; body: Buffer };
  try {
    answer = await post(url, csr, req.timeoutMs ?? STEWARD_TIMEOUT_MS, req.trustAnchors);
  } catch (err) {
    throw new RuntimeError(RuntimeErrorCode.STEWARD_UNREACHABLE, `cannot reach the steward at ${url.origin}: ${(err as Error).message}`, { cause: err });
  }
  if (answer.status !== 200) throw refusal(answer.status, answer.body);
  return identityFrom(answer.body.toString('utf8'), keys, spki);
}

/** The identity from the steward's PEM chain (leaf first), checked to be for our key. */
async function identityFrom(pem: string, keys: webcrypto.CryptoKeyPair, spki: Uint8Array): Promise<IssuedIdentity> {
  const { X509Certificate } = await import('node:crypto');
  let chain: Uint8Array[];
  let leaf: InstanceType<typeof X509Certificate>;
  try {
    chain = derObjects(pem, ['CERTIFICATE']);
    leaf = new X509Certificate(chain[0]!);
  } catch (err) {
    throw new RuntimeError(RuntimeErrorCode.STEWARD_UNREACHABLE, `the steward's answer is not a certificate chain: ${(err as Error).message}`, { cause: err });
  }
  const leafSpki = new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' }));
  if (!Buffer.from(leafSpki).equals(Buffer.from(spki))) throw new RuntimeError(RuntimeErrorCode.STEWARD_UNREACHABLE, "the steward's certificate is not for this keep's key");
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const identity: TlsIdentity = {
    keyPem: encodePem('PRIVATE KEY', pkcs8),
    certPem: chain.map((d) => encodePem('CERTIFICATE', d)).join(''),
    certDer: chain[0]!,
    fingerprintSha256: createHash('sha256').update(chain[0]!).digest('hex'),
  };
  return { identity, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) };
}

/**
 * When to renew a certificate received at `receivedAt` and valid until `notAfter`: two thirds of
 * the way from receipt (not from notBefore, which a CA back-dates for clock skew), and never
 * sooner than a second from now.
 */
export function renewAt(receivedAt: Date, notAfter: Date): Date {
  const left = notAfter.getTime() - receivedAt.getTime();
  return new Date(receivedAt.getTime() + Math.max(1000, (left * 2) / 3));
}

/** How long to wait before trying a failed renewal again. */
const RETRY_MS = 60_000;

/**
 * The keep's identity from its steward, renewed two thirds into each certificate's life while
 * the keep runs: the returned identity's fields always read the current certificate, and
 * `onRenew` listeners (its TLS servers) get each new one. A renewal that fails is retried every
 * minute while the current certificate is valid; the keep keeps serving with it meanwhile.
 * @throws RuntimeError as {@link requestStewardIdentity} (the first certificate only)
 */
export async function stewardIdentity(req: StewardRequest, trace: (what: string) => void = () => {}): Promise<TlsIdentity> {
  let current = await requestStewardIdentity(req);
  trace('tls identity: steward certificate');
  const listeners: ((next: TlsIdentity) => void)[] = [];
  const live: TlsIdentity = {
    get keyPem() {
      return current.identity.keyPem;
    },
    get certPem() {
      return current.identity.certPem;
    },
    get certDer() {
      return current.identity.certDer;
    },
    get fingerprintSha256() {
      return current.identity.fingerprintSha256;
    },
    onRenew: (listener) => void listeners.push(listener),
  };
  const schedule = (at: number): void => {
    // Unreferenced: a renewal never keeps a finished keep alive.
    setTimeout(renew, Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1))).unref();
  };
  const renew = (): void => {
    requestStewardIdentity(req).then(
      (next) => {
        current = next;
        trace('tls identity: steward certificate renewed');
        for (const l of listeners) l(live);
        schedule(renewAt(new Date(), next.notAfter).getTime());
      },
      () => {
        if (Date.now() + RETRY_MS < current.notAfter.getTime()) schedule(Date.now() + RETRY_MS);
      },
    );
  };
  schedule(renewAt(new Date(), current.notAfter).getTime());
  return live;
}
