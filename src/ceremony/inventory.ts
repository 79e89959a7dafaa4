/**
 * The key inventory (issue #17): which key, on which token, held by which custodian, holds which role in
 * which repository, and until when — the question a custodian asks of their token ("what does my key sign
 * for?") and `tuf-ceremony keys` answers by joining this document with the keys it finds on the tokens
 * (by fingerprint, the SHA-256 of the key's DER SubjectPublicKeyInfo).
 *
 * `key-inventory.json`, written beside a ceremony's outputs (multi-machine.ts) and kept up to date by the
 * hooks below (rotations replace a key's role, imports add repositories):
 *
 * ```json
 * {
 *   "format": "tuf-ceremony-key-inventory", "version": 1, "updated": "2026-12-06T05:00:00Z",
 *   "repositories": [{ "repository": "registry.example.com/org/app", "profile": "notary",
 *                      "root": { "version": 1, "sha256": "<hex SHA-256 of the root.json the roles are from>" } }],
 *   "keys": [{
 *     "fingerprint": "<hex SHA-256 of the SPKI>", "algorithm": "ecdsa-p256",
 *     "custodian": "Alice", "token": { "serial": "…", "label": "…" }, "label": "root-alice", "ckaId": "<hex>",
 *     "origin": "token", "rehearsal": false,
 *     "roles": [{ "repository": "registry.example.com/org/app", "profile": "notary", "role": "root",
 *                 "keyId": "<hex>", "expires": "2036-05-01T00:00:00Z", "certificateExpires": "2036-05-01T00:00:00Z" }]
 *   }]
 * }
 * ```
 *
 * Read strictly (INVENTORY_INVALID with the JSON path; INPUT_TOO_LARGE over INVENTORY_MAX_BYTES): it
 * steers what people are told about their keys. `expires` is the role's metadata expiry (v1 at the
 * ceremony); `certificateExpires` the Notary root certificate's notAfter.
 */
import { CeremonyError } from '../errors.js';
import { child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { KeyAlgorithm, ProfileName } from '../profiles/profile.js';
import type { MultiRepositoryPlan } from './multi-plan.js';
import type { CeremonyPlan } from './plan.js';
import { StrictReader } from './read.js';
import type { CeremonyState, KeyOriginKind, MetadataRole } from './state.js';

export const INVENTORY_FILE = 'key-inventory.json';
export const INVENTORY_FORMAT = 'tuf-ceremony-key-inventory';
export const INVENTORY_VERSION = 1;
/** 5,000 repositories × 6 roles is about 2 MB; a quarter of this cap. */
export const INVENTORY_MAX_BYTES = 16 * 1024 * 1024;
export const INVENTORY_MAX_KEYS = 4096;
export const INVENTORY_MAX_ROLES_PER_KEY = 20_000;
export const INVENTORY_MAX_REPOSITORIES = 20_000;

export interface InventoryRole {
  repository: string;
  profile: ProfileName;
  role: MetadataRole;
  /** The ID the repository's root lists the key under (Notary root keys: the certificate's). */
  keyId: string;
  /** The role's metadata expiry as signed (v1 at a ceremony). */
  expires?: string;
  /** Notary root keys: the certificate's notAfter. */
  certificateExpires?: string;
}

export interface InventoryKey {
  fingerprint: string;
  algorithm: KeyAlgorithm;
  origin: KeyOriginKind;
  custodian?: string;
  token?: { serial: string; label: string };
  label?: string;
  ckaId?: string;
  rehearsal: boolean;
  roles: InventoryRole[];
}

/** The root.json a repository's roles were read from (its version and the SHA-256 of its bytes). */
export interface InventoryRoot {
  version: number;
  sha256: string;
}

export interface InventoryRepository {
  repository: string;
  profile: ProfileName;
  root: InventoryRoot;
}

export interface KeyInventory {
  format: typeof INVENTORY_FORMAT;
  version: typeof INVENTORY_VERSION;
  updated: string;
  /** Per repository, the root its roles follow (empty in inventories written before it was recorded). */
  repositories: InventoryRepository[];
  keys: InventoryKey[];
}

/** What a ceremony knows of one repository's keys (multi-machine.ts). */
export interface InventoryRepositoryRecord {
  name: string;
  profile: ProfileName;
  dir: string;
  keys: { role: MetadataRole; keyId: string; fingerprint: string; algorithm: KeyAlgorithm; origin: KeyOriginKind; certificateExpires?: string }[];
  expires: Record<string, string>;
  /** The root.json the keys were read from; absent: not known (the repository's record is dropped). */
  root?: InventoryRoot;
}

const r = new StrictReader('INVENTORY_INVALID');
const ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'] as const;
const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
const ORIGINS = ['token', 'software', 'shamir', 'server', 'publisher'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

export function emptyInventory(now: Date): KeyInventory {
  return { format: INVENTORY_FORMAT, version: INVENTORY_VERSION, updated: now.toISOString(), repositories: [], keys: [] };
}

/** The inventory after a ceremony: every key of the ceremony state, with the roles the repositories give it. */
export function buildInventory(init: { plan?: MultiRepositoryPlan; state: CeremonyState; repositories: InventoryRepositoryRecord[]; planSha256: string; now: Date; rehearsal: boolean }): KeyInventory {
  const inv = emptyInventory(init.now);
  for (const rec of Object.values(init.state.keys)) {
    if (rec.status !== 'ready' || !rec.fingerprint) continue;
    const key: InventoryKey = { fingerprint: rec.fingerprint, algorithm: rec.algorithm, origin: rec.origin, rehearsal: init.rehearsal, roles: [] };
    if (rec.custodian) key.custodian = rec.custodian;
    if (rec.custodian && init.state.tokens[rec.custodian]) key.token = { ...init.state.tokens[rec.custodian]! };
    if (rec.label) key.label = rec.label;
    if (rec.tokenKeyId) key.ckaId = rec.tokenKeyId;
    inv.keys.push(key);
  }
  for (const repo of init.repositories) recordRepository(inv, repo, init.now);
  return inv;
}

/**
 * Hook for ceremonies, rotations and imports: the roles `repo` gives its keys replace whatever the
 * inventory said of that repository before (a key that left a role loses it). Keys not yet in the
 * inventory are added with what the repository knows of them (server and publisher keys: not on tokens).
 */
export function recordRepository(inv: KeyInventory, repo: InventoryRepositoryRecord, now: Date): void {
  for (const k of inv.keys) k.roles = k.roles.filter((x) => x.repository !== repo.name);
  // The root the roles now follow; a record without one leaves the repository's freshness unknown.
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

/**
 * What a ceremony's state knows of the one repository it made (a single-repository ceremony, machine.ts;
 * multi-machine.ts builds the same per repository): every ready key with a role, its ID in root.json, and
 * each role's expiry as planned. Notary root keys' certificates are issued until the root's expiry.
 */
export function ceremonyRepositoryRecord(plan: Pick<CeremonyPlan, 'repository' | 'profile' | 'root' | 'targets' | 'snapshot' | 'timestamp'>, state: CeremonyState, dir: string, root?: InventoryRoot): InventoryRepositoryRecord {
  const keys: InventoryRepositoryRecord['keys'] = [];
  for (const rec of Object.values(state.keys)) {
    if (rec.status !== 'ready' || !rec.fingerprint || !rec.keyId) continue;
    keys.push({ role: rec.role, keyId: rec.keyId, fingerprint: rec.fingerprint, algorithm: rec.algorithm, origin: rec.origin, ...(rec.certificate ? { certificateExpires: plan.root.expires.text } : {}) });
  }
  const expires: Record<string, string> = { root: plan.root.expires.text, targets: plan.targets.expires.text };
  for (const r of ['snapshot', 'timestamp'] as const) {
    const rl = plan[r];
    if ('expires' in rl) expires[r] = rl.expires.text;
  }
  return { name: plan.repository, profile: plan.profile, dir, keys, expires, ...(root ? { root } : {}) };
}

/** The canonical file bytes (stable key order as built; two-space indent for people). */
export function inventoryBytes(inv: KeyInventory): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(inv as unknown as JsonObject, null, 2) + '\n');
}

function date(value: JsonValue | undefined, path: string): string {
  const s = r.text(value, path, 40);
  if (!DATE.test(s) || Number.isNaN(new Date(s).getTime())) r.fail(path, 'expected a UTC date such as 2036-05-01T00:00:00Z');
  return s;
}

function hex(value: JsonValue | undefined, path: string, what: string): string {
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2}){1,64}$/.test(value)) r.fail(path, `expected ${what} as lower-case hex`);
  return value as string;
}

/** Parse an inventory's bytes: size cap, strict schema, into new objects. */
export function parseInventory(bytes: Uint8Array, source = INVENTORY_FILE): KeyInventory {
  const root = parseJsonStrict(bytes, { maxBytes: INVENTORY_MAX_BYTES, path: '$', maxDepth: 8 });
  const o = r.object(root, '$', ['format', 'version', 'updated', 'keys'], ['repositories']);
  r.literal(o.format, '$.format', INVENTORY_FORMAT, `a key inventory (${source})`);
  r.literal(o.version, '$.version', INVENTORY_VERSION, 'the inventory version this tool reads');
  const inv: KeyInventory = { format: INVENTORY_FORMAT, version: INVENTORY_VERSION, updated: date(o.updated, '$.updated'), repositories: [], keys: [] };
  const named = new Set<string>();
  if (o.repositories !== undefined) {
    r.array(o.repositories, '$.repositories', 0, INVENTORY_MAX_REPOSITORIES).forEach((v, i) => {
      const p = child('$.repositories', i);
      const x = r.object(v, p, ['repository', 'profile', 'root']);
      const rt = r.object(x.root, child(p, 'root'), ['version', 'sha256']);
      const rec: InventoryRepository = {
        repository: r.text(x.repository, child(p, 'repository'), 255),
        profile: r.oneOf(x.profile, child(p, 'profile'), ['notary', 'tuf'] as const),
        root: { version: r.integer(rt.version, child(child(p, 'root'), 'version'), 1, Number.MAX_SAFE_INTEGER), sha256: r.sha256(rt.sha256, child(child(p, 'root'), 'sha256')) },
      };
      if (named.has(rec.repository)) r.fail(child(p, 'repository'), 'this repository is listed twice');
      named.add(rec.repository);
      inv.repositories.push(rec);
    });
  }
  const seen = new Set<string>();
  r.array(o.keys, '$.keys', 0, INVENTORY_MAX_KEYS).forEach((v, i) => {
    const p = child('$.keys', i);
    const k = r.object(v, p, ['fingerprint', 'algorithm', 'origin', 'rehearsal', 'roles'], ['custodian', 'token', 'label', 'ckaId']);
    const key: InventoryKey = {
      fingerprint: r.sha256(k.fingerprint, child(p, 'fingerprint')),
      algorithm: r.oneOf(k.algorithm, child(p, 'algorithm'), ALGORITHMS),
      origin: r.oneOf(k.origin, child(p, 'origin'), ORIGINS),
      rehearsal: r.boolean(k.rehearsal, child(p, 'rehearsal')),
      roles: [],
    };
    if (seen.has(key.fingerprint)) r.fail(child(p, 'fingerprint'), 'this key is listed twice');
    seen.add(key.fingerprint);
    if (k.custodian !== undefined) key.custodian = r.text(k.custodian, child(p, 'custodian'), 100);
    if (k.token !== undefined) {
      const t = r.object(k.token, child(p, 'token'), ['serial', 'label']);
      key.token = { serial: r.text(t.serial, child(child(p, 'token'), 'serial'), 64), label: t.label === '' ? '' : r.text(t.label, child(child(p, 'token'), 'label'), 64) };
    }
    if (k.label !== undefined) key.label = r.text(k.label, child(p, 'label'), 64);
    if (k.ckaId !== undefined) key.ckaId = hex(k.ckaId, child(p, 'ckaId'), 'a CKA_ID');
    r.array(k.roles, child(p, 'roles'), 0, INVENTORY_MAX_ROLES_PER_KEY).forEach((rv, j) => {
      const rp = child(child(p, 'roles'), j);
      const ro = r.object(rv, rp, ['repository', 'profile', 'role', 'keyId'], ['expires', 'certificateExpires']);
      const role: InventoryRole = {
        repository: r.text(ro.repository, child(rp, 'repository'), 255),
        profile: r.oneOf(ro.profile, child(rp, 'profile'), ['notary', 'tuf'] as const),
        role: r.oneOf(ro.role, child(rp, 'role'), ROLES),
        keyId: r.sha256(ro.keyId, child(rp, 'keyId')),
      };
      if (ro.expires !== undefined) role.expires = date(ro.expires, child(rp, 'expires'));
      if (ro.certificateExpires !== undefined) role.certificateExpires = date(ro.certificateExpires, child(rp, 'certificateExpires'));
      key.roles.push(role);
    });
    inv.keys.push(key);
  });
  return inv;
}

/** The earliest expiry among a key's roles and certificates, or undefined. */
export function firstExpiry(key: InventoryKey): string | undefined {
  const all = key.roles.flatMap((x) => [x.expires, x.certificateExpires]).filter((x): x is string => x !== undefined);
  return all.sort()[0];
}

/** One line per role, grouped for people: "root in 240 repositories (notary), until 2036-05-01T00:00:00Z". */
export function describeRoles(key: InventoryKey, max = 3): string[] {
  const groups = new Map<string, InventoryRole[]>();
  for (const x of key.roles) {
    const g = `${x.role} (${x.profile})`;
    groups.set(g, [...(groups.get(g) ?? []), x]);
  }
  return [...groups.entries()].map(([g, list]) => {
    const names = list.slice(0, max).map((x) => x.repository);
    const more = list.length > max ? ` and ${list.length - max} more` : '';
    const until = list.map((x) => x.certificateExpires ?? x.expires).filter(Boolean).sort()[0];
    return `${g} in ${list.length} repositor${list.length === 1 ? 'y' : 'ies'}: ${names.join(', ')}${more}${until ? `; first expiry ${until}` : ''}`;
  });
}

/** Hook for rotations: a key leaves `role` in `repository` (the new key's role is added by recordRepository). */
export function dropRole(inv: KeyInventory, fingerprint: string, repository: string, role: MetadataRole, now: Date): void {
  const key = inv.keys.find((k) => k.fingerprint === fingerprint);
  if (!key) throw new CeremonyError('INVENTORY_INVALID', `no key with fingerprint ${fingerprint.slice(0, 16)}… is in the inventory`);
  key.roles = key.roles.filter((x) => !(x.repository === repository && x.role === role));
  inv.updated = now.toISOString();
}
