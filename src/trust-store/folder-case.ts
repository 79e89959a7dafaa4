/**
 * A repository's trust folder against the repositories already in the trust directory. Notary keeps each
 * repository in `tuf/<GUN>/metadata`, and GUNs are case-sensitive (`myorg/App` and `myorg/app` are two
 * repositories to notary-server); a set of TUF repositories keeps each in `<name>/`. On a case- or
 * normalisation-insensitive file system (NTFS, APFS and HFS+ by default: where the app runs on Windows and
 * macOS, and where a trust directory copied from Linux lands) two such names are one folder: importing the
 * second would read the first's installed root as its own pin and replace the first's files, so a site
 * that trusted `myorg/app` would afterwards hold `myorg/App`'s metadata under that name. A set names each
 * repository once (bundle/set.ts refuses two that read as one); this is the same rule against what an
 * earlier import installed (REPOSITORY_FOLDER_COLLISION), checked from folder listings before anything is
 * read or written. Folding is file-names.ts's (generous: full case mapping and NFD, HFS+'s ignored code
 * points dropped), plus the trailing dots and spaces Windows drops (foldedFolderName).
 *
 * Only a repository's own folder counts: `Docker.IO/x` beside `docker.io/myorg/app` shares a parent folder
 * on those systems, but no file of either is the other's. And a repository installed as spelled is left to
 * renew: a Linux trust directory may hold `org/app` and `org/App` from before this check, two real
 * repositories, and refusing both forever would let their trust expire.
 */
import { join } from 'node:path';
import { CeremonyError } from '../errors.js';
import type { TrustDirFs } from '../io/trust-dir.js';
import { quoteShown } from '../json/fields.js';
import { foldedFileName } from './file-names.js';

/**
 * A folder name as Windows, macOS (and HFS+) compare it: foldedFileName, and the trailing `.`s and spaces
 * Windows drops (review-12 L2: `org/app.` is `org/app` on NTFS). New GUNs cannot end so (tuf/gun.ts), but a
 * folder one installed before that rule, or made by hand, still meets them here.
 */
export function foldedFolderName(name: string): string {
  return foldedFileName(name.replace(/[. ]+$/u, ''));
}

/** The names of one folder by their folded form (foldedFolderName), each fold with the names that have it. */
export type FoldedNames = ReadonlyMap<string, readonly string[]>;

/** The names in folder `parent` (segments below the base folder), or undefined when there is no such folder. */
export type FolderListing = (parent: readonly string[]) => Promise<FoldedNames | undefined>;

/** A folder's names as FoldedNames. */
export function foldedNames(names: Iterable<string>): FoldedNames {
  const out = new Map<string, string[]>();
  for (const name of names) {
    const folded = foldedFolderName(name);
    const same = out.get(folded);
    if (same) same.push(name);
    else out.set(folded, [name]);
  }
  return out;
}

/** What a repository's folder holds in each layout: Notary `<GUN>/metadata/`, a TUF set's `<name>/root.json`. */
export function repositoryMarker(layout: 'notary' | 'tuf'): string {
  return layout === 'notary' ? 'metadata' : 'root.json';
}

/**
 * The folders below `base` listed as they are on disk, each folder read at most once (a thousand
 * repositories of one organisation share their parents). Links are not followed: a link is no folder here.
 */
export function folderListing(fs: Pick<TrustDirFs, 'lstat' | 'readdir'>, base: string): FolderListing {
  const seen = new Map<string, Promise<FoldedNames | undefined>>();
  return (parent) => {
    const dir = join(base, ...parent);
    let names = seen.get(dir);
    if (!names) {
      names = (async () => ((await fs.lstat(dir))?.kind === 'directory' ? foldedNames((await fs.readdir(dir)).map((e) => e.name)) : undefined))();
      seen.set(dir, names);
    }
    return names;
  };
}

/**
 * The repository folders (segments, as listed) that are `wanted` on a case- or normalisation-insensitive
 * file system — `wanted` itself among them when it is there as spelled. A repository folder holds
 * `marker` (repositoryMarker). Walks down only the names that fold like `wanted`'s.
 */
export async function foldedRepositories(wanted: readonly string[], list: FolderListing, marker: string): Promise<string[][]> {
  let paths: string[][] = [[]];
  for (const segment of wanted) {
    const folded = foldedFolderName(segment);
    const next: string[][] = [];
    for (const path of paths) for (const name of (await list(path))?.get(folded) ?? []) next.push([...path, name]);
    if (next.length === 0) return [];
    paths = next;
  }
  const out: string[][] = [];
  for (const path of paths) if ((await list(path))?.get(foldedFolderName(marker))?.includes(marker)) out.push(path);
  return out;
}

/**
 * REPOSITORY_FOLDER_COLLISION for repository `name` (`/`-separated) when it is not installed as spelled
 * and another installed repository's folder is its folder on Windows or macOS; undefined otherwise.
 * `base`: how the base folder is named in the message; `path`: the JSON path blamed.
 */
export async function folderCollisionOf(name: string, list: FolderListing, marker: string, base: string, path: string): Promise<CeremonyError | undefined> {
  const found = await foldedRepositories(name.split('/'), list, marker);
  if (found.some((p) => p.join('/') === name)) return undefined;
  const twin = found[0];
  if (twin === undefined) return undefined;
  const shown = (segments: string) => quoteShown(`${base}/${segments}`);
  return new CeremonyError(
    'REPOSITORY_FOLDER_COLLISION',
    `the repository ${quoteShown(name)} would be installed in ${shown(name)}, but the trust directory already holds the repository folder ${shown(twin.join('/'))}: ` +
      `on a case- or normalisation-insensitive file system (Windows, macOS) the two are one folder, and one repository's trust would replace the other's; nothing was installed. ` +
      `If ${shown(twin.join('/'))} is stale, remove it, then import again`,
    { path },
  );
}
