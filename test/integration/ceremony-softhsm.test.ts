/**
 * Root ceremonies on three real SoftHSM2 tokens (initialised by this test under a temp dir, as
 * test/integration/pkcs11.test.ts does), through the CLI:
 *
 * - `run PLAN --bindings FILE` in the notary profile (P-256 and P-384 root keys on tokens, targets and
 *   snapshot keys on tokens, the server's timestamp key from a file, a Shamir-split software root key): the
 *   outputs verify with verifyRepository and the GUN, and the keys on the tokens cannot be read out;
 * - `run` in the tuf profile, interrupted once right after a key was made on a token and resumed: the key
 *   is adopted from the token, no key is made twice, and the tuf-js Updater (against the output folder
 *   served on 127.0.0.1) refreshes from the new root; no PIN in any file;
 * - `rehearse` in both profiles on SoftHSM2 (in-process, after `run` finalised the module): tuf-js accepts
 *   the TUF rehearsal, verifyRepository the Notary one;
 * - a Notary plan with a server-managed snapshot, published to a real notary-server on loopback (root and
 *   targets only), listed by the real `notary` client.
 *
 * The publishing of `rehearse` output to notary-server is test/integration/ceremony-notary.test.ts.
 */
import { outFiles, outPath, readOut } from '../support/ceremony-out.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/output.js';
import { rehearseCommand, defaultRehearseDeps } from '../../src/cli/rehearse.js';
import { runCommand, type RunDeps } from '../../src/cli/run.js';
import type { JsonObject } from '../../src/json/types.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { scanForSecrets } from '../support/secret-scan.js';
import { notaryClient, startNotaryServer } from '../support/notary.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const GUN = 'registry.example.com/org/ceremony';
const LABELS = ['alice', 'bob', 'carol'] as const;
const PINS = { ALICE_PIN: 'alice-softhsm-5521', BOB_PIN: 'bob-softhsm-6632', CAROL_PIN: 'carol-softhsm-7743' };
const SO_PIN = '12345678';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;

let dir: string;
let conf: string;
const serials: Record<string, string> = {};

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2 (apt-get install softhsm2)`);
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-run-'));
  conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pins = [PINS.ALICE_PIN, PINS.BOB_PIN, PINS.CAROL_PIN];
  LABELS.forEach((label, i) => execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pins[i]!, '--so-pin', SO_PIN], { env: process.env }));
  const mod = await TokenModule.load(SOFTHSM);
  for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
  await mod.finalize();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runDeps(over: Partial<RunDeps> = {}): RunDeps {
  return {
    load: (path, opts) => TokenModule.load(path, opts),
    exists: existsSync,
    platform: process.platform,
    env: { ...PINS },
    interactive: false,
    promptPin: () => Promise.reject(new Error('no prompt in tests')),
    now: () => new Date(),
    ...over,
  };
}

async function cli(fn: (io: { out(s: string): void; err(s: string): void }) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  let status: number;
  try {
    status = await fn(io);
  } catch (e) {
    status = reportError(io, e, false);
  }
  return { status, out, err };
}

function writeCeremony(name: string, plan: object, custodianBindings: object): { planPath: string; bindingsPath: string; out: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const bytes = Buffer.from(JSON.stringify(plan, null, 2));
  const planPath = join(d, 'plan.json');
  writeFileSync(planPath, bytes);
  const bindingsPath = join(d, 'bindings.json');
  writeFileSync(bindingsPath, JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: sha256(bytes), module: { preset: 'softhsm2' }, custodians: custodianBindings }));
  return { planPath, bindingsPath, out: join(d, 'out') };
}

const BINDINGS = {
  Alice: { pin: { env: 'ALICE_PIN' } },
  Bob: { pin: { env: 'BOB_PIN' } },
  Carol: { token: { label: 'carol' }, pin: { env: 'CAROL_PIN' } },
};

function serverKeyFile(path: string): Uint8Array {
  const key = SoftwareKey.generate('ed25519');
  const pub = (listPublicKey('notary', key.spki).json.keyval as JsonObject).public;
  key.dispose();
  const bytes = Buffer.from(JSON.stringify({ keytype: 'ed25519', keyval: { public: pub, private: null } }));
  writeFileSync(path, bytes);
  return new Uint8Array(bytes);
}

const readBytes = (d: string, n: string): Uint8Array => new Uint8Array(readFileSync(join(d, n)));

async function serve(d: string): Promise<{ server: Server; base: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const m = /^\/metadata\/([^/]+\.json)$/.exec(path);
    const file = m ? join(d, m[1]!) : undefined;
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** The tuf-js client, trusting `trustedRoot`, refreshes from `d` served on loopback. */
async function tufJsRefresh(d: string, trustedRoot: Uint8Array): Promise<string[]> {
  const http = await serve(d);
  const metadataDir = mkdtempSync(join(dir, 'tufjs-md-'));
  const targetDir = mkdtempSync(join(dir, 'tufjs-tg-'));
  writeFileSync(join(metadataDir, 'root.json'), trustedRoot);
  try {
    const updater = new Updater({ metadataDir, targetDir, metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
    await updater.refresh();
    expect(await updater.getTargetInfo('nothing/here.txt')).toBeUndefined();
    // tuf-js kept what it verified: our files, byte for byte.
    for (const role of ['timestamp', 'snapshot', 'targets']) expect(readBytes(metadataDir, `${role}.json`)).toEqual(readBytes(d, `${role}.json`));
    return http.requests;
  } finally {
    await new Promise<void>((resolve) => http.server.close(() => resolve()));
  }
}

describe('run on three SoftHSM2 tokens', () => {
  it('notary: a repository that verifies with the GUN; keys stay on the tokens', async () => {
    mkdirSync(join(dir, 'notary'));
    const tsKey = serverKeyFile(join(dir, 'notary', 'timestamp.key'));
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'notary',
      repository: GUN,
      custodians: [
        { name: 'Alice', token: { serial: serials.alice }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-root-alice' },
        { name: 'Bob', token: { serial: serials.bob, label: 'bob' }, keyAlgorithm: 'ecdsa-p384', keyLabel: 'notary-root-bob' },
        { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-root-carol' },
      ],
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-snapshot' }, expires: year(3) },
      timestamp: { keyFile: 'timestamp.key', sha256: sha256(tsKey) },
      shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
    };
    const w = writeCeremony('notary', plan, BINDINGS);
    const c = w;
    const r = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps()));
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);

    const root = readOut(c.out, 'root.json');
    const v = verifyRepository({ versionedRoots: new Map(), root, targets: readOut(c.out, 'targets.json'), snapshot: readOut(c.out, 'snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: new Date(), gun: GUN });
    expect(checkNotaryRootCertificates(v.root, new Date(), GUN)).toBe(GUN);
    expect(v.rootResult.signed).toHaveLength(2);
    expect(v.root.signed.roles.get('root')!.keyids).toHaveLength(4);
    const t = verifyTranscript(readOut(c.out, 'transcript.jsonl'));
    expect(t.rehearsal).toBe(true); // SoftHSM2 is a rehearsal module, whatever the command
    expect(t.entries.filter((e) => e.step === 'token.check').map((e) => e.token!.serial)).toEqual([serials.alice, serials.bob, serials.carol]);

    // The keys are on the tokens, sensitive and not extractable; nothing else was made there.
    const mod = await TokenModule.load(SOFTHSM);
    try {
      const pins = { alice: PINS.ALICE_PIN, bob: PINS.BOB_PIN, carol: PINS.CAROL_PIN };
      const found: Record<string, string[]> = {};
      for (const label of LABELS) {
        const s = await mod.openToken({ serial: serials[label]! });
        await s.login(pins[label]);
        const keys = await s.listKeys();
        for (const k of keys) expect([k.label, k.sensitive, k.extractable]).toEqual([k.label, true, false]);
        found[label] = keys.map((k) => k.label).sort();
        await s.close();
      }
      expect(found).toEqual({ alice: ['notary-root-alice', 'notary-targets'], bob: ['notary-root-bob', 'notary-snapshot'], carol: ['notary-root-carol'] });
    } finally {
      await mod.finalize();
    }
  });

  it('tuf: interrupted right after a key was made, resumed (the key adopted from the token); tuf-js accepts the result', async () => {
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'tuf',
      repository: 'example.com/ceremony/tuf',
      custodians: [
        { name: 'Alice', token: { serial: serials.alice }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-root-alice' },
        { name: 'Bob', token: null, keyAlgorithm: 'ed25519', keyLabel: 'tuf-root-bob' },
        { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-root-carol' },
      ],
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ed25519', keyLabel: 'tuf-snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-timestamp' }, expires: year(1) },
    };
    const w = writeCeremony('tuf', plan, { ...BINDINGS, Bob: { token: { serial: serials.bob }, pin: { env: 'BOB_PIN' } } });
    let once = true;
    const fault = (point: string): void => {
      if (once && point === 'generated:root/Bob') {
        once = false;
        throw new Error('token pulled');
      }
    };
    const first = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps({ fault })));
    expect(first.status).toBe(1);
    const second = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps()));
    expect(second.err).toEqual([]);
    expect(second.status).toBe(0);
    const t = verifyTranscript(readOut(w.out, 'transcript.jsonl'));
    expect(t.entries.find((e) => e.step === 'key.generate' && e.actor.name === 'Bob' && e.token?.label === 'tuf-root-bob')!.note).toMatch(/adopted/);

    const requests = await tufJsRefresh(join(w.out, 'metadata'), readOut(w.out, '1.root.json'));
    expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/timestamp.json', '/metadata/snapshot.json', '/metadata/targets.json']));
    for (const name of outFiles(w.out)) expect(scanForSecrets(new Uint8Array(readFileSync(join(w.out, name))), Object.values(PINS)), name).toEqual([]);
  });
});

describe('rehearse on SoftHSM2 rehearsal tokens', () => {
  it('tuf: tuf-js accepts the rehearsal’s repository; SOFTHSM2_CONF is restored afterwards', async () => {
    const out = join(dir, 'rehearse-tuf');
    const r = await cli((io) => rehearseCommand({ profile: 'tuf', out, json: true }, io, defaultRehearseDeps));
    expect(r.status).toBe(0);
    expect((JSON.parse(r.out.join('')) as JsonObject).rehearsal).toBe('softhsm2');
    expect(process.env.SOFTHSM2_CONF).toBe(conf);
    await tufJsRefresh(join(out, 'metadata'), readOut(out, 'root.json'));
  });

  it('notary: the rehearsal’s repository verifies with the GUN', async () => {
    const out = join(dir, 'rehearse-notary');
    const r = await cli((io) => rehearseCommand({ profile: 'notary', gun: GUN, out }, io, defaultRehearseDeps));
    expect(r.status).toBe(0);
    expect(r.out.join('\n')).toMatch(/SoftHSM2 rehearsal tokens/);
    const root = readOut(out, 'root.json');
    verifyRepository({ versionedRoots: new Map(), root, targets: readOut(out, 'targets.json'), snapshot: readOut(out, 'snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: new Date(), gun: GUN });
  });
});

describe('a Notary plan with a server-managed snapshot, against notary-server on loopback', () => {
  it('root lists the server’s snapshot key; root + targets publish; the notary client lists the repository', async () => {
    const gun = `${GUN}-server-snapshot`;
    const server = await startNotaryServer();
    try {
      const d = join(dir, 'server-snapshot');
      mkdirSync(d, { recursive: true });
      const ts = await server.tufFile(gun, 'timestamp.key');
      const sn = await server.tufFile(gun, 'snapshot.key');
      writeFileSync(join(d, 'timestamp.key'), ts);
      writeFileSync(join(d, 'snapshot.key'), sn);
      const plan = {
        format: 'tuf-ceremony-plan',
        version: 1,
        kind: 'root',
        profile: 'notary',
        repository: gun,
        custodians: LABELS.map((l, i) => ({ name: ['Alice', 'Bob', 'Carol'][i]!, token: { serial: serials[l] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `server-snapshot-root-${l}` })),
        root: { threshold: 2, expires: year(10) },
        targets: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'server-snapshot-targets' }, expires: year(3) },
        snapshot: { keyFile: 'snapshot.key', sha256: sha256(sn) },
        timestamp: { keyFile: 'timestamp.key', sha256: sha256(ts) },
      };
      const w = writeCeremony('server-snapshot', plan, BINDINGS);
      const r = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps()));
      expect(r.err).toEqual([]);
      expect(r.status).toBe(0);
      expect(existsSync(outPath(w.out, 'snapshot.json'))).toBe(false);
      const root = parseMetadata(readOut(w.out, 'root.json'), 'root', { maxBytes: 1 << 20, source: 'root.json' });
      const snapshotKey = root.signed.keys.get(root.signed.roles.get('snapshot')!.keyids[0]!)!;
      expect((JSON.parse(Buffer.from(sn).toString('utf8')) as JsonObject).keyval).toMatchObject({ public: Buffer.from(snapshotKey.key.spki.subarray(-32)).toString('base64') });

      const form = new FormData();
      for (const role of ['root', 'targets']) form.append('files', new Blob([Buffer.from(readOut(w.out, `${role}.json`))]), role);
      const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/`, { method: 'POST', body: form });
      expect(res.status, await res.text()).toBe(200);
      const client = notaryClient({ serverUrl: server.url });
      const list = await client.run(['list', gun]);
      expect(list.code, list.stdout + list.stderr).toBe(0);
      expect(list.stdout).toMatch(/No targets present/);
      // The client cached our root byte for byte.
      expect(readBytes(client.metadataDir(gun), 'root.json')).toEqual(readOut(w.out, 'root.json'));
    } finally {
      await server.stop();
    }
  });
});
