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

/**
 * Notary's client requires a sha256 where a snapshot names root and targets and a timestamp names the
 * snapshot (sha512 is optional, other algorithms ignored); a FileMeta with only sha512 verifies here by
 * its sha512 but is refused by notary 0.7, so it is refused here too.
 */
function requireNotarySha256(meta: MetaFile, role: string, path: string): void {
  if (!meta.hashes || !Object.hasOwn(meta.hashes, 'sha256')) {
    throw new CeremonyError('SCHEMA_INVALID', `Notary file metadata for ${role} must include a sha256 hash`, { path: child(child(path, 'hashes'), 'sha256') });
  }
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
  if (profile.name === 'notary') {
    // notary 0.7 tuf/data/snapshot.go IsValidSnapshotStructure: root and targets, each with a sha256. TUF 4.4
    // has no root entry; in Notary its client refuses the cached snapshot without one ("missing root sha256
    // checksum information"), so what we installed it could not read.
    if (!meta.has('root')) throw new CeremonyError('SCHEMA_INVALID', 'Notary snapshot must list root', { path: metaPath });
    for (const role of ['root', 'targets']) requireNotarySha256(meta.get(role)!, role, child(metaPath, role));
  }
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
  // notary 0.7 tuf/data/timestamp.go IsValidTimestampStructure: the snapshot's FileMeta needs a sha256.
  if (profile.name === 'notary') requireNotarySha256(snapshot, 'snapshot', child(metaPath, expected));
  return { ...common, type: 'timestamp', snapshot, unrecognized: unrecognizedFields(obj, META_HOLDER_FIELDS) };
}
