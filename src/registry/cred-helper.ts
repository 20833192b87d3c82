/**
 * Docker credential helpers (docker/docker-credential-helpers, "get" of its protocol): the docker
 * config's `credsStore` or `credHelpers[host]` names a program `docker-credential-<name>` on the
 * PATH; `get` reads the server URL on stdin and answers JSON
 * `{"ServerURL": …, "Username": …, "Secret": …}` (Username `<token>`: Secret is an identity
 * token), or exits non-zero when it has nothing for that server.
 *
 * The helper is the user's own program, but its answer is still bounded: 5 s, 64 KiB, the JSON
 * checked; it runs without a shell, its name may not be a path.
 */
import { spawn } from 'node:child_process';
import { RegistryError, RegistryErrorCode } from './errors.js';

/** What a helper answered: credentials, nothing for this server, or that it is not installed. */
export type HelperAnswer = { readonly kind: 'basic'; readonly username: string; readonly password: string } | { readonly kind: 'identity'; readonly token: string } | 'not-installed' | undefined;

const TIMEOUT_MS = 5000;
const MAX_OUTPUT = 64 * 1024;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Runs `docker-credential-<name> get` for `server`.
 * @throws RegistryError ERR_REGISTRY_AUTH when the helper cannot be run, hangs, or answers nonsense
 */
export function runCredentialHelper(name: string, server: string, env: Readonly<Record<string, string | undefined>>): Promise<HelperAnswer> {
  if (!NAME.test(name)) return Promise.reject(new RegistryError(RegistryErrorCode.AUTH, `credential helper name "${name.slice(0, 80)}" is not a plain name`));
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'ignore'], timeout: TIMEOUT_MS });
    const out: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else out.push(d);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      // A config copied from another machine may name a helper this one does not have.
      if (err.code === 'ENOENT') resolve('not-installed');
      else reject(new RegistryError(RegistryErrorCode.AUTH, `cannot run the credential helper ${program}: ${err.message}`, { cause: err }));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(server);
    child.once('close', (code, signal) => {
      if (code === null && signal === null) return;
      if (signal !== null) return reject(new RegistryError(RegistryErrorCode.AUTH, `the credential helper ${program} did not answer (${signal === 'SIGKILL' && size > MAX_OUTPUT ? 'too much output' : `killed after ${TIMEOUT_MS} ms`})`));
      // A helper that knows nothing of this server exits non-zero ("credentials not found").
      if (code !== 0) return resolve(undefined);
      try {
        resolve(parseAnswer(Buffer.concat(out).toString('utf8')));
      } catch (err) {
        reject(new RegistryError(RegistryErrorCode.AUTH, `the credential helper ${program} answered: ${(err as Error).message}`, { cause: err }));
      }
    });
  });
}

function parseAnswer(text: string): HelperAnswer {
  const json = JSON.parse(text) as { Username?: unknown; Secret?: unknown } | null;
  const user = json?.Username;
  const secret = json?.Secret;
  if (typeof user !== 'string' || typeof secret !== 'string' || secret === '') throw new Error('expected {"Username": string, "Secret": string}');
  if (/[\r\n\0]/.test(user) || /[\r\n\0]/.test(secret)) throw new Error('a line break or NUL in its credentials');
  if (user === '<token>') return { kind: 'identity', token: secret };
  if (user === '' || user.includes(':')) throw new Error('a user name that is empty or has ":"');
  return { kind: 'basic', username: user, password: secret };
}
