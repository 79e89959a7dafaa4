/**
 * The trust directory a client reads (Notary's `tuf/<GUN>/metadata/`, a TUF client's metadata folder),
 * replaced as a whole: a reader sees the old tree or the new one, never a mix.
 *
 * The swap never deletes or moves anything it did not create and cannot prove it created (issue #12
 * point 5: a sibling `<T>.previous` is a natural name for an operator's manual backup). Every name it uses
 * beside the target folder T carries a random nonce, recorded first in a journal:
 *
 *   0. recover:  settle an earlier interrupted swap (below);
 *   1. journal:  create `.T.tuf-ceremony-swap` exclusively (a complete, fsynced temp file linked into place:
 *                it exists whole or not at all) holding the nonce and the identity (device, inode) of T as it
 *                is now (or null: first install); fsync the parent;
 *   2. stage:    mkdir `.T.tuf-ceremony-staging-<nonce>` (mkdir fails on an existing name: it is ours), write
 *                each file (exclusive create, write, fsync), fsync each folder in it;
 *   3. keep:     rename T → `.T.tuf-ceremony-previous-<nonce>` (skipped on a first install);
 *   4. swap:     rename staging → T, fsync the parent;
 *   5. drop:     remove the previous folder — only after checking it is still T's old inode — fsync;
 *   6. done:     remove the journal, fsync.
 * `recoverTrustDir` (before every import, and after a failed one) acts only when the journal exists, and
 * only on the two nonce names it derives from it: the previous folder must carry T's recorded identity
 * (else TRUST_DIR_NAME_TAKEN, nothing touched); without T it is renamed back (step 4 never happened: old
 * tree), with T it is removed (new tree); the staging folder is removed. A journal name taken by something
 * that is not our journal is refused the same way. No other name is ever looked at.
 *
 * The file system comes through `TrustDirFs` (node's by default), so tests inject faults (a full disk, a
 * read-only or forbidden folder) at any single call.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, fsync as fsFsync, mkdir as fsMkdir, open as fsOpen, openSync, writeSync } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CeremonyError } from '../errors.js';
import { isFsFault } from './fs-faults.js';
import { canonicalString } from '../json/canonical.js';
import { parseJsonStrict } from '../json/parse.js';
import { forEachBounded } from './bounded.js';
import { readFileCapped } from './files.js';

/** What lstat says of a name: its kind and identity (device and inode, as decimal strings). */
export interface NodeInfo {
  kind: 'directory' | 'file' | 'other';
  dev: string;
  ino: string;
}

/** Every file-system call the trust directory makes (src/io: the node one below; tests wrap it with faults). */
export interface TrustDirFs {
  /** Undefined when nothing is there (links are not followed). */
  lstat(path: string): Promise<NodeInfo | undefined>;
  /** Make one folder; fails (EEXIST) when the name is taken. */
  mkdir(path: string): Promise<void>;
  /** Make a folder and its parents; an existing folder is fine. */
  mkdirp(path: string): Promise<void>;
  /** Create a new file (never over an existing name, links not followed), write, fsync. */
  writeNew(path: string, bytes: Uint8Array): Promise<void>;
  /** Create `path` whole or not at all (a complete fsynced temp file linked into place); false when it exists. */
  createExclusive(path: string, bytes: Uint8Array): Promise<boolean>;
  /** A regular file's bytes, capped (src/io/files.ts readFileCapped). */
  read(path: string, maxBytes: number): Promise<Uint8Array>;
  readdir(path: string): Promise<{ name: string; kind: 'directory' | 'file' | 'other' }[]>;
  rename(from: string, to: string): Promise<void>;
  /** Remove a folder and everything in it. */
  removeTree(path: string): Promise<void>;
  removeFile(path: string): Promise<void>;
  fsyncDir(path: string): Promise<void>;
}

/** A node:fs callback call as a promise (its error as node gives it: code, syscall, path). */
function call<T>(run: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

function kindOf(st: { isDirectory(): boolean; isFile(): boolean }): NodeInfo['kind'] {
  return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
}

/**
 * The calls behind nodeTrustDirFs's writeNew, fsyncDir and mkdirp (node:fs by default; a test records them
 * to see that every file and folder is fsynced before it is closed, test/unit/io/trust-dir-calls.test.ts).
 */
export interface RawFileCalls {
  /** On libuv's pool: creating a file allocates an inode (see nodeTrustDirFs). */
  open(path: string, flags: number, mode: number, cb: (err: NodeJS.ErrnoException | null, fd?: number) => void): void;
  /** Here: opening an existing folder allocates nothing. */
  openSync(path: string, flags: number): number;
  writeSync(fd: number, bytes: Uint8Array, offset: number, length: number): number;
  /** On libuv's pool: waits for the disk. */
  fsync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  closeSync(fd: number): void;
  /** On libuv's pool (one request for the whole path). */
  mkdirRecursive(path: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

const nodeRawCalls: RawFileCalls = {
  open: (path, flags, mode, cb) => fsOpen(path, flags, mode, cb),
  openSync: (path, flags) => openSync(path, flags),
  writeSync: (fd, bytes, offset, length) => writeSync(fd, bytes, offset, length),
  fsync: (fd, cb) => fsFsync(fd, cb),
  closeSync: (fd) => closeSync(fd),
  mkdirRecursive: (path, cb) => fsMkdir(path, { recursive: true }, (err) => cb(err)),
};

const NEW_FILE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

export function nodeTrustDirFs(raw: RawFileCalls = nodeRawCalls): TrustDirFs {
  return {
    async lstat(path) {
      try {
        const st = await lstat(path, { bigint: true });
        return { kind: kindOf(st), dev: st.dev.toString(), ino: st.ino.toString() };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    mkdir: async (path) => {
      await mkdir(path, { mode: 0o755 });
    },
    // Issue #17: a set of a thousand Notary repositories creates 5,000 files and 2,000 folders, and each call
    // on libuv's pool is a round trip (a request, a thread woken, a completion posted back, a promise). What
    // can wait for the disk or costs the kernel real work stays on the pool, beside the verification on this
    // thread: creating a file or a folder (an inode to allocate: on ext4 without a journal that scans past
    // every recently deleted inode, milliseconds after a large tree was removed) and fsync. Writing a few
    // kilobytes into the page cache, closing, and opening an existing folder run here. The same calls in the
    // same order as before (open O_EXCL, write, fsync, close): two round trips per file instead of four, one
    // per folder fsync instead of three.
    mkdirp: (path) => call<void>((cb) => raw.mkdirRecursive(path, cb)),
    async writeNew(path, bytes) {
      const fd = await call<number>((cb) => raw.open(path, NEW_FILE, 0o644, cb));
      try {
        for (let at = 0; at < bytes.length; ) at += raw.writeSync(fd, bytes, at, bytes.length - at);
        await call<void>((cb) => raw.fsync(fd, cb));
      } finally {
        raw.closeSync(fd);
      }
    },
    async createExclusive(path, bytes) {
      const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
      try {
        const handle = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0), 0o644);
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await link(tmp, path);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    },
    read: (path, maxBytes) => readFileCapped(path, maxBytes),
    async readdir(path) {
      return (await readdir(path, { withFileTypes: true })).map((e) => ({ name: e.name, kind: kindOf(e) }));
    },
    rename: (from, to) => rename(from, to),
    removeTree: (path) => rm(path, { recursive: true, force: true }),
    removeFile: async (path) => {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async fsyncDir(path) {
      const fd = raw.openSync(path, fsConstants.O_RDONLY);
      try {
        await call<void>((cb) => raw.fsync(fd, cb));
      } finally {
        raw.closeSync(fd);
      }
    },
  };
}

export interface SwapOptions {
  /**
   * Called after each file-system step with its name (tests: a throw here simulates the process being
   * killed at that point — nothing is cleaned up, as after a real kill).
   */
  onStep?: (step: string) => void;
  /** The file system (node's by default). */
  fs?: TrustDirFs;
  /** How many files are written (and folders synced) at once while staging (default 1: one after another). */
  concurrency?: number;
  /**
   * The trust directory `target` lies in (resolveTrustDir's): every folder from it down to `target` is
   * checked (refuseLinksBelow) before recovery and before the swap makes or touches anything. Unset: not
   * checked (a caller that checked itself, tests of the swap alone).
   */
  within?: string;
}

/**
 * The trust directory as an import uses it: the operator's path with its links resolved, once
 * (realpath). The trust directory itself may be a link (`~/.docker` often is one, to a larger disk); it is
 * the operator's choice and is followed. Below it nothing is followed (refuseLinksBelow). A path that does
 * not exist yet (a TUF client folder's first install) is its parent's real path joined to its name.
 */
export async function resolveTrustDir(trustDir: string): Promise<string> {
  const missing = (err: unknown): undefined => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // The machine's state (a full disk, a read-only file system, no permission): the caller's fsFault
    // names it (PERMISSION_DENIED, …).
    if (code === undefined || isFsFault(err)) throw err;
    // Anything else that stops a path that is there from resolving (ELOOP: a link loop, or a link to
    // itself; ENOTDIR: a file on the way; ENAMETOOLONG) is the trust directory's fault, not a bug: the
    // refusal it was before b590e77 resolved the path (readTrustDir: "is not a folder"), with the path and
    // the cause, so the CLI and the app record a refusal transcript instead of error[INTERNAL] (review-12b L2).
    throw new CeremonyError('TRUST_DIR_INVALID', `${trustDir} cannot be used as the trust directory: resolving its links failed (${code}${code === 'ELOOP' ? ': a link loop' : ''}). Nothing was read or written. Name a real folder, or fix the link`, { path: trustDir, cause: err });
  };
  const real = await realpath(trustDir).catch(missing);
  if (real !== undefined) return real;
  const parent = await realpath(dirname(trustDir)).catch(missing);
  // Neither exists: nothing there to follow (the callers refuse a trust directory that is not there).
  return parent === undefined ? resolve(trustDir) : join(parent, basename(trustDir));
}

/**
 * TRUST_DIR_INVALID (with the path of the component) unless every component below `base` down to `target`
 * — `target` included — is a folder, or is not there yet (a mkdir makes real folders). Review-12 L1: only
 * the last name used to be lstat'ed, so a link planted at `<trust dir>/tuf/<registry>` sent the install's
 * reads, its mkdir -p, its swap (renames, the removal of the old tree) and its writes outside the trust
 * directory. Each component is lstat'ed (links not followed), the discipline of the rest of this file.
 * Node has no openat(2): a writer of the trust directory racing the import between this check and the
 * swap can still win; the check is made under the import lock, before recovery, before reading and again
 * before the swap, which closes everything but that race.
 */
export async function refuseLinksBelow(base: string, target: string, fs: Pick<TrustDirFs, 'lstat'> = nodeTrustDirFs()): Promise<void> {
  const rel = relative(base, target);
  if (rel === '') return;
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new CeremonyError('INTERNAL', `refuseLinksBelow: ${target} is not below ${base}`);
  let at = base;
  const shown: string[] = [];
  for (const segment of rel.split(sep)) {
    at = join(at, segment);
    shown.push(segment);
    const info = await fs.lstat(at);
    if (!info) return;
    if (info.kind === 'directory') continue;
    const what = info.kind === 'file' ? 'a file' : 'a link (or another kind of file)';
    throw new CeremonyError(
      'TRUST_DIR_INVALID',
      `${shown.join('/')} in the trust directory ${base} is ${what}, not a folder: the import follows no link below the trust directory (it would read and write outside it), so nothing was changed. Put a real folder there (move in what the link points to), then import again`,
      { path: at },
    );
  }
}

const JOURNAL_SUFFIX = '.tuf-ceremony-swap';
const JOURNAL_MAX_BYTES = 4096;
const NONCE = /^[0-9a-f]{32}$/;

/** The names beside `target` that one swap uses (all derived from its nonce, recorded in the journal). */
export function swapNames(target: string, nonce: string): { journal: string; staging: string; previous: string } {
  const parent = dirname(target);
  const base = basename(target);
  return {
    journal: join(parent, `.${base}${JOURNAL_SUFFIX}`),
    staging: join(parent, `.${base}.tuf-ceremony-staging-${nonce}`),
    previous: join(parent, `.${base}.tuf-ceremony-previous-${nonce}`),
  };
}

interface Journal {
  nonce: string;
  /** T's identity when the swap began; null when T did not exist (first install). */
  old: { dev: string; ino: string } | null;
}

function nameTaken(path: string, why: string): CeremonyError {
  return new CeremonyError(
    'TRUST_DIR_NAME_TAKEN',
    `${path} ${why}; the import uses that name for itself and touches nothing it did not create, so nothing was changed. Move it away (it is not the tool's) and import again`,
    { path },
  );
}

function parseJournal(bytes: Uint8Array, path: string): Journal {
  let v: unknown;
  try {
    v = parseJsonStrict(bytes, { maxBytes: JOURNAL_MAX_BYTES, path: '$' });
  } catch {
    throw nameTaken(path, 'is not a swap journal this tool wrote (it cannot be read as one)');
  }
  const o = v as Record<string, unknown>;
  const old = o?.old as Record<string, unknown> | null | undefined;
  const oldOk = old === null || (typeof old === 'object' && old !== undefined && typeof old.dev === 'string' && typeof old.ino === 'string' && /^\d+$/.test(old.dev) && /^\d+$/.test(old.ino));
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof o.nonce !== 'string' || !NONCE.test(o.nonce) || !oldOk) {
    throw nameTaken(path, 'is not a swap journal this tool wrote (its fields are not a journal’s)');
  }
  return { nonce: o.nonce, old: old === null ? null : { dev: old!.dev as string, ino: old!.ino as string } };
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
  const fs = opts.fs ?? nodeTrustDirFs();
  const step = stepper(opts);
  const parent = dirname(target);
  if (opts.within !== undefined) await refuseLinksBelow(opts.within, target, fs);
  const journalPath = swapNames(target, '0'.repeat(32)).journal;
  const journalInfo = await fs.lstat(journalPath);
  if (!journalInfo) return 'none';
  if (journalInfo.kind !== 'file') throw nameTaken(journalPath, 'is not a regular file');
  const journal = parseJournal(await fs.read(journalPath, JOURNAL_MAX_BYTES), journalPath);
  const { staging, previous } = swapNames(target, journal.nonce);
  let outcome: 'none' | 'rolled-back' | 'completed' = 'none';
  const prev = await fs.lstat(previous);
  if (prev) {
    // Ours only if it is the very folder that was T when the journal was written.
    if (prev.kind !== 'directory' || !journal.old || prev.dev !== journal.old.dev || prev.ino !== journal.old.ino) {
      throw nameTaken(previous, 'is not the folder the interrupted import set aside (its identity differs from the one its journal recorded)');
    }
    if (await fs.lstat(target)) {
      await fs.removeTree(previous);
      outcome = 'completed';
      step('recover:drop-previous');
    } else {
      await fs.rename(previous, target);
      outcome = 'rolled-back';
      step('recover:restore-previous');
    }
  }
  const stage = await fs.lstat(staging);
  if (stage) {
    if (stage.kind !== 'directory') throw nameTaken(staging, 'is not a folder');
    await fs.removeTree(staging);
    step('recover:drop-staging');
  }
  await fs.fsyncDir(parent);
  await fs.removeFile(journalPath);
  await fs.fsyncDir(parent);
  step('recover:remove-journal');
  return outcome;
}

/** A swap begun (steps 0–2 done): the names it uses and the state it recorded. */
interface OpenSwap {
  fs: TrustDirFs;
  step: (step: string) => void;
  target: string;
  parent: string;
  journal: string;
  staging: string;
  previous: string;
  old: NodeInfo | undefined;
  /** Set once the journal exists: a real failure from then on is undone by recoverTrustDir. */
  journalWritten: boolean;
  /** Set once the staging folder is renamed to `target`: the new tree is installed from then on, whatever fails. */
  renamed: boolean;
}

/**
 * mkdir -p of the swap's parent folder, the folders it makes and the existing one it makes them in fsynced
 * (deepest first) before the journal: a repository's first import creates `tuf/<host>/<org>/…`, and an
 * import that reported success must not vanish with an unsynced folder entry after a power loss.
 */
async function makeParent(fs: TrustDirFs, parent: string): Promise<void> {
  const made: string[] = [];
  let existing = parent;
  while (!(await fs.lstat(existing))) {
    made.push(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  await fs.mkdirp(parent);
  if (made.length === 0) return;
  for (const dir of [...made, existing]) await fs.fsyncDir(dir);
}

/** `dir` and each folder above it up to (not including) the first one `known` holds: the folders a mkdir -p of `dir` may make. */
function foldersOnTheWay(dir: string, known: (d: string) => boolean): string[] {
  const out: string[] = [];
  for (let d = dir; !known(d); d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) break;
  }
  return out;
}

/** Steps 0–2 up to the empty staging folder; `state` says whether the journal was written when this throws. */
async function openSwap(target: string, opts: SwapOptions, state: { journalWritten: boolean }): Promise<OpenSwap> {
  const fs = opts.fs ?? nodeTrustDirFs();
  const step = stepper(opts);
  const parent = dirname(target);
  // Before the mkdir -p, which would follow a link (recoverTrustDir checks again after it).
  if (opts.within !== undefined) await refuseLinksBelow(opts.within, target, fs);
  await makeParent(fs, parent);
  await recoverTrustDir(target, opts);
  const nonce = randomBytes(16).toString('hex');
  const { journal, staging, previous } = swapNames(target, nonce);
  const old = await fs.lstat(target);
  if (old && old.kind !== 'directory') throw new CeremonyError('TRUST_DIR_INVALID', `${basename(target)} is not a folder`, { path: target });
  const record: Journal = { nonce, old: old ? { dev: old.dev, ino: old.ino } : null };
  if (!(await fs.createExclusive(journal, new TextEncoder().encode(`${canonicalString({ nonce: record.nonce, old: record.old }, 'json')}\n`)))) {
    throw nameTaken(journal, 'appeared while the import ran');
  }
  state.journalWritten = true;
  await fs.fsyncDir(parent);
  step('journal:create');

  try {
    await fs.mkdir(staging);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw nameTaken(staging, 'already exists');
    throw err;
  }
  step('stage:mkdir');
  return { fs, step, target, parent, journal, staging, previous, old, journalWritten: true, renamed: false };
}

/** Steps 3–6, once every staged file and folder is synced. */
async function closeSwap(s: OpenSwap): Promise<void> {
  const { fs, step, target, parent, journal, staging, previous, old } = s;
  if (old) {
    if (await fs.lstat(previous)) throw nameTaken(previous, 'already exists');
    await fs.rename(target, previous);
    step('keep:rename-old');
  }
  await fs.rename(staging, target);
  s.renamed = true;
  step('swap:rename-new');
  await fs.fsyncDir(parent);
  step('swap:fsync-parent');
  if (old) {
    const prev = await fs.lstat(previous);
    if (prev && (prev.kind !== 'directory' || prev.dev !== old.dev || prev.ino !== old.ino)) throw nameTaken(previous, 'is not the folder this import set aside');
    await fs.removeTree(previous);
    step('drop:remove-previous');
    await fs.fsyncDir(parent);
    step('drop:fsync-parent');
  }
  await fs.removeFile(journal);
  await fs.fsyncDir(parent);
  step('journal:remove');
}

/**
 * After a failure: a simulated kill (a throwing onStep) leaves everything as a real kill would; a real
 * failure (disk full, permissions) puts the tree back as it was, as the next run would — only when this
 * run wrote a journal (a refusal before that has nothing of ours to undo). Returns what to throw.
 *
 * Once the staging folder was renamed to `target` (`s.renamed`), the new tree IS installed: recovery then
 * finishes the swap rather than undoing it, so the failure (the parent's fsync, removing the set-aside
 * folder) must not be reported as "nothing was installed". It becomes IMPORT_INSTALLED_CLEANUP_FAILED,
 * naming what is left beside the folder (the next import removes it once the cause is fixed).
 */
async function failedSwap(err: unknown, target: string, fs: TrustDirFs, journalWritten: boolean, s?: OpenSwap): Promise<unknown> {
  if (err instanceof Killed) return err.cause;
  let recovered = false;
  if (journalWritten) {
    recovered = await recoverTrustDir(target, { fs }).then(
      () => true,
      () => false,
    );
  }
  if (!s?.renamed) return err;
  const e = err as NodeJS.ErrnoException;
  const cause = err instanceof CeremonyError ? err.message : typeof e?.code === 'string' ? `${e.code}${typeof e.syscall === 'string' ? ` (${e.syscall})` : ''}` : String(err);
  const left: string[] = [];
  if (!recovered) for (const name of [s.previous, s.journal]) if (await fs.lstat(name).catch(() => undefined)) left.push(name);
  const after = left.length
    ? `Left beside it: ${left.join(', ')} (the folder it replaced and the import's journal); the next import removes them once the cause is fixed`
    : 'Retried, the swap finished and nothing is left beside it, but the file system reported an error: check the disk';
  return new SwapCleanupFailed(`the new trust folder ${target} IS installed (renamed into place), then a step after it failed: ${cause}. ${after}`, left, {
    path: typeof e?.path === 'string' ? e.path : target,
    cause: err,
  });
}

/**
 * IMPORT_INSTALLED_CLEANUP_FAILED as failedSwap makes it, with the names it lists in its message also as a
 * list (`leftBeside`: the set-aside folder first, then the journal), so the app can show the operator each
 * name to deal with without parsing a sentence. Empty: nothing was left (the retry finished the swap).
 */
export class SwapCleanupFailed extends CeremonyError {
  readonly leftBeside: readonly string[];
  constructor(message: string, leftBeside: readonly string[], options: { path: string; cause: unknown }) {
    super('IMPORT_INSTALLED_CLEANUP_FAILED', message, options);
    this.leftBeside = [...leftBeside];
  }
}

/** Replace the folder `target` by one holding exactly `files` (relative `/` paths → bytes), atomically. */
export async function swapTrustDir(target: string, files: ReadonlyMap<string, Uint8Array>, opts: SwapOptions = {}): Promise<void> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (concurrency > 1) {
    const swap = await beginTrustDirSwap(target, opts);
    for (const [name, bytes] of sorted) swap.write(name, bytes);
    return swap.commit();
  }
  const state = { journalWritten: false };
  let opened: OpenSwap | undefined;
  try {
    const s = await openSwap(target, opts, state);
    opened = s;
    const { fs, step, staging } = s;
    const folders = new Set<string>([staging]);
    for (const [name, bytes] of sorted) {
      const full = join(staging, ...name.split('/'));
      const dir = dirname(full);
      if (!folders.has(dir)) {
        await fs.mkdirp(dir);
        // The folders mkdir made on the way too (`targets/` for `targets/releases/team.json`): all fsynced below.
        for (const d of foldersOnTheWay(dir, (k) => folders.has(k))) folders.add(d);
      }
      await fs.writeNew(full, bytes);
      step(`stage:write ${name}`);
    }
    for (const dir of [...folders].sort().reverse()) await fs.fsyncDir(dir);
    step('stage:fsync');
    await closeSwap(s);
  } catch (err) {
    throw await failedSwap(err, target, opts.fs ?? nodeTrustDirFs(), state.journalWritten, opened);
  }
}

/**
 * A swap whose files are written while the caller is still producing them (a set of repositories:
 * src/trust-store/install-set.ts writes each repository's files as soon as it is verified, so the disk
 * works while the next one is verified). The same steps and guarantees as swapTrustDir: every file is
 * created new in the staging folder and fsynced, and every folder of the staging tree — the folders
 * mkdir makes on the way to a file's folder included (`org/app-0001` gains the entry `metadata`) — is
 * fsynced, before the one rename in commit().
 */
export interface StagedTrustDirSwap {
  /**
   * Queue one file (relative `/` path) for the staging folder; at most `concurrency` are written at once,
   * each with the mkdir of its folder (many fsyncs in flight share a journal commit). Never throws: a
   * failure is kept for commit().
   */
  write(name: string, bytes: Uint8Array): void;
  /** Whether a write has failed (commit() will throw it): the caller may stop producing files. */
  readonly failed: boolean;
  /** Wait for every write, fsync every folder, then steps 3–6. Throws the first failure (the tree put back). */
  commit(): Promise<void>;
  /** Give up (the caller refused the input): wait for the writes in flight, then remove staging and journal. */
  abort(): Promise<void>;
}

/** Steps 0–2 of a swap of `target` (see the file comment), returning the staging folder to fill. */
export async function beginTrustDirSwap(target: string, opts: SwapOptions = {}): Promise<StagedTrustDirSwap> {
  const state = { journalWritten: false };
  let s: OpenSwap;
  try {
    s = await openSwap(target, opts, state);
  } catch (err) {
    throw await failedSwap(err, target, opts.fs ?? nodeTrustDirFs(), state.journalWritten);
  }
  return new StagedWrites(s, Math.max(1, Math.floor(opts.concurrency ?? 1)));
}

class StagedWrites implements StagedTrustDirSwap {
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private failure: { err: unknown } | undefined;
  private finished = false;
  private aborted = false;
  private drained: (() => void)[] = [];
  /**
   * Every folder of the staging tree (the folders mkdir makes on the way included: `org/app-0001` gains
   * the entry `metadata`), each with the one mkdir that made it; every one is fsynced in commit().
   */
  private readonly folders = new Map<string, Promise<void>>();

  constructor(
    private readonly s: OpenSwap,
    private readonly concurrency: number,
  ) {
    this.folders.set(s.staging, Promise.resolve());
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * The mkdir of a folder of the staging tree, started once: with it every folder between it and the
   * nearest known one is registered (made by the same mkdir, so fsynced in commit() too).
   */
  private folder(dir: string): Promise<void> {
    const known = this.folders.get(dir);
    if (known) return known;
    const made = this.s.fs.mkdirp(dir);
    // Awaited by every write into these folders (a failure surfaces there); never left unhandled.
    made.catch(() => undefined);
    for (const d of foldersOnTheWay(dir, (k) => this.folders.has(k))) this.folders.set(d, made);
    return made;
  }

  write(name: string, bytes: Uint8Array): void {
    if (this.finished) throw new Error('write after commit or abort');
    if (this.failure) return;
    const full = join(this.s.staging, ...name.split('/'));
    const dir = dirname(full);
    this.enqueue(async () => {
      // The folder's mkdir starts in the write's slot (review-setimp L3: started at write(), a thousand
      // repositories' mkdirs ran at once on libuv's pool, beside the `concurrency` writes).
      await this.folder(dir);
      // A write still waiting for its folder when another failed, or the caller gave up, never starts
      // (review-setimp L4): abort()'s and commit()'s rollback runs once the calls in flight are done.
      if (this.failure || this.aborted) return;
      await this.s.fs.writeNew(full, bytes);
      this.s.step(`stage:write ${name}`);
    });
  }

  /** Run `job` when a slot is free (a failure is kept for commit()). */
  private enqueue(job: () => Promise<void>): void {
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.failure && this.running < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void job().then(
        () => this.settle(),
        (err: unknown) => {
          this.failure ??= { err };
          this.queue.length = 0;
          this.settle();
        },
      );
    }
  }

  private settle(): void {
    this.running--;
    this.pump();
    if (this.running === 0 && this.queue.length === 0) for (const done of this.drained.splice(0)) done();
  }

  /** Every write done (or dropped), and every mkdir started for them (a folder made after the staging folder was removed would be left behind). */
  private async drain(): Promise<void> {
    if (this.running !== 0 || this.queue.length !== 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    await Promise.allSettled(this.folders.values());
  }

  async commit(): Promise<void> {
    this.finished = true;
    await this.drain();
    try {
      if (this.failure) throw this.failure.err;
      // Every folder of the staging tree, deepest first, after every file: by then the file system has
      // committed the folders' new entries with the files' fsyncs, so these cost little. A failure starts no
      // further fsync and is thrown only once those in flight are done, so the rollback below (failedSwap:
      // the staging folder removed) never runs under them (review-setimp L4).
      const dirs = [...this.folders.keys()].sort().reverse();
      await forEachBounded(dirs, this.concurrency, (d) => this.s.fs.fsyncDir(d));
      this.s.step('stage:fsync');
      await closeSwap(this.s);
    } catch (err) {
      throw await failedSwap(err, this.s.target, this.s.fs, true, this.s);
    }
  }

  async abort(): Promise<void> {
    this.finished = true;
    this.aborted = true;
    this.queue.length = 0;
    await this.drain();
    // After a simulated kill nothing is cleaned up (as after a real one); else the tree as it was.
    if (this.failure?.err instanceof Killed) return;
    await recoverTrustDir(this.s.target, { fs: this.s.fs }).catch(() => undefined);
  }
}

/**
 * Read every file under an installed trust folder (links refused, each read capped). Undefined when the
 * folder does not exist (nothing installed yet).
 */
export async function readTrustDir(target: string, capFor: (name: string) => number, maxFiles: number, fs: TrustDirFs = nodeTrustDirFs()): Promise<Map<string, Uint8Array> | undefined> {
  const info = await fs.lstat(target);
  if (!info) return undefined;
  if (info.kind !== 'directory') throw new CeremonyError('TRUST_DIR_INVALID', `${basename(target)} is not a folder`, { path: target });
  const out = new Map<string, Uint8Array>();
  const walk = async (sub: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 8) throw new CeremonyError('TRUST_DIR_INVALID', 'the installed trust folder nests too deep', { path: sub });
    for (const entry of await fs.readdir(sub)) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = join(sub, entry.name);
      if (entry.kind === 'directory') await walk(full, rel, depth + 1);
      else if (entry.kind === 'file') out.set(rel, await fs.read(full, capFor(rel)));
      else throw new CeremonyError('TRUST_DIR_INVALID', `${rel} in the installed trust folder is not a regular file`, { path: full });
      if (out.size > maxFiles) throw new CeremonyError('TRUST_DIR_INVALID', `the installed trust folder holds more than ${maxFiles} files`, { path: target });
    }
  };
  await walk(target, '', 0);
  return out;
}
