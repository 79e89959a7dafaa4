/**
 * The key inventory (src/ceremony/inventory.ts): what a ceremony writes reads back; the hooks for
 * rotations and imports replace a repository's roles; every refusal is INVENTORY_INVALID with the JSON
 * path (or the parser's code), and the size cap holds.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { describeRoles, dropRole, emptyInventory, firstExpiry, INVENTORY_MAX_BYTES, inventoryBytes, parseInventory, recordRepository, type KeyInventory } from '../../../src/ceremony/inventory.js';
import { refusal } from '../../support/refusal.js';
import { inventoryFreshness, rootFreshness } from '../../../src/ceremony/inventory-fresh.js';

const FP = (c: string) => c.repeat(64);
const NOW = new Date('2026-12-06T05:00:00Z');

function sample(): KeyInventory {
  const inv = emptyInventory(NOW);
  inv.keys.push({ fingerprint: FP('a'), algorithm: 'ecdsa-p256', origin: 'token', custodian: 'Alice', token: { serial: '11', label: 'alice' }, label: 'root-alice', ckaId: '0a0b', rehearsal: false, roles: [] });
  inv.keys.push({ fingerprint: FP('b'), algorithm: 'ecdsa-p256', origin: 'token', custodian: 'Bob', token: { serial: '22', label: 'bob' }, label: 'targets', ckaId: '0c', rehearsal: false, roles: [] });
  for (const name of ['r/one', 'r/two']) {
    recordRepository(
      inv,
      {
        name,
        profile: 'notary',
        dir: `metadata/${name}`,
        keys: [
          { role: 'root', keyId: FP('1'), fingerprint: FP('a'), algorithm: 'ecdsa-p256', origin: 'token', certificateExpires: '2036-05-01T00:00:00Z' },
          { role: 'targets', keyId: FP('2'), fingerprint: FP('b'), algorithm: 'ecdsa-p256', origin: 'token' },
        ],
        expires: { root: '2036-05-01T00:00:00Z', targets: '2029-05-01T00:00:00Z' },
        root: { version: 1, sha256: name === 'r/one' ? FP('d') : FP('e') },
      },
      NOW,
    );
  }
  return inv;
}

const bytes = (v: JsonValue): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

function set(obj: JsonObject, path: (string | number)[], value: JsonValue | undefined): JsonObject {
  const copy = structuredClone(obj);
  let cur = copy as Record<string | number, JsonValue>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, JsonValue>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

describe('the key inventory', () => {
  it('reads back what it writes; roles grouped for people; first expiry', () => {
    const inv = sample();
    const back = parseInventory(inventoryBytes(inv));
    expect(back).toEqual(inv);
    const alice = back.keys[0]!;
    expect(alice.roles.map((r) => [r.repository, r.role])).toEqual([
      ['r/one', 'root'],
      ['r/two', 'root'],
    ]);
    expect(firstExpiry(back.keys[1]!)).toBe('2029-05-01T00:00:00Z');
    expect(describeRoles(alice)).toEqual(['root (notary) in 2 repositories: r/one, r/two; first expiry 2036-05-01T00:00:00Z']);
  });

  it('recordRepository replaces what the inventory said of a repository (a rotation: Bob → Carol)', () => {
    const inv = sample();
    recordRepository(inv, { name: 'r/one', profile: 'notary', dir: 'x', keys: [{ role: 'root', keyId: FP('1'), fingerprint: FP('a'), algorithm: 'ecdsa-p256', origin: 'token' }, { role: 'targets', keyId: FP('3'), fingerprint: FP('c'), algorithm: 'ed25519', origin: 'publisher' }], expires: {} }, NOW);
    expect(inv.keys.find((k) => k.fingerprint === FP('b'))!.roles.map((r) => r.repository)).toEqual(['r/two']);
    expect(inv.keys.find((k) => k.fingerprint === FP('c'))).toMatchObject({ algorithm: 'ed25519', origin: 'publisher', roles: [{ repository: 'r/one', role: 'targets' }] });
    dropRole(inv, FP('a'), 'r/two', 'root', NOW);
    expect(inv.keys[0]!.roles.map((r) => r.repository)).toEqual(['r/one']);
    expect(refusal(() => dropRole(inv, FP('e'), 'r/two', 'root', NOW)).code).toBe('INVENTORY_INVALID');
  });

  const base = JSON.parse(new TextDecoder().decode(inventoryBytes(sample()))) as JsonObject;
  const cases: [string, JsonValue, string][] = [
    ['another format', set(base, ['format'], 'tuf-ceremony-plan'), '$.format'],
    ['another version', set(base, ['version'], 2), '$.version'],
    ['an unknown field', set(base, ['extra'], 1), '$.extra'],
    ['a bad date', set(base, ['updated'], 'yesterday'), '$.updated'],
    ['a key listed twice', set(base, ['keys', 1, 'fingerprint'], FP('a')), '$.keys[1].fingerprint'],
    ['a bad fingerprint', set(base, ['keys', 0, 'fingerprint'], 'abc'), '$.keys[0].fingerprint'],
    ['an unknown algorithm', set(base, ['keys', 0, 'algorithm'], 'dsa'), '$.keys[0].algorithm'],
    ['a bad CKA_ID', set(base, ['keys', 0, 'ckaId'], 'XY'), '$.keys[0].ckaId'],
    ['an unknown role', set(base, ['keys', 0, 'roles', 0, 'role'], 'mirror'), '$.keys[0].roles[0].role'],
    ['an unknown profile', set(base, ['keys', 0, 'roles', 1, 'profile'], 'docker'), '$.keys[0].roles[1].profile'],
    ['a bad key ID', set(base, ['keys', 0, 'roles', 0, 'keyId'], 'zz'), '$.keys[0].roles[0].keyId'],
    ['a bad certificate expiry', set(base, ['keys', 0, 'roles', 0, 'certificateExpires'], '2036-05-01'), '$.keys[0].roles[0].certificateExpires'],
    ['a role without a repository', set(base, ['keys', 0, 'roles', 0, 'repository'], undefined), '$.keys[0].roles[0].repository'],
    ['keys not an array', set(base, ['keys'], {}), '$.keys'],
    ['repositories not an array', set(base, ['repositories'], {}), '$.repositories'],
    ['a repository listed twice', set(base, ['repositories', 1, 'repository'], 'r/one'), '$.repositories[1].repository'],
    ['a repository record with an unknown field', set(base, ['repositories', 0, 'dir'], 'x'), '$.repositories[0].dir'],
    ['a repository record without its root', set(base, ['repositories', 0, 'root'], undefined), '$.repositories[0].root'],
    ['a root version 0', set(base, ['repositories', 0, 'root', 'version'], 0), '$.repositories[0].root.version'],
    ['a root version as text', set(base, ['repositories', 0, 'root', 'version'], '1'), '$.repositories[0].root.version'],
    ['a root SHA-256 of the wrong length', set(base, ['repositories', 0, 'root', 'sha256'], 'ab'), '$.repositories[0].root.sha256'],
    ['a root SHA-256 in upper case', set(base, ['repositories', 0, 'root', 'sha256'], 'AB'.repeat(32)), '$.repositories[0].root.sha256'],
    ['a repository of an unknown profile', set(base, ['repositories', 0, 'profile'], 'docker'), '$.repositories[0].profile'],
    ['a root record with an unknown field', set(base, ['repositories', 0, 'root', 'length'], 1), '$.repositories[0].root.length'],
  ];
  it.each(cases)('refuses %s', (_what, doc, path) => {
    const err = refusal(() => parseInventory(bytes(doc)));
    expect(err.code).toBe('INVENTORY_INVALID');
    expect(err.path).toBe(path);
  });

  it('records the root each repository\'s roles follow; an older inventory without the record still reads', () => {
    const inv = sample();
    expect(inv.repositories).toEqual([
      { repository: 'r/one', profile: 'notary', root: { version: 1, sha256: FP('d') } },
      { repository: 'r/two', profile: 'notary', root: { version: 1, sha256: FP('e') } },
    ]);
    // A rotation's record replaces the repository's root; a record without a root forgets it.
    recordRepository(inv, { name: 'r/one', profile: 'notary', dir: 'x', keys: [], expires: {}, root: { version: 2, sha256: FP('f') } }, NOW);
    recordRepository(inv, { name: 'r/two', profile: 'notary', dir: 'x', keys: [], expires: {} }, NOW);
    expect(inv.repositories).toEqual([{ repository: 'r/one', profile: 'notary', root: { version: 2, sha256: FP('f') } }]);
    const older = set(base, ['repositories'], undefined);
    expect(parseInventory(bytes(older)).repositories).toEqual([]);
  });

  it('freshness: current, stale (with the message), unrecorded, absent', () => {
    const inv = sample();
    expect(inventoryFreshness(inv, 'r/one', { version: 1, sha256: FP('d') })).toMatchObject({ state: 'current', message: null });
    const stale = inventoryFreshness(inv, 'r/one', { version: 2, sha256: FP('9') });
    expect(stale).toMatchObject({ state: 'stale', recorded: { version: 1, sha256: FP('d') }, found: { version: 2 } });
    expect(stale.message).toBe(`inventory is stale for r/one (records root v1 sha256 ${'d'.repeat(16)}…, found v2 ${'9'.repeat(16)}…): its roles for this repository are not shown; update it (merge or import with --inventory)`);
    const older = parseInventory(bytes(set(base, ['repositories'], undefined)));
    expect(inventoryFreshness(older, 'r/one', { version: 1, sha256: FP('d') }).state).toBe('unrecorded');
    expect(inventoryFreshness(inv, 'r/three', { version: 1, sha256: FP('d') }).state).toBe('absent');
    // A root found by its bytes needs no name; by name when it differs; nothing known: undefined.
    expect(rootFreshness(inv, { version: 1, sha256: FP('e') }, [])).toMatchObject({ repository: 'r/two', state: 'current' });
    expect(rootFreshness(inv, { version: 3, sha256: FP('8') }, [undefined, 'r/two'])).toMatchObject({ repository: 'r/two', state: 'stale' });
    expect(rootFreshness(inv, { version: 3, sha256: FP('8') }, [])).toBeUndefined();
  });

  it('freshness: the name asked for wins over a repository whose recorded root has the same bytes (review a2 L4)', () => {
    // A TUF multi-repository ceremony whose keys are all shared: every repository's root.json is the same bytes.
    const inv = sample();
    const rec = (name: string) => inv.repositories.find((x) => x.repository === name)!;
    rec('r/one').root = { version: 2, sha256: FP('f') };
    rec('r/two').root = { version: 2, sha256: FP('f') };
    const found = { version: 2, sha256: FP('f') };
    expect(rootFreshness(inv, found, ['r/two'])).toMatchObject({ repository: 'r/two', state: 'current' });
    expect(rootFreshness(inv, found, [undefined, 'r/one'])).toMatchObject({ repository: 'r/one', state: 'current' });
    // r/two's inventory update was lost (a crash between root and inventory): its stale record is not hidden
    // behind r/one's current one, whose root has the found bytes.
    rec('r/two').root = { version: 1, sha256: FP('e') };
    expect(rootFreshness(inv, found, ['r/two'])).toMatchObject({ repository: 'r/two', state: 'stale', recorded: { version: 1 } });
    expect(rootFreshness(inv, found, ['r/one'])).toMatchObject({ repository: 'r/one', state: 'current' });
    // No name: the bytes choose only when one repository records them.
    expect(rootFreshness(inv, found, [])).toMatchObject({ repository: 'r/one', state: 'current' });
    rec('r/two').root = { version: 2, sha256: FP('f') };
    expect(rootFreshness(inv, found, [undefined])).toBeUndefined();
    // A name the inventory does not know is not answered with another repository of the same bytes.
    expect(rootFreshness(inv, found, ['r/three'])).toBeUndefined();
  });

  it('refuses more than the size cap, and what is not JSON', () => {
    expect(refusal(() => parseInventory(new Uint8Array(INVENTORY_MAX_BYTES + 1))).code).toBe('INPUT_TOO_LARGE');
    expect(refusal(() => parseInventory(new TextEncoder().encode('{"format": '))).code).toBe('JSON_MALFORMED');
  });
});
