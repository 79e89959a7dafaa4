/**
 * Metadata made by OUR code (software keys from src/signers, certificates from makeNotaryRootCertificate,
 * signMetadata + serializeMetadata in the Notary profile), published to a real notary-server on loopback
 * and read back by the real notary client (Debian notary 0.7) in its three trust modes — issue #4's
 * acceptance, and the ground the ceremony test (ceremony-notary.test.ts) stands on.
 *
 * Two ways of holding the snapshot key are covered, since both are Notary deployments:
 * A. the snapshot key is ours (offline): every upload carries a snapshot signed by it;
 * B. the server holds it: root.json lists the key `GET …/snapshot.key` answered, uploads carry no snapshot.
 * Delegations are added both by the notary client (holding our targets key, imported) and by our code.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRepositoryDir } from '../../src/io/files.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { makeDelegationCert, notaryClient, readTree, startNotaryServer, writeClientConfig, type NotaryClient, type NotaryServer } from '../support/notary.js';
import {
  TRUST_MODES,
  clientInMode,
  delegationKeyFromCert,
  expectedList,
  fetchServerKey,
  notaryRootSigned,
  notarySnapshotSigned,
  notaryTargetsSigned,
  ourKey,
  ourRootKey,
  parseNotaryList,
  publish,
  publishOk,
  sec1PemOf,
  signNotary,
  type KeyEntry,
  type OurKey,
  type OurRootKey,
  type TrustMode,
} from '../support/notary-publish.js';

const enc = new TextEncoder();
const DELEGATION = 'targets/releases';
const V1_TARGETS = { 'app/v1.tar.gz': enc.encode('app v1 bytes'), 'docs/readme.txt': enc.encode('read me first\n') };
const V2_TARGETS = { ...V1_TARGETS, 'app/v2.tar.gz': enc.encode('app v2 bytes, a little longer') };

const sha256b64 = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');
const parse = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8')) as { signed: Record<string, unknown>; signatures: { keyid: string; method: string }[] };

/** One GUN's keys and the files we made for it. */
interface Repo {
  gun: string;
  rootKeys: OurRootKey[];
  targetsKey: OurKey;
  /** Case A: our snapshot key; case B: undefined (the server's). */
  snapshotKey?: OurKey;
  timestamp: KeyEntry;
  snapshot: KeyEntry;
  root: Uint8Array;
  /** Clients by trust mode, created at the first listing and kept (their caches carry over). */
  clients: Map<TrustMode, NotaryClient>;
}

describe('our Notary metadata on a real notary-server, read by the real notary client', () => {
  let server: NotaryServer;
  let work: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);

  /** Three root keys (certificate CN = GUN), 2-of-3, signed by the first two; our targets key. */
  async function makeRepo(gun: string, snapshotHeld: boolean): Promise<Repo> {
    const rootKeys = await Promise.all([1, 2, 3].map(() => ourRootKey(gun)));
    const targetsKey = ourKey();
    const snapshotKey = snapshotHeld ? ourKey() : undefined;
    const timestamp = await fetchServerKey(server.url, gun, 'timestamp');
    const snapshot = snapshotKey ?? (await fetchServerKey(server.url, gun, 'snapshot'));
    const signed = notaryRootSigned({ version: 1, root: rootKeys, rootThreshold: 2, targets: [targetsKey], snapshot: [snapshot], timestamp: [timestamp] });
    const root = await signNotary(signed, rootKeys.slice(0, 2).map((k) => k.signer));
    return { gun, rootKeys, targetsKey, snapshotKey, timestamp, snapshot, root, clients: new Map() };
  }

  const client = (repo: Repo, mode: TrustMode) => {
    let c = repo.clients.get(mode);
    if (!c) {
      c = clientInMode(mode, { serverUrl: server.url, gun: repo.gun, dir: fresh(`${mode}`), rootCertKeyIds: repo.rootKeys.map((k) => k.keyId), rootBytes: repo.root });
      repo.clients.set(mode, c);
    }
    return c;
  };

  /** `notary list GUN` in every trust mode (the kept clients, plus fresh ones when asked). */
  async function listEverywhere(repo: Repo, opts: { freshToo?: boolean } = {}) {
    const out: Record<string, ReturnType<typeof parseNotaryList>> = {};
    const clients: [string, NotaryClient][] = TRUST_MODES.map((m) => [m, client(repo, m)]);
    if (opts.freshToo) {
      for (const m of TRUST_MODES) {
        clients.push([`fresh ${m}`, clientInMode(m, { serverUrl: server.url, gun: repo.gun, dir: fresh(`fresh-${m}`), rootCertKeyIds: repo.rootKeys.map((k) => k.keyId), rootBytes: repo.root })]);
      }
    }
    for (const [name, c] of clients) out[name] = parseNotaryList((await c.ok(['list', repo.gun])).stdout);
    return out;
  }

  const same = (lists: Record<string, unknown>, expected: unknown) => Object.fromEntries(Object.keys(lists).map((k) => [k, expected]));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-notary-publish-'));
    server = await startNotaryServer();
  });

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('GET …/timestamp.key and …/snapshot.key: ed25519; before a root exists, every GET makes a new key', async () => {
    const gun = 'registry.example.com/tuf-ceremony/keys-only';
    const [t1, t2, s1] = [await fetchServerKey(server.url, gun, 'timestamp'), await fetchServerKey(server.url, gun, 'timestamp'), await fetchServerKey(server.url, gun, 'snapshot')];
    for (const k of [t1, t2, s1]) expect(k.json).toMatchObject({ keytype: 'ed25519', keyval: { private: null } });
    expect(JSON.parse(Buffer.from(t1.body).toString('utf8'))).toEqual({ keytype: 'ed25519', keyval: { public: expect.any(String), private: null } });
    expect(new Set([t1.keyId, t2.keyId, s1.keyId]).size).toBe(3);
    expect((await server.get(`/v2/${gun}/_trust/tuf/targets.key`)).status).toBe(404);
  });

  describe('A: we hold the snapshot key (uploads carry snapshot.json)', () => {
    let repo: Repo;
    let targets1: Uint8Array;
    let snapshot1: Uint8Array;

    beforeAll(async () => {
      repo = await makeRepo('registry.example.com/tuf-ceremony/held-snapshot', true);
      targets1 = await signNotary(notaryTargetsSigned(1, V1_TARGETS), [repo.targetsKey.signer]);
      snapshot1 = await signNotary(notarySnapshotSigned(1, { root: repo.root, targets: targets1 }), [repo.snapshotKey!.signer]);
    });

    it('v1 (root 2-of-3 + targets + snapshot) is accepted; all three trust modes list exactly our targets and cache our bytes', async () => {
      await publishOk(server.url, repo.gun, { root: repo.root, targets: targets1, snapshot: snapshot1 });
      const lists = await listEverywhere(repo);
      expect(lists).toEqual(same(lists, expectedList(V1_TARGETS)));
      for (const mode of TRUST_MODES) {
        const cached = readTree(client(repo, mode).metadataDir(repo.gun));
        expect([...cached.keys()].sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
        expect(Buffer.from(cached.get('root.json')!).equals(Buffer.from(repo.root)), `${mode} root.json`).toBe(true);
        expect(Buffer.from(cached.get('targets.json')!).equals(Buffer.from(targets1)), `${mode} targets.json`).toBe(true);
        expect(Buffer.from(cached.get('snapshot.json')!).equals(Buffer.from(snapshot1)), `${mode} snapshot.json`).toBe(true);
        // The timestamp is the server's, signed with the key our root lists.
        const ts = parse(cached.get('timestamp.json')!);
        expect(ts.signatures).toEqual([{ keyid: repo.timestamp.keyId, method: 'eddsa', sig: expect.any(String) }]);
      }
      // What the client cached verifies with our core too, from our root.
      const repoFiles = await readRepositoryDir(client(repo, 'tofu').metadataDir(repo.gun));
      const verified = verifyRepository(repoFiles, { trustedRoot: repo.root, now: new Date(), gun: repo.gun, requireComplete: true });
      expect(verified.rootResult).toMatchObject({ verified: true, threshold: 2 });
      expect([...verified.targets!.md.signed.targets.keys()].sort()).toEqual(Object.keys(V1_TARGETS).sort());
    });

    it('a targets-only upload is refused: the server does not hold this snapshot key', async () => {
      const targets = await signNotary(notaryTargetsSigned(2, V2_TARGETS), [repo.targetsKey.signer]);
      const r = await publish(server.url, repo.gun, { targets });
      expect(r.status).toBe(400);
      expect(r.body).toContain('no snapshot was included in update and server does not hold current snapshot key for repository');
    });

    it('v2 (targets + snapshot): the clients with v1 cached, and fresh ones, list the new targets', async () => {
      const targets2 = await signNotary(notaryTargetsSigned(2, V2_TARGETS), [repo.targetsKey.signer]);
      const snapshot2 = await signNotary(notarySnapshotSigned(2, { root: repo.root, targets: targets2 }), [repo.snapshotKey!.signer]);
      await publishOk(server.url, repo.gun, { targets: targets2, snapshot: snapshot2 });
      const lists = await listEverywhere(repo, { freshToo: true });
      expect(lists).toEqual(same(lists, expectedList(V2_TARGETS)));
      // Publishing the same version again is refused.
      const again = await publish(server.url, repo.gun, { targets: targets2, snapshot: snapshot2 });
      expect(again.status).toBe(400);
      expect(again.body).toContain('"code":"VERSION"');
    });

    it('a delegation added by our code: the delegate needs the snapshot key as well to publish', async () => {
      const { keyPem, certPem } = makeDelegationCert(fresh('delegate-a'), 'releaser-a');
      const delegateKey = delegationKeyFromCert(certPem);
      const targets3 = await signNotary(notaryTargetsSigned(3, V2_TARGETS, [{ name: DELEGATION, keys: [delegateKey] }]), [repo.targetsKey.signer]);
      const snapshot3 = await signNotary(notarySnapshotSigned(3, { root: repo.root, targets: targets3 }), [repo.snapshotKey!.signer]);
      await publishOk(server.url, repo.gun, { targets: targets3, snapshot: snapshot3 });

      const delegate = clientInMode('tofu', { serverUrl: server.url, gun: repo.gun, dir: fresh('delegate-a') });
      await delegate.ok(['key', 'import', keyPem, '-r', DELEGATION]);
      const payload = join(work, 'release-a.bin');
      writeFileSync(payload, 'release a bytes');
      const refused = await delegate.run(['add', '-p', repo.gun, 'releases/a.tar.gz', payload, '-r', DELEGATION]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('no snapshot was included in update and server does not hold current snapshot key for repository');
      // With our snapshot key imported, the staged change publishes.
      const snapshotPem = join(work, 'snapshot-a.pem');
      writeFileSync(snapshotPem, sec1PemOf(repo.snapshotKey!.key), { mode: 0o600 });
      await delegate.ok(['key', 'import', snapshotPem, '--role', 'snapshot', '--gun', repo.gun]);
      await delegate.ok(['publish', repo.gun]);
      const expected = [...expectedList(V2_TARGETS), ...expectedList({ 'releases/a.tar.gz': enc.encode('release a bytes') }, DELEGATION)].sort((a, b) => (a.name < b.name ? -1 : 1));
      const lists = await listEverywhere(repo);
      expect(lists).toEqual(same(lists, expected));
    });
  });

  describe('B: the server holds the snapshot key (root.json lists the key GET …/snapshot.key answered)', () => {
    let repo: Repo;
    let targets1: Uint8Array;

    beforeAll(async () => {
      repo = await makeRepo('registry.example.com/tuf-ceremony/server-snapshot', false);
      targets1 = await signNotary(notaryTargetsSigned(1, V1_TARGETS), [repo.targetsKey.signer]);
    });

    it('refused uploads: root without targets; root signed by 1 of 2; a timestamp or snapshot key the server does not hold', async () => {
      const expectRefused = async (files: Record<string, Uint8Array>, text: string) => {
        const r = await publish(server.url, repo.gun, files);
        expect(r.status, r.body).toBe(400);
        expect(r.body).toContain(text);
      };
      await expectRefused({ root: repo.root }, 'targets must be loaded first');
      const spec = { version: 1, root: repo.rootKeys, rootThreshold: 2, targets: [repo.targetsKey], snapshot: [repo.snapshot], timestamp: [repo.timestamp] };
      const oneSig = await signNotary(notaryRootSigned(spec), [repo.rootKeys[0]!.signer]);
      await expectRefused({ root: oneSig, targets: targets1 }, 'failed to validate integrity of roots');
      const strangerTs = await signNotary(notaryRootSigned({ ...spec, timestamp: [ourKey()] }), repo.rootKeys.slice(0, 2).map((k) => k.signer));
      await expectRefused({ root: strangerTs, targets: targets1 }, 'timestamp keys exist on the server');
      const strangerSn = await signNotary(notaryRootSigned({ ...spec, snapshot: [ourKey()] }), repo.rootKeys.slice(0, 2).map((k) => k.signer));
      await expectRefused({ root: strangerSn, targets: targets1 }, 'server does not hold current snapshot key');
    });

    it('v1 (root + targets) is accepted; the server signs a snapshot over our exact bytes; all three modes list our targets', async () => {
      await publishOk(server.url, repo.gun, { root: repo.root, targets: targets1 });
      const snapshot = parse(await server.tufFile(repo.gun, 'snapshot.json'));
      expect(snapshot.signatures).toEqual([{ keyid: repo.snapshot.keyId, method: 'eddsa', sig: expect.any(String) }]);
      const meta = snapshot.signed.meta as Record<string, { length: number; hashes: { sha256: string } }>;
      expect(meta.root).toMatchObject({ length: repo.root.length, hashes: { sha256: sha256b64(repo.root) } });
      expect(meta.targets).toMatchObject({ length: targets1.length, hashes: { sha256: sha256b64(targets1) } });
      // Once a root names them, the key endpoints answer those keys (no new ones).
      expect((await fetchServerKey(server.url, repo.gun, 'timestamp')).keyId).toBe(repo.timestamp.keyId);
      expect((await fetchServerKey(server.url, repo.gun, 'snapshot')).keyId).toBe(repo.snapshot.keyId);

      const lists = await listEverywhere(repo);
      expect(lists).toEqual(same(lists, expectedList(V1_TARGETS)));
      const cached = readTree(client(repo, 'seeded').metadataDir(repo.gun));
      expect(Buffer.from(cached.get('root.json')!).equals(Buffer.from(repo.root))).toBe(true);
      expect(Buffer.from(cached.get('targets.json')!).equals(Buffer.from(targets1))).toBe(true);
    });

    it('v2 (targets only): the clients with v1 cached, and fresh ones, list the new targets', async () => {
      const targets2 = await signNotary(notaryTargetsSigned(2, V2_TARGETS), [repo.targetsKey.signer]);
      await publishOk(server.url, repo.gun, { targets: targets2 });
      const lists = await listEverywhere(repo, { freshToo: true });
      expect(lists).toEqual(same(lists, expectedList(V2_TARGETS)));
    });

    it('trust_pinning.certs on a 2-of-3 root: the pinned certificates must include a threshold of the signers', async () => {
      const [k1, k2, k3] = repo.rootKeys.map((k) => k.keyId) as [string, string, string];
      const attempt = (ids: string[]) => clientInMode('pinned', { serverUrl: server.url, gun: repo.gun, dir: fresh('pin'), rootCertKeyIds: ids }).run(['list', repo.gun]);
      // k1 and k2 signed root v1; k3 did not.
      for (const ids of [[k1], [k3], [k1, k3]]) {
        const r = await attempt(ids);
        expect(r.code, ids.join(',')).toBe(1);
        expect(r.stdout).toContain('failed to validate integrity of roots');
      }
      const two = await attempt([k1, k2]);
      expect(two.code, two.stdout).toBe(0);
      expect(parseNotaryList(two.stdout)).toEqual(expectedList(V2_TARGETS));
      // disable_tofu with neither pins nor a seeded root: refused.
      const trustDir = fresh('no-trust');
      mkdirSync(trustDir, { recursive: true });
      const cfg = writeClientConfig(join(trustDir, 'config.json'), { trustDir, serverUrl: server.url, trustPinning: { disable_tofu: true } });
      const none = await notaryClient({ serverUrl: server.url, trustDir, configFile: cfg }).run(['list', repo.gun]);
      expect(none.code).toBe(1);
      expect(none.stdout).toContain('invalid trust pinning specified');
    });

    it('a delegation added by the notary client holding our targets key; the delegate publishes; all modes list it', async () => {
      const admin = clientInMode('tofu', { serverUrl: server.url, gun: repo.gun, dir: fresh('admin-b') });
      const targetsPem = join(work, 'targets-b.pem');
      writeFileSync(targetsPem, sec1PemOf(repo.targetsKey.key), { mode: 0o600 });
      await admin.ok(['key', 'import', targetsPem, '--role', 'targets', '--gun', repo.gun]);
      const keys = await admin.ok(['key', 'list']);
      expect(keys.stdout).toMatch(new RegExp(`targets\\s+\\S+\\s+${repo.targetsKey.keyId}`));

      const { keyPem, certPem } = makeDelegationCert(fresh('delegate-b'), 'releaser-b');
      await admin.ok(['delegation', 'add', '-p', repo.gun, DELEGATION, certPem, '--all-paths']);
      const targets = parse(await server.tufFile(repo.gun, 'targets.json'));
      expect(targets.signed.version).toBe(3);
      expect(targets.signatures.map((s) => s.keyid)).toEqual([repo.targetsKey.keyId]);
      const delegateKey = delegationKeyFromCert(certPem);
      expect(targets.signed.delegations).toEqual({ keys: { [delegateKey.keyId]: delegateKey.json }, roles: [{ keyids: [delegateKey.keyId], name: DELEGATION, paths: [''], threshold: 1 }] });

      // The delegate holds only its own key.
      const delegate = clientInMode('tofu', { serverUrl: server.url, gun: repo.gun, dir: fresh('delegate-b') });
      await delegate.ok(['key', 'import', keyPem, '-r', DELEGATION]);
      const payload = join(work, 'release-b.bin');
      writeFileSync(payload, 'release b bytes');
      await delegate.ok(['add', '-p', repo.gun, 'releases/b.tar.gz', payload, '-r', DELEGATION]);

      const expected = [...expectedList(V2_TARGETS), ...expectedList({ 'releases/b.tar.gz': readFileSync(payload) }, DELEGATION)].sort((a, b) => (a.name < b.name ? -1 : 1));
      const lists = await listEverywhere(repo, { freshToo: true });
      expect(lists).toEqual(same(lists, expected));

      // Our core verifies what the client cached (notary re-signed targets with our key; its delegate signed releases).
      const files = await readRepositoryDir(client(repo, 'pinned').metadataDir(repo.gun));
      const verified = verifyRepository(files, { trustedRoot: repo.root, now: new Date(), gun: repo.gun, requireComplete: true });
      expect(verified.delegated.get(DELEGATION)?.result).toMatchObject({ verified: true, signed: [delegateKey.keyId] });
    });
  });

  describe('C: the server holds the snapshot key, the delegation is added by our code (the ceremony path)', () => {
    it('targets v2 with targets/releases signed by our targets key; the delegate holding only its key publishes', async () => {
      const repo = await makeRepo('registry.example.com/tuf-ceremony/our-delegation', false);
      await publishOk(server.url, repo.gun, { root: repo.root, targets: await signNotary(notaryTargetsSigned(1, V1_TARGETS), [repo.targetsKey.signer]) });
      const { keyPem, certPem } = makeDelegationCert(fresh('delegate-c'), 'releaser-c');
      const delegateKey = delegationKeyFromCert(certPem);
      const targets2 = await signNotary(notaryTargetsSigned(2, V1_TARGETS, [{ name: DELEGATION, keys: [delegateKey] }]), [repo.targetsKey.signer]);
      await publishOk(server.url, repo.gun, { targets: targets2 });

      const delegate = clientInMode('tofu', { serverUrl: server.url, gun: repo.gun, dir: fresh('delegate-c') });
      await delegate.ok(['key', 'import', keyPem, '-r', DELEGATION]);
      const payload = join(work, 'release-c.bin');
      writeFileSync(payload, 'release c bytes');
      await delegate.ok(['add', '-p', repo.gun, 'releases/c.tar.gz', payload, '-r', DELEGATION]);
      // notary signed the delegated role and left targets.json as we made it.
      expect(Buffer.from(await server.tufFile(repo.gun, 'targets.json')).equals(Buffer.from(targets2))).toBe(true);

      const expected = [...expectedList(V1_TARGETS), ...expectedList({ 'releases/c.tar.gz': readFileSync(payload) }, DELEGATION)].sort((a, b) => (a.name < b.name ? -1 : 1));
      const lists = await listEverywhere(repo);
      expect(lists).toEqual(same(lists, expected));
    });
  });
});
