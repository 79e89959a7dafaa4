/**
 * PRODUCT.md §4 for the ceremony: a Notary repository made by `tuf-ceremony rehearse` (root 2-of-3 on
 * three SoftHSM2 rehearsal tokens + a Shamir-split software root key, targets key on Alice's token,
 * snapshot key on Bob's, timestamp = the key a real notary-server gave us) is published to that server and
 * accepted by the real notary client in its three trust modes; then a delegation is added by our code,
 * signed by the ceremony's own targets (and snapshot) keys through their tokens. With the snapshot key on
 * a token the delegate cannot publish (notary needs the snapshot key or a server that holds it), so a
 * root v2 made by our code — signed by two of the ceremony's root keys on their tokens — hands the snapshot
 * role to the server's key, after which the delegate's `notary publish` goes through and every trust mode
 * (with root v1 cached) lists the delegated target.
 *
 * Why our code adds the delegation, not `notary delegation add`: the ceremony's targets key is on a token
 * (non-extractable), so it cannot be imported into the notary client. Rehearsal tokens are closed when
 * `rehearse` returns, so this file keeps them open: it loads the SoftHSM2 module itself (rehearse then uses
 * it and leaves its token folder alone) and wraps `openRehearsalTokens` so the tokens' `close()` waits for
 * the end of the test (TEAM-NOTES, "notary publish → ceremony", request 2).
 */
import { outPath } from '../support/ceremony-out.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { readRepositoryDir } from '../../src/io/files.js';
import { moduleFileExists, prepareSoftHsmDir } from '../../src/io/softhsm.js';
import type { JsonObject } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import type { TokenModule } from '../../src/signers/pkcs11/token.js';
import { listPublicKey, type ListedKey } from '../../src/signers/public-key-json.js';
import { loadRehearsalSoftHsm, type RehearsalToken } from '../../src/signers/rehearsal.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { makeDelegationCert, readTree, startNotaryServer, type NotaryClient, type NotaryServer } from '../support/notary.js';
import {
  TRUST_MODES,
  ceremonyFiles,
  clientInMode,
  delegationKeyFromCert,
  expectedList,
  fetchServerKey,
  notarySnapshotSigned,
  notaryTargetsSigned,
  parseNotaryList,
  publish,
  publishOk,
  saveServerKey,
  signNotary,
} from '../support/notary-publish.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const GUN = 'registry.example.com/tuf-ceremony/rehearsed';
const DELEGATION = 'targets/releases';

/** The rehearsal tokens rehearse opened, kept logged in until afterAll (see the file comment). */
const kept = vi.hoisted(() => ({ tokens: [] as RehearsalToken[] }));

vi.mock('../../src/signers/rehearsal.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/signers/rehearsal.js')>();
  return {
    ...real,
    openRehearsalTokens: async (opts: Parameters<typeof real.openRehearsalTokens>[0]) => {
      const tokens = await real.openRehearsalTokens(opts);
      kept.tokens.push(...tokens);
      return tokens.map(
        (t): RehearsalToken => ({
          rehearsal: t.rehearsal,
          kind: t.kind,
          notice: t.notice,
          token: t.token,
          custodian: t.custodian,
          generateKey: (algorithm, label) => t.generateKey(algorithm, label),
          findKey: (label, fingerprint) => t.findKey(label, fingerprint),
          close: async () => undefined,
        }),
      );
    },
  };
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const parse = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8')) as { signed: JsonObject; signatures: { keyid: string; method: string }[] };

interface RehearseJson {
  ok: true;
  rehearsal: string;
  files: { root: string; targets: string; snapshot: string | null; timestamp: string | null };
  rootKeyIds: string[];
  targetsKeyId: string;
  snapshotKeyId: string;
  timestampKeyId: string;
  timestampKeySource: string;
}

describe.skipIf(!moduleFileExists(SOFTHSM))('a rehearsed Notary ceremony, published to a real notary-server', () => {
  let server: NotaryServer;
  let work: string;
  let softhsm: TokenModule;
  let out: string;
  let summary: RehearseJson;
  let root: Uint8Array;
  /** One client per trust mode, made at the first publish and kept: later tests list with their caches. */
  const clients = new Map<string, NotaryClient>();
  let delegateClient: NotaryClient;
  let delegateKeyBareId: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-ceremony-notary-'));
    server = await startNotaryServer();
    const { confPath } = await prepareSoftHsmDir(join(work, 'softhsm'));
    softhsm = await loadRehearsalSoftHsm(SOFTHSM, confPath);
  });

  afterAll(async () => {
    for (const t of kept.tokens) await t.close().catch(() => undefined);
    await softhsm?.finalize();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('rehearse --profile notary --gun GUN --timestamp-key FILE (the server’s key), on SoftHSM2 tokens', async () => {
    const keyFile = join(work, 'timestamp.key');
    const serverKey = await saveServerKey(server.url, GUN, 'timestamp', keyFile);
    out = join(work, 'ceremony');
    const c = capture();
    const code = await runCli(['rehearse', '--profile', 'notary', '--gun', GUN, '--timestamp-key', keyFile, '--out', out, '--json'], c.io);
    expect(code, c.err.join('\n')).toBe(0);
    summary = JSON.parse(c.out.join('')) as RehearseJson;
    expect(summary).toMatchObject({ ok: true, rehearsal: 'softhsm2', timestampKeySource: 'file', timestampKeyId: serverKey.keyId, files: { snapshot: 'metadata/snapshot.json', timestamp: null } });
    // The three custodians' tokens, then Dave's: the rehearsal's rotation replaces Carol's key by one on his token.
    expect(kept.tokens.map((t) => t.custodian)).toEqual(['Alice', 'Bob', 'Carol', 'Dave']);
    root = new Uint8Array(readFileSync(outPath(out, 'root.json')));
    const signed = parse(root).signed as { roles: Record<string, { keyids: string[]; threshold: number }> };
    expect(signed.roles.root!.threshold).toBe(2);
    expect(signed.roles.root!.keyids.sort()).toEqual([...summary.rootKeyIds].sort());
    expect(signed.roles.timestamp!.keyids).toEqual([serverKey.keyId]);
  });

  it('the out dir publishes (root + targets + snapshot) and all three trust modes list exactly its targets', async () => {
    const files = ceremonyFiles(out);
    expect([...files.keys()]).toEqual(['root', 'targets', 'snapshot']);
    await publishOk(server.url, GUN, files);
    const ceremonyTargets = Object.keys((parse(files.get('targets')!).signed as { targets: JsonObject }).targets);
    expect(ceremonyTargets).toEqual([]);
    for (const mode of TRUST_MODES) {
      const client = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(mode), rootCertKeyIds: summary.rootKeyIds, rootBytes: root });
      clients.set(mode, client);
      const list = await client.ok(['list', GUN]);
      expect(parseNotaryList(list.stdout), mode).toEqual([]);
      expect(list.stdout, mode).toContain('No targets present in this repository.');
      const cached = readTree(client.metadataDir(GUN));
      for (const role of ['root', 'targets', 'snapshot'] as const) {
        expect(Buffer.from(cached.get(`${role}.json`)!).equals(Buffer.from(files.get(role)!)), `${mode} ${role}.json`).toBe(true);
      }
      expect(parse(cached.get('timestamp.json')!).signatures.map((s) => s.keyid)).toEqual([summary.timestampKeyId]);
    }
  });

  it('a delegation added by our code, signed through the ceremony tokens: targets v2 (Alice’s targets key) + snapshot v2 (Bob’s)', async () => {
    const byCustodian = new Map(kept.tokens.map((t) => [t.custodian, t]));
    const signerOn = async (custodian: string, label: string, keyId: string) => {
      const key = await byCustodian.get(custodian)!.findKey(label);
      const listed = listPublicKey('notary', key.spki);
      expect(listed.keyId).toBe(keyId);
      return metadataSigner(key, listed);
    };
    const targetsSigner = await signerOn('Alice', 'rehearsal-targets', summary.targetsKeyId);
    const snapshotSigner = await signerOn('Bob', 'rehearsal-snapshot', summary.snapshotKeyId);

    const { keyPem, certPem } = makeDelegationCert(fresh('delegate'), 'releaser');
    const delegateKey = delegationKeyFromCert(certPem);
    const targets1 = parse(readFileSync(outPath(out, 'targets.json')));
    const targets2 = await signNotary(
      { ...notaryTargetsSigned(2, {}, [{ name: DELEGATION, keys: [delegateKey] }]), expires: targets1.signed.expires as string },
      [targetsSigner],
    );
    const snapshot2 = await signNotary(notarySnapshotSigned(2, { root, targets: targets2 }), [snapshotSigner]);
    await publishOk(server.url, GUN, { targets: targets2, snapshot: snapshot2 });

    // Every trust mode sees the delegation, and our core verifies what the client cached.
    for (const mode of TRUST_MODES) {
      const client = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(`deleg-${mode}`), rootCertKeyIds: summary.rootKeyIds, rootBytes: root });
      const roles = await client.ok(['delegation', 'list', GUN]);
      expect(roles.stdout, mode).toContain(DELEGATION);
      expect(roles.stdout, mode).toMatch(new RegExp(`${DELEGATION}\\s+"" <all paths>\\s+${delegateKey.bareKeyId}\\s+1`));
      if (mode === 'seeded') {
        const repo = verifyRepository(await readRepositoryDir(client.metadataDir(GUN)), { trustedRoot: root, now: new Date(), gun: GUN, requireComplete: true });
        expect(repo.targets!.md.signed.delegations?.roles.map((r) => r.name)).toEqual([DELEGATION]);
        expect(getProfile('notary').keyId(delegateKey.json)).toBe(delegateKey.keyId);
      }
    }

    // The delegate holds only its own key; with the snapshot key on Bob's token it cannot publish (the
    // server does not hold the snapshot key): the limitation that calls for a server-managed snapshot.
    const delegate = clientInMode('tofu', { serverUrl: server.url, gun: GUN, dir: fresh('delegate-client') });
    delegateClient = delegate;
    delegateKeyBareId = delegateKey.bareKeyId;
    await delegate.ok(['key', 'import', keyPem, '-r', DELEGATION]);
    const payload = join(work, 'release.bin');
    writeFileSync(payload, 'release bytes');
    const r = await delegate.run(['add', '-p', GUN, 'releases/v1.tar.gz', payload, '-r', DELEGATION]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no snapshot was included in update and server does not hold current snapshot key for repository');
    expect((await publish(server.url, GUN, { targets: targets2 })).status).toBe(400);
  });

  it('root v2 by our code (2 of the ceremony root keys, on their tokens) hands snapshot to the server; the delegate then publishes', async () => {
    const byCustodian = new Map(kept.tokens.map((t) => [t.custodian, t]));
    const v1 = parse(root).signed as JsonObject & { keys: Record<string, JsonObject>; roles: Record<string, { keyids: string[]; threshold: number }> };
    // The server's snapshot key: a new one it holds (the v1 root names Bob's).
    const serverSnapshot = await fetchServerKey(server.url, GUN, 'snapshot');
    expect(serverSnapshot.keyId).not.toBe(summary.snapshotKeyId);
    const keys = { ...v1.keys };
    delete keys[summary.snapshotKeyId];
    keys[serverSnapshot.keyId] = serverSnapshot.json;
    const v2: JsonObject = { ...v1, keys, roles: { ...v1.roles, snapshot: { keyids: [serverSnapshot.keyId], threshold: 1 } }, version: 2 };

    // Alice's and Bob's root keys (threshold 2 of the v1 root and of v2, which keeps the same root keys).
    const profile = getProfile('notary');
    const rootSigners = [];
    for (const custodian of ['Alice', 'Bob']) {
      const key = await byCustodian.get(custodian)!.findKey(`rehearsal-root-${custodian.toLowerCase()}`);
      const keyId = v1.roles.root!.keyids.find((id) => profile.parseKey(v1.keys[id]!, id).fingerprint === key.fingerprint)!;
      expect(keyId, custodian).toBeDefined();
      const listed: ListedKey = { profile: 'notary', json: v1.keys[keyId]!, keyId, key: profile.parseKey(v1.keys[keyId]!, keyId) };
      rootSigners.push(metadataSigner(key, listed));
    }
    const rootV2 = await signNotary(v2, rootSigners);
    await publishOk(server.url, GUN, { root: rootV2 });
    expect(Buffer.from(await server.tufFile(GUN, '2.root.json')).equals(Buffer.from(rootV2))).toBe(true);

    // The delegate's staged change publishes now (the server signs snapshot).
    await delegateClient.ok(['publish', GUN]);
    const expected = expectedList({ 'releases/v1.tar.gz': readFileSync(join(work, 'release.bin')) }, DELEGATION);
    for (const [mode, client] of clients) {
      expect(parseNotaryList((await client.ok(['list', GUN])).stdout), mode).toEqual(expected);
      expect(Buffer.from(readTree(client.metadataDir(GUN)).get('root.json')!).equals(Buffer.from(rootV2)), `${mode} root.json`).toBe(true);
    }
    const roles = await clients.get('pinned')!.ok(['delegation', 'list', GUN]);
    expect(roles.stdout).toContain(delegateKeyBareId);

    // Our core walks v1 → v2 and verifies the delegate's role.
    const cached = await readRepositoryDir(clients.get('seeded')!.metadataDir(GUN));
    const repo = verifyRepository(cached, { trustedRoot: root, now: new Date(), gun: GUN, requireComplete: true });
    expect(repo.root.signed.version).toBe(2);
    expect(repo.rootChain.map((s) => [s.version, s.byPrevious.verified, s.bySelf.verified])).toEqual([[2, true, true]]);
    expect([...repo.delegated.get(DELEGATION)!.md.signed.targets.keys()]).toEqual(['releases/v1.tar.gz']);
  });
});
