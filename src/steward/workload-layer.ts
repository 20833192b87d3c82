/**
 * The workload a steward certifies, as the third entry (layer 2) of the keep's
 * tcg-dice-MultiTcbInfo extension (issue.ts has layers 0 and 1: the TEE and the runtime). DICE
 * layers are what booted what: the TEE measured the runtime, and the runtime checked the workload.
 *
 *   DiceTcbInfo {
 *     vendor      "key:sha256:<hex>"   -- the key that signed the OCI artifact, when one did
 *     model       "enarx-ts workload"
 *     layer       2
 *     fwids       { id-sha256, the package digest },     -- what the keep opened and ran
 *                 { id-sha256, the OCI manifest digest } -- when deployed from a registry
 *     vendorInfo  UTF-8 JSON {"package":hex, "oci"?:"sha256:hex", "signer"?:hex}
 *   }
 *
 * The package digest is what the keep verified when its sealed package opened; the OCI digest and
 * the signer are what the keep checked itself (keep/provenance.ts) before it asked. The one SPIFFE
 * ID of the certificate names the package (an X.509-SVID carries exactly one URI).
 */
import { optional, strictObject, string } from '../protocol/validate.js';
import { CaError } from './ca.js';
import type { DiceTcbInfo } from './dice-tcb-info.js';

/** What the keep runs. */
export interface KeepWorkload {
  /** SHA-256 of the sealed package, hex. */
  readonly package: string;
  /** The OCI manifest digest (`sha256:<hex>`) it was deployed from. */
  readonly oci?: string;
  /** SHA-256 of the SubjectPublicKeyInfo of the key that signed that artifact, hex. */
  readonly signer?: string;
}

const ID_SHA256 = '2.16.840.1.101.3.4.2.1';
const MODEL = 'enarx-ts workload';
const hex64 = string({ min: 64, max: 64, pattern: /^[0-9a-f]{64}$/, patternMessage: 'must be 64 lower-case hex digits' });
const checkWorkload = strictObject({
  package: hex64,
  oci: optional(string({ min: 71, max: 71, pattern: /^sha256:[0-9a-f]{64}$/, patternMessage: 'must be sha256:<64 hex>' })),
  signer: optional(hex64),
});

function bad(what: string): never {
  throw new CaError('ERR_CA_EXTENSION', `not a keep's workload entry: ${what}`);
}

/** Layer 2 for `w`. @throws TypeError for a malformed workload */
export function workloadEntry(w: KeepWorkload): DiceTcbInfo {
  try {
    checkWorkload(w, 'workload');
  } catch (err) {
    throw new TypeError((err as Error).message);
  }
  const fwid = (hex: string): { hashAlg: string; digest: Uint8Array } => ({ hashAlg: ID_SHA256, digest: new Uint8Array(Buffer.from(hex, 'hex')) });
  return {
    ...(w.signer ? { vendor: `key:sha256:${w.signer}` } : {}),
    model: MODEL,
    layer: 2,
    fwids: [fwid(w.package), ...(w.oci ? [fwid(w.oci.slice('sha256:'.length))] : [])],
    vendorInfo: new TextEncoder().encode(JSON.stringify({ package: w.package, ...(w.oci ? { oci: w.oci } : {}), ...(w.signer ? { signer: w.signer } : {}) })),
  };
}

/** The workload layer 2 describes, checked against its FWIDs; undefined without one. @throws CaError ERR_CA_EXTENSION */
export function workloadFromEntry(e: DiceTcbInfo | undefined): KeepWorkload | undefined {
  if (e === undefined) return undefined;
  if (e.model !== MODEL || e.vendorInfo === undefined) bad('expected its model and vendorInfo');
  let w: KeepWorkload;
  try {
    w = checkWorkload(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(e.vendorInfo)) as unknown, 'layer 2 vendorInfo');
  } catch (err) {
    bad((err as Error).message);
  }
  const fwids = (e.fwids ?? []).map((f) => (f.hashAlg === ID_SHA256 ? Buffer.from(f.digest).toString('hex') : bad('FWIDs are SHA-256')));
  const expected = [w.package, ...(w.oci ? [w.oci.slice(7)] : [])];
  if (fwids.join() !== expected.join()) bad('its FWIDs disagree with its vendorInfo');
  if ((e.vendor ?? undefined) !== (w.signer ? `key:sha256:${w.signer}` : undefined)) bad('its vendor disagrees with its signer');
  return Object.freeze({ ...w });
}
