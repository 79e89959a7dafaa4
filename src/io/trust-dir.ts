/**
 * The trust directory a client reads (Notary's `tuf/<GUN>/metadata/`, a TUF client's metadata folder),
 * replaced as a whole: a reader sees the old tree or the new one, never a mix.
 *
 * Swap protocol for a target folder T (all names are siblings of T, so every rename stays on one file
 * system):
 *   1. stage:  mkdir `.T.staging-<random>`, write each file (exclusive create, write, fsync), fsync each
 *              folder in it;
 *   2. keep:   rename T → `T.previous` (skipped on a first install);
 *   3. swap:   rename staging → T, fsync the parent;
 *   4. drop:   remove `T.previous`, fsync the parent.
 * An interruption anywhere is repaired by `recoverTrustDir` (run before every import, and after a failed
 * one): `T.previous` without T means step 3 never happened → it is renamed back (old tree); `T.previous`
 * with T means step 3 happened → it is removed (new tree); a staging folder is always removed.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { readFileCapped } from './files.js';

export interface SwapOptions {
  /**
   * Called after each file-system step with its name (tests: a throw here simulates the process being
   * killed at that point — nothing is cleaned up, as after a real kill).
   */
  onStep?: (step: string) => void;
}

const STAGING = '.staging-';

function previousOf(target: string): string {
  return `${target}.previous`;
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

class Killed extends Error {}

function stepper(opts: SwapOptions): (step: string) => void {
  return (step) => {
    if (!opts.onStep) return;
    try {
      opts.onStep(step);
    } catch (err) {
      throw new Killed(step, { cause: err });
    }
  };
}

/**
 * Bring T back to exactly the old or exactly the new tree after an interrupted swap (see the file
 * comment). Returns what it did, for the import record.
 */
export async function recoverTrustDir(target: string, opts: SwapOptions = {}): Promise<'none' | 'rolled-back' | 'completed'> {
  const step = stepper(opts);
  const parent = dirname(target);
  const previous = previousOf(target);
  let outcome: 'none' | 'rolled-back' | 'completed' = 'none';
  if (await exists(previous)) {
    if (await exists(target)) {
      await rm(previous, { recursive: true, force: true });
      outcome = 'completed';
      step('recover:drop-previous');
    } else {
      await rename(previous, target);
      outcome = 'rolled-back';
      step('recover:restore-previous');
    }
    await fsyncDir(parent);
  }
  if (await exists(parent)) {
    const prefix = `.${basename(target)}${STAGING}`;
    for (const name of await readdir(parent)) {
      if (name.startsWith(prefix)) {
        await rm(join(parent, name), { recursive: true, force: true });
        step('recover:drop-staging');
      }
    }
  }
  return outcome;
}

/** Replace the folder `target` by one holding exactly `files` (relative `/` paths → bytes), atomically. */
export async function swapTrustDir(target: string, files: ReadonlyMap<string, Uint8Array>, opts: SwapOptions = {}): Promise<void> {
  const step = stepper(opts);
  const parent = dirname(target);
  const previous = previousOf(target);
  try {
    await mkdir(parent, { recursive: true });
    await recoverTrustDir(target, opts);
    const staging = join(parent, `.${basename(target)}${STAGING}${randomBytes(6).toString('hex')}`);
    await mkdir(staging, { mode: 0o755 });
    step('stage:mkdir');
    const folders = new Set<string>([staging]);
    for (const [name, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const full = join(staging, ...name.split('/'));
      const dir = dirname(full);
      if (!folders.has(dir)) {
        await mkdir(dir, { recursive: true });
        folders.add(dir);
      }
      const handle = await open(full, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      step(`stage:write ${name}`);
    }
    for (const dir of [...folders].sort().reverse()) await fsyncDir(dir);
    step('stage:fsync');
    const hadOld = await exists(target);
    if (hadOld) {
      await rename(target, previous);
      step('keep:rename-old');
    }
    await rename(staging, target);
    step('swap:rename-new');
    await fsyncDir(parent);
    step('swap:fsync-parent');
    if (hadOld) {
      await rm(previous, { recursive: true, force: true });
      step('drop:remove-previous');
      await fsyncDir(parent);
      step('drop:fsync-parent');
    }
  } catch (err) {
    if (err instanceof Killed) throw err.cause;
    // A real failure (disk full, permissions): put the tree back as it was, as the next run would.
    await recoverTrustDir(target).catch(() => undefined);
    throw err;
  }
}

/**
 * Read every file under an installed trust folder (links refused, each read capped). Undefined when the
 * folder does not exist (nothing installed yet).
 */
export async function readTrustDir(target: string, capFor: (name: string) => number, maxFiles: number): Promise<Map<string, Uint8Array> | undefined> {
  if (!(await exists(target))) return undefined;
  const out = new Map<string, Uint8Array>();
  const walk = async (sub: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 8) throw new CeremonyError('TRUST_DIR_INVALID', 'the installed trust folder nests too deep', { path: sub });
    for (const entry of await readdir(sub, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = join(sub, entry.name);
      if (entry.isDirectory()) await walk(full, rel, depth + 1);
      else if (entry.isFile()) out.set(rel, await readFileCapped(full, capFor(rel)));
      else throw new CeremonyError('TRUST_DIR_INVALID', `${rel} in the installed trust folder is not a regular file`, { path: full });
      if (out.size > maxFiles) throw new CeremonyError('TRUST_DIR_INVALID', `the installed trust folder holds more than ${maxFiles} files`, { path: target });
    }
  };
  const info = await lstat(target);
  if (!info.isDirectory()) throw new CeremonyError('TRUST_DIR_INVALID', `${basename(target)} is not a folder`, { path: target });
  await walk(target, '', 0);
  return out;
}
