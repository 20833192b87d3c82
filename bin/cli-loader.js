// Loads the CLI's CommonJS bundles (dist/bundle/cli/*.cjs) through vm.Script with a V8 code
// cache of their own, in the user's cache folder.
//
// Node's compile cache is made right after a module is compiled, before it runs: it holds the
// top-level code only, and every start compiled the functions a command calls again (~25 ms for
// `enarx run`). This cache is made when the process exits, after a first run of the command, so
// it holds every function that run compiled; it is made once per bundle build and command.
// V8 checks a cache against its source and flags and ignores one that does not fit (then a new
// one is made). NODE_DISABLE_COMPILE_CACHE=1 turns it off. A cache file is named by its slot
// (bundle path, command, engine) and its version (the bundle's size and time): writing a new
// version removes the slot's older ones, so rebuilds do not pile up caches. Slots of installations
// that are gone (another path: npx, a reinstall, a checkout removed) are never looked up again:
// past MAX_CACHE_FILES files, the least recently written go.
const { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { basename, dirname, join } = process.getBuiltinModule('node:path');
const vm = process.getBuiltinModule('node:vm');

/** FNV-1a (64-bit) of `text` as hex: a cache file name, not a security measure. */
function fnv1a(text) {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/** Cache files kept in the folder (all installations and commands together): ~20 MB. */
export const MAX_CACHE_FILES = 128;

/** Removes `path`, unless another process did first. */
function remove(path) {
  try {
    unlinkSync(path);
  } catch {
    // another process removed it first
  }
}

/** A cache file's slot: its name up to the version (`<slot>-<version>.bin`). */
const slotOf = (name) => name.slice(0, name.indexOf('-') + 1);

/**
 * Tidies the cache folder `dir` once the caches named `written` were made, in one listing: the
 * other versions of their slots go, and the files of the earlier naming (one hash, no slot);
 * then, past MAX_CACHE_FILES, the least recently written, never one of `written`.
 */
function tidyFolder(dir, written) {
  const slots = new Set([...written].map(slotOf));
  const others = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.bin') || written.has(name)) continue;
    if (slots.has(slotOf(name)) || /^[0-9a-f]{16}\.bin$/.test(name)) {
      remove(join(dir, name));
      continue;
    }
    try {
      others.push({ name, mtime: statSync(join(dir, name)).mtimeMs });
    } catch {
      // another process removed it first
    }
  }
  others.sort((a, b) => a.mtime - b.mtime);
  for (const { name } of others.slice(0, Math.max(0, others.length + written.size - MAX_CACHE_FILES))) remove(join(dir, name));
}

/**
 * A loader of the bundles in one folder. `cacheDir` undefined: no code cache. `profile` names
 * what the process will do (the command): each gets caches of its own.
 */
export function cliLoader(cacheDir, profile) {
  const loaded = new Map();
  const fresh = [];

  function load(file) {
    let exports = loaded.get(file);
    if (exports !== undefined) return exports;
    const source = readFileSync(file, 'utf8');
    let cachePath;
    let cachedData;
    if (cacheDir !== undefined) {
      const st = statSync(file);
      const slot = fnv1a([file, process.version, process.arch, profile].join('\0'));
      cachePath = join(cacheDir, `${slot}-${fnv1a([st.size, st.mtimeMs].join('\0'))}.bin`);
      try {
        cachedData = readFileSync(cachePath);
      } catch {
        // none yet
      }
    }
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
    if (cachePath !== undefined && (cachedData === undefined || script.cachedDataRejected)) fresh.push({ script, cachePath });
    const module = { exports: {} };
    loaded.set(file, module.exports);
    const nodeRequire = createRequire(file);
    const require = (id) => (id.startsWith('./') && id.endsWith('.cjs') ? load(join(dirname(file), id)) : nodeRequire(id));
    script.runInThisContext()(module.exports, require, module, file, dirname(file));
    loaded.set(file, module.exports);
    return module.exports;
  }

  /** Writes the caches this process lacked (at exit: they then hold what the command compiled). */
  function save() {
    const written = new Set();
    for (const { script, cachePath } of fresh.splice(0)) {
      try {
        mkdirSync(dirname(cachePath), { recursive: true, mode: 0o700 });
        const tmp = `${cachePath}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cachePath);
        written.add(basename(cachePath));
      } catch {
        // a cache is an optimisation: never an error
      }
    }
    try {
      if (written.size > 0) tidyFolder(cacheDir, written);
    } catch {
      // (the same)
    }
  }

  return { load, save };
}
