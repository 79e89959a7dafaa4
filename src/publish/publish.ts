/**
 * `tuf-ceremony publish` (issue #14): the online machine's side of a ceremony. Read what the server
 * serves, decide the upload (src/publish/upload-set.ts: exactly the files that must go together, refusing
 * sets that would break clients), send it as ONE multipart POST (one update on the server: all or
 * nothing), then fetch back what the server now serves — root (and the versions the chain needs),
 * targets, snapshot, timestamp, delegated roles — and verify it from the pinned root as a client would
 * (TUF 5.3–5.6, src/tuf/repository.ts), every role the plan knows at the version the plan left it and
 * none below what the server served before (checkPlannedRoles, checkNoRollback), before saying
 * "published". Nothing is uploaded when anything is refused; when the server already serves exactly these
 * files, nothing is uploaded and the fetch-back still runs (publishing twice is harmless, and is how an
 * upload that was accepted but not verified, PUBLISH_UPLOADED_UNVERIFIED, gets verified).
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
import { AnswerLost } from './http.js';
import type { NotaryServerApi } from './notary-server.js';
import { newestLocalRoot, planUpload, type RoleChange, type ServerState, type UploadPlan } from './upload-set.js';

export interface PublishOptions {
  local: RepositoryFiles;
  api: NotaryServerApi;
  /** The root clients pin (by default the oldest root of the input). */
  pinnedRoot?: Uint8Array;
  now: Date;
  dryRun?: boolean;
  /** Delegated roles whose new file knowingly does not travel with targets.json (upload-set.ts). */
  withoutDelegated?: readonly string[];
  /** The operator confirms the server has never served this repository (upload-set.ts, PUBLISH_FIRST_UNCONFIRMED). */
  firstPublish?: boolean;
  /**
   * Called as soon as the server accepted the upload (POST 2xx), before the fetch-back: from then on the
   * server may serve the new metadata whatever the fetch-back finds, so the caller records the upload
   * there and then (the CLI's session transcript, review 14a M2).
   */
  onUploaded?: (plan: UploadPlan) => Promise<void>;
}

export interface PublishOutcome {
  plan: UploadPlan;
  uploaded: string[];
  /** Absent for --dry-run. */
  served?: VerifiedRepository;
  pinnedRootVersion: number;
  /** The POST's answer was lost and the fetch-back found the upload applied (settleLostAnswer). */
  answerLost?: true;
}

/**
 * PUBLISH_OUTCOME_UNKNOWN: the POST went out whole, its answer was lost, and what the server serves
 * afterwards is neither the upload nor what it served before (or could not be read). Carries the plan so
 * the session transcript records what was sent.
 */
export class PublishOutcomeUnknown extends CeremonyError {
  readonly plan: UploadPlan;
  constructor(message: string, plan: UploadPlan, cause: unknown) {
    super('PUBLISH_OUTCOME_UNKNOWN', message, { cause });
    this.name = 'PublishOutcomeUnknown';
    this.plan = plan;
  }
}

/** The oldest root of the input: what a client that took part in the ceremony pins. */
export function oldestLocalRoot(local: RepositoryFiles): Uint8Array {
  const versions = [...local.versionedRoots.keys()].sort((a, b) => a - b);
  if (versions.length) return local.versionedRoots.get(versions[0]!)!;
  return newestLocalRoot(local);
}

const rootVersionOf = (bytes: Uint8Array, source: string) => parseMetadata(bytes, 'root', { maxBytes: DEFAULT_CAPS.root, source }).signed.version;

/** What the server serves for the roles the input names (and the root versions the chain from the pin needs). */
async function readServer(api: NotaryServerApi, local: RepositoryFiles, pinVersion: number, newVersion: number, withSnapshotKey: boolean): Promise<ServerState> {
  const state: ServerState = { delegated: new Map(), versionedRoots: new Map() };
  const root = await api.getMetadata('root.json');
  if (root) state.root = root;
  const t = await api.getMetadata('targets.json');
  if (t) state.targets = t;
  const s = await api.getMetadata('snapshot.json');
  if (s) state.snapshot = s;
  // What vouches for the server's snapshot and targets: the roles a new targets.json takes keys from are
  // decided from them only once they verify (upload-set.ts, server-targets.ts).
  const ts = await api.getMetadata('timestamp.json');
  if (ts) state.timestamp = ts;
  // The input's delegated roles (which roles the delegated-key check counts is read from the server's verified
  // targets.json, not from which GETs answer 200: upload-set.ts).
  for (const name of local.delegated.keys()) {
    const d = await api.getMetadata(`${name}.json`);
    if (d) state.delegated.set(name, d);
  }
  if (root) {
    const served = rootVersionOf(root, 'the server’s root.json');
    for (let v = pinVersion + 1; v < Math.min(newVersion, served + 1); v++) {
      if (local.versionedRoots.has(v)) continue;
      const bytes = await api.getMetadata(`${v}.root.json`);
      if (bytes) state.versionedRoots.set(v, bytes);
    }
    // Before a root is published GET snapshot.key would make a new key: ask only afterwards.
    if (withSnapshotKey) state.snapshotKeyId = (await api.getKey('snapshot')).keyId;
  }
  return state;
}

/**
 * Everything clients fetch after the upload, by the names verifyRepository takes. The server's root.json
 * must be the version the plan ends at (`rootVersion`: the one uploaded, or the one found there) before
 * any N.root.json is asked for: the loop below runs to the version the server names, and a server
 * naming version 10^12 would otherwise be asked (and its answers kept) that many times.
 */
async function fetchBack(api: NotaryServerApi, pinVersion: number, rootVersion: number, delegatedNames: Iterable<string>): Promise<RepositoryFiles> {
  const need = async (name: string): Promise<Uint8Array> => {
    const bytes = await api.getMetadata(name);
    if (!bytes) throw new CeremonyError('PUBLISH_FETCH_BACK_MISMATCH', `after the upload the server does not serve ${name}`, { path: name });
    return bytes;
  };
  const files: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map() };
  files.root = await need('root.json');
  const served = rootVersionOf(files.root, 'the server’s root.json');
  if (served !== rootVersion) {
    throw new CeremonyError(
      'PUBLISH_FETCH_BACK_MISMATCH',
      `after the upload the server serves root version ${served}, not the version ${rootVersion} this publish ends at: someone published at the same moment, or the server is not serving what it stores`,
      { path: 'root.json' },
    );
  }
  for (let v = pinVersion + 1; v < served; v++) files.versionedRoots.set(v, await need(`${v}.root.json`));
  files.targets = await need('targets.json');
  files.snapshot = await need('snapshot.json');
  files.timestamp = await need('timestamp.json');
  for (const name of delegatedNames) {
    const bytes = await api.getMetadata(`${name}.json`);
    if (bytes) files.delegated.set(name, bytes);
  }
  return files;
}

export async function publishRepository(opts: PublishOptions): Promise<PublishOutcome> {
  const { local, api } = opts;
  const pinnedRoot = opts.pinnedRoot ?? oldestLocalRoot(local);
  const pinVersion = rootVersionOf(pinnedRoot, 'pinned root');
  const newVersion = rootVersionOf(newestLocalRoot(local), 'root.json');
  const server = await readServer(api, local, pinVersion, newVersion, !local.snapshot);
  const plan = planUpload({ local, server, pinnedRoot, gun: api.gun, now: opts.now, ...(opts.withoutDelegated ? { withoutDelegated: opts.withoutDelegated } : {}), ...(opts.firstPublish ? { firstPublish: true } : {}) });
  const uploaded = [...plan.upload.keys()];
  if (opts.dryRun) return { plan, uploaded: [], pinnedRootVersion: pinVersion };
  if (plan.upload.size > 0) {
    try {
      await api.upload(plan.upload);
    } catch (err) {
      if (!(err instanceof AnswerLost)) throw err;
      return settleLostAnswer(opts, { plan, before: server, uploaded, pinnedRoot, pinVersion, newVersion }, err);
    }
    await opts.onUploaded?.(plan);
  }
  try {
    return await verifyServed(opts, plan, server, uploaded, pinnedRoot, pinVersion);
  } catch (err) {
    // After an accepted upload a fetch-back that could not be completed (an HTTP error, a stall, a token
    // refused) proves nothing either way: the server may serve the new metadata now, so this is not a
    // refusal of the upload (review 14a M2). A mismatch is a finding about what the server serves, and
    // keeps its own code.
    if (plan.upload.size === 0 || isCeremonyError(err, 'PUBLISH_FETCH_BACK_MISMATCH') || !isCeremonyError(err)) throw err;
    throw new CeremonyError('PUBLISH_UPLOADED_UNVERIFIED', unverifiedMessage(api, plan, err), { cause: err });
  }
}

/**
 * The POST went out whole and its answer was lost (AnswerLost: no answer in time, or the connection broke
 * before it). notary-server applies an update in one database transaction, all or nothing, so what it
 * serves afterwards tells which happened:
 * - the upload, fetched back and verified as after a 2xx: it was accepted (recorded so, `answerLost`);
 * - anything else: PUBLISH_OUTCOME_UNKNOWN, never a refusal, never "published" — also when it serves exactly
 *   what it served before: not applied when read back, but a server still working on the update may commit
 *   it after that read (review 15f M1: committed 700 ms later, and "refused" was recorded). Its message says
 *   which state was seen; publishing again is safe either way (publish reads the server first and uploads
 *   only what it lacks).
 */
async function settleLostAnswer(
  opts: PublishOptions,
  s: { plan: UploadPlan; before: ServerState; uploaded: string[]; pinnedRoot: Uint8Array; pinVersion: number; newVersion: number },
  lost: AnswerLost,
): Promise<PublishOutcome> {
  let outcome: PublishOutcome | undefined;
  let unverified: unknown;
  try {
    outcome = await verifyServed(opts, s.plan, s.before, s.uploaded, s.pinnedRoot, s.pinVersion);
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    unverified = err;
  }
  if (outcome) {
    await opts.onUploaded?.(s.plan);
    return { ...outcome, answerLost: true };
  }
  let now: ServerState | undefined;
  let unread: unknown;
  try {
    now = await readServer(opts.api, opts.local, s.pinVersion, s.newVersion, false);
  } catch (err) {
    unread = err;
  }
  const why = (err: unknown): string => (isCeremonyError(err) ? `[${err.code}] ${err.message}` : 'an internal error');
  const host = new URL(opts.api.base).host;
  throw new PublishOutcomeUnknown(
    `the upload of ${[...s.plan.upload.keys()].join(', ')} (one update) went out whole, but its answer was lost: ${why(lost)}. ` +
      (now && sameServed(s.before, now)
        ? 'Read back afterwards, the server serves exactly what it served before the upload: it had not applied the update when read, but one still working on it may apply it later. '
        : unread === undefined
          ? `Read back afterwards, the server serves neither the upload (${why(unverified)}) nor exactly what it served before: another publisher may have written at the same moment, or the server re-signed its timestamp. `
          : `Reading the server back failed (${why(unverified)}; ${why(unread)}). `) +
      `See what it serves with tuf-ceremony status --server https://${host} --gun ${opts.api.gun}, then publish the same input again ` +
      `(it uploads only what the server does not serve yet, then fetches back and verifies)`,
    s.plan,
    lost,
  );
}

/** The same bytes for every role readServer reads (versioned roots follow from root.json). */
function sameServed(a: ServerState, b: ServerState): boolean {
  const same = (x: Uint8Array | undefined, y: Uint8Array | undefined): boolean => (x === undefined ? y === undefined : y !== undefined && bytesEqual(x, y));
  if (!same(a.root, b.root) || !same(a.targets, b.targets) || !same(a.snapshot, b.snapshot) || !same(a.timestamp, b.timestamp)) return false;
  if (a.delegated.size !== b.delegated.size) return false;
  for (const [name, bytes] of a.delegated) if (!same(bytes, b.delegated.get(name))) return false;
  return true;
}

/** PUBLISH_UPLOADED_UNVERIFIED's message: what was accepted, what failed, and how to find out which state the server is in. */
function unverifiedMessage(api: NotaryServerApi, plan: UploadPlan, err: CeremonyError): string {
  const host = new URL(api.base).host;
  const again = plan.firstPublishConfirmed ? 'publish the same input again without --first-publish' : 'publish the same input again';
  return (
    `the server accepted the upload of ${[...plan.upload.keys()].join(', ')} (one update), but fetching it back failed: [${err.code}] ${err.message}. ` +
    `The server may now serve the new metadata, unverified: see what it serves with tuf-ceremony status --server https://${host} --gun ${api.gun}, and ${again} to verify it ` +
    `(it uploads only what the server does not serve yet, then fetches back and verifies)`
  );
}

async function verifyServed(opts: PublishOptions, plan: UploadPlan, before: ServerState, uploaded: string[], pinnedRoot: Uint8Array, pinVersion: number): Promise<PublishOutcome> {
  const { local, api } = opts;
  // Fetch back and verify as a client: from the pin, every role, with expiry.
  const delegatedNames = new Set([...local.delegated.keys()]);
  const plannedRoot = plan.roles.find((r) => r.role === 'root')!.to;
  const served = await fetchBack(api, pinVersion, plannedRoot, delegatedNames);
  let repo: VerifiedRepository;
  try {
    repo = verifyRepository(served, { trustedRoot: pinnedRoot, now: opts.now, gun: api.gun, requireComplete: true });
  } catch (err) {
    throw new CeremonyError('PUBLISH_FETCH_BACK_MISMATCH', `what the server now serves does not verify from the pinned root: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  checkPlannedRoles(plan, local, served, repo);
  checkNoRollback(before, repo);
  return { plan, uploaded, served: repo, pinnedRootVersion: pinVersion };
}

/**
 * Every role the plan knows must be served as the plan left it: an uploaded role as uploaded, any other
 * as the server served it before the upload — which is the input's file, byte for byte (upload-set.ts
 * skips a role only when the bytes are equal). Verifying from the pin is not enough: in Notary the server
 * usually holds the snapshot key, so it can sign a new snapshot naming an OLDER file of a role that still
 * carries its real signatures (review 14a M3). Clients that hold the newer one then refuse the snapshot
 * (TUF 5.5.5) and new clients lose what it added.
 */
function checkPlannedRoles(plan: UploadPlan, local: RepositoryFiles, served: RepositoryFiles, repo: VerifiedRepository): void {
  for (const r of plan.roles) {
    const expected = r.role === 'root' ? newestLocalRoot(local) : r.role === 'targets' ? local.targets : r.role === 'snapshot' ? local.snapshot : local.delegated.get(r.role);
    const got = r.role === 'root' ? served.root : r.role === 'targets' ? served.targets : r.role === 'snapshot' ? served.snapshot : served.delegated.get(r.role);
    const version = r.role === 'root' ? repo.root.signed.version : r.role === 'targets' ? repo.targets?.md.signed.version : r.role === 'snapshot' ? repo.snapshot?.md.signed.version : repo.delegated.get(r.role)?.md.signed.version;
    const was = r.upload ? `version ${r.to}, just uploaded` : `version ${r.to}, which it served before the upload`;
    const path = `${r.role}.json`;
    if (!got) throw new CeremonyError('PUBLISH_FETCH_BACK_MISMATCH', `after the upload the server does not serve ${r.role} (${was})`, { path });
    if (version !== undefined && version !== r.to) {
      const why =
        version < r.to
          ? 'a rollback: clients that hold the newer file refuse the snapshot naming this one (TUF 5.5.5), and new clients lose what the newer one added'
          : 'someone published at the same moment';
      throw new CeremonyError('PUBLISH_FETCH_BACK_MISMATCH', `after the upload the server serves ${r.role} version ${version}, not ${was}: ${why}`, { path: `${path} $.signed.version` });
    }
    if (!expected || !bytesEqual(got, expected)) {
      throw new CeremonyError(
        'PUBLISH_FETCH_BACK_MISMATCH',
        r.upload
          ? `the server serves other bytes for ${r.role} than were uploaded: someone published at the same moment, or the server rewrote the file`
          : `the server serves other bytes for ${r.role} version ${r.to} than it served before the upload: the server rewrote the file`,
        { path },
      );
    }
  }
}

/**
 * The roles the plan does not hold (targets.json when the input has none, the snapshot the server signs,
 * the timestamp) must not go below the versions the server served before the upload (TUF 5.4.3, 5.5.5,
 * 5.6.3: a client that read them then refuses lower ones). Those earlier files were read but not all
 * verified, so they are used only to refuse, never to accept.
 */
function checkNoRollback(before: ServerState, repo: VerifiedRepository): void {
  const earlier = (bytes: Uint8Array | undefined, role: 'targets' | 'snapshot' | 'timestamp'): number | undefined => {
    if (!bytes) return undefined;
    try {
      return parseMetadata(bytes, role, { maxBytes: DEFAULT_CAPS[role], source: `the server’s ${role}.json before the upload` }).signed.version;
    } catch {
      return undefined;
    }
  };
  const now = { targets: repo.targets?.md.signed.version, snapshot: repo.snapshot?.md.signed.version, timestamp: repo.timestamp?.md.signed.version };
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const was = earlier(before[role], role);
    const is = now[role];
    if (was !== undefined && is !== undefined && is < was) {
      throw new CeremonyError('PUBLISH_FETCH_BACK_MISMATCH', `after the upload the server serves ${role} version ${is}, older than the version ${was} it served before the upload: a rollback, which clients that read version ${was} refuse (TUF 5.5.5)`, {
        path: `${role}.json $.signed.version`,
      });
    }
  }
}

export function describeChange(c: RoleChange): string {
  if (!c.upload) return `${c.role} v${c.to} (already on the server)`;
  return c.from === undefined ? `${c.role} v${c.to} (new)` : `${c.role} v${c.from} → v${c.to}`;
}
