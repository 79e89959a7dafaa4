import { CeremonyError, messageWithoutPath } from '../errors.js';
import { bytesEqual, digest, isSupportedHash } from '../crypto/digest.js';
import { setOwn } from '../json/fields.js';
import type { Profile, ProfileName } from '../profiles/profile.js';
import { capFor, DEFAULT_CAPS, DEFAULT_REPOSITORY_VALUES, type SizeCaps } from './caps.js';
import type { MetaFile } from './meta-file.js';
import { parseMetadata, type Metadata, type ParseOptions } from './metadata.js';
import { checkNotaryRootCertificates } from './notary-root.js';
import type { Root } from './root.js';
import { verifyRootSelf, verifyRootUpdate, type RootUpdateResult } from './root-chain.js';
import { checkChainAhead, plannedRootUpdateChecks, type ChainStep, type PlannedCheck } from './root-chain-plan.js';
import { DelegationNames } from './delegation-names.js';
import type { SignatureBatch } from './signature-batch.js';
import { SignatureWork, type SignatureWorkLimits } from './signature-work.js';
import type { Snapshot, Timestamp } from './snapshot.js';
import type { Targets } from './targets.js';
import { meetsPolicy, newDocumentChecks, newSignatureMemo, requireVerified, verifyRole, type DocumentChecks, type SignatureMemo, type VerificationResult } from './verify.js';

/** The metadata files of one repository, as bytes: from a directory, and later from a bundle. */
export interface RepositoryFiles {
  /** `N.root.json`, by N. */
  versionedRoots: Map<number, Uint8Array>;
  /** `root.json`: the newest root. */
  root?: Uint8Array;
  timestamp?: Uint8Array;
  snapshot?: Uint8Array;
  targets?: Uint8Array;
  /** Delegated targets roles by role name. */
  delegated: Map<string, Uint8Array>;
  /**
   * `attestations.json` when the input carries one (src/attestation/attestations-file.ts): not metadata —
   * TUF verification ignores it; verify, import and inspect check it against the verified root's keys.
   */
  attestations?: Uint8Array;
}

/**
 * What a site already trusts (for rollback checks, TUF 5.3–5.6): versions, and the keys of the
 * timestamp and snapshot roles, so a key rotation can reset them (TUF 5.3.11, fast-forward recovery).
 */
export interface TrustedVersions {
  root: number;
  timestamp?: number;
  snapshot?: number;
  /** Snapshot meta versions by role (TUF 5.5.5). */
  snapshotMeta?: Record<string, number>;
  targets?: number;
  delegated?: Record<string, number>;
  timestampKeys?: string[];
  snapshotKeys?: string[];
}

export interface VerifyOptions {
  /** The pinned root, as bytes (by file; a fingerprint pin is resolved to bytes by the caller). */
  trustedRoot: Uint8Array;
  /** The local clock (injected: tests freeze it). */
  now: Date;
  installed?: TrustedVersions;
  caps?: SizeCaps;
  /** Notary: the GUN the root certificates must name (else: whatever they all agree on). */
  gun?: string;
  /** Require timestamp, snapshot and targets (an import), rather than verifying what is present. */
  requireComplete?: boolean;
  /**
   * The caller gives up the buffers of targets.json and the delegated targets files (`verify`, which
   * read them and only reports): once a file's length and hashes are checked, a pretty-printed one is
   * compacted in its own buffer, not into a copy (issue #18: 6,800 fresh pages for the bench's 30 MB
   * file, more than the compaction itself). Their `md.bytes` are then not the files (the compacted text
   * and what is left of the file after it), and a refusal of one's parse is thrown as a GivenUpRefusal:
   * still a refusal, but of the compacted text, which may not be the file's own (json/parse.ts
   * ParseJsonOptions.givenUp): to report the file's, verify a fresh read without this. Every other
   * refusal (signatures, versions, expiry, the root chain) is the files' own as usual. Nothing else is
   * given up: roots are compared and hashed after their parse.
   */
  targetsGivenUp?: boolean;
  /**
   * Where the root chain's signatures may be checked ahead of its walk, all together (on other threads:
   * io/signature-pool.ts). The walk, its verdicts and its refusals are the same with or without it.
   */
  signatureBatch?: SignatureBatch;
  /** How much signature checking this verification may do (signature-work.ts); default DEFAULT_SIGNATURE_WORK. */
  signatureWork?: SignatureWorkLimits;
  /**
   * The signature work to charge, when this verification is one of several bounded together (a set import:
   * trust-store/install-set.ts): used in preference to a fresh `new SignatureWork(signatureWork)`, so the
   * limits are the caller's for all of them, not one verification's each; or one inspection's verdict
   * and view (inspect.ts, review-13b H1).
   */
  work?: SignatureWork;
}

/**
 * A given-up targets file's parse refused (VerifyOptions.targetsGivenUp): the file is refused, but the
 * code, path and position are the compacted text's. `refusal` is that error; the caller that gave the
 * bytes up reads the file again to report the file's own.
 */
export class GivenUpRefusal extends CeremonyError {
  constructor(readonly refusal: CeremonyError) {
    super(refusal.code, refusal.message, { cause: refusal });
    this.name = 'GivenUpRefusal';
  }
}

/** A targets file parsed, given up or not (VerifyOptions.targetsGivenUp); a given-up file's parse refusal as a GivenUpRefusal. */
function parseTargetsFile(bytes: Uint8Array, opts: ParseOptions, givenUp: boolean): Metadata<Targets> {
  if (!givenUp) return parseMetadata(bytes, 'targets', opts);
  try {
    return parseMetadata(bytes, 'targets', { ...opts, givenUp: true });
  } catch (err) {
    throw err instanceof CeremonyError ? new GivenUpRefusal(err) : err;
  }
}

export interface VerifiedRole<T extends Metadata = Metadata> {
  md: T;
  result: VerificationResult;
  delegatedBy: string;
}

export interface VerifiedRepository {
  profile: ProfileName;
  trustedRoot: Metadata<Root>;
  root: Metadata<Root>;
  rootResult: VerificationResult;
  rootChain: RootUpdateResult[];
  timestamp?: VerifiedRole<Metadata<Timestamp>>;
  snapshot?: VerifiedRole<Metadata<Snapshot>>;
  targets?: VerifiedRole<Metadata<Targets>>;
  delegated: Map<string, VerifiedRole<Metadata<Targets>>>;
  /** Roles the root or a delegation names whose metadata was not in the input. */
  absent: string[];
}

function checkExpiry(md: Metadata, now: Date): void {
  if (md.signed.expires.getTime() <= now.getTime()) {
    throw new CeremonyError('EXPIRED', `${md.source} expired at ${md.signed.expiresText}`, { path: `${md.source} $.signed.expires` });
  }
}

function refuseRollback(md: Metadata, trusted: number | undefined): void {
  if (trusted !== undefined && md.signed.version < trusted) {
    throw new CeremonyError('ROLLBACK', `${md.source} is version ${md.signed.version}, older than the installed version ${trusted}`, {
      path: `${md.source} $.signed.version`,
    });
  }
}

/**
 * TUF 5.5.1–5.5.2 / 5.6.1–5.6.2: the bytes must match the length and hashes the referring role recorded,
 * checked BEFORE a byte of them is parsed — a referred file is only as large and as costly to read as the
 * signed referrer allows, so a padded or bloated file is refused at the cost of one hash, not of a parse.
 * Unknown hash algorithms are ignored, but at least one known one must be there to bind the bytes.
 */
export function checkBytesAgainstMeta(profile: Profile, meta: MetaFile, bytes: Uint8Array, source: string, referrer: string): void {
  const where = `${referrer} meta for ${source}`;
  if (meta.length !== undefined && meta.length !== bytes.length) {
    throw new CeremonyError('LENGTH_MISMATCH', `${source} is ${bytes.length} bytes but ${referrer} says ${meta.length}`, { path: where });
  }
  if (meta.hashes) {
    let checked = 0;
    for (const [alg, text] of Object.entries(meta.hashes)) {
      if (!isSupportedHash(alg)) continue;
      const expected = profile.decodeDigest(text, where);
      if (!bytesEqual(digest(alg, bytes), expected)) {
        throw new CeremonyError('HASH_MISMATCH', `${source} does not have the ${alg} hash ${referrer} records`, { path: where });
      }
      checked++;
    }
    if (checked === 0) throw new CeremonyError('HASH_MISMATCH', `${referrer} records no hash algorithm we can check for ${source}`, { path: where });
  }
}

/** TUF 5.5.3 / 5.6.3 (TUF profile): once parsed, the version must be the one the referrer names. */
export function checkVersionAgainstMeta(meta: MetaFile, md: Metadata, referrer: string): void {
  if (meta.version !== undefined && meta.version !== md.signed.version) {
    throw new CeremonyError('VERSION_MISMATCH', `${md.source} is version ${md.signed.version} but ${referrer} names version ${meta.version}`, {
      path: `${md.source} $.signed.version`,
    });
  }
}

function checkAgainstMeta(profile: Profile, meta: MetaFile, md: Metadata, referrer: string): void {
  checkBytesAgainstMeta(profile, meta, md.bytes, md.source, referrer);
  checkVersionAgainstMeta(meta, md, referrer);
}

function sameKeys(a: string[] | undefined, b: string[]): boolean {
  if (!a) return true;
  return a.length === b.length && a.every((k) => b.includes(k));
}

export function roleKeyFingerprints(root: Root, role: 'timestamp' | 'snapshot' | 'targets' | 'root'): string[] {
  return root.roles.get(role)!.keyids.map((id) => root.keys.get(id)!.key.fingerprint).sort();
}

/**
 * The versioned roots at or below the pinned version (issue #12): `N.root.json` with N equal to the pin
 * must be the pinned file byte for byte (TRUSTED_ROOT_MISMATCH); older ones must be the pin's own history —
 * every version from the lowest given up to the pin present, the lowest signed by its own threshold, and
 * each next one (the pin last) signed by a threshold of the previous and of its own keys, as TUF 5.3.4
 * checks a forward update. A file that is neither is refused, not carried along unread.
 */
function checkRootsUpToPin(files: RepositoryFiles, pinBytes: Uint8Array, pin: Metadata<Root>, caps: SizeCaps, work: SignatureWork): void {
  const pinned = pin.signed.version;
  const below = [...files.versionedRoots.keys()].filter((v) => v <= pinned).sort((a, b) => a - b);
  if (below.length === 0) return;
  const atPin = files.versionedRoots.get(pinned);
  if (atPin && !bytesEqual(atPin, pinBytes)) {
    throw new CeremonyError('TRUSTED_ROOT_MISMATCH', `${pinned}.root.json is version ${pinned} but not the same file as the pinned root`, { path: `${pinned}.root.json` });
  }
  const lowest = below[0]!;
  if (lowest === pinned) return;
  for (let v = lowest; v < pinned; v++) {
    if (!files.versionedRoots.has(v)) {
      throw new CeremonyError('ROOT_VERSION_SKIPPED', `root version ${v} is missing: the older roots given (from ${lowest}.root.json) must lead to the pinned version ${pinned} without a gap`, {
        path: `${v}.root.json`,
      });
    }
  }
  const parse = (v: number) => {
    const md = parseMetadata(files.versionedRoots.get(v)!, 'root', { maxBytes: caps.root, source: `${v}.root.json`, profile: pin.profile.name });
    if (md.signed.version !== v) throw new CeremonyError('VERSION_MISMATCH', `${v}.root.json holds root version ${md.signed.version}`, { path: `${v}.root.json $.signed.version` });
    return md;
  };
  let previous = parse(lowest);
  requireVerified(verifyRootSelf(previous, { work }), previous.source);
  for (let v = lowest + 1; v <= pinned; v++) {
    const next = v === pinned ? pin : parse(v);
    try {
      // Only the verdict of these older roots matters: each check stops at its threshold.
      verifyRootUpdate(previous, next, { intermediate: true, work });
    } catch (err) {
      // Too much work is the input's cost, not a verdict on whether this root precedes the pin.
      if (v !== pinned || !(err instanceof CeremonyError) || err.code === 'SIGNATURE_WORK_EXCEEDED') throw err;
      throw new CeremonyError('ROOT_CHAIN_BROKEN', `${previous.source} is not the predecessor of the pinned root: ${messageWithoutPath(err)}`, {
        path: previous.source,
        cause: err,
      });
    }
    previous = next;
  }
}

/**
 * How far ahead of the walk roots are parsed and checked (VerifyOptions.signatureBatch): a window of at
 * most this many versions and bytes, so what is held parsed at once stays bounded whatever the chain's
 * length and files' sizes (a walk without a batch holds two roots).
 */
const AHEAD_VERSIONS = 256;
const AHEAD_BYTES = 8 << 20;

/** A window of the chain parsed and its checks submitted (chainWindow): the memos come with `finish`. */
interface ChainWindow {
  from: number;
  steps: ChainStep[];
  /** A root did not parse: the walk stops at it, so nothing after this window is read ahead. */
  stopped: boolean;
  finish: () => SignatureMemo[];
}

/**
 * The signature work a batch may still be given (signature-work.ts): what the limits leave after the
 * checks charged before the chain and every check planned for the windows before. The walk charges each
 * planned check as it reads its outcome, so the batch's threads never do more than the limits allow, and a
 * chain past them is refused by the walk, at the same root as without a batch.
 */
interface AheadAllowance {
  checks: number;
  bytes: number;
}

/**
 * The next window of the chain from version `from` (the root before it is `trusted`): its roots parsed and
 * their planned checks submitted as one batch. Parsing stops at the first root that does not parse: the
 * walk parses it again and refuses it where a walk without a batch would, after refusing whatever comes
 * before it. The window also ends before a root whose planned checks the allowance cannot take, and
 * nothing after it is read ahead: the walk checks the rest itself.
 */
function chainWindow(
  from: number,
  target: number,
  trusted: Metadata<Root>,
  chainRoot: (v: number, trusted: Metadata<Root>) => Metadata<Root>,
  batch: SignatureBatch,
  allowance: AheadAllowance,
): ChainWindow {
  const steps: ChainStep[] = [];
  const plans: PlannedCheck[][] = [];
  let bytes = 0;
  let stopped = false;
  for (let v = from; v <= target && steps.length < AHEAD_VERSIONS && bytes < AHEAD_BYTES; v++) {
    let next: Metadata<Root>;
    try {
      next = chainRoot(v, trusted);
    } catch {
      stopped = true;
      break;
    }
    const step = { trusted, next, intermediate: v < target };
    const plan = plannedRootUpdateChecks(step);
    const planBytes = plan.length * next.signedBytes().length;
    if (plan.length > allowance.checks || planBytes > allowance.bytes) {
      stopped = true;
      break;
    }
    allowance.checks -= plan.length;
    allowance.bytes -= planBytes;
    steps.push(step);
    plans.push(plan);
    bytes += next.bytes.length;
    trusted = next;
  }
  // A batch that fails (a thread that could not take the shared memory, a bug) checks nothing: the walk
  // then verifies everything itself and refuses where it would have, not with the batch's error first.
  const nothing = () => steps.map((step) => newSignatureMemo(step.next));
  let finish: () => SignatureMemo[];
  try {
    finish = checkChainAhead(steps, batch, plans);
  } catch {
    finish = nothing;
  }
  return {
    from,
    steps,
    stopped,
    finish: () => {
      try {
        return finish();
      } catch {
        return nothing();
      }
    },
  };
}

/**
 * The chain read ahead of its walk, window by window: when the walk needs window k's outcomes, window k+1
 * is parsed and submitted first, so other threads check it while this one waits for k's last chunks and
 * walks k. At most two windows are held.
 */
function chainAhead(
  pinned: number,
  target: number,
  trustedRoot: Metadata<Root>,
  chainRoot: (v: number, trusted: Metadata<Root>) => Metadata<Root>,
  batch: SignatureBatch,
  work: SignatureWork,
): (v: number) => { next: Metadata<Root>; memo: SignatureMemo } | undefined {
  let current = new Map<number, { next: Metadata<Root>; memo: SignatureMemo }>();
  const allowance: AheadAllowance = { checks: work.limits.checks - work.checks, bytes: work.limits.bytes - work.bytes };
  let pending: ChainWindow | undefined = chainWindow(pinned + 1, target, trustedRoot, chainRoot, batch, allowance);
  return (v) => {
    if (!current.has(v) && pending?.from === v) {
      const w: ChainWindow = pending;
      const end = w.from + w.steps.length;
      const last = w.steps[w.steps.length - 1];
      pending = !w.stopped && last && end <= target ? chainWindow(end, target, last.next, chainRoot, batch, allowance) : undefined;
      const memos = w.finish();
      current = new Map(w.steps.map((step, k) => [w.from + k, { next: step.next, memo: memos[k]! }]));
    }
    const prepared = current.get(v);
    current.delete(v);
    return prepared;
  };
}

/**
 * Verify a repository from a pinned root: the root chain version by version (TUF 5.3), then timestamp
 * (5.4), snapshot (5.5), targets (5.6) and delegated targets, each against the role that delegates to it,
 * with expiry, rollback against what is installed, and the lengths, hashes and versions each referring
 * role records. Throws the first refusal as a CeremonyError with its code; returns results to show.
 */
export function verifyRepository(files: RepositoryFiles, opts: VerifyOptions): VerifiedRepository {
  const caps = opts.caps ?? DEFAULT_CAPS;
  const now = opts.now;
  // Shared by every non-root file kept: their memory is bounded together, not only one by one.
  const budget = { remaining: caps.repositoryValues ?? DEFAULT_REPOSITORY_VALUES };
  // Shared by every signature check, root chain and delegations alike: its cost is bounded by the limits,
  // not by how many times the input makes one file's signatures be checked (signature-work.ts).
  const work = opts.work ?? new SignatureWork(opts.signatureWork);
  const givenUp = opts.targetsGivenUp === true;

  // 5.3.1–5.3.2: the pinned root is trusted as given, and must at least be signed by its own threshold.
  const trustedRoot = parseMetadata(opts.trustedRoot, 'root', { maxBytes: caps.root, source: 'trusted root' });
  const profile = trustedRoot.profile;
  const trustedResult = requireVerified(verifyRootSelf(trustedRoot, { work }), 'trusted root');

  if (files.versionedRoots.size > caps.rootChainLength) {
    throw new CeremonyError('INPUT_TOO_LARGE', `${files.versionedRoots.size} root versions exceed the cap of ${caps.rootChainLength}`);
  }

  // The newest root, from root.json when present, else the highest N.root.json.
  // root.json is most often the pinned root itself (a first import pinned by fingerprint, a set import):
  // the same bytes parse to the same document, so the pin's parse is reused rather than repeated — for a
  // Notary root that is one X.509 decoding per root key fewer (issue #17: a thousand repositories).
  const rootJson = files.root
    ? bytesEqual(files.root, opts.trustedRoot)
      ? trustedRoot
      : parseMetadata(files.root, 'root', { maxBytes: caps.root, source: 'root.json', profile: profile.name })
    : undefined;
  const pinned = trustedRoot.signed.version;
  if (rootJson && rootJson.signed.version < pinned) {
    throw new CeremonyError('ROLLBACK', `root.json is version ${rootJson.signed.version}, older than the pinned root version ${pinned}`, {
      path: 'root.json $.signed.version',
    });
  }
  const target = Math.max(rootJson?.signed.version ?? 0, ...files.versionedRoots.keys(), pinned);
  if (opts.installed && target < opts.installed.root) {
    throw new CeremonyError('ROLLBACK', `the newest root is version ${target}, older than the installed root version ${opts.installed.root}`, {
      path: 'root.json $.signed.version',
    });
  }

  // N.root.json at or below the pin is read too: nothing in the input rides along unread as "verified".
  checkRootsUpToPin(files, opts.trustedRoot, trustedRoot, caps, work);

  // Root version v of the chain, parsed (the keys it shares with `trusted` taken from there).
  const chainRoot = (v: number, trusted: Metadata<Root>): Metadata<Root> => {
    const versioned = files.versionedRoots.get(v);
    const bytes = versioned ?? (rootJson?.signed.version === v ? files.root : undefined);
    if (!bytes) {
      throw new CeremonyError('ROOT_VERSION_SKIPPED', `root version ${v} is missing: the chain from version ${pinned} to ${target} must have every version`, {
        path: `${v}.root.json`,
      });
    }
    const source = versioned ? `${v}.root.json` : 'root.json';
    const next = parseMetadata(bytes, 'root', { maxBytes: caps.root, source, profile: profile.name, knownKeys: trusted.signed.keys });
    if (versioned && next.signed.version !== v) {
      throw new CeremonyError('VERSION_MISMATCH', `${source} holds root version ${next.signed.version}`, { path: `${source} $.signed.version` });
    }
    return next;
  };
  const batch = target - pinned > 1 ? opts.signatureBatch : undefined;
  // At least the pinned root role's threshold of checks per step, most often more (TUF 5.3.4: two roles).
  // Sized by the versions the input holds, not by a version root.json claims: a file saying 1,000,000
  // must not start every thread for a chain that ends at its first missing version.
  if (batch?.expect) {
    let present = rootJson && rootJson.signed.version > pinned && !files.versionedRoots.has(rootJson.signed.version) ? 1 : 0;
    for (const v of files.versionedRoots.keys()) if (v > pinned && v <= target) present++;
    batch.expect(present * trustedRoot.signed.roles.get('root')!.threshold);
  }

  // 5.3.3–5.3.9: walk N+1, N+2, … one version at a time.
  let trusted = trustedRoot;
  const rootChain: RootUpdateResult[] = [];
  const ahead = batch ? chainAhead(pinned, target, trustedRoot, chainRoot, batch, work) : undefined;
  for (let v = pinned + 1; v <= target; v++) {
    const prepared = ahead?.(v);
    const next = prepared?.next ?? chainRoot(v, trusted);
    // The last step keeps full signed/missing lists (they are shown); the ones before stop at thresholds.
    rootChain.push(verifyRootUpdate(trusted, next, { intermediate: v < target, memo: prepared?.memo, work }));
    trusted = next;
  }
  // root.json must be the very root the chain reached (or the pin itself), byte for byte: another file
  // with the same version is a fork, not an update.
  if (rootJson && !bytesEqual(rootJson.bytes, trusted.bytes)) {
    const code = trusted === trustedRoot ? 'TRUSTED_ROOT_MISMATCH' : 'ROOT_CHAIN_BROKEN';
    throw new CeremonyError(code, `root.json is version ${rootJson.signed.version} but not the same file as the ${trusted === trustedRoot ? 'pinned root' : `chain's ${trusted.source}`}`, {
      path: 'root.json',
    });
  }
  const root = trusted;
  // 5.3.10: the final root must not be expired (intermediate ones may be).
  checkExpiry(root, now);
  if (profile.name === 'notary') checkNotaryRootCertificates(root, now, opts.gun);
  // The chain's last step already checked the final root against its own role, in full.
  const rootResult = rootChain.length > 0 ? rootChain[rootChain.length - 1]!.bySelf : trustedResult;
  const rootSigned = root.signed;

  // 5.3.11: "If the timestamp and / or snapshot keys have been rotated, then delete the trusted timestamp
  // and snapshot metadata files": either rotation resets what we remember of BOTH roles (review 15c L4: a
  // timestamp-only rotation kept the installed snapshot version, refusing a reset that tuf-js accepts).
  const installed = opts.installed;
  const rotatedTsOrSnap =
    installed !== undefined &&
    (!sameKeys(installed.timestampKeys, roleKeyFingerprints(rootSigned, 'timestamp')) || !sameKeys(installed.snapshotKeys, roleKeyFingerprints(rootSigned, 'snapshot')));

  const out: VerifiedRepository = { profile: profile.name, trustedRoot, root, rootResult, rootChain, delegated: new Map(), absent: [] };
  const need = (what: string): never => {
    throw new CeremonyError('META_MISSING', `${what} is required but missing`, { path: what });
  };

  // 5.4 timestamp
  if (files.timestamp) {
    const md = parseMetadata(files.timestamp, 'timestamp', { maxBytes: caps.timestamp, source: 'timestamp.json', profile: profile.name, budget });
    const result = requireVerified(verifyRole(md, 'timestamp', rootSigned.roles.get('timestamp')!, rootSigned.keys, { work }), md.source);
    if (!rotatedTsOrSnap) refuseRollback(md, installed?.timestamp);
    if (!rotatedTsOrSnap && installed?.snapshot !== undefined && md.signed.snapshot.version !== undefined && md.signed.snapshot.version < installed.snapshot) {
      throw new CeremonyError('ROLLBACK', `timestamp names snapshot version ${md.signed.snapshot.version}, older than the installed ${installed.snapshot}`, {
        path: 'timestamp.json $.signed.meta',
      });
    }
    checkExpiry(md, now);
    out.timestamp = { md, result, delegatedBy: 'root' };
  } else if (opts.requireComplete) need('timestamp.json');
  else out.absent.push('timestamp');

  // 5.5 snapshot
  if (files.snapshot) {
    const meta = out.timestamp?.md.signed.snapshot;
    if (meta) checkBytesAgainstMeta(profile, meta, files.snapshot, 'snapshot.json', 'timestamp.json');
    const md = parseMetadata(files.snapshot, 'snapshot', { maxBytes: caps.snapshot, source: 'snapshot.json', profile: profile.name, budget });
    if (meta) checkVersionAgainstMeta(meta, md, 'timestamp.json');
    const result = requireVerified(verifyRole(md, 'snapshot', rootSigned.roles.get('snapshot')!, rootSigned.keys, { work }), md.source);
    if (!rotatedTsOrSnap) {
      refuseRollback(md, installed?.snapshot);
      // 5.5.5: no role listed by the trusted snapshot may disappear or go back in version.
      for (const [role, version] of Object.entries(installed?.snapshotMeta ?? {})) {
        const now5 = md.signed.meta.get(role);
        if (!now5) throw new CeremonyError('SNAPSHOT_META_REMOVED', `snapshot no longer lists ${role}`, { path: 'snapshot.json $.signed.meta' });
        if (now5.version !== undefined && now5.version < version) {
          throw new CeremonyError('ROLLBACK', `snapshot names ${role} version ${now5.version}, older than the installed ${version}`, { path: 'snapshot.json $.signed.meta' });
        }
      }
    }
    checkExpiry(md, now);
    // Notary's snapshot also binds root.json (its FileMeta for "root").
    const rootMeta = profile.name === 'notary' ? md.signed.meta.get('root') : undefined;
    if (rootMeta) checkAgainstMeta(profile, rootMeta, root, 'snapshot.json');
    out.snapshot = { md, result, delegatedBy: 'root' };
  } else if (out.timestamp || opts.requireComplete) need('snapshot.json');
  else out.absent.push('snapshot');

  // 5.6 targets
  if (files.targets) {
    const meta = out.snapshot?.md.signed.meta.get('targets');
    if (out.snapshot && !meta) need('snapshot meta for targets');
    if (meta) checkBytesAgainstMeta(profile, meta, files.targets, 'targets.json', 'snapshot.json');
    const md = parseTargetsFile(files.targets, { maxBytes: caps.targets, source: 'targets.json', profile: profile.name, budget }, givenUp);
    if (meta) checkVersionAgainstMeta(meta, md, 'snapshot.json');
    const result = requireVerified(verifyRole(md, 'targets', rootSigned.roles.get('targets')!, rootSigned.keys, { work }), md.source);
    refuseRollback(md, installed?.targets);
    checkExpiry(md, now);
    out.targets = { md, result, delegatedBy: 'root' };
  } else if (out.snapshot || opts.requireComplete) need('targets.json');
  else out.absent.push('targets');

  // 5.6.7 delegated targets, breadth first from targets: each role is checked against the keys of the
  // role that delegates to it, so a file nobody delegates to is never trusted. A name delegated again
  // (by itself, around a cycle, at another level) is verified under its first delegation; once all are
  // known, it must also meet every other one a client's walk could reach first (delegation-names.ts).
  const reached = new Set<string>();
  const names = new DelegationNames();
  // Each verified file's signature checks, kept for the other delegations of its name (names.check).
  const checks = new Map<string, DocumentChecks>();
  // An index into the queue, not Array.shift: shift is O(n) per call on V8's large arrays (review-12 H1).
  const queue: VerifiedRole<Metadata<Targets>>[] = out.targets ? [out.targets] : [];
  for (let head = 0; head < queue.length; head++) {
    const parent = queue[head]!;
    const parentName = parent === out.targets ? 'targets' : parent.md.source.replace(/\.json$/, '');
    const delegations = parent.md.signed.delegations;
    if (!delegations) continue;
    for (const [i, role] of delegations.roles.entries()) {
      // Notary follows a delegation only to a direct child (tuf/data/roles.go IsParentOf: targets/a delegates
      // targets/a/b; GetValidDelegations skips any other): a file reached only through one is not one its
      // client would ever verify, so it is not verified here either (and, carried, is refused below).
      if (profile.name === 'notary' && role.name.slice(0, role.name.lastIndexOf('/')) !== parentName) continue;
      if (!names.add({ parent: parentName, role, keys: delegations.keys, at: `${parentName}.json $.signed.delegations.roles[${i}].name` })) continue;
      const bytes = files.delegated.get(role.name);
      if (!bytes) {
        out.absent.push(role.name);
        continue;
      }
      reached.add(role.name);
      const source = `${role.name}.json`;
      const meta = out.snapshot?.md.signed.meta.get(role.name);
      if (out.snapshot && !meta) need(`snapshot meta for ${role.name}`);
      if (meta) checkBytesAgainstMeta(profile, meta, bytes, source, 'snapshot.json');
      const md = parseTargetsFile(bytes, { maxBytes: capFor(caps, role.name), source, profile: profile.name, budget }, givenUp);
      if (meta) checkVersionAgainstMeta(meta, md, 'snapshot.json');
      const memo = newSignatureMemo(md);
      const result = requireVerified(verifyRole(md, role.name, role, delegations.keys, { memo, work }), source);
      checks.set(role.name, newDocumentChecks(memo, work));
      // Own entries only: a role named "constructor" or "__proto__" that was never installed has no version.
      const installedDelegated = installed?.delegated;
      refuseRollback(md, installedDelegated && Object.hasOwn(installedDelegated, role.name) ? installedDelegated[role.name] : undefined);
      checkExpiry(md, now);
      const verified = { md, result, delegatedBy: parentName };
      out.delegated.set(role.name, verified);
      queue.push(verified);
    }
  }
  // Every later delegation of a verified name checks the same file: each (signature, key) pair once, and
  // each entry at the cost of its own key IDs (meetsPolicy), not of a full verifyRole (review-12 H2).
  names.check((entry) => {
    const v = out.delegated.get(entry.role.name);
    return v ? meetsPolicy(v.md, entry.role, entry.keys, checks.get(entry.role.name)!) : undefined;
  });
  for (const name of files.delegated.keys()) {
    if (!reached.has(name)) {
      throw new CeremonyError('DELEGATION_INVALID', `${name}.json is not delegated to by any verified role`, { path: `${name}.json` });
    }
  }
  return out;
}

/** What to remember after installing a verified repository, for the next rollback check. */
export function trustedVersionsOf(repo: VerifiedRepository): TrustedVersions {
  const out: TrustedVersions = {
    root: repo.root.signed.version,
    timestampKeys: roleKeyFingerprints(repo.root.signed, 'timestamp'),
    snapshotKeys: roleKeyFingerprints(repo.root.signed, 'snapshot'),
  };
  if (repo.timestamp) out.timestamp = repo.timestamp.md.signed.version;
  if (repo.snapshot) {
    out.snapshot = repo.snapshot.md.signed.version;
    out.snapshotMeta = {};
    // setOwn: a role may be named "__proto__" (its file is __proto__.json), and plain assignment would drop it.
    for (const [role, meta] of repo.snapshot.md.signed.meta) if (meta.version !== undefined) setOwn(out.snapshotMeta, role, meta.version);
  }
  if (repo.targets) out.targets = repo.targets.md.signed.version;
  out.delegated = {};
  for (const [name, role] of repo.delegated) setOwn(out.delegated, name, role.md.signed.version);
  return out;
}
