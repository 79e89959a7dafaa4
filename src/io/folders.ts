/**
 * Folders a command makes on purpose (the rehearsal's simulated site): created with their parents, never
 * replacing anything, and a digest of a whole folder tree to show that a refused import changed nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { readTrustDir } from './trust-dir.js';

/** Make `path` (and its parents) if missing; an existing folder is left as it is. */
export async function makeFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/**
 * SHA-256 over every file under `path` (relative name and content, in name order; links refused): equal
 * digests before and after mean the tree is byte for byte the same. A missing folder has its own digest.
 * `exclude` leaves out files by their relative name ('/'-separated, as readTrustDir gives them).
 */
export async function treeDigest(path: string, opts: { maxFileBytes?: number; maxFiles?: number; exclude?: (name: string) => boolean } = {}): Promise<string> {
  const tree = await readTrustDir(path, () => opts.maxFileBytes ?? 64 * 1024 * 1024, opts.maxFiles ?? 10_000);
  const h = createHash('sha256');
  if (!tree) return h.update('absent').digest('hex');
  for (const name of [...tree.keys()].sort()) {
    if (opts.exclude?.(name)) continue;
    const content = createHash('sha256').update(tree.get(name)!).digest('hex');
    h.update(`${name}\0${content}\n`);
  }
  return h.digest('hex');
}

/**
 * The entries directly in `dir`, sorted, each said to be a regular file or not (links are not followed);
 * none when the folder does not exist. For a ceremony that resumes and must know what an interrupted run
 * left in an output folder (src/ceremony/multi-resume.ts).
 */
export async function folderEntries(dir: string): Promise<{ name: string; file: boolean }[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries.map((e) => ({ name: e.name, file: e.isFile() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
