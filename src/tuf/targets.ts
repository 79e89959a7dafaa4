import { CeremonyError } from '../errors.js';
import { asArray, asBoolean, asInteger, asObject, isObject, asString, asStringArray, child, setOwn, unrecognizedFields } from '../json/fields.js';
import { goFieldSet, goFoldedKey, refuseGoFoldedKeys } from '../json/go-fold.js';
import { Misfit, type KeyedEntries, type KeyedFieldReader } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { Profile } from '../profiles/profile.js';
import { checkRoleKeys, parseKeyTable, type ListedKey } from './keys.js';
import { isBase64Digest, isHexDigest, parseHashes, pathOf, type PathRef } from './meta-file.js';
import { parseRole, type Role } from './role.js';
import { TargetTable } from './target-table.js';
import { COMMON_FIELDS, COMMON_GO_FIELDS, parseSignedCommon, type SignedCommon } from './signed-common.js';

/** TUF 4.5 TARGETS entry. */
export interface TargetFile {
  length: number;
  hashes: Record<string, string>;
  /** TUF `custom`, kept as given. */
  custom?: JsonValue;
  unrecognized: JsonObject;
}

/** TUF 4.5 DELEGATIONS role / Notary delegation role. */
export interface DelegatedRole extends Role {
  name: string;
  terminating: boolean;
  /** TUF: shell-style patterns; Notary: path prefixes ("" = every path). */
  paths?: string[];
  pathHashPrefixes?: string[];
}

export interface Delegations {
  keys: Map<string, ListedKey>;
  roles: DelegatedRole[];
  unrecognized: JsonObject;
}

export interface Targets extends SignedCommon {
  type: 'targets';
  /**
   * In the file's order. A parsed file's may be a TargetTable (its entries made when asked for, not kept:
   * change a TargetFile of it and the change is gone); a Map is one too.
   */
  targets: ReadonlyMap<string, TargetFile>;
  delegations?: Delegations;
  unrecognized: JsonObject;
}

const TARGETS_FIELDS = new Set([...COMMON_FIELDS, 'targets', 'delegations']);
const TARGET_FIELDS = new Set(['length', 'hashes', 'custom']);
const DELEGATIONS_FIELDS = new Set(['keys', 'roles']);
const DELEGATED_ROLE_FIELDS = new Set(['name', 'keyids', 'threshold', 'terminating', 'paths', 'path_hash_prefixes']);
/**
 * The field names Go clients read these objects by (json/go-fold.ts): go-tuf data.Targets (with `custom`),
 * data.TargetFileMeta (length, hashes, custom), data.Delegations, data.DelegatedRole; notary data.Targets,
 * FileMeta, Delegations, Role (keyids, threshold, name, paths). One set per object for both profiles: a
 * notary file's `"Terminating"` means nothing to notary, but no producer writes it either.
 */
const TARGETS_GO = goFieldSet([...COMMON_GO_FIELDS, 'targets', 'delegations']);
const TARGET_GO = goFieldSet(TARGET_FIELDS);
// go-tuf v2's Delegations also has `succinct_roles` (TAP 15): a folded spelling of it is read by Go too (review 15f L2).
const DELEGATIONS_GO = goFieldSet([...DELEGATIONS_FIELDS, 'succinct_roles']);
const DELEGATED_ROLE_GO = goFieldSet(DELEGATED_ROLE_FIELDS);
const TOP = new Set(['root', 'targets', 'snapshot', 'timestamp']);
/** Notary's delegation alphabet (tuf/data/roles.go delegationRegexp). */
const NOTARY_DELEGATION = /^[-a-z0-9_/]+$/;

/**
 * Role names become file names in trust stores (`targets/releases.json`), so anything that could escape
 * the directory is refused. Notary requires the `targets/` prefix (Notary data.IsDelegation).
 */
export function checkDelegatedName(profile: Profile, name: string, path: string): void {
  const bad =
    name.length === 0 ||
    name.length > 255 ||
    /[\u0000-\u001f\u007f\\]/.test(name) ||
    name.split('/').some((seg) => seg === '' || seg === '.' || seg === '..');
  if (bad) throw new CeremonyError('DELEGATION_INVALID', `role name ${JSON.stringify(name)} is not a safe name`, { path });
  if (profile.name === 'notary') {
    if (!name.startsWith('targets/')) {
      throw new CeremonyError('DELEGATION_INVALID', `Notary delegation ${JSON.stringify(name)} must start with "targets/"`, { path });
    }
    // notary tuf/data/roles.go IsDelegation: the notary client refuses a whole targets file (isValidTargetsStructure,
    // ErrInvalidMetadata) that delegates to any other name, so such a file is not one to install.
    if (!NOTARY_DELEGATION.test(name)) {
      throw new CeremonyError('DELEGATION_INVALID', `Notary delegation names use only a-z, 0-9, "-", "_" and "/" (not ${JSON.stringify(name)})`, { path });
    }
  } else if (TOP.has(name) || name.includes('/')) {
    // TUF role names may not shadow top-level roles; we also refuse "/" so each role is one file.
    throw new CeremonyError('DELEGATION_INVALID', `delegated role name ${JSON.stringify(name)} is not allowed`, { path });
  }
}

function parseTargetFile(profile: Profile, value: JsonValue | undefined, path: PathRef): TargetFile {
  const obj = isObject(value) ? value : asObject(value, pathOf(path));
  refuseGoFoldedKeys(obj, TARGET_GO, () => pathOf(path));
  const length = obj.length;
  const out: TargetFile = {
    // The common case is checked inline; the readers (which format the path) run only to refuse.
    length: typeof length === 'number' && Number.isSafeInteger(length) && length >= 0 ? length : asInteger(length, child(pathOf(path), 'length'), 0),
    hashes: parseHashes(profile, obj.hashes, () => child(pathOf(path), 'hashes')),
    unrecognized: unrecognizedFields(obj, TARGET_FIELDS),
  };
  if (obj.custom !== undefined) out.custom = obj.custom;
  return out;
}

/**
 * parseHashes' test without a path or a copy: true when parseHashes would take `obj` as it is.
 * `knownHex`: the parser saw every string in the entry written as non-empty, even-length lower-case hex
 * (KeyedFieldReader.read), which is isHexDigest's test: for TUF only the types are left to check.
 */
function hashesFit(profile: Profile, obj: JsonObject, knownHex: boolean): boolean {
  const tuf = profile.name === 'tuf';
  const skipHex = tuf && knownHex;
  let count = 0;
  for (const alg in obj) {
    if (!Object.hasOwn(obj, alg)) continue;
    const t = obj[alg];
    if (typeof t !== 'string' || !(skipHex || (tuf ? isHexDigest(t) : isBase64Digest(t)))) return false;
    count++;
  }
  return count > 0;
}

/**
 * The KeyedFieldReader of `signed.targets` (json/parse.ts): each entry straight into a TargetFile as the
 * file is parsed. It takes exactly what parseTargetFile accepts; anything else is left to parseTargetFile,
 * which refuses it with its code and path, in the order the plain-object parse would.
 */
export function targetsReader(profile: Profile): KeyedFieldReader<TargetFile> {
  const tuf = profile.name === 'tuf';
  return {
    field: 'targets',
    read(value: JsonValue, allHex: boolean): TargetFile | undefined {
      if (!isObject(value)) return undefined;
      const length = value.length;
      const hashes = value.hashes;
      if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || !isObject(hashes) || !hashesFit(profile, hashes, allHex)) return undefined;
      const unrecognized = unrecognizedFields(value, TARGET_FIELDS);
      // A key Go reads as length, hashes or custom (`"haſhes"`): parseTargetFile refuses it, with the path.
      // Only unknown keys can be one, so an entry with none (the shared empty object) costs nothing more.
      if (unrecognized !== NO_FIELDS && goFoldedKey(unrecognized, TARGET_GO) !== undefined) return undefined;
      // The parser made `hashes` for this entry alone: it is the model's own object, not a shared one.
      const out: TargetFile = { length, hashes: hashes as Record<string, string>, unrecognized };
      if (value.custom !== undefined) out.custom = value.custom;
      return out;
    },
    // `read` of `{ hashes, length }` without the object: no unknown fields, no custom, the hashes' values strings.
    readUsual(hashes: Record<string, string>, length: number, allHex: boolean): TargetFile | undefined {
      // hashesFit's own answer for TUF when the parser saw every digest as hex: usualEntry gives at least one,
      // every one a string.
      if (!(tuf && allHex) && !hashesFit(profile, hashes, allHex)) return undefined;
      return { length, hashes, unrecognized: NO_FIELDS };
    },
    pairs: {
      // readUsual's test, on the digests where they lie; TUF's needs nothing more when they are all hex.
      fits(text, start0, end0, start1, end1, allHex) {
        return (tuf && allHex) || hashesFit(profile, { sha256: text.slice(start0, end0), sha512: text.slice(start1, end1) }, allHex);
      },
      table: (text, rows, ascending) => new TargetTable(text, rows, ascending, NO_FIELDS),
    },
  };
}

/** What unrecognizedFields gives an object with no unknown fields (its shared frozen empty object). */
const NO_FIELDS = unrecognizedFields({}, TARGET_FIELDS);

/** The JSON of a target entry, rebuilt from its model (new objects): what the file held, up to key order. */
export function targetFileJson(t: TargetFile): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(t.unrecognized)) setOwn(out, key, t.unrecognized[key] as JsonValue);
  out.length = t.length;
  const hashes: JsonObject = {};
  for (const alg of Object.keys(t.hashes)) setOwn(hashes, alg, t.hashes[alg]!);
  out.hashes = hashes;
  if (t.custom !== undefined) out.custom = t.custom;
  return out;
}

/** `signed.targets` as a plain object, from the entries a targetsReader read (models and misfits). */
export function targetsJson(entries: ReadonlyMap<string, TargetFile | Misfit>): JsonObject {
  const out: JsonObject = {};
  for (const [name, entry] of entries) setOwn(out, name, entry instanceof Misfit ? entry.value : targetFileJson(entry));
  return out;
}

function parseDelegations(profile: Profile, value: JsonValue | undefined, path: string): Delegations {
  const obj = asObject(value, path);
  refuseGoFoldedKeys(obj, DELEGATIONS_GO, path);
  // TUF 1.0.31 §4.5 / TAP 15 hashed bins named by formula: not implemented (each role here is one named file),
  // so said as such rather than as the schema error a missing `roles` would give (review 15c L3).
  if (obj.succinct_roles !== undefined) throw new CeremonyError('DELEGATION_UNSUPPORTED', 'succinct_roles (TAP 15) is not supported', { path: child(path, 'succinct_roles') });
  const keys = parseKeyTable(profile, obj.keys, child(path, 'keys'));
  const rolesPath = child(path, 'roles');
  const names = new Set<string>();
  const roles = asArray(obj.roles, rolesPath).map((item, i): DelegatedRole => {
    const rolePath = child(rolesPath, i);
    const roleObj = asObject(item, rolePath);
    // Before any field is read: a lone `"Terminating": true` or `"pathſ"` is refused, not taken as absent.
    refuseGoFoldedKeys(roleObj, DELEGATED_ROLE_GO, rolePath);
    const name = asString(roleObj.name, child(rolePath, 'name'));
    checkDelegatedName(profile, name, child(rolePath, 'name'));
    if (names.has(name)) throw new CeremonyError('DELEGATION_INVALID', `role ${JSON.stringify(name)} is delegated twice`, { path: child(rolePath, 'name') });
    names.add(name);
    const role = parseRole(roleObj, rolePath, DELEGATED_ROLE_FIELDS, undefined);
    checkRoleKeys(role.keyids, keys, child(rolePath, 'keyids'));
    const out: DelegatedRole = { ...role, name, terminating: false };
    if (profile.name === 'tuf') {
      out.terminating = asBoolean(roleObj.terminating, child(rolePath, 'terminating'));
      const hasPaths = roleObj.paths !== undefined;
      const hasPrefixes = roleObj.path_hash_prefixes !== undefined;
      // TUF 4.5: exactly one of "paths" and "path_hash_prefixes".
      if (hasPaths === hasPrefixes) {
        throw new CeremonyError('DELEGATION_INVALID', 'a delegation needs exactly one of paths and path_hash_prefixes', { path: rolePath });
      }
      if (hasPaths) out.paths = asStringArray(roleObj.paths, child(rolePath, 'paths'));
      else {
        // TUF 4.5 calls them HEX_DIGESTs, but a client reads any string and compares it with the lower-case
        // hex SHA-256 of the target path (tuf-js DelegatedRole.isDelegatedPath, python-tuf
        // is_delegated_path: startswith): "AB" or "xyz" is accepted and matches no target. Refusing it
        // here refused a whole targets.json both clients accept; what we sign is checked at review
        // (rotation/targets-payload.ts checkReviewedDelegation).
        out.pathHashPrefixes = asStringArray(roleObj.path_hash_prefixes, child(rolePath, 'path_hash_prefixes'));
      }
    } else {
      out.paths = roleObj.paths === undefined ? [] : asStringArray(roleObj.paths, child(rolePath, 'paths'));
    }
    return out;
  });
  return { keys, roles, unrecognized: unrecognizedFields(obj, DELEGATIONS_FIELDS) };
}

/**
 * TUF 4.5 targets `signed`. `keyed`: the entries a targetsReader already read from the file (then
 * `obj.targets` is the parser's `null` placeholder); when one of them is a misfit, the plain object is
 * rebuilt and parsed as one, so the refusal is the very one the plain-object parse gives.
 */
export function parseTargetsSigned(profile: Profile, obj: JsonObject, path: string, keyed?: KeyedEntries<TargetFile>): Targets {
  refuseGoFoldedKeys(obj, TARGETS_GO, path);
  const common = parseSignedCommon(profile.name, obj, 'targets', path);
  const targetsPath = child(path, 'targets');
  let targets: ReadonlyMap<string, TargetFile>;
  if (keyed && keyed.misfits === 0) targets = keyed.entries as ReadonlyMap<string, TargetFile>;
  else {
    const targetsObj = keyed ? targetsJson(keyed.entries) : asObject(obj.targets, targetsPath);
    const map = new Map<string, TargetFile>();
    for (const name of Object.keys(targetsObj)) map.set(name, parseTargetFile(profile, targetsObj[name], () => child(targetsPath, name)));
    targets = map;
  }
  const out: Targets = { ...common, type: 'targets', targets, unrecognized: unrecognizedFields(obj, TARGETS_FIELDS) };
  if (obj.delegations !== undefined) out.delegations = parseDelegations(profile, obj.delegations, child(path, 'delegations'));
  return out;
}
