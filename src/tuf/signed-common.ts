import { CeremonyError } from '../errors.js';
import { asInteger, asString, child } from '../json/fields.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { parseExpires } from './dates.js';

export type RoleType = 'root' | 'targets' | 'snapshot' | 'timestamp';

/** Fields every signed payload has (TUF 4.2 "signed", Notary's SignedCommon). */
export interface SignedCommon {
  type: RoleType;
  version: number;
  expires: Date;
  /** As written, for display and for re-serialising byte-for-byte. */
  expiresText: string;
  /** TUF only. */
  specVersion?: string;
}

export const COMMON_FIELDS = ['_type', 'version', 'expires', 'spec_version'];

/**
 * COMMON_FIELDS and `custom`: the fields Go clients read in every top-level `signed` (go-tuf data.Root,
 * Targets, Snapshot, Timestamp each have `custom`; notary's SignedCommon is _type, expires, version). For
 * the json/go-fold.ts check only: `custom` stays an unknown field of our model.
 */
export const COMMON_GO_FIELDS = [...COMMON_FIELDS, 'custom'];

// Notary writes `_type` capitalised (Go's data.TUFTypes); TUF 1.0 lower case.
const NOTARY_TYPES: Record<string, RoleType> = { Root: 'root', Targets: 'targets', Snapshot: 'snapshot', Timestamp: 'timestamp' };
const TUF_TYPES: Record<string, RoleType> = { root: 'root', targets: 'targets', snapshot: 'snapshot', timestamp: 'timestamp' };

export function typeNameFor(profile: ProfileName, type: RoleType): string {
  return profile === 'tuf' ? type : type[0]!.toUpperCase() + type.slice(1);
}

/** Which profile a `_type` value belongs to, or undefined. */
export function profileOfType(typeText: string): ProfileName | undefined {
  if (Object.hasOwn(TUF_TYPES, typeText)) return 'tuf';
  if (Object.hasOwn(NOTARY_TYPES, typeText)) return 'notary';
  return undefined;
}

export function parseSignedCommon(profile: ProfileName, obj: JsonObject, expected: RoleType, path: string): SignedCommon {
  // The common case is checked inline; the readers (which format the path) run only to refuse.
  const typeText = typeof obj._type === 'string' ? obj._type : asString(obj._type, child(path, '_type'));
  const table = profile === 'tuf' ? TUF_TYPES : NOTARY_TYPES;
  const type = Object.hasOwn(table, typeText) ? table[typeText] : undefined;
  if (type !== expected) {
    throw new CeremonyError('ROLE_TYPE_MISMATCH', `expected ${typeNameFor(profile, expected)} metadata, found _type ${JSON.stringify(typeText)}`, {
      path: child(path, '_type'),
    });
  }
  const v = obj.version;
  const version = typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : asInteger(v, child(path, 'version'), 1);
  const expiresText = typeof obj.expires === 'string' ? obj.expires : asString(obj.expires, child(path, 'expires'));
  const expires = parseExpires(profile, expiresText, () => child(path, 'expires'));
  const common: SignedCommon = { type, version, expires, expiresText };
  if (profile === 'tuf') {
    const spec = typeof obj.spec_version === 'string' ? obj.spec_version : asString(obj.spec_version, child(path, 'spec_version'));
    // TUF 4.2: spec_version is semver; clients support the major versions they implement (1.x).
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(spec);
    if (!m || m[1] !== '1') {
      throw new CeremonyError('SPEC_VERSION_UNSUPPORTED', `spec_version ${JSON.stringify(spec)} is not 1.x`, { path: child(path, 'spec_version') });
    }
    common.specVersion = spec;
  }
  return common;
}
