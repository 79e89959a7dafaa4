/**
 * A trust bundle of many repositories (issue #17 point 4): a bundle of kind `trust-bundle-set` whose files
 * are complete trust bundles, one per repository, named `repositories/00000.tufbundle`,
 * `repositories/00001.tufbundle`, … in order. Nesting reuses everything a single trust bundle has: each
 * inner bundle names its own profile and repository and carries its files with their lengths and
 * SHA-256s, and the outer manifest's SHA-256s cover every inner bundle, so the set's short hash names
 * every byte of every repository.
 *
 * The outer manifest's `profile` is the profile of every repository in the set (one profile per set: a
 * Notary and a TUF client read different trust directories, and an import installs one set into one
 * trust directory at once); its `repository` is the set's name (a label: "myorg", "1000 repositories").
 *
 * Decoding (decodeRepositorySet), in order: the outer bundle as any bundle (src/bundle/format.ts: size
 * cap 256 MiB, manifest, hashes) and of this kind; at most REPOSITORY_SET_MAX repositories; each file
 * named as above, numbered from 0 without gaps (BUNDLE_FILE_NAME_INVALID); each inner bundle decoded as a
 * trust bundle (its own caps and hashes; a refusal names the inner file); its profile the set's and its
 * repository not already in the set (BUNDLE_CONTENT_INVALID).
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
import { quoteShown } from '../json/fields.js';
import { nameKey } from '../rotation/names.js';
import type { ProfileName } from '../profiles/profile.js';
import { bundleTime, decodeBundle, decodeInnerBundle, encodeBundle, type DecodedBundle } from './format.js';

export const REPOSITORY_SET_MAX = 10_000;
const SET_KIND = new TextEncoder().encode('"kind":"trust-bundle-set"');

/** Is this bundle's manifest (the first line, canonical JSON) of kind trust-bundle-set? A sniff: decoding decides. */
export function looksLikeRepositorySet(bytes: Uint8Array): boolean {
  const end = bytes.indexOf(0x0a, 19);
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? Math.min(bytes.length, 4096) : end);
  return line.includes(Buffer.from(SET_KIND));
}
const INNER_NAME = /^repositories\/([0-9]{5})\.tufbundle$/;

export function innerName(i: number): string {
  return `repositories/${String(i).padStart(5, '0')}.tufbundle`;
}

export interface DecodedRepositorySet {
  outer: DecodedBundle;
  profile: ProfileName;
  name: string;
  /** In the set's order. */
  repositories: DecodedBundle[];
}

/** The set from untrusted bytes (see the file comment for the order of checks). */
export function decodeRepositorySet(bytes: Uint8Array, source = 'bundle'): DecodedRepositorySet {
  const outer = decodeBundle(bytes, { expectKind: 'trust-bundle-set', source });
  if (outer.files.length === 0) throw new CeremonyError('BUNDLE_CONTENT_INVALID', `${source}: a trust-bundle-set holds at least one repository`, { path: '$.files' });
  if (outer.files.length > REPOSITORY_SET_MAX) throw new CeremonyError('BUNDLE_TOO_LARGE', `${source} holds ${outer.files.length} repositories, over the cap of ${REPOSITORY_SET_MAX}`, { path: '$.files' });
  const seen = new Map<string, { repository: string; file: string }>();
  const repositories = outer.files.map((f, i) => {
    const m = INNER_NAME.exec(f.name);
    if (!m || Number(m[1]) !== i) throw new CeremonyError('BUNDLE_FILE_NAME_INVALID', `${source}: file ${i} is ${JSON.stringify(f.name)}, not ${innerName(i)}`, { path: `$.files[${i}].name` });
    let inner: DecodedBundle;
    try {
      // Its SHA-256 was checked against these bytes by the outer decode (the manifest's): not hashed again.
      inner = decodeInnerBundle(outer, i, { expectKind: 'trust-bundle', source: `${source} ${f.name}` });
    } catch (err) {
      if (isCeremonyError(err)) throw new CeremonyError(err.code, `${f.name}: ${err.message}`, { path: f.name, cause: err });
      throw err;
    }
    if (inner.profile !== outer.profile) {
      throw new CeremonyError('BUNDLE_CONTENT_INVALID', `${source} ${f.name}: a ${inner.profile} repository (${JSON.stringify(inner.repository)}) in a set of ${outer.profile} repositories`, { path: f.name });
    }
    // Compared as a reader compares them (rotation/names.ts nameKey: NFKC, case, spaces): "org/app" twice,
    // once precomposed and once decomposed, or once in full-width letters, reads as one repository in the
    // set's table, and (Notary) names one trust folder on a case- or normalisation-insensitive file system.
    const key = nameKey(inner.repository);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const same = earlier.repository === inner.repository;
      throw new CeremonyError(
        'BUNDLE_CONTENT_INVALID',
        same
          ? `${source}: repository ${quoteShown(inner.repository)} is in the set twice (${earlier.file} and ${f.name})`
          : `${source}: repositories ${quoteShown(earlier.repository)} (${earlier.file}) and ${quoteShown(inner.repository)} (${f.name}) read as one name (they differ only in case, spacing or Unicode form)`,
        { path: f.name },
      );
    }
    seen.set(key, { repository: inner.repository, file: f.name });
    return inner;
  });
  return { outer, profile: outer.profile, name: outer.repository, repositories };
}

/** A set from single trust bundles (each decoded and checked as on import). Deterministic, like every bundle. */
export function encodeRepositorySet(bundles: readonly Uint8Array[], opts: { name: string; created: Date; profile?: ProfileName }): Uint8Array {
  if (bundles.length === 0) throw new CeremonyError('USAGE', 'a trust-bundle-set holds at least one repository');
  const first = decodeBundle(bundles[0]!, { expectKind: 'trust-bundle', source: 'bundle 1' });
  const bytes = encodeBundle({
    kind: 'trust-bundle-set',
    profile: opts.profile ?? first.profile,
    repository: opts.name,
    created: bundleTime(opts.created),
    files: bundles.map((b, i) => ({ name: innerName(i), bytes: b })),
  });
  decodeRepositorySet(bytes);
  return bytes;
}
