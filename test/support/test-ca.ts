/**
 * Test certificate authorities made with the `openssl` command line (as an operator would make
 * them), for the TLS tests of keep sockets: a CA and the client and server certificates it signs.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its private key, as PEM text and as files. */
export interface TestCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** A key algorithm of {@link testCa} and {@link issueCert}: ECDSA P-256 or RSA 2048. */
export type TestKeyAlg = 'ec' | 'rsa';

const NEW_KEY: Record<TestKeyAlg, string[]> = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  rsa: ['-newkey', 'rsa:2048'],
};

/** Runs the `openssl` command line in `cwd`. @throws Error with its stderr when it fails */
export function openssl(cwd: string, args: readonly string[]): string {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function readCert(dir: string, name: string): TestCert {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath };
}

/**
 * A self-signed test CA made with the `openssl` command line, in `dir` as `<name>.pem` and
 * `<name>.key` (CN = `name`). Its certificates are signed with SHA-256: ECDSA, or RSA PKCS #1 v1.5
 * (what most public CAs still use).
 */
export function testCa(dir: string, name: string, alg: TestKeyAlg): TestCert {
  openssl(dir, [
    'req', '-x509', ...NEW_KEY[alg], '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`,
    '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return readCert(dir, name);
}

/**
 * An end-entity certificate for `cn` signed by `ca` (made by {@link testCa} in the same `dir`),
 * as `<name>.pem` and `<name>.key`: for TLS clients, or for servers with the names in `san`
 * (`DNS:localhost`, `IP:127.0.0.1`...).
 */
export function issueCert(dir: string, ca: TestCert, name: string, opts: { readonly alg: TestKeyAlg; readonly cn: string; readonly use: 'client' | 'server'; readonly san?: readonly string[] }): TestCert {
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${opts.use === 'client' ? 'clientAuth' : 'serverAuth'}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    ...(opts.san !== undefined && opts.san.length > 0 ? [`subjectAltName=${opts.san.join(',')}`] : []),
  ];
  writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
  openssl(dir, ['req', '-new', ...NEW_KEY[opts.alg], '-nodes', '-subj', `/CN=${opts.cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '1', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]);
  return readCert(dir, name);
}
