/**
 * The steward's certificate authority: its key and self-signed certificate, kept in the state
 * directory across restarts, or given by the operator (`--ca-cert/--ca-key`).
 *
 * The self-made CA certificate (RFC 5280, Internet X.509 PKI Certificate and CRL Profile, May 2008):
 *
 *   version 3, serialNumber: 16 random octets, positive
 *   signature: ecdsa-with-SHA384 (key: ECDSA P-384, made on first start)
 *   issuer = subject = CN=<commonName>; validity: now − 5 min … + 10 years
 *   extensions:
 *     basicConstraints      (critical)  cA TRUE, pathLenConstraint 0 (it signs keeps only)
 *     keyUsage              (critical)  keyCertSign, cRLSign
 *     subjectKeyIdentifier              SHA-1 of the subjectPublicKey bits (§4.2.1.2 method 1)
 *
 * State on disk (`stateDir`, 0700): `ca-key.pem` (PKCS #8, 0600), then `ca.pem`. Clients may
 * have pinned the CA, so it is never replaced silently: each file is published whole (temp file,
 * fsync, rename, fsync of the directory), the key before the certificate, so a kill at any
 * instant leaves either nothing, the key alone (finished on the next start), or both. A
 * certificate without its key, or a key that is not the certificate's, stops the steward.
 * One steward process owns a state directory.
 */
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe checks for Reflect.getMetadata at load
import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { newEcPrivateKey } from '../crypto/fresh-keys.js';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, SubjectKeyIdentifierExtension, X509CertificateGenerator } from '@peculiar/x509';
import { DerTag, children, contentOf, expectTlv } from '../attestation/pki/der.js';
import { decodePem, encodePem } from '../attestation/pki/pem.js';
import { parseCertificate, type Certificate } from '../attestation/pki/certificate.js';
import { CodedError } from '../errors.js';

/** Stable codes of {@link CaError}. */
export type CaErrorCode =
  /** The state directory holds an unusable CA (certificate without key, unreadable file). */
  | 'ERR_CA_STATE'
  /** The private key is not the key of the CA certificate. */
  | 'ERR_CA_MISMATCH'
  /** A given CA file is missing, unreadable, not a CA certificate or not a supported key. */
  | 'ERR_CA_FILE'
  /** The CA certificate has expired: nothing can be issued under it. */
  | 'ERR_CA_EXPIRED'
  /** A certificate's keep TCB extension is malformed. */
  | 'ERR_CA_EXTENSION';

/** A failure of the steward's CA. */
export class CaError extends CodedError<CaErrorCode> {
  override readonly name = 'CaError';
}

/** One CA signing algorithm: the curve of the CA key and the hash its signatures use. */
export interface CaAlgorithm {
  /** WebCrypto's curve name. */
  readonly namedCurve: 'P-256' | 'P-384';
  /** Node.js's (OpenSSL's) curve name, as `asymmetricKeyDetails.namedCurve` reports it. */
  readonly opensslCurve: 'prime256v1' | 'secp384r1';
  /** SHA-256 for P-256, SHA-384 for P-384 (RFC 5480 §4: matching strength). */
  readonly hash: 'SHA-256' | 'SHA-384';
  /** ecdsa-with-SHA256 or ecdsa-with-SHA384 (RFC 5758 §3.2), the certificates' signature. */
  readonly signatureOid: '1.2.840.10045.4.3.2' | '1.2.840.10045.4.3.3';
}

/** The CA algorithms, one row each; the first is what a new CA uses. */
export const CA_ALGORITHMS: readonly CaAlgorithm[] = Object.freeze([
  Object.freeze({ namedCurve: 'P-384', opensslCurve: 'secp384r1', hash: 'SHA-384', signatureOid: '1.2.840.10045.4.3.3' }),
  Object.freeze({ namedCurve: 'P-256', opensslCurve: 'prime256v1', hash: 'SHA-256', signatureOid: '1.2.840.10045.4.3.2' }),
]);

/** A loaded CA: what issuance needs. Made by {@link loadOrCreateCa} or {@link loadCaFiles}. */
export interface StewardCa {
  readonly certDer: Uint8Array;
  readonly certPem: string;
  /** The CA's signing key (WebCrypto, not extractable). */
  readonly privateKey: webcrypto.CryptoKey;
  /** The subject as readable `K=V, ...` text. */
  readonly subject: string;
  /** The DER of the subject Name: the issuer of every certificate issued, byte for byte. */
  readonly subjectName: Uint8Array;
  readonly notAfter: Date;
  /** The CA's key identifier, lower-case hex: every issued authorityKeyIdentifier. */
  readonly keyIdentifier: string;
  readonly algorithm: CaAlgorithm;
}

/** Options of {@link loadOrCreateCa}. */
export interface LoadOrCreateCaOptions {
  /** The current time. Default: the clock. */
  readonly now?: Date;
  /** The CN of a new CA. An existing CA keeps its name. */
  readonly commonName?: string;
}

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const DEFAULT_CA_COMMON_NAME = 'enarx-ts steward CA';
/** How long a new CA is valid. */
export const CA_LIFETIME_YEARS = 10;
/** How far notBefore lies before now, for relying parties whose clocks run behind. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const TEMP_FILE = /^\.(ca|ca-key)\.pem\.[0-9a-f]{12}\.tmp$/;

/** The crypto provider for @peculiar/x509: Node.js's WebCrypto. */
const x509Crypto = webcrypto as unknown as Parameters<typeof X509CertificateGenerator.create>[1];

/**
 * The key identifier of a SubjectPublicKeyInfo (RFC 5280 §4.2.1.2, method 1):
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 *   -- keyIdentifier = SHA-1 of the value of the BIT STRING subjectPublicKey
 *                      (excluding the tag, length, and number of unused bits)
 *
 * @throws TypeError when `spki` is not a SubjectPublicKeyInfo.
 */
export function spkiKeyIdentifier(spki: Uint8Array): string {
  let bits: Uint8Array | undefined;
  try {
    const outer = expectTlv(spki, 0, DerTag.SEQUENCE, 'SubjectPublicKeyInfo');
    const [algorithm, field, ...rest] = children(spki, outer);
    const shaped = outer.end === spki.length && algorithm?.tag === DerTag.SEQUENCE && rest.length === 0;
    if (shaped && field?.tag === DerTag.BIT_STRING && field.end > field.contentStart) bits = contentOf(spki, field);
  } catch {
    // a malformed encoding: reported below, as for a wrong structure
  }
  if (bits === undefined) throw new TypeError('not a SubjectPublicKeyInfo');
  return createHash('sha1').update(bits.subarray(1)).digest('hex');
}

/** 16 random octets that DER encodes as a positive INTEGER of exactly 16 octets, as hex. */
export function randomSerialHex(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) || 0x01;
  return serial.toString('hex');
}

/** The key identifier a CA certificate declares, else the one RFC 5280 method 1 derives. */
function caKeyIdentifier(cert: Certificate, spki: Uint8Array): string {
  const ski = cert.extensionValue('2.5.29.14'); // SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING)
  if (ski !== undefined) {
    try {
      const tlv = expectTlv(ski, 0, DerTag.OCTET_STRING, 'subjectKeyIdentifier');
      if (tlv.end === ski.length && tlv.end > tlv.contentStart) return Buffer.from(contentOf(ski, tlv)).toString('hex');
    } catch {
      // a malformed SKI: the key's own identifier is still right for authorityKeyIdentifier
    }
  }
  return spkiKeyIdentifier(spki);
}

/** The algorithm row of an EC private key. @throws CaError `code` when it is no CA key we use. */
function algorithmOf(key: KeyObject, code: CaErrorCode): CaAlgorithm {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    throw new CaError(code, 'RSA CA keys are not supported: use an ECDSA P-256 or P-384 key');
  }
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const row = CA_ALGORITHMS.find((a) => a.opensslCurve === curve);
  if (row === undefined) throw new CaError(code, `unsupported CA key (${key.asymmetricKeyType ?? '?'} ${curve ?? ''}): use an ECDSA P-256 or P-384 key`);
  return row;
}

/**
 * Checks that `certDer` is a CA certificate for `key` and makes the {@link StewardCa}.
 * @throws CaError ERR_CA_MISMATCH when the key is not the certificate's; `code` for the rest.
 */
async function assembleCa(certDer: Uint8Array, key: KeyObject, code: CaErrorCode): Promise<StewardCa> {
  let cert: Certificate;
  try {
    cert = parseCertificate(certDer);
  } catch (err) {
    throw new CaError(code, 'the CA certificate does not parse', { cause: err });
  }
  const algorithm = algorithmOf(key, code);
  if (cert.basicConstraints?.ca !== true) throw new CaError(code, `not a CA certificate (basicConstraints cA is not TRUE): ${cert.subject}`);
  if (cert.keyUsage !== undefined && !cert.keyUsage.has('keyCertSign')) throw new CaError(code, `the CA certificate's keyUsage lacks keyCertSign: ${cert.subject}`);
  const spki = new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' }));
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(spki)) throw new CaError('ERR_CA_MISMATCH', `the private key is not the key of the CA certificate ${cert.subject}`);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: algorithm.namedCurve }, false, ['sign']);
  const der = cert.toDer();
  const subjectName = new Uint8Array(Buffer.from(cert.subjectName, 'hex'));
  return Object.freeze({
    certDer: der,
    certPem: encodePem('CERTIFICATE', der),
    privateKey,
    subject: cert.subject,
    subjectName,
    notAfter: new Date(cert.notAfterMs),
    keyIdentifier: caKeyIdentifier(cert, spki),
    algorithm,
  });
}

/** The DER of the only certificate in PEM `text`. @throws CaError `code` */
function certificateFromPem(text: string, code: CaErrorCode, file: string): Uint8Array {
  let blocks;
  try {
    blocks = decodePem(text).filter((b) => b.label === 'CERTIFICATE');
  } catch (err) {
    throw new CaError(code, `${file}: not PEM`, { cause: err });
  }
  if (blocks.length !== 1) throw new CaError(code, `${file}: expected one CERTIFICATE, found ${blocks.length}`);
  return blocks[0]!.der;
}

/** A private key from PEM text. @throws CaError `code` */
function privateKeyFromPem(text: string, code: CaErrorCode, file: string): KeyObject {
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new CaError(code, `${file}: not an unencrypted PEM private key`, { cause: err });
  }
}

/** The file's text, or undefined when it does not exist. @throws CaError ERR_CA_STATE */
async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CaError('ERR_CA_STATE', `cannot read ${file}`, { cause: err });
  }
}

/** Makes the directory entry of a rename durable (a no-op where directories cannot be synced). */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw err;
  } finally {
    await fh.close();
  }
}

/** Publishes `data` as `dir/name` whole or not at all, and durably (see the file header). */
async function writeDurably(dir: string, name: string, data: string, mode: number): Promise<void> {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(temp, 'wx', mode);
  try {
    try {
      await fh.chmod(mode); // the umask may have narrowed `mode`; the key must be exactly 0600
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, join(dir, name));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

/** Removes temp files a crash left behind: one may hold a copy of a private key. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (TEMP_FILE.test(name)) await unlink(join(dir, name)).catch(() => undefined);
}

/** The self-signed CA certificate for `key` (see the file header). */
async function selfSign(key: KeyObject, commonName: string, now: number): Promise<Uint8Array> {
  const algorithm = algorithmOf(key, 'ERR_CA_STATE');
  const spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const signingKey = await webcrypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: algorithm.namedCurve }, false, ['sign']);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_LIFETIME_YEARS);
  const name = [{ CN: [commonName] }];
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: name,
      issuer: name,
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter,
      publicKey: spki,
      signingKey,
      signingAlgorithm: { name: 'ECDSA', hash: algorithm.hash },
      extensions: [
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
        new BasicConstraintsExtension(true, 0, true),
        // KeyUsage ::= BIT STRING { ..., keyCertSign (5), cRLSign (6), ... }
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        // SubjectKeyIdentifier ::= KeyIdentifier; KeyIdentifier ::= OCTET STRING
        new SubjectKeyIdentifierExtension(spkiKeyIdentifier(spki)),
      ],
    },
    x509Crypto,
  );
  return new Uint8Array(cert.rawData);
}

/** A valid, non-empty CN (X.520 ub-common-name: 64). @throws TypeError */
function checkCommonName(cn: unknown): string {
  if (typeof cn !== 'string' || cn.length === 0 || cn.length > 64 || /[\0-\x1f]/.test(cn)) {
    throw new TypeError(`commonName: expected 1 to 64 printable characters, got ${JSON.stringify(cn)}`);
  }
  return cn;
}

/**
 * The steward's CA from `stateDir`, made there on first start (see the file header).
 * @throws CaError ERR_CA_STATE when the directory holds a certificate without its key or an
 *   unreadable file; ERR_CA_MISMATCH when the key is not the certificate's.
 * @throws TypeError when `commonName` or `now` is invalid.
 */
export async function loadOrCreateCa(stateDir: string, opts: LoadOrCreateCaOptions = {}): Promise<StewardCa> {
  const commonName = checkCommonName(opts.commonName ?? DEFAULT_CA_COMMON_NAME);
  const now = (opts.now ?? new Date()).getTime();
  if (!Number.isFinite(now)) throw new TypeError('now: an invalid Date');
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await removeStaleTemps(stateDir);
  } catch (err) {
    throw new CaError('ERR_CA_STATE', `cannot use the state directory ${stateDir}`, { cause: err });
  }
  const keyFile = join(stateDir, CA_KEY_FILE);
  const certFile = join(stateDir, CA_CERT_FILE);
  const keyPem = await readIfPresent(keyFile);
  const certPem = await readIfPresent(certFile);
  if (certPem !== undefined && keyPem === undefined) {
    throw new CaError('ERR_CA_STATE', `${certFile} exists but its key ${keyFile} does not: restore the key (the CA is never replaced, clients may have pinned it)`);
  }
  if (certPem !== undefined && keyPem !== undefined) {
    return assembleCa(certificateFromPem(certPem, 'ERR_CA_STATE', certFile), privateKeyFromPem(keyPem, 'ERR_CA_STATE', keyFile), 'ERR_CA_STATE');
  }
  let key: KeyObject;
  try {
    if (keyPem === undefined) {
      key = newEcPrivateKey(CA_ALGORITHMS[0]!.namedCurve);
      await writeDurably(stateDir, CA_KEY_FILE, key.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    } else {
      key = privateKeyFromPem(keyPem, 'ERR_CA_STATE', keyFile); // a crash came between key and certificate
    }
    const der = await selfSign(key, commonName, now);
    await writeDurably(stateDir, CA_CERT_FILE, encodePem('CERTIFICATE', der), 0o644);
    return await assembleCa(der, key, 'ERR_CA_STATE');
  } catch (err) {
    if (err instanceof CaError) throw err;
    throw new CaError('ERR_CA_STATE', `cannot create the CA in ${stateDir}`, { cause: err });
  }
}

/**
 * A CA the operator gives: a PEM certificate (one) and its PEM private key (ECDSA P-256/P-384).
 * @throws CaError ERR_CA_FILE when a file is missing or unreadable, the certificate is not a CA
 *   (basicConstraints cA TRUE; keyUsage keyCertSign when present) or the key is not supported;
 *   ERR_CA_MISMATCH when the key is not the certificate's.
 */
export async function loadCaFiles(certFile: string, keyFile: string): Promise<StewardCa> {
  const read = async (file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new CaError('ERR_CA_FILE', `cannot read ${file}`, { cause: err });
    }
  };
  const [certPem, keyPem] = await Promise.all([read(certFile), read(keyFile)]);
  return assembleCa(certificateFromPem(certPem, 'ERR_CA_FILE', certFile), privateKeyFromPem(keyPem, 'ERR_CA_FILE', keyFile), 'ERR_CA_FILE');
}
