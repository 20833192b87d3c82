/**
 * Enarx's defaults for what `Enarx.toml` leaves out (enarx-config v0.7): the three stdio
 * descriptors when there is no config at all, port 80 for tcp and 443 for tls, listening on
 * every address, and names taken from the kind (or from `host` for a connect entry).
 */
import type { EnarxConfig, FileEntry, Protocol } from './types.js';

/** The address a listen entry binds when `addr` is absent: every IPv6 and IPv4 address. */
export const DEFAULT_LISTEN_ADDR = '::';

/** The port a socket entry uses when `port` is absent, by protocol. */
export const DEFAULT_PORTS: Readonly<Record<Protocol, number>> = Object.freeze({ tcp: 80, tls: 443 });

/** Deep-freezes a config built by this module so that callers cannot change shared state. */
export function freezeConfig(config: EnarxConfig): EnarxConfig {
  for (const file of config.files) Object.freeze(file);
  Object.freeze(config.files);
  Object.freeze(config.args);
  Object.freeze(config.env);
  if (config.dnsNames) Object.freeze(config.dnsNames);
  return Object.freeze(config);
}

/** The default config (no Enarx.toml): no args, no env, fds 0-2 are stdin, stdout, stderr. */
export function defaultConfig(): EnarxConfig {
  const files: FileEntry[] = [
    { kind: 'stdin', name: 'stdin' },
    { kind: 'stdout', name: 'stdout' },
    { kind: 'stderr', name: 'stderr' },
  ];
  return freezeConfig({ args: [], env: {}, files });
}
