/**
 * The keep's own key: generated fresh inside the keep for one deploy, bound into its evidence
 * (see attestation/binding.ts), and never leaving the keep. The private key stays in this
 * process's memory only.
 */
import { keepReportData } from '../attestation/binding.js';
import { findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { CipherSuite } from '@hpke/core';

/** A keep's key pair with the suite it belongs to. */
export interface KeepIdentity {
  readonly suite: SuiteRow;
  readonly hpke: CipherSuite;
  readonly keyPair: Awaited<ReturnType<CipherSuite['kem']['generateKeyPair']>>;
  readonly publicKey: Uint8Array;
  readonly reportData: Uint8Array;
}

/** Generates the keep's key pair for `kem` and the report data binding it to `nonce`. */
export async function createKeepIdentity(nonce: Uint8Array, kem: string): Promise<KeepIdentity> {
  const suite = findSuite(kem);
  if (!suite) throw new TypeError(`unknown KEM '${kem}'`);
  const hpke = await suite.create();
  const keyPair = await hpke.kem.generateKeyPair();
  const publicKey = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
  return { suite, hpke, keyPair, publicKey, reportData: keepReportData(nonce, suite.kemId, publicKey) };
}
