/**
 * What a host agent needs from its machine to attest keeps: backends by name (selected once,
 * forgotten when they fail: one unavailable now may be available later) and the launch record of
 * the keep runtime it launches (the measurement it computed itself, never a keep's word).
 */
import type { Backend, LaunchRecord } from '../backend/types.js';
import type { BackendName } from '../protocol/names.js';
import { keepBundleDir, runtimeMeasurement } from '../runtime/measurement.js';
import { HostError } from './errors.js';

/** Backends and the launch record of one agent. */
export class HostPlatform {
  readonly #backends = new Map<string, Promise<Backend>>();
  #launch: Promise<LaunchRecord> | undefined;

  /**
   * @param stateDir where backends keep their state (the sim platform)
   * @param defaultBackend the backend of keeps whose request names none (default: the first available)
   * @param bundleDir the keep runtime bundle launched and measured
   */
  constructor(
    readonly stateDir: string,
    private readonly defaultBackend: BackendName | undefined,
    readonly bundleDir: string,
  ) {}

  /**
   * The installed keep runtime bundle.
   * @throws HostError ERR_INTERNAL when it is not built
   */
  static installedBundle(): string {
    try {
      return keepBundleDir();
    } catch (err) {
      throw new HostError('ERR_INTERNAL', `the keep runtime bundle is missing (run the build): ${(err as Error).message}`, { cause: err });
    }
  }

  /** The backend `name` (default: the host's), selected on first use. */
  backend(name: BackendName | undefined): Promise<Backend> {
    const wanted = name ?? this.defaultBackend;
    const key = wanted ?? '';
    let p = this.#backends.get(key);
    if (p === undefined) {
      // Loaded on first use: the backends bring the X.509 and report code (start-up cost for
      // in-process users such as `enarx run`).
      p = import('../backend/select.js').then(({ selectBackend }) => selectBackend(wanted, { stateDir: this.stateDir }));
      this.remember(wanted, p);
    }
    return p;
  }

  /** Takes `p` as the backend `name` (default: the host's) while it does not fail. */
  remember(name: BackendName | undefined, p: Promise<Backend>): void {
    const key = name ?? this.defaultBackend ?? '';
    this.#backends.set(key, p);
    p.catch(() => {
      if (this.#backends.get(key) === p) this.#backends.delete(key);
    });
  }

  /** The launch record of the bundle (its measurement, computed here). */
  launchRecord(): Promise<LaunchRecord> {
    if (this.#launch === undefined) {
      this.#launch = runtimeMeasurement(this.bundleDir).then((m) => ({ measurement: m.measurement }));
      this.#launch.catch(() => (this.#launch = undefined));
    }
    return this.#launch;
  }

  /** The names of the backends available on this machine. */
  async availableBackends(): Promise<BackendName[]> {
    const { backendStatuses } = await import('../backend/select.js');
    const statuses = await backendStatuses({ stateDir: this.stateDir });
    return statuses.filter((s) => s.available).map((s) => s.name);
  }
}
