/**
 * Interop with the real Notary v1 peers (Debian's notary 0.7): a loopback notary-server and the notary
 * client publish a repository (awkward target names, a root rotation, a delegation), and our core must
 * verify what the client cached, reproduce every file byte for byte and agree on every key ID.
 *
 * Set NOTARY_VECTORS_OUT=test/vectors/notary to refresh the committed fixtures from this run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { readRepositoryDir } from '../../src/io/files.js';
import type { JsonObject, JsonValue } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import {
  bareKeyId,
  checkNotaryFile,
  listedKeys,
  makeDelegationCert,
  notaryClient,
  readTree,
  startNotaryServer,
  writeClientConfig,
  writeTree,
  type NotaryClient,
  type NotaryServer,
} from '../support/notary.js';

const GUN = 'registry.example.com/tuf-ceremony/notary-interop';
const DELEGATION = 'targets/releases';
/** Names that exercise canonical JSON: non-BMP (UTF-16 order ≠ UTF-8 order), U+E000–U+FFFF, HTML escapes. */
const TARGET_NAMES = ['app/v1.tar.gz', '😀-release.tar.gz', '\uE000\uFFFD-x', 'a<b>&c.txt', 'ls\u2028ps\u2029', 'q"uote\\back', 'del\u007f'];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const parse = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed: JsonObject; signatures: { keyid: string; method: string }[] };
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('notary 0.7 interop (real notary-server and notary client on loopback)', () => {
  let server: NotaryServer | undefined;
  let client: NotaryClient;
  let work: string;
  let rootV1: Uint8Array;
  /** Every distinct metadata file notary wrote during the run (by content hash), for the byte checks. */
  const seen = new Map<string, { source: string; bytes: Uint8Array }>();
  /** Every key listed by any root or delegation seen, for checking signatures. */
  const keys = new Map<string, JsonValue>();

  const remember = (files: Map<string, Uint8Array>, stage: string) => {
    for (const [rel, bytes] of files) {
      const { signed } = parse(bytes);
      for (const [id, key] of listedKeys(signed)) keys.set(id, key);
      if (!seen.has(sha(bytes))) seen.set(sha(bytes), { source: `${stage}:${rel}`, bytes });
    }
  };
  const cached = () => {
    const files = readTree(client.metadataDir(GUN));
    remember(files, 'cache');
    return files;
  };
  /** A directory for verification: the cached metadata plus `N.root.json` for each version given. */
  const repoDir = (name: string, versioned: Map<number, Uint8Array> = new Map()) => {
    const dir = join(work, name);
    const files = new Map(cached());
    for (const [v, bytes] of versioned) files.set(`${v}.root.json`, bytes);
    writeTree(dir, files);
    return dir;
  };

  /** `GET /v2/GUN/_trust/tuf/N.root.json` for N = 1…n. */
  const versionedRoots = async (n: number) => Promise.all(Array.from({ length: n }, (_, i) => server!.tufFile(GUN, `${i + 1}.root.json`)));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-notary-it-'));
    server = await startNotaryServer();
    client = notaryClient({ serverUrl: server.url, trustDir: join(work, 'trust') });
    await client.ok(['init', GUN, '-p']);
    rootV1 = cached().get('root.json')!;
  });

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('init -p: the client caches root/targets/snapshot; the server serves 1.root.json and its timestamp key', async () => {
    const files = cached();
    expect([...files.keys()].sort()).toEqual(['root.json', 'snapshot.json', 'targets.json']);
    expect(await server!.tufFile(GUN, '1.root.json')).toEqual(rootV1);
    const tsKey = JSON.parse(Buffer.from(await server!.tufFile(GUN, 'timestamp.key')).toString('utf8'));
    expect(tsKey).toMatchObject({ keytype: 'ed25519', keyval: { private: null } });
    const root = parse(rootV1).signed as { roles: Record<string, { keyids: string[] }>; keys: Record<string, { keytype: string }> };
    expect(root.keys[root.roles.timestamp!.keyids[0]!]!.keytype).toBe('ed25519');
    expect(root.keys[root.roles.root!.keyids[0]!]!.keytype).toBe('ecdsa-x509');
    expect((await server!.get(`/v2/${GUN}/_trust/tuf/root.1.json`)).status).toBe(404);
  });

  it('targets with non-BMP, private-use and HTML-escaped names: verified by the core and the CLI', async () => {
    const payload = join(work, 'payload.bin');
    writeFileSync(payload, 'v1 bytes');
    for (const name of TARGET_NAMES) await client.ok(['add', GUN, name, payload]);
    await client.ok(['publish', GUN]);
    const list = await client.ok(['list', GUN]);
    for (const name of TARGET_NAMES) expect(list.stdout).toContain(name);

    const files = cached();
    expect([...files.keys()].sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    // The file escapes what Go's encoding/json escapes, and nothing else.
    const targetsText = Buffer.from(files.get('targets.json')!).toString('utf8');
    expect(targetsText).toContain('"a\\u003cb\\u003e\\u0026c.txt"');
    expect(targetsText).toContain('"ls\\u2028ps\\u2029"');
    expect(targetsText).toContain('"q\\"uote\\\\back"');
    expect(targetsText).toContain('"del\u007f"');
    expect(targetsText).toContain('"\uE000\uFFFD-x"');
    // Go sorts keys by UTF-8 bytes: U+E000 (EE 80 80) before U+1F600 (F0 9F 98 80), unlike UTF-16 order.
    expect(targetsText.indexOf('\uE000')).toBeLessThan(targetsText.indexOf('😀'));

    const dir = repoDir('published');
    const repo = verifyRepository(await readRepositoryDir(dir), { trustedRoot: rootV1, now: new Date(), gun: GUN });
    expect(repo.profile).toBe('notary');
    expect(repo.root.signed.version).toBe(1);
    expect([...repo.targets!.md.signed.targets.keys()].sort()).toEqual([...TARGET_NAMES].sort());
    expect(repo.absent).toEqual([]);

    const rootFile = join(work, 'root-v1.json');
    writeFileSync(rootFile, rootV1);
    const c = capture();
    expect(await runCli(['verify', dir, '--root', rootFile, '--json'], c.io), c.err.join('\n')).toBe(0);
    const out = JSON.parse(c.out.join(''));
    expect(out).toMatchObject({ ok: true, profile: 'notary', trustedRootVersion: 1, rootVersion: 1, targets: TARGET_NAMES.length, rootChain: [], absent: [] });
    expect(Object.keys(out.roles).sort()).toEqual(['root', 'snapshot', 'targets', 'timestamp']);
    expect(out.roles.timestamp.signed).toHaveLength(1);
  });

  it('notary key rotate GUN root, twice: we walk from the old pinned root, one version at a time', async () => {
    const rootFile = join(work, 'root-v1.json');
    const rootKeyId = (bytes: Uint8Array) => (parse(bytes).signed as { roles: { root: { keyids: string[] } } }).roles.root.keyids[0]!;
    // notary first (so a refusal by our core cannot change what later tests see), then our checks.
    const rot = await client.ok(['key', 'rotate', GUN, 'root'], { input: 'yes\n' });
    expect(rot.stdout).toMatch(/Successfully rotated root key/);
    await client.ok(['list', GUN]);
    const afterFirst = cached();
    const missing3 = (await server!.get(`/v2/${GUN}/_trust/tuf/3.root.json`)).status;
    await client.ok(['key', 'rotate', GUN, 'root'], { input: 'yes\n' });
    await client.ok(['list', GUN]);
    const afterSecond = cached();
    const [v1, v2, v3] = await versionedRoots(3);

    expect(v1).toEqual(rootV1);
    expect(afterFirst.get('root.json')).toEqual(v2);
    expect(afterSecond.get('root.json')).toEqual(v3);
    expect(missing3).toBe(404);
    expect(await server!.tufFile(GUN, `root.${sha(v3!)}.json`)).toEqual(v3);
    const [id1, id2, id3] = [rootKeyId(v1!), rootKeyId(v2!), rootKeyId(v3!)];
    expect(new Set([id1, id2, id3]).size).toBe(3);
    // Each new root is signed by its own key and the previous root's key (not older ones).
    expect(parse(v2!).signatures.map((s) => s.keyid).sort()).toEqual([id1, id2].sort());
    expect(parse(v3!).signatures.map((s) => s.keyid).sort()).toEqual([id2, id3].sort());

    // One step: 1 → 2, from the directory the client had after the first rotation.
    const dir2 = join(work, 'rotated-once');
    writeTree(dir2, new Map([...afterFirst, ['1.root.json', v1!], ['2.root.json', v2!]]));
    const repo2 = verifyRepository(await readRepositoryDir(dir2), { trustedRoot: rootV1, now: new Date(), gun: GUN });
    expect(repo2.root.signed.version).toBe(2);
    expect(repo2.rootChain).toHaveLength(1);
    expect(repo2.rootChain[0]!.version).toBe(2);
    expect(repo2.rootChain[0]!.byPrevious).toMatchObject({ verified: true, signed: [id1], threshold: 1 });
    expect(repo2.rootChain[0]!.bySelf).toMatchObject({ verified: true, signed: [id2], threshold: 1 });
    // root.json alone is enough for one step (it is version pin + 1).
    const only = join(work, 'rotated-once-root-json-only');
    writeTree(only, afterFirst);
    expect(verifyRepository(await readRepositoryDir(only), { trustedRoot: rootV1, now: new Date(), gun: GUN }).rootChain).toHaveLength(1);

    // Two steps: 1 → 2 → 3.
    const dir3 = join(work, 'rotated-twice');
    writeTree(dir3, new Map([...afterSecond, ['1.root.json', v1!], ['2.root.json', v2!], ['3.root.json', v3!]]));
    const repo3 = verifyRepository(await readRepositoryDir(dir3), { trustedRoot: rootV1, now: new Date(), gun: GUN });
    expect(repo3.root.signed.version).toBe(3);
    expect(repo3.rootChain.map((s) => [s.version, s.byPrevious.signed, s.bySelf.signed, s.byPrevious.verified && s.bySelf.verified])).toEqual([
      [2, [id1], [id2], true],
      [3, [id2], [id3], true],
    ]);

    const c = capture();
    expect(await runCli(['verify', dir3, '--root', rootFile, '--json'], c.io), c.err.join('\n')).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({
      ok: true,
      profile: 'notary',
      trustedRootVersion: 1,
      rootVersion: 3,
      rootChain: [
        { version: 2, byPrevious: { signed: [id1], threshold: 1 }, bySelf: { signed: [id2], threshold: 1 } },
        { version: 3, byPrevious: { signed: [id2], threshold: 1 }, bySelf: { signed: [id3], threshold: 1 } },
      ],
      targets: TARGET_NAMES.length,
    });

    // Without 2.root.json, root.json (v3) cannot be reached from the v1 pin.
    const gap = join(work, 'rotated-twice-gap');
    writeTree(gap, new Map([...afterSecond, ['1.root.json', v1!]]));
    const g = capture();
    expect(await runCli(['verify', gap, '--root', rootFile, '--json'], g.io)).toBe(1);
    expect(JSON.parse(g.out.join(''))).toMatchObject({ ok: false, error: { code: 'ROOT_VERSION_SKIPPED' } });
  });

  it('trust_pinning (client config -c): certs pins name a certificate of the newest root', async () => {
    const newId = (parse(cached().get('root.json')!).signed as { roles: { root: { keyids: string[] } } }).roles.root.keyids[0]!;
    const oldId = (parse(rootV1).signed as { roles: { root: { keyids: string[] } } }).roles.root.keyids[0]!;
    const attempt = async (pin: string) => {
      const trustDir = join(work, `pinned-${pin.slice(0, 8)}`);
      const cfg = writeClientConfig(join(work, `pin-${pin.slice(0, 8)}.json`), {
        trustDir,
        serverUrl: server!.url,
        trustPinning: { certs: { [GUN]: [pin] }, disable_tofu: true },
      });
      return notaryClient({ serverUrl: server!.url, trustDir, configFile: cfg }).run(['list', GUN]);
    };
    const good = await attempt(newId);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('app/v1.tar.gz');
    const stale = await attempt(oldId);
    expect(stale.code).toBe(1);
    // notary prints its "* fatal: …" line on stdout, not stderr.
    expect(stale.stdout + stale.stderr).toMatch(/unable to match any certificates to trust_pinning config/);
  });

  it('a delegation (targets/releases): added, its key imported, a target published by it, verified', async () => {
    const { keyPem, certPem } = makeDelegationCert(join(work, 'delegate'), 'releaser');
    await client.ok(['delegation', 'add', '-p', GUN, DELEGATION, certPem, '--all-paths']);
    await client.ok(['key', 'import', keyPem, '-r', DELEGATION]);
    const payload = join(work, 'release.bin');
    writeFileSync(payload, 'release bytes');
    await client.ok(['add', '-p', GUN, 'releases/v2.tar.gz', payload, '-r', DELEGATION]);
    const list = await client.ok(['list', GUN]);
    expect(list.stdout).toMatch(/releases\/v2\.tar\.gz\s+\S+\s+13\s+targets\/releases/);

    const files = cached();
    expect(files.has(`${DELEGATION}.json`)).toBe(true);
    const targets = parse(files.get('targets.json')!).signed as {
      delegations: { keys: Record<string, JsonObject>; roles: { name: string; keyids: string[]; threshold: number; paths: string[] }[] };
    };
    expect(targets.delegations.roles).toEqual([{ name: DELEGATION, keyids: [expect.any(String)], threshold: 1, paths: [''] }]);
    const delegationKeyId = targets.delegations.roles[0]!.keyids[0]!;
    const delegationKey = targets.delegations.keys[delegationKeyId]!;
    expect(delegationKey.keytype).toBe('ecdsa-x509');
    expect(getProfile('notary').keyId(delegationKey)).toBe(delegationKeyId);
    // notary's key store names the key by the ID of its bare public key.
    expect(readdirSync(join(client.trustDir, 'private'))).toContain(`${bareKeyId(delegationKey)}.key`);
    const keyList = await client.ok(['key', 'list']);
    expect(keyList.stdout).toContain(bareKeyId(delegationKey));

    const snapshot = parse(files.get('snapshot.json')!).signed as { meta: Record<string, unknown> };
    expect(Object.keys(snapshot.meta).sort()).toEqual(['root', 'targets', DELEGATION]);

    const roots = await versionedRoots(3);
    const dir = repoDir('delegated', new Map(roots.map((bytes, i) => [i + 1, bytes])));
    if (process.env.NOTARY_VECTORS_OUT) {
      const privateIds = readdirSync(join(client.trustDir, 'private')).map((f) => f.replace(/\.key$/, ''));
      writeVectors(resolve(process.env.NOTARY_VECTORS_OUT), dir, privateIds);
    }
    const repo = verifyRepository(await readRepositoryDir(dir), { trustedRoot: rootV1, now: new Date(), gun: GUN });
    const releases = repo.delegated.get(DELEGATION);
    expect(releases?.delegatedBy).toBe('targets');
    expect(releases?.result).toMatchObject({ verified: true, signed: [delegationKeyId], threshold: 1 });
    expect([...releases!.md.signed.targets.keys()]).toEqual(['releases/v2.tar.gz']);
    expect(repo.absent).toEqual([]);

    const c = capture();
    expect(await runCli(['verify', dir, '--root', join(work, 'root-v1.json'), '--json'], c.io), c.err.join('\n')).toBe(0);
    const out = JSON.parse(c.out.join(''));
    expect(out).toMatchObject({ ok: true, profile: 'notary', rootVersion: 3, targets: TARGET_NAMES.length });
    expect(out.roles[DELEGATION]).toMatchObject({ delegatedBy: 'targets', signed: [delegationKeyId], threshold: 1 });

  });

  it('every file notary wrote: canonical bytes, whole-file serialisation, key IDs and signatures agree', () => {
    expect(seen.size).toBeGreaterThanOrEqual(10);
    const problems: string[] = [];
    let escapedFiles = 0;
    for (const { source, bytes } of seen.values()) {
      const check = checkNotaryFile(source, bytes, keys);
      problems.push(...check.problems);
      if (check.htmlEscaped) escapedFiles++;
    }
    expect(problems).toEqual([]);
    // The targets files with `<>&` / U+2028 names are signed over raw characters and stored escaped.
    expect(escapedFiles).toBeGreaterThan(0);
  });
});

/** Refresh test/vectors/notary from this run (only public keys and metadata; no private material). */
function writeVectors(outDir: string, repoDir: string, keyStoreIds: string[]): void {
  const repoOut = join(outDir, 'repo');
  rmSync(repoOut, { recursive: true, force: true });
  mkdirSync(repoOut, { recursive: true });
  const files = readTree(repoDir);
  writeTree(repoOut, files);
  const fileInfo: Record<string, { keyIds: string[]; signatures: { keyid: string; method: string }[] }> = {};
  for (const [rel, bytes] of files) {
    const env = parse(bytes);
    fileInfo[rel] = { keyIds: [...listedKeys(env.signed).keys()].sort(), signatures: env.signatures.map((s) => ({ keyid: s.keyid, method: s.method })) };
  }
  const now = new Date();
  const expected = {
    about: 'Metadata written by Debian notary 0.7 (client + notary-server, memory storage), refreshed by test/integration/notary.test.ts with NOTARY_VECTORS_OUT.',
    gun: GUN,
    generatedAt: now.toISOString(),
    verifyAt: new Date(now.getTime() + 3600_000).toISOString(),
    pinnedRoot: '1.root.json',
    targets: [...TARGET_NAMES].sort(),
    delegation: DELEGATION,
    keyStoreIds: keyStoreIds.sort(),
    files: Object.fromEntries(Object.entries(fileInfo).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  // ASCII only, so the awkward target names stay readable (and reviewable) in the fixture.
  const ascii = JSON.stringify(expected, null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(join(outDir, 'expected.json'), `${ascii}\n`);
}
