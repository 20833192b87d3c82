/**
 * Creating backends by name and choosing one the way Enarx does: the one asked for, else the
 * first available of {@link BACKEND_ORDER}. Choosing is the host's business only: a client
 * decides separately whether it trusts the evidence of `sim` or `nil` (see `Evidence.backend`).
 */
import { BackendError } from './errors.js';
import { NilBackend } from './nil/backend.js';
import { SimBackend } from './sim/backend.js';
import { SnpBackend } from './snp/backend.js';
import { defaultStateDir } from './state-dir.js';
import { TdxBackend } from './tdx/backend.js';
import { nodeConfigfsIo, type ConfigfsIo } from './tsm/configfs.js';
import { BACKEND_NAMES } from '../protocol/names.js';
import type { BackendName } from '../protocol/names.js';
import type { Availability, Backend } from './types.js';

/** The preference order when no backend is named: real hardware first, then sim, then nil. */
export const BACKEND_ORDER: readonly BackendName[] = Object.freeze(['snp', 'tdx', 'sim', 'nil']);

/** The configfs mount point on Linux. */
export const DEFAULT_CONFIGFS_ROOT = '/sys/kernel/config';

/** Where backends keep state and find their platform. Every field has a default. */
export interface BackendOptions {
  /** `sim`: the state directory. Default {@link defaultStateDir}(). */
  readonly stateDir?: string;
  /** `snp`, `tdx`: the configfs mount point. Default /sys/kernel/config. */
  readonly configfsRoot?: string;
  /** `snp`, `tdx`: file operations on configfs (tests pass a fake kernel). Default node:fs. */
  readonly configfsIo?: ConfigfsIo;
  /** The clock. Default `() => new Date()`. */
  readonly now?: () => Date;
}

/** A backend by name (nothing is probed or created yet). @throws TypeError on an unknown name */
export function createBackend(name: BackendName, opts: BackendOptions = {}): Backend {
  const tsm = (): { configfsRoot: string; io: ConfigfsIo } => ({
    configfsRoot: opts.configfsRoot ?? DEFAULT_CONFIGFS_ROOT,
    io: opts.configfsIo ?? nodeConfigfsIo,
  });
  switch (name) {
    case 'nil':
      return new NilBackend();
    case 'sim':
      return new SimBackend({ stateDir: opts.stateDir ?? defaultStateDir(), now: opts.now ?? (() => new Date()) });
    case 'snp':
      return new SnpBackend(tsm());
    case 'tdx':
      return new TdxBackend(tsm());
    default:
      throw new TypeError(`unknown backend '${String(name)}' (expected one of ${BACKEND_NAMES.join(', ')})`);
  }
}

/** One backend's availability, for listings. */
export interface BackendStatus extends Availability {
  readonly name: BackendName;
}

/** The availability of every backend, in {@link BACKEND_ORDER}. */
export async function backendStatuses(opts: BackendOptions = {}): Promise<readonly BackendStatus[]> {
  const out = await Promise.all(BACKEND_ORDER.map(async (name) => Object.freeze({ name, ...(await createBackend(name, opts).availability()) })));
  return Object.freeze(out);
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions extends BackendOptions {
  /** Candidates in order when no name is given. Default {@link BACKEND_ORDER}. */
  readonly order?: readonly BackendName[];
}

/** A candidate that selection without a name passed over, and its availability `reason`. */
export interface SkippedBackend {
  readonly name: BackendName;
  readonly reason: string;
}

/**
 * The backend {@link selectBackend} chose: the backend itself, plus the candidates ahead of it
 * in the order that were unavailable, so that a caller ending on `nil` (or `sim`) can say why
 * the attested backends were not used.
 */
export type SelectedBackend = Backend & {
  /** Unavailable candidates before this one, in order (frozen); empty when a name was given. */
  readonly skipped: readonly SkippedBackend[];
};

/** Records `skipped` on a backend made for this selection (no one else holds it). */
function selected(backend: Backend, skipped: readonly SkippedBackend[]): SelectedBackend {
  return Object.defineProperty(backend, 'skipped', { value: Object.freeze(skipped), enumerable: true }) as SelectedBackend;
}

/**
 * The backend called `name`, which must be available; or, without a name, the first available
 * backend of `opts.order`, with the unavailable ones before it as `skipped`.
 * @throws TypeError on an unknown name
 * @throws BackendError ERR_BACKEND_UNAVAILABLE, with the reason(s)
 */
export async function selectBackend(name: BackendName | undefined, opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  if (name !== undefined) {
    const backend = createBackend(name, opts);
    const a = await backend.availability();
    if (!a.available) throw new BackendError('ERR_BACKEND_UNAVAILABLE', `backend '${name}' is not available: ${a.reason ?? 'no reason given'}`);
    return selected(backend, []);
  }
  // Every candidate is probed at once (each probe is a few file-system round trips); the first
  // available one in order wins.
  const candidates = (opts.order ?? BACKEND_ORDER).map((name) => createBackend(name, opts));
  const probes = await Promise.all(candidates.map((b) => b.availability()));
  const skipped: SkippedBackend[] = [];
  for (const [i, backend] of candidates.entries()) {
    const a = probes[i]!;
    if (a.available) return selected(backend, skipped);
    skipped.push(Object.freeze({ name: backend.name, reason: a.reason ?? 'unavailable' }));
  }
  const reasons = skipped.map((s) => `${s.name}: ${s.reason}`);
  throw new BackendError('ERR_BACKEND_UNAVAILABLE', `no backend is available (${reasons.join('; ') || 'no candidates'})`);
}
