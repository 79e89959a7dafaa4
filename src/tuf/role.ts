import { CeremonyError } from '../errors.js';
import { asInteger, asObject, asStringArray, child, unrecognizedFields } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';

/** A role's signing policy: which keys, how many of them (TUF 4.3 "roles", 4.5 delegations). */
export interface RolePolicy {
  keyids: string[];
  threshold: number;
}

export interface Role extends RolePolicy {
  unrecognized: JsonObject;
}

const ROLE_FIELDS = new Set(['keyids', 'threshold']);

export function parseRole(value: JsonValue | undefined, path: string, known: ReadonlySet<string> = ROLE_FIELDS): Role {
  const obj = asObject(value, path);
  const keyids = asStringArray(obj.keyids, child(path, 'keyids'));
  // A role that lists one key ID twice would let one signature count twice in a naive counter.
  const seen = new Set<string>();
  keyids.forEach((id, i) => {
    if (seen.has(id)) {
      throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `key ID ${id.slice(0, 16)}… is listed twice`, {
        path: child(child(path, 'keyids'), i),
      });
    }
    seen.add(id);
  });
  const threshold = asInteger(obj.threshold, child(path, 'threshold'), 0);
  if (threshold < 1) {
    throw new CeremonyError('THRESHOLD_INVALID', `threshold must be at least 1, found ${threshold}`, { path: child(path, 'threshold') });
  }
  return { keyids, threshold, unrecognized: unrecognizedFields(obj, known) };
}
