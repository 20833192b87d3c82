/**
 * What the EAR tests (issuer and verifier) share: a verified appraisal of simulated SEV-SNP
 * evidence, the reference value it matched, and a steward's signer in a temporary folder.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Appraisal } from '../../src/attestation/appraisal.js';
import type { ReferenceValue } from '../../src/attestation/reference-values.js';
import { createBackend } from '../../src/backend/index.js';
import { appraiseEvidence } from '../../src/client/verify-keep.js';
import { EarSigner } from '../../src/steward/ear.js';

/** A fixed clock for tokens. */
export const EAR_NOW = new Date('2026-06-01T12:00:00Z');
const measurement = new Uint8Array(createHash('sha384').update('a runtime').digest());
/** The runtime the appraisal names. */
export const EAR_REFERENCE: ReferenceValue = { measurement: Buffer.from(measurement).toString('hex'), runtime: 'enarx-ts', release: '0.1.0', backend: 'sim' };

/** A fixture: its folder (removed by `cleanup`), the appraisal, the report data it binds, a signer. */
export interface EarFixture {
  readonly dir: string;
  readonly sim: Appraisal;
  readonly reportData: Buffer;
  readonly signer: EarSigner;
  cleanup(): void;
}

/** Makes a fixture in a new temporary folder named after `name`. */
export async function earFixture(name: string): Promise<EarFixture> {
  const dir = mkdtempSync(join(tmpdir(), `enarx-${name}-`));
  const reportData = randomBytes(64);
  const evidence = await createBackend('sim', { stateDir: join(dir, 'sim') }).attest(reportData, { measurement });
  const accepted = await appraiseEvidence(evidence, reportData, { sim: 'presented', referenceValues: [EAR_REFERENCE] });
  assert.ok(accepted.appraisal);
  const signer = await EarSigner.loadOrCreate(join(dir, 'steward'));
  return { dir, sim: accepted.appraisal, reportData, signer, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
