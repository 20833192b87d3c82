/**
 * zod building blocks shared by the PCS JSON schemas (TCB info, QE identity).
 */
import { z } from 'zod';

/** A hex string of exactly `bytes` bytes, either case (Intel mixes them). */
export function hexOf(bytes: number) {
  return z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`));
}

/** An ISO 8601 UTC timestamp as PCS writes them (`2025-06-19T10:16:03Z`). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');

/** An SVN or other unsigned 16-bit number. */
export const u16 = z.number().int().min(0).max(0xffff);

/** Bytes of a hex string already validated by {@link hexOf}. */
export function hexBytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}
