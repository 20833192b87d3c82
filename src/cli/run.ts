/**
 * `enarx run [options] MODULE [ARGS...]`, and the whole of its start-up sequence, in this one
 * place. A run is a deploy to a host in this process (the same protocol as a remote deploy); what
 * makes it start fast is that the two processes it needs, the keep and this CLI, boot at the same
 * time, and that everything this CLI prepares overlaps the keep's own start:
 *
 *   launcher (bin/enarx, sh)  starts the keep process at once (`keep.mjs --connect SOCKET`, in a
 *                             private folder), then execs this CLI on the pinned engine (Node.js
 *                             26: it boots in half Node 20's time and reads NODE_EXTRA_CA_CERTS
 *                             only when TLS needs it)
 *   CLI entry (bin/enarx.js)  loads the dispatcher and the `run` bundle through bin/cli-loader.js,
 *                             with a V8 code cache made after a first run (Node's own compile
 *                             cache holds top-level code only: every start compiled the rest)
 *   runMain, below:
 *     1. adopt the launcher's keep (run-keep.ts: listen where it connects; it must be our child
 *        running the bundle we name), or spawn one; load the deploy code (X.509, HPKE, the host core: run-deploy.ts)
 *     2. read the command line, once
 *     3. start the local platform: select and prepare the backend (its keys) while the keep boots
 *     4. read the files the command line names (config, directories, the module)
 *     5. deploy (run-deploy.ts): the keep is asked for its key at once, then attested; the
 *        evidence verified, the package sealed and delivered, the sealed output followed
 *
 * Measured (README, "Start-up"; every run, and what was tried: bench/NOTES.md): in a session
 * where a bare Node.js started in ~25 ms, the keep booted in ~60 ms of CPU and the CLI in ~75; each
 * step above was kept only where alternating runs showed it buys time (a client-side certificate
 * cache did not, and went).
 */
import { trace } from '../trace.js';
import { CliError } from './errors.js';
import { USAGE, isRunHelp, planRun, readRunArgs } from './run-plan.js';
import type { RunArgs } from './run-plan.js';
import { startLocalKeep } from './run-keep.js';
import type { LocalKeep } from './run-keep.js';
import { reportOutcome } from './workload-io.js';

/** Entry point of `enarx run`. */
export async function runMain(argv: readonly string[]): Promise<number> {
  if (isRunHelp(argv)) {
    process.stdout.write(USAGE);
    return 0;
  }
  // 1. The keep the launcher started, and the deploy code, both on their way.
  const keep = startLocalKeep();
  keep.catch(() => {});
  const deployCode = import('./run-deploy.js');
  deployCode.catch(() => {});
  const stop = (): void => void keep.then((k) => k.process.kill(), () => {});
  let args: RunArgs;
  try {
    // 2. The command line.
    args = readRunArgs(argv);
  } catch (err) {
    stop();
    throw err;
  }
  trace('args read');
  // 3. The local platform, as soon as its code is in.
  const platform = deployCode.then((m) => m.startLocalPlatform(args.backend));
  platform.catch(() => {});
  let local: LocalKeep;
  let deploy: Awaited<typeof deployCode>;
  let plan;
  try {
    // 4. The files the command line names.
    plan = await planRun(args);
    trace('planned');
    [local, deploy] = await Promise.all([keep, deployCode]);
  } catch (err) {
    stop();
    throw err;
  }
  // 5. The deploy.
  let result;
  try {
    result = await deploy.deployLocally(plan, local, await platform);
  } catch (err) {
    // Whatever failed, the keep this command started must not outlive it.
    local.process.kill();
    throw err;
  }
  return reportOutcome(result.outcome, args.report);
}

export { CliError };
