import { CeremonyError } from '../errors.js';
import { asInteger, asObject, asStringArray, child, isObject, unrecognizedFields } from '../json/fields.js';
import { goFieldSet, refuseGoFoldedKeys, type GoFieldSet } from '../json/go-fold.js';
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
/** go-tuf data.Role, notary data.RootRole: json/go-fold.ts. */
const ROLE_GO = goFieldSet(ROLE_FIELDS);

/** Strings only, copied; paths formatted only to refuse (a 1,000-version chain reads 4,000 roles). */
function keyIdList(value: JsonValue | undefined, path: string): string[] {
  if (!Array.isArray(value)) return asStringArray(value, child(path, 'keyids'));
  const out: string[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const id = value[i];
    if (typeof id !== 'string') return asStringArray(value, child(path, 'keyids'));
    out[i] = id;
  }
  return out;
}

/**
 * `go`: the field names Go clients read the object by (json/go-fold.ts), refused when folded; undefined
 * when the caller has checked them (a delegated role, targets.ts).
 */
export function parseRole(value: JsonValue | undefined, path: string, known: ReadonlySet<string> = ROLE_FIELDS, go: GoFieldSet | undefined = ROLE_GO): Role {
  const obj = isObject(value) ? value : asObject(value, path);
  if (go) refuseGoFoldedKeys(obj, go, path);
  const keyids = keyIdList(obj.keyids, path);
  // A role that lists one key ID twice would let one signature count twice in a naive counter.
  const seen = new Set<string>();
  for (let i = 0; i < keyids.length; i++) {
    const id = keyids[i]!;
    if (seen.has(id)) {
      throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `key ID ${id.slice(0, 16)}… is listed twice`, {
        path: child(child(path, 'keyids'), i),
      });
    }
    seen.add(id);
  }
  const t = obj.threshold;
  const threshold = typeof t === 'number' && Number.isSafeInteger(t) && t >= 0 ? t : asInteger(t, child(path, 'threshold'), 0);
  if (threshold < 1) {
    throw new CeremonyError('THRESHOLD_INVALID', `threshold must be at least 1, found ${threshold}`, { path: child(path, 'threshold') });
  }
  return { keyids, threshold, unrecognized: unrecognizedFields(obj, known) };
}
