/**
 * The hostable repository tree: the files a TUF client fetches from a static host (tuf-js, python-tuf,
 * `@sigstore/tuf`, go-tuf), laid out as TUF 5.2 says they are named, built from a *verified* repository
 * so nothing unverified rides along.
 *
 * ```
 * OUT/1.root.json … N.root.json     every root version from the pinned one (TUF 5.3.3 fetches N+1.root.json)
 * OUT/timestamp.json                 never versioned (TUF 5.4.1)
 * OUT/V.snapshot.json                consistent_snapshot: true (TUF 5.5.1); else snapshot.json
 * OUT/V.targets.json, V.ROLE.json    the versions the snapshot names (TUF 5.6.1); else targets.json, ROLE.json
 * OUT/targets/DIR/HASH.NAME          consistent: one copy per hash the targets entry records (TUF 5.7.3:
 *                                    tuf-js takes the first hash listed, python-tuf any); else targets/NAME
 * ```
 *
 * Root versions below the pinned one are left out: they cannot be verified from the pin (a root is proven
 * only by the root before it), and clients pinned earlier must be given a tree made from their pin.
 */
import { CeremonyError } from '../errors.js';
import { bytesEqual, digest, isSupportedHash } from '../crypto/digest.js';
import type { NamedBytes } from '../tuf/repository-files.js';
import type { RepositoryFiles, VerifiedRepository } from '../tuf/repository.js';
import type { TargetFile } from '../tuf/targets.js';

export interface TreeTarget {
  /** The target path as the targets metadata names it. */
  name: string;
  /** The role that lists it (`targets` or a delegated role). */
  role: string;
  length: number;
  sha256?: string;
  /** Where its copies are in the tree (relative, `/`-separated); empty when its bytes were not given. */
  paths: string[];
}

export interface TreeLayout {
  consistentSnapshot: boolean;
  /** Every file of the tree, metadata first, in writing order (timestamp.json last: see writeTree). */
  entries: NamedBytes[];
  targets: TreeTarget[];
  /** Targets listed in the metadata whose bytes were not given (the tree holds their metadata only). */
  missingTargets: string[];
}

/** Target names become paths under `targets/`: nothing may climb out or hide (TUF 4.5 TARGETPATH is relative). */
export function targetPathSegments(name: string, where = name): string[] {
  const segments = name.split('/');
  const bad = name.length === 0 || name.length > 1024 || segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith('.') || /[\u0000-\u001f\u007f\\]/.test(s));
  if (bad) throw new CeremonyError('TARGET_NAME_UNSAFE', `target ${JSON.stringify(name)} cannot be a file under targets/`, { path: where });
  return segments;
}

/** TUF 5.7.3: with consistent snapshots a target is fetched as `DIR/HASH.BASENAME`, one name per recorded hash. */
export function targetFilePaths(name: string, file: TargetFile, consistent: boolean): string[] {
  const segments = targetPathSegments(name);
  if (!consistent) return [`targets/${name}`];
  const dir = segments.slice(0, -1);
  const base = segments[segments.length - 1]!;
  return [...new Set(Object.values(file.hashes))].map((h) => ['targets', ...dir, `${h}.${base}`].join('/'));
}

/** TUF 5.7.2: the bytes must have the length and every known hash the targets entry records. */
export function checkTargetBytes(name: string, file: TargetFile, bytes: Uint8Array, where = name): void {
  if (bytes.length !== file.length) {
    throw new CeremonyError('TARGET_FILE_MISMATCH', `${name} is ${bytes.length} bytes but its targets entry says ${file.length}`, { path: where });
  }
  let checked = 0;
  for (const [alg, hex] of Object.entries(file.hashes)) {
    if (!isSupportedHash(alg)) continue;
    if (!bytesEqual(digest(alg, bytes), Buffer.from(hex, 'hex'))) {
      throw new CeremonyError('TARGET_FILE_MISMATCH', `${name} does not have the ${alg} hash its targets entry records`, { path: where });
    }
    checked++;
  }
  if (checked === 0) throw new CeremonyError('TARGET_FILE_MISMATCH', `the targets entry of ${name} records no hash we can check`, { path: where });
}

/** Every target the verified roles list, by role (targets first, then delegated roles breadth first). */
export function listedTargets(repo: VerifiedRepository): { role: string; name: string; file: TargetFile }[] {
  const out: { role: string; name: string; file: TargetFile }[] = [];
  if (repo.targets) for (const [name, file] of repo.targets.md.signed.targets) out.push({ role: 'targets', name, file });
  for (const [role, v] of repo.delegated) for (const [name, file] of v.md.signed.targets) out.push({ role, name, file });
  return out;
}

/**
 * Of `files` (target bytes by name), those that still match an entry of the verified roles: carried from an
 * older tree into a new one, a file whose entry changed (a new version under the same name) is dropped.
 */
export function matchingTargetFiles(repo: VerifiedRepository, files: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const { name, file } of listedTargets(repo)) {
    const bytes = files.get(name);
    if (!bytes) continue;
    try {
      checkTargetBytes(name, file, bytes);
      out.set(name, bytes);
    } catch {
      // superseded: the new entry names other bytes
    }
  }
  return out;
}

/**
 * The tree for a repository `verifyRepository` accepted (complete: timestamp, snapshot, targets), from the
 * same `files`, and the target files' bytes by target name (each checked against its entry; a target whose
 * bytes are not given is reported in `missingTargets`). Only the TUF profile: Notary clients fetch from
 * notary-server, not from a static tree.
 */
export function buildTreeLayout(repo: VerifiedRepository, files: RepositoryFiles, targetFiles: ReadonlyMap<string, Uint8Array> = new Map()): TreeLayout {
  if (repo.profile !== 'tuf') throw new CeremonyError('USAGE', 'a hostable tree is for TUF repositories; Notary clients fetch from notary-server');
  if (!repo.timestamp || !repo.snapshot || !repo.targets) throw new CeremonyError('META_MISSING', 'a hostable tree needs timestamp, snapshot and targets metadata', { path: 'timestamp.json' });
  const consistent = repo.root.signed.consistentSnapshot;
  const entries: NamedBytes[] = [];

  // TUF 5.3.3: every root version a client pinned at the trusted one walks, the verified chain only.
  const pinned = repo.trustedRoot.signed.version;
  const final = repo.root.signed.version;
  for (let v = pinned; v <= final; v++) {
    const bytes = v === pinned ? repo.trustedRoot.bytes : v === final ? repo.root.bytes : files.versionedRoots.get(v);
    if (!bytes) throw new CeremonyError('ROOT_VERSION_SKIPPED', `root version ${v} is missing`, { path: `${v}.root.json` });
    entries.push({ name: `${v}.root.json`, bytes });
  }
  const versioned = (role: string, version: number): string => (consistent ? `${version}.${role}.json` : `${role}.json`);
  entries.push({ name: versioned('snapshot', repo.snapshot.md.signed.version), bytes: repo.snapshot.md.bytes });
  entries.push({ name: versioned('targets', repo.targets.md.signed.version), bytes: repo.targets.md.bytes });
  for (const [role, v] of repo.delegated) entries.push({ name: versioned(role, v.md.signed.version), bytes: v.md.bytes });

  const targets: TreeTarget[] = [];
  const missingTargets: string[] = [];
  const written = new Set<string>();
  for (const { role, name, file } of listedTargets(repo)) {
    const paths = targetFilePaths(name, file, consistent);
    const bytes = targetFiles.get(name);
    const entry: TreeTarget = { name, role, length: file.length, paths: [], ...(file.hashes.sha256 ? { sha256: file.hashes.sha256 } : {}) };
    targets.push(entry);
    if (!bytes) {
      missingTargets.push(name);
      continue;
    }
    checkTargetBytes(name, file, bytes, `targets/${name}`);
    for (const path of paths) {
      // Two roles may list one path (a delegation shadowing targets): without consistent snapshots only
      // one file can sit there, so the two must be the very same bytes.
      if (written.has(path)) {
        const other = entries.find((e) => e.name === path)!;
        if (!bytesEqual(other.bytes, bytes)) throw new CeremonyError('TARGET_FILE_MISMATCH', `two roles list ${name} with different contents`, { path });
        continue;
      }
      written.add(path);
      entries.push({ name: path, bytes });
    }
    entry.paths = paths;
  }
  // timestamp.json last: a host synced in this order never serves a timestamp naming a missing snapshot.
  entries.push({ name: 'timestamp.json', bytes: repo.timestamp.md.bytes });
  return { consistentSnapshot: consistent, entries, targets, missingTargets };
}
