/**
 * The keep's own key: generated fresh inside the keep for its one deploy, bound into its
 * evidence (see attestation/binding.ts), and never leaving the keep. The private key stays in
 * this process's memory only.
 *
 * An X25519 key is made with node:crypto (~1 ms), so the report data can go out at once; the
 * HPKE library is loaded after that, while the host and the client work. The suite's X25519 is
 * node:crypto's too (crypto/node-x25519.ts): the private key stays a KeyObject, outside the
 * JavaScript heap. An X-Wing key is made by the HPKE library.
 */
import { createPublicKey } from 'node:crypto';
import { newX25519PrivateKey } from '../crypto/fresh-keys.js';
import { keepReportData } from '../attestation/binding.js';
import type { OpenerKey } from '../crypto/seal.js';
import { NodeX25519Key } from '../crypto/x25519-key.js';
import { findSuite } from '../crypto/suites.js';
import type { SuiteRow } from '../crypto/suites.js';

/** A key pair of one suite, not yet bound to a client's nonce. */
export interface KeepKey {
  readonly suite: SuiteRow;
  readonly publicKey: Uint8Array;
  /** The key in the HPKE library's form (made on the first call; the same promise after). */
  readonly opener: () => Promise<OpenerKey>;
}

/** A keep's key with the report data that binds it to the client's nonce. */
export interface KeepIdentity extends KeepKey {
  readonly reportData: Uint8Array;
}

/** Generates a key pair of the suite named `kem`. */
export async function generateKeepKey(kem: string): Promise<KeepKey> {
  const suite = findSuite(kem);
  if (!suite) throw new TypeError(`unknown KEM '${kem}'`);
  if (suite.name === 'x25519') {
    const privateKey = newX25519PrivateKey();
    const pub = createPublicKey(privateKey);
    const publicKey = new NodeX25519Key('public', pub).raw();
    let opener: Promise<OpenerKey> | undefined;
    const make = async (): Promise<OpenerKey> => {
      const hpke = await suite.create();
      const keyPair = { privateKey: new NodeX25519Key('private', privateKey), publicKey: new NodeX25519Key('public', pub) };
      return { suite, hpke, keyPair: keyPair as unknown as OpenerKey['keyPair'] };
    };
    return { suite, publicKey, opener: () => (opener ??= make()) };
  }
  const hpke = await suite.create();
  const keyPair = await hpke.kem.generateKeyPair();
  const publicKey = new Uint8Array(await hpke.kem.serializePublicKey(keyPair.publicKey));
  const ready = Promise.resolve({ suite, hpke, keyPair });
  return { suite, publicKey, opener: () => ready };
}

/** Binds `key` to `nonce`: the report data the platform will sign. */
export function bindKeepKey(key: KeepKey, nonce: Uint8Array): KeepIdentity {
  return { ...key, reportData: keepReportData(nonce, key.suite.kemId, key.publicKey) };
}
