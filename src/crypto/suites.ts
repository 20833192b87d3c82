/**
 * HPKE (RFC 9180) cipher suites a client can seal a workload with, one row per suite. Lower
 * layers receive the resolved row, never a name to switch on; crypto agility lives here.
 *
 * | name      | KEM                                   | KDF         | AEAD        |
 * |-----------|---------------------------------------|-------------|-------------|
 * | x25519    | DHKEM(X25519, HKDF-SHA256) 0x0020     | HKDF-SHA256 | AES-256-GCM |
 * | x-wing    | X-Wing (ML-KEM-768 + X25519) 0x647a   | HKDF-SHA256 | AES-256-GCM |
 *
 * The KDF, the AEAD and X25519 are node:crypto's, computed in the calling thread (node-primitives.ts,
 * node-x25519.ts); the HPKE construction is @hpke/core's.
 */
import type { CipherSuite } from '@hpke/core';
import type { KemName } from '../protocol/names.js';

/** One suite of the table. */
export interface SuiteRow {
  /** The name on the command line (`--kem`) and on the wire. */
  readonly name: KemName;
  /** HPKE KEM id (RFC 9180 §7.1; X-Wing from draft-connolly-cfrg-xwing-kem). */
  readonly kemId: number;
  /** Builds the HPKE suite (the HPKE libraries are loaded only when a suite is used). */
  create(): Promise<CipherSuite>;
}

/** All suites; the first is the default. */
export const SUITES: readonly SuiteRow[] = [
  {
    name: 'x25519',
    kemId: 0x0020,
    create: async () => (await import('./suite-x25519.js')).createX25519Suite(),
  },
  {
    name: 'x-wing',
    kemId: 0x647a,
    create: async () => (await import('./suite-x-wing.js')).createXWingSuite(),
  },
];

/** The default suite. */
export const DEFAULT_SUITE: SuiteRow = SUITES[0]!;

/** The row named `name`, or undefined. */
export function findSuite(name: string): SuiteRow | undefined {
  return SUITES.find((s) => s.name === name);
}

/** The row of a suite name (every name of protocol/names.ts has one: a test checks it). */
export function suiteOf(name: KemName): SuiteRow {
  const row = findSuite(name);
  if (row === undefined) throw new TypeError(`no suite row for '${name}'`);
  return row;
}
