/**
 * Intel PCS enclave identity (the `enclaveIdentity` value) of the Quoting Enclave, version 2.
 *
 * Source: Intel SGX and TDX PCS API v4, "Enclave Identity" JSON schema v2. `miscselect` and
 * `attributes` are hex of the bytes in REPORT order (so MISCSELECT hex is little-endian).
 */
import { z } from 'zod';
import type { TcbStatus } from '../appraisal.js';
import { AttestationError } from '../errors.js';
import { hexBytes as bytes, hexOf, isoDate, u16 } from './pcs-json.js';
import { TCB_STATUSES } from './tcb-info.js';

const hex = hexOf;
const date = isoDate;

const schema = z.object({
  id: z.enum(['QE', 'QVE', 'TD_QE']),
  version: z.literal(2),
  issueDate: date,
  nextUpdate: date,
  tcbEvaluationDataNumber: z.number().int().min(0),
  miscselect: hex(4),
  miscselectMask: hex(4),
  attributes: hex(16),
  attributesMask: hex(16),
  mrsigner: hex(32),
  isvprodid: u16,
  tcbLevels: z
    .array(
      z.object({
        tcb: z.object({ isvsvn: u16 }),
        tcbDate: date,
        tcbStatus: z.enum(TCB_STATUSES),
        advisoryIDs: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

/** A parsed QE identity. */
export interface QeIdentity {
  readonly id: 'QE' | 'QVE' | 'TD_QE';
  readonly version: 2;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly tcbEvaluationDataNumber: number;
  /** 4 bytes in REPORT (little-endian) order. */
  readonly miscselect: Uint8Array;
  readonly miscselectMask: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly tcbLevels: readonly { readonly isvSvn: number; readonly status: TcbStatus; readonly advisoryIds: readonly string[] }[];
}

/**
 * Validates a parsed `enclaveIdentity` JSON value.
 * @throws AttestationError ERR_COLLATERAL when it does not follow the schema.
 */
export function toQeIdentity(value: unknown): QeIdentity {
  const r = schema.safeParse(value);
  if (!r.success) throw new AttestationError('ERR_COLLATERAL', `QE identity does not follow the v2 schema: ${r.error.message}`);
  const q = r.data;
  return Object.freeze({
    id: q.id,
    version: 2,
    issueDate: new Date(q.issueDate),
    nextUpdate: new Date(q.nextUpdate),
    tcbEvaluationDataNumber: q.tcbEvaluationDataNumber,
    miscselect: bytes(q.miscselect),
    miscselectMask: bytes(q.miscselectMask),
    attributes: bytes(q.attributes),
    attributesMask: bytes(q.attributesMask),
    mrSigner: bytes(q.mrsigner),
    isvProdId: q.isvprodid,
    tcbLevels: Object.freeze(
      q.tcbLevels.map((l) => Object.freeze({ isvSvn: l.tcb.isvsvn, status: l.tcbStatus, advisoryIds: Object.freeze(l.advisoryIDs ?? []) })),
    ),
  });
}
