/**
 * Target file contents carried in a targets request (issue #15), so a co-signer's review can say what
 * changes INSIDE a file — for a Sigstore `trusted_root.json`, which Fulcio CAs, Rekor and CT log keys and
 * validity windows are added or removed (src/sigstore/trusted-root.ts) — with the same words the proposer
 * saw. The signatures cover only targets metadata (each entry's length and hashes), so the bytes carried are
 * bound to those entries: `next` must have the length and hashes of the payload's entry for the name,
 * `previous` those of the previous targets file's entry (TARGET_FILE_MISMATCH otherwise, with the request's
 * JSON path). Each is at most CONTENT_MAX_BYTES (INPUT_TOO_LARGE): a larger file is not carried and its
 * review says so. In the document:
 *
 * ```
 * "contents": { "<target name>": { "previous"?: "<base64>", "next"?: "<base64>" } }
 * ```
 *
 * and in the request ID's shown fields `"contents": { "<name>": { "previous"?: "<hex SHA-256>", "next"?: … } }`
 * (absent when nothing is carried, so requests without contents hash as before).
 */
import { CeremonyError } from '../errors.js';
import { digest } from '../crypto/digest.js';
import { asObject, asString, child, refuseUnknownFields } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import type { TargetFile, Targets } from '../tuf/targets.js';

/** Per carried file: a Sigstore trusted_root.json is a few tens of KiB; both versions must fit a request. */
export const CONTENT_MAX_BYTES = 512 * 1024;
const MAX_CONTENTS = 16;

export interface TargetContent {
  /** The bytes the previous targets file's entry names (updated or removed targets). */
  previous?: Uint8Array;
  /** The bytes the payload's entry names (added or updated targets). */
  next?: Uint8Array;
}

export type TargetContents = Map<string, TargetContent>;

/** The bytes must be what the entry records: its length and every SHA-256 / SHA-512 it lists (TUF 5.7.2). */
function checkEntry(profile: ProfileName, name: string, entry: TargetFile | undefined, bytes: Uint8Array, which: string, path: string): void {
  if (bytes.length > CONTENT_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the ${which} content of ${JSON.stringify(name)} is ${bytes.length} bytes, over the ${CONTENT_MAX_BYTES}-byte cap of a carried file`, { path });
  if (!entry) throw new CeremonyError('TARGET_FILE_MISMATCH', `the ${which} targets file lists no ${JSON.stringify(name)}, yet the request carries its ${which} content`, { path });
  if (bytes.length !== entry.length) throw new CeremonyError('TARGET_FILE_MISMATCH', `the ${which} content of ${JSON.stringify(name)} is ${bytes.length} bytes, but its entry says ${entry.length}`, { path });
  const p = getProfile(profile);
  let checked = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const want = entry.hashes[alg];
    if (want === undefined) continue;
    if (p.encodeDigest(digest(alg, bytes)) !== want) throw new CeremonyError('TARGET_FILE_MISMATCH', `the ${which} content of ${JSON.stringify(name)} does not have the ${alg} hash its entry records`, { path });
    checked++;
  }
  if (checked === 0) throw new CeremonyError('TARGET_FILE_MISMATCH', `the entry of ${JSON.stringify(name)} records no SHA-256 or SHA-512 to check its content against`, { path });
}

/** Bind every carried file to its entry in targets N (previous) and N+1 (next). */
export function checkContents(profile: ProfileName, previous: Targets, next: Targets, contents: TargetContents, path = '$.contents'): void {
  if (contents.size > MAX_CONTENTS) throw new CeremonyError('INPUT_TOO_LARGE', `a request carries the contents of at most ${MAX_CONTENTS} files`, { path });
  for (const [name, c] of contents) {
    const p = child(path, name);
    if (!c.previous && !c.next) throw new CeremonyError('SCHEMA_INVALID', 'give "previous" and/or "next"', { path: p });
    if (c.previous) checkEntry(profile, name, previous.targets.get(name), c.previous, 'previous', child(p, 'previous'));
    if (c.next) checkEntry(profile, name, next.targets.get(name), c.next, 'next', child(p, 'next'));
  }
}

export function contentsJson(contents: TargetContents): JsonObject {
  const out: JsonObject = {};
  for (const name of [...contents.keys()].sort()) {
    const c = contents.get(name)!;
    const o: JsonObject = {};
    if (c.previous) o.previous = Buffer.from(c.previous).toString('base64');
    if (c.next) o.next = Buffer.from(c.next).toString('base64');
    Object.defineProperty(out, name, { value: o, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** What the request ID binds of the contents: their SHA-256 by name. */
export function contentsShown(contents: TargetContents): JsonObject {
  const out: JsonObject = {};
  const hex = (b: Uint8Array) => Buffer.from(digest('sha256', b)).toString('hex');
  for (const name of [...contents.keys()].sort()) {
    const c = contents.get(name)!;
    const o: JsonObject = {};
    if (c.previous) o.previous = hex(c.previous);
    if (c.next) o.next = hex(c.next);
    Object.defineProperty(out, name, { value: o, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseContents(value: JsonValue | undefined, path = '$.contents'): TargetContents {
  const out: TargetContents = new Map();
  if (value === undefined) return out;
  const obj = asObject(value, path);
  for (const name of Object.keys(obj)) {
    const p = child(path, name);
    const c = asObject(obj[name], p);
    refuseUnknownFields(c, new Set(['previous', 'next']), p);
    const entry: TargetContent = {};
    for (const which of ['previous', 'next'] as const) {
      if (c[which] === undefined) continue;
      const text = asString(c[which], child(p, which));
      if (text.length > Math.ceil(CONTENT_MAX_BYTES / 3) * 4) throw new CeremonyError('INPUT_TOO_LARGE', `over the ${CONTENT_MAX_BYTES}-byte cap of a carried file`, { path: child(p, which) });
      if (!BASE64.test(text)) throw new CeremonyError('SCHEMA_INVALID', 'expected base64 (RFC 4648, padded)', { path: child(p, which) });
      entry[which] = new Uint8Array(Buffer.from(text, 'base64'));
    }
    out.set(name, entry);
  }
  return out;
}
