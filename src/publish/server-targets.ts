/**
 * The server's targets.json, verified before `publish` decides from it which delegated roles a new
 * targets.json takes a key from (PUBLISH_HALF_SET, upload-set.ts). Review B: decided from the server's
 * answer as it came, a forged or stale answer could make publish skip that check (a targets.json whose
 * delegations already lack the key) or require it wrongly. So the answer is verified as a client would
 * (TUF 5.3–5.6) from the root publish pins — the same pin the upload set and the fetch-back are verified
 * from:
 *
 * - TUF 5.3: the server's root.json is reached from the pin one version at a time (N.root.json from the
 *   input or the server), or is the pin itself byte for byte. A server root OLDER than the pin is not
 *   trusted at all: the server's files must then verify under the pinned root's keys (they do when the
 *   rotation since kept the timestamp, snapshot and targets keys); otherwise pin the root the server
 *   serves (`--root`, or its N.root.json in the input);
 * - TUF 5.4: timestamp.json signed by a threshold of that root's timestamp keys, and not expired (this only
 *   refuses a passive cache's stale copy);
 * - TUF 5.5: snapshot.json with the length and hashes the timestamp records, signed by the snapshot keys;
 * - TUF 5.6: targets.json with the length and hashes (and version) the snapshot records, signed by the
 *   targets keys.
 *
 * What this does NOT prove (review A2, M2): that the answer is current or complete. In Notary the server
 * holds the timestamp key, and in the set Docker uses (and the one this project recommends for delegated
 * publishers) the snapshot key too, so a server signs a fresh timestamp and any snapshot it likes over an
 * older targets.json the targets key really signed, or a snapshot that leaves a role out. Only the targets
 * key's signature binds content, so upload-set.ts anchors freshness itself: the server's targets.json must
 * be exactly the version the input's targets.json replaces, and the roles that count are those that
 * targets.json delegates to, whatever the snapshot lists.
 *
 * A server that serves any of root, timestamp, snapshot or targets for the GUN serves them all (notary-server
 * never serves a repository without targets.json: its first upload must carry it); a missing one is refused
 * (META_MISSING), never read as "nothing to check". Snapshot and targets expiry is not checked: publishing a
 * renewal over expired files is one of publish's purposes. Any refusal is PUBLISH_SERVER_UNVERIFIED, naming
 * the file and the JSON path, with the verifier's own code in the message and as `cause`; nothing is
 * uploaded.
 */
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import { checkBytesAgainstMeta, checkVersionAgainstMeta } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import { verifyRootSelf, walkRootChain } from '../tuf/root-chain.js';
import type { Targets } from '../tuf/targets.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';

/** What the server answered (bytes), by the names clients fetch. */
export interface ServedFiles {
  root?: Uint8Array | undefined;
  timestamp?: Uint8Array | undefined;
  snapshot?: Uint8Array | undefined;
  targets?: Uint8Array | undefined;
  /** `N.root.json` by N, from the input and the server (the input's first): the chain from the pin. */
  versionedRoots: ReadonlyMap<number, Uint8Array>;
}

export interface TrustedServerTargets {
  targets: Metadata<Targets>;
}

const SERVER = 'the server’s';

/**
 * Run `fn` on the server's answer: a refusal becomes PUBLISH_SERVER_UNVERIFIED (fail closed), with the
 * verifier's code and message, and its path (the server's file and the JSON path) as this error's path.
 */
export function fromServer<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    const inner = messageWithoutPath(err);
    throw new CeremonyError(
      'PUBLISH_SERVER_UNVERIFIED',
      `${what}: the server’s answer does not verify from the pinned root (${err.code}: ${inner}): nothing was uploaded; check --server and --gun, and that the pinned root (--root, default the oldest root of the input) is one the server’s root descends from`,
      { path: err.path ?? `${SERVER} targets.json`, cause: err },
    );
  }
}

const TOP_LEVEL = ['root', 'timestamp', 'snapshot', 'targets'] as const;

function need(served: ServedFiles, role: (typeof TOP_LEVEL)[number]): Uint8Array {
  const bytes = served[role];
  if (bytes) return bytes;
  const present = TOP_LEVEL.filter((r) => served[r]).map((r) => `${r}.json`);
  throw new CeremonyError(
    'META_MISSING',
    `the server serves ${present.join(', ')} for this GUN but no ${role}.json: notary-server never serves a repository without it (a first publish is one where the server serves none of them)`,
    { path: `${SERVER} ${role}.json` },
  );
}

/** TUF 5.3 from the pin to the server's root.json (see the module comment for a server root older than the pin). */
function trustedServerRoot(served: ServedFiles, pin: Metadata<Root>, pinnedBytes: Uint8Array): Metadata<Root> {
  const rootBytes = need(served, 'root');
  const source = `${SERVER} root.json`;
  const serverRoot = parseMetadata(rootBytes, 'root', { maxBytes: DEFAULT_CAPS.root, source, profile: pin.profile.name });
  const version = serverRoot.signed.version;
  if (version < pin.signed.version) return pin;
  if (version === pin.signed.version) {
    if (!bytesEqual(rootBytes, pinnedBytes)) {
      throw new CeremonyError('TRUSTED_ROOT_MISMATCH', `${source} is version ${version}, the pinned root's version, but not the same file`, { path: source });
    }
    return pin;
  }
  const rootAt = (v: number) => {
    if (v === version) return { bytes: rootBytes, source };
    const bytes = served.versionedRoots.get(v);
    return bytes ? { bytes, source: `${v}.root.json` } : undefined;
  };
  return walkRootChain(pin, version, rootAt, DEFAULT_CAPS.root).root;
}

/** The server's targets.json, verified from `pinnedRoot` (module comment); PUBLISH_SERVER_UNVERIFIED otherwise. */
export function verifyServerTargets(served: ServedFiles, opts: { pinnedRoot: Uint8Array; now: Date }): TrustedServerTargets {
  return fromServer('the server’s targets.json cannot be trusted to tell which delegated roles lose a key', () => {
    const caps = DEFAULT_CAPS;
    const pin = parseMetadata(opts.pinnedRoot, 'root', { maxBytes: caps.root, source: 'pinned root' });
    requireVerified(verifyRootSelf(pin), 'pinned root');
    const profile = pin.profile;
    const root = trustedServerRoot(served, pin, opts.pinnedRoot).signed;

    // TUF 5.4: signed by the timestamp role, and not expired (a passive cache's copy; the server itself signs fresh ones).
    const ts = parseMetadata(need(served, 'timestamp'), 'timestamp', { maxBytes: caps.timestamp, source: `${SERVER} timestamp.json`, profile: profile.name });
    requireVerified(verifyRole(ts, 'timestamp', root.roles.get('timestamp')!, root.keys), ts.source);
    if (ts.signed.expires.getTime() <= opts.now.getTime()) {
      throw new CeremonyError('EXPIRED', `${ts.source} expired at ${ts.signed.expiresText}: a stale copy (notary-server signs a fresh timestamp on request)`, { path: `${ts.source} $.signed.expires` });
    }

    // TUF 5.5: the snapshot the timestamp names, signed by the snapshot role.
    const snapshotBytes = need(served, 'snapshot');
    checkBytesAgainstMeta(profile, ts.signed.snapshot, snapshotBytes, `${SERVER} snapshot.json`, ts.source);
    const snapshot = parseMetadata(snapshotBytes, 'snapshot', { maxBytes: caps.snapshot, source: `${SERVER} snapshot.json`, profile: profile.name });
    checkVersionAgainstMeta(ts.signed.snapshot, snapshot, ts.source);
    requireVerified(verifyRole(snapshot, 'snapshot', root.roles.get('snapshot')!, root.keys), snapshot.source);

    // TUF 5.6: the targets.json the snapshot names, signed by the targets role.
    const targetsBytes = need(served, 'targets');
    const meta = snapshot.signed.meta.get('targets')!; // parseSnapshot requires it
    checkBytesAgainstMeta(profile, meta, targetsBytes, `${SERVER} targets.json`, snapshot.source);
    const targets = parseMetadata(targetsBytes, 'targets', { maxBytes: caps.targets, source: `${SERVER} targets.json`, profile: profile.name });
    checkVersionAgainstMeta(meta, targets, snapshot.source);
    requireVerified(verifyRole(targets, 'targets', root.roles.get('targets')!, root.keys), targets.source);
    return { targets };
  });
}
