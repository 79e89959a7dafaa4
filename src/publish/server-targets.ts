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
 * - TUF 5.4: timestamp.json signed by a threshold of that root's timestamp keys, and NOT expired: it is
 *   what says the answer is current (notary-server signs a fresh one on request), so a replayed old set
 *   is refused once its timestamp has expired;
 * - TUF 5.5: snapshot.json with the length and hashes the timestamp records, signed by the snapshot keys;
 * - TUF 5.6: targets.json with the length and hashes (and version) the snapshot records — an older
 *   targets.json than the one the snapshot names is refused here — signed by the targets keys.
 *
 * Snapshot and targets expiry is not checked: publishing a renewal over expired files is one of publish's
 * purposes. Which delegated files the server serves is read from the verified snapshot (the files clients
 * fetch), not from which GETs answered 200. Any refusal is PUBLISH_SERVER_UNVERIFIED, naming the file and
 * the JSON path, with the verifier's own code in the message and as `cause`; nothing is uploaded.
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
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
  /** The roles the verified snapshot lists: the metadata files the server serves to clients. */
  listed: ReadonlySet<string>;
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
    const inner = err.message.replace(/ \(at [^)]*\)$/, '');
    throw new CeremonyError(
      'PUBLISH_SERVER_UNVERIFIED',
      `${what}: the server’s answer does not verify from the pinned root (${err.code}: ${inner}): nothing was uploaded; check --server and --gun, and that the pinned root (--root, default the oldest root of the input) is one the server’s root descends from`,
      { path: err.path ?? `${SERVER} targets.json`, cause: err },
    );
  }
}

function need(bytes: Uint8Array | undefined, name: string): Uint8Array {
  if (!bytes) throw new CeremonyError('META_MISSING', `the server serves targets.json but no ${name}`, { path: `${SERVER} ${name}` });
  return bytes;
}

/** TUF 5.3 from the pin to the server's root.json (see the module comment for a server root older than the pin). */
function trustedServerRoot(served: ServedFiles, pin: Metadata<Root>, pinnedBytes: Uint8Array): Metadata<Root> {
  const rootBytes = need(served.root, 'root.json');
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

    // TUF 5.4: signed by the timestamp role, and current.
    const ts = parseMetadata(need(served.timestamp, 'timestamp.json'), 'timestamp', { maxBytes: caps.timestamp, source: `${SERVER} timestamp.json`, profile: profile.name });
    requireVerified(verifyRole(ts, 'timestamp', root.roles.get('timestamp')!, root.keys), ts.source);
    if (ts.signed.expires.getTime() <= opts.now.getTime()) {
      throw new CeremonyError('EXPIRED', `${ts.source} expired at ${ts.signed.expiresText}: a stale answer (notary-server serves a fresh timestamp)`, { path: `${ts.source} $.signed.expires` });
    }

    // TUF 5.5: the snapshot the timestamp names, signed by the snapshot role.
    const snapshotBytes = need(served.snapshot, 'snapshot.json');
    checkBytesAgainstMeta(profile, ts.signed.snapshot, snapshotBytes, `${SERVER} snapshot.json`, ts.source);
    const snapshot = parseMetadata(snapshotBytes, 'snapshot', { maxBytes: caps.snapshot, source: `${SERVER} snapshot.json`, profile: profile.name });
    checkVersionAgainstMeta(ts.signed.snapshot, snapshot, ts.source);
    requireVerified(verifyRole(snapshot, 'snapshot', root.roles.get('snapshot')!, root.keys), snapshot.source);

    // TUF 5.6: the targets.json the snapshot names, signed by the targets role.
    const targetsBytes = need(served.targets, 'targets.json');
    const meta = snapshot.signed.meta.get('targets')!; // parseSnapshot requires it
    checkBytesAgainstMeta(profile, meta, targetsBytes, `${SERVER} targets.json`, snapshot.source);
    const targets = parseMetadata(targetsBytes, 'targets', { maxBytes: caps.targets, source: `${SERVER} targets.json`, profile: profile.name });
    checkVersionAgainstMeta(meta, targets, snapshot.source);
    requireVerified(verifyRole(targets, 'targets', root.roles.get('targets')!, root.keys), targets.source);
    return { targets, listed: new Set(snapshot.signed.meta.keys()) };
  });
}
