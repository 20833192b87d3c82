/**
 * Shared helpers of the DCAP tests: decoding the staged quote encodings, assembling collateral
 * from staged pieces, the verification times the MANIFEST names, and code assertions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TcbStatus } from '../../../src/attestation/appraisal.js';
import { TCB_STATUSES, parseCollateral, parsePcsCollateral, type Collateral } from '../../../src/attestation/dcap/index.js';
import { derObjects } from '../../../src/attestation/pki/index.js';
import { REPO_ROOT, readVector } from '../../support/vectors.js';

/** Every status except Revoked: lets a test see the computed status instead of the policy refusal. */
export const ANY_STATUS: TcbStatus[] = TCB_STATUSES.filter((s) => s !== 'Revoked');

/** A staged quote as bytes, decoding the hex / base64 / JSON wrappers some sources use. */
export function quoteVector(rel: string): Uint8Array {
  const raw = readVector(rel);
  if (rel.endsWith('.hex') || rel.endsWith('_hex.txt')) {
    const text = raw.toString('utf8').trim().replace(/^0x/, '');
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  if (rel.endsWith('tdx-v4-azure')) return new Uint8Array(Buffer.from(raw.toString('utf8'), 'base64'));
  if (rel.endsWith('.json')) {
    const doc = JSON.parse(raw.toString('utf8')) as { tdx: { quote: string } };
    return new Uint8Array(Buffer.from(doc.tdx.quote, 'base64'));
  }
  return new Uint8Array(raw);
}

/** A staged dcap-qvl collateral bundle. */
export function bundleVector(rel: string): Collateral {
  return parseCollateral(readVector(rel).toString('utf8'));
}

/** dcap-qvl's verification time: min(nextUpdate of TCB info, QE identity, both CRLs) − 1 s. */
export function dcapQvlNow(c: Collateral): Date {
  const times = [c.tcbInfo.value.nextUpdate.getTime(), c.qeIdentity.value.nextUpdate.getTime()];
  for (const crl of [c.pckCrl, c.rootCaCrl]) {
    if (crl?.nextUpdateMs !== undefined) times.push(crl.nextUpdateMs);
  }
  return new Date(Math.min(...times) - 1000);
}

/** The production TCB Signing chain that is valid today (2025 re-issue + root). */
export function tcbSigningChain2025(): string {
  return (
    readVector('intel-pki/Intel_SGX_TCB_Signing_2025-05-06.pem').toString('utf8') +
    readVector('intel-pki/Intel_SGX_Root_CA.pem').toString('utf8')
  );
}

/** A PCS-style `{"<key>": <exact signed text>, "signature": …}` body around a bundle's signed string. */
export function pcsBody(key: 'tcbInfo' | 'enclaveIdentity', signedText: string, signatureHex: string): string {
  return `{"${key}":${signedText},"signature":"${signatureHex}"}`;
}

/** The TD_QE identity of the dcap-qvl outdated bundle (valid 2026-02-18 to 2026-03-20) as a PCS body. */
export function tdQeIdentity2026(): string {
  const b = JSON.parse(readVector('tdx/dcap-qvl/tdx_quote_outdated_collateral.json').toString('utf8')) as Record<string, string>;
  return pcsBody('enclaveIdentity', b['qe_identity']!, b['qe_identity_signature']!);
}

/** The SGX QE identity of the dcap-qvl SGX bundle (valid 2025-06-19 to 2025-07-19) as a PCS body. */
export function sgxQeIdentity2025(): string {
  const b = JSON.parse(readVector('sgx/dcap-qvl/sgx_quote_collateral.json').toString('utf8')) as Record<string, string>;
  return pcsBody('enclaveIdentity', b['qe_identity']!, b['qe_identity_signature']!);
}

/** Collateral from a staged TCB info file and QE identity, signed by the 2025 TCB Signing chain. */
export function pcsCollateral(tcbInfoRel: string, qeIdentity: string | Uint8Array): Collateral {
  return parsePcsCollateral({ tcbInfo: readVector(tcbInfoRel), qeIdentity, tcbInfoIssuerChain: tcbSigningChain2025() });
}

/** The DER certificates of a PEM file. */
export function pemToDer(pem: Uint8Array | string): Uint8Array[] {
  return derObjects(typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1'), ['CERTIFICATE']);
}

/** Reads a self-made vector from test/vectors/dcap/. */
export function ownVector(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(REPO_ROOT, 'test', 'vectors', 'dcap', name)));
}

/** Asserts that `p` rejects with an error whose `code` is `code`. */
export async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (err: unknown) => {
      assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String((err as Error).message)}`);
      return true;
    },
  );
}
