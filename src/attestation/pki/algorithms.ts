/**
 * The signature algorithms the attestation PKI accepts: one table row per algorithm, resolved
 * once from a certificate's or CRL's AlgorithmIdentifier (RFC 5280 §4.1.1.2, RFC 4055 for
 * RSASSA-PSS, RFC 5758 for ECDSA). Lower layers receive the row, never an OID string.
 *
 * SHA-1 and PKCS#1 v1.5 with SHA-1 are deliberately absent: no vendor root we pin uses them.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AttestationError } from '../errors.js';
import { DerTag, children, contentOf, decodeOid, expectTlv, readTlv, unsignedInteger, type Tlv } from './der.js';

/** A resolved signature algorithm: what to hash with and how to check the signature. */
export interface SignatureAlgorithm {
  /** A readable name, e.g. `RSASSA-PSS-SHA384`, `ECDSA-SHA256`. */
  readonly name: string;
  /** The key type the algorithm needs (`rsa` accepts `rsa-pss` keys too). */
  readonly keyType: 'rsa' | 'ec';
  /** Node.js digest name. */
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  /** PSS salt length in bytes; absent for PKCS#1 v1.5 and ECDSA. */
  readonly pssSaltLength?: number;
}

const HASH_OIDS: Readonly<Record<string, SignatureAlgorithm['hash']>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const FIXED: Readonly<Record<string, SignatureAlgorithm>> = {
  '1.2.840.113549.1.1.11': { name: 'RSA-PKCS1-SHA256', keyType: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'RSA-PKCS1-SHA384', keyType: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'RSA-PKCS1-SHA512', keyType: 'rsa', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', keyType: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', keyType: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', keyType: 'ec', hash: 'sha512' },
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const SHA1 = '1.3.14.3.2.26';

function unsupported(what: string): never {
  throw new AttestationError('ERR_CHAIN', `unsupported signature algorithm: ${what}`);
}

/** Reads an AlgorithmIdentifier's OID and returns it with the parameters element, if any. */
function algorithmIdentifier(bytes: Uint8Array, tlv: Tlv): { oid: string; params: Tlv | undefined } {
  const parts = children(bytes, tlv);
  const oidTlv = parts[0];
  if (oidTlv === undefined || oidTlv.tag !== DerTag.OID || parts.length > 2) {
    throw new AttestationError('ERR_FORMAT', 'malformed AlgorithmIdentifier');
  }
  return { oid: decodeOid(contentOf(bytes, oidTlv)), params: parts[1] };
}

function hashOf(bytes: Uint8Array, tlv: Tlv): SignatureAlgorithm['hash'] {
  const { oid } = algorithmIdentifier(bytes, tlv);
  if (oid === SHA1) unsupported('RSASSA-PSS with SHA-1');
  const hash = HASH_OIDS[oid];
  if (hash === undefined) unsupported(`hash ${oid}`);
  return hash;
}

/** RSASSA-PSS-params (RFC 4055 §3.1); SHA-1 defaults are refused. */
function pssRow(bytes: Uint8Array, params: Tlv | undefined): SignatureAlgorithm {
  if (params === undefined || params.tag !== DerTag.SEQUENCE) unsupported('RSASSA-PSS without parameters');
  let hash: SignatureAlgorithm['hash'] | undefined;
  let mgfHash: SignatureAlgorithm['hash'] | undefined;
  let salt = 20;
  for (const field of children(bytes, params)) {
    const inner = readTlv(bytes, field.contentStart, field.end);
    if (inner.end !== field.end) throw new AttestationError('ERR_FORMAT', 'malformed RSASSA-PSS-params');
    switch (field.tag) {
      case 0xa0:
        hash = hashOf(bytes, inner);
        break;
      case 0xa1: {
        const mgf = algorithmIdentifier(bytes, inner);
        if (mgf.oid !== MGF1 || mgf.params === undefined) unsupported(`mask generation ${mgf.oid}`);
        mgfHash = hashOf(bytes, mgf.params);
        break;
      }
      case 0xa2:
        if (inner.tag !== DerTag.INTEGER) throw new AttestationError('ERR_FORMAT', 'malformed PSS saltLength');
        salt = Number(unsignedInteger(contentOf(bytes, inner), 'saltLength'));
        break;
      case 0xa3:
        if (inner.tag !== DerTag.INTEGER || unsignedInteger(contentOf(bytes, inner), 'trailerField') !== 1n) {
          unsupported('RSASSA-PSS trailer field other than 1');
        }
        break;
      default:
        throw new AttestationError('ERR_FORMAT', 'malformed RSASSA-PSS-params');
    }
  }
  if (hash === undefined || mgfHash === undefined) unsupported('RSASSA-PSS with default (SHA-1) hash');
  if (hash !== mgfHash) unsupported('RSASSA-PSS with different message and MGF1 hashes');
  if (salt > 64) unsupported(`RSASSA-PSS salt length ${salt}`);
  return { name: `RSASSA-PSS-${hash.toUpperCase()}`, keyType: 'rsa', hash, pssSaltLength: salt };
}

/**
 * Resolves the AlgorithmIdentifier element at `tlv` to a table row.
 * @throws AttestationError ERR_CHAIN for an algorithm not in the table, ERR_FORMAT when malformed.
 */
export function resolveSignatureAlgorithm(bytes: Uint8Array, tlv: Tlv): SignatureAlgorithm {
  const { oid, params } = algorithmIdentifier(bytes, tlv);
  if (oid === RSASSA_PSS) return pssRow(bytes, params);
  const row = FIXED[oid];
  if (row === undefined) unsupported(oid);
  if (row.keyType === 'ec' && params !== undefined) throw new AttestationError('ERR_FORMAT', 'ECDSA with parameters');
  if (row.keyType === 'rsa' && params !== undefined && params.tag !== DerTag.NULL) {
    throw new AttestationError('ERR_FORMAT', 'RSA PKCS#1 with non-NULL parameters');
  }
  return row;
}

/** Resolves a standalone DER AlgorithmIdentifier. @throws AttestationError ERR_CHAIN / ERR_FORMAT */
export function signatureAlgorithmFromDer(der: Uint8Array): SignatureAlgorithm {
  const tlv = expectTlv(der, 0, DerTag.SEQUENCE, 'AlgorithmIdentifier');
  if (tlv.end !== der.length) throw new AttestationError('ERR_FORMAT', 'trailing bytes after AlgorithmIdentifier');
  return resolveSignatureAlgorithm(der, tlv);
}

/**
 * Checks `signature` (X.509 encoding: DER ECDSA-Sig-Value or RSA octets) over `data` with `key`.
 * Returns false for any mismatch, including a key of the wrong type; never throws on bad input.
 */
export function verifySignature(
  algorithm: SignatureAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const type = key.asymmetricKeyType;
  if (algorithm.keyType === 'ec' ? type !== 'ec' : type !== 'rsa' && type !== 'rsa-pss') return false;
  try {
    if (algorithm.pssSaltLength !== undefined) {
      return cryptoVerify(
        algorithm.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength },
        signature,
      );
    }
    if (algorithm.keyType === 'rsa') {
      if (type !== 'rsa') return false;
      return cryptoVerify(algorithm.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
    return cryptoVerify(algorithm.hash, data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    // OpenSSL throws on malformed signatures or keys; for a verifier that is simply "invalid".
    return false;
  }
}
