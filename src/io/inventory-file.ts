/**
 * The key inventory's file (src/ceremony/inventory.ts) on disk: which file a command uses, and how an
 * update is written without losing another writer's (issue #17 point 5).
 *
 * Which inventory (findInventory), first match wins, never a search of the disk:
 *   1. the command's `--inventory FILE`;
 *   2. else the environment variable TUF_CEREMONY_INVENTORY (a path; set but missing is FILE_NOT_FOUND,
 *      never a silent fall-back to another file);
 *   3. else, when the command is given a ceremony output folder, `OUT/state/key-inventory.json` (where
 *      ceremonies write it; an older folder's `OUT/key-inventory.json`). A repository folder of a
 *      multi-repository ceremony (`OUT/metadata/<name>`) or a `metadata/` folder counts as its OUT.
 * The commands say which file they used (path and how it was chosen) in their output and `--json`.
 *
 * Updates (import, merge, batch, the app's Import screen): read once, checked, remembered by the SHA-256 of
 * the bytes read; the new inventory is written by temp+fsync+rename only if the file still holds those
 * bytes (INVENTORY_CHANGED otherwise: another writer updated it meanwhile, and its update is kept, not
 * overwritten). The compare and the rename run under a lock file beside the inventory, `<inventory>.lock`,
 * taken exclusively with the import lock's rules (src/trust-store/lock.ts: owner recorded, a dead owner's
 * lock never taken over), so two updates cannot both pass the compare: the later one sees the earlier's
 * bytes. The trust directory's import lock does not do this — it is released before the inventory is
 * written, and merge and batch take none. The lock covers only the compare-and-write (milliseconds): a
 * writer waits up to INVENTORY_LOCK_WAIT_MS for it (INVENTORY_LOCKED after). A lock left by a killed
 * process of THIS host (its pid gone, or running a process started at another time than the lock records)
 * is taken over (acquireImportLock's `breakStale`: under the removal guard, so two takers cannot both win),
 * which is safe here as it is not for the import lock — the write it guarded is temp+rename, so there is no
 * half-done state to repair — and the update says so (`brokeStaleLock`). A lock from another host (its
 * process cannot be checked from here) still held after the wait, or one that cannot be read, is
 * INVENTORY_LOCK_STALE naming the file, host and pid: removed by hand. So is one from another container or PID
 * namespace on this host (its pid means another process here) or one that does not record its namespace. Writers that do not use this lock (an
 * editor, a ceremony writing its own OUT/state/key-inventory.json) are still seen by the compare, outside
 * that window.
 */
import { dirname, basename, join, resolve } from 'node:path';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { INVENTORY_FILE, INVENTORY_MAX_BYTES, checkedInventoryBytes, emptyInventory, parseInventory, type KeyInventory } from '../ceremony/inventory.js';
import { isDirectory, readFileCapped, writeFileAtomic } from './files.js';
import { lstat, readdir } from 'node:fs/promises';
import { repositoryOfSafeName } from '../ceremony/repository-names.js';
import { METADATA_DIR, SECRET_DIR, STATE_DIR } from '../ceremony/layout.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { isCeremonyOutput } from './ceremony-output.js';
import { acquireImportLock, describeRemovedLeftover, LockRefusal, shownOwner, type ImportLock, type LockFs, type LockOwner } from '../trust-store/lock.js';
import { nodeLockFs } from './lock-file.js';
import { writeFault } from './fs-faults.js';

export const INVENTORY_ENV = 'TUF_CEREMONY_INVENTORY';

/** How the inventory file was chosen (reported as `inventorySource` in --json). */
export type InventorySource = 'option' | 'environment' | 'ceremony-output';

export interface FoundInventory {
  path: string;
  source: InventorySource;
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The ceremony output folder a path stands for: itself, or OUT for `OUT/metadata` and a multi-repository ceremony's `OUT/metadata/<name>`. */
function ceremonyOutputsOf(dir: string): string[] {
  const abs = resolve(dir);
  const out = [abs];
  if (basename(abs) === METADATA_DIR) out.push(dirname(abs));
  if (basename(dirname(abs)) === METADATA_DIR) out.push(dirname(dirname(abs)));
  return out;
}

/** The inventory a command uses under the rule in the file comment, or undefined when none applies. */
export async function findInventory(a: { option?: string | undefined; env?: Readonly<Record<string, string | undefined>>; ceremonyDir?: string | undefined }): Promise<FoundInventory | undefined> {
  if (a.option) return { path: resolve(a.option), source: 'option' };
  const fromEnv = (a.env ?? process.env)[INVENTORY_ENV];
  if (fromEnv) {
    const path = resolve(fromEnv);
    if (!(await present(path))) throw new CeremonyError('FILE_NOT_FOUND', `${INVENTORY_ENV} names ${path}, which does not exist (unset the variable, or give --inventory FILE)`, { path });
    return { path, source: 'environment' };
  }
  if (a.ceremonyDir) {
    for (const out of ceremonyOutputsOf(a.ceremonyDir)) {
      // Only a folder a ceremony wrote: its state/ folder (the current layout), else the markers of an older one.
      const candidate = join(out, 'state', INVENTORY_FILE);
      if (await present(candidate)) return { path: candidate, source: 'ceremony-output' };
      const older = join(out, INVENTORY_FILE);
      if ((await present(older)) && (await isCeremonyOutput(out).catch(() => false))) return { path: older, source: 'ceremony-output' };
    }
  }
  return undefined;
}

/** A key inventory file, read strictly: size cap, then the schema (INVENTORY_INVALID with the JSON path). */
export async function readInventoryFile(path: string): Promise<KeyInventory> {
  return parseInventory(await readFileCapped(path, INVENTORY_MAX_BYTES), path);
}

/** An inventory read for an update: what it held (null: no file yet, `create` allowed it). */
export interface InventoryForUpdate {
  path: string;
  inventory: KeyInventory;
  /** SHA-256 of the bytes read; null when the file did not exist. */
  sha256: string | null;
}

/** Read (and check) an inventory before anything else is done; `create`: a missing file starts empty. */
export async function readInventoryForUpdate(path: string, opts: { create?: boolean; now: Date }): Promise<InventoryForUpdate> {
  const abs = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(abs, INVENTORY_MAX_BYTES);
  } catch (err) {
    if (opts.create && isCeremonyError(err, 'FILE_NOT_FOUND') && !(await present(abs))) return { path: abs, inventory: emptyInventory(opts.now), sha256: null };
    throw err;
  }
  return { path: abs, inventory: parseInventory(bytes, abs), sha256: sha256Hex(bytes) };
}

/** INVENTORY_CHANGED when the file no longer holds what was read (another writer updated, made or removed it). */
export async function assertInventoryUnchanged(read: InventoryForUpdate, after = ''): Promise<void> {
  let now: string | null = null;
  try {
    now = sha256Hex(await readFileCapped(read.path, INVENTORY_MAX_BYTES));
  } catch (err) {
    if (!(isCeremonyError(err, 'FILE_NOT_FOUND') && !(await present(read.path)))) throw err;
  }
  if (now === read.sha256) return;
  const what = read.sha256 === null ? 'was created' : now === null ? 'was removed' : 'was changed';
  throw new CeremonyError('INVENTORY_CHANGED', `the key inventory ${read.path} ${what} by another writer since it was read${after}; it was not overwritten: run the command again to record this change in it`, { path: read.path });
}

/** How long an update waits for another writer's inventory lock (held for one compare-and-write). */
export const INVENTORY_LOCK_WAIT_MS = 30_000;

/** The lock file of an inventory: beside it, so it is on the same file system and found from its path alone. */
export function inventoryLockPath(path: string): string {
  return `${resolve(path)}.lock`;
}

/** What an inventory update did beside writing the file. */
export interface InventoryWritten {
  /** A sentence for people: the stale lock a dead process left, taken over (see the file comment). */
  brokeStaleLock?: string;
}

function ownerWords(o: LockOwner): string {
  const { host, created } = shownOwner(o);
  return `process ${o.pid} on ${host}, taken at ${created}`;
}

/** An updated inventory checked against the reader's limits (checkInventoryUpdate), with the bytes that are to be written. */
export interface CheckedInventoryUpdate {
  readonly inventory: KeyInventory;
  readonly bytes: Uint8Array;
}

/**
 * The updated inventory's bytes, checked against every limit it is read with (checkedInventoryBytes:
 * INVENTORY_TOO_LARGE, or INVENTORY_INVALID if it would not read back), for a command that must refuse
 * BEFORE it installs or writes what the update records: nothing is installed after a rejection (review
 * 13a M1). writeInventoryUpdate then writes exactly these bytes, under its lock and only if the file still
 * holds the bytes read — so what was checked is what is written, or nothing is (INVENTORY_CHANGED).
 * `after`: what the caller has (not) done, said after "it was not written"; `advice`: what the person
 * can do about an inventory that is full (checkedInventoryBytes).
 */
export function checkInventoryUpdate(read: InventoryForUpdate, inventory: KeyInventory, after = '', advice?: string): CheckedInventoryUpdate {
  return { inventory, bytes: checkedInventoryBytes(inventory, `the key inventory ${read.path}`, after, advice) };
}

/**
 * What a person can do when an import or merge is refused because recording it would take the inventory at
 * `path` over its limits (checkInventoryUpdate's `advice`): running the same command again is refused the
 * same way, so "run it again" is never the advice. `what`: what the command brings ("this repository",
 * "this set", "root version 3 of registry.example.com/org/app"). An import may name another inventory
 * (--inventory creates a missing one there; the app's Import screen: another file chosen); a merge's
 * --inventory never creates one.
 */
export function inventoryFullAdvice(path: string, command: 'import' | 'app-install' | 'merge', what: string): string {
  const remove = `or first remove from ${path} the repositories this site no longer trusts`;
  if (command === 'import') return `The inventory is full: importing ${what} again with it would be refused the same way. Import with --inventory naming another inventory file (created if absent) to record ${what} there, or without --inventory to install ${what} unrecorded, ${remove}`;
  if (command === 'app-install') return `The inventory is full: installing ${what} again with it would be refused the same way. Choose another key inventory file (created if absent) to record ${what} there, or stop recording to install ${what} unrecorded, ${remove}`;
  return `The inventory is full: merging ${what} again with it would be refused the same way. Merge without --inventory (the inventory then stays stale for ${what}: status and keys say so), ${remove}`;
}

/**
 * Write the updated inventory in place of the one read: only if the file still holds those bytes, checked
 * and written under the inventory's lock (see the file comment), so no other update lands in between.
 * `update`: the inventory (checked here, before the lock), or what checkInventoryUpdate returned for it.
 */
export async function writeInventoryUpdate(
  read: InventoryForUpdate,
  update: KeyInventory | CheckedInventoryUpdate,
  after = '',
  opts: {
    lockFs?: LockFs;
    lockWaitMs?: number;
    /**
     * A sentence for people per leftover of a dead command removed beside the lock on taking it (lock.ts
     * sweepAsideLeftovers), said as soon as it is gone: also when the write that follows fails, since
     * the files went either way (the import lock's onRemovedLockLeftover, the same rule).
     */
    onRemovedLeftover?: (line: string) => void;
  } = {},
): Promise<InventoryWritten> {
  // Checked before the lock is taken: an update over the reader's limits is refused with the file as it
  // was, never written for every later command to be refused (review 13a M1).
  const bytes = 'bytes' in update ? update.bytes : checkedInventoryBytes(update, `the key inventory ${read.path}`, after);
  const lockPath = inventoryLockPath(read.path);
  const waitMs = opts.lockWaitMs ?? INVENTORY_LOCK_WAIT_MS;
  const lockFs = opts.lockFs ?? nodeLockFs();
  let lock: ImportLock;
  try {
    lock = await acquireImportLock(lockPath, lockFs, { waitMs, breakStale: true });
  } catch (err) {
    const held = err instanceof LockRefusal ? err.held : undefined;
    const manual = (file: string, host: string) => `the inventory was not changed: once no tuf-ceremony command is running on ${host}, delete ${file} and run the command again`;
    if (err instanceof LockRefusal && err.code === 'IMPORT_LOCKED' && held && err.elsewhere) {
      // Held for milliseconds by a running writer, so still there after the wait: almost surely left by a
      // command killed there, but its process cannot be checked from here (another host, or another
      // container or PID namespace on this one, where its pid means another process), so it is never broken.
      const there =
        held.host !== lockFs.hostname
          ? `it was probably left by a command killed on ${shownOwner(held).host}, which this computer cannot check`
          : `it may belong to a process in another container or PID namespace on this host (or be from before a restart, or not say where it was taken), whose pid cannot be checked from here; it was probably left by a command killed there`;
      throw new CeremonyError('INVENTORY_LOCK_STALE', `the key inventory's lock ${lockPath} is held by ${ownerWords(held)}, and was still there after ${Math.round(waitMs / 1000)} s (a write holds it for milliseconds): ${there}${after}; ${manual(lockPath, shownOwner(held).host)}`, { path: lockPath, cause: err });
    }
    if (err instanceof LockRefusal && err.displaced) {
      // A live lock moved aside by the take-over could not be put back (src/trust-store/lock.ts removeIfUnchanged).
      // The caller's suffix before the lock's own words, so their last words stay the file to delete.
      throw new CeremonyError('INVENTORY_LOCKED', `the key inventory ${read.path} was not changed${after}: ${messageWithoutPath(err)}`, { path: err.displaced, cause: err });
    }
    if (isCeremonyError(err, 'IMPORT_LOCKED')) {
      // The lock itself, or the guard of another command taking over a stale one (L1 of review-gaps).
      const file = err.path ?? lockPath;
      const what = file === lockPath ? `its lock ${lockPath} stayed held` : `its lock ${lockPath} was left by a command that no longer runs, and the guard ${file} of another command taking it over stayed held`;
      throw new CeremonyError('INVENTORY_LOCKED', `the key inventory ${read.path} is being written by another command (${what} for ${Math.round(waitMs / 1000)} s${held ? ` by ${ownerWords(held)}` : ''})${after}; the inventory was not changed: run the command again`, { path: file, cause: err });
    }
    if (isCeremonyError(err, 'IMPORT_LOCK_STALE')) {
      // Unreadable (no owner to check), or a stale lock whose take-over guard was itself left behind.
      const file = err.path ?? lockPath;
      const what = file === lockPath ? `the key inventory's lock ${lockPath} does not say which process holds it (damaged, or not written by this tool)` : `the key inventory's lock ${lockPath} was left by a command that no longer runs, but the guard for taking it over, ${file}, was left too${held ? ` (by ${ownerWords(held)})` : ''}`;
      throw new CeremonyError('INVENTORY_LOCK_STALE', `${what}${after}; ${manual(file, held && file !== lockPath ? shownOwner(held).host : 'this computer')}`, { path: file, cause: err });
    }
    // The lock file is the first thing written beside the inventory: a read-only or full medium, or a
    // folder this user may not write, is named as the inventory's own write would name it (issue #12).
    throw writeFault(err, lockPath);
  }
  for (const leftover of lock.removedLeftovers ?? []) opts.onRemovedLeftover?.(describeRemovedLeftover(leftover));
  let written = false;
  try {
    await assertInventoryUnchanged(read, after);
    await writeFileAtomic(read.path, bytes, { overwrite: read.sha256 !== null });
    written = true;
  } finally {
    await lock.release().catch((err: unknown) => {
      // Releasing moved another command's live lock aside and could not put it back (a person deleted
      // ours and that command took the name within microseconds: src/trust-store/lock.ts releaseLock).
      // Said in the inventory's words, naming that file, and whether our write went through.
      if (!(err instanceof LockRefusal && err.displaced)) throw err;
      throw new CeremonyError('INVENTORY_LOCKED', `the key inventory ${read.path} ${written ? 'was written' : 'was not changed'}${after}, but releasing its lock: ${messageWithoutPath(err)}`, { path: err.displaced, cause: err });
    });
  }
  return lock.brokeStale ? { brokeStaleLock: `took over the key inventory's lock ${lockPath}, left by ${ownerWords(lock.brokeStale)}, which is no longer running` } : {};
}

/** A root.json found in a ceremony output folder, with the repository its folder names (multi-repository). */
export interface CeremonyRoot {
  path: string;
  repository?: string;
  bytes: Uint8Array;
}

/**
 * The roots a ceremony output folder holds, for the inventory's freshness check: `OUT/metadata/root.json`
 * (a single ceremony) and `OUT/metadata/<safe name>/root.json` (a multi-repository one, named by its
 * folder). Only these places are read; a folder holding neither gives none.
 */
export async function readCeremonyRoots(dir: string): Promise<CeremonyRoot[]> {
  const out: CeremonyRoot[] = [];
  const one = async (path: string, repository?: string): Promise<void> => {
    if (!(await present(path))) return;
    out.push({ path, ...(repository ? { repository } : {}), bytes: await readFileCapped(path, DEFAULT_CAPS.root) });
  };
  // A ceremony output folder only (metadata/ beside state/ or secret/, as metadataDirOf tells it), read
  // here without metadataDirOf, which refuses a multi-repository output as one repository's metadata.
  const repos = join(dir, METADATA_DIR);
  const folder = async (p: string): Promise<boolean> => isDirectory(p).catch(() => false);
  if (!(await folder(repos)) || !((await folder(join(dir, STATE_DIR))) || (await folder(join(dir, SECRET_DIR))))) return out;
  await one(join(repos, 'root.json'));
  let names: string[] = [];
  try {
    names = (await readdir(repos, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    names = [];
  }
  for (const name of names) {
    let repository: string | undefined;
    try {
      repository = repositoryOfSafeName(name);
    } catch {
      continue; // not a folder this tool wrote
    }
    await one(join(repos, name, 'root.json'), repository);
  }
  return out;
}
