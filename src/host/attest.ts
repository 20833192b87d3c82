/**
 * The host's part of attesting a keep: ask the keep for the report data it wants signed (it
 * binds the client's nonce and the keep's fresh key), and ask the platform for evidence over
 * it. For `sim` the platform is played by the host and signs with the measurement the launcher
 * recorded, never one the keep claims.
 */
import type { Backend, LaunchRecord } from '../backend/types.js';
import type { Evidence } from '../protocol/evidence.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { KeepProcess } from './keep-process.js';
import { trace } from '../trace.js';

/** What the host hands the client for verification. */
export interface KeepAttestation {
  readonly evidence: Evidence;
  /** The keep's HPKE public key. */
  readonly publicKey: Uint8Array;
}

/** Attests a running keep for `nonce` with a key of `suite` (`asked`: the keep was asked already). */
export async function attestKeep(
  keep: KeepProcess,
  backend: Backend,
  launch: LaunchRecord,
  nonce: Uint8Array,
  suite: SuiteRow,
  asked?: ReturnType<KeepProcess['attest']>,
): Promise<KeepAttestation> {
  const request = await (asked ?? keep.attest(nonce, suite.name));
  trace('host: keep asked for its report data');
  const evidence = await backend.attest(Buffer.from(request.reportData, 'hex'), launch);
  trace('host: platform evidence made');
  return { evidence, publicKey: Buffer.from(request.publicKey, 'hex') };
}
