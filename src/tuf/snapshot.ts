import { CeremonyError } from '../errors.js';
import { asObject, child, unrecognizedFields } from '../json/fields.js';
import { goFieldSet, refuseGoFoldedKeys } from '../json/go-fold.js';
import type { JsonObject } from '../json/types.js';
import type { Profile } from '../profiles/profile.js';
import { parseMetaFile, type MetaFile } from './meta-file.js';
import { COMMON_FIELDS, COMMON_GO_FIELDS, parseSignedCommon, type SignedCommon } from './signed-common.js';

/** TUF 4.4 snapshot.json / Notary Snapshot. `meta` is keyed by role name (TUF's `.json` suffix removed). */
export interface Snapshot extends SignedCommon {
  type: 'snapshot';
  meta: Map<string, MetaFile>;
  unrecognized: JsonObject;
}

/** Timestamp 4.5 likewise lists exactly the snapshot. */
export interface Timestamp extends SignedCommon {
  type: 'timestamp';
  snapshot: MetaFile;
  unrecognized: JsonObject;
}

const META_HOLDER_FIELDS = new Set([...COMMON_FIELDS, 'meta']);
/** go-tuf data.Snapshot / Timestamp, notary data.Snapshot / Timestamp: json/go-fold.ts. */
const META_HOLDER_GO = goFieldSet([...COMMON_GO_FIELDS, 'meta']);

/** TUF names meta entries by file (`targets.json`), Notary by role (`targets`). */
export function metaKeyToRole(profile: Profile, key: string, path: string): string {
  if (profile.name === 'notary') return key;
  if (!key.endsWith('.json') || key.length <= 5) {
    throw new CeremonyError('SCHEMA_INVALID', `meta entry ${JSON.stringify(key)} is not a .json file name`, { path });
  }
  return key.slice(0, -5);
}

export function roleToMetaKey(profileName: 'tuf' | 'notary', role: string): string {
  return profileName === 'tuf' ? `${role}.json` : role;
}

export function parseSnapshotSigned(profile: Profile, obj: JsonObject, path: string): Snapshot {
  refuseGoFoldedKeys(obj, META_HOLDER_GO, path);
  const common = parseSignedCommon(profile.name, obj, 'snapshot', path);
  const metaPath = child(path, 'meta');
  const metaObj = asObject(obj.meta, metaPath);
  const meta = new Map<string, MetaFile>();
  for (const key of Object.keys(metaObj)) {
    const entryPath = child(metaPath, key);
    meta.set(metaKeyToRole(profile, key, entryPath), parseMetaFile(profile, metaObj[key], entryPath));
  }
  if (!meta.has('targets')) throw new CeremonyError('SCHEMA_INVALID', 'snapshot must list targets', { path: metaPath });
  return { ...common, type: 'snapshot', meta, unrecognized: unrecognizedFields(obj, META_HOLDER_FIELDS) };
}

export function parseTimestampSigned(profile: Profile, obj: JsonObject, path: string): Timestamp {
  refuseGoFoldedKeys(obj, META_HOLDER_GO, path);
  const common = parseSignedCommon(profile.name, obj, 'timestamp', path);
  const metaPath = child(path, 'meta');
  const metaObj = asObject(obj.meta, metaPath);
  const keys = Object.keys(metaObj);
  const expected = roleToMetaKey(profile.name, 'snapshot');
  if (keys.length !== 1 || keys[0] !== expected) {
    throw new CeremonyError('SCHEMA_INVALID', `timestamp meta must list exactly ${JSON.stringify(expected)}`, { path: metaPath });
  }
  const snapshot = parseMetaFile(profile, metaObj[expected], child(metaPath, expected));
  return { ...common, type: 'timestamp', snapshot, unrecognized: unrecognizedFields(obj, META_HOLDER_FIELDS) };
}
