/**
 * Locates the shared attestation vectors (`../shared/vectors` beside the checkout, or
 * `$ENARX_VECTORS`). Tests that need them skip with a message when the folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** The repository root (this file is compiled to dist/test/support/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** Absolute path of the shared vectors folder, or undefined when it is not present. */
export const VECTORS_DIR: string | undefined = (() => {
  const dir = process.env['ENARX_VECTORS'] ?? join(REPO_ROOT, '..', 'shared', 'vectors');
  return existsSync(join(dir, 'MANIFEST.md')) ? dir : undefined;
})();

/** `skip` option for node:test: a reason string when the vectors are absent, else false. */
export const SKIP_NO_VECTORS: string | false =
  VECTORS_DIR === undefined ? 'shared vectors folder (../shared/vectors) is absent; set ENARX_VECTORS to run these' : false;

/** Reads a vector file relative to the vectors folder. Only call when VECTORS_DIR is defined. */
export function readVector(rel: string): Buffer {
  if (VECTORS_DIR === undefined) throw new Error('vectors folder is absent');
  return readFileSync(join(VECTORS_DIR, rel));
}
