/**
 * Explain metadata to a person: the key hierarchy (roles → keys → holders), thresholds, versions,
 * expiry, who signed and who is missing. Inspection does not stop at the first problem: it lists what it
 * finds. It *refuses* only what cannot be read at all (not JSON, wrong shape), by throwing.
 */
import { CeremonyError, toErrorShape, type ErrorShape } from '../errors.js';
import { stripPathSuffix } from '../message-path.js';
import { expiryTimeline } from './timeline.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { ListedKey } from '../tuf/keys.js';
import { parseMetadata, parseMetadataOfItsRole, type Metadata } from '../tuf/metadata.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
import { classifyRepositoryFiles, type NamedBytes } from '../tuf/repository-files.js';
import { readUnverified, repositoryBudget, type Referrer } from '../tuf/read-unverified.js';
import { foldTufLayoutCopies } from '../trust-store/file-names.js';
import type { Root } from '../tuf/root.js';
import type { RoleType } from '../tuf/signed-common.js';
import type { DelegatedRole, Targets } from '../tuf/targets.js';
import { countCoveredTargets } from '../tuf/delegation-covers.js';
import { SignatureWork, type SignatureWorkLimits } from '../tuf/signature-work.js';
import { verifyRole, type VerificationResult } from '../tuf/verify.js';
import type { Inspection, KeyView, RoleView } from './types.js';
import { checkRepositoryAttestations, type AttestationRequirement } from '../attestation/repository.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';

export interface InspectOptions {
  /** Pin: verify the whole input against this root and report the verdict. */
  trustedRoot?: Uint8Array;
  now?: Date;
  /** How to check attestations.json: other roots than Yubico's (tests), and what is required. */
  attestations?: { trust?: AttestationTrust; requirement?: AttestationRequirement };
  /** The signature work the whole inspection may do, verdict and view together (default DEFAULT_SIGNATURE_WORK). */
  signatureWork?: SignatureWorkLimits;
}

/**
 * The signature checks of one inspection (review-13b H1). One SignatureWork is charged by the verdict and
 * by the view alike, so `inspect` does at most the work `verify` may do: before, the view checked every role
 * again uncharged, and the input the limit refused in 2.6 s was worked through in 26 s (and without bound
 * as keys and file sizes grow), on the app's main process. The view shows the verdict's own results rather
 * than checking again; and once the work has run out, it checks nothing more and says why.
 */
interface InspectionChecks {
  readonly work: SignatureWork;
  /** The verdict's result for the role a view shows, when the verdict checked that very role (same file, same delegating role). */
  known?: (view: RoleView) => VerificationResult | undefined;
  /** Set once the work has run out: why signatures are no longer checked, in plain words (RoleView.signaturesNotChecked). */
  stopped?: string;
  /** Path-pattern tests left for counting delegated targets inside their paths (delegation-covers.ts countCoveredTargets). */
  readonly pathTests: { left: number };
}

/**
 * Path-pattern tests an inspection may spend counting delegated targets inside their paths: far above a
 * real repository's (20,000 entries × 10 patterns is 200,000), a second or two of matching at worst.
 */
export const INSPECT_PATH_TESTS = 1_000_000;

const OVER_THE_LIMIT =
  'over the signature-work limit: checking every signature of this input takes more work than any real repository needs, so the rest were not checked';

function inspectionChecks(opts: InspectOptions): InspectionChecks {
  return { work: new SignatureWork(opts.signatureWork), pathTests: { left: INSPECT_PATH_TESTS } };
}

/** A role's signatures as the view shows them: a result, not checked (and why), or nothing to show (a listed problem says why). */
type RoleSignatures = VerificationResult | { notChecked: string } | undefined;

function keyView(listed: ListedKey): KeyView {
  const view: KeyView = { keyId: listed.keyId, keytype: listed.key.keytype, fingerprint: listed.key.fingerprint };
  if (listed.key.scheme) view.scheme = listed.key.scheme;
  if (listed.key.certificate) {
    view.label = listed.key.certificate.subjectCN;
    view.certificateExpires = listed.key.certificate.notAfter.toISOString();
  }
  return view;
}

function withResult(view: RoleView, md: Metadata | undefined, result: RoleSignatures, now: Date): RoleView {
  if (md) {
    view.version = md.signed.version;
    view.expires = md.signed.expiresText;
    view.expired = md.signed.expires.getTime() <= now.getTime();
  }
  if (result && 'notChecked' in result) view.signaturesNotChecked = result.notChecked;
  else if (result) {
    view.signedBy = result.signed;
    view.missing = result.missing;
    view.thresholdMet = result.verified;
  }
  return view;
}

/**
 * Check one file against the role that delegates to it (the role `view` shows), turning a refusal into a
 * listed problem: the verdict's result when it made one, else a check charged to the inspection's work.
 * Once that work has run out nothing is checked: the first refusal is listed, then every role says why.
 */
function tryVerify(md: Metadata, view: RoleView, policy: { keyids: string[]; threshold: number }, keys: ReadonlyMap<string, ListedKey>, checks: InspectionChecks, problems: ErrorShape[]): RoleSignatures {
  const role = view.name;
  try {
    let r = checks.known?.(view);
    if (!r) {
      if (checks.stopped) return { notChecked: checks.stopped };
      r = verifyRole(md, role, policy, keys, { work: checks.work });
    }
    if (!r.verified) {
      problems.push({ code: 'THRESHOLD_NOT_MET', message: `${md.source}: ${r.signed.length} of ${r.threshold} required signatures for ${role}`, path: `${md.source} $.signatures` });
    }
    return r;
  } catch (err) {
    problems.push(toErrorShape(err));
    if (!(err instanceof CeremonyError && err.code === 'SIGNATURE_WORK_EXCEEDED')) return undefined;
    checks.stopped = OVER_THE_LIMIT;
    return { notChecked: OVER_THE_LIMIT };
  }
}

function repositoryName(root: Root): string | undefined {
  const cns = new Set<string>();
  for (const id of root.roles.get('root')!.keyids) {
    const cn = root.keys.get(id)?.key.certificate?.subjectCN;
    if (cn) cns.add(cn);
  }
  return cns.size === 1 ? [...cns][0] : undefined;
}

/** Loads a delegated role's metadata when the walk reaches it (never before: a file nobody delegates to is not parsed). */
type DelegatedLoader = (name: string) => Metadata<Targets> | undefined;

/** The keys shown, each once: `ids` holds the key IDs already in `list`. */
interface KeyList {
  list: KeyView[];
  ids: Set<string>;
}

function keyList(list: KeyView[]): KeyList {
  return { list, ids: new Set(list.map((k) => k.keyId)) };
}

/**
 * The delegated roles under `top`, depth first in file order (each role, then the roles it delegates), each
 * once. A walk with its own stack rather than recursion, and one output list: a chain of delegated files
 * as deep as the files cap would overflow the call stack, and each level's list copied into its parent's
 * (push(...child)) costs the square of the depth, and throws past ~100,000 roles.
 */
function delegationViews(top: Metadata<Targets>, load: DelegatedLoader, now: Date, checks: InspectionChecks, problems: ErrorShape[], keys: KeyList, out: RoleView[]): void {
  const seen = new Set<string>();
  // `chain`: the delegations that lead to the frame's file, the top one first (a target reaches a role only through all of them).
  const stack: { delegations: NonNullable<Targets['delegations']>; name: string; next: number; chain: readonly DelegatedRole[] }[] = [];
  const enter = (md: Metadata<Targets>, name: string, chain: readonly DelegatedRole[]) => {
    const delegations = md.signed.delegations;
    if (!delegations) return;
    // A set, not a scan of the list per key (review-12 M1): key IDs are not re-derived (keys.ts
    // parseKeyTable), so one unsigned file may list one key under a million IDs.
    for (const listed of delegations.keys.values()) {
      if (keys.ids.has(listed.keyId)) continue;
      keys.ids.add(listed.keyId);
      keys.list.push(keyView(listed));
    }
    stack.push({ delegations, name, next: 0, chain });
  };
  enter(top, 'targets', []);
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    const role = frame.delegations.roles[frame.next++];
    if (!role) {
      stack.pop();
      continue;
    }
    if (seen.has(role.name)) continue;
    seen.add(role.name);
    const md = load(role.name);
    const view: RoleView = { name: role.name, kind: 'delegation', delegatedBy: frame.name, threshold: role.threshold, keyIds: role.keyids, terminating: role.terminating };
    if (role.paths) view.paths = role.paths;
    const chain = [...frame.chain, role];
    if (md) {
      const counted = countCoveredTargets(md.profile.name, chain, md.signed, checks.pathTests);
      if (counted) {
        view.targetCount = counted.covered;
        if (counted.outside > 0) view.outsidePathsCount = counted.outside;
      } else {
        view.targetCount = md.signed.targets.size;
        view.pathsNotChecked = true;
      }
    }
    out.push(withResult(view, md, md ? tryVerify(md, view, role, frame.delegations.keys, checks, problems) : undefined, now));
    if (md) enter(md, role.name, chain);
  }
}

function inspectRepository(
  source: string,
  root: Metadata<Root>,
  parts: Partial<Record<Exclude<RoleType, 'root'>, Metadata>>,
  delegated: DelegatedLoader,
  now: Date,
  checks: InspectionChecks,
  problems: ErrorShape[],
): Inspection {
  const signed = root.signed;
  const keys = [...signed.keys.values()].map(keyView);
  const roles: RoleView[] = [];
  for (const [name, policy] of signed.roles) {
    const md = name === 'root' ? root : parts[name];
    const view: RoleView = { name, kind: name, delegatedBy: 'root', threshold: policy.threshold, keyIds: policy.keyids };
    if (name === 'targets' && md) view.targetCount = (md as Metadata<Targets>).signed.targets.size;
    roles.push(withResult(view, md, md ? tryVerify(md, view, policy, signed.keys, checks, problems) : undefined, now));
  }
  const targets = parts.targets as Metadata<Targets> | undefined;
  if (targets) delegationViews(targets, delegated, now, checks, problems, keyList(keys), roles);
  for (const role of roles) if (role.expired) problems.push({ code: 'EXPIRED', message: `${role.name} expired at ${role.expires}`, path: `${role.name}.json $.signed.expires` });
  const out: Inspection = { source, kind: 'metadata-directory', profile: root.profile.name, rootVersion: signed.version, keys, roles, problems, timeline: expiryTimeline(roles, keys, now) };
  const gun = repositoryName(signed);
  if (gun) out.repository = gun;
  return out;
}

function inspectFile(source: string, bytes: Uint8Array, opts: InspectOptions, now: Date): Inspection {
  // One strict parse; the role is read from `_type` (the largest metadata cap applies: any role may come).
  const md = parseMetadataOfItsRole(bytes, { maxBytes: DEFAULT_CAPS.targets, source });
  const type = md.signed.type;
  const problems: ErrorShape[] = [];
  if (type === 'root') {
    if (bytes.length > DEFAULT_CAPS.root) throw new CeremonyError('INPUT_TOO_LARGE', `${source} is ${bytes.length} bytes, over the cap of ${DEFAULT_CAPS.root} for a root`, { path: source });
    const root = md as Metadata<Root>;
    const checks = inspectionChecks(opts);
    // The verdict first, so the view shows its result for this root rather than checking it again: the
    // root it reaches from the pin is this file (root.json of the input, byte for byte).
    const checked = opts.trustedRoot ? verdict({ versionedRoots: new Map(), delegated: new Map(), root: bytes }, opts, now, checks) : undefined;
    const repo = checked?.repo;
    if (repo) checks.known = (view) => (view.kind === 'root' ? repo.rootResult : undefined);
    const out = inspectRepository(source, root, {}, () => undefined, now, checks, problems);
    out.kind = 'metadata-file';
    if (checked) out.verified = checked.view;
    return out;
  }
  // Without its root a non-root file can be described but not verified.
  const view: RoleView = withResult({ name: type, kind: type, delegatedBy: 'root', threshold: 0, keyIds: [] }, md, undefined, now);
  const keys: KeyView[] = [];
  const roles = [view];
  if (type === 'targets') {
    const t = md as Metadata<Targets>;
    view.targetCount = t.signed.targets.size;
    delegationViews(t, () => undefined, now, inspectionChecks(opts), problems, keyList(keys), roles);
  }
  problems.push({ code: 'META_MISSING', message: `${source} is shown without its root, so its signatures are not checked` });
  return { source, kind: 'metadata-file', profile: md.profile.name, rootVersion: 0, keys, roles, problems };
}

/**
 * verifyRepository against the pin, charged to the inspection's work. A refusal for too much work stops the
 * view's checks too: the view would otherwise do the very work the limit refused.
 */
function verdict(files: RepositoryFiles, opts: InspectOptions, now: Date, checks: InspectionChecks): { view: NonNullable<Inspection['verified']>; repo?: VerifiedRepository } {
  try {
    const repo = verifyRepository(files, { trustedRoot: opts.trustedRoot!, now, work: checks.work });
    return { view: { ok: true }, repo };
  } catch (err) {
    if (err instanceof CeremonyError && err.code === 'SIGNATURE_WORK_EXCEEDED') checks.stopped = OVER_THE_LIMIT;
    return { view: { ok: false, error: toErrorShape(err) } };
  }
}

/**
 * A directory (or a trust bundle's files). Bounded like verification itself (issue #12): the verdict
 * runs first, and when it passes its parsed files are what is shown; when it fails they are dropped
 * before the view parses anything, so one copy of the repository at most is held. The view reads a file
 * only after checking it against the length and hashes its referrer records (timestamp → snapshot →
 * targets and delegations), reads a delegated role only when a delegation reaches it, and shares one
 * value budget across the files it reads, a refused one included (src/tuf/caps.ts repositoryValues).
 */
function inspectDirectory(dir: string, entries: readonly NamedBytes[], opts: InspectOptions, now: Date): Inspection {
  // An installed tuf-layout folder holds some delegated roles twice (file-names.ts tufLayoutRoleFiles).
  const files = foldTufLayoutCopies(classifyRepositoryFiles(entries));
  // Verify the whole directory: against the pin when given, else from its oldest root (which shows the
  // chain is intact, not that the root is the right one — the screen says so).
  const oldest = Math.min(...files.versionedRoots.keys());
  const anchor = opts.trustedRoot ?? (Number.isFinite(oldest) ? files.versionedRoots.get(oldest) : files.root);
  const checks = inspectionChecks(opts);
  const checked = anchor ? verdict(files, { ...opts, trustedRoot: anchor }, now, checks) : undefined;
  const out = checked?.repo ? viewOfVerified(dir, checked.repo, now, checks) : viewOfUnverified(dir, files, now, checks);
  out.kind = 'metadata-directory';
  if (checked) out.verified = checked.view;
  const report = attestationsOf(files, checked?.repo?.root, opts, now);
  if (report) out.attestations = report;
  return out;
}

/**
 * attestations.json against the root shown: the verified one, else the newest root in the input (the view
 * says the root was not verified). Listed, never thrown: inspection explains every finding.
 */
function attestationsOf(files: RepositoryFiles, verifiedRoot: Metadata<Root> | undefined, opts: InspectOptions, now: Date): Inspection['attestations'] {
  if (!files.attestations && !opts.attestations?.requirement?.required) return undefined;
  let root = verifiedRoot;
  if (!root) {
    const newest = Math.max(0, ...files.versionedRoots.keys());
    const bytes = files.root ?? files.versionedRoots.get(newest);
    try {
      root = bytes ? parseMetadata(bytes, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' }) : undefined;
    } catch {
      root = undefined; // the view lists why the root cannot be read
    }
  }
  if (!root) return undefined;
  return checkRepositoryAttestations(root.signed, files.attestations, {
    strict: false,
    now,
    ...(opts.attestations?.trust ? { trust: opts.attestations.trust } : {}),
    ...(opts.attestations?.requirement ? { requirement: opts.attestations.requirement } : {}),
  });
}

/**
 * The verified repository, with the verdict's results (review-13b H1: each role was verified a second
 * time). The view walks delegations depth first and the verdict breadth first (TUF 5.6.7), so a name
 * delegated at two places may be shown under another delegation than the one it was verified under:
 * only that result is not the verdict's, and its check is charged to the same work.
 */
function viewOfVerified(dir: string, repo: VerifiedRepository, now: Date, checks: InspectionChecks): Inspection {
  const problems: ErrorShape[] = [];
  const parts = { timestamp: repo.timestamp?.md, snapshot: repo.snapshot?.md, targets: repo.targets?.md };
  const top = { root: repo.rootResult, timestamp: repo.timestamp?.result, snapshot: repo.snapshot?.result, targets: repo.targets?.result };
  checks.known = (view) => {
    if (view.kind !== 'delegation') return top[view.kind];
    const verified = repo.delegated.get(view.name);
    return verified?.delegatedBy === view.delegatedBy ? verified.result : undefined;
  };
  return inspectRepository(dir, repo.root, parts, (name) => repo.delegated.get(name)?.md, now, checks, problems);
}

function viewOfUnverified(dir: string, files: RepositoryFiles, now: Date, checks: InspectionChecks): Inspection {
  const problems: ErrorShape[] = [];
  const budget = repositoryBudget();
  const parse = <R extends RoleType>(bytes: Uint8Array | undefined, type: R, source: string, referred?: Referrer) => {
    if (!bytes) return undefined;
    try {
      return readUnverified(bytes, type, { role: source.replace(/\.json$/, ''), source, budget, ...(referred ? { referred } : {}) });
    } catch (err) {
      problems.push(toErrorShape(err));
      return undefined;
    }
  };
  const newestVersioned = Math.max(0, ...files.versionedRoots.keys());
  const root = parse(files.root, 'root', 'root.json') ?? parse(files.versionedRoots.get(newestVersioned), 'root', `${newestVersioned}.root.json`);
  if (!root) {
    if (problems[0]) throw new CeremonyError(problems[0].code, stripPathSuffix(problems[0].message, problems[0].path), problems[0].path ? { path: problems[0].path } : {});
    throw new CeremonyError('META_MISSING', `${dir} holds no root.json`, { path: dir });
  }
  const profile = root.profile;
  const timestamp = parse(files.timestamp, 'timestamp', 'timestamp.json');
  const snapshot = parse(files.snapshot, 'snapshot', 'snapshot.json', timestamp ? { meta: timestamp.signed.snapshot, by: 'timestamp.json', profile } : undefined);
  const referredBySnapshot = (role: string) => (snapshot ? { meta: snapshot.signed.meta.get(role), by: 'snapshot.json', profile } : undefined);
  const targets = parse(files.targets, 'targets', 'targets.json', referredBySnapshot('targets'));
  const loaded = new Set<string>();
  const load: DelegatedLoader = (name) => {
    loaded.add(name);
    return parse(files.delegated.get(name), 'targets', `${name}.json`, referredBySnapshot(name));
  };
  const out = inspectRepository(dir, root, { timestamp, snapshot, targets }, load, now, checks, problems);
  for (const name of files.delegated.keys()) {
    if (!loaded.has(name)) problems.push({ code: 'DELEGATION_INVALID', message: `${name}.json is not delegated to by any role read, so it was not read`, path: `${name}.json` });
  }
  return out;
}

export interface InspectRequest {
  /** Pin: verify the whole input against this root and report the verdict. */
  trustedRoot?: NamedBytes;
  now?: Date;
  /** One metadata file (any name), or the files of a metadata directory (relative names). */
  files: readonly NamedBytes[];
  /** True when `files` are a directory's content even if there is only one. */
  directory?: boolean;
  /** What to call the input in messages: a base name, never a full path. */
  source?: string;
  /** How to check attestations.json (default: Yubico's bundled roots, nothing required). */
  attestations?: InspectOptions['attestations'];
  /** The signature work the inspection may do in all (default DEFAULT_SIGNATURE_WORK; tests give smaller limits). */
  signatureWork?: SignatureWorkLimits;
}

/**
 * Explain metadata given as bytes: the pure core of `inspect` (the CLI reads the files, the app sends
 * the files the user picked). Throws only for input that cannot be read at all.
 */
export function inspectNamedFiles(req: InspectRequest): Inspection {
  const now = req.now ?? new Date();
  const opts: InspectOptions = req.trustedRoot ? { trustedRoot: req.trustedRoot.bytes, now } : { now };
  if (req.attestations) opts.attestations = req.attestations;
  if (req.signatureWork) opts.signatureWork = req.signatureWork;
  if (req.files.length === 0) throw new CeremonyError('USAGE', 'nothing to inspect: no files were given');
  if (req.files.length === 1 && !req.directory) {
    const only = req.files[0]!;
    return inspectFile(req.source ?? only.name.split('/').pop()!, only.bytes, opts, now);
  }
  return inspectDirectory(req.source ?? 'selected files', req.files, opts, now);
}
