/**
 * Messages on the host ⇄ keep control channel (see frames.ts for the framing). The keep
 * validates everything the host sends: the host is not trusted. (zod/mini: the keep's start-up
 * time is measured, and the full zod costs ~25 ms to load even bundled.)
 */
import * as z from 'zod/mini';

const MAX_ITEMS = 4096;
const MAX_STRING = 64 * 1024;
const noNul = z.string().check(
  z.maxLength(MAX_STRING),
  z.refine((s) => !s.includes('\0'), 'must not contain NUL'),
);
const list = <T extends z.ZodMiniType>(item: T, max = MAX_ITEMS) => z.array(item).check(z.maxLength(max));
const int = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));

/** Limits as the host asks for them. */
export const LimitsSchema = z.strictObject({
  maxMemoryBytes: int(65536, 4 * 1024 ** 3),
  timeoutMs: int(0, 365 * 24 * 3600 * 1000),
  maxOutputBytes: int(0, Number.MAX_SAFE_INTEGER),
});

/** Host resources for one workload: directories it lends (in-process hosts only) and limits. */
const PreopensSchema = list(z.strictObject({ host: noNul, guest: noNul }), 256);

const hex = (bytes: number) => z.string().check(z.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lower-case hex`));

/** host → keep: prove yourself for this client nonce, with a fresh key of this HPKE suite. */
export const AttestRequestSchema = z.strictObject({
  type: z.literal('attest'),
  nonce: hex(32),
  kem: z.enum(['x25519', 'x-wing']),
});

/** A validated attest request. */
export type AttestRequest = z.infer<typeof AttestRequestSchema>;

/** host → keep: who you are to the client, and what the host gives your workload. */
export const LaunchRequestSchema = z.strictObject({
  type: z.literal('launch'),
  keepId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'keep id must be 1-128 of [A-Za-z0-9_-]')),
  evidenceDigest: hex(32),
  preopens: PreopensSchema,
  limits: LimitsSchema,
});

/** A validated launch request. */
export type LaunchRequest = z.infer<typeof LaunchRequestSchema>;

/** host → keep: the next slice of the sealed package (the frame's payload). */
export const PackageFrameSchema = z.strictObject({ type: z.literal('package'), last: z.boolean() });

/** keep → host events. */
export type KeepEvent =
  | { readonly type: 'attestation-request'; readonly reportData: string; readonly publicKey: string; readonly kem: 'x25519' | 'x-wing' }
  | { readonly type: 'started' }
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'trap'; readonly trap: string; readonly func?: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

const str = z.string().check(z.maxLength(MAX_STRING));

/** Schema for keep → host events (the host validates what a keep says too). */
export const KeepEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('attestation-request'),
    reportData: hex(64),
    publicKey: z.string().check(z.regex(/^[0-9a-f]+$/), z.maxLength(8192)),
    kem: z.enum(['x25519', 'x-wing']),
  }),
  z.strictObject({ type: z.literal('started') }),
  z.strictObject({ type: z.literal('exit'), code: int(0, 0xffffffff) }),
  z.strictObject({ type: z.literal('trap'), trap: str, func: z.optional(str) }),
  z.strictObject({ type: z.literal('error'), code: z.string().check(z.maxLength(64)), message: str }),
]);
