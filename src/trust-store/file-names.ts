/**
 * The file names an install writes, checked before anything is written: role names become file names
 * (`<role>.json`, Notary `targets/<role>.json`), and TUF role names are arbitrary strings (TUF 4.5), so a
 * verified bundle can name two roles whose files are one file on another file system, or a file some
 * file system cannot hold. A trust folder is copied between machines (and the app runs on Windows and
 * macOS), so the rule is the same everywhere:
 *
 * - ROLE_FILE_NAME_COLLISION: two names that are one file on a case-insensitive (NTFS, APFS and HFS+ by
 *   default) or normalisation-insensitive (APFS, HFS+: NFC = NFD) file system, or on HFS+, which ignores
 *   some invisible code points (foldedFileName): `A.json` / `a.json`, `é` precomposed / decomposed,
 *   `Root.json` / `root.json`, `releases.json` / `rel\u200Deases.json`. One would overwrite the other, and a client
 *   would read the wrong role's file. Folding is generous (full case mapping, both ways), so it may refuse
 *   a pair one file system keeps apart; never the reverse.
 * - ROLE_FILE_NAME_UNPORTABLE: a name Windows cannot hold or reads as another (device names `CON`,
 *   `nul.json`, `COM1`…; `<>:"|?*`; a trailing `.` or space, which Windows drops), one that is not valid
 *   Unicode (a lone surrogate: written as U+FFFD, which another name may hold), or longer than the 255
 *   bytes most file systems allow in a name.
 *
 * Verification itself is unchanged: these names are valid TUF and a client that keeps them in memory
 * reads them; only installing them as files is refused.
 */
import { CeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { quoteShown } from '../json/fields.js';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import type { MetaFile } from '../tuf/meta-file.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import { checkBytesAgainstMeta, type RepositoryFiles } from '../tuf/repository.js';
import type { Snapshot } from '../tuf/snapshot.js';
import { endsWithDotOrSpace, windowsDeviceOf } from '../tuf/windows-names.js';

/** Characters Windows refuses in a name (and controls: refused earlier for role names, kept here for any file). */
const WINDOWS_FORBIDDEN = /[<>:"|?*\\\u0000-\u001f]/u;
const LONE_SURROGATE = /\p{Surrogate}/u;
const MAX_NAME_BYTES = 255;

/** Why one path segment cannot be a file name everywhere, or undefined. */
export function unportableSegment(segment: string): string | undefined {
  if (LONE_SURROGATE.test(segment)) return 'it is not valid Unicode (a lone surrogate would be written as U+FFFD)';
  const bad = WINDOWS_FORBIDDEN.exec(segment);
  if (bad) return `Windows file names cannot hold ${quoteShown(bad[0])}`;
  if (endsWithDotOrSpace(segment)) return 'Windows drops a trailing "." or space from a file name, so it would be another file';
  const device = windowsDeviceOf(segment);
  if (device !== undefined) return `${quoteShown(device)} is a Windows device name: the file cannot be written there`;
  if (new TextEncoder().encode(segment).length > MAX_NAME_BYTES) return `a file name longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/**
 * Code points HFS+ ignores when it compares names (Apple TN1150, "Case-Insensitive String Comparison": its
 * lower-case table maps them to 0, "ignore"): zero-width non-joiner, joiner and the direction marks
 * U+200C–200F, the embeddings and overrides U+202A–202E, the deprecated format characters U+206A–206F and
 * U+FEFF. `releases.json` and `rel\u200Deases.json` are one file there (review-12 L3).
 */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/gu;

/** The name as a case- and normalisation-insensitive file system sees it (generously: see the file comment), HFS+'s ignored code points dropped. */
export function foldedFileName(name: string): string {
  return name.replace(HFS_IGNORABLE, '').normalize('NFD').toUpperCase().toLowerCase().normalize('NFD');
}

/** A file an install writes; `role`: the delegated role it holds, as the bundle names it. */
export interface InstallFile {
  file: string;
  role?: string;
}

/**
 * Refuse a set of file paths (`/`-separated, relative to the folder) that cannot all be written as
 * distinct files everywhere — the same path twice included (two roles whose tuf-layout files meet:
 * tufLayoutRoleFiles). `pathOf(file)`: the JSON path to blame for a file (where its role is named).
 */
export function checkInstallFileNames(files: Iterable<string | InstallFile>, pathOf: (file: InstallFile) => string): void {
  // The file as written, and the role as the bundle names it when the file is a delegated role's.
  const shown = (f: InstallFile): string => (f.role === undefined ? quoteShown(f.file) : `${quoteShown(f.file)} (role ${quoteShown(f.role)})`);
  const seen = new Map<string, InstallFile>();
  for (const item of files) {
    const f = typeof item === 'string' ? { file: item } : item;
    for (const segment of f.file.split('/')) {
      const why = unportableSegment(segment);
      if (why) throw new CeremonyError('ROLE_FILE_NAME_UNPORTABLE', `the file ${shown(f)} cannot be installed: ${why}; nothing was installed`, { path: pathOf(f) });
    }
    const key = foldedFileName(f.file);
    const other = seen.get(key);
    if (other !== undefined) {
      const why = other.file === f.file ? 'are one file' : 'are one file on a case- or normalisation-insensitive file system (Windows, macOS)';
      throw new CeremonyError('ROLE_FILE_NAME_COLLISION', `the files ${shown(other)} and ${shown(f)} ${why}: one would overwrite the other; nothing was installed`, { path: pathOf(f) });
    }
    seen.set(key, f);
  }
}

/** The bytes python's `urllib.parse.quote(s, safe="")` keeps (its `_ALWAYS_SAFE`): letters, digits, `_.-~`. */
const QUOTE_SAFE = /^[A-Za-z0-9_.~-]$/u;

/**
 * python-tuf ngclient's file stem for a role in its metadata folder: `parse.quote(rolename, "")` (UTF-8
 * bytes, `%XX` upper-case hex). `encodeURIComponent` differs only in keeping `!'()*`.
 */
export function pythonTufQuote(role: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(role)) {
    const c = String.fromCharCode(byte);
    out += QUOTE_SAFE.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The files of a TUF client's metadata folder (the tuf layout: install.ts) that hold delegated role
 * `role` — the one place that names them. The reference clients read a delegated role's local copy from
 * different files once its name needs escaping:
 *
 * - tuf-js (node_modules/tuf-js/dist/updater.js, 5.0.1 and @sigstore/tuf's 4.1.0): `loadTargets` reads
 *   `loadLocalMetadata(role)` = `path.join(this.dir, fileName + '.json')`, the name as it is; only
 *   `persistMetadata` (after a download) writes `encodeURIComponent(role) + '.json'`, which it never reads;
 * - python-tuf ngclient (`Updater._load_local_metadata`, `_persist_metadata`): `parse.quote(rolename, "")`
 *   + `.json`, read and written.
 *
 * So `release 2` is `release 2.json` to tuf-js and `release%202.json` to python-tuf; `a!b` is `a!b.json`
 * and `a%21b.json`. Installing one would serve one client and send the other to the network for the
 * role — impossible at an air-gapped site — so both files are written, the same bytes: `<role>.json`
 * first (tuf-js), then python-tuf's when it differs. A name made only of letters, digits and `_.-~` is one
 * file to both. The files then meet the portability checks (checkInstallFileNames), the escaped one too:
 * `x%y`'s `x%25y.json` is role `x%25y`'s own file (COLLISION), a long escaped name may pass 255 bytes.
 */
export function tufLayoutRoleFiles(role: string): string[] {
  const asIs = `${role}.json`;
  const quoted = `${pythonTufQuote(role)}.json`;
  return quoted === asIs ? [asIs] : [asIs, quoted];
}

/** A file tufLayoutRoleFiles names that an install leaves out, and why. */
export interface UnwrittenCopy {
  role: string;
  file: string;
  why: string;
}

/**
 * The files an install writes for delegated role `role` in the tuf layout: tufLayoutRoleFiles, except
 * python-tuf's quoted copy when that name alone cannot be a file (unportableSegment: most often over 255
 * bytes — `'ü'.repeat(50)` is 105 bytes as it is, 305 quoted). python-tuf could never store that file
 * itself (its own write fails the same way), so leaving it out takes nothing from it, while refusing
 * would stop every renewal of a role tuf-js reads fine. The as-is name is checked by
 * checkInstallFileNames as before: an unportable one is still refused.
 */
export function tufLayoutInstallFiles(role: string): { files: string[]; unwritten?: UnwrittenCopy } {
  const [asIs, quoted] = tufLayoutRoleFiles(role) as [string, string | undefined];
  if (quoted === undefined) return { files: [asIs] };
  const why = unportableSegment(quoted);
  if (why !== undefined && asIs.split('/').every((segment) => unportableSegment(segment) === undefined)) return { files: [asIs], unwritten: { role, file: quoted, why } };
  return { files: [asIs, quoted] };
}

/**
 * The most names one delegated role has in a tuf-layout folder read back (tufLayoutFileRoles): as it is,
 * python-tuf's quoted one, tuf-js's persisted one (`a b!`: `a b!.json`, `a%20b%21.json`, `a%20b!.json`).
 */
export const TUF_LAYOUT_NAMES_PER_ROLE = 3;

/**
 * Reading a tuf-layout folder back: the delegated role each of its files holds, given the roles its
 * snapshot lists (tufLayoutRoleFiles, inverted), and the file tuf-js itself writes after downloading a
 * role (persistMetadata: `encodeURIComponent(role).json`, a third name when the role holds one of `!'()*`
 * and something else to escape: `a b!` → `a%20b!.json`). A file of its own name wins over another role's
 * copy (an install refuses a folder where they meet; a client's own files may). A file no listed role
 * writes is the role of its own name, as before.
 */
export function tufLayoutFileRoles(roles: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  const listed = [...roles];
  for (const role of listed) out.set(`${role}.json`, role);
  for (const role of listed) {
    for (const file of [...tufLayoutRoleFiles(role).slice(1), tufJsPersistedFile(role)]) if (file !== undefined && !out.has(file)) out.set(file, role);
  }
  return out;
}

/** tuf-js's persistMetadata name; none for a name encodeURIComponent refuses (a lone surrogate: never installed). */
function tufJsPersistedFile(role: string): string | undefined {
  try {
    return `${encodeURIComponent(role)}.json`;
  } catch {
    return undefined;
  }
}

/** A copy of a delegated role in a tuf-layout folder: its file and bytes. */
export interface TufLayoutCopy {
  file: string;
  bytes: Uint8Array;
}

/** One delegated role of a tuf-layout folder read back, with every file that holds it (tufLayoutFileRoles). */
export interface TufLayoutRoleCopies {
  role: string;
  /** Its files as found: the as-is name first, then python-tuf's, then tuf-js's persisted one. */
  copies: TufLayoutCopy[];
  /**
   * The copy that is the role's: the only one; else, when all hold the same bytes, the first; else the
   * first whose bytes snapshot.json records (length and hashes, or without hashes its version). Undefined
   * when the copies differ and none is the one the snapshot records.
   */
  chosen?: TufLayoutCopy;
}

/**
 * Which file of a tuf-layout folder read back is each delegated role's — the one decision that verify,
 * inspect and status (foldTufLayoutCopies) and an import's rollback check (install.ts installedVersions)
 * share. `delegated`: the folder's delegated files by the role of their own name (`release%202` for
 * `release%202.json`). `snapshot`: the folder's snapshot.json, parsed but not verified — it only says
 * which bytes to take, and whatever is taken is verified in full afterwards (TUF 5.6.1–5.6.3 against the
 * verified snapshot), so a forged one can make verification fail, never pass. Without it every file is
 * the role of its own name.
 *
 * Why by the snapshot: the clients write different names (tufLayoutRoleFiles), so after a normal update
 * the copies differ — tuf-js writes `encodeURIComponent(role).json` and keeps reading the as-is copy, which
 * stays old; python-tuf writes its quoted name, which is often that same file. The copy the snapshot
 * records is the one this state of the repository consists of, whichever client wrote it. Two differing
 * copies the snapshot both accepts (no hashes, same version) are the earlier in the order above: each is
 * verified as the role in full.
 */
export function tufLayoutCopies(delegated: ReadonlyMap<string, Uint8Array>, snapshot: Metadata<Snapshot> | undefined, caps: SizeCaps = DEFAULT_CAPS): TufLayoutRoleCopies[] {
  const fileRoles = snapshot ? tufLayoutFileRoles(snapshot.signed.meta.keys()) : new Map<string, string>();
  const byRole = new Map<string, TufLayoutCopy[]>();
  for (const [name, bytes] of delegated) {
    const file = `${name}.json`;
    const role = fileRoles.get(file) ?? name;
    const copies = byRole.get(role) ?? [];
    copies.push({ file, bytes });
    byRole.set(role, copies);
  }
  const out: TufLayoutRoleCopies[] = [];
  for (const [role, found] of byRole) {
    const order = copyOrder(role);
    const copies = [...found].sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file));
    const first = copies[0]!;
    const meta = snapshot?.signed.meta.get(role);
    const chosen = copies.every((c) => bytesEqual(c.bytes, first.bytes)) ? first : meta && snapshot ? copies.find((c) => recordedBy(snapshot, meta, c, caps)) : undefined;
    out.push(chosen ? { role, copies, chosen } : { role, copies });
  }
  return out;
}

/** A role's possible file names, in the order copies are taken: as-is, python-tuf's, tuf-js's persisted. */
function copyOrder(role: string): string[] {
  const persisted = tufJsPersistedFile(role);
  return [...tufLayoutRoleFiles(role), ...(persisted === undefined ? [] : [persisted])];
}

/** Whether `copy` is the file snapshot.json's `meta` entry describes: length and hashes, else version (TUF 5.6.2–5.6.3). */
function recordedBy(snapshot: Metadata<Snapshot>, meta: MetaFile, copy: TufLayoutCopy, caps: SizeCaps): boolean {
  try {
    checkBytesAgainstMeta(snapshot.profile, meta, copy.bytes, copy.file, 'snapshot.json');
    if (meta.hashes) return true;
    return meta.version === undefined || versionOf(copy, caps) === meta.version;
  } catch {
    return false;
  }
}

function versionOf(copy: TufLayoutCopy, caps: SizeCaps): number | undefined {
  try {
    return parseMetadata(copy.bytes, 'targets', { maxBytes: caps.delegated, source: copy.file }).signed.version;
  } catch {
    return undefined;
  }
}

/**
 * What reading a folder back does with a role whose copies differ and none is the one the snapshot
 * records: `refuse` (verify, inspect, an import from the folder: there is no copy to verify), or take the
 * `newest` any copy holds (status, which reports expiries and verifies nothing: a client that refreshed
 * its snapshot but has not downloaded the role yet is a normal state, and the newest copy is the latest
 * any client at the site trusts — install.ts installedVersions counts it the same way for rollback).
 */
export type UnrecordedCopies = 'refuse' | 'newest';

/**
 * A TUF client metadata folder read as a repository (`verify`, `inspect`, `status`, `import` from an
 * installed folder: src/io/files.ts readRepositoryDir): each delegated role is the copy tufLayoutCopies
 * picks by the folder's snapshot, so python-tuf's escaped copy (`release%202.json`) or tuf-js's persisted
 * one is that role's file, not a role of its own name nobody delegates to. Copies that differ with none
 * the snapshot records (a folder caught between a client's snapshot update and its download of the role,
 * or edited by hand) are refused, UNEXPECTED_FILE, naming each copy's version and what the snapshot
 * records — or, for status, the newest is taken (UnrecordedCopies). A folder with no `%` in a delegated name, or no readable snapshot, is returned as it is.
 */
export function foldTufLayoutCopies(files: RepositoryFiles, caps: SizeCaps = DEFAULT_CAPS, unrecorded: UnrecordedCopies = 'refuse'): RepositoryFiles {
  if (!files.snapshot || ![...files.delegated.keys()].some((n) => n.includes('%'))) return files;
  let snapshot: Metadata<Snapshot>;
  try {
    snapshot = parseMetadata(files.snapshot, 'snapshot', { maxBytes: caps.snapshot, source: 'snapshot.json' });
  } catch {
    return files; // verification says what is wrong with it
  }
  const delegated = new Map<string, Uint8Array>();
  for (const r of tufLayoutCopies(files.delegated, snapshot, caps)) {
    const copy = r.chosen ?? (unrecorded === 'newest' ? newestCopy(r, caps) : undefined);
    if (!copy) throw noRecordedCopy(r, snapshot, caps);
    delegated.set(r.role, copy.bytes);
  }
  return { ...files, delegated };
}

/** The copy of the highest version (the earlier name on a tie); none when no copy is readable metadata. */
function newestCopy(r: TufLayoutRoleCopies, caps: SizeCaps): TufLayoutCopy | undefined {
  let best: { copy: TufLayoutCopy; version: number } | undefined;
  for (const copy of r.copies) {
    const version = versionOf(copy, caps);
    if (version !== undefined && (best === undefined || version > best.version)) best = { copy, version };
  }
  return best?.copy;
}

function noRecordedCopy(r: TufLayoutRoleCopies, snapshot: Metadata<Snapshot>, caps: SizeCaps): CeremonyError {
  // Copies are grouped only for roles the snapshot lists (tufLayoutFileRoles), so the entry is there.
  const meta = snapshot.signed.meta.get(r.role) ?? { unrecognized: {} };
  const copies = r.copies.map((c) => {
    const v = versionOf(c, caps);
    return `${quoteShown(c.file)} (${v === undefined ? 'not readable metadata' : `version ${v}`}, ${c.bytes.length} bytes)`;
  });
  const recorded = [meta.version === undefined ? undefined : `version ${meta.version}`, meta.length === undefined ? undefined : `${meta.length} bytes`, meta.hashes ? 'its hashes' : undefined].filter((x) => x !== undefined).join(', ');
  const key = `${r.role}.json`;
  return new CeremonyError(
    'UNEXPECTED_FILE',
    `role ${quoteShown(r.role)} is held by ${r.copies.length} files that differ — ${copies.join(', ')} — and none is the one snapshot.json v${snapshot.signed.version} records (${recorded}): the folder is not one state of the repository (a client's update not finished, or a file changed by hand); import the repository into it again`,
    { path: `snapshot.json $.signed.meta[${JSON.stringify(key)}]` },
  );
}
