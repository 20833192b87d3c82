/**
 * Warming the HPKE path. A process's first seal or open pays for loading Node's WebCrypto
 * internals and for running cold code (~10 ms on a small machine). Where a process has idle
 * time before its first real one (a client waiting for a keep to boot and attest, a keep
 * waiting for its package), it spends it on a round trip with a throwaway key of the same
 * suite. Nothing of it is kept, and nothing secret is involved.
 */
import type { CipherSuite } from '@hpke/core';
import type { SuiteRow } from './suites.js';

/** Seals and opens 16 zero bytes to a throwaway key of `hpke`'s suite. */
export async function warmUpHpke(hpke: CipherSuite): Promise<void> {
  const keyPair = await hpke.kem.generateKeyPair();
  const info = new Uint8Array(1);
  const aad = new Uint8Array(9);
  const sender = await hpke.createSenderContext({ recipientPublicKey: keyPair.publicKey, info });
  const ct = await sender.seal(new Uint8Array(16), aad);
  const recipient = await hpke.createRecipientContext({ recipientKey: keyPair, enc: sender.enc, info });
  await recipient.open(ct, aad);
}

const warmed = new Map<string, Promise<void>>();

/** Warms `suite` once per process, in the background; never rejects. */
export function warmUpSuite(suite: SuiteRow): Promise<void> {
  let p = warmed.get(suite.name);
  if (p === undefined) {
    p = suite.create().then(warmUpHpke, () => {}).catch(() => {});
    warmed.set(suite.name, p);
  }
  return p;
}
