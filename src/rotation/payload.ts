/**
 * Root rotation payloads (PRODUCT.md §2.4): the unsigned `signed` object of root version N+1, built from
 * the current root and a change set — replace a custodian key (lost, compromised or routine), add or remove
 * root keys, change the root threshold, rotate the targets / snapshot / timestamp keys, renew the expiry,
 * change consistent_snapshot. Checked before anyone signs:
 *
 * - TUF 5.3.4: the version is exactly the previous one plus 1 (ROOT_VERSION_SKIPPED);
 * - the new root's threshold is reachable by its keys (ROTATION_UNFOLLOWABLE), and every role's threshold
 *   fits its keys;
 * - the previous root's threshold can still be met by the old keys that are available — a lost key
 *   cannot sign, so a 2-of-3 root that loses two keys in one rotation cannot be followed by a client at
 *   version N (ROTATION_UNFOLLOWABLE; such a repository needs its backup root key, e.g. Shamir cards);
 * - the result parses as root metadata of the profile (Notary root keys: `ecdsa-x509` certificates made by
 *   the caller with makeNotaryRootCertificate, CN = the GUN).
 *
 * Unknown fields of the previous root are carried over untouched (a rotation changes what it says, nothing
 * else).
 */
import { CeremonyError } from '../errors.js';
import { child } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import { parseRootSigned, TOP_LEVEL_ROLES, type Root, type TopLevelRole } from '../tuf/root.js';

/** A key as the new root will list it: the key object (for a Notary root key, its `ecdsa-x509` certificate). */
export interface RotationKey {
  json: JsonObject;
  /** Who holds it (shown in reviews and expected-signer lists). */
  name?: string | undefined;
}

/** Why an old root key goes: a lost key cannot sign the rotation; a compromised or retired one still can. */
export type RemovalReason = 'lost' | 'compromised' | 'retired';

export interface RootKeyChanges {
  /** Replace a custodian's key: `old` is a key ID of the current root role. */
  replace?: { old: string; new: RotationKey; reason: RemovalReason }[];
  add?: RotationKey[];
  remove?: { keyid: string; reason: RemovalReason }[];
  threshold?: number;
}

/** A top-level role other than root: its new key list (replacing all its keys) and/or threshold. */
export interface RoleKeyChanges {
  keys?: RotationKey[];
  threshold?: number;
}

export interface RotationChange {
  /** The new root's expiry. Required: a rotation always says until when the new root is trusted. */
  expires: Date | string;
  /** Defaults to the previous version + 1; anything else is refused (kept to say so plainly). */
  version?: number;
  root?: RootKeyChanges;
  targets?: RoleKeyChanges;
  snapshot?: RoleKeyChanges;
  timestamp?: RoleKeyChanges;
  consistentSnapshot?: boolean;
  /** Old root key IDs whose custodians can no longer sign (in addition to keys replaced or removed as lost). */
  unavailable?: string[];
}

export interface RotationPayload {
  profile: ProfileName;
  previous: Metadata<Root>;
  /** The unsigned `signed` object of root N+1. */
  signed: JsonObject;
  /** Parsed, for callers that want the model. */
  root: Root;
  /** Names given to keys in the change set and names already known for old keys, by key ID. */
  names: Map<string, string>;
  /** Old root key IDs that cannot sign (lost, or said unavailable). */
  unavailable: string[];
  /** Why each replaced or removed root key goes (lost, compromised, retired), by its key ID: recorded in the request for the review. */
  reasons?: Map<string, RemovalReason>;
}

const MAX_ROOT_BYTES = 1024 * 1024;

/** Parse previous root bytes (any profile) for a rotation. */
export function parsePreviousRoot(bytes: Uint8Array, source = 'previous root.json'): Metadata<Root> {
  return parseMetadata(bytes, 'root', { maxBytes: MAX_ROOT_BYTES, source });
}

function keyIdOf(profile: ProfileName, key: RotationKey, path: string): string {
  const p = getProfile(profile);
  p.parseKey(key.json, path); // refuses unknown types and undecodable keys, naming the path
  return p.keyId(key.json);
}

/**
 * Build root N+1. `previousBytes` are the current root.json as published; `names` optionally names the
 * current root's custodians by key ID (for the review).
 */
export function buildRotationPayload(previousBytes: Uint8Array, change: RotationChange, opts: { names?: ReadonlyMap<string, string> } = {}): RotationPayload {
  const previous = parsePreviousRoot(previousBytes);
  const profile = previous.profile.name;
  const prev = previous.signed;
  const names = new Map(opts.names ?? []);
  const version = change.version ?? prev.version + 1;
  // TUF 5.3.4 / 5.3.5: exactly N+1.
  if (version !== prev.version + 1) {
    throw new CeremonyError('ROOT_VERSION_SKIPPED', `the new root must be version ${prev.version + 1} (the current root is version ${prev.version}), not ${version}`, { path: '$change.version' });
  }
  const expiresText = typeof change.expires === 'string' ? change.expires : formatExpires(change.expires);
  parseExpires(profile, expiresText, '$change.expires');

  const roleKeys = new Map<TopLevelRole, string[]>();
  const thresholds = new Map<TopLevelRole, number>();
  for (const role of TOP_LEVEL_ROLES) {
    roleKeys.set(role, [...prev.roles.get(role)!.keyids]);
    thresholds.set(role, prev.roles.get(role)!.threshold);
  }
  const newKeyJson = new Map<string, JsonObject>();
  const addKey = (k: RotationKey, path: string): string => {
    const id = keyIdOf(profile, k, path);
    newKeyJson.set(id, k.json);
    if (k.name) names.set(id, k.name);
    return id;
  };

  // --- root keys ---
  const rootIds = roleKeys.get('root')!;
  const unavailable = new Set<string>();
  for (const id of change.unavailable ?? []) {
    if (!rootIds.includes(id)) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${id.slice(0, 16)}… is not a root key of version ${prev.version}`, { path: '$change.unavailable' });
    unavailable.add(id);
  }
  const rc = change.root ?? {};
  const reasons = new Map<string, RemovalReason>();
  (rc.replace ?? []).forEach((r, i) => {
    const path = `$change.root.replace[${i}]`;
    const at = rootIds.indexOf(r.old);
    if (at < 0) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${r.old.slice(0, 16)}… is not a root key of version ${prev.version}: nothing to replace`, { path: `${path}.old` });
    const id = addKey(r.new, `${path}.new`);
    if (rootIds.includes(id)) throw new CeremonyError('ROTATION_CHANGE_INVALID', `the replacement key ${id.slice(0, 16)}… is already a root key`, { path: `${path}.new` });
    rootIds[at] = id;
    reasons.set(r.old, r.reason);
    if (r.reason === 'lost') unavailable.add(r.old);
  });
  (rc.remove ?? []).forEach((r, i) => {
    const at = rootIds.indexOf(r.keyid);
    if (at < 0) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${r.keyid.slice(0, 16)}… is not a root key of version ${prev.version}: nothing to remove`, { path: `$change.root.remove[${i}]` });
    rootIds.splice(at, 1);
    reasons.set(r.keyid, r.reason);
    if (r.reason === 'lost') unavailable.add(r.keyid);
  });
  (rc.add ?? []).forEach((k, i) => {
    const id = addKey(k, `$change.root.add[${i}]`);
    if (rootIds.includes(id)) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${id.slice(0, 16)}… is already a root key`, { path: `$change.root.add[${i}]` });
    rootIds.push(id);
  });
  if (rc.threshold !== undefined) thresholds.set('root', rc.threshold);

  // --- other top-level roles ---
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const c = change[role];
    if (!c) continue;
    if (c.keys) {
      if (c.keys.length === 0) throw new CeremonyError('ROTATION_CHANGE_INVALID', `the ${role} role needs at least one key`, { path: `$change.${role}.keys` });
      const ids = c.keys.map((k, i) => addKey(k, `$change.${role}.keys[${i}]`));
      if (new Set(ids).size !== ids.length) throw new CeremonyError('ROTATION_CHANGE_INVALID', `the ${role} role would list one key twice`, { path: `$change.${role}.keys` });
      roleKeys.set(role, ids);
    }
    if (c.threshold !== undefined) thresholds.set(role, c.threshold);
  }

  // --- followability, before anyone signs ---
  const oldRoot = prev.roles.get('root')!;
  const canSign = oldRoot.keyids.filter((id) => !unavailable.has(id));
  if (canSign.length < oldRoot.threshold) {
    throw new CeremonyError(
      'ROTATION_UNFOLLOWABLE',
      `clients at root version ${prev.version} need ${oldRoot.threshold} of its ${oldRoot.keyids.length} root keys to sign version ${version}, but only ${canSign.length} can still sign (${unavailable.size} lost or unavailable); ` +
        'rotate fewer lost keys at once, or sign with the backup root key',
      { path: '$change.root' },
    );
  }
  for (const role of TOP_LEVEL_ROLES) {
    const t = thresholds.get(role)!;
    const n = roleKeys.get(role)!.length;
    if (!Number.isSafeInteger(t) || t < 1 || t > n) {
      throw new CeremonyError('ROTATION_UNFOLLOWABLE', `the new ${role} threshold ${t} can never be met by its ${n} key${n === 1 ? '' : 's'}`, { path: `$change.${role}.threshold` });
    }
  }

  // --- the keys table: every key a role uses, from the new keys or the previous table ---
  const keys: JsonObject = {};
  for (const role of TOP_LEVEL_ROLES) {
    for (const id of roleKeys.get(role)!) {
      const json = newKeyJson.get(id) ?? prev.keys.get(id)?.json;
      if (!json) throw new CeremonyError('INTERNAL', `key ${id} has no key object`);
      keys[id] = json;
    }
  }
  const roles: JsonObject = {};
  for (const role of TOP_LEVEL_ROLES) {
    const previousRole = prev.roles.get(role)!;
    roles[role] = { ...previousRole.unrecognized, keyids: roleKeys.get(role)!, threshold: thresholds.get(role)! };
  }
  const signed: JsonObject = { ...(previous.signedJson as Record<string, JsonValue>) };
  signed.version = version;
  signed.expires = expiresText;
  signed.keys = keys;
  signed.roles = roles;
  if (change.consistentSnapshot !== undefined) signed.consistent_snapshot = change.consistentSnapshot;

  const root = parseRootSigned(previous.profile, signed, '$payload');
  if (profile === 'notary') {
    for (const id of roleKeys.get('root')!) {
      if (!root.keys.get(id)!.key.certificate) {
        throw new CeremonyError('KEY_TYPE_UNSUPPORTED', 'Notary root keys are certificates (ecdsa-x509): make one with makeNotaryRootCertificate', { path: child('$payload.keys', id) });
      }
    }
  }
  return { profile, previous, signed, root, names, unavailable: [...unavailable], reasons };
}
