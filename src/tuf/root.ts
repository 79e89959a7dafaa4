import { CeremonyError } from '../errors.js';
import { asBoolean, asObject, child, unrecognizedFields } from '../json/fields.js';
import { goFieldSet, refuseGoFoldedKeys } from '../json/go-fold.js';
import type { JsonObject } from '../json/types.js';
import type { Profile } from '../profiles/profile.js';
import { checkRoleKeys, parseKeyTable, type ListedKey } from './keys.js';
import { parseRole, type Role } from './role.js';
import { COMMON_FIELDS, COMMON_GO_FIELDS, parseSignedCommon, type SignedCommon } from './signed-common.js';

export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TopLevelRole = (typeof TOP_LEVEL_ROLES)[number];
const TOP_LEVEL_ROLE_SET: ReadonlySet<string> = new Set(TOP_LEVEL_ROLES);

/** TUF 4.3 root.json / Notary Root. */
export interface Root extends SignedCommon {
  type: 'root';
  consistentSnapshot: boolean;
  keys: Map<string, ListedKey>;
  roles: Map<TopLevelRole, Role>;
  unrecognized: JsonObject;
}

const ROOT_FIELDS = new Set([...COMMON_FIELDS, 'consistent_snapshot', 'keys', 'roles']);
/** What Go clients read root's `signed` by (go-tuf data.Root, notary data.Root): json/go-fold.ts. */
const ROOT_GO = goFieldSet([...COMMON_GO_FIELDS, 'consistent_snapshot', 'keys', 'roles']);

/** `knownKeys`: see parseKeyTable (the previous root's keys, when walking a chain). */
export function parseRootSigned(profile: Profile, obj: JsonObject, path: string, knownKeys?: ReadonlyMap<string, ListedKey>): Root {
  // First, so that a lone folded spelling of an optional field (`"consiſtent_snapshot"`) is refused as what
  // it is, not read as the field's absence.
  refuseGoFoldedKeys(obj, ROOT_GO, path);
  const common = parseSignedCommon(profile.name, obj, 'root', path);
  // Notary writes consistent_snapshot (always false); TUF 1.0 requires it.
  const consistentSnapshot =
    obj.consistent_snapshot === undefined && profile.name === 'notary' ? false : asBoolean(obj.consistent_snapshot, child(path, 'consistent_snapshot'));
  const keys = parseKeyTable(profile, obj.keys, child(path, 'keys'), knownKeys);
  const rolesPath = child(path, 'roles');
  const rolesObj = asObject(obj.roles, rolesPath);
  const roles = new Map<TopLevelRole, Role>();
  for (const name of TOP_LEVEL_ROLES) {
    // Role names are identifiers: `$.signed.roles.root`, formatted as child() would.
    const rolePath = `${rolesPath}.${name}`;
    if (rolesObj[name] === undefined) throw new CeremonyError('SCHEMA_INVALID', `root must define the ${name} role`, { path: rolePath });
    const role = parseRole(rolesObj[name], rolePath);
    checkRoleKeys(role.keyids, keys, () => child(rolePath, 'keyids'));
    if (role.threshold > role.keyids.length) {
      throw new CeremonyError('THRESHOLD_INVALID', `threshold ${role.threshold} is more than the role's ${role.keyids.length} keys: it can never be met`, {
        path: child(rolePath, 'threshold'),
      });
    }
    roles.set(name, role);
  }
  for (const name in rolesObj) {
    if (Object.hasOwn(rolesObj, name) && !TOP_LEVEL_ROLE_SET.has(name)) {
      // TUF 4.3 lists exactly the four top-level roles; an extra one is a sign of a confused producer.
      throw new CeremonyError('SCHEMA_INVALID', `unknown top-level role ${JSON.stringify(name)}`, { path: child(rolesPath, name) });
    }
  }
  const unrecognized = unrecognizedFields(obj, ROOT_FIELDS);
  // Written out rather than spread from `common` (a chain builds a thousand of these); same fields, same order.
  const { version, expires, expiresText, specVersion } = common;
  return specVersion === undefined
    ? { type: 'root', version, expires, expiresText, consistentSnapshot, keys, roles, unrecognized }
    : { type: 'root', version, expires, expiresText, specVersion, consistentSnapshot, keys, roles, unrecognized };
}
