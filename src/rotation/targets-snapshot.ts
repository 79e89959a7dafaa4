/**
 * After a targets-level change is merged (targets.json N+1, final), the snapshot that publishes it
 * (TUF 4.4 / 5.5; Notary's Snapshot) — and for TUF the timestamp (TUF 4.6 / 5.4) — as pure helpers.
 *
 * Who signs the snapshot:
 * - Notary with the snapshot key held by notary-server (the setup delegated signers need, TEAM-NOTES
 *   "notary publish"): nobody here — upload targets.json alone and the server signs snapshot N+1 over the
 *   exact bytes uploaded. These helpers are not needed then.
 * - Notary with the snapshot key held offline (on a token), and TUF: `buildSnapshotAfterTargets` makes
 *   snapshot N+1 and `signSnapshotAfterTargets` signs it with the snapshot key (every signature verified,
 *   and the result checked against the root's snapshot role before it is returned). TUF also needs a new
 *   timestamp: `buildTimestampAfterSnapshot` / `signTimestampAfterSnapshot`.
 *
 * What snapshot N+1 lists (meta keyed `targets/releases` in Notary, `releases.json` in TUF):
 * - root (Notary only: its FileMeta binds root.json) and targets, over their exact bytes;
 * - each delegated role that the new targets.json (or a delegated file given) still delegates: from the
 *   file when given and it verifies against the delegation's keys and threshold; otherwise the entry of
 *   snapshot N, unchanged (the file did not change). A given file that does not verify (a re-keyed
 *   delegation before its new keys re-sign it) is reported in `unverified` and not listed: its snapshot N
 *   entry stays, so clients fetch the old file and refuse it by its signatures (tuf-js: "Unable to load
 *   targets"; notary: "valid signatures did not meet threshold", and it goes on without the role) — a
 *   missing entry for a delegated role would instead break tuf-js's walk;
 * - the entry of snapshot N, unchanged, for a role no longer delegated (reported in `orphaned`). Dropping
 *   it looks tidier but is refused: TUF 5.5.5 makes a client reject a new snapshot that no longer lists
 *   a targets file the trusted one listed (tuf-js: "Missing file releases.json in new snapshot",
 *   measured; python-tuf and our verifyRepository likewise, SNAPSHOT_META_REMOVED), and notary-server's
 *   own snapshot keeps such entries too (measured). The entry is harmless: clients fetch only roles a
 *   verified role delegates to, and a file nobody delegates to is never trusted.
 */
import { CeremonyError } from '../errors.js';
import { digest } from '../crypto/digest.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS, capFor } from '../tuf/caps.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import type { MetaFile } from '../tuf/meta-file.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { Root } from '../tuf/root.js';
import { verifyRootSelf } from '../tuf/root-chain.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../tuf/sign.js';
import { roleToMetaKey, type Snapshot } from '../tuf/snapshot.js';
import { typeNameFor } from '../tuf/signed-common.js';
import type { Targets } from '../tuf/targets.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';

export interface SnapshotAfterTargetsInput {
  /** The trusted current root.json. */
  root: Uint8Array;
  /** targets.json N+1 as merged (final). */
  targets: Uint8Array;
  /** snapshot.json N (absent for a repository that never had one: the new snapshot is version 1). */
  previousSnapshot?: Uint8Array;
  /** Delegated role files to list with their current bytes, by role name (`targets/releases` / `releases`). */
  delegated?: ReadonlyMap<string, Uint8Array>;
  expires: Date | string;
}

export interface SnapshotAfterTargets {
  profile: ProfileName;
  /** The unsigned `signed` object of snapshot N+1. */
  signed: JsonObject;
  version: number;
  /** Roles snapshot N lists that nobody delegates to any more: their entries are kept (TUF 5.5.5). */
  orphaned: string[];
  /** Delegated roles whose given file does not verify against the (new) delegation: not listed from that file. */
  unverified: string[];
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function fileMeta(profile: ProfileName, bytes: Uint8Array, version: number): JsonObject {
  // Notary's FileMeta: base64 sha256 + sha512 and the length (no version). TUF 4.4 METAFILES: version,
  // and length + hashes so a client checks the bytes too.
  if (profile === 'notary') return { hashes: { sha256: b64(digest('sha256', bytes)), sha512: b64(digest('sha512', bytes)) }, length: bytes.length };
  return { hashes: { sha256: hex(digest('sha256', bytes)) }, length: bytes.length, version };
}

function metaJson(m: MetaFile): JsonObject {
  const out: JsonObject = { ...m.unrecognized };
  if (m.hashes) out.hashes = { ...m.hashes };
  if (m.length !== undefined) out.length = m.length;
  if (m.version !== undefined) out.version = m.version;
  return out;
}

function parseTrustedRoot(bytes: Uint8Array): Metadata<Root> {
  const root = parseMetadata(bytes, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
  requireVerified(verifyRootSelf(root), 'root.json');
  return root;
}

export function buildSnapshotAfterTargets(input: SnapshotAfterTargetsInput): SnapshotAfterTargets {
  const root = parseTrustedRoot(input.root);
  const profile = root.profile.name;
  const rs = root.signed;
  const targets = parseMetadata(input.targets, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'targets.json', profile });
  // TUF 5.6.3: only a targets.json the root's targets role signed is worth a snapshot.
  requireVerified(verifyRole(targets, 'targets', rs.roles.get('targets')!, rs.keys), 'targets.json');
  let previous: Metadata<Snapshot> | undefined;
  if (input.previousSnapshot) {
    previous = parseMetadata(input.previousSnapshot, 'snapshot', { maxBytes: DEFAULT_CAPS.snapshot, source: 'snapshot.json', profile });
    requireVerified(verifyRole(previous, 'snapshot', rs.roles.get('snapshot')!, rs.keys), 'snapshot.json');
  }
  const version = (previous?.signed.version ?? 0) + 1;
  const expiresText = typeof input.expires === 'string' ? input.expires : formatExpires(input.expires);
  parseExpires(profile, expiresText, '$expires');

  const meta: JsonObject = {};
  if (profile === 'notary') meta[roleToMetaKey(profile, 'root')] = fileMeta(profile, input.root, rs.version);
  meta[roleToMetaKey(profile, 'targets')] = fileMeta(profile, input.targets, targets.signed.version);
  const orphaned: string[] = [];
  const unverified: string[] = [];

  // Breadth first from targets.json, as a client walks delegations (TUF 5.6.7).
  const reached = new Set<string>();
  const queue: (Metadata<Targets> | undefined)[] = [targets];
  // An index into the queue, not Array.shift (O(n) per call on V8's large arrays: review-12 H1); a file
  // read is let go, as shift let it go.
  for (let head = 0; head < queue.length; head++) {
    const parent = queue[head]!;
    queue[head] = undefined;
    const delegations = parent.signed.delegations;
    if (!delegations) continue;
    for (const role of delegations.roles) {
      if (reached.has(role.name)) continue;
      const bytes = input.delegated?.get(role.name);
      if (bytes) {
        const md = parseMetadata(bytes, 'targets', { maxBytes: capFor(DEFAULT_CAPS, role.name), source: `${role.name}.json`, profile });
        if (verifyRole(md, role.name, role, delegations.keys).verified) {
          reached.add(role.name);
          meta[roleToMetaKey(profile, role.name)] = fileMeta(profile, bytes, md.signed.version);
          queue.push(md);
          continue;
        }
        unverified.push(role.name);
      }
      const before = previous?.signed.meta.get(role.name);
      if (before) {
        reached.add(role.name);
        meta[roleToMetaKey(profile, role.name)] = metaJson(before);
      }
    }
  }
  for (const [name, entry] of previous?.signed.meta ?? []) {
    if (name === 'root' || name === 'targets' || reached.has(name)) continue;
    orphaned.push(name);
    meta[roleToMetaKey(profile, name)] = metaJson(entry);
  }
  const signed: JsonObject = { _type: typeNameFor(profile, 'snapshot'), expires: expiresText, meta, version };
  if (profile === 'tuf') signed.spec_version = root.signed.specVersion ?? '1.0.31';
  return { profile, signed, version, orphaned, unverified };
}

async function signAs(root: Metadata<Root>, role: 'snapshot' | 'timestamp', signed: JsonObject, signers: readonly MetadataSigner[]): Promise<Uint8Array> {
  const profile = root.profile;
  const ids = root.signed.roles.get(role)!.keyids;
  for (const s of signers) {
    if (!ids.includes(s.keyId)) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key ${s.keyId.slice(0, 16)}… is not a ${role} key of root version ${root.signed.version}`);
  }
  const bytes = serializeMetadata(profile, await signMetadata(profile, signed, signers));
  const md = parseMetadata(bytes, role, { maxBytes: capFor(DEFAULT_CAPS, role), source: `${role}.json`, profile: profile.name });
  // The check a client makes (TUF 5.5.2 / 5.4.2), before the bytes leave this function.
  requireVerified(verifyRole(md, role, root.signed.roles.get(role)!, root.signed.keys), `${role}.json`);
  return bytes;
}

/** Build and sign snapshot N+1 with the root's snapshot key(s). */
export async function signSnapshotAfterTargets(input: SnapshotAfterTargetsInput, signers: readonly MetadataSigner[]): Promise<{ bytes: Uint8Array } & SnapshotAfterTargets> {
  const built = buildSnapshotAfterTargets(input);
  return { ...built, bytes: await signAs(parseTrustedRoot(input.root), 'snapshot', built.signed, signers) };
}

export interface TimestampAfterSnapshotInput {
  root: Uint8Array;
  snapshot: Uint8Array;
  previousTimestamp?: Uint8Array;
  expires: Date | string;
}

/** TUF: timestamp N+1 naming the new snapshot (TUF 4.6). Notary's timestamp is always the server's. */
export function buildTimestampAfterSnapshot(input: TimestampAfterSnapshotInput): { signed: JsonObject; version: number } {
  const root = parseTrustedRoot(input.root);
  const profile = root.profile.name;
  if (profile !== 'tuf') throw new CeremonyError('USAGE', 'Notary timestamps are made by notary-server with its own key');
  const snapshot = parseMetadata(input.snapshot, 'snapshot', { maxBytes: DEFAULT_CAPS.snapshot, source: 'snapshot.json', profile });
  requireVerified(verifyRole(snapshot, 'snapshot', root.signed.roles.get('snapshot')!, root.signed.keys), 'snapshot.json');
  let version = 1;
  if (input.previousTimestamp) {
    const prev = parseMetadata(input.previousTimestamp, 'timestamp', { maxBytes: DEFAULT_CAPS.timestamp, source: 'timestamp.json', profile });
    requireVerified(verifyRole(prev, 'timestamp', root.signed.roles.get('timestamp')!, root.signed.keys), 'timestamp.json');
    version = prev.signed.version + 1;
  }
  const expiresText = typeof input.expires === 'string' ? input.expires : formatExpires(input.expires);
  parseExpires(profile, expiresText, '$expires');
  const signed: JsonObject = {
    _type: 'timestamp',
    spec_version: root.signed.specVersion ?? '1.0.31',
    version,
    expires: expiresText,
    meta: { 'snapshot.json': fileMeta(profile, input.snapshot, snapshot.signed.version) },
  };
  return { signed, version };
}

export async function signTimestampAfterSnapshot(input: TimestampAfterSnapshotInput, signers: readonly MetadataSigner[]): Promise<{ bytes: Uint8Array; version: number }> {
  const built = buildTimestampAfterSnapshot(input);
  return { version: built.version, bytes: await signAs(parseTrustedRoot(input.root), 'timestamp', built.signed, signers) };
}
