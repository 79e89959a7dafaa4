/**
 * A repository's trust folder against the folders already in the trust directory. Notary keeps each
 * repository in `tuf/<GUN>/metadata`, and GUNs are case-sensitive (`myorg/App` and `myorg/app` are two
 * repositories to notary-server). On a case- or normalisation-insensitive file system (NTFS, APFS and
 * HFS+ by default: where the app runs on Windows and macOS, and where a trust directory copied from Linux
 * lands) they are one folder: importing one would read the other's installed root as its own pin and
 * replace the other's files, so a site that trusted `myorg/app` would afterwards hold `myorg/App`'s
 * metadata under that name. A set names each repository once (bundle/set.ts refuses two that read as one);
 * this is the same rule against what an earlier import installed, checked before anything is read or
 * written (REPOSITORY_FOLDER_COLLISION). Folding is file-names.ts's (generous: full case mapping and NFD).
 */
import { CeremonyError } from '../errors.js';
import { quoteShown } from '../json/fields.js';
import { foldedFileName } from './file-names.js';

/** The names of one folder by their folded form (foldedFileName), each fold with the names that have it. */
export type FoldedNames = ReadonlyMap<string, readonly string[]>;

/** A folder's names as FoldedNames. */
export function foldedNames(names: Iterable<string>): FoldedNames {
  const out = new Map<string, string[]>();
  for (const name of names) {
    const folded = foldedFileName(name);
    const same = out.get(folded);
    if (same) same.push(name);
    else out.set(folded, [name]);
  }
  return out;
}

/**
 * The existing folder path (segments) that is `wanted` on a case- or normalisation-insensitive file system
 * without being it here, or undefined. `children(parent)`: the names in the folder `parent` (segments
 * below the trust directory's root), undefined when there is no such folder. Walks down `wanted` only as
 * far as it exists: below a folder that is not there, nothing can collide.
 */
export async function foldedTwin(
  wanted: readonly string[],
  children: (parent: readonly string[]) => Promise<FoldedNames | undefined> | FoldedNames | undefined,
): Promise<string[] | undefined> {
  const at: string[] = [];
  for (const segment of wanted) {
    const same = (await children(at))?.get(foldedFileName(segment));
    if (!same) return undefined;
    const twin = same.find((name) => name !== segment);
    if (twin !== undefined) return [...at, twin];
    at.push(segment);
  }
  return undefined;
}

/** The refusal for a repository whose folder `wanted` has the folded twin `twin` (both below `base`, shown as given). */
export function folderCollision(gun: string, wanted: readonly string[], twin: readonly string[], base: string, path = '$.repository'): CeremonyError {
  const shown = (segments: readonly string[]) => quoteShown(`${base}/${segments.join('/')}`);
  return new CeremonyError(
    'REPOSITORY_FOLDER_COLLISION',
    `the repository ${quoteShown(gun)} would be installed in ${shown(wanted)}, but the trust directory already holds ${shown(twin)}: ` +
      `on a case- or normalisation-insensitive file system (Windows, macOS) the two are one folder, and one repository's trust would replace the other's; nothing was installed. ` +
      `If ${shown(twin)} is stale, remove it, then import again`,
    { path },
  );
}

/**
 * The names below each folder of a tree given as `/`-separated file paths (readTrustDir's keys), for
 * foldedTwin: a set import reads the whole `tuf/` tree once and checks every repository against it
 * (each folder's names folded once, not once per repository: a thousand repositories under one org).
 */
export function childrenInTree(paths: Iterable<string>): (parent: readonly string[]) => FoldedNames | undefined {
  const below = new Map<string, Set<string>>();
  for (const path of paths) {
    const segments = path.split('/');
    let parent = '';
    for (let i = 0; i < segments.length; i++) {
      let names = below.get(parent);
      if (!names) below.set(parent, (names = new Set()));
      names.add(segments[i]!);
      parent = i === 0 ? segments[0]! : `${parent}/${segments[i]!}`;
    }
  }
  const folded = new Map<string, FoldedNames>();
  return (parent) => {
    const key = parent.join('/');
    let names = folded.get(key);
    if (!names) {
      const plain = below.get(key);
      if (!plain) return undefined;
      folded.set(key, (names = foldedNames(plain)));
    }
    return names;
  };
}
