/**
 * The client side of the deploy protocol (README, "Deploy protocol"): a fresh nonce, a keep,
 * its evidence verified BEFORE anything secret leaves the client, the package sealed to the
 * keep's key and bound to its id and evidence, then the session that follows it: the keep's
 * output and outcome as sealed records the client opens in order, and the client's input sealed
 * the same way. The host carries all of it and can read or forge none of it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { NONCE_BYTES } from '../attestation/binding.js';
import { encodePackageParts } from '../crypto/package.js';
import type { Package } from '../crypto/package.js';
import { sealPackage } from '../crypto/seal.js';
import type { SealedPackage } from '../crypto/seal.js';
import type { SessionKeys } from '../crypto/session.js';
import { DEFAULT_SUITE } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { HostApi } from '../protocol/host-api.js';
import type { Limits } from '../protocol/limits.js';
import type { BackendName } from '../protocol/names.js';
import type { Outcome } from '../protocol/outcome.js';
import type { OutputStreamName } from '../protocol/records.js';
import { trace } from '../trace.js';
import { DeployError } from './errors.js';
import { followKeep, sealInput } from './session.js';
import { verifyKeep } from './verify-keep.js';
import type { AcceptedKeep, KeepClaim, KeepTrustPolicy } from './verify-keep.js';
import type { StewardTrust } from './steward.js';

/** The keep appraised by a steward (its code, and jose's, loaded only then). */
async function delegated(claim: KeepClaim, steward: StewardTrust): Promise<AcceptedKeep> {
  const [{ attestWithSteward }, { keepReportData }] = await Promise.all([import('./steward.js'), import('../attestation/binding.js')]);
  return attestWithSteward(claim.evidence, keepReportData(claim.nonce, claim.suite.kemId, claim.publicKey), claim.nonce, steward);
}

/** Options of {@link deploy}. */
export interface DeployOptions {
  /** Who and what the client trusts (possibly still being worked out: awaited before verifying). */
  readonly trust: KeepTrustPolicy | Promise<KeepTrustPolicy>;
  /** A steward to delegate the appraisal to instead (client/steward.ts): `trust` is then unused. */
  readonly steward?: StewardTrust;
  readonly suite?: SuiteRow;
  readonly backend?: BackendName;
  readonly limits?: Partial<Limits>;
  /** Host directories to lend the workload (in-process hosts only). */
  readonly preopens?: readonly { host: string; guest: string }[];
  /** The workload's stdin, sealed to the keep as it is read (none: the workload reads end of file). */
  readonly input?: AsyncIterable<Uint8Array>;
  /** Receives the workload's stdout and stderr as they arrive, authenticated. */
  readonly onOutput?: (stream: OutputStreamName, data: Uint8Array) => void;
  /** Told once the keep is verified, before the package is sent. */
  readonly onAccepted?: (keepId: string, accepted: AcceptedKeep) => void;
  /** Told the session's keys once the package is sealed (to read the keep's records later). */
  readonly onSession?: (keepId: string, keys: SessionKeys) => void;
}

/** How a deployed workload ended, as its keep said under the session's keys. */
export interface DeployResult {
  readonly keepId: string;
  readonly accepted: AcceptedKeep;
  readonly outcome: Outcome;
}

/**
 * Deploys `pkg` through `host` and follows it to its sealed outcome.
 * @throws AttestationError when the keep is not trusted (the keep is killed, nothing is sent), or
 *   StewardClientError when the steward it delegates to does not accept it;
 *   SessionError when a record does not open (altered, dropped, reordered, replayed: the keep is
 *   killed); DeployError when the stream ends without the outcome; HostApiError from the host
 */
export async function deploy(host: HostApi, pkg: Package, opts: DeployOptions): Promise<DeployResult> {
  const suite = opts.suite ?? DEFAULT_SUITE;
  const nonce = randomBytes(NONCE_BYTES);
  // The HPKE code loads while the keep starts and attests: sealing needs it after that.
  suite.create().catch(() => {});
  const created = await host.createKeep({
    nonce,
    kem: suite.name,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.preopens ? { preopens: opts.preopens } : {}),
  });
  trace('keep created (attested by its host)');
  let accepted: AcceptedKeep;
  try {
    const claim = { nonce, suite, publicKey: created.publicKey, evidence: created.evidence };
    accepted = opts.steward ? await delegated(claim, opts.steward) : await verifyKeep(claim, await opts.trust);
  } catch (err) {
    await host.killKeep(created.id).catch(() => {});
    throw err;
  }
  trace('evidence verified');
  opts.onAccepted?.(created.id, accepted);
  const evidenceDigest = new Uint8Array(createHash('sha256').update(created.evidence.report).digest());
  let sealed: SealedPackage;
  try {
    // Encoding is a manifest and views of the caller's bytes; nothing is hashed or copied.
    sealed = await sealPackage(suite, created.publicKey, created.id, evidenceDigest, encodePackageParts({ ...pkg, input: opts.input !== undefined }));
  } catch (err) {
    // A package that cannot be encoded: the keep gets nothing and is not left waiting.
    await host.killKeep(created.id).catch(() => {});
    throw err;
  }
  opts.onSession?.(created.id, sealed.keys);
  const stop = new AbortController();
  const events = host.events(created.id, { signal: stop.signal });
  // Input is streamed once the keep says its workload wants it, not before: a workload that never
  // reads stdin leaves this client's stdin untouched.
  let inputStarted = false;
  const startInput = (): void => {
    if (inputStarted || !opts.input) return;
    inputStarted = true;
    host.sendInput(created.id, sealInput(sealed.keys.input, opts.input), stop.signal).catch(() => {
      // The keep may end before its input does; a failure to send shows in the stream.
    });
  };
  const following = followKeep(events, sealed.keys.output, { ...(opts.onOutput ? { onOutput: opts.onOutput } : {}), onInputWanted: startInput });
  following.catch(() => {});
  try {
    await host.deliverPackage(created.id, sealed.chunks).catch((err: unknown) => explainDelivery(err, following));
    trace('package delivered');
    const outcome = await following;
    trace('outcome');
    return { keepId: created.id, accepted, outcome };
  } catch (err) {
    // Whatever went wrong (a record that does not open, a stream cut short), the keep is not left running.
    if (!(err instanceof DeployError && (err.code === 'ERR_KEEP_KILLED' || err.code === 'ERR_KEEP_FAILED'))) await host.killKeep(created.id).catch(() => {});
    throw err;
  } finally {
    stop.abort();
  }
}

/**
 * A package upload that failed because its keep ended (the package did not open, the keep was
 * killed) is better told by the keep's stream, which says why: waits a moment for it.
 */
async function explainDelivery(err: unknown, following: Promise<Outcome>): Promise<never> {
  const told = await Promise.race([following.then(() => undefined, (e: unknown) => e), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  throw told instanceof DeployError ? told : err;
}
