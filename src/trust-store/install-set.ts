/**
 * Site import of many repositories from one trust-bundle-set (issue #17 point 4): all or none.
 *
 * Every repository is verified completely — each against its own pin (a SHA-256 of its root.json the
 * operator gives, `pins`, or the root already installed for it) with rollback and expiry checks against
 * what is installed, exactly as a single import (install.ts prepareInstall) — and one refusal refuses
 * the whole set, naming the repository. ONE folder is replaced at once (src/io/trust-dir.ts
 * beginTrustDirSwap: journal, staging, rename), so a reader or a crash sees the old set of trust folders
 * or the new one, never some repositories updated and others not. Each verified repository's files go
 * into the staging folder (which no client reads) while the next repository is verified, so the disk's
 * fsyncs overlap the signature checks; a refusal removes the staging folder and the journal, leaving the
 * trust directory byte for byte as it was, and the rename happens only after every repository verified:
 *
 *   notary  `<trust dir>/tuf` — every GUN's `<GUN>/metadata/` beside the others (what `notary -d` reads);
 *           folders of repositories not in the set, and anything else under `tuf/` (changelists), are
 *           carried over byte for byte;
 *   tuf     `<trust dir>` — one TUF client metadata folder per repository, `<trust dir>/<name>/`.
 *
 * Each repository's folder gets its imports.log line as a single import writes it, so later single
 * imports (and `status`) read the same record. The import lock is the trust directory's (lock.ts), so a
 * single import and a set import never interleave. An interrupted single import's swap of a repository
 * in the set is settled first (recoverTrustDir); a swap journal left anywhere else under the folder is
 * refused (TRUST_DIR_INVALID: import that repository alone once to settle it), never copied.
 */
import { basename, join } from 'node:path';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import type { DecodedRepositorySet } from '../bundle/set.js';
import { bundleRepositoryFiles } from '../bundle/format.js';
import { IMPORT_RECORD_FILE, isDirectory } from '../io/files.js';
import { nodeLockFs } from '../io/lock-file.js';
import { forEachBounded } from '../io/bounded.js';
import { fsFault } from '../io/fs-faults.js';
import { folderCollisionOf, folderListing, repositoryMarker } from './folder-case.js';
import { innerName } from '../bundle/set.js';
import { beginTrustDirSwap, nodeTrustDirFs, readTrustDir, recoverTrustDir, resolveTrustDir, swapNames, type StagedTrustDirSwap, type TrustDirFs } from '../io/trust-dir.js';
import type { JsonObject } from '../json/types.js';
import { quoteShown } from '../json/fields.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import { DEFAULT_SIGNATURE_WORK, SignatureWork, type SignatureWorkLimits } from '../tuf/signature-work.js';
import type { TrustedVersions, VerifiedRepository } from '../tuf/repository.js';
import { checkGun, installedVersions, metadataHashes, prepareInstall, refuseLinksOnTheWay, roleFiles, type TrustLayout } from './install.js';
import { classifyName } from '../tuf/repository-files.js';
import { fileOnTheWay, foldPath } from '../tuf/folder-under-file.js';
import type { UnwrittenCopy } from './file-names.js';
import { installing } from './installed-cleanup.js';
import { describeRemovedLeftover, importLockPath, withImportLock, type LockFs } from './lock.js';

/** Every file under the replaced folder is read to be carried over: capped each, and in number. */
const CARRY_FILE_CAP = 16 * 1024 * 1024;
const CARRY_MAX_FILES = 500_000;
/** Files written at once while staging a set (trust-dir.ts beginTrustDirSwap): many fsyncs share a journal commit. */
const STAGE_CONCURRENCY = 64;
/** Journal lookups in flight at once before a Notary set import (recoverSetFolders). */
const RECOVER_LOOKUPS = 64;
const LEFTOVER = /\.tuf-ceremony-(swap|staging-|previous-)/;

/**
 * The signature work of a whole set, all its repositories together (review-13b L2): with a limit per
 * repository, the set's work grew with the number of repositories that pass — ~108 repositories each just
 * under the limit fit in the set's 256 MiB, ~210 GB hashed, minutes on the app's main process.
 *
 * Why twice one verification's limits: a real set is far below them. The bench's set (bench/repositories.ts:
 * Notary, 2-of-3 roots) needs 5 checks and ~9.4 KB hashed per repository, measured: its 1,000 repositories
 * are 5,000 checks and ~9.4 MB, 80× and ~450× under these, and a set at its cap of 10,000 repositories of
 * up to 40 checks each still fits. The bytes limit is the set's 256 MiB cap hashed 16 times over (every file
 * checked under 16 signatures), and keeps the worst case to ~12 s of hashing (Ed25519 at ~350 MB/s here).
 */
export const SET_SIGNATURE_WORK: SignatureWorkLimits = { checks: 2 * DEFAULT_SIGNATURE_WORK.checks, bytes: 2 * DEFAULT_SIGNATURE_WORK.bytes };

export interface SetImportOptions {
  trustDir: string;
  /** Repository → SHA-256 (hex) of the root.json pinned for it (it must be in its bundle or installed). */
  pins?: ReadonlyMap<string, string>;
  now: Date;
  caps?: SizeCaps;
  onStep?: (step: string) => void;
  lockFs?: LockFs;
  lockWaitMs?: number;
  trustDirFs?: TrustDirFs;
  /** As ImportOptions.onRemovedLockLeftover (install.ts): each leftover removed beside the import lock, as a sentence. */
  onRemovedLockLeftover?: (line: string) => void;
  /** Verify everything, write nothing. */
  dryRun?: boolean;
  /** The signature work all the set's repositories may do together (default SET_SIGNATURE_WORK). */
  signatureWork?: SignatureWorkLimits;
  /**
   * As ImportOptions.beforeInstall (install.ts): called under the import lock once every repository is
   * verified, just before the swap is committed (not on a dry run); a throw removes the staging folder and
   * refuses the set with nothing installed (the CLI's `--inventory` check, review 13a M1).
   */
  beforeInstall?: (result: SetImportResult) => void | Promise<void>;
}

export interface SetImportEntry {
  repository: string;
  /** The repository's folder, relative to the replaced folder. */
  folder: string;
  pinnedBy: 'file' | 'fingerprint' | 'installed';
  previousRoot: number | null;
  versions: TrustedVersions;
  record: JsonObject;
  /** SHA-256 of each metadata file installed in its folder, by name (install.ts metadataHashes). */
  fileHashes: Record<string, string>;
  /** The verified root's expiry and root role (for a summary table: the Import screen's). */
  root: { expires: string; threshold: number; keys: number };
  /** Delegated roles whose python-tuf copy could not be written (tuf layout; a single import's ImportResult.notWritten). */
  notWritten?: UnwrittenCopy[];
}

export interface SetImportResult {
  profile: ProfileName;
  layout: TrustLayout;
  /** The one folder replaced at once. */
  folder: string;
  /** The trust directory as the import resolved it, which `folder` lies in (ImportResult.trustDir: the session transcript's base). */
  trustDir: string;
  entries: SetImportEntry[];
}

/** Where a set of `layout` repositories is installed as a whole, and each repository's folder inside it. */
export function setFolders(trustDir: string, layout: TrustLayout): { target: string; folderOf: (repository: string) => string } {
  if (layout === 'notary') return { target: join(trustDir, 'tuf'), folderOf: (gun) => `${checkGun(gun)}/metadata` };
  return { target: trustDir, folderOf: (name) => checkGun(name) };
}

function pinFor(pins: ReadonlyMap<string, string> | undefined, repository: string): string | undefined {
  return pins?.get(repository);
}

/** Verify every repository of the set, then install them all in one swap; nothing written on any refusal. */
export async function importRepositorySet(set: DecodedRepositorySet, opts: SetImportOptions): Promise<SetImportResult> {
  const layout: TrustLayout = set.profile;
  // Names first: a repository that cannot name a folder refuses the set before anything is read.
  const folders = set.repositories.map((r) => setFolders(opts.trustDir, layout).folderOf(r.repository));
  const inFile = foldersInSetFiles(set, folders, layout).find((e) => e !== undefined);
  if (inFile) throw inFile;
  const home = layout === 'notary' ? opts.trustDir : join(opts.trustDir, '..');
  if (!(await isDirectory(home).catch(() => false))) throw new CeremonyError('FILE_NOT_FOUND', `${home} is not an existing folder`, { path: home });
  // The operator's trust directory may be a link (followed, once); nothing below it is (install.ts refuseLinksOnTheWay).
  const trustDir = await resolveTrustDir(opts.trustDir).catch((err: unknown) => {
    throw fsFault(err, opts.trustDir, 'reading the trust directory', 'Nothing was written');
  });
  const { target } = setFolders(trustDir, layout);
  const resolved = { ...opts, trustDir };
  const fault = (err: unknown) =>
    fsFault(err, trustDir, opts.dryRun ? 'reading the trust directory' : 'importing into the trust directory', opts.dryRun ? 'Nothing was written' : 'Nothing was installed: the trust folder holds what it held before');
  try {
    if (opts.dryRun) return await verifyAndInstallSet(set, resolved, layout, target, folders);
    return await withImportLock(importLockPath(trustDir, layout), opts.lockFs ?? nodeLockFs(), () => verifyAndInstallSet(set, resolved, layout, target, folders), {
      waitMs: opts.lockWaitMs ?? 0,
      onRemovedLeftovers: (removed) => {
        for (const r of removed) opts.onRemovedLockLeftover?.(describeRemovedLeftover(r));
      },
    });
  } catch (err) {
    throw fault(err);
  }
}

async function verifyAndInstallSet(set: DecodedRepositorySet, opts: SetImportOptions, layout: TrustLayout, target: string, folders: string[]): Promise<SetImportResult> {
  const caps = opts.caps ?? DEFAULT_CAPS;
  const fs = opts.trustDirFs;
  // Before anything is read, recovered or written: no link on the way to the replaced folder (Notary:
  // `tuf`) or the sessions folder. Links inside it are refused as the tree is read (readTrustDir), and
  // before a repository folder's recovery (recoverSetFolders).
  await refuseLinksOnTheWay(opts.trustDir, layout, target, fs ?? nodeTrustDirFs());
  // Before anything is read or written: a repository whose folder is, on Windows or macOS, another one's
  // an earlier import installed (folder-case.ts). The set itself names each once (bundle/set.ts).
  const collision = (await folderCollisions(set, target, layout, fs)).find((c) => c !== undefined);
  if (collision) throw collision;
  if (!opts.dryRun) {
    await recoverTrustDir(target, { within: opts.trustDir, ...(fs ? { fs } : {}) });
    // Interrupted single imports of repositories in the set: settled to their old or new tree first.
    if (layout === 'notary') await recoverSetFolders(target, folders, fs);
  }
  const tree = (await readTrustDir(target, () => CARRY_FILE_CAP, CARRY_MAX_FILES, fs)) ?? new Map<string, Uint8Array>();
  for (const name of tree.keys()) {
    if (LEFTOVER.test(name)) {
      throw new CeremonyError('TRUST_DIR_INVALID', `${name} is left from an interrupted import of one repository: import that repository alone once to settle it, then import the set`, { path: join(target, name) });
    }
  }
  // Each repository's installed files, by folder (one pass over the tree).
  const byFolder = filesByFolder(tree, folders, layout);
  // Before anything is written: no repository's folder where a file that stays installed is.
  const onFile = foldersInInstalledFiles(set, folders, tree, byFolder, target).find((e) => e !== undefined);
  if (onFile) throw onFile;
  // The new tree is written while it is verified (trust-dir.ts beginTrustDirSwap): into a staging folder
  // only the swap at the end makes visible, so the disk syncs one repository's files while the next is
  // verified. A refusal removes the staging folder and the journal (abort): the trust folder is left
  // byte for byte as it was, as before. A failure to write is kept until every repository is verified,
  // so a refused repository is reported first, as when nothing is written before verification.
  let swap: StagedTrustDirSwap | undefined;
  let writeFailure: { err: unknown } | undefined;
  if (!opts.dryRun) {
    try {
      swap = await beginTrustDirSwap(target, { concurrency: STAGE_CONCURRENCY, within: opts.trustDir, ...(opts.onStep ? { onStep: opts.onStep } : {}), ...(fs ? { fs } : {}) });
    } catch (err) {
      writeFailure = { err };
    }
  }
  const entries: SetImportEntry[] = [];
  const work = new SignatureWork(opts.signatureWork ?? SET_SIGNATURE_WORK);
  try {
    const written = new Set<string>();
    for (let i = 0; i < set.repositories.length; i++) {
      const folder = folders[i]!;
      // The verified documents are not kept: a thousand repositories' parsed metadata would stay in memory.
      const { entry: { verified: _verified, ...entry }, files } = prepareSetEntry(set, i, folder, byFolder.get(folder)!, opts, layout, caps, work);
      for (const name of files.keys()) {
        const path = `${folder}/${name}`;
        // Only when one repository's folder lies inside another's (GUNs `a/b` and `a/b/metadata/targets`).
        if (written.has(path)) throw new CeremonyError('BUNDLE_CONTENT_INVALID', `repository ${quoteShown(entry.repository)} (${i + 1} of ${set.repositories.length}) would install ${path}, which another repository of the set installs; nothing of the set was installed`, { path });
        written.add(path);
      }
      if (swap) {
        for (const [name, bytes] of files) swap.write(`${folder}/${name}`, bytes);
        // Let the file system's callbacks run, so the writes go on while the next repository is verified.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      entries.push(entry);
    }
    // Then what comes through byte for byte: files beside the set's folders (repositories not in the set,
    // anything else under the folder). Each set folder is replaced as a single import replaces it: exactly
    // its new files.
    const replaced = new Set<string>();
    for (const [folder, installedTree] of byFolder) for (const name of installedTree.keys()) replaced.add(`${folder}/${name}`);
    if (swap) for (const [name, bytes] of tree) if (!replaced.has(name) && !written.has(name)) swap.write(name, bytes);
  } catch (err) {
    await swap?.abort();
    throw err;
  }
  if (writeFailure) throw writeFailure.err;
  const result: SetImportResult = { profile: set.profile, layout, folder: target, trustDir: opts.trustDir, entries };
  if (!swap) return result; // a dry run
  // Last refusal before anything is installed (SetImportOptions.beforeInstall): the staging folder goes.
  try {
    await opts.beforeInstall?.(result);
  } catch (err) {
    await swap.abort();
    throw err;
  }
  // A failure after the swap's rename still installed the set: the error carries it (installed-cleanup.ts).
  await installing(() => swap.commit(), () => ({ set: result }));
  return result;
}

/**
 * recoverTrustDir for each repository folder of a Notary set, in the set's order — but only where there
 * is something to settle. A folder's recovery acts only when its journal exists (recoverTrustDir), so the
 * journals are looked for first, many at once: a set of a thousand repositories would otherwise wait for a
 * thousand lstat calls one after another before writing anything. With no `tuf` folder there is no
 * journal under it; when any journal exists, every folder is settled in order exactly as before (one
 * folder's recovery can restore a tree holding another's journal). Exported for its tests
 * (test/unit/trust-store/install-set-recover.test.ts).
 */
export async function recoverSetFolders(target: string, folders: readonly string[], fs: TrustDirFs | undefined): Promise<void> {
  const tfs = fs ?? nodeTrustDirFs();
  if (!(await tfs.lstat(target))) return;
  const journals = folders.map((f) => swapNames(join(target, ...f.split('/')), '0'.repeat(32)).journal);
  let found = false;
  // A batch whose lookup fails settles whole before the failure is thrown, and no later batch starts (review-setimp L4).
  for (let i = 0; i < journals.length && !found; i += RECOVER_LOOKUPS) {
    await forEachBounded(journals.slice(i, i + RECOVER_LOOKUPS), RECOVER_LOOKUPS, async (j) => {
      if ((await journalInfo(tfs, j)) !== undefined) found = true;
    });
  }
  if (!found) return;
  // Each folder's path is checked before it is recovered (`within`): a journal found through a link planted
  // in `tuf/` is refused there, never acted on (review-12 L1). Without a journal, readTrustDir refuses the
  // link as it reads the tree, before anything is written.
  for (const f of folders) await recoverTrustDir(join(target, ...f.split('/')), { fs: tfs, within: target });
}

/**
 * What lstat says of a folder's journal. ENOTDIR: a name on its way is a file, so there is no journal (nor
 * folder) to settle; the folder is refused once the tree is read (foldersInInstalledFiles), with its path.
 */
async function journalInfo(fs: TrustDirFs, journal: string): Promise<Awaited<ReturnType<TrustDirFs['lstat']>>> {
  try {
    return await fs.lstat(journal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * For each repository of the set, BUNDLE_CONTENT_INVALID when its folder would lie at or under a file
 * another repository of the set installs (review-13a L2: TUF `org` installs `org/root.json`, the folder
 * repository `org/root.json` needs; Notary `a/org` installs `a/org/metadata/root.json`), else undefined.
 * The set's own refusal for two repositories that cannot both be installed (bundle/set.ts refuses one name
 * twice the same way). From the names alone, before anything is read: the files a repository installs are
 * its bundle's metadata files under its layout's names (install.ts roleFiles) and its imports.log — a
 * role that fails verification refuses the set anyway.
 */
export function foldersInSetFiles(set: DecodedRepositorySet, folders: readonly string[], layout: TrustLayout): (CeremonyError | undefined)[] {
  const files = new Map<string, { index: number; file: string }>();
  set.repositories.forEach((bundle, index) => {
    for (const file of installedNames(bundle.files, layout)) {
      const path = foldPath(`${folders[index]}/${file}`);
      if (!files.has(path)) files.set(path, { index, file });
    }
  });
  const n = set.repositories.length;
  return set.repositories.map((bundle, i) => {
    const clash = fileOnTheWay(folders[i]!, files);
    if (clash === undefined || clash.owner.index === i) return undefined;
    const other = set.repositories[clash.owner.index]!;
    return new CeremonyError(
      'BUNDLE_CONTENT_INVALID',
      `repository ${quoteShown(bundle.repository)} (${i + 1} of ${n}) would be installed in the folder ${folders[i]}, but ${clash.path} is the file ${clash.owner.file} of repository ${quoteShown(other.repository)} (${clash.owner.index + 1} of ${n}): one path cannot be both; import them in two sets, or rename one; nothing of the set was installed`,
      { path: `${innerName(i)} $.repository` },
    );
  });
}

/** The files a repository's bundle installs in its folder, by the names its layout gives them. */
function installedNames(files: readonly { name: string }[], layout: TrustLayout): string[] {
  const out = [IMPORT_RECORD_FILE];
  for (const { name } of files) {
    let kind: ReturnType<typeof classifyName>;
    try {
      kind = classifyName(name);
    } catch {
      continue; // not a metadata file: its verification refuses the set
    }
    if (kind.kind === 'top') out.push(name);
    else if (kind.kind === 'delegated') out.push(...roleFiles(layout, kind.role).files);
  }
  return out;
}

/**
 * For each repository of the set, TRUST_DIR_INVALID when a file installed now, and kept by the set's
 * install (not one of the set's folders' own files, which it replaces), is its folder or on its way — as a
 * single import refuses it (install.ts refuseLinksOnTheWay: "… is a file, not a folder"), else undefined.
 */
function foldersInInstalledFiles(
  set: DecodedRepositorySet,
  folders: readonly string[],
  tree: ReadonlyMap<string, Uint8Array>,
  byFolder: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>,
  target: string,
): (CeremonyError | undefined)[] {
  const replaced = new Set<string>();
  for (const [folder, files] of byFolder) for (const name of files.keys()) replaced.add(`${folder}/${name}`);
  const kept = new Map<string, string>();
  for (const name of tree.keys()) if (!replaced.has(name)) kept.set(foldPath(name), name);
  const n = set.repositories.length;
  return set.repositories.map((bundle, i) => {
    const clash = fileOnTheWay(folders[i]!, kept);
    if (clash === undefined) return undefined;
    return new CeremonyError(
      'TRUST_DIR_INVALID',
      `repository ${quoteShown(bundle.repository)} (${i + 1} of ${n}) would be installed in the folder ${basename(target)}/${folders[i]}, but ${basename(target)}/${clash.owner} in the trust directory is a file, not a folder; nothing of the set was installed`,
      { path: join(target, ...clash.owner.split('/')) },
    );
  });
}

/** One repository of the set against its installed files: a single import's checks (install.ts prepareInstall); refusals name it. */
function prepareSetEntry(
  set: DecodedRepositorySet,
  i: number,
  folder: string,
  installedTree: ReadonlyMap<string, Uint8Array>,
  opts: Pick<SetImportOptions, 'pins' | 'now'>,
  layout: TrustLayout,
  caps: SizeCaps,
  work: SignatureWork,
): { entry: SetImportEntry & { verified: VerifiedRepository }; files: Map<string, Uint8Array> } {
  const bundle = set.repositories[i]!;
  const repository = bundle.repository;
  try {
    const files = bundleRepositoryFiles(bundle, caps);
    let installed: ReturnType<typeof installedVersions> | undefined;
    if (installedTree.has('root.json')) installed = installedVersions(installedTree, set.profile, caps);
    else if ([...installedTree.keys()].some((n) => n !== IMPORT_RECORD_FILE)) throw new CeremonyError('TRUST_DIR_INVALID', 'the trust folder holds metadata but no root.json');
    const fingerprint = pinFor(opts.pins, repository);
    if (!fingerprint && !installed) {
      throw new CeremonyError('IMPORT_PIN_NOT_FOUND', 'it is not pinned: nothing is installed for it and the pins name no root for it (give its root.json SHA-256 in the pins file)', { path: 'root.json' });
    }
    const input = { files, source: `${set.name} ${repository}`, bundle: { profile: bundle.profile, repository, hash: bundle.hash } };
    const prepared = prepareInstall({
      input,
      opts: { now: opts.now, ...(fingerprint ? { rootFingerprint: fingerprint } : {}) },
      caps,
      profile: set.profile,
      layout,
      ...(layout === 'notary' ? { gun: repository } : {}),
      installed,
      oldLog: installedTree.get(IMPORT_RECORD_FILE),
      work,
    });
    return {
      entry: { repository, folder, pinnedBy: prepared.pinnedBy, previousRoot: installed ? installed.versions.root : null, versions: prepared.versions, record: prepared.record, fileHashes: metadataHashes(prepared.next), root: rootSummary(prepared.verified), verified: prepared.verified, ...(prepared.notWritten ? { notWritten: prepared.notWritten } : {}) },
      files: prepared.next,
    };
  } catch (err) {
    if (isCeremonyError(err)) {
      // The limit ran out here, but the repositories before this one spent it too: say so, or this one looks at fault alone.
      const shared = err.code === 'SIGNATURE_WORK_EXCEEDED' && i > 0 ? ` (the limit is the whole set's: this repository and the ${i} before it together)` : '';
      throw new CeremonyError(err.code, `repository ${quoteShown(repository)} (${i + 1} of ${set.repositories.length}): ${messageWithoutPath(err)}${shared}; nothing of the set was installed`, { path: err.path ? `${folder}/${err.path}` : folder, cause: err });
    }
    throw err;
  }
}

/** One repository's verdict in a set preview: what would be installed, or why the whole set would be refused. */
export type SetPreviewRow =
  | { repository: string; ok: true; entry: SetImportEntry; verified: VerifiedRepository }
  | { repository: string; ok: false; error: CeremonyError };

/**
 * Verify every repository of the set as importRepositorySet would (same pins, installed versions, clock)
 * and write nothing — but go on after a refusal, so the Import screen can show each repository's verdict
 * in one table. The install itself stays all or none: any refused row means importRepositorySet refuses.
 */
export async function previewRepositorySet(set: DecodedRepositorySet, opts: Pick<SetImportOptions, 'trustDir' | 'pins' | 'now' | 'caps' | 'trustDirFs' | 'signatureWork'>): Promise<{ layout: TrustLayout; folder: string; rows: SetPreviewRow[] }> {
  const layout: TrustLayout = set.profile;
  const folders = set.repositories.map((r) => setFolders(opts.trustDir, layout).folderOf(r.repository));
  const caps = opts.caps ?? DEFAULT_CAPS;
  const fault = (err: unknown) => fsFault(err, opts.trustDir, 'reading the trust directory', 'Nothing was written');
  let tree: Map<string, Uint8Array>;
  let target: string;
  try {
    // As the install reads it (importRepositorySet): the trust directory resolved once, no link below it.
    const trustDir = await resolveTrustDir(opts.trustDir);
    target = setFolders(trustDir, layout).target;
    await refuseLinksOnTheWay(trustDir, layout, target, opts.trustDirFs ?? nodeTrustDirFs());
    tree = (await readTrustDir(target, () => CARRY_FILE_CAP, CARRY_MAX_FILES, opts.trustDirFs)) ?? new Map<string, Uint8Array>();
  } catch (err) {
    throw fault(err);
  }
  const byFolder = filesByFolder(tree, folders, layout);
  // The same checks the install makes first: a row it would refuse is refused here too.
  const inFiles = foldersInSetFiles(set, folders, layout);
  const onFiles = foldersInInstalledFiles(set, folders, tree, byFolder, target);
  let collisions: (CeremonyError | undefined)[];
  try {
    collisions = await folderCollisions(set, target, layout, opts.trustDirFs);
  } catch (err) {
    throw fault(err);
  }
  // One limit for the set, as the install has: a row past it is refused here as the install would refuse it.
  const work = new SignatureWork(opts.signatureWork ?? SET_SIGNATURE_WORK);
  const rows = set.repositories.map((bundle, i): SetPreviewRow => {
    const collision = inFiles[i] ?? collisions[i] ?? onFiles[i];
    if (collision) return { repository: bundle.repository, ok: false, error: collision };
    try {
      const { entry } = prepareSetEntry(set, i, folders[i]!, byFolder.get(folders[i]!)!, opts, layout, caps, work);
      const { verified, ...rest } = entry;
      return { repository: bundle.repository, ok: true, entry: rest, verified };
    } catch (err) {
      if (isCeremonyError(err)) return { repository: bundle.repository, ok: false, error: err };
      throw err;
    }
  });
  return { layout, folder: target, rows };
}

/**
 * For each repository of the set, REPOSITORY_FOLDER_COLLISION when its folder is, on Windows or macOS,
 * another installed repository's (folder-case.ts; both layouts: a TUF set installs each repository in a
 * folder of its name too, setFolders), else undefined. Reads folder listings only.
 */
async function folderCollisions(set: DecodedRepositorySet, target: string, layout: TrustLayout, fs: TrustDirFs | undefined): Promise<(CeremonyError | undefined)[]> {
  const list = folderListing(fs ?? nodeTrustDirFs(), target);
  const out: (CeremonyError | undefined)[] = [];
  for (let i = 0; i < set.repositories.length; i++) {
    out.push(await folderCollisionOf(set.repositories[i]!.repository, list, repositoryMarker(layout), basename(target), `${innerName(i)} $.repository`));
  }
  return out;
}

/**
 * Each repository's installed files, named relative to its folder, as a single import reads that folder
 * (install.ts readTrustDir). Which files belong to a repository follows its layout, not the tree's depth,
 * because repository folders nest (TUF names `org` and `org/app`; Notary GUNs `a` and `a/metadata/targets/x`):
 *
 *   tuf     the folder's direct children only: TUF delegated role names hold no `/`
 *           (tuf/targets.ts), so a client metadata folder has no subfolders of its own — `org/app/root.json`
 *           is repository `org/app`'s, never `org`'s;
 *   notary  `<GUN>/metadata/*` and `<GUN>/metadata/targets/**`: delegated roles (`targets/releases`) sit one
 *           level down or deeper. They must be seen here, or their versions escape the rollback check
 *           (TUF 5.6.7 via installedVersions) and a delegation the new repository dropped would survive the
 *           folder's replacement as a stale file its client still reads.
 *
 * A file under another repository's folder — one of the set, or an installed one (a folder holding its own
 * `root.json`) — is never an outer folder's: the innermost owner wins, and a file whose owner is not in
 * the set is carried over byte for byte.
 */
export function filesByFolder(tree: ReadonlyMap<string, Uint8Array>, folders: readonly string[], layout: TrustLayout): Map<string, Map<string, Uint8Array>> {
  const byFolder = new Map<string, Map<string, Uint8Array>>(folders.map((f) => [f, new Map()]));
  if (layout === 'tuf') {
    for (const [name, bytes] of tree) {
      const cut = name.lastIndexOf('/');
      if (cut > 0) byFolder.get(name.slice(0, cut))?.set(name.slice(cut + 1), bytes);
    }
    return byFolder;
  }
  // Notary: every `<GUN>/metadata` folder of the tree that holds a root.json is a repository's folder too.
  const owners = new Set<string>(folders);
  for (const name of tree.keys()) if (name.endsWith('/metadata/root.json')) owners.add(name.slice(0, -'/root.json'.length));
  for (const [name, bytes] of tree) {
    const cut = name.lastIndexOf('/');
    if (cut <= 0) continue;
    // A direct child of a repository folder belongs to it (the innermost folder there can be).
    let owner: string | undefined = owners.has(name.slice(0, cut)) ? name.slice(0, cut) : undefined;
    // Else the innermost `<folder>/targets/...` whose folder is a repository's (a delegated role).
    for (let at = name.lastIndexOf('/targets/'); owner === undefined && at > 0; at = name.lastIndexOf('/targets/', at - 1)) {
      if (owners.has(name.slice(0, at))) owner = name.slice(0, at);
    }
    if (owner !== undefined) byFolder.get(owner)?.set(name.slice(owner.length + 1), bytes);
  }
  return byFolder;
}

function rootSummary(v: VerifiedRepository): SetImportEntry['root'] {
  const role = v.root.signed.roles.get('root')!;
  return { expires: v.root.signed.expiresText, threshold: role.threshold, keys: role.keyids.length };
}
