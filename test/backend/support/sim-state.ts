/**
 * Simulated platforms for tests. Creating one costs two RSA-4096 key generations (seconds), so
 * each test process makes one template and hands out copies (same ARK, same chip).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSimState } from '../../../src/backend/sim/state.js';

const made: string[] = [];
let template: Promise<string> | undefined;

/** A fresh empty temporary folder, removed by {@link cleanupTempDirs}. */
export function tempDir(prefix = 'enarx-backend-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A state directory holding a created simulated platform (made once per process). */
export function simTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = tempDir('enarx-sim-template-');
    await loadOrCreateSimState(dir, new Date());
    return dir;
  })();
  return template;
}

/** A new state directory with a copy of the template platform (modes preserved). */
export async function simStateCopy(): Promise<string> {
  const src = await simTemplate();
  const dir = tempDir('enarx-sim-');
  cpSync(join(src, 'sim'), join(dir, 'sim'), { recursive: true });
  return dir;
}

/** Removes every folder made here (call from `after`). */
export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  template = undefined;
}
