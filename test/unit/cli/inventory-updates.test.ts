/**
 * The key inventory kept up to date by the commands that change what it describes (issue #17 point 5):
 * a trust-bundle-set import and a batch merge each update it once, after what they install or write,
 * recording each repository's root (version, SHA-256); a refusal leaves it byte-identical; a certificate
 * merge refuses --inventory (it writes no root); `status` says when the inventory is stale for the root it
 * reads and leaves that repository's roles out.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { runCli } from '../../../src/cli/program.js';
import { keysCommand, type KeysListing } from '../../../src/cli/keys.js';
import { safeRepositoryName } from '../../../src/ceremony/repository-names.js';
import { emptyInventory, INVENTORY_MAX_KEYS, inventoryBytes, parseInventory, type KeyInventory } from '../../../src/ceremony/inventory.js';
import { recordRotatedRoot, rootInventoryRecord } from '../../../src/ceremony/inventory-root.js';
import { CERTIFICATE_REQUEST_FORMAT } from '../../../src/rotation/format.js';
import { buildRotationPayload, buildSigningRequest, buildBatchRequest, serializeBatchRequest, serializeBatchResponse, signBatch, type BatchRequest } from '../../../src/rotation/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { Root } from '../../../src/tuf/root.js';
import { captureIo } from '../../support/cli-io.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { EXPIRES_V2, makeCustodian, rootFixture, type Custodian } from '../rotation/support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const NOW = new Date();
const T0 = new Date('2026-12-01T00:00:00Z');

describe('import of a trust-bundle-set --inventory', () => {
  const gun = (i: number): string => `registry.example.com/org/inv-${i}`;
  let repos: BuiltRepo[];
  let dir: string;
  let setPath: string;
  let pinsPath: string;

  beforeAll(async () => {
    dir = tmp('tufc-inv-set-');
    repos = [];
    for (let i = 0; i < 3; i++) repos.push(await buildRepo('notary', { gun: gun(i) }));
    setPath = join(dir, 'set.tufbundle');
    writeFileSync(setPath, encodeRepositorySet(repos.map((r, i) => encodeBundle(bundleContent(r, gun(i)))), { name: 'three', created: NOW }));
    pinsPath = join(dir, 'pins.json');
    writeFileSync(pinsPath, JSON.stringify(Object.fromEntries(repos.map((r, i) => [gun(i), sha(r.roots[0]!)]))));
  }, 120_000);

  it('records every installed repository (keys, roles, expiries, root version and SHA-256) in one update', async () => {
    const trust = join(dir, 'trust-ok');
    mkdirSync(trust);
    const inventoryPath = join(dir, 'new-inventory.json');
    const c = captureIo();
    // No inventory yet: a site's first set import creates it.
    expect(await runCli(['import', setPath, '--trust-dir', trust, '--pins', pinsPath, '--inventory', inventoryPath, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join('\n')).inventory).toBe(inventoryPath);
    const inv = parseInventory(readFileSync(inventoryPath));
    expect(inv.repositories).toEqual(repos.map((r, i) => ({ repository: gun(i), profile: 'notary', root: { version: 1, sha256: sha(r.roots[0]!) } })));
    for (const [i, r] of repos.entries()) {
      const root = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: 'root.json', profile: 'notary' }).signed as Root;
      const rows = inv.keys.flatMap((k) => k.roles.filter((x) => x.repository === gun(i)).map((x) => ({ fp: k.fingerprint, ...x })));
      // Every key root.json lists for each top-level role, by its ID there; root keys with their certificate's notAfter.
      expect(rows.map((x) => x.role).sort()).toEqual([...root.roles.get('root')!.keyids.map(() => 'root'), 'snapshot', 'targets', 'timestamp'].sort());
      for (const x of rows) expect(root.keys.get(x.keyId)!.key.fingerprint).toBe(x.fp);
      expect(rows.filter((x) => x.role === 'root').every((x) => x.certificateExpires !== undefined)).toBe(true);
      expect(rows.filter((x) => x.role !== 'root').every((x) => x.expires !== undefined)).toBe(true);
    }
    // The human output names the file.
    const again = captureIo();
    expect(await runCli(['import', setPath, '--trust-dir', trust, '--inventory', inventoryPath], again.io)).toBe(0);
    expect(again.out.join('\n')).toContain(`recorded in the key inventory ${inventoryPath} (3 repositories)`);
  }, 120_000);

  it('a refused set, or an inventory it would not write, leaves both the trust folder and the inventory as they were', async () => {
    const trust = join(dir, 'trust-refused');
    mkdirSync(trust);
    const inventoryPath = join(dir, 'kept.json');
    const kept = inventoryBytes(emptyInventory(T0));
    writeFileSync(inventoryPath, kept);
    const before = treeHash(trust, (n) => n.includes('sessions'));
    // No pins and nothing installed: the set is refused after the inventory was read.
    const c = captureIo();
    expect(await runCli(['import', setPath, '--trust-dir', trust, '--inventory', inventoryPath], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[IMPORT_PIN_NOT_FOUND\]/);
    expect(Buffer.from(readFileSync(inventoryPath)).equals(Buffer.from(kept))).toBe(true);
    // Inventories this tool would not write: refused before anything is installed.
    const bad: [string, string, string][] = [
      ['{"format": ', 'JSON_MALFORMED', ''],
      [JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-01T00:00:00Z', keys: [], repositories: [{ repository: 'x', profile: 'notary', root: { version: 0, sha256: 'a'.repeat(64) } }] }), 'INVENTORY_INVALID', '$.repositories[0].root.version'],
      [JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 2, updated: '2026-12-01T00:00:00Z', keys: [] }), 'INVENTORY_INVALID', '$.version'],
    ];
    for (const [text, code, path] of bad) {
      const p = join(dir, 'bad-inventory.json');
      writeFileSync(p, text);
      const e = captureIo();
      expect(await runCli(['import', setPath, '--trust-dir', trust, '--pins', pinsPath, '--inventory', p, '--json'], e.io)).toBe(1);
      const err = (JSON.parse(e.out.join('\n')) as { error: { code: string; path?: string } }).error;
      expect(err.code).toBe(code);
      if (path) expect(err.path).toBe(path);
      expect(readFileSync(p, 'utf8')).toBe(text);
      expect(treeHash(trust, (n) => n.includes('sessions'))).toBe(before);
    }
  }, 120_000);
});

describe('merge of a batch request --inventory; status of a root the inventory does not record', () => {
  const REPOS = ['site/inv-1', 'site/inv-2', 'site/inv-3'];
  let dir: string;
  let alice: Custodian;
  let bob: Custodian;
  let carol: Custodian;
  let dave: Custodian;
  let batchPath: string;
  let responses: Record<string, string>;
  const roots = new Map<string, Uint8Array>();
  let v1Inventory: Uint8Array;

  beforeAll(async () => {
    dir = tmp('tufc-inv-batch-');
    const made = await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map((n) => makeCustodian('tuf', n)));
    [alice, bob, carol, dave] = [made[0]!, made[1]!, made[2]!, made[3]!];
    const requests = [];
    const inv: KeyInventory = emptyInventory(T0);
    for (const repo of REPOS) {
      const fx = await rootFixture('tuf', [alice, bob, carol]);
      roots.set(repo, fx.rootV1);
      const v1 = parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json', profile: 'tuf' }).signed as Root;
      recordRotatedRoot(inv, rootInventoryRecord(repo, 'tuf', v1, '', sha(fx.rootV1)), T0, fx.names);
      const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: alice.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
      requests.push(buildSigningRequest(payload, { repository: repo }));
    }
    v1Inventory = inventoryBytes(inv);
    const batch: BatchRequest = buildBatchRequest(requests);
    batchPath = join(dir, 'batch.json');
    writeFileSync(batchPath, serializeBatchRequest(batch));
    responses = {};
    for (const c of [bob, carol, dave]) {
      responses[c.name] = join(dir, `${c.name}.json`);
      writeFileSync(responses[c.name]!, serializeBatchResponse((await signBatch(batch, c.key, { name: c.name })).response));
    }
  }, 120_000);

  it('a complete batch updates the inventory once: the new key holds root everywhere, the old one nowhere, each new root recorded', async () => {
    const inventoryPath = join(dir, 'inventory.json');
    writeFileSync(inventoryPath, v1Inventory);
    // Partial (Bob alone): refused, the inventory byte-identical.
    const p = captureIo();
    expect(await runCli(['merge', batchPath, responses.Bob!, '--out', join(dir, 'partial'), '--inventory', inventoryPath], p.io)).toBe(1);
    expect(p.err[0]).toMatch(/^error\[THRESHOLD_NOT_MET\]/);
    expect(Buffer.from(readFileSync(inventoryPath)).equals(Buffer.from(v1Inventory))).toBe(true);
    expect(existsSync(join(dir, 'partial'))).toBe(false);

    const out = join(dir, 'merged');
    const c = captureIo();
    expect(await runCli(['merge', batchPath, responses.Bob!, responses.Carol!, responses.Dave!, '--out', out, '--inventory', inventoryPath, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join('\n')).inventory).toBe(inventoryPath);
    const inv = parseInventory(readFileSync(inventoryPath));
    expect(inv.repositories).toEqual(REPOS.map((r) => ({ repository: r, profile: 'tuf', root: { version: 2, sha256: sha(readFileSync(join(out, r, 'root.json'))) } })));
    const byFp = (fp: string) => inv.keys.find((k) => k.fingerprint === fp)!;
    expect(byFp(dave.listed.key.fingerprint)).toMatchObject({ custodian: 'Dave' });
    expect(byFp(dave.listed.key.fingerprint).roles.map((x) => [x.repository, x.role])).toEqual(REPOS.map((r) => [r, 'root']));
    expect(byFp(alice.listed.key.fingerprint).roles).toEqual([]);
    expect(byFp(bob.listed.key.fingerprint).roles.map((x) => x.repository)).toEqual(REPOS);

    // status of a new root against the old inventory: stale, said so, and that repository's roles left out.
    const old = join(dir, 'old-inventory.json');
    writeFileSync(old, v1Inventory);
    const s = captureIo();
    await runCli(['status', join(out, REPOS[0]!), '--inventory', old, '--gun', REPOS[0]!, '--json'], s.io);
    expect(s.err.join('\n')).toMatch(new RegExp(`warning: inventory is stale for ${REPOS[0]} \\(records root v1 sha256 ${sha(roots.get(REPOS[0]!)!).slice(0, 16)}…, found v2 [0-9a-f]{16}…\\)`));
    const stale = JSON.parse(s.out.join('\n')) as { inventory: { source: string; freshness: { state: string; recorded: { version: number } }; keys: { role: string; roles: { repository: string }[] }[] } };
    expect(stale.inventory.source).toBe('option');
    expect(stale.inventory.freshness).toMatchObject({ state: 'stale', recorded: { version: 1 } });
    expect(stale.inventory.keys.flatMap((k) => k.roles.map((x) => x.repository))).not.toContain(REPOS[0]);
    // The updated inventory is current for it; the roles are shown.
    const f = captureIo();
    await runCli(['status', join(out, REPOS[0]!), '--inventory', inventoryPath, '--json'], f.io);
    expect(f.err.join('\n')).not.toContain('stale');
    const fresh = JSON.parse(f.out.join('\n')) as typeof stale;
    expect(fresh.inventory.freshness).toMatchObject({ state: 'current', recorded: { version: 2 } });
    expect(fresh.inventory.keys.flatMap((k) => k.roles.map((x) => x.repository))).toContain(REPOS[0]);
  }, 120_000);

  it('keys --ceremony OUT: the folder\'s inventory, each of its roots checked; a stale repository\'s roles left out', async () => {
    const out = join(dir, 'ceremony-out');
    mkdirSync(join(out, 'state'), { recursive: true });
    writeFileSync(join(out, 'state', 'key-inventory.json'), v1Inventory);
    // Repository 1 rotated (root v2 from the batch merge above) without the inventory; repository 2 not.
    const merged = join(dir, 'merged');
    for (const [i, bytes] of [readFileSync(join(merged, REPOS[0]!, 'root.json')), roots.get(REPOS[1]!)!].entries()) {
      mkdirSync(join(out, 'metadata', safeRepositoryName(REPOS[i]!)), { recursive: true });
      writeFileSync(join(out, 'metadata', safeRepositoryName(REPOS[i]!), 'root.json'), bytes);
    }
    // No token module here: the listing still says which inventory it used and what it found (exit 3 for the module).
    const c = captureIo();
    const status = await keysCommand({ module: join(dir, 'no-such-module.so'), ceremony: out, env: {}, json: true }, c.io);
    expect(status).toBe(3);
    const listing = JSON.parse(c.out.join('\n')) as KeysListing;
    expect(listing.inventory).toBe(join(out, 'state', 'key-inventory.json'));
    expect(listing.inventorySource).toBe('ceremony-output');
    expect(listing.freshness.map((f) => [f.repository, f.state, f.recorded?.version, f.found.version])).toEqual([
      [REPOS[0], 'stale', 1, 2],
      [REPOS[1], 'current', 1, 1],
    ]);
    expect(c.err.join('\n')).toContain(`warning: inventory is stale for ${REPOS[0]} (records root v1`);
    // Alice's token key is on no token read: listed with her roles, the stale repository's left out.
    const aliceKey = listing.notOnTokens.find((k) => k.fingerprint === alice.listed.key.fingerprint)!;
    expect(aliceKey.roles.map((x) => x.repository)).toEqual([REPOS[1], REPOS[2]]);
    // The environment variable wins over the folder; --inventory over both.
    const other = join(dir, 'env-inventory.json');
    writeFileSync(other, inventoryBytes(emptyInventory(T0)));
    const e = captureIo();
    await keysCommand({ module: join(dir, 'no-such-module.so'), ceremony: out, env: { TUF_CEREMONY_INVENTORY: other }, json: true }, e.io);
    expect(JSON.parse(e.out.join('\n'))).toMatchObject({ inventory: other, inventorySource: 'environment' });
    const o = captureIo();
    await keysCommand({ module: join(dir, 'no-such-module.so'), inventory: join(out, 'state', 'key-inventory.json'), env: { TUF_CEREMONY_INVENTORY: other }, json: true }, o.io);
    expect(JSON.parse(o.out.join('\n'))).toMatchObject({ inventory: join(out, 'state', 'key-inventory.json'), inventorySource: 'option', freshness: [] });
    // status of a repository folder of that ceremony output finds the same inventory on its own, and says so.
    const st = captureIo();
    await runCli(['status', join(out, 'metadata', safeRepositoryName(REPOS[0]!)), '--json'], st.io);
    expect(JSON.parse(st.out.join('\n')).inventory).toMatchObject({ path: join(out, 'state', 'key-inventory.json'), source: 'ceremony-output', freshness: { repository: REPOS[0], state: 'stale' } });
    const sh = captureIo();
    await runCli(['status', join(out, 'metadata', safeRepositoryName(REPOS[1]!))], sh.io);
    expect(sh.out.join('\n')).toContain(`keys (from the inventory ${join(out, 'state', 'key-inventory.json')}, found in the ceremony output folder):`);
    expect(sh.err.join('\n')).not.toContain('stale');
    // A folder with no inventory, nothing named: refused, not silently empty.
    const none = captureIo();
    expect(await keysCommand({ module: join(dir, 'no-such-module.so'), ceremony: join(dir, 'merged'), env: {} }, none.io)).toBe(2);
    expect(none.err[0]).toMatch(/^error\[FILE_NOT_FOUND\]: no key inventory: /);
  }, 60_000);

  it('an update over the inventory\'s limits refuses the merge before the folder is written (review 13a M1)', async () => {
    // Filled to INVENTORY_MAX_KEYS: Dave's key, new to it, is one too many.
    const inv = parseInventory(v1Inventory);
    for (let i = 0; inv.keys.length < INVENTORY_MAX_KEYS; i++) inv.keys.push({ fingerprint: `e${i.toString(16).padStart(63, '0')}`, algorithm: 'ed25519', origin: 'server', rehearsal: false, roles: [] });
    const full = inventoryBytes(inv);
    const work = tmp('tufc-inv-batch-limit-');
    const inventoryPath = join(work, 'inventory.json');
    writeFileSync(inventoryPath, full);
    const out = join(work, 'merged');
    const c = captureIo();
    expect(await runCli(['merge', batchPath, responses.Bob!, responses.Carol!, responses.Dave!, '--out', out, '--inventory', inventoryPath], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[INVENTORY_TOO_LARGE\]: /);
    expect(c.err[0]).toContain(`the key inventory ${inventoryPath} would hold keys: ${(INVENTORY_MAX_KEYS + 1).toLocaleString('en-US')}, over the limit`);
    expect(c.err[0]).toContain('nothing was written');
    expect(c.err[0]).toContain(`The inventory is full: merging the batch's ${REPOS.length} repositories again with it would be refused the same way. Merge without --inventory`);
    // No merged folder, no transcript, no lock: only the inventory, as it was.
    expect(readdirSync(work)).toEqual(['inventory.json']);
    expect(Buffer.from(readFileSync(inventoryPath)).equals(Buffer.from(full))).toBe(true);
  }, 120_000);

  it('refuses an inventory it would not write, inside --out, or for a certificate request; nothing written', async () => {
    const bad = join(dir, 'bad.json');
    const text = JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-01T00:00:00Z', keys: [], repositories: [{ repository: 'a', profile: 'tuf', root: { version: 1, sha256: 'b'.repeat(64) } }, { repository: 'a', profile: 'tuf', root: { version: 1, sha256: 'b'.repeat(64) } }] });
    writeFileSync(bad, text);
    const out = join(dir, 'never');
    const c = captureIo();
    expect(await runCli(['merge', batchPath, responses.Bob!, responses.Carol!, responses.Dave!, '--out', out, '--inventory', bad, '--json'], c.io)).toBe(1);
    expect(JSON.parse(c.out.join('\n'))).toMatchObject({ ok: false, error: { code: 'INVENTORY_INVALID', path: '$.repositories[1].repository' } });
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(bad, 'utf8')).toBe(text);
    const inside = captureIo();
    expect(await runCli(['merge', batchPath, responses.Bob!, '--out', out, '--inventory', join(out, 'inventory.json')], inside.io)).toBe(2);
    expect(inside.err[0]).toMatch(/^error\[USAGE\]: --inventory must not be inside --out/);
    const certRequest = join(dir, 'certificate-request.json');
    writeFileSync(certRequest, JSON.stringify({ format: CERTIFICATE_REQUEST_FORMAT }));
    const cert = captureIo();
    expect(await runCli(['merge', certRequest, responses.Bob!, '--out', out, '--inventory', bad], cert.io)).toBe(2);
    expect(cert.err[0]).toMatch(/^error\[USAGE\]: --inventory is not for a certificate request: its merge writes a root signing request, not a root/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
