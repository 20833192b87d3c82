/**
 * What every layer's errors share: a stable string `code` to branch on (never the message), and
 * the lower-level failure kept as `cause`.
 */

/** An error with a stable code; each layer subclasses it with its own codes and name. */
export class CodedError<C extends string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The string `code` of any error (ours, or a Node.js system error's errno name), if it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
