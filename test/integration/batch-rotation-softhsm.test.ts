/**
 * A batch rotation on SoftHSM2 tokens through the CLI (issue #17): 50 Notary and 50 TUF repositories share
 * the custodians' token keys (Notary: one certificate per GUN from each); one batch request replaces
 * Carol by Dave in all 100; Alice and Bob each run `sign BATCH --module softhsm2 … --expect-hash` once (one
 * PIN, one review for all 100); `merge` writes root v2 of every repository, each following its v1 (TUF 5.3.4).
 * Then a sample of the rotated repositories is followed by real clients: 3 Notary repositories (whose v1 roots
 * name the keys a notary-server on loopback — TLS and token auth, test/support/notary-tls.ts — made for them,
 * fetched with `server-keys get`) are published as v1, then their merged v2 root alone (snapshot and
 * timestamp are the server's), each with `tuf-ceremony publish` as the README's runbook says, and the `notary` client that cached v1 — trusting on
 * first use and pinned — follows to v2, as does a fresh client pinned to v1's root certificates; 3 TUF
 * repositories are served on loopback with the merged root as 2.root.json and tuf-js, trusting v1, updates
 * to it (TUF 5.3.4 – 5.3.10).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchCommand } from '../../src/cli/batch.js';
import { mergeCommand } from '../../src/cli/merge.js';
import { keysCommand, type KeysListing } from '../../src/cli/keys.js';
import { emptyInventory, inventoryBytes } from '../../src/ceremony/inventory.js';
import { recordRotatedRoot, rootInventoryRecord } from '../../src/ceremony/inventory-root.js';
import { createHash } from 'node:crypto';
import { signCommand } from '../../src/cli/sign.js';
import type { JsonObject } from '../../src/json/types.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { buildRotationPayload, buildSigningRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { listPublicKey, type ListedKey } from '../../src/signers/public-key-json.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../src/tuf/root-chain.js';
import { serializeMetadata, signMetadata } from '../../src/tuf/sign.js';
import { makeKey } from '../support/keys.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';
import { serveFiles } from '../support/file-server.js';
import { readTree, writeTree } from '../support/notary.js';
import { startTlsNotaryServer, type TlsNotaryServer } from '../support/notary-tls.js';
import { clientInMode, expectedList, notaryTargetsSigned, parseNotaryList, signNotary, type KeyEntry } from '../support/notary-publish.js';
import { publishCommand, serverKeysCommand, type ServerDeps } from '../../src/cli/publish.js';
import { metaEntry, sign, targetsSigned } from '../support/repo.js';
import { Updater } from 'tuf-js';
import { testServerDeps } from '../support/server-deps.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const NAMES = ['Alice', 'Bob', 'Carol', 'Dave'] as const;
const PINS: Record<string, string> = { ALICE_PIN: 'alice-batch-1111', BOB_PIN: 'bob-batch-2222', CAROL_PIN: 'carol-batch-3333', DAVE_PIN: 'dave-batch-4444' };
const YEAR = 365 * 24 * 3600 * 1000;
const now = Math.floor(Date.now() / 1000) * 1000;
const PER_PROFILE = 50;
const enabled = existsSync(SOFTHSM);
/** How many repositories of each profile real clients follow from v1 to the merged v2. */
const SAMPLE = 3;
const TARGETS = { 'app/v1.tar.gz': new TextEncoder().encode('app v1 bytes (batch sample)') };

let dir: string;
let savedConf: string | undefined;
const serials: Record<string, string> = {};
/** `v1`: the other files of a sampled repository's v1 (role → bytes), as published beside root v1. */
const repos: { profile: ProfileName; name: string; rootV1: Uint8Array; requestPath: string; rootKeyIds: string[]; v1?: Record<string, Uint8Array> }[] = [];
let server: TlsNotaryServer | undefined;
let merged: string;

const serverDeps = (): ServerDeps => testServerDeps({ registry: true });

/** `tuf-ceremony server-keys get --role ROLE` for `gun`: the key as root.json lists it. */
async function serverKey(gun: string, role: 'timestamp' | 'snapshot', file: string): Promise<KeyEntry> {
  const c = captureIo();
  expect(await serverKeysCommand('get', { server: server!.url, gun, role, caFile: server!.certs.caFile, tokenRealm: [server!.issuer.realm], out: file, json: true }, c.io, serverDeps()), c.err.join('\n')).toBe(0);
  const body = JSON.parse(readFileSync(file, 'utf8')) as { keytype: string; keyval: { public: string } };
  return { json: { keytype: body.keytype, keyval: { private: null, public: body.keyval.public } }, keyId: (JSON.parse(c.out.join('')) as { keyId: string }).keyId };
}

/** `tuf-ceremony publish DIR --server … --gun … --ca-file … --json`: what the server now serves is verified. */
async function publishDir(folder: string, gun: string): Promise<void> {
  const c = captureIo();
  const code = await publishCommand(folder, { server: server!.url, gun, caFile: server!.certs.caFile, tokenRealm: [server!.issuer.realm], json: true }, c.io, serverDeps());
  // Nothing on stderr but the line saying where the password from the environment goes (review 14a M1):
  // the test's token issuer, named with --token-realm.
  const notes = c.err.filter((l) => l.startsWith('note: the registry credentials'));
  expect([gun, code, c.err.filter((l) => !notes.includes(l)).join('\n')]).toEqual([gun, 0, '']);
  for (const n of notes) expect(n).toContain(`go to the token realm ${new URL(server!.issuer.realm).host}`);
  expect((JSON.parse(c.out.join('')) as { state: string }).state).toBe('published');
}

async function listedFor(profile: ProfileName, key: SigningKey, gun: string): Promise<ListedKey> {
  if (profile === 'notary') return (await makeNotaryRootCertificate(key, { gun, notBefore: new Date(now - 60_000), notAfter: new Date(now + 10 * YEAR) })).listed;
  return listPublicKey('tuf', key.spki);
}

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-batch-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  savedConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  server = await startTlsNotaryServer();
  for (const name of NAMES) execFileSync('softhsm2-util', ['--init-token', '--free', '--label', name.toLowerCase(), '--pin', PINS[`${name.toUpperCase()}_PIN`]!, '--so-pin', '12345678'], { env: process.env });
  const mod = await TokenModule.load(SOFTHSM);
  const sessions = [];
  try {
    for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
    const keys: Record<string, SigningKey> = {};
    for (const name of NAMES) {
      const session = await mod.openToken({ serial: serials[name.toLowerCase()]! });
      sessions.push(session);
      await session.login(PINS[`${name.toUpperCase()}_PIN`]!);
      keys[name] = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: `root-${name.toLowerCase()}` });
    }
    for (const profile of ['notary', 'tuf'] as const) {
      const other = { targets: await makeKey(profile, 'ecdsa-p256'), snapshot: await makeKey(profile, 'ecdsa-p256'), timestamp: await makeKey(profile, profile === 'notary' ? 'ed25519' : 'ecdsa-p256') };
      for (let i = 0; i < PER_PROFILE; i++) {
        const name = profile === 'notary' ? `registry.example.com/org/app-${i}` : `tuf-app-${i}`;
        const listed: Record<string, ListedKey> = {};
        for (const n of NAMES) listed[n] = await listedFor(profile, keys[n]!, name);
        const table: JsonObject = {};
        for (const k of [listed.Alice!, listed.Bob!, listed.Carol!]) table[k.keyId] = k.json;
        // A sampled Notary repository is published: its snapshot and timestamp keys are the server's.
        const sampled = i < SAMPLE;
        const serverKeys: { snapshot: KeyEntry; timestamp: KeyEntry } =
          profile === 'notary' && sampled ? { snapshot: await serverKey(name, 'snapshot', join(dir, `snapshot-${i}.key`)), timestamp: await serverKey(name, 'timestamp', join(dir, `timestamp-${i}.key`)) } : other;
        for (const k of [other.targets, serverKeys.snapshot, serverKeys.timestamp]) table[k.keyId] = k.json;
        const signed: JsonObject = {
          _type: profile === 'notary' ? 'Root' : 'root',
          consistent_snapshot: false,
          expires: formatExpires(new Date(now + 5 * YEAR)),
          keys: table,
          roles: {
            root: { keyids: [listed.Alice!.keyId, listed.Bob!.keyId, listed.Carol!.keyId], threshold: 2 },
            snapshot: { keyids: [serverKeys.snapshot.keyId], threshold: 1 },
            targets: { keyids: [other.targets.keyId], threshold: 1 },
            timestamp: { keyids: [serverKeys.timestamp.keyId], threshold: 1 },
          },
          version: 1,
          ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}),
        };
        const rootV1 = serializeMetadata(profile, await signMetadata(profile, signed, [metadataSigner(keys.Alice!, listed.Alice!), metadataSigner(keys.Bob!, listed.Bob!)]));
        const payload = buildRotationPayload(
          rootV1,
          { expires: formatExpires(new Date(now + 6 * YEAR)), root: { replace: [{ old: listed.Carol!.keyId, new: { json: listed.Dave!.json, name: 'Dave' }, reason: 'retired' }] } },
          { names: new Map(['Alice', 'Bob', 'Carol'].map((n) => [listed[n]!.keyId, n])) },
        );
        const requestPath = join(dir, `request-${profile}-${i}.json`);
        writeFileSync(requestPath, serializeSigningRequest(buildSigningRequest(payload, { repository: name })));
        let v1: Record<string, Uint8Array> | undefined;
        if (sampled && profile === 'notary') v1 = { targets: await signNotary(notaryTargetsSigned(1, TARGETS), [other.targets]) };
        if (sampled && profile === 'tuf') {
          const targets = await sign('tuf', targetsSigned('tuf', 1, TARGETS), [other.targets]);
          const snapshot = await sign('tuf', { _type: 'snapshot', spec_version: '1.0.31', version: 1, expires: formatExpires(new Date(now + 3 * YEAR)), meta: { 'targets.json': { version: 1 } } }, [other.snapshot]);
          const timestamp = await sign('tuf', { _type: 'timestamp', spec_version: '1.0.31', version: 1, expires: formatExpires(new Date(now + YEAR)), meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, [other.timestamp]);
          v1 = { targets, snapshot, timestamp };
        }
        const rootKeyIds = [listed.Alice!.keyId, listed.Bob!.keyId, listed.Carol!.keyId];
        repos.push({ profile, name, rootV1, requestPath, rootKeyIds, ...(v1 ? { v1 } : {}) });
      }
    }
  } finally {
    for (const s of sessions) await s.close();
  }
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (!enabled) return;
  if (savedConf === undefined) delete process.env.SOFTHSM2_CONF;
  else process.env.SOFTHSM2_CONF = savedConf;
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)('batch rotation of 50 Notary + 50 TUF repositories on SoftHSM2 tokens (CLI batch / sign / merge)', () => {
  it('one review and one hash for all 100; each co-signer signs once; merged per repository', async () => {
    const batchPath = join(dir, 'batch.json');
    let c = captureIo();
    expect(await batchCommand(repos.map((r) => r.requestPath), { out: batchPath, json: true }, c.io)).toBe(0);
    const made = JSON.parse(c.out.join('\n')) as { shortHash: string; repositories: number; summary: { change: string[]; repositories: unknown[] }; exceptions: unknown[] };
    expect(made.repositories).toBe(2 * PER_PROFILE);
    expect(made.summary.repositories).toHaveLength(2 * PER_PROFILE);
    expect(made.exceptions).toEqual([]);
    expect(made.summary.change[0]).toMatch(/^root key "Carol" \(fingerprint [0-9a-f ]+\) replaced by "Dave" \(fingerprint [0-9a-f ]+\) — retired$/);

    const signDeps = tokenSignDeps(PINS);
    const responses: string[] = [];
    for (const name of ['Bob', 'Alice'] as const) {
      c = captureIo();
      const out = join(dir, `${name.toLowerCase()}.json`);
      const status = await signCommand(batchPath, { out, module: 'softhsm2', token: serials[name.toLowerCase()]!, label: `root-${name.toLowerCase()}`, pinEnv: `${name.toUpperCase()}_PIN`, expectHash: made.shortHash }, c.io, signDeps);
      expect([name, status, c.err]).toEqual([name, 0, []]);
      expect(c.out.join('\n')).toContain(`In ${2 * PER_PROFILE} repositories: root key "Carol"`);
      expect(c.out.join('\n')).toContain(`signatures for ${2 * PER_PROFILE} of ${2 * PER_PROFILE} repositories`);
      responses.push(out);
    }
    // Bob alone meets neither 2-of-3 threshold anywhere: refused, nothing written.
    c = captureIo();
    merged = join(dir, 'merged');
    expect(await mergeCommand(batchPath, responses.slice(0, 1), { out: merged }, c.io)).toBe(1);
    expect(c.err[0]).toMatch(new RegExp(`^error\\[THRESHOLD_NOT_MET\\]: the batch is not complete: 0 of ${2 * PER_PROFILE} repositories complete`));
    // The key inventory as it stood for v1 (custodians named, each v1 root recorded): the merge keeps it up to date.
    const inventoryPath = join(dir, 'key-inventory.json');
    const inventory = emptyInventory(new Date(now));
    for (const r of repos) {
      const v1 = parseMetadata(r.rootV1, 'root', { maxBytes: 1 << 20, source: 'v1' });
      recordRotatedRoot(inventory, rootInventoryRecord(r.name, r.profile, v1.signed, '', createHash('sha256').update(r.rootV1).digest('hex')), new Date(now), new Map(r.rootKeyIds.map((id, i) => [id, NAMES[i]!])));
    }
    writeFileSync(inventoryPath, inventoryBytes(inventory));
    c = captureIo();
    expect(await mergeCommand(batchPath, responses, { out: merged, json: true, inventory: inventoryPath }, c.io)).toBe(0);
    const report = JSON.parse(c.out.join('\n')) as { final: boolean; status: string };
    expect(report.final).toBe(true);
    expect(report.status).toBe(`${2 * PER_PROFILE} of ${2 * PER_PROFILE} repositories complete`);
    for (const r of repos) {
      const v1 = parseMetadata(r.rootV1, 'root', { maxBytes: 1 << 20, source: 'v1' });
      const v2 = parseMetadata(readFileSync(join(merged, r.name, 'root.json')), 'root', { maxBytes: 1 << 20, source: 'v2' });
      expect(v2.profile.name).toBe(r.profile);
      expect(() => verifyRootUpdate(v1, v2)).not.toThrow();
    }
    // `keys` on the SoftHSM2 tokens (issue #17 acceptance): every custodian key with its roles after the
    // rotation — Alice, Bob and Dave hold root in all 100 repositories, Carol's key none any more.
    c = captureIo();
    expect(await keysCommand({ module: 'softhsm2', inventory: inventoryPath, json: true }, c.io), c.err.join('\n')).toBe(0);
    const listing = JSON.parse(c.out.join('\n')) as KeysListing;
    const onTokens = listing.tokens.flatMap((t) => t.keys.map((k) => ({ token: t.token.label, ...k })));
    const all = repos.map((r) => r.name).sort();
    for (const name of NAMES) {
      const k = onTokens.find((x) => x.label === `root-${name.toLowerCase()}`);
      expect(k, name).toBeDefined();
      expect(k!.token).toBe(name.toLowerCase());
      expect(k!.fingerprint!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(k!.custodian).toBe(name);
      if (name === 'Carol') expect(k!.roles).toEqual([]);
      else expect(k!.roles.filter((x) => x.role === 'root').map((x) => x.repository).sort()).toEqual(all);
    }
    const dave = onTokens.find((x) => x.label === 'root-dave')!;
    expect(dave.roles.filter((x) => x.profile === 'notary').every((x) => x.certificateExpires !== undefined)).toBe(true);
  }, 300_000);

  it('notary clients follow a sample of the rotated Notary repositories from v1 to the merged v2', async () => {
    const sample = repos.filter((r) => r.profile === 'notary' && r.v1);
    expect(sample).toHaveLength(SAMPLE);
    for (const r of sample) {
      const v1Dir = join(dir, 'v1', r.name);
      writeTree(v1Dir, new Map([['root.json', r.rootV1], ['targets.json', r.v1!.targets!]]));
      await publishDir(v1Dir, r.name);
      const cached = (['tofu', 'pinned'] as const).map((mode) => ({ mode, client: clientInMode(mode, { serverUrl: server!.url, gun: r.name, dir: mkdtempSync(join(dir, `notary-${mode}-`)), rootCertKeyIds: r.rootKeyIds }) }));
      for (const { mode, client } of cached) {
        expect([mode, parseNotaryList((await client.ok(['--tlscacert', server!.certs.caFile, 'list', r.name])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
        expect(Buffer.from(readTree(client.metadataDir(r.name)).get('root.json')!).equals(Buffer.from(r.rootV1)), `${mode} ${r.name}: cached v1`).toBe(true);
      }
      // Root v2 alone: the keys of targets, snapshot and timestamp are unchanged, the server re-signs the rest.
      const rootV2 = new Uint8Array(readFileSync(join(merged, r.name, 'root.json')));
      await publishDir(join(merged, r.name), r.name);
      for (const { mode, client } of cached) {
        expect([mode, parseNotaryList((await client.ok(['--tlscacert', server!.certs.caFile, 'list', r.name])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
        expect(Buffer.from(readTree(client.metadataDir(r.name)).get('root.json')!).equals(Buffer.from(rootV2)), `${mode} ${r.name}: cached v2`).toBe(true);
      }
      // A fresh client pinned to v1's root certificates (Carol's among them) accepts v2, signed by Alice and Bob.
      const fresh = clientInMode('pinned', { serverUrl: server!.url, gun: r.name, dir: mkdtempSync(join(dir, 'notary-fresh-')), rootCertKeyIds: r.rootKeyIds });
      expect(parseNotaryList((await fresh.ok(['--tlscacert', server!.certs.caFile, 'list', r.name])).stdout)).toEqual(expectedList(TARGETS));
      expect(Buffer.from(readTree(fresh.metadataDir(r.name)).get('root.json')!).equals(Buffer.from(rootV2))).toBe(true);
    }
  }, 300_000);

  it('tuf-js trusting v1 updates to the merged v2 root for a sample of the TUF repositories', async () => {
    const sample = repos.filter((r) => r.profile === 'tuf' && r.v1);
    expect(sample).toHaveLength(SAMPLE);
    for (const r of sample) {
      const rootV2 = new Uint8Array(readFileSync(join(merged, r.name, 'root.json')));
      const files = new Map<string, Uint8Array>([
        ['/metadata/1.root.json', r.rootV1],
        ['/metadata/2.root.json', rootV2],
        ...Object.entries(r.v1!).map(([role, bytes]) => [`/metadata/${role}.json`, bytes] as [string, Uint8Array]),
        ...Object.entries(TARGETS).map(([name, bytes]) => [`/targets/${name}`, bytes] as [string, Uint8Array]),
      ]);
      const http = await serveFiles(files);
      try {
        const metadataDir = mkdtempSync(join(dir, 'tufjs-md-'));
        writeFileSync(join(metadataDir, 'root.json'), r.rootV1);
        const updater = new Updater({ metadataDir, targetDir: mkdtempSync(join(dir, 'tufjs-tg-')), metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
        await updater.refresh();
        expect(http.requests.slice(0, 2), r.name).toEqual(['/metadata/2.root.json', '/metadata/3.root.json']);
        expect(Buffer.from(readFileSync(join(metadataDir, 'root.json'))).equals(Buffer.from(rootV2)), `${r.name}: trusted root is v2`).toBe(true);
        const info = await updater.getTargetInfo('app/v1.tar.gz');
        expect(info?.length).toBe(TARGETS['app/v1.tar.gz'].length);
        const path = await updater.downloadTarget(info!);
        expect(new Uint8Array(readFileSync(path))).toEqual(TARGETS['app/v1.tar.gz']);
      } finally {
        await http.close();
      }
    }
  }, 300_000);
});
