/** Where host-side state (the simulated platform's keys) lives by default. */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * `$ENARX_STATE_DIR` (resolved against the working directory), else `$XDG_STATE_HOME/enarx`,
 * else `~/.local/state/enarx`. A relative `XDG_STATE_HOME` is ignored, as the XDG Base
 * Directory specification asks.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string {
  const explicit = env['ENARX_STATE_DIR'];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env['XDG_STATE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'enarx');
  return join(home(), '.local', 'state', 'enarx');
}
