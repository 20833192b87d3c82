/**
 * Every OBJECT IDENTIFIER of the attested-CSR codecs (attestation-bundle.ts, attested-csr.ts),
 * in one table, dotted, each with where it comes from. Nothing else in those files spells one.
 *
 * Sources: draft-ietf-lamps-csr-attestation-28 (module CSR-ATTESTATION-2025); RFC 2985 (PKCS #9);
 * RFC 5280; RFC 5480 and RFC 5758 (ECDSA); enarx/steward crates/attestation (Enarx's arc
 * 1.3.6.1.4.1.58270, Profian's private enterprise number).
 */

/**
 * `id-aa-attestation ::= { id-aa 59 }` (id-aa = 1.2.840.113549.1.9.16.2): the CSR attribute whose
 * single value is an AttestationBundle (draft-ietf-lamps-csr-attestation-28 §4.3). IANA
 * early-allocated .59 as "id-aa-evidence"; the draft renames it.
 */
export const ID_AA_ATTESTATION = '1.2.840.113549.1.9.16.2.59';

/** PKCS #9 `pkcs-9-at-extensionRequest` (RFC 2985 §5.4.2): extensions a CSR asks the CA for. */
export const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** Enarx's KVM "evidence" extension: a keep without a TEE, so no evidence; refused here. */
export const ENARX_KVM = '1.3.6.1.4.1.58270.1.1';

/**
 * Enarx's SGX evidence (crates/attestation/src/sgx/mod.rs): extension value, and here also an
 * AttestationStatement's stmt, is DER `SgxEvidence` (a DCAP quote, CRLs and Intel's TCB info).
 */
export const ENARX_SGX = '1.3.6.1.4.1.58270.1.2';

/**
 * Enarx's SEV-SNP evidence (crates/attestation/src/snp/mod.rs): extension value, and here also an
 * AttestationStatement's stmt, is DER `Evidence` (VCEK, CRLs, ATTESTATION_REPORT), so that one
 * decoder serves both CSR forms.
 */
export const ENARX_SNP = '1.3.6.1.4.1.58270.1.3';

/**
 * TDX statement: stmt = OCTET STRING holding the raw DCAP quote. PROVISIONAL: Enarx has no TDX
 * evidence and this arc is Profian's, where .4 is unassigned; it is to be replaced by a
 * registered OID before any CSR of this kind leaves a test deployment.
 */
export const TDX_QUOTE_PROVISIONAL = '1.3.6.1.4.1.58270.1.4';

/** Enarx's arc of evidence extensions: an unknown OID under it is evidence we cannot read. */
export const ENARX_EVIDENCE_ARC = '1.3.6.1.4.1.58270.1.';

/** `subjectAltName` (RFC 5280 §4.2.1.6), the one requested extension whose names we read. */
export const SUBJECT_ALT_NAME = '2.5.29.17';

/** `id-ecPublicKey` (RFC 5480 §2.1.1): the SubjectPublicKeyInfo algorithm of an EC key. */
export const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/** Named curves (RFC 5480 §2.1.1.1): `secp256r1` (P-256) and `secp384r1` (P-384). */
export const SECP256R1 = '1.2.840.10045.3.1.7';
export const SECP384R1 = '1.3.132.0.34';

/** `ecdsa-with-SHA256` and `ecdsa-with-SHA384` (RFC 5758 §3.2): parameters absent. */
export const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
export const ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';

/** RFC 4514 §3 attribute type names, by OID; any other type is written as its dotted OID. */
export const RFC4514_NAMES: Readonly<Record<string, string>> = Object.freeze({
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
});
