/**
 * Key paths as error messages print them: `files[2].port`, `env."MY VAR"`. One spelling is shared
 * by the validator and the line locator so that a path from one finds its line in the other.
 */

/** One step of a key path: a table key or an array index. */
export type KeyPathSegment = string | number;

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Formats a key path the way TOML would write it, with array indices in brackets. */
export function formatKeyPath(path: readonly KeyPathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') {
      out += `[${seg}]`;
      continue;
    }
    const key = BARE_KEY.test(seg) ? seg : JSON.stringify(seg);
    out += out === '' ? key : `.${key}`;
  }
  return out;
}
