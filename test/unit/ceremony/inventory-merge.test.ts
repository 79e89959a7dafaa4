/**
 * `merge --inventory FILE` (issue #17 point 5): a root rotation merged with the real merge path (software
 * keys, Notary certificates) keeps the key inventory up to date — the key added recorded with its role,
 * custodian and certificate expiry, the key removed dropped — and a refused or partial merge, or an
 * inventory this tool would not write, leaves everything as it was.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { emptyInventory, INVENTORY_MAX_KEYS, inventoryBytes, parseInventory, type KeyInventory } from '../../../src/ceremony/inventory.js';
import { recordRotatedRoot, rootInventoryRecord } from '../../../src/ceremony/inventory-root.js';
import { buildRotationPayload, buildSigningRequest, serializeSignatureResponse, serializeSigningRequest, signRequest } from '../../../src/rotation/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { Root } from '../../../src/tuf/root.js';
import { captureIo } from '../../support/cli-io.js';
import { buildRepo } from '../../support/repo.js';
import { EXPIRES_V2, GUN, makeCustodian, rootFixture } from '../rotation/support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const TARGETS_EXPIRES = '2029-01-01T00:00:00Z';

async function setup() {
  const dir = tmp('tufc-inv-merge-');
  const fx = await rootFixture('notary');
  const [alice, bob] = fx.custodians;
  const dave = await makeCustodian('notary', 'Dave');
  const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: alice!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
  const request = buildSigningRequest(payload, { repository: GUN });
  const requestPath = join(dir, 'request.json');
  writeFileSync(requestPath, serializeSigningRequest(request));
  const responsePaths: Record<string, string> = {};
  for (const c of [alice!, bob!, dave]) {
    responsePaths[c.name] = join(dir, `${c.name}.response.json`);
    writeFileSync(responsePaths[c.name]!, serializeSignatureResponse(await signRequest(request, c.key)));
  }
  // The inventory a ceremony would have left for root v1 (custodians named), targets' expiry included.
  const v1 = parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json', profile: 'notary' }).signed as Root;
  const inv: KeyInventory = emptyInventory(new Date('2026-12-01T00:00:00Z'));
  recordRotatedRoot(inv, rootInventoryRecord(GUN, 'notary', v1), new Date('2026-12-01T00:00:00Z'), fx.names);
  for (const k of inv.keys) for (const r of k.roles) if (r.role === 'targets') r.expires = TARGETS_EXPIRES;
  const inventoryPath = join(dir, 'key-inventory.json');
  writeFileSync(inventoryPath, inventoryBytes(inv));
  return { dir, fx, alice: alice!, bob: bob!, dave, requestPath, responsePaths, inventoryPath };
}

describe('merge --inventory', () => {
  it('a final root merge records the added key, drops the removed one, updates certificate expiry', async () => {
    const s = await setup();
    const out = join(s.dir, 'root.v2.json');
    const c = captureIo();
    const status = await runCli(['merge', s.requestPath, s.responsePaths.Alice!, s.responsePaths.Bob!, s.responsePaths.Dave!, '--out', out, '--inventory', s.inventoryPath, '--json'], c.io);
    expect(c.err).toEqual([]);
    expect(status).toBe(0);
    expect(JSON.parse(c.out.join('\n')).inventory).toBe(s.inventoryPath);
    const inv = parseInventory(readFileSync(s.inventoryPath));
    const byFp = (fp: string) => inv.keys.find((k) => k.fingerprint === fp)!;
    const alice = byFp(s.alice.listed.key.fingerprint);
    expect(alice.custodian).toBe('Alice');
    expect(alice.roles).toEqual([]);
    const dave = byFp(s.dave.listed.key.fingerprint);
    expect(dave.custodian).toBe('Dave');
    expect(dave.origin).toBe('token');
    expect(dave.roles).toHaveLength(1);
    expect(dave.roles[0]).toMatchObject({ repository: GUN, profile: 'notary', role: 'root', keyId: s.dave.listed.keyId, expires: EXPIRES_V2 });
    expect(dave.roles[0]!.certificateExpires).toBe(s.dave.listed.key.certificate!.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const bob = byFp(s.bob.listed.key.fingerprint);
    expect(bob.roles.map((r) => [r.role, r.expires])).toEqual([['root', EXPIRES_V2]]);
    // Roles root.json does not date keep the expiry the inventory had for them.
    const targets = byFp(s.fx.targets.listed.key.fingerprint);
    expect(targets.roles.map((r) => [r.role, r.expires])).toEqual([['targets', TARGETS_EXPIRES]]);
  }, 60_000);

  it('a partial or refused merge leaves the inventory byte-identical', async () => {
    const s = await setup();
    const before = readFileSync(s.inventoryPath);
    const out = join(s.dir, 'root.v2.json');
    let c = captureIo();
    expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, '--out', out, '--inventory', s.inventoryPath], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROOT_NOT_SIGNED_BY_PREVIOUS\]/);
    c = captureIo();
    expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, '--out', out, '--inventory', s.inventoryPath, '--partial'], c.io)).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(s.inventoryPath).equals(before)).toBe(true);
  }, 60_000);

  it('refuses an inventory it would not write before merging anything (codes of the inventory parser)', async () => {
    const s = await setup();
    const good = JSON.parse(readFileSync(s.inventoryPath, 'utf8')) as Record<string, unknown> & { keys: Record<string, unknown>[] };
    const cases: [string, string, string][] = [
      ['not JSON', '{"format":', 'JSON_'],
      ['other format', JSON.stringify({ ...good, format: 'something-else' }), 'INVENTORY_INVALID'],
      ['version 2', JSON.stringify({ ...good, version: 2 }), 'INVENTORY_INVALID'],
      ['bad date', JSON.stringify({ ...good, updated: 'yesterday' }), 'INVENTORY_INVALID'],
      ['unknown field', JSON.stringify({ ...good, extra: 1 }), 'INVENTORY_INVALID'],
      ['key twice', JSON.stringify({ ...good, keys: [good.keys[0], good.keys[0]] }), 'INVENTORY_INVALID'],
      ['bad role', JSON.stringify({ ...good, keys: [{ ...good.keys[0], roles: [{ repository: GUN, profile: 'notary', role: 'admin', keyId: 'a'.repeat(64) }] }] }), 'INVENTORY_INVALID'],
    ];
    for (const [what, text, code] of cases) {
      const path = join(s.dir, `bad-${what.replace(/\W/g, '-')}.json`);
      writeFileSync(path, text);
      const out = join(s.dir, `root-${what.replace(/\W/g, '-')}.json`);
      const c = captureIo();
      expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, s.responsePaths.Bob!, s.responsePaths.Dave!, '--out', out, '--inventory', path], c.io), what).toBe(1);
      expect(c.err[0], what).toMatch(new RegExp(`^error\\[${code}`));
      expect(existsSync(out), what).toBe(false);
      expect(readFileSync(path, 'utf8'), what).toBe(text);
    }
    // A missing inventory is refused too: --inventory never creates one.
    const missing = join(s.dir, 'none.json');
    const c = captureIo();
    expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, s.responsePaths.Bob!, s.responsePaths.Dave!, '--out', join(s.dir, 'r.json'), '--inventory', missing], c.io)).not.toBe(0);
    expect(c.err[0]).toMatch(/^error\[[A-Z_]+\]/);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(s.dir, 'r.json'))).toBe(false);
  }, 60_000);

  it('an update over the inventory\'s limits refuses the merge before root N+1 is written (review 13a M1)', async () => {
    const s = await setup();
    // Filled to INVENTORY_MAX_KEYS: Dave's key, new to it, is one too many.
    const inv = parseInventory(readFileSync(s.inventoryPath));
    for (let i = 0; inv.keys.length < INVENTORY_MAX_KEYS; i++) inv.keys.push({ fingerprint: `e${i.toString(16).padStart(63, '0')}`, algorithm: 'ed25519', origin: 'server', rehearsal: false, roles: [] });
    const full = inventoryBytes(inv);
    writeFileSync(s.inventoryPath, full);
    const listing = readdirSync(s.dir).sort();
    const out = join(s.dir, 'root.v2.json');
    const c = captureIo();
    expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, s.responsePaths.Bob!, s.responsePaths.Dave!, '--out', out, '--inventory', s.inventoryPath, '--json'], c.io)).toBe(1);
    const err = (JSON.parse(c.out.join('\n')) as { error: { code: string; message: string; path?: string } }).error;
    expect(err).toMatchObject({ code: 'INVENTORY_TOO_LARGE', path: '$.keys' });
    expect(err.message).toContain(`the key inventory ${s.inventoryPath} would hold keys: ${(INVENTORY_MAX_KEYS + 1).toLocaleString('en-US')}, over the limit`);
    expect(err.message).toContain('nothing was written');
    // No root N+1, no merge transcript, no lock: the folder and the inventory as they were.
    expect(readdirSync(s.dir).sort()).toEqual(listing);
    expect(readFileSync(s.inventoryPath).equals(full)).toBe(true);
    // The advice is what would work: merging again with this inventory is refused the same way; without it, not.
    expect(err.message).toContain(
      `The inventory is full: merging ${GUN} again with it would be refused the same way. Merge without --inventory (the inventory then stays stale for ${GUN}: status and keys say so), or first remove from ${s.inventoryPath} the repositories this site no longer trusts`,
    );
    const again = captureIo();
    expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, s.responsePaths.Bob!, s.responsePaths.Dave!, '--out', out], again.io), again.err.join('\n')).toBe(0);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});

describe('status --inventory', () => {
  it('shows each root key\'s custodian and roles; --json adds only the inventory field', async () => {
    const s = await setup();
    const out = join(s.dir, 'root.v2.json');
    expect(await runCli(['merge', s.requestPath, s.responsePaths.Alice!, s.responsePaths.Bob!, s.responsePaths.Dave!, '--out', out, '--inventory', s.inventoryPath], captureIo().io)).toBe(0);
    const meta = join(s.dir, 'metadata');
    mkdirSync(meta);
    copyFileSync(out, join(meta, 'root.json'));
    const plain = captureIo();
    await runCli(['status', meta, '--json'], plain.io);
    const without = JSON.parse(plain.out.join('\n')) as Record<string, unknown>;
    expect(without.inventory).toBeUndefined();
    const c = captureIo();
    await runCli(['status', meta, '--inventory', s.inventoryPath, '--json'], c.io);
    const report = JSON.parse(c.out.join('\n')) as Record<string, unknown> & { inventory: { path: string; keys: { keyId: string; role: string; custodian: string | null; roles: { repository: string; role: string }[] }[] } };
    // Fields only added: everything else as without --inventory, except the holders the inventory names.
    expect(Object.keys(report).filter((k) => k !== 'inventory')).toEqual(Object.keys(without));
    expect(report.inventory.path).toBe(s.inventoryPath);
    const dave = report.inventory.keys.find((k) => k.keyId === s.dave.listed.keyId)!;
    expect(dave).toMatchObject({ role: 'root', custodian: 'Dave' });
    expect(dave.roles).toEqual([expect.objectContaining({ repository: GUN, role: 'root' })]);
    expect(report.inventory.keys.map((k) => k.role)).toEqual(['root', 'root', 'root', 'targets', 'snapshot', 'timestamp']);
    expect(report.inventory.keys.some((k) => k.keyId === s.alice.listed.keyId)).toBe(false);
    // The root row names who renews it from the inventory (the folder alone does not say).
    expect(JSON.stringify(report.items)).toContain('"holder":"Dave"');
    const h = captureIo();
    await runCli(['status', meta, '--inventory', s.inventoryPath], h.io);
    expect(h.out.join('\n')).toMatch(/root {6}key [0-9a-f]{12} {2}custodian Dave\n {12}root \(notary\) in 1 repository: registry\.example\.com\/org\/app/);
    // An inventory this tool would not write is refused with the parser's code.
    const bad = join(s.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: 'x', keys: [] }));
    const e = captureIo();
    expect(await runCli(['status', meta, '--inventory', bad], e.io)).toBe(1);
    expect(e.err[0]).toMatch(/^error\[INVENTORY_INVALID\]/);
  }, 60_000);
});

describe('import --inventory', () => {
  it('records the installed repository\'s keys, roles and expiries; a refused inventory installs nothing', async () => {
    const dir = tmp('tufc-inv-import-');
    const repo = await buildRepo('tuf');
    const src = join(dir, 'repo');
    mkdirSync(src);
    const files = repo.files();
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) writeFileSync(join(src, `${role}.json`), files[role]!);
    for (const [name, bytes] of files.delegated) writeFileSync(join(src, `${name}.json`), bytes);
    const pin = join(dir, 'pinned-root.json');
    writeFileSync(pin, files.root!);
    const inventoryPath = join(dir, 'key-inventory.json');
    writeFileSync(inventoryPath, inventoryBytes(emptyInventory(new Date('2026-12-01T00:00:00Z'))));
    // Refused inventory first: nothing installed, the file untouched.
    const bad = join(dir, 'bad.json');
    const badText = JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-01T00:00:00Z', keys: [{ fingerprint: 'zz' }] });
    writeFileSync(bad, badText);
    let c = captureIo();
    expect(await runCli(['import', src, '--trust-dir', join(dir, 'trust-bad'), '--root', pin, '--inventory', bad], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[INVENTORY_INVALID\]/);
    expect(existsSync(join(dir, 'trust-bad'))).toBe(false);
    expect(readFileSync(bad, 'utf8')).toBe(badText);
    c = captureIo();
    expect(await runCli(['import', src, '--trust-dir', join(dir, 'trust'), '--root', pin, '--inventory', inventoryPath, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join('\n')).inventory).toBe(inventoryPath);
    const inv = parseInventory(readFileSync(inventoryPath));
    const root = parseMetadata(files.root!, 'root', { maxBytes: 1 << 20, source: 'root.json', profile: 'tuf' }).signed as Root;
    const snapshot = parseMetadata(files.snapshot!, 'snapshot', { maxBytes: 1 << 20, source: 'snapshot.json', profile: 'tuf' }).signed;
    const rows = inv.keys.flatMap((k) => k.roles.map((r) => ({ fp: k.fingerprint, role: r.role, keyId: r.keyId, expires: r.expires })));
    expect(rows).toHaveLength(root.roles.get('root')!.keyids.length + 3);
    for (const r of rows) expect(root.keys.get(r.keyId)!.key.fingerprint).toBe(r.fp);
    expect(rows.find((r) => r.role === 'snapshot')!.expires).toBe(snapshot.expires.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(rows.filter((r) => r.role === 'root').every((r) => r.expires === root.expires.toISOString().replace(/\.\d{3}Z$/, 'Z'))).toBe(true);
  }, 60_000);
});
