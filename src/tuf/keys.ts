import { CeremonyError } from '../errors.js';
import { asObject, child } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { Profile, PublicKey } from '../profiles/profile.js';

/** A key as listed in metadata: the decoded key and the exact JSON it came from (key IDs hash that). */
export interface ListedKey {
  keyId: string;
  key: PublicKey;
  json: JsonObject;
}

/**
 * Parse a `keys` table (root, or a delegations block). In the Notary profile the key ID must be the one
 * Notary computes (its client re-derives IDs); TUF 1.0 defines the ID the same way but python-tuf and
 * tuf-js do not enforce it, so metadata made by other tools with other ID rules stays readable there —
 * distinct-key counting (by public key, not ID) keeps that safe.
 */
/** Same JSON value, object keys in the same order (ListedKey.json is written back out as it was read). */
function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !sameJson((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  }
  return true;
}

/**
 * `known`: keys already parsed in this verification (the previous root's table, TUF 5.3 walks one version
 * at a time and most keys stay). An entry with the same key ID and the very same JSON is that key — the
 * same checks on the same JSON give the same answer — so it is taken as is rather than decoded again: a
 * 1,000-version chain decodes ~1,000 keys, not 6,000. Anything that differs in the least is parsed anew.
 */
export function parseKeyTable(profile: Profile, value: JsonValue | undefined, path: string, known?: ReadonlyMap<string, ListedKey>): Map<string, ListedKey> {
  const obj = asObject(value, path);
  const out = new Map<string, ListedKey>();
  for (const keyId of Object.keys(obj)) {
    const prior = known?.get(keyId);
    if (prior && prior.key.profile === profile.name && sameJson(prior.json, obj[keyId])) {
      out.set(keyId, prior);
      continue;
    }
    const keyPath = child(path, keyId);
    if (!/^[0-9a-f]{64}$/.test(keyId)) {
      throw new CeremonyError('SCHEMA_INVALID', 'a key ID must be 64 lower-case hex characters', { path: keyPath });
    }
    const json = asObject(obj[keyId], keyPath);
    const key = profile.parseKey(json, keyPath);
    if (profile.name === 'notary') {
      const expected = profile.keyId(json);
      if (expected !== keyId) {
        throw new CeremonyError('KEY_ID_MISMATCH', `key ID is not the one Notary derives from the key (${expected.slice(0, 16)}…)`, {
          path: keyPath,
        });
      }
    }
    out.set(keyId, { keyId, key, json });
  }
  return out;
}

/**
 * Check a role's key IDs against the table: every ID present, and no public key listed twice under two
 * IDs (a threshold of 2 met by one key — STYLE.md, learnt by tuf-js and python-tuf).
 */
export function checkRoleKeys(keyids: readonly string[], keys: ReadonlyMap<string, ListedKey>, path: string | (() => string)): void {
  // The path is formatted only to refuse: a 1,000-version chain checks 4,000 roles.
  const at = (i: number): string => child(typeof path === 'string' ? path : path(), i);
  const seen = new Map<string, string>();
  for (let i = 0; i < keyids.length; i++) {
    const id = keyids[i]!;
    const listed = keys.get(id);
    if (!listed) {
      throw new CeremonyError('ROLE_KEY_MISSING', `key ID ${id.slice(0, 16)}… is not in the keys table`, { path: at(i) });
    }
    const other = seen.get(listed.key.fingerprint);
    if (other !== undefined) {
      throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `key IDs ${other.slice(0, 12)}… and ${id.slice(0, 12)}… are the same public key`, {
        path: at(i),
      });
    }
    seen.set(listed.key.fingerprint, id);
  }
}
