/**
 * notary-server as production runs it, on loopback: HTTPS (`server.tls_cert_file` / `tls_key_file`) and the
 * registry token flow (`auth: {type: token, options: {realm, service, issuer, rootcertbundle}}`, FIELD-NOTES
 * "Notary 0.7"), with the token issuer of ./token-issuer.ts as its realm. Certificates are made with
 * openssl in a temporary folder:
 *
 * - `ca.pem` — the test CA; it signs the server's and the issuer's TLS certificates (SAN IP:127.0.0.1 and
 *   DNS:localhost) — what a client passes as `--ca-file` / `--tlscacert` / Docker's `ca.crt`;
 * - `token-ca.pem` — the server's `rootcertbundle`; it signs the certificate of the key that signs tokens;
 * - `other-ca.pem` — a CA nobody uses: a client trusting only it must refuse the server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NOTARY_SERVER_BIN, requireNotaryBinaries } from './notary.js';
import { startTokenIssuer, type TokenIssuer } from './token-issuer.js';

export const TOKEN_USER = 'publisher';
/** Test credentials only: a token server for tests on loopback. */
export const TOKEN_PASSWORD = 'correct horse battery staple (test)';
export const TOKEN_SERVICE = 'notary-test';
export const TOKEN_ISSUER = 'tuf-ceremony test issuer';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

export interface TestCertificates {
  dir: string;
  caFile: string;
  otherCaFile: string;
  tokenCaFile: string;
  serverCert: string;
  serverKey: string;
  tokenSignCert: string;
  tokenSignKey: string;
}

/** A CA (`NAME.pem`, `NAME.key`), self-signed, CA:TRUE. */
function makeCa(dir: string, name: string, cn: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-x509', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-sha256', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

/** A leaf `NAME.pem` / `NAME.key` signed by CA, with extensions `ext` (openssl x509 -extfile syntax). */
function makeLeaf(dir: string, name: string, cn: string, ca: string, ext: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-sha256', '-extfile', `${name}.ext`], dir);
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tufc-tls-'));
  makeCa(dir, 'ca', 'tuf-ceremony test CA');
  makeCa(dir, 'other-ca', 'some other CA');
  makeCa(dir, 'token-ca', 'tuf-ceremony token CA');
  makeLeaf(dir, 'server', '127.0.0.1', 'ca', 'basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'token-sign', 'token signer', 'token-ca', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    tokenCaFile: join(dir, 'token-ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    tokenSignCert: join(dir, 'token-sign.pem'),
    tokenSignKey: join(dir, 'token-sign.key'),
  };
}

export interface TlsNotaryServer {
  port: number;
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, the folder name Docker looks for `ca.crt` in. */
  hostPort: string;
  certs: TestCertificates;
  issuer: TokenIssuer;
  log(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET over HTTPS trusting `ca` only; resolves with the status (no auth: the health endpoint needs none). */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Start the token issuer, then notary-server over TLS with token auth; waits until the server is healthy. */
export async function startTlsNotaryServer(opts: { timeoutMs?: number } = {}): Promise<TlsNotaryServer> {
  requireNotaryBinaries();
  const certs = makeTestCertificates();
  const caPem = readFileSync(certs.caFile, 'utf8');
  const issuer = await startTokenIssuer({
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    username: TOKEN_USER,
    password: TOKEN_PASSWORD,
    tlsCert: readFileSync(certs.serverCert, 'utf8'),
    tlsKey: readFileSync(certs.serverKey, 'utf8'),
    signingKey: createPrivateKey(readFileSync(certs.tokenSignKey, 'utf8')),
    signingCertDer: new Uint8Array(new X509Certificate(readFileSync(certs.tokenSignCert)).raw),
  });
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = join(certs.dir, `server-${port}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        server: { http_addr: `127.0.0.1:${port}`, tls_cert_file: certs.serverCert, tls_key_file: certs.serverKey },
        trust_service: { type: 'local' },
        storage: { backend: 'memory' },
        auth: { type: 'token', options: { realm: issuer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: certs.tokenCaFile } },
      }),
    );
    const child = spawn(NOTARY_SERVER_BIN, ['-config', config], { cwd: certs.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: certs.dir } });
    live.add(child);
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    let exited: number | null | undefined;
    const exitPromise = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), live.delete(child), resolve())));
    child.once('error', (err) => ((lastError = err), (exited = -1)));
    const stopChild = async () => {
      if (exited === undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await Promise.race([exitPromise.then(() => true), sleep(5_000).then(() => false)]))) {
          child.kill('SIGKILL');
          await exitPromise;
        }
      }
    };
    const url = `https://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    let healthy = false;
    while (Date.now() < deadline && exited === undefined) {
      try {
        if ((await httpsStatus(`${url}/_notary_server/health`, caPem)) === 200) {
          healthy = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    if (healthy) {
      return {
        port,
        url,
        hostPort: `127.0.0.1:${port}`,
        certs,
        issuer,
        log: () => output,
        async stop() {
          await stopChild();
          await issuer.stop();
          rmSync(certs.dir, { recursive: true, force: true });
        },
      };
    }
    lastError = new Error(`notary-server (TLS) on port ${port} did not become healthy (exit ${String(exited)}):\n${output}`);
    await stopChild();
  }
  await issuer.stop();
  rmSync(certs.dir, { recursive: true, force: true });
  throw lastError;
}
