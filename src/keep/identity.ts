/**
 * The keep's own key: generated fresh inside the keep for its one deploy, bound into its
 * evidence (see attestation/binding.ts), and never leaving the keep. The private key stays in
 * this process's memory only.
 */
import { keepReportData } from '../attestation/binding.js';
import { findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { CipherSuite } from '@hpke/core';

/** A key pair of one suite, not yet bound to a client's nonce. */
export interface KeepKey {
  readonly suite: SuiteRow;
  readonly hpke: CipherSuite;
  readonly keyPair: Awaited<ReturnType<CipherSuite['kem']['generateKeyPair']>>;
  readonly publicKey: Uint8Array;
}

/** A keep's key pair with the report data that binds it to the client's nonce. */
export interface KeepIdentity extends KeepKey {
  readonly reportData: Uint8Array;
}

/** Generates a key pair of the suite named `kem`. */
export async function generateKeepKey(kem: string): Promise<KeepKey> {
  const suite = findSuite(kem);
  if (!suite) throw new TypeError(`unknown KEM '${kem}'`);
  const hpke = await suite.create();
  const keyPair = await hpke.kem.generateKeyPair();
  const publicKey = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
  return { suite, hpke, keyPair, publicKey };
}

/** Binds `key` to `nonce`: the report data the platform will sign. */
export function bindKeepKey(key: KeepKey, nonce: Uint8Array): KeepIdentity {
  return { ...key, reportData: keepReportData(nonce, key.suite.kemId, key.publicKey) };
}

/** Generates the keep's key pair for `kem` and the report data binding it to `nonce`. */
export async function createKeepIdentity(nonce: Uint8Array, kem: string): Promise<KeepIdentity> {
  return bindKeepKey(await generateKeepKey(kem), nonce);
}
