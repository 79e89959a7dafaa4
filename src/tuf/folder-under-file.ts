/**
 * One repository's folder inside another's file (review-13a L2, L3). Repository names nest — TUF `org` and
 * `org/app`, Notary GUNs `a` and `a/metadata/targets/x` — and that is allowed; but a name can also run
 * through a *file* another repository writes: TUF `org` writes `org/root.json`, so a repository named
 * `org/root.json` would need that path as a folder (Notary: `a/org` writes `a/org/metadata/root.json`,
 * GUN `a/org/metadata/root.json` needs it as a folder). One path cannot be both: the write fails with
 * EEXIST or ENOTDIR at the end, after everything was verified (a set import) or signed (a batch). Callers
 * check the names before anything is read or signed, with the files each repository would write.
 *
 * Paths are compared case-folded, as the batch and the set compare repository names: on a case-insensitive
 * file system (Windows, macOS) `org/Root.json` is the folder `org/root.json` too. Repository folders are
 * letters, digits and `._:-` (tuf/gun.ts), so lower-casing is the whole fold.
 */

/** A path as compared here. */
export function foldPath(path: string): string {
  return path.toLowerCase();
}

/**
 * The first path on the way to `folder` (the folder itself included) that `files` holds as a file, with
 * the file's owner, or undefined. `files` is keyed by foldPath of each written file's full path.
 */
export function fileOnTheWay<T>(folder: string, files: ReadonlyMap<string, T>): { path: string; owner: T } | undefined {
  const folded = foldPath(folder);
  for (let at = folded.indexOf('/'); ; at = folded.indexOf('/', at + 1)) {
    const path = at < 0 ? folded : folded.slice(0, at);
    const owner = files.get(path);
    if (owner !== undefined) return { path: folder.slice(0, path.length), owner };
    if (at < 0) return undefined;
  }
}
