/**
 * The file-system boundary (STYLE.md: the only place that touches node:fs). Reads are capped before the
 * bytes are read; writes are atomic and never overwrite.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, fsync, linkSync, lstatSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { writeFault } from './fs-faults.js';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import { capForName, classifyRepositoryFiles, type NamedBytes } from '../tuf/repository-files.js';
import { readRepositoryTreeIfAny } from './repository-tree.js';
import { isTreeOnlyName } from '../repository-tree/read.js';
import { foldTufLayoutCopies, TUF_LAYOUT_NAMES_PER_ROLE, type UnrecordedCopies } from '../trust-store/file-names.js';

function notFound(path: string, cause?: unknown): CeremonyError {
  return new CeremonyError('FILE_NOT_FOUND', `${basename(path)} does not exist or cannot be read`, { path, cause });
}

function kindName(st: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isDirectory(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/** Why `path` could not be opened or looked at: permission (PERMISSION_DENIED), else FILE_NOT_FOUND. */
function openFailure(path: string, err: unknown): CeremonyError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return new CeremonyError('PERMISSION_DENIED', `${basename(path)} may not be read by this user (${code})`, { path, cause: err });
  return notFound(path, err);
}

type StatLike = { dev: number; ino: number; size: number; isFile(): boolean; isSymbolicLink(): boolean } & Parameters<typeof kindName>[0];

const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

/** What lstat saw must be a regular file, not a link: refused before any open. */
function checkSeen(path: string, seen: StatLike): void {
  if (seen.isSymbolicLink()) throw new CeremonyError('FILE_NOT_FOUND', `${basename(path)} is a link; links are not followed`, { path });
  if (!seen.isFile()) throw new CeremonyError(seen.isDirectory() ? 'FILE_NOT_FOUND' : 'NOT_A_REGULAR_FILE', `${basename(path)} is ${kindName(seen)}, not a regular file: refused without reading it`, { path });
}

/**
 * What was opened must be a regular file, and the very one lstat saw (same device and inode) — when one
 * did: a file a directory listing showed as a regular file is opened without (readListedFile).
 */
function checkOpened(path: string, seen: StatLike | undefined, info: StatLike): void {
  // Unlisted by lstat: refused as lstat's answer would have been (same codes and messages), from fstat's.
  if (!seen) return checkSeen(path, info);
  if (!info.isFile()) throw new CeremonyError('NOT_A_REGULAR_FILE', `${basename(path)} is ${kindName(info)}, not a regular file: refused without reading it`, { path });
  if (seen && (info.dev !== seen.dev || info.ino !== seen.ino)) throw new CeremonyError('FILE_NOT_FOUND', `${basename(path)} was replaced while it was being opened`, { path });
}

/**
 * Open `path` for reading as a regular file (links are not followed); FILE_NOT_FOUND otherwise. A FIFO, a
 * device or a socket is refused (NOT_A_REGULAR_FILE) from lstat, before any open — opening a FIFO for
 * reading blocks until a writer comes, and opening a device can act on it (issue #12 point 8); the open
 * itself is non-blocking, and the file opened must be the one lstat saw (same device and inode).
 */
async function openRegularFile(path: string, seenAlready?: StatLike): Promise<{ handle: FileHandle; size: number }> {
  let seen = seenAlready;
  if (!seen) {
    try {
      seen = await lstat(path);
    } catch (err) {
      throw openFailure(path, err);
    }
    checkSeen(path, seen);
  }
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw openFailure(path, err);
  }
  try {
    const info = await handle.stat();
    checkOpened(path, seen, info);
    return { handle, size: info.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Files up to this size are read with synchronous calls: a repository's thousand small `N.root.json` cost
 * ten times the CPU through the promise API's six thread-pool round trips per file (~0.35 ms against
 * ~0.04 ms each, measured), and reading a 1 MiB file from a slow stick still blocks for well under a
 * second. Larger files (a targets file, a bundle) are read asynchronously.
 */
const SYNC_READ_MAX = 1 << 20;

function tooLarge(path: string, size: number, maxBytes: number): CeremonyError {
  return new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is ${size} bytes, over the cap of ${maxBytes}`, { path });
}

function grewOverCap(path: string, maxBytes: number): CeremonyError {
  return new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is over the cap of ${maxBytes} bytes`, { path });
}

/**
 * The bytes read must be the size fstat gave: fewer (cut while read) or more (grown, or a file such as
 * /proc's that reports size 0) would be taken for the whole file, since the buffer holds only size + 1.
 */
function checkReadAll(path: string, total: number, size: number): void {
  if (total !== size) throw new CeremonyError('FILE_CHANGED', `${basename(path)} gave ${total} bytes when read but its size was ${size}: it changed while being read (or is not an ordinary file); nothing of it was used`, { path });
}

/**
 * readFileCapped of a small file, with the same checks in the same order, synchronously. Without `seen`
 * (readListedFile) a file over SYNC_READ_MAX is not read: undefined, for the caller to read it as a large one.
 */
function readSmallFile(path: string, seen: StatLike, maxBytes: number): Uint8Array;
function readSmallFile(path: string, seen: undefined, maxBytes: number): Uint8Array | undefined;
function readSmallFile(path: string, seen: StatLike | undefined, maxBytes: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    // A link put in the listed file's place: O_NOFOLLOW refuses it (ELOOP), with lstat's message.
    if (!seen && (err as NodeJS.ErrnoException | undefined)?.code === 'ELOOP') throw new CeremonyError('FILE_NOT_FOUND', `${basename(path)} is a link; links are not followed`, { path, cause: err });
    throw openFailure(path, err);
  }
  try {
    const info = fstatSync(fd);
    checkOpened(path, seen, info);
    if (!seen && info.size > SYNC_READ_MAX) return undefined;
    if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes);
    const buf = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw grewOverCap(path, maxBytes);
    }
    checkReadAll(path, total, info.size);
    return buf.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read a regular file, refusing it before reading when it is larger than `maxBytes`, and again if it
 * grew while being read (the size is re-checked on the bytes actually read: over the cap INPUT_TOO_LARGE,
 * else any other count than the size fstat gave FILE_CHANGED).
 */
export async function readFileCapped(path: string, maxBytes: number): Promise<Uint8Array> {
  let seen: StatLike;
  try {
    seen = lstatSync(path);
  } catch (err) {
    throw openFailure(path, err);
  }
  checkSeen(path, seen);
  if (seen.size <= SYNC_READ_MAX) return readSmallFile(path, seen, maxBytes);
  const { handle, size } = await openRegularFile(path, seen);
  try {
    if (size > maxBytes) throw tooLarge(path, size, maxBytes);
    const buf = new Uint8Array(Math.min(size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw grewOverCap(path, maxBytes);
    }
    checkReadAll(path, total, size);
    return buf.subarray(0, total);
  } finally {
    await handle.close();
  }
}

/**
 * readFileCapped of a file listFiles has just listed — readdir's entry type said a regular file, not a
 * link — with the same checks but the lstat before the open (issue #18: a metadata folder's thousand
 * `N.root.json` paid 30 % of their read time for it). What lstat guards holds without it: the open does
 * not follow a link (O_NOFOLLOW) nor block on a FIFO (O_NONBLOCK), and what was opened must be a regular
 * file (fstat) — a file replaced by something else between listing and open is refused as it is after an
 * lstat, the window being the same. Large files are read as readFileCapped reads them.
 */
export async function readListedFile(path: string, maxBytes: number): Promise<Uint8Array> {
  return readSmallFile(path, undefined, maxBytes) ?? readFileCapped(path, maxBytes);
}

export type FileHead = { kind: 'directory' } | { kind: 'file'; size: number; head: Uint8Array };

/**
 * What `path` is, without reading more than `n` bytes: a directory, or a regular file with its size and
 * first bytes — for commands that choose how much they may read from what a file says it is (`inspect
 * FILE`: a bundle may be as large as the bundle format allows, any other file only as large as a targets
 * file). The cap is applied afterwards by readFileCapped, to the whole file.
 */
export async function readFileHead(path: string, n: number): Promise<FileHead> {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`readFileHead: n must be a non-negative integer, got ${n}`);
  if (await isDirectory(path)) return { kind: 'directory' };
  const { handle, size } = await openRegularFile(path);
  try {
    const buf = new Uint8Array(Math.min(n, size));
    let total = 0;
    while (total < buf.length) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return { kind: 'file', size, head: buf.subarray(0, total) };
  } finally {
    await handle.close();
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    throw notFound(path, err);
  }
}

/**
 * The import record `tuf-ceremony import` keeps beside the metadata it installs (src/trust-store/install.ts
 * IMPORTS_LOG). It is the one file of an installed trust folder that is not metadata: reading that folder
 * (`verify`, `inspect`, `import` from it) passes it over without reading it, so checking what was installed
 * needs no copy. No client reads it; it verifies nothing and is trusted by nothing.
 */
export const IMPORT_RECORD_FILE = 'imports.log';

/**
 * List regular files under `dir`, relative, refusing links and anything that is not a file or folder
 * (the top-level import record is passed over, see IMPORT_RECORD_FILE).
 */
export async function listFiles(dir: string, caps: SizeCaps, maxFiles = caps.files): Promise<string[]> {
  const out: string[] = [];
  // `prefix` is `sub` relative to `dir`, '/'-separated (what path.relative gave, without its cost per file).
  const walk = async (sub: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 8) throw new CeremonyError('UNEXPECTED_FILE', 'metadata directory nests too deep', { path: sub });
    for (const entry of await readdir(sub, { withFileTypes: true })) {
      const full = join(sub, entry.name);
      const rel = prefix + entry.name;
      if (entry.isDirectory()) await walk(full, `${rel}/`, depth + 1);
      else if (entry.isFile() && depth === 0 && rel === IMPORT_RECORD_FILE) continue;
      else if (entry.isFile()) out.push(rel);
      else throw new CeremonyError('UNEXPECTED_FILE', `${rel} is not a regular file (links are not followed)`, { path: rel });
      if (out.length > maxFiles) throw new CeremonyError('INPUT_TOO_LARGE', `more than ${maxFiles} files`, { path: dir });
    }
  };
  await walk(dir, '', 0);
  return out.sort();
}

/**
 * Read a directory of TUF or Notary metadata: `root.json`, `N.root.json`, `timestamp.json`,
 * `snapshot.json`, `targets.json`, and delegated roles (`<role>.json`; Notary's `targets/<name>.json`
 * sit in a subfolder). Anything else is refused, so nothing unverified rides along.
 */
export async function readRepositoryDir(dir: string, caps: SizeCaps = DEFAULT_CAPS, opts: { unrecordedCopies?: UnrecordedCopies } = {}): Promise<RepositoryFiles> {
  if (!(await isDirectory(dir))) throw new CeremonyError('USAGE', `${basename(dir)} is not a directory`, { path: dir });
  // caps.files counts metadata files as roles (and root versions), not names: an installed tuf-layout
  // folder holds a delegated role under up to TUF_LAYOUT_NAMES_PER_ROLE names (file-names.ts), and which
  // file is whose is known only once the snapshot is read. So the listing and the reads are bounded per
  // name at that multiple, and the roles after folding (foldTufLayoutCopies) at caps.files.
  const maxNames = TUF_LAYOUT_NAMES_PER_ROLE * caps.files;
  const names = await listFiles(dir, caps, maxNames);
  // A hostable TUF tree (src/repository-tree): versioned role files and target files under targets/ — one
  // name each, so bounded as before.
  if (names.length > caps.files && names.some(isTreeOnlyName)) throw new CeremonyError('INPUT_TOO_LARGE', `more than ${caps.files} files`, { path: dir });
  const tree = await readRepositoryTreeIfAny(dir, names, caps);
  if (tree) return tree;
  const entries: NamedBytes[] = [];
  for (const rel of names) {
    // Classify before reading, so a stray file is refused without reading it, and each read is capped.
    entries.push({ name: rel, bytes: await readListedFile(join(dir, rel), capForName(rel, caps)) });
  }
  const files = foldTufLayoutCopies(classifyRepositoryFiles(entries, { ...caps, files: maxNames }), caps, opts.unrecordedCopies);
  const count = metadataCount(files);
  if (count > caps.files) throw new CeremonyError('INPUT_TOO_LARGE', `${count} metadata files (each role once, whatever its names) exceed the cap of ${caps.files}`, { path: dir });
  return files;
}

/** Files of a repository, a role's copies counted once. */
function metadataCount(files: RepositoryFiles): number {
  const top = [files.root, files.timestamp, files.snapshot, files.targets, files.attestations].filter((b) => b !== undefined).length;
  return top + files.versionedRoots.size + files.delegated.size;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Observes each folder a write fsync'd, in order (tests: which names a power loss can no longer lose). */
export type SyncedFolder = (folder: string) => void;

/**
 * Make the folders mkdir just created durable: `first` is what a recursive mkdir returned (the topmost
 * folder it made, undefined when `dir` existed). A new folder's name lives in its parent, and only an
 * fsync of that parent makes it survive a power loss (POSIX fsync(2): syncing a file does not sync the
 * entry naming it) — so each parent, from the topmost new level down to `dir`'s, is fsync'd. Without it a
 * transcript entry could record files in a folder that a power loss takes away with them.
 */
async function syncCreatedFolders(dir: string, first: string | undefined, synced?: SyncedFolder): Promise<void> {
  if (first === undefined) return;
  const levels: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    levels.unshift(p);
    if (p === first || dirname(p) === p) break;
  }
  for (const level of levels) {
    await fsyncDir(dirname(level));
    synced?.(dirname(level));
  }
}

/**
 * Write atomically and never overwrite: write a temp file in the same folder, fsync it, then link it to
 * the final name (link fails with EEXIST instead of replacing, unlike rename), and fsync the folder.
 * `overwrite: true` is for replacing a file we own (trust-store state), via rename.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, opts: { overwrite?: boolean; mode?: number; synced?: SyncedFolder } = {}): Promise<void> {
  try {
    await writeFileAtomicUnmapped(path, data, opts);
  } catch (err) {
    // A full disk, a read-only medium, a folder this user may not write: named, not INTERNAL (issue #12).
    throw writeFault(err, path);
  }
}

async function writeFileAtomicUnmapped(path: string, data: Uint8Array, opts: { overwrite?: boolean; mode?: number; synced?: SyncedFolder }): Promise<void> {
  const dir = dirname(path);
  await syncCreatedFolders(dir, await mkdir(dir, { recursive: true }), opts.synced);
  if (!opts.overwrite) {
    try {
      await lstat(path);
      throw new CeremonyError('OUTPUT_EXISTS', `${basename(path)} already exists; refusing to overwrite it`, { path });
    } catch (err) {
      if (err instanceof CeremonyError) throw err;
    }
  }
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, opts.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    if (opts.overwrite) await rename(tmp, path);
    else {
      try {
        await link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new CeremonyError('OUTPUT_EXISTS', `${basename(path)} already exists; refusing to overwrite it`, { path });
        }
        throw err;
      }
      await unlink(tmp);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dir);
  opts.synced?.(dir);
}

/**
 * Write several new files into one folder with writeFileAtomic's guarantees for each — never over an
 * existing file (OUTPUT_EXISTS, checked before anything is written and again by the link), every file's
 * bytes fsync'd before its name appears, the folder fsync'd after the names appeared — but the fsyncs of
 * the files run together and the folder's once per rank (issue #17: a multi-repository ceremony writes four
 * small files per repository, and one writeFileAtomic after another cost a dozen thread-pool round trips
 * and two fsyncs per file). The small calls (mkdir, open, write, close, link, unlink) are synchronous, as reads of
 * small files are (readFileCapped): they do not wait on the medium; the fsyncs, which do, stay asynchronous.
 * On a failure no temporary file remains; files already linked stay, as with writeFileAtomic one by one.
 *
 * Folders it creates are made durable in their parents (syncCreatedFolders). `rank` orders the names: a
 * file of a higher rank appears only after every file of a lower rank is durable (the folder is fsync'd
 * between ranks), so whatever a power loss leaves is a prefix by rank — a file that refers to another
 * (a snapshot to its targets) never survives without it. Within a rank, any subset can survive.
 */
export async function writeNewFilesAtomic(
  dir: string,
  files: readonly NamedBytes[],
  opts: { mode?: number; afterLink?: (name: string) => void | Promise<void>; rank?: (name: string) => number; synced?: SyncedFolder } = {},
): Promise<void> {
  const { afterLink, ...rest } = opts;
  await writeNewFilesInFolders([{ dir, files }], { ...rest, ...(afterLink ? { afterLink: (_dir: string, name: string) => afterLink(name) } : {}) });
}

/** One folder's part of writeNewFilesInFolders. */
export interface FolderFiles {
  dir: string;
  files: readonly NamedBytes[];
}

/**
 * writeNewFilesAtomic for several folders at once — a group commit (issue #17: a multi-repository ceremony
 * writes a group of repositories, one folder each, in one pass): every guarantee writeNewFilesAtomic gives
 * holds in each folder, with the durable steps shared by the whole group. In order:
 *
 *   1. every folder made (mkdir) and made durable in its parent — a new one's levels, and the parent of
 *      one already there, which a killed run may have made without that fsync (review-12b L4) — each
 *      parent fsync'd once for the group (a thousand repository folders share one `metadata/`);
 *   2. every name checked absent in every folder (OUTPUT_EXISTS before a byte is written anywhere);
 *   3. every file written to a temporary name beside its final one (`.<name>.<random>.tmp`, O_EXCL), then
 *      all of them fsync'd together — through libuv's pool, so the medium sees them at once;
 *   4. rank by rank (`rank`, as in writeNewFilesAtomic): the rank's names linked in every folder, then
 *      every folder that got one fsync'd, together, before the next rank is linked anywhere (after the
 *      last rank, that fsync is step 5's);
 *   5. the temporary names removed (on a failure too), then every folder fsync'd once more: the last
 *      rank's names and the removals made durable.
 *
 * What a crash (or power loss) at any point leaves, folder by folder: before 4, no new name at all (only
 * temporary files, which resume removes: leftover-temps.ts); during 4, a prefix by rank of the folder's
 * names — a name is linked only once its bytes are durable (3), and a higher rank only once the lower
 * ranks' names are durable (the fsync ending each pass) — each file complete, as writeNewFilesAtomic one
 * folder after another would leave, except that several folders of the group may each hold a prefix. A
 * name never replaces a file (link fails with EEXIST, unlike rename), so nothing is silently overwritten.
 * When it resolves, every name in every folder, and every folder's name in its parent, is durable (only the
 * folder's own entry for a folder found already there: levels above it that a killed run made are not
 * re-synced).
 *
 * `afterLink` runs after each name appears (a caller's fault point: crash tests stop between two names);
 * `synced` observes each folder fsync'd, in order.
 */
export async function writeNewFilesInFolders(
  folders: readonly FolderFiles[],
  opts: { mode?: number; afterLink?: (dir: string, name: string) => void | Promise<void>; rank?: (name: string) => number; synced?: SyncedFolder } = {},
): Promise<void> {
  for (const { files } of folders) {
    for (const f of files) {
      if (!f.name || f.name === '.' || f.name === '..' || /[/\\]/.test(f.name)) throw new CeremonyError('INTERNAL', `writeNewFilesAtomic: "${f.name}" is not a plain file name`);
    }
  }
  let at = folders[0]?.dir ?? '';
  const rankOf = (name: string): number => opts.rank?.(name) ?? 0;
  const syncDirs = async (dirs: readonly string[]): Promise<void> => {
    const fds: number[] = [];
    try {
      for (const d of dirs) {
        at = d;
        fds.push(openSync(d, fsConstants.O_RDONLY));
      }
      // An fsync's error carries no path: the folder whose fsync failed is named (review-12b L5), not the
      // pass's first one. The first to fail is the one Promise.all reports.
      await Promise.all(
        fds.map((fd, i) =>
          fsyncFd(fd).catch((err: unknown) => {
            at = dirs[i]!;
            throw err;
          }),
        ),
      );
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    for (const d of dirs) opts.synced?.(d);
  };
  try {
    // 1. The folders, and the parents of the levels made, each fsync'd once, top down (syncCreatedFolders).
    // A folder that already exists gets its parent fsync'd too (review-12b L4): a run killed between its
    // mkdir and that fsync left it, and a resume that wrote into it and recorded its files without the
    // fsync could lose the whole folder to a later power cut. Once per parent for the group: cheap.
    const parents: string[] = [];
    for (const { dir } of folders) {
      at = dir;
      const first = mkdirSync(dir, { recursive: true });
      if (first === undefined) {
        if (!parents.includes(dirname(dir)) && dirname(dir) !== dir) parents.push(dirname(dir));
        continue;
      }
      const levels: string[] = [];
      for (let p = dir; ; p = dirname(p)) {
        levels.unshift(p);
        if (p === first || dirname(p) === p) break;
      }
      for (const level of levels) if (!parents.includes(dirname(level))) parents.push(dirname(level));
    }
    for (const parent of parents) await syncDirs([parent]);
    // 2. Nothing is written while any name is taken.
    for (const { dir, files } of folders) {
      for (const f of files) {
        at = join(dir, f.name);
        let exists = true;
        try {
          lstatSync(at);
        } catch {
          exists = false;
        }
        if (exists) throw new CeremonyError('OUTPUT_EXISTS', `${f.name} already exists; refusing to overwrite it`, { path: at });
      }
    }
    const temps: { fd: number; tmp: string; path: string; name: string; dir: string; i: number; rank: number }[] = [];
    try {
      // 3. Temporary files, written, then fsync'd together.
      for (const { dir, files } of folders) {
        for (const f of files) {
          const tmp = join(dir, `.${f.name}.${randomBytes(6).toString('hex')}.tmp`);
          at = tmp;
          const t = { fd: openSync(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, opts.mode ?? 0o644), tmp, path: join(dir, f.name), name: f.name, dir, i: temps.length, rank: rankOf(f.name) };
          temps.push(t);
          for (let done = 0; done < f.bytes.length; ) done += writeSync(t.fd, f.bytes, done, f.bytes.length - done);
        }
      }
      await Promise.all(
        temps.map((t) =>
          fsyncFd(t.fd).catch((err: unknown) => {
            // As syncDirs: the file whose fsync failed is named, not the last one opened.
            at = t.tmp;
            throw err;
          }),
        ),
      );
      for (const t of temps) {
        const fd = t.fd;
        t.fd = -1;
        closeSync(fd);
      }
      // 4. Rank by rank across the folders; stable: the folders' order, then the caller's within a folder.
      const ranks = [...new Set(temps.map((t) => t.rank))].sort((x, y) => x - y);
      for (const [k, r] of ranks.entries()) {
        const pass = temps.filter((t) => t.rank === r);
        for (const t of pass) {
          at = t.path;
          try {
            linkSync(t.tmp, t.path);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CeremonyError('OUTPUT_EXISTS', `${t.name} already exists; refusing to overwrite it`, { path: t.path });
            throw err;
          }
          // A caller's fault point (crash tests: a kill between two names appearing).
          if (opts.afterLink) await opts.afterLink(t.dir, t.name);
        }
        // The last rank's fsync is the final one, below.
        if (k < ranks.length - 1) await syncDirs([...new Set(pass.map((t) => t.dir))]);
      }
      // 5. The temporary names removed, then every folder fsync'd once more: its last names and the
      // removals made durable (a folder given no file too, as writeNewFilesAtomic always did).
      removeTemps(temps);
      await syncDirs([...new Set(folders.map((f) => f.dir))]);
    } finally {
      // On a failure too, no temporary name survives the call.
      removeTemps(temps);
    }
  } catch (err) {
    // A full disk, a read-only medium, a folder this user may not write: named, not INTERNAL (issue #12).
    throw writeFault(err, at);
  }
}

/** Close what is still open and remove each temporary name (once: a removed one is forgotten). */
function removeTemps(temps: { fd: number; tmp: string }[]): void {
  for (const t of temps) {
    if (t.fd >= 0) {
      try {
        closeSync(t.fd);
      } catch {
        // already failing; the temp file is removed below
      }
      t.fd = -1;
    }
    if (!t.tmp) continue;
    try {
      unlinkSync(t.tmp);
    } catch {
      // never created, or already gone
    }
    t.tmp = '';
  }
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** What `inspect` reads: a directory's metadata files, or one file of any name. */
export async function readNamedInput(path: string, caps: SizeCaps = DEFAULT_CAPS): Promise<{ files: NamedBytes[]; directory: boolean; source: string }> {
  if (await isDirectory(path)) {
    const files: NamedBytes[] = [];
    for (const rel of await listFiles(path, caps)) files.push({ name: rel, bytes: await readFileCapped(join(path, rel), capForName(rel, caps)) });
    return { files, directory: true, source: basename(path) };
  }
  return { files: [{ name: basename(path), bytes: await readFileCapped(path, caps.targets) }], directory: false, source: basename(path) };
}

/**
 * Make a folder only this user may open (0700), for secret outputs (share cards): the folder's mode keeps
 * other accounts out even before each file's own 0600 applies. An existing folder is narrowed to 0700.
 * A new folder is made durable in its parent (syncCreatedFolders): otherwise a power loss could keep the
 * state that records the cards and lose the folder holding them (review L6).
 */
export async function ensurePrivateDir(path: string, opts: { synced?: SyncedFolder } = {}): Promise<void> {
  try {
    const first = await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, 0o700);
    await syncCreatedFolders(path, first, opts.synced);
  } catch (err) {
    throw writeFault(err, path);
  }
}

/** Refuse before any output is written when one of `paths` exists (outputs never overwrite). */
export async function assertAbsent(paths: readonly string[], hint = ''): Promise<void> {
  for (const path of paths) {
    const exists = await lstat(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new CeremonyError('OUTPUT_EXISTS', `${basename(path)} already exists; refusing to overwrite it${hint}`, { path });
  }
}

/** The two calls a verified write needs; tests inject a medium that returns other bytes. */
export interface VerifiedWriteFs {
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
  readFileCapped(path: string, maxBytes: number): Promise<Uint8Array>;
}

const NODE_VERIFIED_WRITE_FS: VerifiedWriteFs = { writeFileAtomic: (path, bytes) => writeFileAtomic(path, bytes), readFileCapped };

/**
 * Write atomically (never over an existing file), read the file back — capped at what was written, so a
 * file that grew is refused unread — and compare byte for byte: BUNDLE_WRITE_VERIFY_FAILED, naming the
 * file, on any difference; the copy is left for inspection and must not be used. Returns the bytes read back.
 *
 * What this proves, and what not: the read is served from the operating system's page cache, so it
 * catches a file system that stored something else (a FAT driver bug, a name collision, another writer)
 * and a truncated or failed write (a full or vanishing stick), not a medium that acknowledges writes and
 * loses or alters them below the cache (a counterfeit USB stick). A stronger check would have to read the
 * device itself — on Linux an O_DIRECT read, or the file read again after unmounting and remounting the
 * stick (or dropping the page cache, which needs root) — and is not done here; the receiving site's
 * verification (hash, signatures) is what catches such a copy.
 */
export async function writeFileVerified(path: string, bytes: Uint8Array, fs: VerifiedWriteFs = NODE_VERIFIED_WRITE_FS): Promise<Uint8Array> {
  await fs.writeFileAtomic(path, bytes);
  let back: Uint8Array;
  try {
    back = await fs.readFileCapped(path, Math.max(bytes.length, 1));
  } catch (err) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', `${basename(path)} could not be read back after writing (or it grew); do not use this copy`, { path, cause: err });
  }
  if (back.length !== bytes.length || !Buffer.from(back.buffer, back.byteOffset, back.length).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', `${basename(path)} read back from the medium differs from what was written; do not use this copy`, { path });
  }
  return back;
}
