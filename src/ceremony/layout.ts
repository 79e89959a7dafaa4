/**
 * Where a root ceremony puts what it writes, in three folders of its output folder, so that what may be
 * published is never mixed with what must be locked away (issue #16 point 3):
 *
 *   metadata/  the signed metadata (root.json, 1.root.json, targets.json, …): publishable as it is; this
 *              folder is what Export, Inspect, `verify` and `publish` are given.
 *   secret/    the Shamir share cards and their printable pages (0700 folder, 0600 files): print, hand
 *              to their holders, then delete; never copied with the metadata.
 *   state/     the ceremony's own records: the resume journal (ceremony-state.json), the sealed transcript
 *              (transcript.jsonl) and its printable copy (transcript.html). No secrets; kept with the
 *              ceremony records and compared by the witnesses, not published to clients.
 *
 * The plan copy and the site's inputs stay at the top of the output folder (the app copies them there).
 */
import { join } from 'node:path';

export const METADATA_DIR = 'metadata';
export const SECRET_DIR = 'secret';
export const STATE_DIR = 'state';

/** The three folders' absolute paths. */
export interface OutputLayout {
  readonly root: string;
  readonly metadata: string;
  readonly secret: string;
  readonly state: string;
}

export function outputLayout(outDir: string): OutputLayout {
  return { root: outDir, metadata: join(outDir, METADATA_DIR), secret: join(outDir, SECRET_DIR), state: join(outDir, STATE_DIR) };
}

/** A ceremony output's path relative to the output folder ('metadata/root.json', 'secret/…', 'state/…'). */
export function inFolder(folder: typeof METADATA_DIR | typeof SECRET_DIR | typeof STATE_DIR, name: string): string {
  return `${folder}/${name}`;
}

/**
 * Whether a folder's listing (relative, '/'-separated names) is a ceremony output folder: a metadata/
 * folder beside state/ or secret/. Such a folder is read as its metadata/ folder by Export, Inspect and
 * `verify` (issue #16: "Export accepts the ceremony output folder"); the cards in secret/ are never read.
 */
export function isCeremonyOutputListing(names: readonly string[]): boolean {
  const has = (dir: string): boolean => names.some((n) => n.startsWith(`${dir}/`));
  return has(METADATA_DIR) && (has(STATE_DIR) || has(SECRET_DIR));
}

/**
 * A ceremony output folder's listing → its metadata/ files, named relative to metadata/; undefined for
 * any other folder (which is then read as it is, strays refused).
 */
export function metadataOfListing<T extends { name: string }>(files: readonly T[]): T[] | undefined {
  if (!isCeremonyOutputListing(files.map((f) => f.name))) return undefined;
  const prefix = `${METADATA_DIR}/`;
  return files.filter((f) => f.name.startsWith(prefix)).map((f) => ({ ...f, name: f.name.slice(prefix.length) }));
}
