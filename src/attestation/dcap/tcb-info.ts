/**
 * Intel PCS TCB info (the `tcbInfo` value), SGX v2/v3 and TDX v3, validated with zod and
 * normalised to one shape.
 *
 * Source: Intel SGX and TDX PCS API v4, "TCB Info" JSON schema (version 2: `sgxtcbcompNNsvn`
 * members; version 3: `sgxtcbcomponents` / `tdxtcbcomponents` arrays, `id`, `tdxModule`,
 * `tdxModuleIdentities`). Unknown members are ignored, as Intel adds members over time.
 */
import { z } from 'zod';
import { TCB_STATUSES, type TcbStatus } from '../../protocol/names.js';
import { AttestationError } from '../errors.js';
import { hexBytes as bytes, hexOf, isoDate, u16 } from './pcs-json.js';

/** Every status a TCB info level may carry (the list is the wire contract's, protocol/names.ts). */
export { TCB_STATUSES };

const hex = hexOf;
const date = isoDate;
// Components are bytes on real platforms; Intel's synthetic TDX sample uses 16-bit values.
const svn = u16;
const status = z.enum(TCB_STATUSES);
const advisories = z.array(z.string()).optional();
const component = z.object({ svn });
const components = z.array(component).length(16);

const levelV2 = z.object({
  tcb: z.object({
    ...Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`, svn] as const),
    ),
    pcesvn: svn,
  }),
  tcbDate: date,
  tcbStatus: status,
  advisoryIDs: advisories,
});

const levelV3 = z.object({
  tcb: z.object({ sgxtcbcomponents: components, pcesvn: svn, tdxtcbcomponents: components.optional() }),
  tcbDate: date,
  tcbStatus: status,
  advisoryIDs: advisories,
});

const moduleIdentity = z.object({
  id: z.string(),
  mrsigner: hex(48),
  attributes: hex(8),
  attributesMask: hex(8),
  tcbLevels: z.array(z.object({ tcb: z.object({ isvsvn: svn }), tcbDate: date, tcbStatus: status, advisoryIDs: advisories })),
});

const common = {
  issueDate: date,
  nextUpdate: date,
  fmspc: hex(6),
  pceId: hex(2),
  tcbType: z.literal(0),
  tcbEvaluationDataNumber: z.number().int().min(0),
};

const schemaV2 = z.object({ ...common, id: z.literal('SGX').optional(), version: z.literal(2), tcbLevels: z.array(levelV2).min(1) });
const schemaV3 = z.object({
  ...common,
  id: z.enum(['SGX', 'TDX']),
  version: z.literal(3),
  tdxModule: z.object({ mrsigner: hex(48), attributes: hex(8), attributesMask: hex(8) }).optional(),
  tdxModuleIdentities: z.array(moduleIdentity).optional(),
  tcbLevels: z.array(levelV3).min(1),
});

/** One platform TCB level. */
export interface TcbLevel {
  readonly sgxComponents: readonly number[];
  readonly pceSvn: number;
  /** TDX TCB info only. */
  readonly tdxComponents?: readonly number[];
  readonly tcbDate: string;
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
}

/** The identity of a TDX module (SEAM): who signs it and which attributes it must have. */
export interface TdxModule {
  readonly mrSigner: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
}

/** One `tdxModuleIdentities` entry, e.g. `TDX_03`. */
export interface TdxModuleIdentity extends TdxModule {
  readonly id: string;
  readonly tcbLevels: readonly { readonly isvSvn: number; readonly status: TcbStatus; readonly advisoryIds: readonly string[] }[];
}

/** A parsed TCB info. Hex fields are lower-case. */
export interface TcbInfo {
  readonly id: 'SGX' | 'TDX';
  readonly version: 2 | 3;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly fmspc: string;
  readonly pceId: string;
  readonly tcbEvaluationDataNumber: number;
  readonly tdxModule?: TdxModule;
  readonly tdxModuleIdentities?: readonly TdxModuleIdentity[];
  readonly tcbLevels: readonly TcbLevel[];
}

function tdxModule(m: { mrsigner: string; attributes: string; attributesMask: string }): TdxModule {
  return Object.freeze({ mrSigner: bytes(m.mrsigner), attributes: bytes(m.attributes), attributesMask: bytes(m.attributesMask) });
}

/**
 * Validates a parsed `tcbInfo` JSON value.
 * @throws AttestationError ERR_COLLATERAL when it does not follow the schema.
 */
export function toTcbInfo(value: unknown): TcbInfo {
  const version = (value as { version?: unknown } | null)?.version;
  if (version === 2) {
    const r = schemaV2.safeParse(value);
    if (!r.success) throw new AttestationError('ERR_COLLATERAL', `TCB info v2 does not follow the schema: ${r.error.message}`);
    const t = r.data;
    return Object.freeze({
      id: 'SGX',
      version: 2,
      issueDate: new Date(t.issueDate),
      nextUpdate: new Date(t.nextUpdate),
      fmspc: t.fmspc.toLowerCase(),
      pceId: t.pceId.toLowerCase(),
      tcbEvaluationDataNumber: t.tcbEvaluationDataNumber,
      tcbLevels: Object.freeze(
        t.tcbLevels.map((l) => {
          const tcb = l.tcb as Record<string, number>;
          const sgxComponents = Array.from({ length: 16 }, (_, i) => tcb[`sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`]!);
          return Object.freeze({
            sgxComponents: Object.freeze(sgxComponents),
            pceSvn: l.tcb.pcesvn,
            tcbDate: l.tcbDate,
            status: l.tcbStatus,
            advisoryIds: Object.freeze(l.advisoryIDs ?? []),
          });
        }),
      ),
    });
  }
  if (version !== 3) throw new AttestationError('ERR_COLLATERAL', `TCB info version ${String(version)} is not supported`);
  const r = schemaV3.safeParse(value);
  if (!r.success) throw new AttestationError('ERR_COLLATERAL', `TCB info v3 does not follow the schema: ${r.error.message}`);
  const t = r.data;
  if (t.id === 'TDX' && t.tdxModule === undefined) throw new AttestationError('ERR_COLLATERAL', 'TDX TCB info lacks tdxModule');
  return Object.freeze({
    id: t.id,
    version: 3,
    issueDate: new Date(t.issueDate),
    nextUpdate: new Date(t.nextUpdate),
    fmspc: t.fmspc.toLowerCase(),
    pceId: t.pceId.toLowerCase(),
    tcbEvaluationDataNumber: t.tcbEvaluationDataNumber,
    ...(t.tdxModule === undefined ? {} : { tdxModule: tdxModule(t.tdxModule) }),
    ...(t.tdxModuleIdentities === undefined
      ? {}
      : {
          tdxModuleIdentities: Object.freeze(
            t.tdxModuleIdentities.map((m) =>
              Object.freeze({
                ...tdxModule(m),
                id: m.id,
                tcbLevels: Object.freeze(
                  m.tcbLevels.map((l) =>
                    Object.freeze({ isvSvn: l.tcb.isvsvn, status: l.tcbStatus, advisoryIds: Object.freeze(l.advisoryIDs ?? []) }),
                  ),
                ),
              }),
            ),
          ),
        }),
    tcbLevels: Object.freeze(
      t.tcbLevels.map((l) =>
        Object.freeze({
          sgxComponents: Object.freeze(l.tcb.sgxtcbcomponents.map((c) => c.svn)),
          pceSvn: l.tcb.pcesvn,
          ...(l.tcb.tdxtcbcomponents === undefined
            ? {}
            : { tdxComponents: Object.freeze(l.tcb.tdxtcbcomponents.map((c) => c.svn)) }),
          tcbDate: l.tcbDate,
          status: l.tcbStatus,
          advisoryIds: Object.freeze(l.advisoryIDs ?? []),
        }),
      ),
    ),
  });
}
