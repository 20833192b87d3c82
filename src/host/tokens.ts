/**
 * Tenants and their bearer tokens. The agent keeps only the SHA-256 of each token and compares
 * digests in constant time, against every tenant, so neither the comparison nor the number of
 * comparisons tells an attacker how close a guess was.
 *
 * Token file (`--token-file`):
 *
 *     { "tenants": { "alice": "<token>", "bob": { "sha256": "<hex of SHA-256(token)>" } } }
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/** A tenant name: what keeps are filed under. */
export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Tokens longer than this are refused without hashing. */
export const MAX_TOKEN_LENGTH = 512;

/** SHA-256 of a token's UTF-8 bytes. */
export function hashToken(token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

/** A fresh random token: `enx_` and 32 random bytes, base64url. */
export function generateToken(): string {
  return `enx_${randomBytes(32).toString('base64url')}`;
}

/** One tenant and the digest of its token. */
export interface TenantToken {
  readonly tenant: string;
  readonly sha256: Uint8Array;
}

const TokenFileSchema = z.strictObject({
  tenants: z.record(
    z.string().regex(TENANT_NAME, 'tenant names are 1-64 letters, digits, dots, dashes or underscores'),
    z.union([
      z.string().min(16, 'a token must have at least 16 characters').max(MAX_TOKEN_LENGTH),
      z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lower-case hex') }),
    ]),
  ),
});

/** Parses a token file's text. @throws TypeError when it is not a valid token file */
export function parseTokenFile(text: string): TenantToken[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`token file: not JSON: ${(err as Error).message}`);
  }
  const parsed = TokenFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`token file: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const out = Object.entries(parsed.data.tenants).map(([tenant, t]) => ({
    tenant,
    sha256: typeof t === 'string' ? hashToken(t) : new Uint8Array(Buffer.from(t.sha256, 'hex')),
  }));
  if (out.length === 0) throw new TypeError('token file: no tenants');
  return out;
}

/** Maps bearer tokens to tenants. */
export class TenantAuth {
  readonly #tokens: readonly TenantToken[];

  constructor(tokens: readonly TenantToken[]) {
    for (const t of tokens) {
      if (!TENANT_NAME.test(t.tenant)) throw new TypeError(`bad tenant name '${t.tenant}'`);
      if (t.sha256.length !== 32) throw new TypeError(`tenant '${t.tenant}': a token digest is 32 bytes`);
    }
    this.#tokens = tokens.map((t) => ({ tenant: t.tenant, sha256: new Uint8Array(t.sha256) }));
  }

  /** The tenant names. */
  get tenants(): readonly string[] {
    return this.#tokens.map((t) => t.tenant);
  }

  /** The tenant holding `token`, or undefined. */
  tenantOf(token: string): string | undefined {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const digest = hashToken(token);
    let found: string | undefined;
    // Every digest is compared, whatever matched: the time taken does not depend on which.
    for (const t of this.#tokens) {
      if (timingSafeEqual(digest, t.sha256) && found === undefined) found = t.tenant;
    }
    return found;
  }

  /** The tenant named by an `Authorization: Bearer <token>` header, or undefined. */
  authenticate(authorization: string | undefined): string | undefined {
    if (authorization === undefined) return undefined;
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    return m === null ? undefined : this.tenantOf(m[1]!);
  }
}
