/**
 * Real Notary v1 peers for integration tests: Debian's `notary-server` (memory storage, local signer,
 * plain HTTP on 127.0.0.1) and the `notary` client, run without a TTY with passphrases from the
 * environment. Measured against notary 0.7 (FIELD-NOTES, "Notary 0.7"):
 *
 * - the client talks plain `http://127.0.0.1:PORT` with `-s`; no `--tlscacert` or insecure flag is needed;
 * - `notary key rotate GUN root` asks "Are you sure you want to proceed? (yes/no)" and reads the answer
 *   from stdin, so write "yes\n" to it;
 * - the server serves versioned roots at `GET /v2/GUN/_trust/tuf/N.root.json` (not `root.N.json`), the
 *   newest of each role at `…/tuf/<role>.json`, by checksum at `…/tuf/<role>.<sha256 hex>.json`, and its
 *   timestamp key at `…/tuf/timestamp.key`;
 * - the client reads `~/.notary/config.json` when `-c` is not given, so HOME is pointed at a scratch folder;
 * - failures exit 1 with the message as `* fatal: …` on **stdout** (stderr stays empty).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { JsonObject, JsonValue } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { serializeMetadata } from '../../src/tuf/sign.js';
import { tempDirs } from './temp-dirs.js';

const tmp = tempDirs();

export const NOTARY_BIN = process.env.NOTARY_BIN ?? '/usr/bin/notary';
export const NOTARY_SERVER_BIN = process.env.NOTARY_SERVER_BIN ?? '/usr/bin/notary-server';

export const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase-for-tests',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase-for-tests',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase-for-tests',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase-for-tests',
} as const;

/** Throw a clear message (instead of ENOENT deep in a test) when Debian's notary packages are missing. */
export function requireNotaryBinaries(): void {
  for (const bin of [NOTARY_BIN, NOTARY_SERVER_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: install Debian's notary package (apt-get install notary), see README`);
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Children still running when the test process exits are killed, so a crashed run leaves no server behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export interface NotaryServer {
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  dir: string;
  /** What the server printed so far (JSON log lines), for failure messages. */
  log(): string;
  /** GET a path on the server; returns status and body bytes. */
  get(path: string): Promise<{ status: number; body: Uint8Array }>;
  /** `GET /v2/GUN/_trust/tuf/NAME` (NAME like `2.root.json`, `timestamp.json`, `timestamp.key`). */
  tufFile(gun: string, name: string): Promise<Uint8Array>;
  stop(): Promise<void>;
}

/** The notary-server configuration for a loopback test server (FIELD-NOTES). */
export function serverConfig(port: number): string {
  return JSON.stringify({ server: { http_addr: `127.0.0.1:${port}` }, trust_service: { type: 'local' }, storage: { backend: 'memory' } });
}

/**
 * Start `notary-server -config FILE` on a free loopback port and wait until `/_notary_server/health`
 * answers 200. Retries on another port if the chosen one was taken in between.
 */
export async function startNotaryServer(opts: { timeoutMs?: number } = {}): Promise<NotaryServer> {
  requireNotaryBinaries();
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tufc-notary-server-'));
    const config = join(dir, 'server.json');
    writeFileSync(config, serverConfig(port));
    const child = spawn(NOTARY_SERVER_BIN, ['-config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
    track(child);
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    let exited: number | null | undefined;
    const exitPromise = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), resolve())));
    child.once('error', (err) => ((lastError = err), (exited = -1)));
    const url = `http://127.0.0.1:${port}`;
    const get = async (path: string) => {
      // A GET is idempotent: a kept-alive connection the server closed just as fetch reused it ("other
      // side closed", UND_ERR_SOCKET; seen once in CI) is tried once more, on a new connection.
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await fetch(url + path, { signal: AbortSignal.timeout(10_000) });
          return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
        } catch (err) {
          if (attempt > 1 || (err as { cause?: { code?: unknown } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
        }
      }
    };
    const stop = async () => {
      if (exited === undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exitPromise.then(() => true), sleep(5_000).then(() => false)]);
        if (!killed) {
          child.kill('SIGKILL');
          await exitPromise;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    let healthy = false;
    while (Date.now() < deadline && exited === undefined) {
      try {
        if ((await get('/_notary_server/health')).status === 200) {
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
        dir,
        log: () => output,
        get,
        async tufFile(gun, name) {
          const res = await get(`/v2/${gun}/_trust/tuf/${name}`);
          if (res.status !== 200) throw new Error(`GET /v2/${gun}/_trust/tuf/${name}: HTTP ${res.status} ${Buffer.from(res.body).toString('utf8')}`);
          return res.body;
        },
        stop,
      };
    }
    lastError = new Error(`notary-server on port ${port} did not become healthy (exit ${String(exited)}):\n${output}`);
    await stop();
  }
  throw lastError;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (the client never has a TTY here). */
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

/** Run a program without a shell, collecting output, killing it (SIGKILL) after `timeoutMs`. */
export function run(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin!.on('error', () => undefined); // EPIPE when the program does not read stdin
    child.stdin!.end(opts.input ?? '');
  });
}

export interface TrustPinning {
  /** Root certificate key IDs per GUN (or `prefix*`), as in root.json. */
  certs?: Record<string, string[]>;
  /** CA PEM file per GUN prefix. */
  ca?: Record<string, string>;
  disable_tofu?: boolean;
}

/**
 * Write a notary client configuration (`-c`): trust dir, server and `trust_pinning`. Note (measured):
 * on an empty trust dir, `certs` pins are matched against the *newest* root the server has, not walked
 * from an older one, so pinning the certificate of a root that was since rotated away fails with
 * "unable to match any certificates to trust_pinning config".
 */
export function writeClientConfig(path: string, cfg: { trustDir: string; serverUrl: string; trustPinning?: TrustPinning }): string {
  const json: Record<string, unknown> = { trust_dir: cfg.trustDir, remote_server: { url: cfg.serverUrl } };
  if (cfg.trustPinning) json.trust_pinning = cfg.trustPinning;
  writeFileSync(path, JSON.stringify(json, null, 2));
  return path;
}

export interface NotaryClient {
  trustDir: string;
  /** `TRUSTDIR/tuf/GUN/metadata`: where the client caches the metadata it verified. */
  metadataDir(gun: string): string;
  /** `notary -s URL -d TRUSTDIR [-c CONFIG] ARGS…`; never throws on a non-zero exit. */
  run(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Like run, but throws (with the command, exit code, stdout and stderr) unless it exits 0. */
  ok(args: string[], opts?: RunOptions): Promise<RunResult>;
}

export function notaryClient(opts: { serverUrl: string; trustDir?: string; configFile?: string; passphrases?: Partial<typeof PASSPHRASES> }): NotaryClient {
  requireNotaryBinaries();
  // Made here, removed after the importing test file's tests.
  const trustDir = opts.trustDir ?? tmp('tufc-notary-trust-');
  const home = join(trustDir, '.home');
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...PASSPHRASES, ...(opts.passphrases ?? {}) };
  const base = ['-s', opts.serverUrl, '-d', trustDir, ...(opts.configFile ? ['-c', opts.configFile] : [])];
  const client: NotaryClient = {
    trustDir,
    metadataDir: (gun) => join(trustDir, 'tuf', ...gun.split('/'), 'metadata'),
    run: (args, runOpts = {}) => run(NOTARY_BIN, [...base, ...args], { ...runOpts, env: { ...env, ...(runOpts.env ?? {}) } }),
    async ok(args, runOpts) {
      const r = await client.run(args, runOpts);
      if (r.code !== 0) {
        throw new Error(`notary ${args.join(' ')} exited ${String(r.code)}${r.timedOut ? ' (timed out)' : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      }
      return r;
    },
  };
  return client;
}

/**
 * A delegation key pair for `notary delegation add` / `notary key import`: P-256 key (SEC1 PEM, as
 * `openssl ecparam -genkey` writes it) and a self-signed leaf certificate (CA:FALSE; Notary refuses CA
 * certificates as signing keys).
 */
export function makeDelegationCert(dir: string, cn: string, days = 3650): { keyPem: string; certPem: string } {
  mkdirSync(dir, { recursive: true });
  const keyPem = join(dir, `${cn}.key`);
  const certPem = join(dir, `${cn}.pem`);
  const steps: string[][] = [
    ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPem],
    ['req', '-new', '-x509', '-key', keyPem, '-out', certPem, '-days', String(days), '-sha256', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:FALSE'],
  ];
  for (const args of steps) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  }
  return { keyPem, certPem };
}

/** Every file under `dir`, by path relative to it (`/`-separated), e.g. `targets/releases.json`. */
export function readTree(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (sub: string, prefix: string) => {
    for (const entry of readdirSync(sub, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(sub, entry.name), rel);
      else out.set(rel, new Uint8Array(readFileSync(join(sub, entry.name))));
    }
  };
  walk(dir, '');
  return out;
}

/** Write `files` (relative paths) under `dir`, creating subfolders. */
export function writeTree(dir: string, files: Map<string, Uint8Array>): void {
  for (const [rel, bytes] of files) {
    const full = join(dir, ...rel.split('/'));
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, bytes);
  }
}

// ---------------------------------------------------------------------------------------------------
// Byte-level comparison of our Notary profile with files notary wrote.

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Go's `json.Marshal` of a `json.RawMessage` (how notary writes the envelope around the canonical
 * `signed` bytes) compacts with HTML escaping: `<` `>` `&` U+2028 U+2029 become `\u003c` `\u003e`
 * `\u0026` `\u2028` `\u2029`. In canonical JSON those characters can only occur inside strings, so a
 * plain replacement is exact. Measured: notary signs the canonical bytes with these characters RAW, and
 * the file holds them escaped, so for such names the file's `signed` slice is not the signed bytes.
 */
export function goHtmlEscape(bytes: Uint8Array): Uint8Array {
  const text = fromUtf8.decode(bytes);
  return utf8.encode(text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

export function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Where two byte strings first differ, with context, for a report a person can act on. */
export function describeDiff(expected: Uint8Array, actual: Uint8Array): string {
  let i = 0;
  while (i < expected.length && i < actual.length && expected[i] === actual[i]) i++;
  const ctx = (b: Uint8Array) => JSON.stringify(Buffer.from(b.subarray(Math.max(0, i - 30), i + 50)).toString('latin1'));
  return `first difference at byte ${i} (lengths expected ${expected.length}, actual ${actual.length}): expected …${ctx(expected)}… actual …${ctx(actual)}…`;
}

/** `{"signed":` … `,"signatures":[` … `]}`: the bytes of the `signed` value as they sit in the file. */
export function signedSlice(file: Uint8Array): Uint8Array {
  const text = Buffer.from(file).toString('latin1');
  const head = '{"signed":';
  const tail = text.lastIndexOf(',"signatures":[');
  if (!text.startsWith(head) || tail < 0 || !text.endsWith(']}')) throw new Error('not a Notary envelope {"signed":…,"signatures":[…]}');
  return file.subarray(head.length, tail);
}

export interface NotaryFileCheck {
  /** Problems found, each naming the file, field and bytes; empty when we agree with notary. */
  problems: string[];
  /** Key IDs listed in this file (root keys, or a targets role's delegation keys), by the ID notary used. */
  keyIds: string[];
  /** Whether the file's `signed` slice differs from the signed bytes only by Go's HTML escaping. */
  htmlEscaped: boolean;
}

/**
 * Compare one notary-written metadata file with what our Notary profile makes of it:
 * 1. `canonical(signed)` is the exact byte string notary signed (every signature verifies over it), and
 *    the file's `signed` slice is that string after Go's HTML escaping (identical when the metadata has
 *    no `<>&` U+2028 U+2029);
 * 2. `serializeMetadata('notary', {signed, signatures})` reproduces the whole file byte for byte;
 * 3. `keyId(key)` gives the key ID notary used for every key the file lists.
 * `keys` maps key IDs to key JSON for checking signatures (all keys of all roots and delegations seen).
 */
export function checkNotaryFile(source: string, file: Uint8Array, keys: ReadonlyMap<string, JsonValue>): NotaryFileCheck {
  const profile = getProfile('notary');
  const problems: string[] = [];
  const envelope = JSON.parse(fromUtf8.decode(file)) as { signed: JsonObject; signatures: { keyid: string; method: string; sig: string }[] };
  const slice = signedSlice(file);
  let canonical: Uint8Array;
  try {
    canonical = profile.canonical(envelope.signed);
  } catch (err) {
    return { problems: [`${source}: canonical(signed) threw ${String(err)}`], keyIds: [], htmlEscaped: false };
  }
  const escaped = goHtmlEscape(canonical);
  if (!bytesEq(escaped, slice)) {
    problems.push(`${source} $.signed: Go-HTML-escaped canonical(signed) is not the file's signed bytes; ${describeDiff(slice, escaped)}`);
  }
  const htmlEscaped = !bytesEq(canonical, slice);
  for (const [i, sig] of envelope.signatures.entries()) {
    const keyJson = keys.get(sig.keyid);
    if (!keyJson) {
      problems.push(`${source} $.signatures[${i}]: key ${sig.keyid} is not listed by any root or delegation seen`);
      continue;
    }
    try {
      const key = profile.parseKey(keyJson as JsonObject, `${source} key ${sig.keyid}`);
      const raw = profile.decodeSignature(sig, key, `${source} $.signatures[${i}]`);
      if (!profile.verify(key, raw, canonical)) {
        problems.push(`${source} $.signatures[${i}] (${sig.method} by ${sig.keyid.slice(0, 12)}…): does not verify over canonical(signed)`);
      }
    } catch (err) {
      problems.push(`${source} $.signatures[${i}] (${sig.method}): ${String(err)}`);
    }
  }
  try {
    const ours = serializeMetadata('notary', { signed: envelope.signed, signatures: envelope.signatures });
    if (!bytesEq(ours, file)) problems.push(`${source}: serializeMetadata('notary', envelope) differs from the file; ${describeDiff(file, ours)}`);
  } catch (err) {
    problems.push(`${source}: serializeMetadata threw ${String(err)}`);
  }
  const listed = listedKeys(envelope.signed);
  for (const [id, keyJson] of listed) {
    try {
      const ours = profile.keyId(keyJson as JsonObject);
      if (ours !== id) problems.push(`${source} key ${id} (${(keyJson as { keytype?: string }).keytype}): our keyId gives ${ours}`);
    } catch (err) {
      problems.push(`${source} key ${id}: keyId threw ${String(err)}`);
    }
  }
  return { problems, keyIds: [...listed.keys()], htmlEscaped };
}

/** The keys a file lists: `signed.keys` of a root, `signed.delegations.keys` of a targets role. */
export function listedKeys(signed: JsonObject): Map<string, JsonValue> {
  const table = (signed._type === 'Root' ? signed.keys : (signed.delegations as JsonObject | undefined)?.keys) as JsonObject | undefined;
  return new Map(Object.entries(table ?? {}));
}

/**
 * The "bare" key ID notary gives an `ecdsa-x509` key in its key store (private key file names, `notary
 * key list`): the ID of `{"keytype":"ecdsa","keyval":{"private":null,"public":base64(DER SPKI)}}` for
 * the certificate's public key (measured: root cert fa2634… ↔ key file e8c38…).
 */
export function bareKeyId(keyJson: JsonValue, path = 'key'): string {
  const profile = getProfile('notary');
  const key = profile.parseKey(keyJson as JsonObject, path);
  return profile.keyId({ keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(key.spki).toString('base64') } });
}
