/**
 * Warming the HPKE path. A process's first open pays for running cold code: the library's, and
 * node:crypto's first X25519, HMAC and AES-GCM (~3 ms in a keep). A keep has idle time between
 * its launch request and its package (the client verifies and seals meanwhile, and the keep's
 * other core is free then); it spends it on a round trip with a throwaway key of its suite.
 * Nothing of it is kept, and nothing secret is involved.
 */
import type { CipherSuite } from '@hpke/core';

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
