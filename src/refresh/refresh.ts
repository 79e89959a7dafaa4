/**
 * A refresh of a TUF repository that has no online service (TUF 4.4 / 4.6: snapshot and timestamp carry
 * short expiries so that a freeze attack ends when they run out — so someone must re-sign them, on time):
 * snapshot N+1 over the current targets and delegated roles, and timestamp M+1 naming it, signed with the
 * snapshot and timestamp keys. Without a snapshot key only the timestamp is renewed (it names the current
 * snapshot again).
 *
 * The current repository is verified first, from the pinned root, as a client would — except that the
 * snapshot and timestamp may have expired (renewing them is the point):
 * - pass A, at `now`: the root chain and the final root's expiry (ROOT_EXPIRED: a refresh cannot help, the
 *   root must be rotated), targets and every delegated role (signatures, expiry);
 * - pass B, at the earlier of `now` and just before the first of the timestamp's and snapshot's expiries:
 *   the whole repository, so the timestamp → snapshot → targets links, versions, signatures are checked.
 * Then each key given must be one of its role's keys in the final root (REFRESH_KEY_NOT_IN_ROOT), and
 * enough of them to meet the role's threshold (THRESHOLD_NOT_MET), all before anything is signed.
 */
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { signSnapshotAfterTargets, signTimestampAfterSnapshot } from '../rotation/targets-snapshot.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import { parseMetadata } from '../tuf/metadata.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import type { MetadataSigner } from '../tuf/sign.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';

export interface RefreshCheckInput {
  files: RepositoryFiles;
  trustedRoot: Uint8Array;
  now: Date;
}

const SECOND = 1000;

function expiryOf(bytes: Uint8Array | undefined, role: 'timestamp' | 'snapshot'): Date | undefined {
  if (!bytes) return undefined;
  return parseMetadata(bytes, role, { maxBytes: DEFAULT_CAPS[role], source: `${role}.json`, profile: 'tuf' }).signed.expires;
}

/** Verify the current repository as a refresh needs it (see the module comment). Throws the refusal. */
export function verifyForRefresh(input: RefreshCheckInput): VerifiedRepository {
  const { files, trustedRoot, now } = input;
  try {
    verifyRepository({ ...files, timestamp: undefined, snapshot: undefined }, { trustedRoot, now });
  } catch (err) {
    if (isCeremonyError(err, 'EXPIRED') && /^(trusted root|root\.json|[0-9]+\.root\.json) /.test(err.path ?? '')) {
      throw new CeremonyError('ROOT_EXPIRED', `${messageWithoutPath(err)}: a refresh cannot renew a root; rotate the root first (rotate, sign, merge)`, { path: err.path, cause: err });
    }
    throw err;
  }
  if (!files.timestamp) throw new CeremonyError('META_MISSING', 'timestamp.json is required: a refresh renews the current one', { path: 'timestamp.json' });
  const earliest = Math.min(...[expiryOf(files.timestamp, 'timestamp'), expiryOf(files.snapshot, 'snapshot')].filter((d): d is Date => d !== undefined).map((d) => d.getTime()));
  const at = new Date(Math.min(now.getTime(), earliest - SECOND));
  const repo = verifyRepository(files, { trustedRoot, now: at, requireComplete: true });
  if (repo.profile !== 'tuf') throw new CeremonyError('USAGE', 'refresh is for TUF repositories: notary-server signs Notary timestamps (and server-managed snapshots)');
  return repo;
}

/** Refuse, before anything is signed, keys that are not the role's in `root` and too few to meet its threshold. */
export function checkRefreshSigners(root: Root, role: 'snapshot' | 'timestamp', signers: readonly { keyId: string; fingerprint: string }[]): void {
  const policy = root.roles.get(role)!;
  const fingerprints = new Set<string>();
  for (const s of signers) {
    const listedId = policy.keyids.find((id) => root.keys.get(id)!.key.fingerprint === s.fingerprint);
    if (listedId === undefined) {
      throw new CeremonyError('REFRESH_KEY_NOT_IN_ROOT', `the ${role} key given (fingerprint ${s.fingerprint.slice(0, 16)}…) is not a ${role} key of root version ${root.version}; nothing was signed`, {
        path: `root.json $.signed.roles.${role}`,
      });
    }
    fingerprints.add(s.fingerprint);
  }
  if (fingerprints.size < policy.threshold) {
    throw new CeremonyError('THRESHOLD_NOT_MET', `the ${role} role needs ${policy.threshold} distinct keys; ${fingerprints.size} given; nothing was signed`, { path: `root.json $.signed.roles.${role}.threshold` });
  }
}

/** A new targets.json to publish: signed by the root's targets role (TUF 5.6.3), newer than the published one. */
export function checkNewTargets(repo: VerifiedRepository, bytes: Uint8Array): void {
  const next = parseMetadata(bytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'new targets.json', profile: 'tuf' });
  const root = repo.root.signed;
  requireVerified(verifyRole(next, 'targets', root.roles.get('targets')!, root.keys), 'new targets.json');
  if (next.signed.version <= repo.targets!.md.signed.version) {
    throw new CeremonyError('ROLLBACK', `the new targets.json is version ${next.signed.version}, not newer than the published version ${repo.targets!.md.signed.version}`, { path: 'new targets.json $.signed.version' });
  }
}

/**
 * A delegated role's new file (a co-signed delegated role request, `merge` output) to publish with the new
 * snapshot: targets.json (the new one when given, else the published one) must delegate the role, the
 * file verify under that delegation (TUF 5.6.7) and be newer than the published one (ROLLBACK).
 */
export function checkNewDelegated(repo: VerifiedRepository, targetsBytes: Uint8Array, name: string, bytes: Uint8Array): void {
  const targets = parseMetadata(targetsBytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'targets.json', profile: 'tuf' });
  const role = targets.signed.delegations?.roles.find((r) => r.name === name);
  if (!role) throw new CeremonyError('DELEGATION_UNKNOWN', `targets.json version ${targets.signed.version} delegates no role ${JSON.stringify(name)}`, { path: `new ${name}.json` });
  const next = parseMetadata(bytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `new ${name}.json`, profile: 'tuf' });
  requireVerified(verifyRole(next, name, role, targets.signed.delegations!.keys), `new ${name}.json`);
  const current = repo.delegated.get(name);
  if (current && next.signed.version <= current.md.signed.version) {
    throw new CeremonyError('ROLLBACK', `the new ${name}.json is version ${next.signed.version}, not newer than the published version ${current.md.signed.version}`, { path: `new ${name}.json $.signed.version` });
  }
}

/** `7d`, `12h`, `30m` or a `YYYY-MM-DDTHH:MM:SSZ` date: the new expiry, which must be later than `now`. */
export function parseExpiryOption(text: string, now: Date, option: string): string {
  const m = /^([1-9][0-9]{0,4})([dhm])$/.exec(text);
  let date: Date;
  if (m) {
    const unit = m[2] === 'd' ? 86_400 : m[2] === 'h' ? 3_600 : 60;
    date = new Date(Math.floor(now.getTime() / SECOND) * SECOND + Number(m[1]) * unit * SECOND);
  } else {
    date = parseExpires('tuf', text, option);
  }
  if (date.getTime() <= now.getTime()) throw new CeremonyError('USAGE', `${option} ${text} is not in the future`);
  return formatExpires(date);
}

export interface RefreshInput extends RefreshCheckInput {
  /** The new snapshot's expiry; with no snapshot signers the snapshot is kept. */
  snapshotExpires: string;
  timestampExpires: string;
  /**
   * A new targets.json to publish with this snapshot (a targets change merged after co-signing): it must
   * verify under the root's targets role (TUF 5.6.3) and have a higher version than the current one.
   */
  targets?: Uint8Array;
  /** New files of delegated roles (co-signed delegated role requests), by role name: checked by checkNewDelegated. */
  delegated?: ReadonlyMap<string, Uint8Array>;
}

export interface Refreshed {
  /** The repository's files with the new snapshot (if signed) and timestamp. */
  files: RepositoryFiles;
  before: { snapshot: number; timestamp: number };
  after: { snapshot: number; timestamp: number };
  repo: VerifiedRepository;
}

/**
 * Sign snapshot N+1 (when `snapshotSigners` are given) and timestamp M+1 for the verified repository. The
 * signers must have passed checkRefreshSigners; each signature is verified in software (signMetadata), and
 * each new file is checked against its role in the root before it is returned (targets-snapshot.ts).
 */
export async function refreshRepository(input: RefreshInput, signers: { snapshot?: readonly MetadataSigner[]; timestamp: readonly MetadataSigner[] }): Promise<Refreshed> {
  const repo = verifyForRefresh(input);
  const rootBytes = repo.root.bytes;
  const before = { snapshot: repo.snapshot!.md.signed.version, timestamp: repo.timestamp!.md.signed.version };
  let snapshot = repo.snapshot!.md.bytes;
  let targets = repo.targets!.md.bytes;
  if (input.targets) {
    if (!signers.snapshot || signers.snapshot.length === 0) throw new CeremonyError('USAGE', 'a new targets.json is published by a new snapshot: give the snapshot key too');
    checkNewTargets(repo, input.targets);
    targets = input.targets;
  }
  const newDelegated = input.delegated ?? new Map<string, Uint8Array>();
  if (newDelegated.size > 0 && (!signers.snapshot || signers.snapshot.length === 0)) throw new CeremonyError('USAGE', "a delegated role's new file is published by a new snapshot: give the snapshot key too");
  for (const [name, bytes] of newDelegated) checkNewDelegated(repo, targets, name, bytes);
  const delegatedFiles = new Map(input.files.delegated);
  if (signers.snapshot && signers.snapshot.length > 0) {
    const delegated = new Map<string, Uint8Array>();
    for (const [name, v] of repo.delegated) delegated.set(name, v.md.bytes);
    for (const [name, bytes] of newDelegated) {
      delegated.set(name, bytes);
      delegatedFiles.set(name, bytes);
    }
    const signed = await signSnapshotAfterTargets(
      { root: rootBytes, targets, previousSnapshot: snapshot, delegated, expires: input.snapshotExpires },
      signers.snapshot,
    );
    snapshot = signed.bytes;
  }
  const ts = await signTimestampAfterSnapshot({ root: rootBytes, snapshot, previousTimestamp: repo.timestamp!.md.bytes, expires: input.timestampExpires }, signers.timestamp);
  const files: RepositoryFiles = { ...input.files, targets, delegated: delegatedFiles, snapshot, timestamp: ts.bytes };
  // The result, as a client at the pinned root reads it now.
  const after = verifyRepository(files, { trustedRoot: input.trustedRoot, now: input.now, requireComplete: true });
  return { files, before, after: { snapshot: after.snapshot!.md.signed.version, timestamp: after.timestamp!.md.signed.version }, repo: after };
}
