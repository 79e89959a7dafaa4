/**
 * The key inventory's limits (review 13a M1, M2, L1, L6): what a writer accepts the reader reads back,
 * sized for a 20,000-repository Notary site; an update over a limit is refused with the file as it was;
 * describeRoles is linear in a key's roles; the one-pass hooks write what the per-repository ones wrote;
 * one (repository, role) listed twice for a key is refused.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  checkedInventoryBytes,
  describeRoles,
  emptyInventory,
  INVENTORY_MAX_BYTES,
  INVENTORY_MAX_KEYS,
  INVENTORY_MAX_REPOSITORIES,
  INVENTORY_MAX_ROLES_PER_KEY,
  INVENTORY_MAX_VALUES,
  inventoryBytes,
  parseInventory,
  recordRepositories,
  recordRepository,
  type InventoryKey,
  type InventoryRepositoryRecord,
  type InventoryRole,
  type KeyInventory,
} from '../../../src/ceremony/inventory.js';
import { recordImportedRepositories, recordRotatedRoots } from '../../../src/ceremony/inventory-root.js';
import { readInventoryForUpdate, writeInventoryUpdate } from '../../../src/io/inventory-file.js';
import type { JsonObject } from '../../../src/json/types.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';
import { refusal } from '../../support/refusal.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const NOW = new Date('2026-12-07T00:00:00Z');
const LATER = new Date('2026-12-08T00:00:00Z');

/** 64 hex digits from a number: distinct numbers give distinct fingerprints and key IDs. */
const hex = (n: number, tag = 0): string => (tag.toString(16).padStart(8, '0') + n.toString(16).padStart(56, '0')).slice(0, 64);

/** A Notary repository of a site: three shared root keys with certificates, a shared targets key, its own snapshot and timestamp keys. */
function notaryRecord(i: number, nameLength = 40): InventoryRepositoryRecord {
  const name = `registry.example.com/org/app-${i}-`.padEnd(nameLength, 'x');
  return {
    name,
    profile: 'notary',
    dir: '',
    keys: [
      ...[1, 2, 3].map((k) => ({ role: 'root' as const, keyId: hex(i, k), fingerprint: hex(k, 0xf0), algorithm: 'ecdsa-p256' as const, origin: 'token' as const, certificateExpires: '2036-05-01T00:00:00Z' })),
      { role: 'targets', keyId: hex(i, 4), fingerprint: hex(4, 0xf0), algorithm: 'ecdsa-p256', origin: 'token' },
      { role: 'snapshot', keyId: hex(i, 5), fingerprint: hex(i, 5), algorithm: 'ecdsa-p256', origin: 'server' },
      { role: 'timestamp', keyId: hex(i, 6), fingerprint: hex(i, 6), algorithm: 'ecdsa-p256', origin: 'server' },
    ],
    expires: { root: '2036-05-01T00:00:00Z', targets: '2029-05-01T00:00:00Z', snapshot: '2029-05-01T00:00:00Z', timestamp: '2026-12-21T00:00:00Z' },
    root: { version: 1, sha256: hex(i, 7) },
  };
}

/** An inventory of `n` keys with no roles (the most keys in the fewest bytes). */
function manyKeys(n: number): KeyInventory {
  const inv = emptyInventory(NOW);
  for (let i = 0; i < n; i++) inv.keys.push({ fingerprint: hex(i, 1), algorithm: 'ed25519', origin: 'server', rehearsal: false, roles: [] });
  return inv;
}

describe('limits: what every writer accepts, the reader reads back (review 13a M1)', () => {
  it('a 20,000-repository Notary site, each repository with its own snapshot and timestamp keys and a 100-character name, is written and read back', () => {
    const inv = emptyInventory(NOW);
    recordRepositories(
      inv,
      Array.from({ length: INVENTORY_MAX_REPOSITORIES }, (_, i) => notaryRecord(i, 100)),
      NOW,
    );
    expect(inv.keys.length).toBe(4 + 2 * INVENTORY_MAX_REPOSITORIES);
    const started = performance.now();
    const bytes = checkedInventoryBytes(inv);
    const ms = Math.round(performance.now() - started);
    // Values and keys, as the parser's budget counts them (INVENTORY_MAX_VALUES).
    const count = (v: unknown): number => (Array.isArray(v) ? 1 + v.reduce((s: number, x) => s + count(x), 0) : v !== null && typeof v === 'object' ? 1 + Object.values(v).reduce((s: number, x) => s + 1 + count(x), 0) : 1);
    const values = count(JSON.parse(new TextDecoder().decode(bytes)));
    expect(values).toBeLessThan(INVENTORY_MAX_VALUES * 0.8);
    // The figure the comment on INVENTORY_MAX_BYTES gives, with room left under the cap.
    console.log(`20,000 Notary repositories: ${inv.keys.length} keys, ${bytes.length} bytes (cap ${INVENTORY_MAX_BYTES}), checked and read back by the writer in ${ms} ms, ${values} JSON values`);
    expect(bytes.length).toBeLessThan(INVENTORY_MAX_BYTES * 0.75);
    expect(parseInventory(bytes)).toEqual(inv);
  }, 120_000);

  it('each count limit: exactly at it is written and read back; one over is INVENTORY_TOO_LARGE at the JSON path', () => {
    const keys = manyKeys(INVENTORY_MAX_KEYS);
    expect(parseInventory(checkedInventoryBytes(keys)).keys.length).toBe(INVENTORY_MAX_KEYS);
    keys.keys.push({ fingerprint: hex(INVENTORY_MAX_KEYS, 1), algorithm: 'ed25519', origin: 'server', rehearsal: false, roles: [] });
    const overKeys = refusal(() => checkedInventoryBytes(keys));
    expect([overKeys.code, overKeys.path]).toEqual(['INVENTORY_TOO_LARGE', '$.keys']);
    expect(overKeys.message).toContain('keys: 80,001, over the limit of 80,000 (INVENTORY_MAX_KEYS)');
    // What the reader says of the same file, had it been written.
    expect(refusal(() => parseInventory(inventoryBytes(keys))).path).toBe('$.keys');

    const roles = manyKeys(1);
    for (let i = 0; i < INVENTORY_MAX_ROLES_PER_KEY; i++) roles.keys[0]!.roles.push({ repository: `r/${i >> 2}`, profile: 'tuf', role: (['root', 'targets', 'snapshot', 'timestamp'] as const)[i % 4]!, keyId: hex(i, 2) });
    expect(parseInventory(checkedInventoryBytes(roles)).keys[0]!.roles.length).toBe(INVENTORY_MAX_ROLES_PER_KEY);
    roles.keys[0]!.roles.push({ repository: 'r/over', profile: 'tuf', role: 'root', keyId: hex(0, 3) });
    const overRoles = refusal(() => checkedInventoryBytes(roles));
    expect([overRoles.code, overRoles.path]).toEqual(['INVENTORY_TOO_LARGE', '$.keys[0].roles']);

    const repos = emptyInventory(NOW);
    for (let i = 0; i < INVENTORY_MAX_REPOSITORIES; i++) repos.repositories.push({ repository: `r/${i}`, profile: 'tuf', root: { version: 1, sha256: hex(i, 4) } });
    expect(parseInventory(checkedInventoryBytes(repos)).repositories.length).toBe(INVENTORY_MAX_REPOSITORIES);
    repos.repositories.push({ repository: 'r/over', profile: 'tuf', root: { version: 1, sha256: hex(0, 5) } });
    const overRepos = refusal(() => checkedInventoryBytes(repos));
    expect([overRepos.code, overRepos.path]).toEqual(['INVENTORY_TOO_LARGE', '$.repositories']);
  }, 120_000);

  it('the byte cap: an inventory over it is refused before anything is written', () => {
    // Keys whose roles carry a long repository name each, grown past the cap (each key within its roles limit).
    const one = (i: number): InventoryRole => ({ repository: `r/${i}-`.padEnd(250, 'y'), profile: 'tuf', role: 'root', keyId: hex(i, 6) });
    const sized = (roles: number) => {
      const inv = manyKeys(1);
      for (let i = 0; i < roles; i++) inv.keys[0]!.roles.push(one(i));
      return inventoryBytes(inv).length;
    };
    const n = Math.ceil((INVENTORY_MAX_BYTES - sized(0)) / (sized(2) - sized(1))) + 1;
    const inv = manyKeys(Math.ceil(n / INVENTORY_MAX_ROLES_PER_KEY));
    for (let i = 0; i < n; i++) inv.keys[Math.floor(i / INVENTORY_MAX_ROLES_PER_KEY)]!.roles.push(one(i));
    const err = refusal(() => checkedInventoryBytes(inv));
    expect([err.code, err.path]).toEqual(['INVENTORY_TOO_LARGE', '$']);
    expect(err.message).toContain('(INVENTORY_MAX_BYTES)');
  }, 120_000);

  it('an import over the keys limit is refused through writeInventoryUpdate: the file byte for byte as it was, no lock left', async () => {
    const dir = tmp('tufc-inv-limit-');
    const path = join(dir, 'key-inventory.json');
    // One key short of the limit: a Notary repository brings two keys of its own.
    const before = inventoryBytes(manyKeys(INVENTORY_MAX_KEYS - 1));
    writeFileSync(path, before);
    const read = await readInventoryForUpdate(path, { now: NOW });
    recordImportedRepositories(read.inventory, [notaryRecord(1)], LATER);
    expect(read.inventory.keys.length).toBe(INVENTORY_MAX_KEYS + 5);
    const err = await writeInventoryUpdate(read, read.inventory, ' (import it again)').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'INVENTORY_TOO_LARGE', path: '$.keys' });
    expect((err as Error).message).toContain(`the key inventory ${path} would hold keys: 80,005, over the limit of 80,000`);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(before))).toBe(true);
    expect(readdirSync(dir)).toEqual(['key-inventory.json']);
  }, 120_000);
});

describe('one (repository, role) per key (review 13a L6)', () => {
  const role = (keyId: string, expires: string) => ({ repository: 'registry.example.com/org/app', profile: 'notary', role: 'root', keyId, expires });
  const file = (roles: JsonObject[]): Uint8Array =>
    new TextEncoder().encode(
      JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-07T00:00:00Z', keys: [{ fingerprint: hex(1, 1), algorithm: 'ecdsa-p256', origin: 'token', rehearsal: false, roles }] }),
    );

  it('the reader refuses the second entry, under another key ID too, with its JSON path', () => {
    const err = refusal(() => parseInventory(file([role(hex(1, 2), '2036-05-01T00:00:00Z'), { ...role(hex(1, 3), '2020-01-01T00:00:00Z'), role: 'targets' }, role(hex(9, 2), '2020-01-01T00:00:00Z')])));
    expect([err.code, err.path]).toEqual(['INVENTORY_INVALID', '$.keys[0].roles[2]']);
    expect(err.message).toContain('is listed for root in registry.example.com/org/app twice');
    // The same repository in two roles, or the same role in two repositories, is what a key may hold.
    expect(parseInventory(file([role(hex(1, 2), '2036-05-01T00:00:00Z'), { ...role(hex(1, 3), '2029-05-01T00:00:00Z'), role: 'targets' }])).keys[0]!.roles).toHaveLength(2);
  });

  it('no writer writes it: the writers read back what they write, and recording a repository again replaces its roles', () => {
    const inv = emptyInventory(NOW);
    recordRepository(inv, notaryRecord(1), NOW);
    recordRepository(inv, notaryRecord(1), LATER);
    expect(parseInventory(checkedInventoryBytes(inv))).toEqual(inv);
    inv.keys[0]!.roles.push({ ...inv.keys[0]!.roles[0]!, keyId: hex(2, 9) });
    const err = refusal(() => checkedInventoryBytes(inv));
    expect([err.code, err.path]).toEqual(['INVENTORY_INVALID', '$.keys[0].roles[1]']);
    expect(err.message).toContain('would not be read again (INVENTORY_INVALID: key');
  });
});

describe('describeRoles is linear in a key’s roles (review 13a M2)', () => {
  /** Array elements stepped through by any array iterator while `fn` runs (spread, for…of, Array.from). */
  function arraySteps(fn: () => void): number {
    const original = Array.prototype[Symbol.iterator];
    let steps = 0;
    Array.prototype[Symbol.iterator] = function (this: unknown[]) {
      const it = original.call(this);
      return {
        next: () => {
          steps++;
          return it.next();
        },
        [Symbol.iterator]() {
          return this;
        },
      } as ArrayIterator<unknown>;
    } as typeof original;
    try {
      fn();
    } finally {
      Array.prototype[Symbol.iterator] = original;
    }
    return steps;
  }

  const key = (n: number): InventoryKey => ({
    fingerprint: hex(1, 1),
    algorithm: 'ecdsa-p256',
    origin: 'token',
    rehearsal: false,
    roles: Array.from({ length: n }, (_, i) => ({ repository: `r/${i}`, profile: 'notary' as const, role: 'root' as const, keyId: hex(i, 2), expires: `20${30 + (i % 9)}-05-01T00:00:00Z` })),
  });

  it('steps through each role a bounded number of times, whatever their number', () => {
    const small = arraySteps(() => describeRoles(key(1_000)));
    const large = arraySteps(() => describeRoles(key(8_000)));
    // A copy of the group per role steps through n²/2 elements: 32 million at 8,000.
    expect(large).toBeLessThan(8 * 8_000);
    expect(large).toBeLessThan(small * 8 + 100);
    expect(describeRoles(key(8_000))).toEqual(['root (notary) in 8000 repositories: r/0, r/1, r/2 and 7997 more; first expiry 2030-05-01T00:00:00Z']);
  });
});

/**
 * The per-repository hooks as they were before the one-pass ones (review 13a L1): the reference the new
 * code must match byte for byte.
 */
function referenceRecord(inv: KeyInventory, repo: InventoryRepositoryRecord, now: Date): void {
  for (const k of inv.keys) k.roles = k.roles.filter((x) => x.repository !== repo.name);
  inv.repositories = inv.repositories.filter((x) => x.repository !== repo.name);
  if (repo.root) inv.repositories.push({ repository: repo.name, profile: repo.profile, root: { version: repo.root.version, sha256: repo.root.sha256 } });
  for (const held of repo.keys) {
    let key = inv.keys.find((k) => k.fingerprint === held.fingerprint);
    if (!key) {
      key = { fingerprint: held.fingerprint, algorithm: held.algorithm, origin: held.origin, rehearsal: false, roles: [] };
      inv.keys.push(key);
    }
    const role: InventoryRole = { repository: repo.name, profile: repo.profile, role: held.role, keyId: held.keyId };
    if (repo.expires[held.role]) role.expires = repo.expires[held.role]!;
    if (held.certificateExpires) role.certificateExpires = held.certificateExpires;
    key.roles.push(role);
  }
  inv.updated = now.toISOString();
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function referenceRotated(inv: KeyInventory, rec: InventoryRepositoryRecord, now: Date, names?: ReadonlyMap<string, string>): void {
  const kept = new Map<string, string>();
  for (const k of inv.keys) {
    for (const x of k.roles) if (x.repository === rec.name && x.role !== 'root' && x.expires) kept.set(`${x.role}:${k.fingerprint}`, x.expires);
  }
  referenceRecord(inv, { ...rec, expires: { root: rec.expires.root! } }, now);
  for (const k of inv.keys) {
    for (const x of k.roles) {
      if (x.repository !== rec.name || x.role === 'root') continue;
      const e = kept.get(`${x.role}:${k.fingerprint}`);
      if (e) x.expires = e;
    }
    if (!k.custodian && names) {
      const held = k.roles.find((x) => x.repository === rec.name && names.has(x.keyId));
      if (held) k.custodian = names.get(held.keyId)!;
    }
  }
  inv.updated = isoSeconds(now);
}

describe('the one-pass hooks write what the per-repository ones wrote (review 13a L1)', () => {
  const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

  /** A random record: a few of `repos` names (some repeated in a list), keys drawn from a small pool so they are shared. */
  function randomRecord(rnd: () => number, repos: number, pool: number): InventoryRepositoryRecord {
    const pick = (n: number) => Math.floor(rnd() * n);
    const keys: InventoryRepositoryRecord['keys'] = [];
    const count = 1 + pick(6);
    for (let j = 0; j < count; j++) {
      const fp = pick(pool);
      keys.push({ role: ROLES[pick(4)]!, keyId: hex(pick(50), 3), fingerprint: hex(fp, 1), algorithm: 'ecdsa-p256', origin: fp % 2 ? 'server' : 'token', ...(rnd() < 0.4 ? { certificateExpires: `20${30 + pick(9)}-01-01T00:00:00Z` } : {}) });
    }
    const expires: Record<string, string> = {};
    for (const r of ROLES) if (rnd() < 0.7) expires[r] = `20${27 + pick(9)}-0${1 + pick(9)}-01T00:00:00Z`;
    return { name: `r/${pick(repos)}`, profile: rnd() < 0.5 ? 'notary' : 'tuf', dir: '', keys, expires, ...(rnd() < 0.8 ? { root: { version: 1 + pick(5), sha256: hex(pick(1000), 4) } } : {}) };
  }

  /** A random starting inventory: keys with and without custodians, roles recorded per repository. */
  function randomInventory(rnd: () => number): KeyInventory {
    const inv = emptyInventory(NOW);
    for (let i = 0; i < 12; i++) if (rnd() < 0.5) inv.keys.push({ fingerprint: hex(i, 1), algorithm: 'ecdsa-p256', origin: 'token', rehearsal: false, roles: [], ...(rnd() < 0.5 ? { custodian: `C${i}` } : {}) });
    for (let i = 0; i < 40; i++) referenceRecord(inv, randomRecord(rnd, 30, 20), NOW);
    return inv;
  }

  it('on random inventories and record lists (with repeated repositories), byte for byte', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = seededRandom(seed); // mulberry32: a failing seed fails the same on every run
      const start = randomInventory(rnd);
      const recs = Array.from({ length: 1 + Math.floor(rnd() * 25) }, () => randomRecord(rnd, 30, 20));
      const names = recs.map(() => (rnd() < 0.7 ? new Map(Array.from({ length: 20 }, (_, i) => [hex(Math.floor(rnd() * 50), 3), `N${i}`] as const)) : undefined));
      const at = new Date(LATER.getTime() + seed * 1_234);

      const plain = structuredClone(start);
      const plainRef = structuredClone(start);
      recordRepositories(plain, recs, at);
      for (const rec of recs) referenceRecord(plainRef, rec, at);
      expect(Buffer.from(inventoryBytes(plain)).equals(Buffer.from(inventoryBytes(plainRef))), `recordRepositories, seed ${seed}`).toBe(true);

      const imported = structuredClone(start);
      const importedRef = structuredClone(start);
      recordImportedRepositories(imported, recs, at);
      for (const rec of recs) {
        referenceRecord(importedRef, rec, at);
        importedRef.updated = isoSeconds(at);
      }
      expect(Buffer.from(inventoryBytes(imported)).equals(Buffer.from(inventoryBytes(importedRef))), `recordImportedRepositories, seed ${seed}`).toBe(true);

      const rotated = structuredClone(start);
      const rotatedRef = structuredClone(start);
      recordRotatedRoots(
        rotated,
        recs.map((rec, i) => ({ rec, ...(names[i] ? { names: names[i] } : {}) })),
        at,
      );
      recs.forEach((rec, i) => referenceRotated(rotatedRef, rec, at, names[i]));
      expect(Buffer.from(inventoryBytes(rotated)).equals(Buffer.from(inventoryBytes(rotatedRef))), `recordRotatedRoots, seed ${seed}`).toBe(true);
    }
  });

  it('reads each role of the inventory a bounded number of times per update, not once per repository recorded', () => {
    const n = 500;
    const inv = emptyInventory(NOW);
    recordRepositories(inv, Array.from({ length: n }, (_, i) => notaryRecord(i)), NOW);
    // Count the reads of each role's repository through a proxy: the rescans read it once per record.
    let reads = 0;
    for (const k of inv.keys) {
      k.roles = k.roles.map(
        (x) =>
          new Proxy(x, {
            get(target, p, receiver) {
              if (p === 'repository') reads++;
              return Reflect.get(target, p, receiver) as unknown;
            },
          }),
      );
    }
    const total = inv.keys.reduce((s, k) => s + k.roles.length, 0);
    recordRotatedRoots(
      inv,
      Array.from({ length: n }, (_, i) => ({ rec: notaryRecord(i) })),
      LATER,
    );
    expect(total).toBe(6 * n);
    // Once, to drop it; a pass per record read it once per record (500 × 3,000).
    expect(reads).toBeLessThanOrEqual(total);
  });
});
