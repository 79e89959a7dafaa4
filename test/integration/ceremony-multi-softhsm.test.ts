/**
 * Issue #17 on three SoftHSM2 tokens (initialised by this test under a temp dir), through the CLI:
 *
 * - `run` of a multi-repository plan: 5 Notary repositories (each naming the timestamp key a real
 *   notary-server on loopback made for that GUN) and 5 TUF repositories share the custodians' root keys
 *   and the targets/snapshot keys; each PIN is asked once; a sample of the Notary repositories is published
 *   and listed by the real `notary` client, trusting on first use and pinned to the root certificate IDs;
 *   tuf-js follows a sample of the TUF repositories served on loopback;
 * - a later ceremony for a new repository that reuses a custodian's key without naming it is refused
 *   (KEY_LABEL_EXISTS: labels are never reused); naming the key (token serial and label, CKA_ID,
 *   fingerprint from the inventory) works, and the new root lists the same key;
 * - an interrupted run resumes (a Notary repository half written keeps its root.json) and the real notary
 *   client lists the resumed repositories, pinned to their root certificate IDs;
 * - `keys --module softhsm2 --inventory …` lists every key on the three tokens with its roles.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCommand, type KeysListing } from '../../src/cli/keys.js';
import { reportError } from '../../src/cli/output.js';
import { runCommand, type RunDeps } from '../../src/cli/run.js';
import { parseInventory, type KeyInventory } from '../../src/ceremony/inventory.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { startNotaryServer, type NotaryServer } from '../support/notary.js';
import { clientInMode, parseNotaryList, publishOk } from '../support/notary-publish.js';
import { scanForSecrets } from '../support/secret-scan.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const LABELS = ['alice', 'bob', 'carol'] as const;
const NAMES = ['Alice', 'Bob', 'Carol'] as const;
const PINS: Record<string, string> = { Alice: 'alice-multi-5521', Bob: 'bob-multi-6632', Carol: 'carol-multi-7743' };
const SO_PIN = '12345678';
const NOTARY_COUNT = 5;
const TUF_COUNT = 5;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const readBytes = (d: string, n: string): Uint8Array => new Uint8Array(readFileSync(join(d, n)));

let dir: string;
let server: NotaryServer;
const serials: Record<string, string> = {};
/** PIN prompts, per custodian, across a whole `run`. */
const prompts: string[] = [];

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-multi-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  LABELS.forEach((label, i) => execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', PINS[NAMES[i]!]!, '--so-pin', SO_PIN], { env: process.env }));
  const mod = await TokenModule.load(SOFTHSM);
  for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
  await mod.finalize();
  server = await startNotaryServer();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runDeps(): RunDeps {
  return {
    load: (path, opts) => TokenModule.load(path, opts),
    exists: existsSync,
    platform: process.platform,
    env: {},
    interactive: true,
    promptPin: (question) => {
      const who = NAMES.find((n) => question.includes(n))!;
      prompts.push(who);
      return Promise.resolve(new Uint8Array(Buffer.from(PINS[who]!, 'utf8')));
    },
    now: () => new Date(),
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

/** Write plan.json and its site bindings (every PIN asked at the prompt) into DIR/name. */
function writeCeremony(name: string, plan: object): { d: string; planPath: string; bindingsPath: string; out: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const bytes = Buffer.from(JSON.stringify(plan, null, 2));
  const planPath = join(d, 'plan.json');
  writeFileSync(planPath, bytes);
  const bindingsPath = join(d, 'bindings.json');
  const custodians = Object.fromEntries(NAMES.map((n) => [n, { pin: 'prompt' }]));
  writeFileSync(bindingsPath, JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: sha256(bytes), module: { preset: 'softhsm2' }, custodians }));
  return { d, planPath, bindingsPath, out: join(d, 'out') };
}

/** The notary-server's timestamp key for `gun`, saved next to the plan; the plan's entry for it. */
async function notaryEntry(d: string, gun: string, i: number): Promise<object> {
  const bytes = await server.tufFile(gun, 'timestamp.key');
  const file = `timestamp-${i}.key`;
  writeFileSync(join(d, file), bytes);
  return { name: gun, timestamp: { keyFile: file, sha256: sha256(bytes) } };
}

const custodians = (labelOf: (l: string) => string, extra: (i: number) => object = () => ({})) =>
  LABELS.map((l, i) => ({ name: NAMES[i]!, token: { serial: serials[l]!, label: l }, keyAlgorithm: 'ecdsa-p256', keyLabel: labelOf(l), ...extra(i) }));

async function serve(d: string): Promise<{ server: Server; base: string }> {
  const http = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const m = /^\/metadata\/([^/]+\.json)$/.exec(path);
    const file = m ? join(d, m[1]!) : undefined;
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { server: http, base: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

interface MultiJson {
  ok: true;
  repositories: { name: string; profile: 'notary' | 'tuf'; dir: string; metadata: string[]; rootKeyIds: string[]; targetsKeyId: string }[];
  inventory: string;
  tokenSignatures: number;
  sealKeyId: string;
}

const GUNS = Array.from({ length: NOTARY_COUNT }, (_, i) => `registry.example.com/multi/app-${i}`);
const TUF_NAMES = Array.from({ length: TUF_COUNT }, (_, i) => `example.com/multi/tuf-${i}`);
let first: { out: string; summary: MultiJson; inventory: KeyInventory };

describe.skipIf(!existsSync(SOFTHSM))('one key set for many repositories, on three SoftHSM2 tokens', () => {
  it(`run: ${NOTARY_COUNT} Notary + ${TUF_COUNT} TUF repositories, one PIN per custodian, one transcript`, async () => {
    const d = join(dir, 'multi');
    mkdirSync(d, { recursive: true });
    const repositories = [...(await Promise.all(GUNS.map((g, i) => notaryEntry(d, g, i)))), ...TUF_NAMES.map((name) => ({ name, profile: 'tuf' }))];
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'notary',
      repositories,
      custodians: custodians((l) => `m-root-${l}`),
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'm-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'm-snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'm-timestamp' }, expires: year(1) },
    };
    const w = writeCeremony('multi', plan);
    prompts.length = 0;
    const r = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out, json: true }, io, runDeps()));
    expect(r.status, r.err.join('\n')).toBe(0);
    expect(prompts.sort()).toEqual([...NAMES].sort()); // one PIN per custodian for the whole session
    const summary = JSON.parse(r.out.join('')) as MultiJson;
    expect(summary.repositories.map((x) => x.name)).toEqual([...GUNS, ...TUF_NAMES]);
    expect(readdirSync(join(w.out, 'metadata'))).toHaveLength(NOTARY_COUNT + TUF_COUNT);
    expect(summary.repositories.every((x) => x.dir.startsWith('metadata/'))).toBe(true);
    const t = verifyTranscript(readBytes(w.out, 'state/transcript.jsonl'), { expectedSealKeyId: summary.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'repository.write')).toHaveLength(NOTARY_COUNT + TUF_COUNT);
    // Six keys on three tokens for ten repositories.
    expect(t.entries.filter((e) => e.step === 'key.generate')).toHaveLength(6);
    const inventory = parseInventory(readBytes(w.out, summary.inventory));
    first = { out: w.out, summary, inventory };
    // No PIN in any file of the ceremony.
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    for (const f of files(w.out)) expect(scanForSecrets(new Uint8Array(readFileSync(f)), Object.values(PINS)), f).toEqual([]);
  }, 600_000);

  it('the notary client lists a sample of the Notary repositories, trusting on first use and pinned', async () => {
    for (const repo of first.summary.repositories.filter((x) => x.profile === 'notary').slice(0, 2)) {
      const folder = join(first.out, repo.dir);
      const files = new Map(['root', 'targets', 'snapshot'].map((role) => [role, readBytes(folder, `${role}.json`)] as const));
      await publishOk(server.url, repo.name, files);
      for (const mode of ['tofu', 'pinned'] as const) {
        const client = clientInMode(mode, { serverUrl: server.url, gun: repo.name, dir: mkdtempSync(join(dir, `notary-${mode}-`)), rootCertKeyIds: repo.rootKeyIds });
        const list = await client.ok(['list', repo.name]);
        expect(parseNotaryList(list.stdout), `${mode} ${repo.name}`).toEqual([]);
        expect(readBytes(client.metadataDir(repo.name), 'root.json')).toEqual(files.get('root'));
      }
      // The root certificates name this GUN; their keys are the custodians' shared root keys.
      const root = parseMetadata(files.get('root')!, 'root', { maxBytes: 1 << 20, source: 'root.json' });
      const fps = root.signed.roles.get('root')!.keyids.map((id) => root.signed.keys.get(id)!.key.fingerprint).sort();
      const inventoryRoots = first.inventory.keys.filter((k) => k.label?.startsWith('m-root-')).map((k) => k.fingerprint).sort();
      expect(fps).toEqual(inventoryRoots);
    }
  }, 300_000);

  it('tuf-js follows a sample of the TUF repositories', async () => {
    for (const repo of first.summary.repositories.filter((x) => x.profile === 'tuf').slice(0, 2)) {
      const folder = join(first.out, repo.dir);
      const http = await serve(folder);
      const metadataDir = mkdtempSync(join(dir, 'tufjs-md-'));
      writeFileSync(join(metadataDir, 'root.json'), readBytes(folder, 'root.json'));
      try {
        const updater = new Updater({ metadataDir, targetDir: mkdtempSync(join(dir, 'tufjs-tg-')), metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
        await updater.refresh();
        expect(await updater.getTargetInfo('nothing.txt')).toBeUndefined();
        for (const role of ['timestamp', 'snapshot', 'targets']) expect(readBytes(metadataDir, `${role}.json`)).toEqual(readBytes(folder, `${role}.json`));
      } finally {
        await new Promise<void>((resolve) => http.server.close(() => resolve()));
      }
    }
  }, 300_000);

  it('a new repository reusing a custodian’s key without naming it is refused; naming it works', async () => {
    const gun = 'registry.example.com/multi/joined';
    const planFor = async (name: string, named: boolean) => {
      const d = join(dir, name);
      mkdirSync(d, { recursive: true });
      const existing = (i: number) => {
        if (!named) return {};
        const k = first.inventory.keys.find((x) => x.label === `m-root-${LABELS[i]}`)!;
        return { existingKey: { ckaId: k.ckaId!, fingerprint: k.fingerprint } };
      };
      return {
        format: 'tuf-ceremony-plan',
        version: 1,
        kind: 'root',
        profile: 'notary',
        repositories: [await notaryEntry(d, gun, 0)],
        custodians: custodians((l) => `m-root-${l}`, existing),
        root: { threshold: 2, expires: year(10) },
        targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: `${name}-targets` }, expires: year(3) },
        snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: `${name}-snapshot` }, expires: year(3) },
      };
    };
    const unnamed = writeCeremony('unnamed', await planFor('unnamed', false));
    const refused = await cli((io) => runCommand(unnamed.planPath, { bindings: unnamed.bindingsPath, out: unnamed.out }, io, runDeps()));
    expect(refused.status).toBe(3);
    expect(refused.err[0]).toMatch(/^error\[KEY_LABEL_EXISTS\]: .*labels are never reused/);
    expect(existsSync(join(unnamed.out, 'metadata'))).toBe(false);

    const named = writeCeremony('named', await planFor('named', true));
    const ok = await cli((io) => runCommand(named.planPath, { bindings: named.bindingsPath, out: named.out, json: true }, io, runDeps()));
    expect(ok.status, ok.err.join('\n')).toBe(0);
    const summary = JSON.parse(ok.out.join('')) as MultiJson;
    const root = parseMetadata(readBytes(join(named.out, summary.repositories[0]!.dir), 'root.json'), 'root', { maxBytes: 1 << 20, source: 'root.json' });
    const fps = root.signed.roles.get('root')!.keyids.map((id) => root.signed.keys.get(id)!.key.fingerprint).sort();
    expect(fps).toEqual(first.inventory.keys.filter((k) => k.label?.startsWith('m-root-')).map((k) => k.fingerprint).sort());
    const t = verifyTranscript(readBytes(named.out, 'state/transcript.jsonl'), { expectedSealKeyId: summary.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'key.existing')).toHaveLength(3);
    expect(t.entries.filter((e) => e.step === 'key.generate')).toHaveLength(2); // the new targets and snapshot keys
  }, 600_000);

  it('an interrupted run resumes: a half-written Notary repository keeps its root.json, and the notary client lists it pinned', async () => {
    const d = join(dir, 'resumed');
    mkdirSync(d, { recursive: true });
    const guns = ['registry.example.com/multi/resumed-0', 'registry.example.com/multi/resumed-1'];
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'notary',
      repositories: await Promise.all(guns.map((g, i) => notaryEntry(d, g, i))),
      custodians: custodians((l) => `r-root-${l}`),
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'r-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'r-snapshot' }, expires: year(3) },
    };
    const w = writeCeremony('resumed', plan);
    class Interrupted extends Error {}
    // Interrupted (a fault thrown) once repository 1 was written, before the transcript recorded it; its
    // targets.json and snapshot.json removed, as a kill between its files leaves it.
    const interrupted = await cli((io) =>
      runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, {
        ...runDeps(),
        fault: (p) => {
          if (p === `written:${guns[0]}`) throw new Interrupted('interrupted');
        },
      }),
    );
    expect(interrupted.status).not.toBe(0);
    const folder = join(w.out, 'metadata', 'registry.example.com%2Fmulti%2Fresumed-0');
    for (const n of ['targets.json', 'snapshot.json']) rmSync(join(folder, n));
    expect(readdirSync(folder)).toEqual(['root.json']);
    const rootBefore = readBytes(folder, 'root.json');
    prompts.length = 0;
    const r = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out, json: true }, io, runDeps()));
    expect(r.status, r.err.join('\n')).toBe(0);
    expect(prompts.sort()).toEqual([...NAMES].sort()); // one PIN per custodian in the resumed run
    const summary = JSON.parse(r.out.join('')) as MultiJson & { resumed: boolean };
    expect(summary.resumed).toBe(true);
    expect(readBytes(folder, 'root.json')).toEqual(rootBefore); // never a second root.json v1
    const t = verifyTranscript(readBytes(w.out, 'state/transcript.jsonl'), { expectedSealKeyId: summary.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'ceremony.resume')).toHaveLength(1);
    for (const repo of summary.repositories) {
      const files = new Map(['root', 'targets', 'snapshot'].map((role) => [role, readBytes(join(w.out, repo.dir), `${role}.json`)] as const));
      await publishOk(server.url, repo.name, files);
      const client = clientInMode('pinned', { serverUrl: server.url, gun: repo.name, dir: mkdtempSync(join(dir, 'notary-resumed-')), rootCertKeyIds: repo.rootKeyIds });
      const list = await client.ok(['list', repo.name]);
      expect(parseNotaryList(list.stdout), repo.name).toEqual([]);
      expect(readBytes(client.metadataDir(repo.name), 'root.json')).toEqual(files.get('root'));
    }
  }, 600_000);

  it('keys lists every key on the three tokens with its roles from the inventory', async () => {
    const r = await cli((io) => keysCommand({ module: 'softhsm2', inventory: join(first.out, first.summary.inventory), json: true }, io));
    expect(r.status, r.err.join('\n')).toBe(0);
    const listing = JSON.parse(r.out.join('')) as KeysListing;
    expect(listing.tokens.map((t) => t.token.label).sort()).toEqual([...LABELS]);
    const all = listing.tokens.flatMap((t) => t.keys.map((k) => ({ token: t.token.label, ...k })));
    // Every key the first ceremony made is on its custodian's token, with CKA_ID, fingerprint hex and words.
    for (const inv of first.inventory.keys.filter((k) => k.origin === 'token')) {
      const k = all.find((x) => x.fingerprint?.sha256 === inv.fingerprint);
      expect(k, inv.label).toBeDefined();
      expect(k!.token).toBe(inv.token!.label);
      expect(k!.ckaId).toBe(inv.ckaId);
      expect(k!.fingerprint!.words).toHaveLength(k!.fingerprint!.hex.length / 2); // one PGP word per byte shown
      expect(k!.custodian).toBe(inv.custodian);
      expect(k!.roles.length).toBeGreaterThan(0);
    }
    const aliceRoot = all.find((k) => k.label === 'm-root-alice')!;
    expect(aliceRoot.roles.map((x) => x.repository).sort()).toEqual([...GUNS, ...TUF_NAMES].sort());
    expect(aliceRoot.roles.filter((x) => x.profile === 'notary').every((x) => x.certificateExpires === year(10))).toBe(true);
    expect(all.find((k) => k.label === 'm-targets')!.roles).toHaveLength(NOTARY_COUNT + TUF_COUNT);
    expect(all.find((k) => k.label === 'm-timestamp')!.roles).toHaveLength(TUF_COUNT);
    // Keys of the later ceremony are on the tokens too, unknown to this inventory.
    expect(all.find((k) => k.label === 'named-targets')!.roles).toEqual([]);
    expect(listing.notOnTokens).toEqual([]);
    // Found on its own in the ceremony output folder (`--ceremony OUT`), and current for every repository's root.
    const found = await cli((io) => keysCommand({ module: 'softhsm2', ceremony: first.out, env: {}, json: true }, io));
    expect(found.status, found.err.join('\n')).toBe(0);
    const byFolder = JSON.parse(found.out.join('')) as KeysListing;
    expect(byFolder.inventorySource).toBe('ceremony-output');
    expect(byFolder.freshness.map((f) => f.repository).sort()).toEqual([...GUNS, ...TUF_NAMES].sort());
    expect(byFolder.freshness.every((f) => f.state === 'current' && f.found.version === 1)).toBe(true);
  }, 300_000);
});
