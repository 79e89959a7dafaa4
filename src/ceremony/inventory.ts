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
import { CeremonyError, messageWithoutPath } from '../errors.js';
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
/*
 * The limits an inventory is read with, and checked against before any writer writes one
 * (checkedInventoryBytes): a file this tool writes is always one it reads again (review 13a M1).
 * Sized for the largest site issue #17 serves, 20,000 repositories (a set imports 10,000, a
 * multi-repository ceremony makes 5,000, a site adds them up in one inventory). Each Notary repository
 * brings its own server timestamp key (and may bring a snapshot key of its own), so keys grow with the
 * repositories: four per repository — one of its own per top-level role — is the most one site can need.
 * A key shared by every repository (a site's root keys) holds one role per repository, and a key holds
 * one (repository, role) once (parseInventory), so four per repository bounds a key's roles too.
 * Bytes, measured (test/unit/ceremony/inventory-limits.test.ts): 20,000 Notary repositories named with
 * 100 characters, three shared root keys with certificates, a shared targets key and their own snapshot
 * and timestamp keys write 58.4 MB (40,004 keys, 6 roles and 2 keys per repository, 2.9 kB) and 2.1
 * million JSON values; the byte cap admits that with room for longer names, and is what a reader holds in
 * memory at most. The old caps (4,096 keys, 16 MiB) refused a Notary site past about 4,090 repositories.
 */
export const INVENTORY_MAX_REPOSITORIES = 20_000;
export const INVENTORY_MAX_KEYS = 4 * INVENTORY_MAX_REPOSITORIES;
export const INVENTORY_MAX_ROLES_PER_KEY = 4 * INVENTORY_MAX_REPOSITORIES;
export const INVENTORY_MAX_BYTES = 96 * 1024 * 1024;
/**
 * The parser's value budget (keys and values, src/json/parse.ts): its default, 2 million, refused that
 * site (2.1 million). This admits it with room for a targets key of each repository's own too, and
 * bounds a hostile file's heap to 1.5 times what the default does (a few hundred MB).
 */
export const INVENTORY_MAX_VALUES = 3_000_000;

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
  recordRepositories(inv, init.repositories, init.now);
  return inv;
}

/**
 * Hook for ceremonies, rotations and imports: the roles `repo` gives its keys replace whatever the
 * inventory said of that repository before (a key that left a role loses it). Keys not yet in the
 * inventory are added with what the repository knows of them (server and publisher keys: not on tokens).
 */
export function recordRepository(inv: KeyInventory, repo: InventoryRepositoryRecord, now: Date): void {
  recordRepositories(inv, [repo], now);
}

/** A role the inventory gave a key in a repository before recordRepositories replaced that repository's roles. */
export interface PreviousRole {
  fingerprint: string;
  role: InventoryRole;
}

/** Called for each role recordRepositories adds: the key, the new role, the record's index, what the repository held before. */
export type OnRecordedRole = (key: InventoryKey, role: InventoryRole, index: number, previous: readonly PreviousRole[]) => void;

/**
 * recordRepository for each of `recs` in turn, with the same result byte for byte, in time linear in the
 * inventory plus the records: a batch merge or set import records thousands of repositories, and one full
 * scan of the inventory per repository made that quadratic (review 13a L1: 12 s at 4,000). Records are
 * applied in runs of distinct repository names (a name seen again starts a new run), so a repository
 * recorded twice ends as the sequential calls leave it.
 */
export function recordRepositories(inv: KeyInventory, recs: readonly InventoryRepositoryRecord[], now: Date, onRole?: OnRecordedRole): void {
  if (recs.length === 0) return;
  // The first key of each fingerprint, as `inv.keys.find` would give it.
  const byFingerprint = new Map<string, InventoryKey>();
  for (const k of inv.keys) if (!byFingerprint.has(k.fingerprint)) byFingerprint.set(k.fingerprint, k);
  for (let start = 0; start < recs.length; ) {
    const names = new Set<string>();
    let end = start;
    while (end < recs.length && !names.has(recs[end]!.name)) names.add(recs[end++]!.name);
    recordRun(inv, recs, start, end, names, byFingerprint, onRole);
    start = end;
  }
  inv.updated = now.toISOString();
}

/** recs[start..end), whose names are distinct: no record of the run touches another's roles. */
function recordRun(inv: KeyInventory, recs: readonly InventoryRepositoryRecord[], start: number, end: number, names: ReadonlySet<string>, byFingerprint: Map<string, InventoryKey>, onRole?: OnRecordedRole): void {
  // One pass drops every recorded repository's roles, keeping what each held for the hook.
  const previous = new Map<string, PreviousRole[]>();
  for (const k of inv.keys) {
    const kept: InventoryRole[] = [];
    for (const x of k.roles) {
      const name = x.repository;
      if (!names.has(name)) kept.push(x);
      else {
        let list = previous.get(name);
        if (!list) previous.set(name, (list = []));
        list.push({ fingerprint: k.fingerprint, role: x });
      }
    }
    k.roles = kept;
  }
  // The root the roles now follow; a record without one leaves the repository's freshness unknown.
  inv.repositories = inv.repositories.filter((x) => !names.has(x.repository));
  for (let i = start; i < end; i++) {
    const repo = recs[i]!;
    if (repo.root) inv.repositories.push({ repository: repo.name, profile: repo.profile, root: { version: repo.root.version, sha256: repo.root.sha256 } });
    const before = previous.get(repo.name) ?? [];
    for (const held of repo.keys) {
      let key = byFingerprint.get(held.fingerprint);
      if (!key) {
        key = { fingerprint: held.fingerprint, algorithm: held.algorithm, origin: held.origin, rehearsal: false, roles: [] };
        inv.keys.push(key);
        byFingerprint.set(key.fingerprint, key);
      }
      const role: InventoryRole = { repository: repo.name, profile: repo.profile, role: held.role, keyId: held.keyId };
      if (repo.expires[held.role]) role.expires = repo.expires[held.role]!;
      if (held.certificateExpires) role.certificateExpires = held.certificateExpires;
      key.roles.push(role);
      onRole?.(key, role, i, before);
    }
  }
}

/** What a key inventory may hold: the reader's limits, which every writer checks first (checkInventoryLimits). */
function limitWords(what: string, found: number, limit: number, name: string): string {
  return `${what} ${found.toLocaleString('en-US')}, over the limit of ${limit.toLocaleString('en-US')} (${name}) a key inventory is read with`;
}

/** The (repository, role) a key's role entry is for: listed once per key (review 13a L6). */
function roleSlot(x: InventoryRole): string {
  return `${x.role}\n${x.repository}`;
}

/** What to do about an inventory over its limits, when the writer has nothing more precise to say. */
export const INVENTORY_FULL_ADVICE = `Keep the repositories of this site in more than one inventory (--inventory FILE, or ${INVENTORY_FILE} per ceremony output), or remove the repositories it no longer trusts from it`;

/**
 * The bytes of `inv` as a file, after checking it against every limit parseInventory reads with: over one,
 * INVENTORY_TOO_LARGE naming the limit and the JSON path, and nothing is to be written — a file this tool
 * writes must be one it can read again (review 13a M1), else every later command using it is refused.
 * Every writer of an inventory file calls this before writing (writeInventoryUpdate, the ceremonies).
 * `what`: the words for the file in the message (its path, or "the key inventory"); `after`: what the
 * caller already did, said after "it was not written"; `advice`: what the person can do instead, when
 * the caller knows better than INVENTORY_FULL_ADVICE (an import or merge names its own options).
 */
export function checkedInventoryBytes(inv: KeyInventory, what = 'the key inventory', after = '', advice = INVENTORY_FULL_ADVICE): Uint8Array {
  const refuse = (path: string, over: string): never => {
    throw new CeremonyError('INVENTORY_TOO_LARGE', `${what} would hold ${over}: it was not written, as it could not be read again${after}. ${advice}`, { path });
  };
  if (inv.repositories.length > INVENTORY_MAX_REPOSITORIES) refuse('$.repositories', limitWords('repositories:', inv.repositories.length, INVENTORY_MAX_REPOSITORIES, 'INVENTORY_MAX_REPOSITORIES'));
  if (inv.keys.length > INVENTORY_MAX_KEYS) refuse('$.keys', limitWords('keys:', inv.keys.length, INVENTORY_MAX_KEYS, 'INVENTORY_MAX_KEYS'));
  inv.keys.forEach((k, i) => {
    const path = child(child('$.keys', i), 'roles');
    if (k.roles.length > INVENTORY_MAX_ROLES_PER_KEY) refuse(path, limitWords(`roles for key ${k.fingerprint.slice(0, 16)}…:`, k.roles.length, INVENTORY_MAX_ROLES_PER_KEY, 'INVENTORY_MAX_ROLES_PER_KEY'));
  });
  const bytes = inventoryBytes(inv);
  if (bytes.length > INVENTORY_MAX_BYTES) refuse('$', limitWords('bytes:', bytes.length, INVENTORY_MAX_BYTES, 'INVENTORY_MAX_BYTES'));
  // Read back as every later command will read it, so nothing the reader refuses is ever written: the
  // value budget, text lengths and formats are the reader's alone (seconds at the largest site, against
  // the minutes of the import or merge that asked for the update).
  try {
    parseInventory(bytes);
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    if (err.code === 'JSON_TOO_MANY_VALUES') refuse(err.path ?? '$', `more JSON values than the ${INVENTORY_MAX_VALUES.toLocaleString('en-US')} (INVENTORY_MAX_VALUES) a key inventory is read with`);
    throw new CeremonyError('INVENTORY_INVALID', `${what} would not be read again (${err.code}: ${messageWithoutPath(err)}): it was not written${after}`, { ...(err.path !== undefined ? { path: err.path } : {}), cause: err });
  }
  return bytes;
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
  const root = parseJsonStrict(bytes, { maxBytes: INVENTORY_MAX_BYTES, maxValues: INVENTORY_MAX_VALUES, path: '$', maxDepth: 8 });
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
    const slots = new Set<string>();
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
      // Semantics after the schema (STYLE): one key holds one (repository, role) once, else `keys` would
      // count one repository as several (review 13a L6), whatever key IDs the entries carry.
      const slot = roleSlot(role);
      if (slots.has(slot)) r.fail(rp, `key ${key.fingerprint.slice(0, 16)}… is listed for ${role.role} in ${role.repository} twice`);
      slots.add(slot);
      key.roles.push(role);
    });
    inv.keys.push(key);
  });
  return inv;
}

/** The earliest of `dates` (ISO UTC texts of one form compare as strings), or undefined. */
function earliest(dates: Iterable<string | undefined>): string | undefined {
  let first: string | undefined;
  for (const d of dates) if (d !== undefined && d !== '' && (first === undefined || d < first)) first = d;
  return first;
}

/** The earliest expiry among a key's roles and certificates, or undefined. */
export function firstExpiry(key: InventoryKey): string | undefined {
  return earliest(key.roles.flatMap((x) => [x.expires, x.certificateExpires]));
}

/** One line per role, grouped for people: "root in 240 repositories (notary), until 2036-05-01T00:00:00Z". */
export function describeRoles(key: InventoryKey, max = 3): string[] {
  // Appended in place: copying a group per role made `status` and `keys` quadratic in a key's roles
  // (review 13a M2: 20,000 roles, 12 s).
  const groups = new Map<string, InventoryRole[]>();
  for (const x of key.roles) {
    const g = `${x.role} (${x.profile})`;
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(x);
  }
  return [...groups.entries()].map(([g, list]) => {
    const names = list.slice(0, max).map((x) => x.repository);
    const more = list.length > max ? ` and ${list.length - max} more` : '';
    const until = earliest(list.map((x) => x.certificateExpires ?? x.expires));
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
