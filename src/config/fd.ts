/**
 * The environment variables through which a workload learns its pre-opened descriptors, as
 * Enarx's wasmtime runtime sets them: `FD_COUNT` is the number of `[[files]]` entries (fds
 * 0..FD_COUNT-1) and `FD_NAMES` their names in fd order, joined with ':'.
 */
import type { EnarxConfig } from './types.js';

/** FD_COUNT and FD_NAMES for a config's files, as Enarx sets them. @throws TypeError on a name with ':'. */
export function fdEnvironment(config: EnarxConfig): { FD_COUNT: string; FD_NAMES: string } {
  const names = config.files.map((file, fd) => {
    // Parsed configs never get here with a ':'; a hand-built one would shift every later fd.
    if (file.name.includes(':')) throw new TypeError(`files[${fd}].name must not contain ':'`);
    return file.name;
  });
  return { FD_COUNT: String(names.length), FD_NAMES: names.join(':') };
}
