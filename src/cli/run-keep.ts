/**
 * The keep of an `enarx run` (run.ts explains the whole start-up), started before the command's
 * own code is loaded, so that its start-up overlaps with everything the CLI does before it needs
 * the keep. The `enarx` launcher (bin/enarx) starts it even before this Node.js boots and says so
 * in ENARX_EARLY_KEEP (`pid:folder:bundle`): the keep listens on `folder/control`, a UNIX socket in
 * a private folder the launcher made, and this process adopts it. Otherwise, run spawns one.
 */
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { basename, isAbsolute, join } from 'node:path';
import { trace } from '../trace.js';
import { KeepProcess } from '../host/keep-process.js';
import { keepBundleDir } from '../runtime/measurement.js';

/** A keep started for `enarx run`, and the bundle folder it was started from (what is measured). */
export interface LocalKeep {
  readonly process: KeepProcess;
  readonly bundleDir: string;
}

/** The launcher's keep, as ENARX_EARLY_KEEP names it, or undefined when it names none (or nonsense). */
export function parseEarlyKeep(value: string | undefined): { pid: number; dir: string; bundleDir: string } | undefined {
  if (value === undefined) return undefined;
  const m = /^([1-9][0-9]{0,9}):([^:\0]+):([^:\0]+)$/.exec(value);
  if (!m || !isAbsolute(m[2]!) || !isAbsolute(m[3]!) || !/^enarx-keep\.[A-Za-z0-9]{6,}$/.test(basename(m[2]!))) return undefined;
  return { pid: Number(m[1]), dir: m[2]!, bundleDir: m[3]! };
}

/** True when `pid` is a child of this process (the launcher's keep is: the launcher became us). */
function isOurChild(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, ...
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
  } catch {
    return false;
  }
}

/** Connects to a keep's control socket, trying again while it is not listening yet. */
function connectControl(path: string, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.destroy();
        if ((err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && Date.now() < deadline) setTimeout(attempt, 1);
        else reject(err);
      });
    };
    attempt();
  });
}

/** True when process `pid` runs `bundleDir/keep.mjs --listen dir/control` (what is measured is what was launched). */
function runsKeepFrom(pid: number, bundleDir: string, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[1] === join(bundleDir, 'keep.mjs') && argv[2] === '--listen' && argv[3] === join(dir, 'control') && argv.length === 5;
  } catch {
    return false;
  }
}

/** Adopts the launcher's keep; undefined (after killing it) when that fails. */
async function adoptEarlyKeep(early: { pid: number; dir: string; bundleDir: string }): Promise<LocalKeep | undefined> {
  // Anything else is not the launcher's keep: leave that process and that folder alone.
  if (!isOurChild(early.pid)) return undefined;
  if (!runsKeepFrom(early.pid, early.bundleDir, early.dir)) {
    try {
      process.kill(early.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return undefined;
  }
  try {
    const control = await connectControl(join(early.dir, 'control'), Date.now() + 5000);
    return { process: new KeepProcess({ adopt: { pid: early.pid, control } }), bundleDir: early.bundleDir };
  } catch {
    try {
      process.kill(early.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return undefined;
  } finally {
    // The keep removes its socket once connected; the folder is the launcher's, made for this.
    rmSync(join(early.dir, 'control'), { force: true });
    try {
      rmdirSync(early.dir);
    } catch {
      // not empty, or gone: not ours to force
    }
  }
}

/**
 * The keep of this `enarx run` (sharing this terminal): the launcher's, or a new one. The
 * bundle folder is resolved once, here, so that what is measured is what was launched.
 */
export async function startLocalKeep(): Promise<LocalKeep> {
  const early = parseEarlyKeep(process.env['ENARX_EARLY_KEEP']);
  // Ours alone: no process this one starts may take it for its own.
  delete process.env['ENARX_EARLY_KEEP'];
  const adopted = early && (await adoptEarlyKeep(early));
  if (adopted) {
    trace('keep adopted');
    return adopted;
  }
  const bundleDir = keepBundleDir();
  const keep = { process: new KeepProcess({ diagnostics: 'inherit', bundleDir }), bundleDir };
  trace('keep spawned');
  return keep;
}
