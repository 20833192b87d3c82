/**
 * @peculiar/x509, loaded on first use: the keep (its TLS identity, its CSRs) pays for it only when
 * it needs a certificate. reflect-metadata comes first: the library resolves its algorithms
 * through tsyringe, which checks for `Reflect.getMetadata` at load. Taken as `default` (its
 * `module.exports`): a CommonJS package, which Node.js gives named exports too, but which an
 * esbuild bundle exports as `default` only.
 */
import type * as X509Types from '@peculiar/x509';

/** The library as loaded (its `module.exports`). */
export type X509 = typeof X509Types;

let library: Promise<X509> | undefined;

/** The library, loaded once (a failed load is tried again next time). */
export function x509Library(): Promise<X509> {
  library ??= (async () => {
    await import('reflect-metadata');
    // (TypeScript types a CommonJS package's `default` apart from its `import type`: the same module.)
    return (await import('@peculiar/x509')).default as unknown as X509;
  })().catch((err: unknown) => {
    library = undefined;
    throw err;
  });
  return library;
}
