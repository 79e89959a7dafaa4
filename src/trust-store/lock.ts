/**
 * One import at a time per trust directory. An import reads what is installed (for the rollback check,
 * TUF 5.3.x "version must not be lower than the trusted one"), verifies, then swaps the folder: two
 * imports that interleave could both pass the rollback check against the same old tree and the later
 * swap could then install an OLDER repository over the newer one. So the whole read → verify → swap runs
 * under a lock file created exclusively (O_CREAT | O_EXCL) beside the folder that is swapped.
 *
 * The lock file holds who took it (`{"created","host","ns","pid","started","token"}`, canonical JSON; `started`
 * is the process's start identity where the system gives one — Linux: boot id and /proc/<pid>/stat field
 * 22 — so a pid reused by a later process is not mistaken for the owner). When it exists:
 *   - its owner is alive (same host, process answers with the recorded start), or cannot be checked from
 *     here — another host, or (Linux) another boot or PID namespace: a container or `unshare -p` on this
 *     host numbers its processes on its own, so the lock also records the writer's PID namespace (`ns`,
 *     readlink /proc/self/ns/pid) and a pid is only looked up when boot id and namespace are the reader's
 *     (ownerState) → IMPORT_LOCKED (after waiting up to `waitMs`, default 0: refused at once);
 *   - its owner is a process of this host, boot and PID namespace that is gone (killed mid-import; or its pid now runs another
 *     process) → IMPORT_LOCK_STALE, naming the file and the pid. The import lock is NEVER removed here: the
 *     operator removes it on purpose (removeStaleImportLock below; the next import repairs an interrupted
 *     swap, src/io/trust-dir.ts). A lock guarding a compare-and-write that leaves nothing to repair (the key
 *     inventory's, src/io/inventory-file.ts) asks for `breakStale`: a provably stale lock is then taken over
 *     under the removal guard below (takeOverStaleLock), and the lock returned says whose it was;
 *   - it cannot be read (a writer killed between create and write) → read again once, then
 *     IMPORT_LOCK_STALE as well.
 * Release removes the file only when it still holds this lock's random token (checked again on the file
 * renamed aside before it is removed: releaseLock). A `<lock>.stale-…` file that a command killed mid-rename
 * left beside the lock is removed by the next acquisition once its owner is provably gone, and so is a removal
 * guard `<lock>.removing` a killed remover or taker left (sweepAsideLeftovers); the caller says so.
 *
 * `removeStaleImportLock` is the operator's way out of IMPORT_LOCK_STALE (CLI `import --remove-stale-lock`,
 * the app's "Remove the stale lock" button): it removes the lock ONLY when it is provably stale — its
 * owner is a process of THIS host, boot and PID namespace that no longer runs, or its content cannot be read and the file was last
 * modified at least UNREADABLE_STALE_AFTER_MS ago. A live owner's lock, one taken on another host or in
 * another PID namespace or boot (its process cannot be checked from here) or a recent unreadable one is never removed (IMPORT_LOCK_NOT_STALE).
 * Removals take turns under a second exclusive file, `<lock>.removing` (see removeStaleImportLock).
 *
 * Pure: every file-system call and the process table come through `LockFs` (src/io/lock-file.ts is the
 * node one; tests inject their own).
 */
import { basename, dirname, join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { canonicalString } from '../json/canonical.js';
import { parseJsonStrict } from '../json/parse.js';
import type { TrustLayout } from './install.js';

export const IMPORT_LOCK_NAME = '.tuf-ceremony-import.lock';
const LOCK_MAX_BYTES = 4096;

export interface LockFs {
  /** Create `path` only if it does not exist (O_CREAT | O_EXCL), write `data`, fsync. False when it existed. */
  createExclusive(path: string, data: Uint8Array): Promise<boolean>;
  /** The file's bytes (at most `maxBytes`), or undefined when it does not exist. */
  read(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Remove the file (absent is fine). */
  remove(path: string): Promise<void>;
  /**
   * Rename `path` to `aside` (a new, unique name in the same folder: rename(2) is atomic, so whatever file is
   * at `path` at that instant is the one moved). False when `path` does not exist.
   */
  moveAside(path: string, aside: string): Promise<boolean>;
  /**
   * Put the file `aside` back at `path` only if nothing is there (link(2), which fails when the name
   * exists), then remove `aside`. False when `path` exists: `aside` is then kept.
   */
  putBack(aside: string, path: string): Promise<boolean>;
  /** Whether a process with this id runs on this host (signal 0). */
  processAlive(pid: number): boolean;
  /**
   * What tells the process running as `pid` from a later one given the same pid (Linux: boot id and start
   * time), or undefined when the system cannot tell (not Linux, no such process, /proc unreadable).
   */
  processStart?(pid: number): Promise<string | undefined>;
  /**
   * Where this process's pids mean something (Linux): the boot id (/proc/sys/kernel/random/boot_id) and the
   * PID namespace (readlink /proc/self/ns/pid, e.g. "pid:[4026531836]"), each undefined when unreadable.
   * Absent on systems without PID namespaces. A pid in a lock is only looked up here when the lock was
   * written under the same boot and in the same PID namespace (see ownerState).
   */
  identity?: { bootId?: string | undefined; pidNamespace?: string | undefined };
  /**
   * Every name in the lock's folder that starts with `<lock name>.stale-`, as full paths (a rename aside,
   * removeIfUnchanged and releaseLock, names its file so). Absent: leftovers are never cleaned up
   * (sweepAsideLeftovers).
   */
  listAside?(path: string): Promise<string[]>;
  /** When the file was last modified, or undefined when it does not exist (removeStaleImportLock only). */
  modifiedAt?(path: string): Promise<Date | undefined>;
  pid: number;
  hostname: string;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** 16 random bytes as hex: tells this lock from any other. */
  randomToken(): string;
}

export interface LockOwner {
  pid: number;
  host: string;
  created: string;
  token: string;
  /** The owner's start identity (LockFs.processStart), when its system gave one. */
  started?: string;
  /** The owner's PID namespace (LockFs.identity.pidNamespace), when its system gave one. */
  ns?: string;
}

export interface ImportLock {
  path: string;
  owner: LockOwner;
  /** `breakStale`: the owner of the stale lock this one took over, if it did. */
  brokeStale?: LockOwner;
  /** The leftovers of dead owners removed on taking the lock (sweepAsideLeftovers), if any: for a `note:` line each. */
  removedLeftovers?: RemovedLeftover[];
  /** Remove the lock if it is still ours. */
  release(): Promise<void>;
}

/**
 * The lock file for a trust folder. Notary: in the trust directory itself (it exists, checked before;
 * one lock covers every GUN below it). TUF: beside the client metadata folder, named after it (the
 * folder itself is renamed by the swap, so the lock cannot live inside it).
 *
 * `trustDir` is the import's resolved trust directory (resolveTrustDir: realpath), never the operator's
 * spelling (review-12b L3): two imports that name one directory differently — through a link
 * (`~/.docker` → `/data/docker`), through its target, or through a linked ancestor (macOS `/tmp`) — resolve
 * to the same path, so they take the same lock file and exclude each other. In the tuf layout that puts the
 * lock (and the sessions folder, import-session.ts siteSessionsDir) beside the link's target, not beside
 * the link: a build before b590e77 put them beside the link, so an import by such an older build running at
 * the same time through the link takes another lock file — running two builds on one site at once is not
 * supported (the same holds for any change of the lock's name).
 */
export function importLockPath(trustDir: string, layout: TrustLayout): string {
  if (layout === 'notary') return join(trustDir, IMPORT_LOCK_NAME);
  return join(dirname(trustDir), `.${basename(trustDir)}${IMPORT_LOCK_NAME}`);
}

function parseOwner(bytes: Uint8Array | undefined): LockOwner | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const v = parseJsonStrict(bytes, { maxBytes: LOCK_MAX_BYTES, path: '$' }) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const { pid, host, created, token, started, ns } = v;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    if (typeof host !== 'string' || typeof created !== 'string' || typeof token !== 'string') return undefined;
    if (started !== undefined && typeof started !== 'string') return undefined;
    if (ns !== undefined && typeof ns !== 'string') return undefined;
    return {
      pid,
      host: host.slice(0, 255),
      created: created.slice(0, 40),
      token,
      ...(started !== undefined ? { started: started.slice(0, 100) } : {}),
      ...(ns !== undefined ? { ns: ns.slice(0, 100) } : {}),
    };
  } catch {
    return undefined;
  }
}

function shown(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** The host and pid of a lock's owner, fit for a message (another tool's bytes: printable ASCII only). */
export function shownOwner(o: LockOwner): { host: string; created: string } {
  return { host: shown(o.host), created: shown(o.created) };
}

/**
 * A refusal about a lock that names who holds it (`held`: undefined when the file cannot be read), so a
 * caller guarding something else (the key inventory) can say it in its own words.
 */
export class LockRefusal extends CeremonyError {
  readonly held: LockOwner | undefined;
  /** The holder cannot be checked from here (ownerState 'elsewhere': another host, container or PID namespace). */
  readonly elsewhere: boolean;
  /** A live lock moved aside by a take-over that could not be put back (see removeIfUnchanged): its file. */
  readonly displaced: string | undefined;
  constructor(code: 'IMPORT_LOCKED' | 'IMPORT_LOCK_STALE', message: string, path: string, held: LockOwner | undefined, elsewhere = false, displaced?: string) {
    super(code, message, { path });
    this.held = held;
    this.elsewhere = elsewhere;
    this.displaced = displaced;
  }
}

/**
 * What can be said of a lock's owner from here:
 *   'elsewhere' its pid cannot be looked up here: another host; or — where pids live in PID namespaces
 *               (Linux) — a lock not written under this boot id AND in this PID namespace (another
 *               container or `unshare -p` on the same host, same host name and boot id, numbers its
 *               processes on its own: pid 1 there is not pid 1 here), or one that does not say (written
 *               before locks recorded it, or the namespace or boot id unreadable on either side);
 *   'gone'      a process of this host, boot and namespace that does not answer, or whose pid now runs a
 *               process started at another time than the one recorded;
 *   'alive'     anything else (no start recorded or readable counts as alive).
 * Only 'gone' ever lets a lock be taken over or removed.
 */
export type OwnerState = 'gone' | 'alive' | 'elsewhere';

export async function ownerState(o: LockOwner, fs: LockFs): Promise<OwnerState> {
  if (o.host !== fs.hostname) return 'elsewhere';
  const id = fs.identity;
  if (id) {
    const boot = o.started?.slice(0, o.started.lastIndexOf(':'));
    if (id.bootId === undefined || id.pidNamespace === undefined || boot !== id.bootId || o.ns !== id.pidNamespace) return 'elsewhere';
  } else if (o.ns !== undefined) {
    return 'elsewhere'; // written where pids live in namespaces, read where they do not: not ours to judge
  }
  if (!fs.processAlive(o.pid)) return 'gone';
  if (o.started === undefined || !fs.processStart) return 'alive';
  const now = await fs.processStart(o.pid);
  return now !== undefined && now !== o.started ? 'gone' : 'alive';
}

/** Provably gone (ownerState 'gone'). */
export async function ownerGone(o: LockOwner, fs: LockFs): Promise<boolean> {
  return (await ownerState(o, fs)) === 'gone';
}

/** Why the owner of a lock on this host name cannot be checked from here (ownerState 'elsewhere'). */
function elsewhereWords(o: LockOwner, fs: LockFs): string {
  if (o.host !== fs.hostname) return `process ${o.pid} on ${shown(o.host)}, another computer: whether it still runs cannot be checked from here`;
  return `process ${o.pid} on ${shown(o.host)}, which may be a process in another container or PID namespace (or from before a restart, or the lock does not say where it was taken): its pid means nothing here, so whether it still runs cannot be checked from here`;
}

function lockBytes(o: { created: string; host: string; pid: number; token: string; started?: string | undefined; ns?: string | undefined }): Uint8Array {
  const v = { created: o.created, host: o.host, ...(o.ns !== undefined ? { ns: o.ns } : {}), pid: o.pid, ...(o.started !== undefined ? { started: o.started } : {}), token: o.token };
  return new TextEncoder().encode(`${canonicalString(v, 'json')}\n`);
}

/** This process as a lock's or guard's owner: pid, host, start identity and PID namespace where known. */
async function selfOwner(fs: LockFs): Promise<LockOwner> {
  const started = fs.processStart ? await fs.processStart(fs.pid) : undefined;
  const ns = fs.identity?.pidNamespace;
  return { pid: fs.pid, host: fs.hostname, created: fs.now().toISOString(), token: fs.randomToken(), ...(started !== undefined ? { started } : {}), ...(ns !== undefined ? { ns } : {}) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Take the import lock at `path`, or throw IMPORT_LOCKED / IMPORT_LOCK_STALE (see the file comment).
 * `waitMs`: how long to wait for a live owner to finish (polling every `pollMs`).
 */
export async function acquireImportLock(path: string, fs: LockFs, opts: { waitMs?: number; pollMs?: number; breakStale?: boolean } = {}): Promise<ImportLock> {
  const waitMs = opts.waitMs ?? 0;
  const pollMs = opts.pollMs ?? 100;
  const owner = await selfOwner(fs);
  const data = lockBytes(owner);
  const deadline = fs.now().getTime() + waitMs;
  let unreadableSeen = false;
  let brokeStale: LockOwner | undefined;
  // The removal guard of a take-over, when a live taker's guard is what we wait for (named at the deadline).
  let guardBlocking: { path: string; owner: LockOwner } | undefined;
  for (;;) {
    if (brokeStale || (await fs.createExclusive(path, data))) {
      const removedLeftovers = await sweepAsideLeftovers(path, fs);
      return {
        path,
        owner,
        ...(brokeStale ? { brokeStale } : {}),
        ...(removedLeftovers.length > 0 ? { removedLeftovers } : {}),
        release: () => releaseLock(path, owner.token, fs),
      };
    }
    const seen = await fs.read(path, LOCK_MAX_BYTES);
    const held = parseOwner(seen);
    if (held === undefined) {
      // Gone meanwhile (try again at once), or a writer between its create and its write (look once more).
      if ((await fs.read(path, LOCK_MAX_BYTES)) === undefined) continue;
      if (!unreadableSeen) {
        unreadableSeen = true;
        await fs.sleep(Math.min(pollMs, 50));
        continue;
      }
      throw new LockRefusal('IMPORT_LOCK_STALE', `the import lock ${path} exists but does not say which process holds it (left by an import killed while taking it?); if no import is running, delete it and import again ("import --remove-stale-lock" removes it once it is ${UNREADABLE_STALE_AFTER_MS / 60000} minutes old)`, path, undefined);
    }
    unreadableSeen = false;
    guardBlocking = undefined;
    const state = await ownerState(held, fs);
    if (state === 'gone') {
      if (!opts.breakStale) {
        throw new LockRefusal(
          'IMPORT_LOCK_STALE',
          `the import lock ${path} was taken at ${shown(held.created)} by process ${held.pid}, which is no longer running: the import it guarded was interrupted. Nothing was changed now; the next import repairs an interrupted install. Remove the lock ("import --remove-stale-lock", or the Import screen’s button; both check again that its process is gone) and import again`,
          path,
          held,
        );
      }
      const taken = await takeOverStaleLock(path, seen!, data, fs);
      if (taken === 'taken') brokeStale = held;
      if (typeof taken !== 'object') continue; // ours now, or the lock changed meanwhile: look again at once
      guardBlocking = taken.busy;
    }
    if (fs.now().getTime() >= deadline) {
      if (guardBlocking) {
        const g = guardBlocking;
        throw new LockRefusal('IMPORT_LOCKED', `the lock ${path} was left by process ${held.pid}, which is no longer running, and is being taken over by process ${g.owner.pid} (its guard ${g.path}, since ${shown(g.owner.created)}); nothing was changed: try again when it has finished`, g.path, g.owner);
      }
      const where = state === 'elsewhere' ? elsewhereWords(held, fs) : `process ${held.pid}`;
      throw new LockRefusal('IMPORT_LOCKED', `another import into this trust directory is running (${where}; since ${shown(held.created)}; lock ${path}); nothing was changed: import again when it has finished`, path, held, state === 'elsewhere');
    }
    await fs.sleep(pollMs);
  }
}

/** The random part of an aside name: LockFs.randomToken, 16 bytes as hex. */
const ASIDE_TOKEN = /^[0-9a-f]{32}$/;

/**
 * A file the sweep removed (sweepAsideLeftovers): `aside`, a `<lock>.stale-…` (or `<lock>.removing.stale-…`)
 * file; `guard`, the removal guard `<lock>.removing` itself. `owner` is the dead process its content names.
 */
export interface RemovedLeftover {
  path: string;
  lock: string;
  kind: 'aside' | 'guard';
  owner: LockOwner;
}

/** One line for people (the CLI's `note:`): what was removed and why it was safe. No token: only who and when. */
export function describeRemovedLeftover(r: RemovedLeftover): string {
  const who = `process ${r.owner.pid} on ${shown(r.owner.host)}, taken at ${shown(r.owner.created)}, which is no longer running`;
  if (r.kind === 'guard') return `removed ${r.path}, the removal guard of the lock ${r.lock} left by a removal or take-over that was killed (${who})`;
  // An aside of the guard (`<lock>.removing.stale-…`: a sweep killed mid-removal) or of the lock itself.
  const of = r.path.startsWith(`${r.lock}.removing.`) ? `the removal guard of the lock ${r.lock}` : `the lock ${r.lock}`;
  return `removed ${r.path}, a copy of ${of} set aside by a command killed before it removed it (${who})`;
}

/**
 * Remove the `<lock>.stale-<token>` files beside the lock at `path` whose owner is provably gone, then the
 * removal guard `<lock>.removing` if its owner is provably gone, and return what was removed. Called by
 * acquireImportLock once the lock is ours, so leftovers go at the next acquisition.
 *
 * Such a file is a lock renamed aside (removeIfUnchanged, releaseLock) by a command killed before it removed
 * it — or a LIVE lock a take-over or release displaced and could not put back, whose owner still runs
 * unguarded beside the holder (displacedWords). So each is judged exactly as a lock is: removed only when it
 * holds a lock's content whose owner is a process of this host, boot and PID namespace that is gone
 * (ownerState 'gone'); a live owner's, another host's, container's or boot's, an unreadable one (not a lock
 * this tool wrote: ours are linked into place whole and renamed whole) or any other name is left alone.
 *
 * Races: the bytes at an aside name never change while it exists. It is made only by rename(2) to a name
 * with a fresh random token (never replacing a file that exists), is never written, and goes only by
 * unlink(2) (a remove, or putBack's second step). A file judged gone therefore still holds a dead owner's lock
 * when it is unlinked by name, whatever another command does meanwhile:
 *   - another command's release or take-over that has just renamed a lock aside: that command is alive, so
 *     its own lock is never judged gone; a stale lock it moved aside to compare may go under it, and it then
 *     reads nothing there and looks again ('changed'), as when a person deletes files;
 *   - two sweepers judging the same file: both remove a dead owner's file; the second finds it gone.
 * No sweeper ever takes the place of a lock: the lock's own name is not an aside name.
 *
 * The guard (a remover or taker killed within its few calls) is different: its name is reused — the next
 * remover or taker creates it exclusively — so removing it by name after judging it could remove a new,
 * live guard. removeStaleImportLock therefore never removes one (the same race one level up). The sweep
 * may, because it runs only while this process holds the lock, so no other sweeper runs meanwhile (the one
 * exception is a person deleting a lock by hand, as in removeIfUnchanged), and nothing else removes a
 * guard it does not own: guard-holders remove only their own (by token), refusers never. The guard is
 * removed as removeIfUnchanged removes a stale lock — read by name, renamed aside to a unique name, the
 * moved bytes compared again — so a new guard that appeared meanwhile is put back, never lost; a crash
 * in between leaves `<lock>.removing.stale-…`, which the next sweep removes like any aside file.
 * Best effort: a file that cannot be read, judged or removed stays (it guards nothing); the lock is ours either way.
 */
async function sweepAsideLeftovers(path: string, fs: LockFs): Promise<RemovedLeftover[]> {
  if (!fs.listAside) return [];
  const guardPath = `${path}.removing`;
  const removed: RemovedLeftover[] = [];
  for (const of of [path, guardPath]) {
    const prefix = `${of}.stale-`;
    let names: string[];
    try {
      names = await fs.listAside(of);
    } catch {
      continue;
    }
    for (const aside of names) {
      if (!aside.startsWith(prefix) || !ASIDE_TOKEN.test(aside.slice(prefix.length))) continue;
      try {
        const owner = parseOwner(await fs.read(aside, LOCK_MAX_BYTES));
        if (!owner || (await ownerState(owner, fs)) !== 'gone') continue;
        await fs.remove(aside);
        removed.push({ path: aside, lock: path, kind: 'aside', owner });
      } catch {
        // Not a regular file, unreadable or not removable here: left where it is.
      }
    }
  }
  try {
    const bytes = await fs.read(guardPath, LOCK_MAX_BYTES);
    const owner = parseOwner(bytes);
    if (bytes && owner && (await ownerState(owner, fs)) === 'gone' && (await removeIfUnchanged(guardPath, bytes, fs)) === 'removed') removed.push({ path: guardPath, lock: path, kind: 'guard', owner });
  } catch {
    // Unreadable or not removable here: left for the operator, whose refusal names it (refuseGuard).
  }
  return removed;
}

/**
 * Take over the stale lock at `path` (its bytes were `seen`, their owner judged gone) with ours (`data`).
 *
 * Two takers that judged the same stale lock must not both win: A removes it and links its own, and B —
 * its judgement already made — would remove A's live lock. So the remove-and-link runs holding the same
 * guard as removeStaleImportLock, `${path}.removing` (one remover or taker at a time), and only if the lock
 * still holds exactly the bytes judged stale — read by name first, so another taker's live lock is never
 * moved, then checked again on the file renamed aside, so a person's `rm` plus a new lock in between is
 * never lost (removeIfUnchanged). The link is the exclusive create every acquirer uses, so a plain acquirer
 * that slips in between the remove and the link wins, and this taker looks again.
 *   'taken'   ours is in place;
 *   'changed' the lock changed (or vanished) meanwhile, or the guard was just released: look again;
 *   'busy'    a live process holds the guard: wait as for a live lock.
 * A guard left by a dead process, another host's or an unreadable one is IMPORT_LOCK_STALE naming the guard
 * (the same race one level up: never removed here). A live lock moved aside that could not be put back is
 * IMPORT_LOCKED with `displaced` naming its file.
 */
async function takeOverStaleLock(path: string, seen: Uint8Array, data: Uint8Array, fs: LockFs): Promise<'taken' | 'changed' | { busy: { path: string; owner: LockOwner } }> {
  const guardPath = `${path}.removing`;
  const mine = await selfOwner(fs);
  const token = mine.token;
  if (!(await fs.createExclusive(guardPath, lockBytes(mine)))) {
    const bytes = await fs.read(guardPath, LOCK_MAX_BYTES);
    if (bytes === undefined) return 'changed';
    const guard = parseOwner(bytes);
    if (guard && (await ownerState(guard, fs)) === 'alive') return { busy: { path: guardPath, owner: guard } };
    const refusal = await refuseGuard(guardPath, bytes, fs);
    throw new LockRefusal('IMPORT_LOCK_STALE', `the lock ${path} was left by a process that is no longer running, but it could not be taken over: ${refusal.message}`, guardPath, guard);
  }
  try {
    const removed = await removeIfUnchanged(path, seen, fs);
    if (typeof removed === 'object') {
      const d = removed.displaced;
      throw new LockRefusal('IMPORT_LOCKED', displacedWords(path, d), d.aside, d.now, false, d.aside);
    }
    if (removed !== 'removed') return 'changed';
    return (await fs.createExclusive(path, data)) ? 'taken' : 'changed';
  } finally {
    const held = parseOwner(await fs.read(guardPath, LOCK_MAX_BYTES));
    if (held && held.token === token) await fs.remove(guardPath);
  }
}

/**
 * Run `work` holding the import lock at `path`; the lock is released whatever happens. A release that
 * fails never replaces the outcome of `work` (an install that completed is not reported as failed, and a
 * refusal keeps its own code): it goes to `onReleaseError`, which the caller reports beside the outcome.
 */
export async function withImportLock<T>(
  path: string,
  fs: LockFs,
  work: () => Promise<T>,
  opts: { waitMs?: number; pollMs?: number; onReleaseError?: (message: string) => void; onRemovedLeftovers?: (removed: RemovedLeftover[]) => void } = {},
): Promise<T> {
  const lock = await acquireImportLock(path, fs, opts);
  // Said, never silent (the CLI's `note:` lines): files were removed beside the trust directory.
  if (lock.removedLeftovers) opts.onRemovedLeftovers?.(lock.removedLeftovers);
  try {
    return await work();
  } finally {
    try {
      await lock.release();
    } catch (err) {
      // A live lock of another import moved aside by the release and not put back: its own words name the file.
      if (err instanceof LockRefusal && err.displaced) opts.onReleaseError?.(err.message);
      else {
        const why = err instanceof Error && 'code' in err && typeof err.code === 'string' ? ` (${err.code})` : '';
        opts.onReleaseError?.(`the import lock ${path} could not be removed${why}: delete it once no import is running, or the next import will be refused`);
      }
    }
  }
}

/**
 * How old an unreadable lock must be before it counts as stale. Our own locks are never unreadable (the
 * node side links a complete, fsynced file into place: src/io/lock-file.ts), so an unreadable one is a
 * damaged file or another tool's; ten minutes is far beyond any import's create-then-write window.
 */
export const UNREADABLE_STALE_AFTER_MS = 10 * 60 * 1000;

/** What removeStaleImportLock removed. */
export type RemovedImportLock =
  | { path: string; reason: 'owner-gone'; owner: LockOwner }
  | { path: string; reason: 'unreadable'; modified: string };

/**
 * Remove the import lock at `path` if, and only if, it is provably stale (see the file comment); undefined
 * when there is no lock. Throws IMPORT_LOCK_NOT_STALE otherwise, naming why.
 *
 * One remover at a time: read → compare → unlink runs while holding `${path}.removing` (created
 * exclusively, holding pid/host/token like the lock). Without it two removers could both judge the same
 * stale lock L; A unlinks L, a new import creates its live lock L′ at the same path, and B — its check
 * already done — unlinks L′. Under the guard no other remover can unlink anything, and an importer can
 * only create at `path` once L is gone, i.e. after our unlink; the next remover then reads L′ and refuses.
 *
 * A guard left behind (its remover killed within these few calls) is reported, never removed here — not
 * even when its owner is provably gone: removing it safely would need a guard of its own (the same race
 * one level up). The operator deletes it by hand; the message names it. (The next command to take the lock
 * removes it once its owner is provably gone — sweepAsideLeftovers, run only by the lock's holder — but
 * while the lock is stale nobody takes it.) A live remover's guard, one from
 * another host or an unreadable one are refused the same way (IMPORT_LOCK_NOT_STALE).
 */
export async function removeStaleImportLock(path: string, fs: LockFs, opts: { unreadableAfterMs?: number } = {}): Promise<RemovedImportLock | undefined> {
  const guardPath = `${path}.removing`;
  const mine = await selfOwner(fs);
  const token = mine.token;
  if (!(await fs.createExclusive(guardPath, lockBytes(mine)))) throw await refuseGuard(guardPath, await fs.read(guardPath, LOCK_MAX_BYTES), fs);
  try {
    return await removeUnderGuard(path, fs, opts);
  } finally {
    // Only our own guard (release of the import lock follows the same rule).
    const held = parseOwner(await fs.read(guardPath, LOCK_MAX_BYTES));
    if (held && held.token === token) await fs.remove(guardPath);
  }
}

/** Why the removal guard at `guardPath` (held by someone else) refuses this removal. */
async function refuseGuard(guardPath: string, bytes: Uint8Array | undefined, fs: LockFs): Promise<CeremonyError> {
  const owner = parseOwner(bytes);
  const manual = `if no removal is running, delete ${guardPath} by hand and try again`;
  let why: string;
  if (bytes === undefined) why = 'was there a moment ago (another removal just finished?): try again';
  else if (!owner) why = `cannot be read (a remover killed while taking it?): ${manual}`;
  else if ((await ownerState(owner, fs)) === 'elsewhere') why = `was taken by ${elsewhereWords(owner, fs)}: ${manual}`;
  else if (!(await ownerGone(owner, fs))) why = `belongs to process ${owner.pid}, which is still running (another removal in progress): try again when it has finished`;
  else why = `was left by process ${owner.pid}, which is no longer running (a removal interrupted): ${manual}`;
  return new CeremonyError('IMPORT_LOCK_NOT_STALE', `the import lock was not removed: only one removal runs at a time, and its guard ${guardPath} ${why}`, { path: guardPath });
}

async function removeUnderGuard(path: string, fs: LockFs, opts: { unreadableAfterMs?: number }): Promise<RemovedImportLock | undefined> {
  const bytes = await fs.read(path, LOCK_MAX_BYTES);
  if (bytes === undefined) return undefined;
  const owner = parseOwner(bytes);
  let removed: RemovedImportLock;
  if (owner) {
    const state = await ownerState(owner, fs);
    if (state === 'elsewhere') {
      throw new CeremonyError('IMPORT_LOCK_NOT_STALE', `the import lock ${path} was taken by ${elsewhereWords(owner, fs)}, so the lock was not removed: once no import is running there, delete it by hand`, { path });
    }
    if (state !== 'gone') {
      throw new CeremonyError('IMPORT_LOCK_NOT_STALE', `the import lock ${path} belongs to process ${owner.pid}, which is still running (an import in progress?): it was not removed`, { path });
    }
    removed = { path, reason: 'owner-gone', owner };
  } else {
    const after = opts.unreadableAfterMs ?? UNREADABLE_STALE_AFTER_MS;
    const modified = fs.modifiedAt ? await fs.modifiedAt(path) : undefined;
    if (!modified) throw new CeremonyError('IMPORT_LOCK_NOT_STALE', `the import lock ${path} cannot be read and its age is unknown: it was not removed`, { path });
    const age = fs.now().getTime() - modified.getTime();
    if (age < after) {
      throw new CeremonyError(
        'IMPORT_LOCK_NOT_STALE',
        `the import lock ${path} cannot be read and was written ${Math.max(0, Math.round(age / 1000))} s ago (an import taking it right now?): it is removed only when ${Math.round(after / 60000)} minutes old`,
        { path },
      );
    }
    removed = { path, reason: 'unreadable', modified: modified.toISOString() };
  }
  const outcome = await removeIfUnchanged(path, bytes, fs);
  if (outcome === 'vanished') return undefined;
  if (outcome === 'changed') {
    // Replaced since it was judged (its owner released and a new import took it, or a person deleted it and
    // an import took it): that lock was put back untouched.
    throw new CeremonyError('IMPORT_LOCK_NOT_STALE', `the import lock ${path} changed while it was being checked (a new import took it): it was not removed`, { path });
  }
  // Named by where the live lock now is: the one file the message asks to act on (review-gaps6 L2).
  if (typeof outcome === 'object') throw new CeremonyError('IMPORT_LOCK_NOT_STALE', displacedWords(path, outcome.displaced), { path: outcome.displaced.aside });
  return removed;
}

/** A live lock moved aside that is not back at its name (removeIfUnchanged, releaseLock): where it is and why. */
interface Displaced {
  aside: string;
  /** Who holds the lock's name now (undefined: nobody, or unreadable). */
  now: LockOwner | undefined;
  /** Whose lock was moved aside. */
  moved: LockOwner | undefined;
  /** The put-back failed with this error code (a medium without hard links, the aside file deleted by hand), instead of finding the name taken. */
  failed?: string;
}

/**
 * Put the live lock moved to `aside` back at `path` (LockFs.putBack: link(2), never replacing a file). True
 * when it is back; otherwise where it is now, for a refusal that names it — a put-back that throws (EPERM
 * on a medium without hard links, ENOENT when a person deleted the aside file) is such a refusal too, never
 * a raw errno error that leaves the live lock aside and unnamed (review-gaps6 M2).
 */
async function putBackOrName(aside: string, path: string, moved: Uint8Array, fs: LockFs): Promise<true | Displaced> {
  let failed: string | undefined;
  try {
    if (await fs.putBack(aside, path)) return true;
  } catch (err) {
    failed = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'error';
  }
  const now = await fs.read(path, LOCK_MAX_BYTES).catch(() => undefined);
  // The link went through and only the removal of the aside name failed: the lock is back (the aside file
  // is a second name of it).
  if (failed !== undefined && now !== undefined && sameBytes(now, moved)) return true;
  return { aside, now: parseOwner(now), moved: parseOwner(moved), ...(failed !== undefined ? { failed } : {}) };
}

/**
 * Remove the lock at `path` only if it still holds exactly `judged`, the bytes judged stale. Runs under the
 * removal guard (`${path}.removing`), so no other remover or taker acts on `path` meanwhile — but a plain
 * acquirer does not take the guard, and a person may delete the lock by hand at any moment.
 *
 * First the bytes at `path` are read by name: anything but the judged bytes is another command's lock
 * (most often: another taker that judged the same stale lock took it over before we got the guard) and is
 * left exactly where it is — 'changed', look again. Moving it aside to compare would free the name while
 * it is aside: a plain acquirer could then take it beside its live owner (two holders), or its owner
 * release and the put-back leave an orphan naming a live process (review-gaps6 H1).
 *
 * Only when the bytes still match is the file renamed aside to a unique name in the same folder — atomic:
 * exactly the file at `path` at that instant moves — and the bytes of the moved file, which nobody else can
 * reach any more, compared again. Removing by name after comparing by name (review I1) would lose a live
 * lock if a person's `rm` plus a new import's lock fell between the two; the rename closes that window:
 *   - the judged stale lock → it is removed ('removed'). Between the rename and the caller's next step the
 *     name is free: a plain acquirer may take it, and the caller's exclusive create then loses ('changed');
 *   - another file: a person's `rm` and a new lock fell between our read and our rename (microseconds).
 *     It goes back by link(2), which never replaces a file ('changed'). While it was aside the name was
 *     free, so this is the one case where two holders remain possible — it needs a person deleting a lock
 *     file by hand at that instant, as removing by name did;
 *   - another file, and `path` taken again while it was aside, or the put-back failing: the live lock stays
 *     aside under its unique name and the caller refuses naming it ({ displaced }), so the operator can let
 *     the imports finish and delete it;
 *   - nothing at `path` any more → 'vanished'; the aside file gone between rename and read (a person
 *     deleting files by hand) → 'changed'.
 * A crash between the rename and the remove leaves `<lock>.stale-<random>` holding the judged lock of a
 * dead owner: it guards nothing, and the next command to take the lock removes it (sweepAsideLeftovers).
 */
async function removeIfUnchanged(path: string, judged: Uint8Array, fs: LockFs): Promise<'removed' | 'changed' | 'vanished' | { displaced: Displaced }> {
  const before = await fs.read(path, LOCK_MAX_BYTES);
  if (before === undefined) return 'vanished';
  if (!sameBytes(before, judged)) return 'changed'; // another command's lock: never touched
  const aside = `${path}.stale-${fs.randomToken()}`;
  if (!(await fs.moveAside(path, aside))) return 'vanished';
  const moved = await fs.read(aside, LOCK_MAX_BYTES);
  if (moved === undefined) return 'changed';
  if (sameBytes(moved, judged)) {
    await fs.remove(aside);
    return 'removed';
  }
  const back = await putBackOrName(aside, path, moved, fs);
  return back === true ? 'changed' : { displaced: back };
}

/**
 * Release: remove the lock at `path` if it still holds our token (`mine`); a lock that is not ours is left
 * alone. The same discipline as removeIfUnchanged (review-gaps6 M1): read by name, and only if it is ours
 * rename it aside and check the moved file again before removing it. Races, our lock at `path` being live:
 *   - no remover or taker ever removes it (its owner, this process, is alive: ownerState is never 'gone'),
 *     so between our read and our rename it can only change by a person's `rm` and a new import's lock;
 *   - read not ours (a person deleted ours and another import took the name, or ours is gone) → nothing
 *     touched, exactly as before;
 *   - read ours, and the rename moves ours → removed; nobody else can reach the moved file;
 *   - read ours, but the person's `rm` and a new lock fell between the read and the rename → the moved
 *     file is that import's live lock: put back by link(2) (never replacing a file). If the name was taken
 *     again meanwhile, or the put-back fails, it stays aside and the release throws naming that file
 *     (IMPORT_LOCKED, path: the aside file). Removing by name, as before, deleted that live lock silently.
 */
async function releaseLock(path: string, mine: string, fs: LockFs): Promise<void> {
  const held = parseOwner(await fs.read(path, LOCK_MAX_BYTES));
  if (!held || held.token !== mine) return;
  const aside = `${path}.stale-${fs.randomToken()}`;
  if (!(await fs.moveAside(path, aside))) return;
  const moved = await fs.read(aside, LOCK_MAX_BYTES);
  if (moved === undefined) return;
  if (parseOwner(moved)?.token === mine) {
    await fs.remove(aside);
    return;
  }
  const back = await putBackOrName(aside, path, moved, fs);
  if (back !== true) throw new LockRefusal('IMPORT_LOCKED', displacedWords(path, back, `the lock ${path} was replaced (ours deleted by hand?) just as it was being released`), back.aside, back.now, false, back.aside);
}

/** What a refusal says when a live lock was moved aside and could not be put back (removeIfUnchanged, releaseLock). */
function displacedWords(path: string, d: Displaced, what = `the lock ${path} was replaced while it was being removed`): string {
  const who = (o: LockOwner | undefined) => (o ? `process ${o.pid} on ${shown(o.host)}` : 'a process that cannot be named');
  if (d.failed !== undefined) {
    return `${what}: the new lock (${who(d.moved)}) was moved aside to ${d.aside} and putting it back failed (${shown(d.failed)}), so its command runs unguarded; nothing else was changed here: let it finish, then delete ${d.aside} if it is still there`;
  }
  return `${what}: the new lock (${who(d.moved)}) was moved aside to ${d.aside} and could not be put back, because ${who(d.now)} took ${path} meanwhile. Both may be running now; nothing else was changed here: let both finish, then delete ${d.aside}`;
}

/** One line for people: what removeStaleImportLock removed. */
export function describeRemovedLock(r: RemovedImportLock): string {
  return r.reason === 'owner-gone'
    ? `removed the stale import lock ${r.path} (taken at ${shown(r.owner.created)} by process ${r.owner.pid}, which is no longer running)`
    : `removed the stale import lock ${r.path} (unreadable, last written ${r.modified})`;
}
