/**
 * The client side of the deploy protocol (README, "Deploy protocol"): a fresh nonce, a keep,
 * its evidence verified BEFORE anything secret leaves the client, then the package sealed to
 * the keep's key and bound to its id and evidence, then the keep's output and exit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { NONCE_BYTES } from '../attestation/binding.js';
import type { BackendName } from '../backend/types.js';
import { encodePackageParts } from '../crypto/package.js';
import type { Package } from '../crypto/package.js';
import { sealPackage } from '../crypto/seal.js';
import { DEFAULT_SUITE } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';
import type { Limits } from '../runtime/limits.js';
import type { HostApi, KeepOutput } from './host-api.js';
import { trace } from './trace.js';
import { verifyKeep } from './verify-keep.js';
import type { AcceptedKeep, KeepTrustPolicy } from './verify-keep.js';

/** Options of {@link deploy}. */
export interface DeployOptions {
  /** Who and what the client trusts. */
  readonly trust: KeepTrustPolicy;
  readonly suite?: SuiteRow;
  readonly backend?: BackendName;
  readonly limits?: Partial<Limits>;
  /** Host directories to lend the workload (in-process hosts only). */
  readonly preopens?: readonly { host: string; guest: string }[];
  /** Receives the workload's stdout and stderr as they arrive. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', data: Uint8Array) => void;
  /** Told once the keep is verified, before the package is sent. */
  readonly onAccepted?: (keepId: string, accepted: AcceptedKeep) => void;
}

/** How a deployed workload ended. */
export interface DeployResult {
  readonly keepId: string;
  readonly accepted: AcceptedKeep;
  /** The last event: exit (with the exit code), trap or error. */
  readonly outcome: Exclude<KeepOutput, { type: 'stdout' | 'stderr' }>;
}

/**
 * Deploys `pkg` through `host` and waits for it to finish.
 * @throws AttestationError when the keep is not trusted (the keep is killed, nothing is sent);
 *   host errors as the host API raises them.
 */
export async function deploy(host: HostApi, pkg: Package, opts: DeployOptions): Promise<DeployResult> {
  const suite = opts.suite ?? DEFAULT_SUITE;
  const nonce = randomBytes(NONCE_BYTES);
  // The HPKE code loads while the keep starts and attests (sealing needs it after that).
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
    accepted = await verifyKeep({ nonce, suite, publicKey: created.publicKey, evidence: created.evidence }, opts.trust);
  } catch (err) {
    await host.killKeep(created.id).catch(() => {});
    throw err;
  }
  trace('evidence verified');
  opts.onAccepted?.(created.id, accepted);
  const evidenceDigest = new Uint8Array(createHash('sha256').update(created.evidence.report).digest());
  const events = host.events(created.id)[Symbol.asyncIterator]();
  const sealed = sealPackage(suite, created.publicKey, created.id, evidenceDigest, encodePackageParts(pkg));
  await host.deliverPackage(created.id, sealed);
  trace('package delivered');
  for (;;) {
    const next = await events.next();
    if (next.done) throw Object.assign(new Error('the host ended the event stream without an outcome'), { code: 'ERR_HOST_PROTOCOL' });
    const ev = next.value;
    if (ev.type === 'stdout' || ev.type === 'stderr') opts.onOutput?.(ev.type, ev.data);
    else {
      trace('outcome');
      return { keepId: created.id, accepted, outcome: ev };
    }
  }
}
