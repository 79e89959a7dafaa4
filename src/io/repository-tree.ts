/**
 * The file-system side of hostable repository trees (src/repository-tree): read one back (the current
 * metadata, then target files checked against verified metadata) and write one — into a staging folder
 * beside OUT, every file fsynced, then renamed to OUT in one step, so OUT is either absent or complete,
 * and never written over.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { checkTargetBytes, listedTargets, targetFilePaths } from '../repository-tree/layout.js';
import { isTreeOnlyName, selectTreeFiles } from '../repository-tree/read.js';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import type { RepositoryFiles, VerifiedRepository } from '../tuf/repository.js';
import type { NamedBytes } from '../tuf/repository-files.js';
import { isDirectory, listFiles, readFileCapped } from './files.js';

/**
 * The repository in `dir` when it is a hostable TUF tree (it has a versioned role file such as
 * `2.snapshot.json`, or files under `targets/`, and its newest root is TUF metadata); undefined otherwise,
 * for the plain metadata-folder reader. `names` is the folder's listing.
 */
export async function readRepositoryTreeIfAny(dir: string, names: readonly string[], caps: SizeCaps = DEFAULT_CAPS): Promise<RepositoryFiles | undefined> {
  if (!names.some(isTreeOnlyName)) return undefined;
  // A Notary folder's targets/releases.json is a role: classifyTreeName would take it as a target, so the
  // tree reading is decided by the newest root's profile (selectTreeFiles returns undefined for Notary).
  const selection = await selectTreeFiles(names, (name, cap) => readFileCapped(join(dir, name), cap), caps);
  return selection?.files;
}

export interface TreeTargetCheck {
  /** Target files found and matching their entries (each path checked). */
  checked: { name: string; path: string }[];
  /** Targets listed by verified metadata whose file is not in the tree. */
  absent: string[];
  /** Files under targets/ no verified entry names (older versions kept for clients mid-update). */
  unreferenced: string[];
  /** The checked bytes by target name (to carry them into a new tree). */
  bytes: Map<string, Uint8Array>;
}

/** Read each target file the verified roles list from `dir/targets/`, capped at its recorded length, and check it (TUF 5.7.2). */
export async function checkTreeTargets(dir: string, repo: VerifiedRepository, caps: SizeCaps = DEFAULT_CAPS): Promise<TreeTargetCheck> {
  const names = new Set(await listFiles(dir, caps));
  const consistent = repo.root.signed.consistentSnapshot;
  const out: TreeTargetCheck = { checked: [], absent: [], unreferenced: [], bytes: new Map() };
  const referenced = new Set<string>();
  for (const { name, file } of listedTargets(repo)) {
    const paths = targetFilePaths(name, file, consistent);
    const present = paths.filter((p) => names.has(p));
    paths.forEach((p) => referenced.add(p));
    if (present.length === 0) {
      out.absent.push(name);
      continue;
    }
    for (const path of present) {
      const bytes = await readFileCapped(join(dir, path), file.length);
      checkTargetBytes(name, file, bytes, path);
      out.checked.push({ name, path });
      out.bytes.set(name, bytes);
    }
  }
  for (const n of names) if (n.startsWith('targets/') && !referenced.has(n)) out.unreferenced.push(n);
  return out;
}

/** Read the files of a folder as target files, by their path below it (`--targets-dir`), each capped. */
export async function readTargetFiles(dir: string, maxBytes: number, caps: SizeCaps = DEFAULT_CAPS): Promise<Map<string, Uint8Array>> {
  if (!(await isDirectory(dir))) throw new CeremonyError('USAGE', `${basename(dir)} is not a directory`, { path: dir });
  const out = new Map<string, Uint8Array>();
  for (const rel of await listFiles(dir, caps)) out.set(rel, await readFileCapped(join(dir, rel), maxBytes));
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Write `entries` as the folder `out`, which must not exist: staged in `.OUT.tree-<random>` beside it
 * (exclusive creates, each file and folder fsynced), then renamed to `out` — a rename never replaces a
 * folder that holds anything, and `out` is checked absent first. A failure removes the staging folder.
 */
export async function writeTree(out: string, entries: readonly NamedBytes[]): Promise<void> {
  if (await exists(out)) throw new CeremonyError('OUTPUT_EXISTS', `${basename(out)} already exists; refusing to overwrite it (write the tree to a new folder)`, { path: out });
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.${basename(out)}.tree-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  try {
    const folders = new Set<string>([staging]);
    for (const { name, bytes } of entries) {
      const path = join(staging, ...name.split('/'));
      await mkdir(dirname(path), { recursive: true });
      folders.add(dirname(path));
      const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) await fsyncDir(folder);
    if (await exists(out)) throw new CeremonyError('OUTPUT_EXISTS', `${basename(out)} appeared while the tree was written; refusing to overwrite it`, { path: out });
    await rename(staging, out);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await fsyncDir(parent);
}
