/**
 * Getting `Enarx.toml` from bytes or from a file, bounded: the bytes may come from an untrusted
 * package, and a path may name a device or a huge file, so at most MAX_CONFIG_BYTES + 1 bytes
 * are ever read.
 */
import { open } from 'node:fs/promises';
import { ConfigError, ConfigErrorCode, MAX_CONFIG_BYTES } from './errors.js';
import { parseEnarxToml } from './parse.js';
import type { EnarxConfig } from './types.js';

/**
 * Decodes UTF-8 `bytes` (TOML is UTF-8 only) and parses them as Enarx.toml.
 * @throws ConfigError as {@link parseEnarxToml}; ERR_CONFIG_SYNTAX for invalid UTF-8.
 */
export function parseEnarxTomlBytes(bytes: Uint8Array, source?: string): EnarxConfig {
  const where = source === undefined ? {} : { source };
  if (bytes.byteLength > MAX_CONFIG_BYTES) {
    throw new ConfigError(ConfigErrorCode.TOO_LARGE, `larger than ${MAX_CONFIG_BYTES} bytes`, where);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    throw new ConfigError(ConfigErrorCode.SYNTAX, 'not valid UTF-8', { ...where, cause: err });
  }
  return parseEnarxToml(text, source);
}

/**
 * Reads and parses the Enarx.toml at `path`; `source` for messages defaults to `path`.
 * @throws ConfigError as {@link parseEnarxTomlBytes}; the fs error (ENOENT...) when it cannot be read.
 */
export async function readEnarxToml(path: string, source: string = path): Promise<EnarxConfig> {
  const handle = await open(path, 'r');
  try {
    const buf = new Uint8Array(MAX_CONFIG_BYTES + 1);
    let len = 0;
    while (len < buf.length) {
      const { bytesRead } = await handle.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    return parseEnarxTomlBytes(buf.subarray(0, len), source);
  } finally {
    await handle.close();
  }
}
