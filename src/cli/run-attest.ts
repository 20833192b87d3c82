/**
 * `enarx run`'s attestation step, in its own module (and bundle) because it brings the X.509,
 * HPKE and backend code that a `--backend nil` run never needs.
 */
import { randomBytes } from 'node:crypto';
import { NONCE_BYTES } from '../attestation/binding.js';
import { selectBackend } from '../backend/select.js';
import type { BackendName } from '../backend/types.js';
import { verifyKeep } from '../client/verify-keep.js';
import type { SuiteRow } from '../crypto/suites.js';
import { attestKeep } from '../host/attest.js';
import type { KeepProcess } from '../host/keep-process.js';
import { runtimeMeasurement } from '../runtime/measurement.js';
import { loadReferenceValues } from '../runtime/reference-values.js';
import type { LocalTrust } from './run.js';

/**
 * Attests a keep this machine launched, as its own client: the evidence must verify, bind a
 * fresh nonce and the keep's key, and carry a measurement listed in the installation's
 * reference values. The local simulated platform's root is trusted here because client and
 * platform are the same machine and user; a remote client must opt in (`deploy --allow-sim`).
 */
export async function attestLocalKeep(
  keep: KeepProcess,
  name: BackendName | undefined,
  bundleDir: string,
  suite: SuiteRow,
  trust: LocalTrust,
): Promise<void> {
  const backend = await selectBackend(name);
  if (backend.name === 'nil') return;
  const nonce = randomBytes(NONCE_BYTES);
  const [{ measurement }, referenceValues] = await Promise.all([
    runtimeMeasurement(bundleDir),
    trust.referenceValues === undefined ? loadReferenceValues() : loadReferenceValues(trust.referenceValues),
  ]);
  const { evidence, publicKey } = await attestKeep(keep, backend, { measurement }, nonce, suite);
  await verifyKeep(
    { nonce, suite, publicKey, evidence },
    {
      allowSim: true,
      simRoots: evidence.backend === 'sim' ? (evidence.trustRoots ?? []) : [],
      referenceValues,
      measurements: trust.measurements,
    },
  );
}

