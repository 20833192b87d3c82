/**
 * Certificates a client has parsed, and signatures between them it has checked, before the
 * evidence that carries them arrives: a verifier's cache, as SEV-SNP clients keep AMD's ARK, ASK
 * and a chip's VCEK. `enarx run` fills it with its local platform's chain while its keep boots,
 * so that the verification on the deploy's critical path finds the X.509 work done.
 *
 * Nothing here decides trust. Entries are keyed by the SHA-256 of their exact DER bytes: a
 * certificate of the evidence is replaced by the parsed copy of the same bytes, and the cache
 * records only facts of the form "the signature on X verifies with Y's key". The verifier still
 * builds the chain and checks anchors, validity, extensions and the report itself.
 */
import { createHash } from 'node:crypto';
import { Certificate, SignatureCache, isIssuedBy, parseCertificate } from '../attestation/pki/index.js';

const MAX_ENTRIES = 64;

const digestOf = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** A client's parsed certificates and checked signatures. */
export class KnownCertificates {
  readonly signatures = new SignatureCache();
  readonly #byDigest = new Map<string, Certificate>();
  #stopped = false;

  /** Ends learning: what is not known by now is left to the verifier (called when it starts). */
  stop(): void {
    this.#stopped = true;
  }

  /** The parsed copy of `der` when known, else `der` itself. */
  resolve(der: Uint8Array): Certificate | Uint8Array {
    return this.#byDigest.get(digestOf(der)) ?? der;
  }

  /** How many certificates are known. */
  get size(): number {
    return this.#byDigest.size;
  }

  /**
   * Parses `ders` and checks the signatures between them, one step per turn of the event loop
   * (a message that arrives meanwhile waits for one step, not for all). Never rejects: what
   * fails to parse or verify is left for the real verification to report.
   */
  async learn(ders: readonly Uint8Array[]): Promise<void> {
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const certs: Certificate[] = [];
    for (const der of ders) {
      if (this.#stopped) return;
      const known = this.resolve(der);
      if (known instanceof Certificate) {
        certs.push(known);
        continue;
      }
      try {
        const cert = parseCertificate(der);
        if (this.#byDigest.size < MAX_ENTRIES) this.#byDigest.set(cert.sha256, cert);
        certs.push(cert);
      } catch {
        // left to the verifier
      }
      await turn();
    }
    for (const cert of certs) {
      for (const issuer of certs) {
        if (this.#stopped) return;
        if (cert.issuerName !== issuer.subjectName || this.signatures.has(cert.sha256, issuer.sha256)) continue;
        try {
          isIssuedBy(cert, issuer, this.signatures);
        } catch {
          // left to the verifier
        }
        await turn();
      }
    }
  }
}
