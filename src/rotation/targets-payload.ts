/**
 * Targets-level changes (PRODUCT.md §2.4, issue #5): the unsigned `signed` object of targets.json version
 * N+1, built from the trusted current root, the current targets.json (verified against that root's targets
 * role first: a change is only ever made on top of metadata a client would accept) and a change set:
 *
 * - add a delegation (name, keys, threshold, paths or path hash prefixes, terminating);
 * - remove a delegation;
 * - re-key a delegation: replace its keys and/or change its threshold (and, when given, its paths);
 * - revoke a key: from one delegation, or from every delegation that lists it (a compromised CI key);
 * - revoke (remove) a top-level target;
 * - the new expiry (always given: a new version always says until when it is trusted).
 *
 * What the targets key can sign is targets.json only. Targets of a delegated role live in that role's own
 * file (`targets/releases.json` in Notary, `releases.json` in TUF), signed by the delegate's keys: the
 * targets key revokes them by removing or re-keying the delegation (TUF 5.6.7: a client then no longer
 * trusts that file), never by editing it. TARGET_UNKNOWN says so for a name targets.json does not list.
 *
 * Checked before anyone signs (each refusal a code, with the path in the change set, `$change…`):
 * - names follow the profile: Notary `targets/<name>` in Notary's own alphabet `^[-a-z0-9_/]+$`
 *   (notary tuf/data/roles.go, delegationRegexp), one level only — `targets/a/b` is delegated by
 *   `targets/a`, not by targets.json; TUF any safe name that is one file (DELEGATION_INVALID);
 * - thresholds 1..n of the role's keys (THRESHOLD_INVALID); no public key twice in a role
 *   (KEY_DUPLICATE_IN_ROLE); keys parse in the profile (KEY_TYPE_UNSUPPORTED, SCHEMA_INVALID);
 * - paths well-formed: non-empty list, no control characters, no duplicates; TUF exactly one of paths and
 *   path_hash_prefixes (TUF 4.5), hash prefixes lower-case hex; Notary has no path_hash_prefixes and no
 *   terminating flag (its Role struct would drop them, breaking the signature) — DELEGATION_INVALID;
 * - the delegation exists (DELEGATION_UNKNOWN) or does not yet (DELEGATION_EXISTS); a revoked key is
 *   listed (DELEGATION_KEY_UNKNOWN); a revoked target is listed (TARGET_UNKNOWN);
 * - version exactly N+1 (VERSION_MISMATCH otherwise: clients refuse a lower one, TUF 5.6.5);
 * - a delegation carried from N that the change alters (re-key, revoked key) is right as a whole
 *   (checkReviewedDelegation); one carried unchanged is signed again as it is, and the review warns of
 *   what clients accept but this tool would not write (checkAlteredDelegations, carried-delegations.ts).
 *
 * The keys table of the delegations keeps only keys some role still uses (Notary's client does the same,
 * tuf.go removeUnusedKeys): a revoked key leaves no trace a later change could re-enable by mistake.
 * Unknown fields of the previous targets.json, of its delegations block and of each kept role are carried
 * over untouched.
 *
 * Snapshot: `removedRoles` names the delegations N+1 no longer has. Their snapshot entries are kept, not
 * dropped (targets-snapshot.ts): TUF 5.5.5 makes clients refuse a snapshot that drops a listed targets
 * file (measured with tuf-js), notary-server keeps them too, and clients only fetch delegated roles.
 */
import { CeremonyError } from '../errors.js';
import { child, quoteShown } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { Root } from '../tuf/root.js';
import { verifyRootSelf } from '../tuf/root-chain.js';
import { isPortablePattern } from '../tuf/path-pattern.js';
import { checkDelegatedName, parseTargetsSigned, type DelegatedRole, type Targets } from '../tuf/targets.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';
import type { SignatureWork } from '../tuf/signature-work.js';
import type { RotationKey } from './payload.js';

/** A delegation to add. */
export interface DelegationAdd {
  /** Notary: `targets/<name>`; TUF: a plain role name (one file, `<name>.json`). */
  name: string;
  /** Key objects as the delegation will list them (Notary: `ecdsa-x509` certificate listings, as `notary delegation add` writes). */
  keys: RotationKey[];
  threshold: number;
  /** Notary: path prefixes, `[""]` = every path. TUF: shell-style patterns (TUF 4.5). */
  paths?: string[];
  /** TUF only: hex prefixes of SHA-256(target path) (TUF 4.5), instead of paths. */
  pathHashPrefixes?: string[];
  /** TUF only (default false). */
  terminating?: boolean;
}

/** Re-key a delegation: new keys (replacing all of them) and/or threshold, optionally new paths. */
export interface DelegationRekey {
  name: string;
  keys?: RotationKey[];
  threshold?: number;
  paths?: string[];
  pathHashPrefixes?: string[];
}

/** Revoke one key: from the delegation `role`, or (no role) from every delegation listing it. */
export interface KeyRevocation {
  keyid: string;
  role?: string;
}

export interface DelegationChanges {
  add?: DelegationAdd[];
  remove?: string[];
  rekey?: DelegationRekey[];
  revokeKeys?: KeyRevocation[];
}

export interface TargetsChange {
  /** targets.json N+1's expiry. */
  expires: Date | string;
  /** Defaults to N+1; anything else is refused (kept to say so plainly). */
  version?: number;
  delegations?: DelegationChanges;
  /** Top-level target names to remove from targets.json. */
  revokeTargets?: string[];
}

export interface TargetsPayload {
  profile: ProfileName;
  /** The trusted current root: its targets role is the policy targets.json N+1 must meet. */
  root: Metadata<Root>;
  /** targets.json N, verified against `root`. */
  previous: Metadata<Targets>;
  /** The unsigned `signed` object of targets.json N+1. */
  signed: JsonObject;
  targets: Targets;
  /** Names for keys (delegation keys from the change set, plus names given by the caller), by key ID. */
  names: Map<string, string>;
  /** Delegated roles targets.json N delegated and N+1 no longer does (clients stop fetching them). */
  removedRoles: string[];
}

const HEX = /^[0-9a-f]+$/;
/** A path hash prefix a client can match: 1 to 64 lower-case hex digits (the SHA-256 it is compared with has 64). */
const isHashPrefix = (p: string): boolean => HEX.test(p) && p.length <= 64;
const CONTROL = /[\u0000-\u001f\u007f]/;

function refuse(code: 'DELEGATION_INVALID' | 'DELEGATION_UNKNOWN' | 'DELEGATION_EXISTS' | 'DELEGATION_KEY_UNKNOWN' | 'TARGET_UNKNOWN' | 'THRESHOLD_INVALID' | 'KEY_DUPLICATE_IN_ROLE' | 'VERSION_MISMATCH', message: string, path: string): never {
  throw new CeremonyError(code, message, { path });
}

/**
 * A delegated role name our flow may sign a delegation to (see the file comment), in the file of
 * `delegator`: "targets" for targets.json, a delegate's own role name for the delegations its file carries
 * (delegated-payload.ts). Notary: every role a targets file delegates is a direct child of that file's role
 * (notary tuf/data/targets.go isValidTargetsStructure: path.Dir(name) == role) — the client refuses the
 * whole file otherwise, so `targets/releases.json` delegates `targets/releases/<name>` and nothing else.
 */
export function checkDelegationName(profile: ProfileName, name: string, path: string, delegator = 'targets'): void {
  if (typeof name !== 'string') refuse('DELEGATION_INVALID', 'a delegation name is a string', path);
  // Notary's alphabet too (tuf/targets.ts checkDelegatedName: the one rule for reading and writing).
  checkDelegatedName(getProfile(profile), name, path);
  if (profile === 'notary') {
    const parent = name.slice(0, name.lastIndexOf('/'));
    if (parent !== delegator) {
      const why = delegator === 'targets' ? 'the targets key delegates only targets/<name>' : `a Notary client refuses a ${delegator}.json that delegates anything but ${delegator}/<name>`;
      refuse('DELEGATION_INVALID', `${JSON.stringify(name)} would be delegated by ${JSON.stringify(parent)}, not by ${delegator === 'targets' ? 'targets.json' : `${delegator}.json`}: ${why}`, path);
    }
  }
}

/**
 * What is wrong with one entry of a delegation's `paths` (kind "paths") or `path_hash_prefixes` we sign,
 * or undefined: the rules for the paths a change sets (checkPaths) and for those a signed file carries
 * (delegationProblems) are these same ones. `problem` says what is wrong and what clients do with it (the
 * words of a review warning, carried-delegations.ts); `advice` how to write it instead (refusals only);
 * `group` names the kind, for a review that summarises many roles (hashed bins).
 */
interface PathEntryProblem {
  problem: string;
  advice?: string;
  group: string;
}

function pathEntryProblem(profile: ProfileName, p: unknown, kind: 'paths' | 'prefixes'): PathEntryProblem | undefined {
  if (typeof p !== 'string') return { problem: 'a path is a string', group: 'a path that is not a string' };
  if (CONTROL.test(p)) return { problem: `a path holds a control character (${quoteShown(p)})`, group: 'a path holding a control character' };
  if (kind === 'prefixes') {
    // Clients compare prefixes with the lower-case hex SHA-256 of the path (tuf-js isDelegatedPath,
    // python-tuf is_delegated_path): "AB" matches nothing.
    if (isHashPrefix(p)) return undefined;
    const upper = /^[0-9a-fA-F]+$/.test(p);
    return {
      problem: `a path hash prefix is 1 to 64 lower-case hex digits: ${quoteShown(p)} would match no target${upper ? ' (clients compare lower-case hex digests)' : ''}`,
      ...(upper ? { advice: `write ${quoteShown(p.toLowerCase())}` } : {}),
      group: 'a path hash prefix that matches no target',
    };
  }
  // Notary: "" is "every path"; TUF: an empty pattern matches nothing, so it is a mistake.
  if (p === '' && profile === 'tuf') return { problem: 'an empty path pattern matches no target', advice: 'use "*" for every top-level name', group: 'an empty path pattern (matches no target)' };
  if (p.length > 1024) return { problem: 'a path longer than 1024 characters', group: 'a path longer than 1024 characters' };
  // src/tuf/path-pattern.ts: escapes, braces, extglobs, [^…], [[:class:]], reversed ranges and a leading
  // "!" or "#" mean one thing to tuf-js (minimatch) and another to python-tuf (fnmatch).
  if (profile === 'tuf' && !isPortablePattern(p)) {
    return {
      problem: `python-tuf and tuf-js read ${quoteShown(p)} differently`,
      advice: 'write patterns with *, ?, [...] and [!...] only (no "\\", "{", "(", "[^", "[:", reversed ranges, or a segment starting with "!" or "#")',
      group: 'a path pattern python-tuf and tuf-js read differently (they trust different targets from it)',
    };
  }
  return undefined;
}

const problemText = (e: PathEntryProblem): string => (e.advice ? `${e.problem}: ${e.advice}` : e.problem);

/** A delegation as a targets file lists it (DelegatedRole, or the working copy buildTargetsPayload edits). */
export interface DelegationEntry {
  name: string;
  keyids: readonly string[];
  threshold: number;
  paths?: readonly string[] | undefined;
  pathHashPrefixes?: readonly string[] | undefined;
  terminating?: boolean | undefined;
}

/** One thing checkReviewedDelegation refuses in a delegation: the refusal, and the plain words a review warns with. */
export interface DelegationProblem {
  code: 'THRESHOLD_INVALID' | 'DELEGATION_INVALID';
  /** The JSON path of the field, under the role's path. */
  path: string;
  /** The refusal's message after "`where` delegates NAME". */
  message: string;
  /** What is wrong and what clients do with it, for a warning about the role (carried-delegations.ts). */
  warning: string;
  /** The kind, for a summary of many roles. */
  group: string;
}

/**
 * What a delegation in a targets file we are about to sign (or a signer reviews) must be, beyond what a
 * client accepts in foreign metadata (tuf/targets.ts): a threshold its keys can meet (the parse already
 * refuses one public key under two IDs, so key IDs are distinct keys) — TUF 5.6.7 would never verify the
 * role's file — and paths or path hash prefixes each a client can match as we mean it (pathEntryProblem:
 * a pattern python-tuf and tuf-js read differently, a hash prefix that matches nothing). Each, listed.
 */
export function delegationProblems(profile: ProfileName, role: DelegationEntry, path: string): DelegationProblem[] {
  const out: DelegationProblem[] = [];
  const n = role.keyids.length;
  if (role.threshold > n) {
    out.push({
      code: 'THRESHOLD_INVALID',
      path: child(path, 'threshold'),
      message: `with a threshold of ${role.threshold} but ${n} key${n === 1 ? '' : 's'}: it can never be met, and no client would ever verify that role`,
      warning: `no client will ever verify it: threshold ${role.threshold} of ${n} key${n === 1 ? '' : 's'}, so no target is ever trusted from it`,
      group: 'a threshold above their keys (no client will ever verify them)',
    });
  }
  for (const [kind, list, field] of [['paths', role.paths, 'paths'], ['prefixes', role.pathHashPrefixes, 'path_hash_prefixes']] as const) {
    (list ?? []).forEach((p, i) => {
      const e = pathEntryProblem(profile, p, kind);
      if (e) out.push({ code: 'DELEGATION_INVALID', path: child(child(path, field), i), message: problemText(e), warning: e.problem, group: e.group });
    });
  }
  return out;
}

/**
 * Refuse the first of delegationProblems. The file is targets.json or a delegate's own file carrying nested
 * delegations (TUF 4.5; delegated-payload.ts). `path` is the role's JSON path; `where` says where the role
 * came from, for the message.
 */
function checkReviewedDelegation(profile: ProfileName, role: DelegationEntry, path: string, where: string): void {
  const [first] = delegationProblems(profile, role, path);
  if (!first) return;
  const message = first.code === 'THRESHOLD_INVALID' ? `${where} delegates ${JSON.stringify(role.name)} ${first.message}` : `${where} delegates ${JSON.stringify(role.name)}: ${first.message}`;
  refuse(first.code, message, first.path);
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => (a === undefined ? b === undefined : b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));

/** Whether `after` lists the role exactly as `before` does: same keys, threshold, paths and terminating flag. */
export function sameDelegation(before: DelegationEntry, after: DelegationEntry): boolean {
  return (
    before.name === after.name &&
    before.threshold === after.threshold &&
    (before.terminating ?? false) === (after.terminating ?? false) &&
    sameList(before.keyids, after.keyids) &&
    sameList(before.paths, after.paths) &&
    sameList(before.pathHashPrefixes, after.pathHashPrefixes)
  );
}

/**
 * The delegations a targets file N+1 lists (`after`) that N (`before`) did not list exactly so — added or
 * altered — get checkReviewedDelegation: whoever changes a delegation writes it right. One carried
 * unchanged is signed again as it is, and its problems are review warnings instead
 * (carried-delegations.ts): none of them makes a client refuse the file — python-tuf (Role,
 * DelegatedRole), tuf-js (Role, DelegatedRole) and notary (isValidRootRoleStructure) check a threshold is
 * at least 1, not that the keys can meet it, and none checks patterns or hash prefixes — so refusing only
 * lets the file expire, with every target under it. `at` is the file's JSON path ("$.payload").
 */
export function checkAlteredDelegations(profile: ProfileName, before: readonly DelegationEntry[], after: readonly DelegationEntry[], at: string, where: string): void {
  // By name once, not a scan of `before` per role (review-12 M1's pattern: hashed bins list thousands).
  const byName = new Map<string, DelegationEntry>();
  for (const x of before) if (!byName.has(x.name)) byName.set(x.name, x);
  after.forEach((r, i) => {
    const old = byName.get(r.name);
    if (!old || !sameDelegation(old, r)) checkReviewedDelegation(profile, r, `${at}.delegations.roles[${i}]`, where);
  });
}

function checkPaths(profile: ProfileName, paths: readonly string[] | undefined, prefixes: readonly string[] | undefined, path: string, terminating: boolean | undefined): { paths?: string[]; pathHashPrefixes?: string[] } {
  if (profile === 'notary') {
    if (prefixes !== undefined) refuse('DELEGATION_INVALID', 'Notary delegations have no path_hash_prefixes: give paths (path prefixes, [""] for every path)', child(path, 'pathHashPrefixes'));
    if (terminating !== undefined) refuse('DELEGATION_INVALID', 'Notary delegations have no terminating flag', child(path, 'terminating'));
  }
  if ((paths === undefined) === (prefixes === undefined)) {
    refuse('DELEGATION_INVALID', profile === 'tuf' ? 'a delegation needs exactly one of paths and pathHashPrefixes (TUF 4.5)' : 'a delegation needs its paths ([""] for every path)', path);
  }
  const list = (paths ?? prefixes)!;
  const listPath = child(path, paths ? 'paths' : 'pathHashPrefixes');
  if (!Array.isArray(list) || list.length === 0) refuse('DELEGATION_INVALID', 'the list is empty: the delegation would be trusted for nothing', listPath);
  const seen = new Set<string>();
  list.forEach((p, i) => {
    const at = child(listPath, i);
    const problem = pathEntryProblem(profile, p, paths ? 'paths' : 'prefixes');
    if (problem) refuse('DELEGATION_INVALID', problemText(problem), at);
    if (seen.has(p)) refuse('DELEGATION_INVALID', `${JSON.stringify(p)} is listed twice`, at);
    seen.add(p);
  });
  return paths ? { paths: [...list] } : { pathHashPrefixes: [...list] };
}

/**
 * Parse the trusted root and targets.json N, and check that root's targets role signed it. `work`: the
 * checks are charged to it (a signing request's, when the files are someone else's: request.ts).
 */
export function verifiedCurrentTargets(rootBytes: Uint8Array, targetsBytes: Uint8Array, work?: SignatureWork): { root: Metadata<Root>; previous: Metadata<Targets> } {
  const root = parseMetadata(rootBytes, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
  // The root is the caller's trusted (pinned or verified) one; it must at least be signed by itself.
  requireVerified(verifyRootSelf(root, work ? { work } : {}), 'root.json');
  const previous = parseMetadata(targetsBytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'targets.json', profile: root.profile.name });
  // TUF 5.6.3: targets.json N is trusted only when the root's targets role signed it.
  requireVerified(verifyRole(previous, 'targets', root.signed.roles.get('targets')!, root.signed.keys, work ? { work } : {}), 'targets.json');
  return { root, previous };
}

/**
 * Build targets.json N+1. `rootBytes` = the trusted current root.json; `targetsBytes` = targets.json N as
 * published; `names` optionally names keys (by key ID) for the review.
 */
export function buildTargetsPayload(rootBytes: Uint8Array, targetsBytes: Uint8Array, change: TargetsChange, opts: { names?: ReadonlyMap<string, string> } = {}): TargetsPayload {
  const { root, previous } = verifiedCurrentTargets(rootBytes, targetsBytes);
  const profileName = root.profile.name;
  const profile = root.profile;
  const prev = previous.signed;
  const names = new Map(opts.names ?? []);

  const version = change.version ?? prev.version + 1;
  if (version !== prev.version + 1) refuse('VERSION_MISMATCH', `the new targets.json must be version ${prev.version + 1} (the current one is version ${prev.version}), not ${version}`, '$change.version');
  const expiresText = typeof change.expires === 'string' ? change.expires : formatExpires(change.expires);
  parseExpires(profileName, expiresText, '$change.expires');

  // Working copy of the delegations: roles in order, key JSON by ID.
  interface WorkingRole {
    name: string;
    keyids: string[];
    threshold: number;
    paths?: string[];
    pathHashPrefixes?: string[];
    terminating: boolean;
    unrecognized: JsonObject;
  }
  const roles: WorkingRole[] = (prev.delegations?.roles ?? []).map((r: DelegatedRole) => {
    const w: WorkingRole = { name: r.name, keyids: [...r.keyids], threshold: r.threshold, terminating: r.terminating, unrecognized: r.unrecognized };
    if (r.paths) w.paths = [...r.paths];
    if (r.pathHashPrefixes) w.pathHashPrefixes = [...r.pathHashPrefixes];
    return w;
  });
  const keyJson = new Map<string, JsonObject>();
  const fingerprints = new Map<string, string>();
  for (const [id, k] of prev.delegations?.keys ?? []) {
    keyJson.set(id, k.json);
    fingerprints.set(id, k.key.fingerprint);
  }
  // The roles by name, kept with `roles` (a change names roles one by one: a scan each was the square of a
  // hashed-bins file's roles; review-12 M1's pattern).
  const byName = new Map<string, WorkingRole>();
  for (const r of roles) if (!byName.has(r.name)) byName.set(r.name, r);
  const find = (name: string, path: string): WorkingRole => {
    const r = byName.get(name);
    if (!r) refuse('DELEGATION_UNKNOWN', `targets.json version ${prev.version} delegates no role ${JSON.stringify(name)} (it delegates ${[...byName.keys()].join(', ') || 'none'})`, path);
    return r;
  };
  const keyIds = (keys: readonly RotationKey[] | undefined, path: string): string[] => {
    if (!Array.isArray(keys) || keys.length === 0) refuse('DELEGATION_INVALID', 'a delegation needs at least one key', path);
    const ids: string[] = [];
    const fps = new Map<string, number>();
    keys.forEach((k, i) => {
      const at = child(path, i);
      if (!k || typeof k.json !== 'object' || k.json === null || Array.isArray(k.json)) throw new CeremonyError('SCHEMA_INVALID', 'a key is given as its key object ({ json, name? })', { path: at });
      const key = profile.parseKey(k.json, at); // unknown types, undecodable keys: refused here, with the path
      const id = profile.keyId(k.json);
      const before = fps.get(key.fingerprint);
      if (before !== undefined) refuse('KEY_DUPLICATE_IN_ROLE', `keys ${before} and ${i} are the same public key`, at);
      fps.set(key.fingerprint, i);
      // One key ID, one listing: a different object under an ID already in the table cannot happen (IDs hash the object).
      keyJson.set(id, k.json);
      fingerprints.set(id, key.fingerprint);
      if (k.name) names.set(id, k.name);
      ids.push(id);
    });
    return ids;
  };
  const checkThreshold = (t: number, n: number, path: string, name: string): void => {
    if (!Number.isSafeInteger(t) || t < 1 || t > n) refuse('THRESHOLD_INVALID', `the threshold of ${name} must be 1 to ${n} (its keys), not ${String(t)}`, path);
  };

  const dc = change.delegations ?? {};
  const removedRoles: string[] = [];
  const removed = new Set<WorkingRole>();
  (dc.remove ?? []).forEach((name, i) => {
    const path = `$change.delegations.remove[${i}]`;
    const r = find(name, path);
    byName.delete(name);
    removed.add(r);
    removedRoles.push(name);
  });
  // One pass, not a splice per removed role.
  if (removed.size > 0) {
    let kept = 0;
    for (const r of roles) if (!removed.has(r)) roles[kept++] = r;
    roles.length = kept;
  }
  (dc.rekey ?? []).forEach((rk, i) => {
    const path = `$change.delegations.rekey[${i}]`;
    const r = find(rk.name, child(path, 'name'));
    if (rk.keys === undefined && rk.threshold === undefined && rk.paths === undefined && rk.pathHashPrefixes === undefined) {
      refuse('DELEGATION_INVALID', `re-keying ${rk.name} changes nothing: give keys, a threshold or paths`, path);
    }
    if (rk.keys !== undefined) r.keyids = keyIds(rk.keys, child(path, 'keys'));
    if (rk.threshold !== undefined) r.threshold = rk.threshold;
    if (rk.paths !== undefined || rk.pathHashPrefixes !== undefined) {
      const p = checkPaths(profileName, rk.paths, rk.pathHashPrefixes, path, undefined);
      delete r.paths;
      delete r.pathHashPrefixes;
      Object.assign(r, p);
    }
    checkThreshold(r.threshold, r.keyids.length, child(path, rk.threshold !== undefined ? 'threshold' : 'keys'), rk.name);
  });
  (dc.revokeKeys ?? []).forEach((rv, i) => {
    const path = `$change.delegations.revokeKeys[${i}]`;
    const targetsRoles = rv.role !== undefined ? [find(rv.role, child(path, 'role'))] : roles.filter((r) => r.keyids.includes(rv.keyid));
    // A key is named by an ID; the same public key may be listed under another ID elsewhere (a renewed certificate).
    const fp = fingerprints.get(rv.keyid);
    let hit = 0;
    for (const r of targetsRoles) {
      const before = r.keyids.length;
      r.keyids = r.keyids.filter((id) => id !== rv.keyid && (fp === undefined || fingerprints.get(id) !== fp));
      if (r.keyids.length === before) continue;
      hit++;
      if (r.keyids.length === 0) refuse('THRESHOLD_INVALID', `revoking key ${rv.keyid.slice(0, 16)}… leaves ${r.name} with no key: remove the delegation instead`, path);
      if (r.threshold > r.keyids.length) {
        refuse('THRESHOLD_INVALID', `revoking key ${rv.keyid.slice(0, 16)}… leaves ${r.name} with ${r.keyids.length} key${r.keyids.length === 1 ? '' : 's'} for a threshold of ${r.threshold}: lower the threshold (re-key) in the same change`, path);
      }
    }
    if (hit === 0) refuse('DELEGATION_KEY_UNKNOWN', `key ${String(rv.keyid).slice(0, 16)}… is not a key of ${rv.role !== undefined ? rv.role : 'any delegation'}`, child(path, 'keyid'));
  });
  (dc.add ?? []).forEach((a, i) => {
    const path = `$change.delegations.add[${i}]`;
    checkDelegationName(profileName, a.name, child(path, 'name'));
    if (byName.has(a.name)) refuse('DELEGATION_EXISTS', `targets.json already delegates ${a.name}: re-key it instead`, child(path, 'name'));
    const keyids = keyIds(a.keys, child(path, 'keys'));
    checkThreshold(a.threshold, keyids.length, child(path, 'threshold'), a.name);
    const p = checkPaths(profileName, a.paths, a.pathHashPrefixes, path, a.terminating);
    if (a.terminating !== undefined && typeof a.terminating !== 'boolean') refuse('DELEGATION_INVALID', 'terminating is true or false', child(path, 'terminating'));
    const added: WorkingRole = { name: a.name, keyids, threshold: a.threshold, terminating: a.terminating ?? false, unrecognized: {}, ...p };
    roles.push(added);
    byName.set(a.name, added);
  });
  // A name removed and added again in one change is a re-key with new paths; say so only if it disappeared for good.
  const finalNames = new Set(roles.map((r) => r.name));
  const gone = removedRoles.filter((n) => !finalNames.has(n));

  const targetsObj: JsonObject = { ...(previous.signedJson.targets as JsonObject) };
  (change.revokeTargets ?? []).forEach((name, i) => {
    const path = `$change.revokeTargets[${i}]`;
    if (typeof name !== 'string' || !Object.hasOwn(targetsObj, name)) {
      refuse('TARGET_UNKNOWN', `targets.json version ${prev.version} lists no target ${JSON.stringify(name)}; a delegated role's targets are revoked by removing or re-keying that delegation`, path);
    }
    delete targetsObj[name];
  });

  // A role carried over from targets.json N that this change alters (re-key, revoked key) is written by
  // this change: what it keeps from N is checked too — re-key its paths in the same change. One carried
  // unchanged is signed again as it is, its problems review warnings (checkAlteredDelegations says why).
  // What the change itself set was checked where it was set (checkThreshold, checkPaths), so a refusal here
  // is of what targets.json N holds, and its path is there.
  const prevAt = new Map<string, number>();
  (prev.delegations?.roles ?? []).forEach((x, i) => {
    if (!prevAt.has(x.name)) prevAt.set(x.name, i);
  });
  for (const r of roles) {
    const at = prevAt.get(r.name) ?? -1;
    if (at >= 0 && !sameDelegation(prev.delegations!.roles[at]!, r)) {
      checkReviewedDelegation(profileName, r, `targets.json $.signed.delegations.roles[${at}]`, `targets.json version ${prev.version} (re-key the role's paths or remove it in this change)`);
    }
  }

  // --- assemble ---
  const signed: JsonObject = { ...(previous.signedJson as Record<string, JsonValue>) };
  signed.version = version;
  signed.expires = expiresText;
  signed.targets = targetsObj;
  if (prev.delegations || roles.length > 0) {
    const used = new Set(roles.flatMap((r) => r.keyids));
    const keys: JsonObject = {};
    for (const id of [...keyJson.keys()].sort()) if (used.has(id)) keys[id] = keyJson.get(id)!;
    const roleJson = roles.map((r): JsonObject => {
      const out: JsonObject = { ...r.unrecognized, name: r.name, keyids: r.keyids, threshold: r.threshold };
      if (r.paths) out.paths = r.paths;
      if (r.pathHashPrefixes) out.path_hash_prefixes = r.pathHashPrefixes;
      if (profileName === 'tuf') out.terminating = r.terminating;
      return out;
    });
    signed.delegations = { ...(prev.delegations?.unrecognized ?? {}), keys, roles: roleJson };
  }
  const targets = parseTargetsSigned(profile, signed, '$payload');
  return { profile: profileName, root, previous, signed, targets, names, removedRoles: gone };
}
