/**
 * Enarx.toml: schema, parsing, defaults, and the FD_COUNT/FD_NAMES contract with the workload.
 */
export type { EnarxConfig, FileEntry, FileKind, Protocol } from './types.js';
export type { ConfigErrorWhere } from './errors.js';
export { ConfigError, ConfigErrorCode, MAX_CONFIG_BYTES } from './errors.js';
export { parseEnarxToml } from './parse.js';
export { parseEnarxTomlBytes, readEnarxToml } from './read.js';
export { defaultConfig, DEFAULT_LISTEN_ADDR, DEFAULT_PORTS } from './defaults.js';
export { fdEnvironment } from './fd.js';
export { CONFIG_TEMPLATE } from './template.js';
export { FILE_KINDS } from './schema.js';
