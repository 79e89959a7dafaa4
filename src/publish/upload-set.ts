/**
 * Which files go to notary-server together, and which sets are refused because clients would break
 * (issue #14; each rule measured with notary 0.7, FIELD-NOTES "Notary 0.7" and
 * test/integration/rotation-notary-targets.test.ts):
 *
 * - every role is compared with what the server serves: a newer local version is uploaded, the same version
 *   with the same bytes is skipped (so publishing twice is a no-op), the same version with other bytes is a
 *   fork (PUBLISH_CONFLICT), an older one means someone published since (PUBLISH_SERVER_NEWER);
 * - the server accepts root version current or current+1 only (PUBLISH_ROOT_VERSION_UNACCEPTABLE);
 * - a first upload must carry targets.json (the server refuses otherwise); a root whose targets keys
 *   changed must travel with targets.json signed by the new keys — notary-server accepts the root alone and
 *   every client then fails "valid signatures did not meet threshold for targets" (PUBLISH_HALF_SET);
 * - with the snapshot key held offline (a snapshot.json is in the input), every change must carry a
 *   snapshot.json over the new files; without one, the server must hold the snapshot key the root names
 *   (PUBLISH_SNAPSHOT_KEY_NOT_HELD, notary-server's "no snapshot was included in update and server does not
 *   hold current snapshot key");
 * - a targets.json that takes a key away from a delegated role must travel with that role's new file
 *   (PUBLISH_HALF_SET): published alone, the tags that file lists stay trusted
 *   (the remaining keys still meet the threshold) or stop verifying until the role's keys re-sign it —
 *   and `notary witness` re-endorses every one of them, those the old key pushed included (measured in
 *   test/integration/delegations-notary.test.ts). The role's new file comes from a request that also
 *   revokes tags (src/rotation/revoke-tags.ts); to publish targets.json alone anyway — the delegate re-signs
 *   later — the role is named in `withoutDelegated` (`publish --without-delegated ROLE`). This is decided
 *   from the server's targets.json only once it verifies from the pin (server-targets.ts) AND is exactly
 *   the version the input's targets.json replaces (version − 1): the server holds the timestamp key (and
 *   usually the snapshot key), so its timestamp and snapshot cannot show that an older targets.json the
 *   targets key signed is still current (review A2, M2). For the same reason the roles that count are all
 *   those that targets.json delegates to: a snapshot that leaves a role out does not excuse it. A server
 *   that serves the GUN (any of root, timestamp, snapshot, targets) but not all four, or an answer that does
 *   not verify or is not the predecessor, is PUBLISH_SERVER_UNVERIFIED, never a skipped check (M1); only a
 *   server that serves none of them is a first publish;
 * - a first publish of a root above version 1 needs the operator's word (`firstPublish`, `publish
 *   --first-publish`), else PUBLISH_FIRST_UNCONFIRMED: a repository edited offline before its first
 *   publish looks exactly like a server that lost its data, serves another storage, or answers 404 to
 *   make publish re-upload (and so re-trust) an input it would otherwise compare; only the operator knows
 *   which. A root version 1 has no history a server could have lost, so it needs no word;
 * - timestamp.json is never uploaded: notary-server signs timestamps itself.
 *
 * Finally the repository as clients will see it after the upload (the uploaded files over the server's
 * others) is verified from the pinned root with the project's verifier (src/tuf/repository.ts), so a set
 * whose hashes or signatures do not fit is refused before anything is sent.
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { DEFAULT_CAPS, capFor } from '../tuf/caps.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import type { Targets } from '../tuf/targets.js';
import { verifyRole } from '../tuf/verify.js';
import { fromServer, verifyServerTargets } from './server-targets.js';

/** What the server serves now (bytes), by upload name: `root`, `targets`, `snapshot`, `targets/releases`. */
export interface ServerState {
  root?: Uint8Array;
  targets?: Uint8Array;
  snapshot?: Uint8Array;
  /** The server's timestamp.json: what vouches for its snapshot and targets (server-targets.ts). */
  timestamp?: Uint8Array;
  /** The server's files of the input's delegated roles. */
  delegated: Map<string, Uint8Array>;
  /** `N.root.json` the server serves, fetched for the chain from the pin (by N). */
  versionedRoots: Map<number, Uint8Array>;
  /** The key ID of `GET snapshot.key` (asked only when a root is published and no snapshot is uploaded). */
  snapshotKeyId?: string;
}

export interface RoleChange {
  role: string;
  /** The version the server serves now (absent: none). */
  from?: number;
  to: number;
  upload: boolean;
}

export interface UploadPlan {
  /** Role → bytes, in the order they are sent. Empty: the server already has everything (idempotent). */
  upload: Map<string, Uint8Array>;
  roles: RoleChange[];
  snapshotHeldBy: 'client' | 'server';
  firstPublish: boolean;
  /** The operator confirmed this first publish (`--first-publish`): recorded in the transcript and --json. */
  firstPublishConfirmed: boolean;
  /** Input files that are not uploaded and why (timestamp.json). */
  notUploaded: { file: string; why: string }[];
  /** The repository as clients will see it after the upload, verified from the pin (timestamp aside). */
  expected: VerifiedRepository;
}

export interface PlanUploadOptions {
  local: RepositoryFiles;
  server: ServerState;
  pinnedRoot: Uint8Array;
  gun: string;
  now: Date;
  /** Delegated roles whose new file knowingly does not travel with a targets.json that takes keys from them. */
  withoutDelegated?: readonly string[];
  /** The operator says the server has never served this repository (a first publish of a root above version 1). */
  firstPublish?: boolean;
}

/**
 * Delegated roles `before` and `after` both delegate, from which `after` takes at least one key away
 * (compared by public key: a re-issued certificate for the same key is not a loss). A role removed
 * altogether is not listed: its targets stop being trusted with it.
 */
export function rolesLosingKeys(before: Targets, after: Targets): string[] {
  const fp = (t: Targets, id: string) => t.delegations?.keys.get(id)?.key.fingerprint ?? `keyid:${id}`;
  const out: string[] = [];
  for (const old of before.delegations?.roles ?? []) {
    const now = after.delegations?.roles.find((r) => r.name === old.name);
    if (!now) continue;
    const kept = new Set(now.keyids.map((id) => fp(after, id)));
    if (old.keyids.some((id) => !kept.has(fp(before, id)))) out.push(old.name);
  }
  return out;
}

/** The newest root of the input: root.json, else the highest N.root.json. */
export function newestLocalRoot(local: RepositoryFiles): Uint8Array {
  if (local.root) return local.root;
  const top = Math.max(0, ...local.versionedRoots.keys());
  const bytes = local.versionedRoots.get(top);
  if (!bytes) throw new CeremonyError('META_MISSING', 'the input holds no root.json (nor any N.root.json)', { path: 'root.json' });
  return bytes;
}

const parseRoot = (bytes: Uint8Array, source: string) => parseMetadata(bytes, 'root', { maxBytes: DEFAULT_CAPS.root, source });

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Compare one role: 'upload', 'same', or throw SERVER_NEWER / CONFLICT. */
function compare(role: string, local: Metadata, server: Metadata | undefined): RoleChange {
  if (!server) return { role, to: local.signed.version, upload: true };
  const from = server.signed.version;
  const to = local.signed.version;
  if (to < from) {
    throw new CeremonyError('PUBLISH_SERVER_NEWER', `the server already serves ${role} version ${from}, newer than version ${to} here: someone published since; start from what the server serves`, {
      path: `${role}.json $.signed.version`,
    });
  }
  if (to === from) {
    if (!bytesEqual(local.bytes, server.bytes)) {
      throw new CeremonyError('PUBLISH_CONFLICT', `the server serves another ${role} version ${to} (same version, other bytes): two different files cannot both be version ${to}`, {
        path: `${role}.json`,
      });
    }
    return { role, from, to, upload: false };
  }
  return { role, from, to, upload: true };
}

const HALF_SET_CODES = new Set(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'VERSION_MISMATCH', 'META_MISSING', 'THRESHOLD_NOT_MET']);

export function planUpload(opts: PlanUploadOptions): UploadPlan {
  const { local, server } = opts;
  const caps = DEFAULT_CAPS;
  const newRoot = parseRoot(newestLocalRoot(local), 'root.json');
  if (newRoot.profile.name !== 'notary') {
    throw new CeremonyError('PUBLISH_PROFILE_UNSUPPORTED', 'this is a TUF-profile repository; notary-server serves Notary (Docker Content Trust) repositories only: serve TUF metadata from any static file server', {
      path: 'root.json',
    });
  }
  const serverRoot = server.root ? parseRoot(server.root, 'the server’s root.json') : undefined;
  const firstPublish = !serverRoot;
  // Nothing served for the GUN (404 for all four top-level files): a first publish, which for a root above
  // version 1 only the operator can confirm (module comment).
  const servesGun = !!(server.root ?? server.targets ?? server.snapshot ?? server.timestamp);
  if (servesGun && opts.firstPublish) {
    // The operator's belief contradicts the server: itself a sign of a wrong --server or --gun.
    const served = (['root', 'targets', 'snapshot', 'timestamp'] as const).filter((r) => server[r]).map((r) => `${r}.json`);
    throw new CeremonyError(
      'PUBLISH_NOT_FIRST',
      `--first-publish says the server has never served ${opts.gun}, but it already holds this repository (it serves ${served.join(', ')}): a wrong --server or --gun, or a repository published before; nothing was uploaded. Check --server and --gun; to update the repository it serves, publish without --first-publish`,
      { path: served[0] ?? 'root.json' },
    );
  }
  if (!servesGun && newRoot.signed.version > 1 && !opts.firstPublish) {
    const chain = [...local.versionedRoots.keys()].sort((a, b) => a - b);
    const from = chain.length ? `the input's root chain runs from version ${chain[0]} to ${chain.at(-1)}${chain[0] === 1 ? '' : ', not from version 1'}` : 'the input has no earlier root versions';
    throw new CeremonyError(
      'PUBLISH_FIRST_UNCONFIRMED',
      `the server answers 404 for root.json, timestamp.json, snapshot.json and targets.json of ${opts.gun}: it serves nothing for this repository, so this would be its first publish, yet the root to publish is version ${newRoot.signed.version} (${from}). That fits a repository edited offline before it was ever published, but also a server that lost its data, a wrong --server or --gun, or a server answering 404 to be sent everything: nothing was uploaded. Check --server and --gun; if the repository was never published, publish again with --first-publish`,
      { path: 'root.json $.signed.version' },
    );
  }
  const roles: RoleChange[] = [];
  const upload = new Map<string, Uint8Array>();
  const notUploaded: { file: string; why: string }[] = [];
  if (local.timestamp) notUploaded.push({ file: 'timestamp.json', why: 'notary-server signs timestamps itself' });

  // Root: the server takes its current version or the next one.
  const rootChange = compare('root', newRoot, serverRoot);
  if (serverRoot && rootChange.upload && newRoot.signed.version !== serverRoot.signed.version + 1) {
    throw new CeremonyError(
      'PUBLISH_ROOT_VERSION_UNACCEPTABLE',
      `the server serves root version ${serverRoot.signed.version} and accepts only version ${serverRoot.signed.version} or ${serverRoot.signed.version + 1}; this is version ${newRoot.signed.version}: publish version ${serverRoot.signed.version + 1} (with its files) first`,
      { path: 'root.json $.signed.version' },
    );
  }
  roles.push(rootChange);
  if (rootChange.upload) upload.set('root', newRoot.bytes);

  // Targets and delegated roles.
  const targets = local.targets ? parseMetadata(local.targets, 'targets', { maxBytes: caps.targets, source: 'targets.json', profile: 'notary' }) : undefined;
  const serverTargets = server.targets
    ? fromServer('the server’s targets.json is not a targets file', () => parseMetadata(server.targets!, 'targets', { maxBytes: caps.targets, source: 'the server’s targets.json', profile: 'notary' }))
    : undefined;
  if (targets) {
    const c = compare('targets', targets, serverTargets);
    roles.push(c);
    if (c.upload) upload.set('targets', targets.bytes);
  }
  for (const [name, bytes] of local.delegated) {
    const md = parseMetadata(bytes, 'targets', { maxBytes: capFor(caps, name), source: `${name}.json`, profile: 'notary' });
    const onServer = server.delegated.get(name);
    const c = compare(name, md, onServer ? parseMetadata(onServer, 'targets', { maxBytes: capFor(caps, name), source: `the server’s ${name}.json`, profile: 'notary' }) : undefined);
    roles.push(c);
    if (c.upload) upload.set(name, bytes);
  }

  // A key taken from a delegated role: the role's new file goes in the same upload (module comment),
  // decided from the server's targets.json only once it verifies from the pin and is the input's
  // predecessor. Once the server serves anything for the GUN it is not a first publish: a missing
  // targets.json (a 404 is the cheapest hostile answer) is refused by verifyServerTargets, not skipped.
  if (targets && servesGun && upload.has('targets')) {
    const trusted = verifyServerTargets({ ...server, versionedRoots: new Map([...server.versionedRoots, ...local.versionedRoots]) }, { pinnedRoot: opts.pinnedRoot, now: opts.now });
    const served = trusted.targets.signed.version;
    const made = targets.signed.version;
    if (served !== made - 1) {
      throw new CeremonyError(
        'PUBLISH_SERVER_UNVERIFIED',
        `the server serves targets.json version ${served}; this targets.json is version ${made}, made from version ${made - 1}: the server holds the timestamp (and usually the snapshot) key, so its timestamp does not show that version ${served} is current, and publish cannot tell which delegated roles version ${made} takes a key from: nothing was uploaded; check --server and --gun, or publish version ${made - 1} first`,
        { path: 'the server’s targets.json $.signed.version' },
      );
    }
    for (const role of rolesLosingKeys(trusted.targets.signed, targets.signed)) {
      if (upload.has(role) || opts.withoutDelegated?.includes(role)) continue;
      throw new CeremonyError(
        'PUBLISH_HALF_SET',
        `targets.json version ${targets.signed.version} takes a key away from ${role}, which the server's targets.json version ${served} delegates to, and no newer ${role}.json is in the input: published alone, the tags that file lists stay trusted, or stop verifying until ${role}'s keys re-sign it (notary witness) — which trusts every one of them again, those the old key pushed included. Publish it with ${role}'s new file (merge --out-delegated of a request that also revokes tags), or name the role to publish targets.json alone knowingly`,
        { path: `${role}.json` },
      );
    }
  }

  if (firstPublish && !upload.has('targets')) {
    throw new CeremonyError('PUBLISH_HALF_SET', 'a first upload must include targets.json (notary-server refuses a repository without it, and clients could not list anything): add targets.json to the input', {
      path: 'targets.json',
    });
  }
  // A root whose targets keys changed needs targets.json signed by the new keys in the same upload.
  const rootSigned: Root = newRoot.signed;
  const targetsKeysChanged = !serverRoot || !sameIds(rootSigned.roles.get('targets')!.keyids, serverRoot.signed.roles.get('targets')!.keyids);
  if (rootChange.upload && serverRoot && targetsKeysChanged) {
    const effective = targets ?? serverTargets;
    const result = effective ? verifyRole(effective, 'targets', rootSigned.roles.get('targets')!, rootSigned.keys) : undefined;
    if (!upload.has('targets') || !result?.verified) {
      throw new CeremonyError(
        'PUBLISH_HALF_SET',
        `root version ${newRoot.signed.version} changes the targets keys, so targets.json must be re-signed by the new keys and uploaded with it (root alone: the server accepts it and every client then fails "valid signatures did not meet threshold for targets")${upload.has('targets') ? `; targets.json version ${targets!.signed.version} is not signed by a threshold of the new targets keys` : '; no newer targets.json is in the input'}`,
        { path: 'targets.json' },
      );
    }
  }

  // Snapshot: held offline when the input carries one, else it must be the server's.
  const snapshotHeldBy: 'client' | 'server' = local.snapshot ? 'client' : 'server';
  const changing = upload.size > 0;
  if (local.snapshot) {
    const md = parseMetadata(local.snapshot, 'snapshot', { maxBytes: caps.snapshot, source: 'snapshot.json', profile: 'notary' });
    const onServer = server.snapshot ? parseMetadata(server.snapshot, 'snapshot', { maxBytes: caps.snapshot, source: 'the server’s snapshot.json', profile: 'notary' }) : undefined;
    const c = compare('snapshot', md, onServer);
    if (changing && !c.upload) {
      throw new CeremonyError('PUBLISH_HALF_SET', `this upload changes ${[...upload.keys()].join(', ')}, but snapshot.json (held offline, version ${md.signed.version}) is the one the server already has: sign snapshot.json over the new files and upload it with them`, {
        path: 'snapshot.json',
      });
    }
    roles.push(c);
    if (c.upload) upload.set('snapshot', md.bytes);
  } else if (changing && serverRoot && server.snapshotKeyId !== undefined && !rootSigned.roles.get('snapshot')!.keyids.includes(server.snapshotKeyId)) {
    throw new CeremonyError(
      'PUBLISH_SNAPSHOT_KEY_NOT_HELD',
      'no snapshot was included in update and server does not hold current snapshot key: the root names a snapshot key the server does not hold, so snapshot.json must be signed offline and uploaded with the other files',
      { path: 'snapshot.json' },
    );
  }

  // The repository as clients will see it: uploaded files over the server's others, verified from the pin.
  const after: RepositoryFiles = {
    versionedRoots: new Map([...server.versionedRoots, ...local.versionedRoots]),
    root: newRoot.bytes,
    // The server's files of the input's roles.
    delegated: new Map([...[...server.delegated].filter(([n]) => local.delegated.has(n)), ...[...upload].filter(([n]) => local.delegated.has(n))]),
  };
  const afterTargets = upload.get('targets') ?? server.targets;
  if (afterTargets) after.targets = afterTargets;
  // A server-held snapshot is re-signed by the server after the upload: only an unchanged one is checked now.
  const afterSnapshot = snapshotHeldBy === 'client' ? (upload.get('snapshot') ?? server.snapshot) : changing ? undefined : server.snapshot;
  if (afterSnapshot) after.snapshot = afterSnapshot;
  let expected: VerifiedRepository;
  try {
    expected = verifyRepository(after, { trustedRoot: opts.pinnedRoot, now: opts.now, gun: opts.gun });
  } catch (err) {
    if (isCeremonyError(err) && HALF_SET_CODES.has(err.code) && err.path && !/^(\d+\.)?root\.json|trusted root/.test(err.path)) {
      throw new CeremonyError('PUBLISH_HALF_SET', `after this upload clients would refuse the repository (${err.code}: ${err.message}): the files that must go together are not all here`, {
        cause: err,
      });
    }
    throw err;
  }
  return { upload, roles, snapshotHeldBy, firstPublish, firstPublishConfirmed: firstPublish && Boolean(opts.firstPublish), notUploaded, expected };
}
