/**
 * Reading a hostable tree back (layout.ts): which of its files make up the repository *now*. A tree on a
 * host keeps older versions (`1.snapshot.json` beside `2.snapshot.json`, old target files) for clients in
 * the middle of an update, so the current files are chosen as a client chooses them (TUF 5.4 → 5.6):
 * timestamp.json names the snapshot version, the snapshot names each targets role's version. The choice
 * reads those files unverified only to learn version numbers; verifyRepository then checks everything it
 * was given (signatures, lengths, hashes, versions), so a lying file is refused there, not trusted here.
 * Files of none of the tree's shapes are refused (UNEXPECTED_FILE); older versions are passed over unread.
 */
import { CeremonyError } from '../errors.js';
import { DEFAULT_CAPS, capFor, type SizeCaps } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import { checkDelegatedName } from '../tuf/targets.js';
import { getProfile } from '../profiles/index.js';

export type TreeName =
  | { kind: 'root'; version?: number }
  | { kind: 'timestamp' }
  | { kind: 'role'; role: string; version?: number }
  | { kind: 'target'; path: string };

const VERSIONED = /^([1-9][0-9]{0,9})\.([^/]+)\.json$/;
const UNVERSIONED = /^([^/]+)\.json$/;
const SAFE = /^(?!\.)[^\u0000-\u001f\u007f/\\]{1,255}$/;

/** What a relative, `/`-separated name in a tree is; UNEXPECTED_FILE for anything else. */
export function classifyTreeName(name: string): TreeName {
  const segments = name.split('/');
  if (segments.some((s) => !SAFE.test(s))) throw new CeremonyError('UNEXPECTED_FILE', `${JSON.stringify(name)} is not a safe relative file name`, { path: name });
  if (segments[0] === 'targets' && segments.length > 1) return { kind: 'target', path: segments.slice(1).join('/') };
  if (segments.length === 1) {
    const v = VERSIONED.exec(name);
    if (v) {
      const version = Number(v[1]);
      return v[2] === 'root' ? { kind: 'root', version } : { kind: 'role', role: v[2]!, version };
    }
    const u = UNVERSIONED.exec(name);
    if (u) {
      if (u[1] === 'root') return { kind: 'root' };
      if (u[1] === 'timestamp') return { kind: 'timestamp' };
      return { kind: 'role', role: u[1]! };
    }
  }
  throw new CeremonyError('UNEXPECTED_FILE', `${name} is neither metadata nor a target file under targets/`, { path: name });
}

/** A name that only a hostable tree has: a versioned non-root role file or a file under `targets/`. */
export function isTreeOnlyName(name: string): boolean {
  if (name.startsWith('targets/')) return true;
  const v = VERSIONED.exec(name);
  return v !== null && v[2] !== 'root';
}

export interface TreeSelection {
  files: RepositoryFiles;
  /** Target files under `targets/`, by their path below it (checked later against verified metadata). */
  targetPaths: string[];
}

/**
 * Choose and read the tree's current metadata. `read(name, cap)` reads one file (capped); `names` is the
 * tree's listing. Returns undefined when the newest root is not TUF metadata (a Notary metadata folder,
 * whose `targets/releases.json` are roles, not target files) or not readable metadata at all.
 */
export async function selectTreeFiles(names: readonly string[], read: (name: string, cap: number) => Promise<Uint8Array>, caps: SizeCaps = DEFAULT_CAPS): Promise<TreeSelection | undefined> {
  const rootsByVersion = new Map<number, string>();
  const roles = new Map<string, { unversioned?: string; versions: Map<number, string> }>();
  const targetPaths: string[] = [];
  let rootName: string | undefined;
  let timestampName: string | undefined;
  for (const name of names) {
    const k = classifyTreeName(name);
    if (k.kind === 'root') {
      if (k.version === undefined) rootName = name;
      else rootsByVersion.set(k.version, name);
    } else if (k.kind === 'timestamp') timestampName = name;
    else if (k.kind === 'target') targetPaths.push(k.path);
    else {
      const entry: { unversioned?: string; versions: Map<number, string> } = roles.get(k.role) ?? { versions: new Map() };
      if (k.version === undefined) entry.unversioned = name;
      else entry.versions.set(k.version, name);
      roles.set(k.role, entry);
    }
  }
  if (rootsByVersion.size > caps.rootChainLength) throw new CeremonyError('INPUT_TOO_LARGE', `${rootsByVersion.size} root versions exceed the cap of ${caps.rootChainLength}`);
  const newestName = rootName ?? (rootsByVersion.size ? rootsByVersion.get(Math.max(...rootsByVersion.keys())) : undefined);
  if (!newestName) throw new CeremonyError('META_MISSING', 'the tree holds no root (N.root.json)', { path: 'root.json' });
  const newestBytes = await read(newestName, caps.root);
  let newest;
  try {
    newest = parseMetadata(newestBytes, 'root', { maxBytes: caps.root, source: newestName });
  } catch {
    // Not a readable root: not recognisably a tree. The metadata-folder reader takes it, and the
    // verification refuses the root with its own code and path.
    return undefined;
  }
  if (newest.profile.name !== 'tuf') return undefined;
  const profile = getProfile('tuf');
  for (const role of roles.keys()) {
    if (role !== 'snapshot' && role !== 'targets') checkDelegatedName(profile, role, role);
  }
  const consistent = newest.signed.consistentSnapshot;

  const files: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map() };
  for (const [v, name] of rootsByVersion) files.versionedRoots.set(v, name === newestName ? newestBytes : await read(name, caps.root));
  if (rootName) files.root = newestBytes;

  const pick = (role: string, version: number | undefined): string | undefined => {
    const entry = roles.get(role);
    if (!entry) return undefined;
    if (!consistent) return entry.unversioned;
    if (version !== undefined) return entry.versions.get(version);
    return entry.versions.size ? entry.versions.get(Math.max(...entry.versions.keys())) : undefined;
  };
  let snapshotVersion: number | undefined;
  if (timestampName) {
    files.timestamp = await read(timestampName, caps.timestamp);
    snapshotVersion = parseMetadata(files.timestamp, 'timestamp', { maxBytes: caps.timestamp, source: 'timestamp.json', profile: 'tuf' }).signed.snapshot.version;
  }
  const snapshotName = pick('snapshot', snapshotVersion);
  if (snapshotName) {
    files.snapshot = await read(snapshotName, caps.snapshot);
    const snapshot = parseMetadata(files.snapshot, 'snapshot', { maxBytes: caps.snapshot, source: snapshotName, profile: 'tuf' });
    for (const [role, meta] of snapshot.signed.meta) {
      const name = pick(role, meta.version);
      if (!name) continue;
      const bytes = await read(name, capFor(caps, role));
      if (role === 'targets') files.targets = bytes;
      else if (role !== 'root' && role !== 'timestamp' && role !== 'snapshot') files.delegated.set(role, bytes);
    }
  } else if (!timestampName) {
    // No timestamp nor snapshot: targets alone (an unpublished state), as a metadata folder would hold it.
    const name = pick('targets', undefined);
    if (name) files.targets = await read(name, caps.targets);
  }
  return { files, targetPaths: targetPaths.sort() };
}
