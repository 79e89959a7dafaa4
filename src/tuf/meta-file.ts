import { CeremonyError } from '../errors.js';
import { asInteger, asObject, asString, child, isObject, setOwn, unrecognizedFields } from '../json/fields.js';
import { goFieldSet, refuseGoFoldedKeys } from '../json/go-fold.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { Profile } from '../profiles/profile.js';

/**
 * What a referring role says about another file (TUF 4.4 METAFILES, 4.6 TARGETS entries; Notary's
 * FileMeta). Hashes stay in their wire text (hex for TUF, base64 for Notary) and are decoded only when
 * compared: a 100,000-entry targets file should not allocate 100,000 buffers just to be parsed.
 */
export interface MetaFile {
  /** TUF only: Notary's FileMeta has no version. */
  version?: number;
  length?: number;
  /** algorithm → digest as written. */
  hashes?: Record<string, string>;
  unrecognized: JsonObject;
}

const META_FIELDS = new Set(['version', 'length', 'hashes']);
/** go-tuf data.SnapshotFileMeta / TimestampFileMeta (FileMeta and version), notary data.FileMeta: all have `custom`. json/go-fold.ts. */
const META_GO = goFieldSet([...META_FIELDS, 'custom']);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Lower-case hex of whole bytes (a TUF digest). A loop rather than a regular expression: a large targets file has 200,000 of them. */
export function isHexDigest(t: string): boolean {
  if (t.length === 0 || t.length % 2 !== 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Padded base64 (a Notary digest). */
export function isBase64Digest(t: string): boolean {
  return t.length % 4 === 0 && BASE64.test(t);
}

/** A JSON path, or a function that makes it: built only when a refusal needs it (100,000 targets). */
export type PathRef = string | (() => string);
export const pathOf = (p: PathRef): string => (typeof p === 'string' ? p : p());

export function parseHashes(profile: Profile, value: JsonValue | undefined, path: PathRef): Record<string, string> {
  const obj = isObject(value) ? value : asObject(value, pathOf(path));
  const out: Record<string, string> = {};
  let count = 0;
  const tuf = profile.name === 'tuf';
  for (const alg of Object.keys(obj)) {
    const text = obj[alg];
    if (typeof text !== 'string') asString(text, child(pathOf(path), alg));
    const t = text as string;
    const ok = tuf ? isHexDigest(t) : isBase64Digest(t);
    if (!ok) {
      throw new CeremonyError('SCHEMA_INVALID', `hash is not ${tuf ? 'hex' : 'base64'}`, { path: child(pathOf(path), alg) });
    }
    setOwn(out, alg, t);
    count++;
  }
  if (count === 0) throw new CeremonyError('SCHEMA_INVALID', 'hashes must name at least one algorithm', { path: pathOf(path) });
  return out;
}

export function parseMetaFile(profile: Profile, value: JsonValue | undefined, path: string): MetaFile {
  const obj = asObject(value, path);
  refuseGoFoldedKeys(obj, META_GO, path);
  const out: MetaFile = { unrecognized: unrecognizedFields(obj, META_FIELDS) };
  if (profile.name === 'tuf' || obj.version !== undefined) out.version = asInteger(obj.version, child(path, 'version'), 1);
  if (obj.length !== undefined) out.length = asInteger(obj.length, child(path, 'length'), 0);
  if (obj.hashes !== undefined) out.hashes = parseHashes(profile, obj.hashes, child(path, 'hashes'));
  if (profile.name === 'notary' && (out.length === undefined || out.hashes === undefined)) {
    // Notary's FileMeta always carries both; without them nothing binds the file.
    throw new CeremonyError('SCHEMA_INVALID', 'Notary file metadata needs length and hashes', { path });
  }
  return out;
}
