/**
 * Air-gapped import (PRODUCT §2.6): verify a repository completely against a root the operator pinned,
 * then install it atomically in the layout its client reads, and record the import.
 *
 * Layouts:
 *   notary  `<trust dir>/tuf/<GUN>/metadata/{root,targets,snapshot,timestamp}.json` + `targets/<role>.json`
 *           (what `notary -d <trust dir>` and Docker Content Trust's `~/.docker/trust` read);
 *   tuf     `<trust dir>/{root,timestamp,snapshot,targets}.json` + `<role>.json` (a TUF client metadata
 *           directory: tuf-js `Updater({ metadataDir })`, python-tuf `Updater(metadata_dir)`), and python-tuf's
 *           escaped name beside it when the role's name needs escaping (file-names.ts tufLayoutRoleFiles).
 * Beside the metadata, the folder holds `imports.log`: one canonical JSON line per import (time, source,
 * bundle hash, versions), the old lines carried over unchanged, swapped in with the metadata.
 *
 * Nothing is written before verification succeeds; then the whole folder is replaced at once
 * (src/io/trust-dir.ts), so a refused import leaves the trust directory byte for byte as it was, and an
 * interrupted one leaves the old tree or the new one.
 */
import { dirname, join } from 'node:path';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import type { ShortDigest } from '../crypto/digest-words.js';
import { canonicalString } from '../json/canonical.js';
import { setOwn } from '../json/fields.js';
import { checkInstallFileNames, TUF_LAYOUT_NAMES_PER_ROLE, tufLayoutCopies, tufLayoutInstallFiles, type InstallFile, type UnwrittenCopy } from './file-names.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { IMPORT_RECORD_FILE, isDirectory } from '../io/files.js';
import { nodeLockFs } from '../io/lock-file.js';
import { fsFault } from '../io/fs-faults.js';
import { nodeTrustDirFs, readTrustDir, recoverTrustDir, refuseLinksBelow, resolveTrustDir, swapTrustDir, type TrustDirFs } from '../io/trust-dir.js';
import { siteSessionsDir } from './import-session.js';
import { folderCollisionOf, folderListing, repositoryMarker } from './folder-case.js';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { Snapshot } from '../tuf/snapshot.js';
import { checkNotaryRootCertificates } from '../tuf/notary-root.js';
import { capForName, classifyName } from '../tuf/repository-files.js';
import { roleKeyFingerprints, trustedVersionsOf, verifyRepository, type RepositoryFiles, type TrustedVersions, type VerifiedRepository } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import { installing, InstalledCleanupFailed } from './installed-cleanup.js';
import { describeRemovedLeftover, importLockPath, withImportLock, type LockFs } from './lock.js';
import { checkRepositoryAttestations, type AttestationRequirement, type KeyAttestationView } from '../attestation/repository.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';
import { gunFolderProblem } from '../tuf/gun.js';
import { resolveTrustAnchor } from './pin.js';
import type { SignatureBatch } from '../tuf/signature-batch.js';
import type { SignatureWork } from '../tuf/signature-work.js';

export type TrustLayout = 'notary' | 'tuf';

export const IMPORTS_LOG = IMPORT_RECORD_FILE;
const LOG_CAP = 16 * 1024 * 1024;

export interface ImportSource {
  files: RepositoryFiles;
  /** Where it came from (a file or folder name), for the record. */
  source: string;
  /** When the input was a bundle: what its manifest claims, and its hash. */
  bundle?: { profile: ProfileName; repository: string; hash: ShortDigest };
}

export interface ImportOptions {
  trustDir: string;
  /** The pinned root's bytes (`--root FILE`). */
  trustedRoot?: Uint8Array;
  /** SHA-256 (hex) of the pinned root file's bytes: the root must be in the input or installed. */
  rootFingerprint?: string;
  /** Notary: the repository; else the bundle's, else the one every root certificate names. */
  gun?: string;
  layout?: TrustLayout;
  /** The local clock. */
  now: Date;
  caps?: SizeCaps;
  /** Tests: called after each file-system step of the swap (a throw simulates a kill). */
  onStep?: (step: string) => void;
  /**
   * Verify exactly as an import would (pin, installed versions, rollback, expiry) and write nothing: no
   * lock, no repair of an interrupted swap, no install (the app's "verify before install" view).
   */
  dryRun?: boolean;
  /** The import lock's file system (lock.ts); the node one by default. */
  lockFs?: LockFs;
  /** How long to wait for another import into the same trust directory (default 0: refused at once, IMPORT_LOCKED). */
  lockWaitMs?: number;
  /**
   * Told, as a sentence for people, of each leftover of a dead command removed beside the import lock when
   * it is taken (lock.ts sweepAsideLeftovers) — as it happens, so a refusal that follows does not hide it.
   */
  onRemovedLockLeftover?: (line: string) => void;
  /** The trust folder's file system (src/io/trust-dir.ts; node's by default): tests inject faults. */
  trustDirFs?: TrustDirFs;
  /**
   * How attestations.json is checked (issue #13): roots other than Yubico's bundled ones (tests, private
   * PKIs) and what the operator requires. It is checked whenever the input carries one; never installed.
   */
  attestations?: { trust?: AttestationTrust; requirement?: AttestationRequirement };
  /** Where a long root chain's signatures may be checked ahead, on other threads (VerifyOptions.signatureBatch). */
  signatureBatch?: SignatureBatch;
  /**
   * Called under the import lock once everything is verified and the folder's new content is known, just
   * before the swap (not on a dry run): a throw refuses the import with nothing installed. The CLI's
   * `--inventory` checks its updated key inventory here, so an update it could not write refuses the
   * import instead of following an install (review 13a M1).
   */
  beforeInstall?: (result: ImportResult) => void | Promise<void>;
}

export interface ImportResult {
  profile: ProfileName;
  layout: TrustLayout;
  gun?: string;
  /** The folder that was replaced. */
  folder: string;
  /**
   * The trust directory as the import resolved it (resolveTrustDir: links followed once), which `folder`
   * lies in. The session transcript names the installed files relative to it (review-12b M1: relative to
   * the operator's spelling, a linked trust directory or ancestor gave `../../data/…`).
   */
  trustDir: string;
  /** What the pin was: a file, a fingerprint found in the input or installed, or the installed root. */
  pinnedBy: 'file' | 'fingerprint' | 'installed';
  previous?: TrustedVersions;
  versions: TrustedVersions;
  files: string[];
  record: JsonObject;
  verified: VerifiedRepository;
  /** SHA-256 of each file installed in `folder` (imports.log left out), by name: for the session transcript. */
  fileHashes: Record<string, string>;
  /** Set when the install went through but its lock could not be removed afterwards (what to do about it). */
  lockNotReleased?: string;
  /** attestations.json checked (when the input carried one, or one was required): per key, in words. */
  attestations?: KeyAttestationView[];
  /** Delegated roles written as `<role>.json` alone: python-tuf's name for them cannot be a file (file-names.ts tufLayoutInstallFiles). */
  notWritten?: UnwrittenCopy[];
}

function isLayout(v: string): v is TrustLayout {
  return v === 'notary' || v === 'tuf';
}

export function checkGun(gun: string): string {
  const why = gunFolderProblem(gun);
  if (why !== undefined) {
    throw new CeremonyError('IMPORT_REPOSITORY_MISMATCH', `${JSON.stringify(gun)} is not a repository name (GUN) that can name a folder: ${why}`, { path: gun });
  }
  return gun;
}

/** The folder a layout installs into. */
export function trustFolder(trustDir: string, layout: TrustLayout, gun?: string): string {
  if (layout === 'tuf') return trustDir;
  if (!gun) throw new CeremonyError('USAGE', 'the Notary layout needs the repository name (--gun)');
  return join(trustDir, 'tuf', ...checkGun(gun).split('/'), 'metadata');
}

function newestRootBytes(files: RepositoryFiles): Uint8Array | undefined {
  if (files.root) return files.root;
  const top = Math.max(0, ...files.versionedRoots.keys());
  return files.versionedRoots.get(top);
}

function trustDirInvalid(name: string, err: unknown): CeremonyError {
  const detail = isCeremonyError(err) ? `[${err.code}] ${err.message}` : 'unreadable';
  return new CeremonyError('TRUST_DIR_INVALID', `the installed ${name} cannot be read: ${detail}`, { path: name, cause: err });
}

/** Versions and keys of what is installed, read from the files the client holds (it may have updated them). */
export function installedVersions(tree: ReadonlyMap<string, Uint8Array>, profile: ProfileName, caps: SizeCaps = DEFAULT_CAPS): { versions: TrustedVersions; root: Metadata<Root>; profile: ProfileName } {
  const parse = <R extends 'root' | 'timestamp' | 'snapshot' | 'targets'>(name: string, role: R) => {
    try {
      return parseMetadata(tree.get(name)!, role, { maxBytes: capForName(name, caps), source: `installed ${name}` });
    } catch (err) {
      throw trustDirInvalid(name, err);
    }
  };
  const root = parse('root.json', 'root');
  if (root.profile.name !== profile) {
    throw new CeremonyError('IMPORT_REPOSITORY_MISMATCH', `the trust folder holds a ${root.profile.name} repository; the input is ${profile}`, { path: 'root.json' });
  }
  const versions: TrustedVersions = {
    root: root.signed.version,
    timestampKeys: roleKeyFingerprints(root.signed, 'timestamp'),
    snapshotKeys: roleKeyFingerprints(root.signed, 'snapshot'),
    delegated: {},
  };
  const delegatedFiles = new Map<string, Uint8Array>();
  let snapshot: Metadata<Snapshot> | undefined;
  for (const name of [...tree.keys()].sort()) {
    if (name === IMPORTS_LOG || name === 'root.json') continue;
    let kind;
    try {
      kind = classifyName(name);
    } catch (err) {
      throw trustDirInvalid(name, err);
    }
    if (kind.kind === 'versioned-root' || kind.kind === 'attestations') continue; // import never installs attestations.json
    if (kind.kind === 'top') {
      if (kind.role === 'timestamp') versions.timestamp = parse(name, 'timestamp').signed.version;
      else if (kind.role === 'snapshot') {
        snapshot = parse(name, 'snapshot');
        versions.snapshot = snapshot.signed.version;
        versions.snapshotMeta = {};
        // setOwn: a role named "__proto__" (tuf/repository.ts trustedVersionsOf) would be dropped by plain assignment.
        for (const [role, meta] of snapshot.signed.meta) if (meta.version !== undefined) setOwn(versions.snapshotMeta, role, meta.version);
      } else if (kind.role === 'targets') versions.targets = parse(name, 'targets').signed.version;
    } else delegatedFiles.set(kind.role, tree.get(name)!);
  }
  // Whose each delegated file is: Notary's and a plain name's `<role>.json` are the role's own; a tuf-layout
  // folder may hold a role under up to three names (python-tuf's quoted copy, tuf-js's persisted one), and
  // which file is whose comes from file-names.ts tufLayoutCopies, as for verify, inspect and status. The
  // version that counts for the rollback check (TUF 5.6.7) is the newest any copy holds, not the copy the
  // snapshot records: each copy is what one client at the site has verified and trusts (tuf-js keeps
  // reading its as-is copy, python-tuf its quoted one), so installing anything older than the newest copy
  // would move that client back. Taking the newest can only refuse more, never install an older role, and
  // a folder whose copies match no snapshot entry (a client's update half done) is not refused: importing
  // over it is how it is repaired.
  const roles = profile === 'tuf' ? tufLayoutCopies(delegatedFiles, snapshot, caps) : [...delegatedFiles].map(([role, bytes]) => ({ role, copies: [{ file: `${role}.json`, bytes }] }));
  for (const { role, copies } of roles) {
    const newest = Math.max(...copies.map((c) => parse(c.file, 'targets').signed.version));
    setOwn(versions.delegated!, role, newest);
  }
  return { versions, root, profile };
}

function normaliseFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new CeremonyError('USAGE', '--root-fingerprint must be the SHA-256 of the pinned root.json: 64 hex digits');
  return hex;
}

/** Verify `input` completely, then install it atomically. Nothing is written unless everything verifies. */
export async function importRepository(input: ImportSource, opts: ImportOptions): Promise<ImportResult> {
  const caps = opts.caps ?? DEFAULT_CAPS;
  if (opts.trustedRoot && opts.rootFingerprint) throw new CeremonyError('USAGE', 'pin the root by file (--root) or by fingerprint (--root-fingerprint), not both');
  const newest = newestRootBytes(input.files);
  if (!newest && !opts.trustedRoot) throw new CeremonyError('META_MISSING', `${input.source} holds no root.json`, { path: 'root.json' });

  // The profile: what the input's metadata is (checked against the bundle's claim).
  const probeBytes = newest ?? opts.trustedRoot!;
  const probe = parseMetadata(probeBytes, 'root', { maxBytes: caps.root, source: newest ? 'root.json' : 'trusted root' });
  const profile = probe.profile.name;
  if (input.bundle && input.bundle.profile !== profile) {
    throw new CeremonyError('IMPORT_REPOSITORY_MISMATCH', `the bundle manifest says ${input.bundle.profile}, but its metadata is ${profile}`, { path: '$.profile' });
  }
  const layout = opts.layout ?? profile;
  if (!isLayout(layout)) throw new CeremonyError('USAGE', '--layout must be notary or tuf');
  if (layout !== profile) throw new CeremonyError('IMPORT_REPOSITORY_MISMATCH', `a ${profile} repository cannot be installed in the ${layout} layout: its client would not read it`);

  // Notary: which repository (the folder name), cross-checked; verifyRepository then makes every root
  // certificate name it.
  let gun: string | undefined;
  if (profile === 'notary') {
    const claimed = input.bundle?.repository;
    if (opts.gun && claimed && opts.gun !== claimed) {
      throw new CeremonyError('IMPORT_REPOSITORY_MISMATCH', `the bundle is for ${claimed}, not ${opts.gun}`, { path: '$.repository' });
    }
    gun = checkGun(opts.gun ?? claimed ?? checkNotaryRootCertificates(probe, opts.now));
  }
  trustFolder(opts.trustDir, layout, gun);
  // The trust directory (Notary) or the folder that holds it (TUF) must exist: a mistyped path is not
  // silently created.
  const home = layout === 'notary' ? opts.trustDir : dirname(opts.trustDir);
  if (!(await isDirectory(home).catch(() => false))) throw new CeremonyError('FILE_NOT_FOUND', `${home} is not an existing folder`, { path: home });
  // The operator's trust directory may be a link (followed, once); nothing below it is (refuseLinksOnTheWay).
  const trustDir = await resolveTrustDir(opts.trustDir).catch((err: unknown) => {
    throw fsFault(err, opts.trustDir, 'reading the trust directory', 'Nothing was written');
  });
  const folder = trustFolder(trustDir, layout, gun);

  // Read what is installed → verify → swap, under the trust directory's import lock (lock.ts: two
  // imports interleaving could both pass the rollback check against the same old tree).
  const rest = { input, opts: { ...opts, trustDir }, caps, profile, layout, folder, ...(gun ? { gun } : {}) };
  // A full disk, a read-only file system or a folder this user may not write is the machine's state, not
  // a bug: named by folder and cause (DISK_FULL, READ_ONLY, PERMISSION_DENIED), never INTERNAL. The swap
  // has put the tree back by then (src/io/trust-dir.ts), so what was installed before stays.
  const fault = (err: unknown) =>
    fsFault(err, trustDir, opts.dryRun ? 'reading the trust directory' : 'importing into the trust directory', opts.dryRun ? 'Nothing was written' : 'Nothing was installed: the trust folder holds what it held before');
  let lockNotReleased: string | undefined;
  try {
    if (opts.dryRun) return await verifyAndInstall(rest);
    const result = await withImportLock(importLockPath(trustDir, layout), opts.lockFs ?? nodeLockFs(), () => verifyAndInstall(rest), {
      waitMs: opts.lockWaitMs ?? 0,
      onReleaseError: (message) => {
        lockNotReleased = message;
      },
      onRemovedLeftovers: (removed) => {
        for (const r of removed) opts.onRemovedLockLeftover?.(describeRemovedLeftover(r));
      },
    });
    return lockNotReleased ? { ...result, lockNotReleased } : result;
  } catch (err) {
    // Installed, then the clean-up failed: the lock's release is reported with the install, as on success.
    if (err instanceof InstalledCleanupFailed && 'single' in err.installed && lockNotReleased) err.installed.single.lockNotReleased = lockNotReleased;
    throw fault(err);
  }
}

async function verifyAndInstall(a: { input: ImportSource; opts: ImportOptions; caps: SizeCaps; profile: ProfileName; layout: TrustLayout; folder: string; gun?: string }): Promise<ImportResult> {
  const { input, opts, caps, profile, layout, folder, gun } = a;
  // An import interrupted earlier is finished or undone first, so what is "installed" is one whole tree
  // (a dry run only reads).
  const fs = opts.trustDirFs;
  // Before anything is read, recovered or written: no link on the way to the folder or the sessions folder.
  await refuseLinksOnTheWay(opts.trustDir, layout, folder, fs ?? nodeTrustDirFs());
  // Before anything is read as "installed": a folder that is this one only on Windows or macOS is another
  // repository's (folder-case.ts).
  if (gun) await refuseFoldedTwin(opts.trustDir, gun, fs ?? nodeTrustDirFs());
  const within = { within: opts.trustDir, ...(fs ? { fs } : {}) };
  if (!opts.dryRun) await recoverTrustDir(folder, within);
  // The read bound counts files, TUF_LAYOUT_NAMES_PER_ROLE per metadata file in the tuf layout: it applies
  // while reading, before the snapshot is parsed, so it cannot know which file is whose (tufLayoutCopies
  // decides that afterwards). caps.files bounds the roles: every input verified here met it.
  const tree = await readTrustDir(folder, (name) => (name === IMPORTS_LOG ? LOG_CAP : capFor(name, caps)), (layout === 'tuf' ? TUF_LAYOUT_NAMES_PER_ROLE : 1) * caps.files + 1, fs);
  let installed: ReturnType<typeof installedVersions> | undefined;
  if (tree && tree.has('root.json')) installed = installedVersions(tree, profile, caps);
  else if (tree && [...tree.keys()].some((n) => n !== IMPORTS_LOG)) {
    throw new CeremonyError('TRUST_DIR_INVALID', 'the trust folder holds metadata but no root.json', { path: folder });
  }

  const { next, record, versions, pinnedBy, verified, attestations, notWritten } = prepareInstall({ input, opts, caps, profile, layout, ...(gun ? { gun } : {}), installed, oldLog: tree?.get(IMPORTS_LOG) });

  const result: ImportResult = {
    profile,
    layout,
    ...(gun ? { gun } : {}),
    folder,
    trustDir: opts.trustDir,
    pinnedBy,
    ...(installed ? { previous: installed.versions } : {}),
    versions,
    files: [...next.keys()].filter((n) => n !== IMPORTS_LOG).sort(),
    fileHashes: metadataHashes(next),
    record,
    verified,
    ...(attestations ? { attestations } : {}),
    ...(notWritten ? { notWritten } : {}),
  };
  if (opts.dryRun) return result;
  // Last refusal before anything is written (ImportOptions.beforeInstall).
  await opts.beforeInstall?.(result);
  // A failure after the swap's rename still installed it: the error carries the result (installed-cleanup.ts).
  await installing(() => swapTrustDir(folder, next, { ...(opts.onStep ? { onStep: opts.onStep } : {}), ...within }), () => ({ single: result }));
  return result;
}

/**
 * TRUST_DIR_INVALID when a component from the (resolved) trust directory down to `folder`, or the site's
 * sessions folder (import-session.ts siteSessionsDir: its transcript is written there after the import),
 * is a link or not a folder (review-12 L1; src/io/trust-dir.ts refuseLinksBelow). In the tuf layout the
 * folder is the trust directory itself, which resolveTrustDir has resolved.
 */
export async function refuseLinksOnTheWay(trustDir: string, layout: TrustLayout, folder: string, fs: TrustDirFs): Promise<void> {
  await refuseLinksBelow(trustDir, folder, fs);
  const sessions = siteSessionsDir(trustDir, layout);
  await refuseLinksBelow(dirname(sessions), sessions, fs);
}

/** REPOSITORY_FOLDER_COLLISION when `tuf/` already holds another repository's folder that is `tuf/<gun>` on Windows or macOS (folder-case.ts). */
async function refuseFoldedTwin(trustDir: string, gun: string, fs: TrustDirFs): Promise<void> {
  const refusal = await folderCollisionOf(gun, folderListing(fs, join(trustDir, 'tuf')), repositoryMarker('notary'), 'tuf', '$.repository');
  if (refusal) throw refusal;
}

/**
 * The pin, the complete verification and the folder's new content (metadata + imports.log with one more
 * line) for one repository, given what is installed: what a single import and a set import
 * (install-set.ts) both do before anything is written. Throws the verifier's refusal.
 */
export function prepareInstall(a: {
  input: ImportSource;
  opts: Pick<ImportOptions, 'trustedRoot' | 'rootFingerprint' | 'now' | 'attestations' | 'signatureBatch'>;
  caps: SizeCaps;
  profile: ProfileName;
  layout: TrustLayout;
  gun?: string;
  installed: ReturnType<typeof installedVersions> | undefined;
  oldLog: Uint8Array | undefined;
  /** The signature work to charge (VerifyOptions.work): a set import's, shared by its repositories. */
  work?: SignatureWork;
}): { next: Map<string, Uint8Array>; record: JsonObject; versions: TrustedVersions; pinnedBy: ImportResult['pinnedBy']; verified: VerifiedRepository; attestations?: KeyAttestationView[]; notWritten?: UnwrittenCopy[] } {
  const { input, opts, caps, profile, layout, gun, installed } = a;
  // The pin.
  let trustedRoot: Uint8Array;
  let pinnedBy: ImportResult['pinnedBy'];
  if (opts.trustedRoot) {
    trustedRoot = opts.trustedRoot;
    pinnedBy = 'file';
  } else if (opts.rootFingerprint) {
    const want = normaliseFingerprint(opts.rootFingerprint);
    const candidates = [input.files.root, ...input.files.versionedRoots.values(), installed?.root.bytes].filter((b): b is Uint8Array => b !== undefined);
    const found = candidates.find((b) => sha256Hex(b) === want);
    if (!found) throw new CeremonyError('IMPORT_PIN_NOT_FOUND', `no root with SHA-256 ${want.slice(0, 16)}… is in ${input.source} or installed`, { path: 'root.json' });
    trustedRoot = found;
    pinnedBy = 'fingerprint';
  } else if (installed) {
    trustedRoot = installed.root.bytes;
    pinnedBy = 'installed';
  } else {
    throw new CeremonyError('USAGE', 'nothing is installed yet: pin the trusted root with --root FILE or --root-fingerprint HEX');
  }
  // TUF 5.3: once a root is installed, every update chains from its exact bytes; a pin must agree with it
  // (pin.ts: an older pin must reach it byte for byte through the input's chain).
  const anchor = resolveTrustAnchor(trustedRoot, installed?.root, input.files, caps.root);

  // TUF 5.3–5.6, complete, with rollback against what is installed and expiry by the local clock.
  const verified = verifyRepository(input.files, {
    trustedRoot: anchor,
    now: opts.now,
    ...(installed ? { installed: installed.versions } : {}),
    caps,
    ...(gun ? { gun } : {}),
    requireComplete: true,
    ...(opts.signatureBatch ? { signatureBatch: opts.signatureBatch } : {}),
    ...(a.work ? { work: a.work } : {}),
  });

  // attestations.json against the verified root's keys, before anything is written: a refusal installs nothing.
  const attestations = checkRepositoryAttestations(verified.root.signed, input.files.attestations, {
    strict: true,
    now: opts.now,
    ...(opts.attestations?.trust ? { trust: opts.attestations.trust } : {}),
    ...(opts.attestations?.requirement ? { requirement: opts.attestations.requirement } : {}),
  });

  const next = new Map<string, Uint8Array>();
  next.set('root.json', verified.root.bytes);
  next.set('timestamp.json', verified.timestamp!.md.bytes);
  next.set('snapshot.json', verified.snapshot!.md.bytes);
  next.set('targets.json', verified.targets!.md.bytes);
  // Each delegated role's files as its layout's clients read them (roleFiles). Role names are file names
  // from here on: refused before anything is written when two files are one, or one cannot be a file, on
  // some file system (file-names.ts) — checked on the names written, blaming the role as the bundle names it.
  const files: InstallFile[] = [...next.keys()].map((file) => ({ file }));
  const unwritten: UnwrittenCopy[] = [];
  for (const name of verified.delegated.keys()) {
    const role = roleFiles(layout, name);
    for (const file of role.files) files.push({ file, role: name });
    if (role.unwritten) unwritten.push(role.unwritten);
  }
  checkInstallFileNames(files, (f) => (f.role === undefined ? f.file : roleNamePath(verified, f.role)));
  for (const f of files) if (f.role !== undefined) next.set(f.file, verified.delegated.get(f.role)!.md.bytes);
  const versions = trustedVersionsOf(verified);
  const record: JsonObject = {
    time: opts.now.toISOString(),
    source: input.source,
    profile,
    layout,
    ...(gun ? { gun } : {}),
    pinnedBy,
    pinnedRootSha256: sha256Hex(trustedRoot),
    ...(input.bundle ? { bundleSha256: input.bundle.hash.sha256, bundleShortHash: input.bundle.hash.hex } : {}),
    previousRootVersion: installed ? installed.versions.root : null,
    versions: versionsJson(versions),
    // Said where the import is recorded: a python-tuf client at this site has no local copy of these roles.
    ...(unwritten.length ? { notWritten: unwritten.map((u) => ({ role: u.role, file: u.file, reason: `python-tuf cannot store this role's file: ${u.why}` })) } : {}),
  };
  const oldLog = a.oldLog ?? new Uint8Array();
  const line = new TextEncoder().encode(`${canonicalString(record, 'json')}\n`);
  const log = new Uint8Array(oldLog.length + line.length);
  log.set(oldLog);
  log.set(line, oldLog.length);
  next.set(IMPORTS_LOG, log);

  return { next, record, versions, pinnedBy, verified, ...(attestations ? { attestations: attestations.keys } : {}), ...(unwritten.length ? { notWritten: unwritten } : {}) };
}

/**
 * The files of delegated role `role` in a layout's folder (installedVersions reads them back):
 *   notary  `targets/<role>.json`, the name as it is: where notary's client keeps a delegation
 *           (shared/FIELD-NOTES.md, Notary client trust), and its names are [-a-z0-9_/] only
 *           (tuf/targets.ts NOTARY_DELEGATION), so no escaping can make another name of one;
 *   tuf     file-names.ts tufLayoutInstallFiles: `<role>.json` (tuf-js), and python-tuf's escaped name when it differs
 *           and can be a file (else the record's `notWritten` says so).
 */
export function roleFiles(layout: TrustLayout, role: string): { files: string[]; unwritten?: UnwrittenCopy } {
  return layout === 'notary' ? { files: [`${role}.json`] } : tufLayoutInstallFiles(role);
}

/** Where delegated role `name` is named: its delegator's `delegations.roles[i].name`, else `<name>.json`. */
function roleNamePath(verified: VerifiedRepository, name: string): string {
  const file = `${name}.json`;
  const role = verified.delegated.get(name);
  if (!role) return file;
  const delegator = role.delegatedBy === 'targets' ? verified.targets?.md : verified.delegated.get(role.delegatedBy)?.md;
  const i = delegator?.signed.delegations?.roles.findIndex((r) => r.name === name) ?? -1;
  return i >= 0 ? `${role.delegatedBy}.json $.signed.delegations.roles[${i}].name` : file;
}

/** SHA-256 of each metadata file of a folder's new content (imports.log, the site's record, left out). */
export function metadataHashes(next: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...next.keys()].sort()) if (name !== IMPORTS_LOG) out[name] = sha256Hex(next.get(name)!);
  return out;
}

function capFor(name: string, caps: SizeCaps): number {
  try {
    return capForName(name, caps);
  } catch (err) {
    throw trustDirInvalid(name, err);
  }
}

function versionsJson(v: TrustedVersions): JsonObject {
  const out: JsonObject = { root: v.root };
  if (v.timestamp !== undefined) out.timestamp = v.timestamp;
  if (v.snapshot !== undefined) out.snapshot = v.snapshot;
  if (v.targets !== undefined) out.targets = v.targets;
  if (v.delegated) out.delegated = { ...v.delegated };
  return out;
}
