/** Where host-side state (the simulated platform's keys) lives by default, and making that folder. */
import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { errnoOf } from './errors.js';

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

/** A Node.js-style system error (`code`, `path`, `syscall`) for an ancestor that is not a directory. */
function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: ${path} is not a directory`), { code: 'ENOTDIR', errno: -20, path, syscall: 'stat' });
}

/**
 * Creates `path` and its missing parents (mode 0700), one plain `mkdir` per missing component.
 * Not Node's `mkdir({ recursive: true })`: that retries forever when `mkdir` answers ENOENT
 * under a parent that exists (any path below /proc, as root).
 * @throws the system error of the step that failed (`code` ENOENT, EACCES, EROFS...; `path`
 *   names that step), ENOTDIR naming the first existing ancestor that is not a directory
 */
export async function makeStateDir(path: string): Promise<void> {
  const missing: string[] = [];
  let p = resolve(path);
  for (;;) {
    const found = await stat(p).catch((err: unknown) => {
      const code = errnoOf(err);
      // ENOTDIR: something above is a file; keep climbing to name it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw err;
      return undefined;
    });
    if (found !== undefined) {
      if (!found.isDirectory()) throw notADirectory(p);
      break;
    }
    missing.push(p);
    p = dirname(p);
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (err) {
      // Made by someone else meanwhile; if it is not a folder, the next step says so.
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
  }
}
