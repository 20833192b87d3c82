/**
 * The keep of an `enarx run` (run.ts explains the whole start-up), started before the command's
 * own code is loaded, so that its start-up overlaps with everything the CLI does before it needs
 * the keep. The `enarx` launcher (bin/enarx) starts it even before this Node.js boots and says so
 * in ENARX_EARLY_KEEP (`pid:folder:bundle`): this process listens on `folder/control`, a UNIX
 * socket in a private folder the launcher made, and adopts the keep that connects to it (the keep
 * connects, so that it makes its own socket: src/keep/control.ts says why). Otherwise, run spawns
 * one.
 */
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { Server } from 'node:net';
import type { Socket } from 'node:net';
import { basename, isAbsolute, join } from 'node:path';
import { trace } from '../trace.js';
import { KeepProcess } from '../host/keep-process.js';
import { procStat } from '../host/proc.js';
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
  return procStat(pid)?.ppid === process.pid;
}

/** Listens on `path` for the keep's connection; rejects when none comes by `deadline`. */
function acceptControl(path: string, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const server = new Server();
    server.maxConnections = 1;
    const timer = setTimeout(() => {
      server.close();
      reject(new Error('the keep did not connect'));
    }, Math.max(0, deadline - Date.now()));
    server.once('connection', (socket: Socket) => {
      clearTimeout(timer);
      // One keep per channel: nobody else may connect after it.
      server.close();
      resolve(socket);
    });
    server.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    server.listen(path);
  });
}

/**
 * True when process `pid` runs `bundleDir/keep.mjs --connect dir/control --parent <this process>`
 * (what is measured is what was launched).
 */
function runsKeepFrom(pid: number, bundleDir: string, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const expected = [join(bundleDir, 'keep.mjs'), '--connect', join(dir, 'control'), '--parent', String(process.pid), ''];
    return argv.length === expected.length + 1 && expected.every((arg, i) => argv[i + 1] === arg);
  } catch {
    return false;
  }
}

/** Kills process `pid`, if it is still there. */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Removes the launcher's folder for the keep's channel: our socket in it, then the folder. */
function removeFolder(dir: string): void {
  rmSync(join(dir, 'control'), { force: true });
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or not ours to remove
  }
}

/** Stops the launcher's keep and removes the folder the launcher made for it. */
function discard(early: { pid: number; dir: string }): void {
  kill(early.pid);
  removeFolder(early.dir);
}

/** Adopts the launcher's keep; undefined (after killing it) when that fails. */
async function adoptEarlyKeep(early: { pid: number; dir: string; bundleDir: string }): Promise<LocalKeep | undefined> {
  // Anything else is not the launcher's keep: leave that process and that folder alone.
  if (!isOurChild(early.pid)) return undefined;
  if (!runsKeepFrom(early.pid, early.bundleDir, early.dir)) {
    // Not what was launched, or already ended (it refused its arguments): the folder goes too.
    discard(early);
    return undefined;
  }
  // A command that exits while it adopts the keep (failed early: a missing module, a bad option)
  // takes the keep and its folder with it; synchronous, as 'exit' handlers are.
  const abandon = (): void => discard(early);
  process.once('exit', abandon);
  try {
    const control = await acceptControl(join(early.dir, 'control'), Date.now() + 5000);
    return { process: new KeepProcess({ adopt: { pid: early.pid, control } }), bundleDir: early.bundleDir };
  } catch {
    kill(early.pid);
    return undefined;
  } finally {
    process.off('exit', abandon);
    // The socket is this process's, the folder the launcher's, made for this.
    removeFolder(early.dir);
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
