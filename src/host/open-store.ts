/**
 * Opening the host agent's state (store.ts): SQLite in a state folder, or memory. Apart from
 * store.ts so that the two stores, which implement its interface, are not imported by it.
 */
import type { KeepStore } from './store.js';

/**
 * Opens the state in `stateDir` (SQLite, created if needed), or in memory when undefined.
 * @throws HostError ERR_INTERNAL when the database cannot be opened or has a newer schema
 */
export async function openKeepStore(stateDir: string | undefined): Promise<KeepStore> {
  if (stateDir === undefined) {
    const { MemoryKeepStore } = await import('./memory-store.js');
    return new MemoryKeepStore();
  }
  // Loaded only here: embedded hosts (and the CLI's start-up) do not pay for the native module.
  const { SqliteKeepStore } = await import('./sqlite-store.js');
  return SqliteKeepStore.open(stateDir);
}
