/**
 * `tuf-ceremony publish` (issue #14): the online machine's side of a ceremony. Read what the server
 * serves, decide the upload (src/publish/upload-set.ts: exactly the files that must go together, refusing
 * sets that would break clients), send it as ONE multipart POST (one update on the server: all or
 * nothing), then fetch back what the server now serves — root (and the versions the chain needs),
 * targets, snapshot, timestamp, delegated roles — and verify it from the pinned root as a client would
 * (TUF 5.3–5.6, src/tuf/repository.ts) before saying "published". Nothing is uploaded when anything is
 * refused; when the server already serves exactly these files, nothing is uploaded and the fetch-back
 * still runs (publishing twice is harmless).
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
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
    await api.upload(plan.upload);
    await opts.onUploaded?.(plan);
  }
  try {
    return await verifyServed(opts, plan, uploaded, pinnedRoot, pinVersion);
  } catch (err) {
    // After an accepted upload a fetch-back that could not be completed (an HTTP error, a stall, a token
    // refused) proves nothing either way: the server may serve the new metadata now, so this is not a
    // refusal of the upload (review 14a M2). A mismatch is a finding about what the server serves, and
    // keeps its own code.
    if (plan.upload.size === 0 || isCeremonyError(err, 'PUBLISH_FETCH_BACK_MISMATCH') || !isCeremonyError(err)) throw err;
    throw new CeremonyError('PUBLISH_UPLOADED_UNVERIFIED', unverifiedMessage(api, plan, err), { cause: err });
  }
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

async function verifyServed(opts: PublishOptions, plan: UploadPlan, uploaded: string[], pinnedRoot: Uint8Array, pinVersion: number): Promise<PublishOutcome> {
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
  for (const [role, bytes] of plan.upload) {
    const got = role === 'root' ? served.root : role === 'targets' ? served.targets : role === 'snapshot' ? served.snapshot : served.delegated.get(role);
    if (!got || !bytesEqual(got, bytes)) {
      throw new CeremonyError('PUBLISH_FETCH_BACK_MISMATCH', `the server serves other bytes for ${role} than were uploaded: someone published at the same moment, or the server rewrote the file`, { path: `${role}.json` });
    }
  }
  return { plan, uploaded, served: repo, pinnedRootVersion: pinVersion };
}

export function describeChange(c: RoleChange): string {
  if (!c.upload) return `${c.role} v${c.to} (already on the server)`;
  return c.from === undefined ? `${c.role} v${c.to} (new)` : `${c.role} v${c.from} → v${c.to}`;
}
