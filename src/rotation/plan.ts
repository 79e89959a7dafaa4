/**
 * The rotation plan (PRODUCT.md §2.4): the reviewed intent of a rotation, like the root ceremony's plan
 * (src/ceremony/plan.ts) — prepared at a desk, reviewed, its SHA-256 shown to the witnesses
 * (src/ceremony/plan-hash.ts) — from which `tuf-ceremony rotate` builds the signing request. Keys arrive as
 * public key files next to the plan (plan-keys.ts), each pinned by its SHA-256; the previous root too, by
 * SHA-256 and/or version, so a wrong file is refused before anything is built.
 *
 * Strictly parsed: unknown fields refused, every field validated; refusals are PLAN_INVALID (the plan's
 * own fields) or PLAN_INPUT_MISMATCH (a file it names, or the plan against the previous root), each with the
 * JSON path. Example (Notary: Carol's token was lost, Dave takes her place; a new targets key):
 *
 * ```json
 * {
 *   "format": "tuf-ceremony-rotation-plan",
 *   "version": 1,
 *   "profile": "notary",
 *   "repository": "registry.example.com/org/app",
 *   "previousRoot": { "file": "root.json", "sha256": "<hex SHA-256 of root.json v1>", "version": 1 },
 *   "custodians": [
 *     { "name": "Alice", "keyid": "<root key ID>" }, { "name": "Bob", "keyid": "…" }, { "name": "Carol", "keyid": "…" }
 *   ],
 *   "expires": "2036-05-01T00:00:00Z",
 *   "root": {
 *     "replace": [ { "custodian": "Carol", "by": { "name": "Dave", "keyFile": "dave.notary.json", "sha256": "…" }, "reason": "lost" } ],
 *     "threshold": 2
 *   },
 *   "targets": { "keys": [ { "name": "targets 2026", "keyFile": "targets-2026.notary.json", "sha256": "…" } ] }
 * }
 * ```
 *
 * - `previousRoot`: the current root.json (relative to the plan's folder), with `sha256` and/or `version`.
 * - `custodians`: who holds each current root key (names for the review; every signer is also named by key
 *   ID and fingerprint). Changes name a current key by `"custodian"` or by `"keyid"`.
 * - `expires`: the new root's expiry (required: renewing it alone is a valid rotation).
 * - `root`: `replace` (a custodian's key → a new key, with `reason` "lost" | "compromised" | "retired";
 *   a lost key cannot sign), `add` (new keys, each with the name of who holds it), `remove`, `threshold`.
 * - `targets`, `snapshot`, `timestamp`: `keys` (the role's new keys, replacing its current ones) and/or
 *   `threshold`. For Notary the timestamp key is notary-server's (the file it serves at
 *   `/v2/<GUN>/_trust/tuf/timestamp.key`), and a snapshot key may be the server's too (`…/snapshot.key`).
 * - `unavailable`: custodians whose key still stands but who cannot sign this time (travelling, token
 *   at another site): refused early when the old threshold can no longer be met.
 * - `consistentSnapshot` (TUF only).
 *
 * A plan with a `delegations` section changes targets.json instead (targets-payload.ts: delegations added,
 * removed, re-keyed; keys and targets revoked), signed by the targets key(s) of the current root — a plan
 * changes the root or targets.json, never both (make two plans). Then `previousRoot` is the trusted current
 * root (its targets role is the policy), `expires` is targets.json N+1's expiry, and `custodians` name the
 * holders of the targets keys:
 *
 * ```json
 * "delegations": {
 *   "targets": { "file": "targets.json", "sha256": "<hex SHA-256 of targets.json N as published>" },
 *   "add": [ { "name": "targets/releases", "threshold": 1, "paths": [""],
 *              "keys": [ { "name": "CI", "keyFile": "ci.crt", "sha256": "…" } ] } ],
 *   "remove": [ "targets/old" ],
 *   "rekey": [ { "name": "targets/qa", "keys": [ … ], "threshold": 2 } ],
 *   "revokeKeys": [ { "keyid": "<delegation key ID>", "role": "targets/releases" } ],
 *   "revokeTargets": [ "app/broken.tar.gz" ],
 *   "current": [ { "role": "targets/qa", "file": "qa.json", "sha256": "…" } ],
 *   "revokeTags": { "role": "targets/qa", "targets": [ "qa/pushed-with-the-leaked-key" ], "expires": "…" }
 * }
 * ```
 *
 * `revokeTags` (optional; issue #14, revoke-tags.ts) — "revoke these tags too": the request then also
 * carries the role's file N+1 without the named targets, to be signed by the role's keys as targets.json
 * N+1 lists them, and merge writes both files or neither. The role must be one this change takes a key
 * from, and its published file must be in `current`; `expires` is that file's new expiry (default: its
 * current one).
 *
 * `current` (optional) names the published files of delegated roles the change re-keys or revokes keys of:
 * they travel in the request, so every review lists the targets each file holds and whether the old key
 * signed it — re-keying does not revoke them (re-signing the file, `notary witness`, re-endorses them all).
 *
 * Delegation keys are files like the rest (Notary: the delegate's certificate, as `notary delegation add`
 * takes it, or a bare key; TUF: a bare key); paths and names are checked by buildTargetsPayload.
 *
 * A rotation clients at the previous version could not follow is refused by buildRotationPayload
 * (ROTATION_UNFOLLOWABLE), with the plan's JSON path.
 */
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonValue } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseExpires } from '../tuf/dates.js';
import type { Metadata } from '../tuf/metadata.js';
import { checkNotaryRootCertificates } from '../tuf/notary-root.js';
import type { Root } from '../tuf/root.js';
import { StrictReader } from '../ceremony/read.js';
import { intentHash, type IntentHash } from '../ceremony/plan-hash.js';
import { buildRotationPayload, parsePreviousRoot, type RemovalReason, type RotationChange, type RotationKey, type RotationPayload } from './payload.js';
import { parsePlanKeyFile, type PlanKeyRole } from './plan-keys.js';
import { nameKey } from './names.js';
import { buildSigningRequest, buildTargetsSigningRequest, checkDelegatedFiles, type SigningRequest } from './request.js';
import { checkTargetsRenewal } from './renewal.js';
import type { RevokeTagsChange } from './revoke-tags.js';
import { buildTargetsPayload, type DelegationAdd, type DelegationRekey, type TargetsChange, type TargetsPayload } from './targets-payload.js';

export const ROTATION_PLAN_FORMAT = 'tuf-ceremony-rotation-plan';
export const ROTATION_PLAN_VERSION = 1;
export const ROTATION_PLAN_MAX_BYTES = 256 * 1024;
/** The previous root.json the plan names (the same cap buildRotationPayload applies). */
export const PREVIOUS_ROOT_MAX_BYTES = 1024 * 1024;
/** targets.json N, which a delegations plan names. */
export const CURRENT_TARGETS_MAX_BYTES = DEFAULT_CAPS.targets;
const MAX_KEYS = 16;

/** A current root key, named in the plan by its custodian or its key ID. */
export type CurrentKeyRef = { custodian: string } | { keyid: string };

export interface PlanKeyFile {
  /** Who holds the key (required for root keys: the review names them). */
  name?: string;
  /** Relative to the plan's folder. */
  keyFile: string;
  sha256: string;
}

export interface PlanRoleChange {
  keys?: PlanKeyFile[];
  threshold?: number;
}

export interface PlanDelegationAdd {
  name: string;
  keys: PlanKeyFile[];
  threshold: number;
  paths?: string[];
  pathHashPrefixes?: string[];
  terminating?: boolean;
}

export interface PlanDelegationRekey {
  name: string;
  keys?: PlanKeyFile[];
  threshold?: number;
  paths?: string[];
  pathHashPrefixes?: string[];
}

/** A targets-level change (delegations, revocations): targets.json N+1. */
export interface PlanDelegations {
  targets: { file: string; sha256: string };
  add?: PlanDelegationAdd[];
  remove?: string[];
  rekey?: PlanDelegationRekey[];
  revokeKeys?: { keyid: string; role?: string }[];
  revokeTargets?: string[];
  /**
   * The current files of delegated roles this change re-keys or revokes keys of (issue #14): carried in
   * the request so the review lists the targets each file holds and whether the old key signed it.
   */
  current?: { role: string; file: string; sha256: string }[];
  /** "Revoke these tags too": targets removed from a re-keyed role's file in the same request (revoke-tags.ts). */
  revokeTags?: { role: string; targets: string[]; expires?: string };
}

export interface RotationPlan {
  format: typeof ROTATION_PLAN_FORMAT;
  version: typeof ROTATION_PLAN_VERSION;
  profile: ProfileName;
  repository: string;
  previousRoot: { file: string; sha256?: string; version?: number };
  custodians: { name: string; keyid: string }[];
  expires: { text: string; date: Date };
  root?: {
    replace?: { old: CurrentKeyRef; by: PlanKeyFile; reason: RemovalReason }[];
    add?: PlanKeyFile[];
    remove?: { old: CurrentKeyRef; reason: RemovalReason }[];
    threshold?: number;
    /**
     * Notary (issue #14): renew root certificates without changing keys — certificate-request.ts. Alone in
     * the plan: `rotate` then writes a certificate request instead of a signing request.
     */
    renewCertificates?: { until?: { text: string; date: Date }; custodians?: string[] };
  };
  targets?: PlanRoleChange;
  snapshot?: PlanRoleChange;
  timestamp?: PlanRoleChange;
  unavailable?: CurrentKeyRef[];
  consistentSnapshot?: boolean;
  delegations?: PlanDelegations;
}

const r: StrictReader = new StrictReader('PLAN_INVALID');

/**
 * `root.renewCertificates: { "until"?: DATE, "custodians"?: [names] }`: Notary only, and the plan's only
 * change (the new certificates must exist before root N+1 can be signed, so this is its own two-step flow:
 * certificate-request.ts). `until` defaults to the new root's expiry; `custodians` to every custodian named.
 */
function renewCertificates(ro: Record<string, JsonValue | undefined>, o: Record<string, JsonValue | undefined>, profile: ProfileName, names: ReadonlySet<string>): NonNullable<NonNullable<RotationPlan['root']>['renewCertificates']> {
  const path = '$.root.renewCertificates';
  if (profile !== 'notary') r.fail(path, 'root certificates are a Notary thing: TUF root keys are not certificates');
  const others = [...Object.keys(ro).filter((k) => k !== 'renewCertificates' && ro[k] !== undefined).map((k) => `$.root.${k}`), ...['targets', 'snapshot', 'timestamp', 'unavailable', 'consistentSnapshot', 'delegations'].filter((k) => o[k] !== undefined).map((k) => `$.${k}`)];
  if (others.length) r.fail(path, `renewing certificates is a rotation of its own (every custodian issues a certificate, then signs the root built from them): make another plan for ${others.join(', ')}`);
  const e = r.object(ro.renewCertificates, path, [], ['until', 'custodians']);
  const out: NonNullable<NonNullable<RotationPlan['root']>['renewCertificates']> = {};
  if (e.until !== undefined) {
    const text = r.text(e.until, `${path}.until`, 40);
    try {
      out.until = { text, date: parseExpires('notary', text, `${path}.until`) };
    } catch (err) {
      r.fail(`${path}.until`, err instanceof CeremonyError ? messageWithoutPath(err) : 'not a date');
    }
  }
  if (e.custodians !== undefined) {
    out.custodians = r.array(e.custodians, `${path}.custodians`, 1, MAX_KEYS).map((v, i) => {
      const name = r.text(v, child(`${path}.custodians`, i), 100);
      if (!names.has(name)) r.fail(child(`${path}.custodians`, i), `no custodian is named ${JSON.stringify(name)} in $.custodians`);
      return name;
    });
    if (new Set(out.custodians).size !== out.custodians.length) r.fail(`${path}.custodians`, 'a custodian is named twice');
  }
  return out;
}
const REASONS: readonly RemovalReason[] = ['lost', 'compromised', 'retired'];
const HEX64 = /^[0-9a-f]{64}$/;

/** A file next to the plan: relative, inside its folder (as the ceremony plan's server key files). */
function fileName(value: JsonValue | undefined, path: string): string {
  const file = r.text(value, path, 255);
  if (file.startsWith('/') || /^[A-Za-z]:/.test(file) || file.includes('\\') || file.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    r.fail(path, 'expected a file name relative to the plan\'s folder (no "/" at the start, no "." or ".." segments, no backslashes)');
  }
  return file;
}

function keyFile(value: JsonValue | undefined, path: string, nameRequired: boolean): PlanKeyFile {
  const o = r.object(value, path, nameRequired ? ['name', 'keyFile', 'sha256'] : ['keyFile', 'sha256'], nameRequired ? [] : ['name']);
  const out: PlanKeyFile = { keyFile: fileName(o.keyFile, child(path, 'keyFile')), sha256: r.sha256(o.sha256, child(path, 'sha256')) };
  if (o.name !== undefined) out.name = r.text(o.name, child(path, 'name'), 100);
  return out;
}

function currentKey(o: Record<string, JsonValue | undefined>, path: string, names: ReadonlySet<string>): CurrentKeyRef {
  if ((o.custodian === undefined) === (o.keyid === undefined)) r.fail(path, 'name the current key by "custodian" (a name from $.custodians) or by "keyid", one of the two');
  if (o.custodian !== undefined) {
    const name = r.text(o.custodian, child(path, 'custodian'), 100);
    if (!names.has(name)) r.fail(child(path, 'custodian'), `no custodian is named ${JSON.stringify(name)} in $.custodians (${[...names].join(', ') || 'none'})`);
    return { custodian: name };
  }
  const id = r.text(o.keyid, child(path, 'keyid'), 64);
  if (!HEX64.test(id)) r.fail(child(path, 'keyid'), 'expected a key ID: 64 lower-case hex digits');
  return { keyid: id };
}

function reason(value: JsonValue | undefined, path: string): RemovalReason {
  return r.oneOf(value, path, REASONS);
}

function roleChange(value: JsonValue | undefined, path: string): PlanRoleChange {
  const o = r.object(value, path, [], ['keys', 'threshold']);
  if (o.keys === undefined && o.threshold === undefined) r.fail(path, 'say what changes: "keys" (the new keys) and/or "threshold"');
  const out: PlanRoleChange = {};
  if (o.keys !== undefined) out.keys = r.array(o.keys, child(path, 'keys'), 1, MAX_KEYS).map((k, i) => keyFile(k, child(child(path, 'keys'), i), false));
  if (o.threshold !== undefined) out.threshold = r.integer(o.threshold, child(path, 'threshold'), 1, MAX_KEYS);
  return out;
}

/** Names, paths and path-hash prefixes as data: printable, no invisible characters; their rules are buildTargetsPayload's. */
function textList(value: JsonValue | undefined, path: string, max: number, allowEmpty = false): string[] {
  return r.array(value, path, 1, 1024).map((v, i) => {
    if (allowEmpty && v === '') return '';
    return r.text(v, child(path, i), max);
  });
}

const MAX_DELEGATIONS = 64;

function delegations(value: JsonValue | undefined): PlanDelegations {
  const path = '$.delegations';
  const o = r.object(value, path, ['targets'], ['add', 'remove', 'rekey', 'revokeKeys', 'revokeTargets', 'renew', 'current', 'revokeTags']);
  const changes = o.add !== undefined || o.remove !== undefined || o.rekey !== undefined || o.revokeKeys !== undefined || o.revokeTargets !== undefined;
  // `"renew": true` alone: targets.json N+1 renews the expiry, nothing else (renewal.ts, issue #14).
  const renew = o.renew !== undefined && r.boolean(o.renew, child(path, 'renew'));
  if (renew && changes) r.fail(child(path, 'renew'), '"renew" extends the expiry alone: make changes in a plan of their own');
  if (!changes && !renew) {
    r.fail(path, 'say what changes: "add", "remove", "rekey", "revokeKeys" and/or "revokeTargets" (or "renew": true to extend the expiry alone)');
  }
  const t = r.object(o.targets, child(path, 'targets'), ['file', 'sha256']);
  const out: PlanDelegations = { targets: { file: fileName(t.file, '$.delegations.targets.file'), sha256: r.sha256(t.sha256, '$.delegations.targets.sha256') } };
  const keys = (v: JsonValue | undefined, p: string) => r.array(v, p, 1, MAX_KEYS).map((k, i) => keyFile(k, child(p, i), false));
  const pathsOf = (e: JsonObjectLike, p: string, target: { paths?: string[]; pathHashPrefixes?: string[] }) => {
    // Notary's `--all-paths` is the one empty path prefix "".
    if (e.paths !== undefined) target.paths = textList(e.paths, child(p, 'paths'), 1024, true);
    if (e.pathHashPrefixes !== undefined) target.pathHashPrefixes = textList(e.pathHashPrefixes, child(p, 'pathHashPrefixes'), 64);
  };
  if (o.add !== undefined) {
    out.add = r.array(o.add, '$.delegations.add', 1, MAX_DELEGATIONS).map((v, i) => {
      const p = child('$.delegations.add', i);
      const e = r.object(v, p, ['name', 'keys', 'threshold'], ['paths', 'pathHashPrefixes', 'terminating']);
      const add: PlanDelegationAdd = { name: r.text(e.name, child(p, 'name'), 255), keys: keys(e.keys, child(p, 'keys')), threshold: r.integer(e.threshold, child(p, 'threshold'), 1, MAX_KEYS) };
      pathsOf(e, p, add);
      if (e.terminating !== undefined) add.terminating = r.boolean(e.terminating, child(p, 'terminating'));
      return add;
    });
  }
  if (o.remove !== undefined) out.remove = textList(o.remove, '$.delegations.remove', 255);
  if (o.rekey !== undefined) {
    out.rekey = r.array(o.rekey, '$.delegations.rekey', 1, MAX_DELEGATIONS).map((v, i) => {
      const p = child('$.delegations.rekey', i);
      const e = r.object(v, p, ['name'], ['keys', 'threshold', 'paths', 'pathHashPrefixes']);
      if (e.keys === undefined && e.threshold === undefined && e.paths === undefined && e.pathHashPrefixes === undefined) r.fail(p, 'say what changes: "keys", "threshold" and/or "paths"');
      const rk: PlanDelegationRekey = { name: r.text(e.name, child(p, 'name'), 255) };
      if (e.keys !== undefined) rk.keys = keys(e.keys, child(p, 'keys'));
      if (e.threshold !== undefined) rk.threshold = r.integer(e.threshold, child(p, 'threshold'), 1, MAX_KEYS);
      pathsOf(e, p, rk);
      return rk;
    });
  }
  if (o.revokeKeys !== undefined) {
    out.revokeKeys = r.array(o.revokeKeys, '$.delegations.revokeKeys', 1, MAX_KEYS * MAX_DELEGATIONS).map((v, i) => {
      const p = child('$.delegations.revokeKeys', i);
      const e = r.object(v, p, ['keyid'], ['role']);
      const keyid = r.text(e.keyid, child(p, 'keyid'), 64);
      if (!HEX64.test(keyid)) r.fail(child(p, 'keyid'), 'expected a key ID: 64 lower-case hex digits');
      return e.role !== undefined ? { keyid, role: r.text(e.role, child(p, 'role'), 255) } : { keyid };
    });
  }
  if (o.revokeTargets !== undefined) out.revokeTargets = textList(o.revokeTargets, '$.delegations.revokeTargets', 4096);
  if (o.current !== undefined) {
    out.current = r.array(o.current, '$.delegations.current', 1, MAX_DELEGATIONS).map((v, i) => {
      const p = child('$.delegations.current', i);
      const e = r.object(v, p, ['role', 'file', 'sha256']);
      return { role: r.text(e.role, child(p, 'role'), 255), file: fileName(e.file, child(p, 'file')), sha256: r.sha256(e.sha256, child(p, 'sha256')) };
    });
  }
  if (o.revokeTags !== undefined) {
    const p = '$.delegations.revokeTags';
    if (renew) r.fail(p, '"renew" extends the expiry alone: revoke tags with a re-key or key revocation');
    const e = r.object(o.revokeTags, p, ['role', 'targets'], ['expires']);
    const rt: NonNullable<PlanDelegations['revokeTags']> = { role: r.text(e.role, child(p, 'role'), 255), targets: textList(e.targets, child(p, 'targets'), 4096) };
    if (!out.current?.some((c) => c.role === rt.role)) r.fail(child(p, 'role'), `the published file of ${JSON.stringify(rt.role)} must be named in "current": the tags are removed from it`);
    if (e.expires !== undefined) {
      if (typeof e.expires !== 'string') r.fail(child(p, 'expires'), 'expected the expiry as a string such as "2036-05-01T00:00:00Z"');
      rt.expires = e.expires;
    }
    out.revokeTags = rt;
  }
  return out;
}

type JsonObjectLike = Record<string, JsonValue | undefined>;

/** Repository names: printable ASCII without spaces (the ceremony plan's rule). */
function repository(value: JsonValue | undefined, path: string): string {
  const s = r.text(value, path, 255);
  if (!/^[\x21-\x7e]+$/.test(s)) r.fail(path, 'expected printable ASCII without spaces, such as registry.example.com/org/app');
  // As multi-plan.ts entryName, the trust store (install.ts checkGun) and notary-server (publish/notary-server.ts)
  // read them: a "." segment too, or a plan would pass review and make a repository nothing can install or publish.
  if (s.startsWith('/') || s.endsWith('/') || s.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    r.fail(path, 'expected a name such as registry.example.com/org/app (no empty, "." or ".." segments)');
  }
  return s;
}

/** Parse and validate a rotation plan's bytes (PLAN_INVALID with the JSON path, or the parser's JSON_* / INPUT_TOO_LARGE). */
export function parseRotationPlan(bytes: Uint8Array): RotationPlan {
  const value = parseJsonStrict(bytes, { maxBytes: ROTATION_PLAN_MAX_BYTES, path: '$', maxDepth: 16 });
  const o = r.object(value, '$', ['format', 'version', 'profile', 'repository', 'previousRoot', 'custodians', 'expires'], ['root', 'targets', 'snapshot', 'timestamp', 'unavailable', 'consistentSnapshot', 'delegations']);
  r.literal(o.format, '$.format', ROTATION_PLAN_FORMAT, 'a tuf-ceremony rotation plan');
  if (o.version !== ROTATION_PLAN_VERSION) r.fail('$.version', `rotation plan format version ${JSON.stringify(o.version)} is not one this tool reads (${ROTATION_PLAN_VERSION})`);
  const profile = r.oneOf(o.profile, '$.profile', ['notary', 'tuf'] as const);
  const repo = repository(o.repository, '$.repository');

  const pr = r.object(o.previousRoot, '$.previousRoot', ['file'], ['sha256', 'version']);
  if (pr.sha256 === undefined && pr.version === undefined) r.fail('$.previousRoot', 'pin the previous root by "sha256" (preferred) and/or "version", so a wrong file is refused');
  const previousRoot: RotationPlan['previousRoot'] = { file: fileName(pr.file, '$.previousRoot.file') };
  if (pr.sha256 !== undefined) previousRoot.sha256 = r.sha256(pr.sha256, '$.previousRoot.sha256');
  if (pr.version !== undefined) previousRoot.version = r.integer(pr.version, '$.previousRoot.version', 1, Number.MAX_SAFE_INTEGER - 1);

  const names = new Set<string>();
  const folded = new Set<string>();
  const ids = new Set<string>();
  const custodians = r.array(o.custodians, '$.custodians', 0, MAX_KEYS).map((v, i) => {
    const path = child('$.custodians', i);
    const c = r.object(v, path, ['name', 'keyid']);
    const name = r.text(c.name, child(path, 'name'), 100);
    // Compared as a reader compares them (names.ts nameKey): "José" in NFC and in NFD are one name.
    if (folded.has(nameKey(name))) r.fail(child(path, 'name'), `two custodians are named ${JSON.stringify(name)}`);
    const keyid = r.text(c.keyid, child(path, 'keyid'), 64);
    if (!HEX64.test(keyid)) r.fail(child(path, 'keyid'), 'expected a key ID: 64 lower-case hex digits');
    if (ids.has(keyid)) r.fail(child(path, 'keyid'), 'this key is already named for another custodian');
    names.add(name);
    folded.add(nameKey(name));
    ids.add(keyid);
    return { name, keyid };
  });

  if (typeof o.expires !== 'string') r.fail('$.expires', 'expected the new root\'s expiry as a string such as "2036-05-01T00:00:00Z"');
  let date: Date;
  try {
    date = parseExpires('tuf', o.expires, '$.expires');
  } catch (err) {
    r.fail('$.expires', err instanceof CeremonyError ? messageWithoutPath(err) : 'not a date');
  }
  const plan: RotationPlan = { format: ROTATION_PLAN_FORMAT, version: ROTATION_PLAN_VERSION, profile, repository: repo, previousRoot, custodians, expires: { text: o.expires, date } };

  if (o.root !== undefined) {
    const ro = r.object(o.root, '$.root', [], ['replace', 'add', 'remove', 'threshold', 'renewCertificates']);
    const root: NonNullable<RotationPlan['root']> = {};
    if (ro.renewCertificates !== undefined) root.renewCertificates = renewCertificates(ro, o, profile, names);
    if (ro.replace !== undefined) {
      root.replace = r.array(ro.replace, '$.root.replace', 1, MAX_KEYS).map((v, i) => {
        const path = child('$.root.replace', i);
        const e = r.object(v, path, ['by', 'reason'], ['custodian', 'keyid']);
        return { old: currentKey(e, path, names), by: keyFile(e.by, child(path, 'by'), true), reason: reason(e.reason, child(path, 'reason')) };
      });
    }
    if (ro.add !== undefined) root.add = r.array(ro.add, '$.root.add', 1, MAX_KEYS).map((v, i) => keyFile(v, child('$.root.add', i), true));
    if (ro.remove !== undefined) {
      root.remove = r.array(ro.remove, '$.root.remove', 1, MAX_KEYS).map((v, i) => {
        const path = child('$.root.remove', i);
        const e = r.object(v, path, ['reason'], ['custodian', 'keyid']);
        return { old: currentKey(e, path, names), reason: reason(e.reason, child(path, 'reason')) };
      });
    }
    if (ro.threshold !== undefined) root.threshold = r.integer(ro.threshold, '$.root.threshold', 1, MAX_KEYS);
    plan.root = root;
  }
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    if (o[role] !== undefined) plan[role] = roleChange(o[role], `$.${role}`);
  }
  if (o.unavailable !== undefined) {
    plan.unavailable = r.array(o.unavailable, '$.unavailable', 1, MAX_KEYS).map((v, i) => {
      const path = child('$.unavailable', i);
      return currentKey(r.object(v, path, [], ['custodian', 'keyid']), path, names);
    });
  }
  if (o.consistentSnapshot !== undefined) {
    const cs = r.boolean(o.consistentSnapshot, '$.consistentSnapshot');
    if (cs && profile === 'notary') r.fail('$.consistentSnapshot', 'Notary repositories do not use consistent snapshots (notary always writes false)');
    plan.consistentSnapshot = cs;
  }
  if (o.delegations !== undefined) {
    // Root N+1 is signed by root keys, targets.json N+1 by targets keys: two requests, so two plans.
    const rootField = (['root', 'targets', 'snapshot', 'timestamp', 'unavailable', 'consistentSnapshot'] as const).find((f) => o[f] !== undefined);
    if (rootField) r.fail(`$.${rootField}`, 'a plan changes the root or targets.json (its "delegations" section), not both: make one plan for each');
    plan.delegations = delegations(o.delegations);
  }
  return plan;
}

/** Every file the plan names, with where it is named (what `rotate` reads, capped, next to the plan). */
export interface RotationPlanInput {
  file: string;
  path: string;
  kind: 'previous-root' | 'key' | 'targets' | 'delegated';
}

export function rotationPlanInputs(plan: RotationPlan): RotationPlanInput[] {
  const out: RotationPlanInput[] = [{ file: plan.previousRoot.file, path: '$.previousRoot.file', kind: 'previous-root' }];
  plan.root?.replace?.forEach((e, i) => out.push({ file: e.by.keyFile, path: `$.root.replace[${i}].by.keyFile`, kind: 'key' }));
  plan.root?.add?.forEach((k, i) => out.push({ file: k.keyFile, path: `$.root.add[${i}].keyFile`, kind: 'key' }));
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) plan[role]?.keys?.forEach((k, i) => out.push({ file: k.keyFile, path: `$.${role}.keys[${i}].keyFile`, kind: 'key' }));
  const d = plan.delegations;
  if (d) {
    out.push({ file: d.targets.file, path: '$.delegations.targets.file', kind: 'targets' });
    d.add?.forEach((a, i) => a.keys.forEach((k, j) => out.push({ file: k.keyFile, path: `$.delegations.add[${i}].keys[${j}].keyFile`, kind: 'key' })));
    d.rekey?.forEach((a, i) => a.keys?.forEach((k, j) => out.push({ file: k.keyFile, path: `$.delegations.rekey[${i}].keys[${j}].keyFile`, kind: 'key' })));
    d.current?.forEach((c, i) => out.push({ file: c.file, path: `$.delegations.current[${i}].file`, kind: 'delegated' }));
  }
  return out;
}

const DAY = 24 * 3600 * 1000;

/**
 * Checks that need the clock, made when the request is built: the new root's expiry is in the future and,
 * for Notary, at least 6 months away (a root expiring sooner makes every `notary publish` try to re-sign
 * it, which a targets-only publisher cannot — FIELD-NOTES).
 */
export function checkRotationPlanDates(plan: RotationPlan, now: Date): void {
  // A delegations plan's expiry is targets.json's: it only has to be ahead.
  const minDays = plan.profile === 'notary' && !plan.delegations ? 183 : 1;
  if (plan.expires.date.getTime() <= now.getTime()) throw new CeremonyError('PLAN_INVALID', `${plan.expires.text} is already past (the clock says ${now.toISOString()})`, { path: '$.expires' });
  if (plan.expires.date.getTime() < now.getTime() + minDays * DAY) {
    throw new CeremonyError('PLAN_INVALID', `${plan.expires.text} is less than ${minDays} days away${plan.profile === 'notary' ? ': a Notary root expiring within 6 months makes every publish try to re-sign it' : ''}`, { path: '$.expires' });
  }
}

export interface ResolvedRotationPlan {
  previous: Metadata<Root>;
  change: RotationChange;
  /** Custodian names by key ID: the current ones from the plan, and the new keys' holders. */
  names: Map<string, string>;
  /** A delegations plan: targets.json N and the targets-level change (RotationChange is then unused). */
  targets?: { bytes: Uint8Array; change: TargetsChange; delegatedFiles?: Map<string, Uint8Array>; revokeTags?: RevokeTagsChange };
}

/**
 * The plan against its inputs (pure): the previous root must be the pinned one, the custodians its root
 * keys, every key file the reviewed bytes; the result is the RotationChange for buildRotationPayload.
 * `files` holds each input by the name the plan gives it.
 */
export function resolveRotationPlan(plan: RotationPlan, files: ReadonlyMap<string, Uint8Array>): ResolvedRotationPlan {
  const prevBytes = files.get(plan.previousRoot.file);
  if (!prevBytes) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${plan.previousRoot.file}, the previous root the plan names, was not read`, { path: '$.previousRoot.file' });
  const source = plan.previousRoot.file;
  if (plan.previousRoot.sha256 !== undefined) {
    const got = sha256Hex(prevBytes);
    if (got !== plan.previousRoot.sha256) {
      throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} has SHA-256 ${got.slice(0, 16)}…, not the ${plan.previousRoot.sha256.slice(0, 16)}… the plan records: it is not the root that was reviewed`, { path: '$.previousRoot.sha256' });
    }
  }
  let previous: Metadata<Root>;
  try {
    previous = parsePreviousRoot(prevBytes, source);
  } catch (err) {
    if (isCeremonyError(err)) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is not a root.json this tool can rotate: ${err.message}`, { path: '$.previousRoot.file', cause: err });
    throw err;
  }
  if (plan.previousRoot.version !== undefined && previous.signed.version !== plan.previousRoot.version) {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is root version ${previous.signed.version}, not the version ${plan.previousRoot.version} the plan rotates from`, { path: '$.previousRoot.version' });
  }
  if (previous.profile.name !== plan.profile) {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is ${previous.profile.name} metadata, but the plan says ${plan.profile}`, { path: '$.profile' });
  }
  const rootIds = previous.signed.roles.get('root')!.keyids;
  // A delegations plan is signed by the targets keys: its custodians hold those.
  const signerRole = plan.delegations ? 'targets' : 'root';
  const signerIds = previous.signed.roles.get(signerRole)!.keyids;
  const names = new Map<string, string>();
  plan.custodians.forEach((c, i) => {
    if (!signerIds.includes(c.keyid)) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${c.name}'s key ${c.keyid.slice(0, 16)}… is not a ${signerRole} key of ${source} (version ${previous.signed.version})`, { path: `$.custodians[${i}].keyid` });
    names.set(c.keyid, c.name);
  });
  const byName = new Map(plan.custodians.map((c) => [c.name, c.keyid]));
  const keyidOf = (ref: CurrentKeyRef, path: string): string => {
    if ('custodian' in ref) return byName.get(ref.custodian)!;
    if (!rootIds.includes(ref.keyid)) throw new CeremonyError('PLAN_INPUT_MISMATCH', `key ${ref.keyid.slice(0, 16)}… is not a root key of ${source} (version ${previous.signed.version})`, { path: `${path}.keyid` });
    return ref.keyid;
  };
  const load = (k: PlanKeyFile, role: PlanKeyRole, path: string): RotationKey => {
    const bytes = files.get(k.keyFile);
    if (!bytes) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${k.keyFile}, the key file the plan names, was not read`, { path: `${path}.keyFile` });
    const parsed = parsePlanKeyFile(bytes, { profile: plan.profile, role, repository: plan.repository, source: k.keyFile, sha256: k.sha256, planPath: path });
    return k.name !== undefined ? { json: parsed.json, name: k.name } : { json: parsed.json };
  };

  const change: RotationChange = { expires: plan.expires.text };
  if (plan.root) {
    const root: NonNullable<RotationChange['root']> = {};
    if (plan.root.replace) root.replace = plan.root.replace.map((e, i) => ({ old: keyidOf(e.old, `$.root.replace[${i}]`), new: load(e.by, 'root', `$.root.replace[${i}].by`), reason: e.reason }));
    if (plan.root.add) root.add = plan.root.add.map((k, i) => load(k, 'root', `$.root.add[${i}]`));
    if (plan.root.remove) root.remove = plan.root.remove.map((e, i) => ({ keyid: keyidOf(e.old, `$.root.remove[${i}]`), reason: e.reason }));
    if (plan.root.threshold !== undefined) root.threshold = plan.root.threshold;
    change.root = root;
  }
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const c = plan[role];
    if (!c) continue;
    change[role] = {};
    if (c.keys) change[role].keys = c.keys.map((k, i) => load(k, role, `$.${role}.keys[${i}]`));
    if (c.threshold !== undefined) change[role].threshold = c.threshold;
  }
  if (plan.unavailable) change.unavailable = plan.unavailable.map((ref, i) => keyidOf(ref, `$.unavailable[${i}]`));
  if (plan.consistentSnapshot !== undefined) change.consistentSnapshot = plan.consistentSnapshot;
  const resolved: ResolvedRotationPlan = { previous, change, names };
  const d = plan.delegations;
  if (d) {
    const targetsBytes = files.get(d.targets.file);
    if (!targetsBytes) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${d.targets.file}, the targets.json the plan names, was not read`, { path: '$.delegations.targets.file' });
    const got = sha256Hex(targetsBytes);
    if (got !== d.targets.sha256) {
      throw new CeremonyError('PLAN_INPUT_MISMATCH', `${d.targets.file} has SHA-256 ${got.slice(0, 16)}…, not the ${d.targets.sha256.slice(0, 16)}… the plan records: it is not the targets.json that was reviewed`, { path: '$.delegations.targets.sha256' });
    }
    const delegationKeys = (keys: PlanKeyFile[], path: string): RotationKey[] => keys.map((k, j) => load(k, 'delegation', `${path}.keys[${j}]`));
    const tc: TargetsChange = { expires: plan.expires.text, delegations: {} };
    if (d.add) {
      tc.delegations!.add = d.add.map((a, i): DelegationAdd => {
        const add: DelegationAdd = { name: a.name, keys: delegationKeys(a.keys, `$.delegations.add[${i}]`), threshold: a.threshold };
        if (a.paths) add.paths = a.paths;
        if (a.pathHashPrefixes) add.pathHashPrefixes = a.pathHashPrefixes;
        if (a.terminating !== undefined) add.terminating = a.terminating;
        return add;
      });
    }
    if (d.remove) tc.delegations!.remove = d.remove;
    if (d.rekey) {
      tc.delegations!.rekey = d.rekey.map((a, i): DelegationRekey => {
        const rk: DelegationRekey = { name: a.name };
        if (a.keys) rk.keys = delegationKeys(a.keys, `$.delegations.rekey[${i}]`);
        if (a.threshold !== undefined) rk.threshold = a.threshold;
        if (a.paths) rk.paths = a.paths;
        if (a.pathHashPrefixes) rk.pathHashPrefixes = a.pathHashPrefixes;
        return rk;
      });
    }
    if (d.revokeKeys) tc.delegations!.revokeKeys = d.revokeKeys.map((k) => (k.role !== undefined ? { keyid: k.keyid, role: k.role } : { keyid: k.keyid }));
    if (d.revokeTargets) tc.revokeTargets = d.revokeTargets;
    resolved.targets = { bytes: targetsBytes, change: tc };
    if (d.revokeTags) resolved.targets.revokeTags = { ...d.revokeTags };
    if (d.current) {
      const delegatedFiles = new Map<string, Uint8Array>();
      d.current.forEach((c, i) => {
        const path = `$.delegations.current[${i}]`;
        const bytes = files.get(c.file);
        if (!bytes) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${c.file}, the ${c.role} file the plan names, was not read`, { path: `${path}.file` });
        const got = sha256Hex(bytes);
        if (got !== c.sha256) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${c.file} has SHA-256 ${got.slice(0, 16)}…, not the ${c.sha256.slice(0, 16)}… the plan records`, { path: `${path}.sha256` });
        if (delegatedFiles.has(c.role)) throw new CeremonyError('PLAN_INVALID', `${c.role} is named twice`, { path: `${path}.role` });
        delegatedFiles.set(c.role, bytes);
      });
      resolved.targets.delegatedFiles = delegatedFiles;
    }
  }
  return resolved;
}

/** buildRotationPayload's paths (`$change.root.replace[0].new`) as the plan's (`$.root.replace[0].by`). */
function planPath(path: string | undefined): string | undefined {
  if (path === undefined || !path.startsWith('$change')) return path;
  if (path.startsWith('$change.revokeTargets')) return `$.delegations${path.slice('$change'.length)}`;
  return `$${path.slice('$change'.length)}`.replace(/(\.root\.replace\[\d+\])\.new/, '$1.by').replace(/(\.root\.replace\[\d+\])\.old$/, '$1');
}

export interface PlannedRotation {
  plan: RotationPlan;
  /** SHA-256 of the plan file as reviewed, as hex, short hex and words. */
  hash: IntentHash;
  /** Root plans: root N+1. */
  payload?: RotationPayload;
  /** Delegations plans: targets.json N+1. */
  targetsPayload?: TargetsPayload;
  request: SigningRequest;
}

/**
 * From the plan's bytes and its input files to the signing request (pure; the CLI reads the files). Every
 * refusal names the plan's JSON path; the new root is checked as Notary's client checks root certificates.
 */
export function planRotation(planBytes: Uint8Array, files: ReadonlyMap<string, Uint8Array>, now: Date): PlannedRotation {
  const plan = parseRotationPlan(planBytes);
  if (plan.root?.renewCertificates) {
    throw new CeremonyError('PLAN_INVALID', 'this plan renews root certificates: it makes a certificate request first (tuf-ceremony rotate; certificate-plan.ts), not a signing request', { path: '$.root.renewCertificates' });
  }
  checkRotationPlanDates(plan, now);
  const resolved = resolveRotationPlan(plan, files);
  if (resolved.targets) {
    let targetsPayload: TargetsPayload;
    try {
      targetsPayload = buildTargetsPayload(files.get(plan.previousRoot.file)!, resolved.targets.bytes, resolved.targets.change, { names: resolved.names });
    } catch (err) {
      if (isCeremonyError(err)) throw new CeremonyError(err.code, messageWithoutPath(err), { path: planPath(err.path), cause: err });
      throw err;
    }
    checkTargetsRenewal(targetsPayload);
    const delegatedFiles = resolved.targets.delegatedFiles;
    // Each current file must be one targets.json N's delegation signed: refused here with the plan's path.
    if (delegatedFiles) checkDelegatedFiles(targetsPayload.previous, delegatedFiles, '$.delegations.current', (role) => `$.delegations.current[${plan.delegations!.current!.findIndex((c) => c.role === role)}]`);
    const revokeTags = resolved.targets.revokeTags;
    let request: SigningRequest;
    try {
      request = buildTargetsSigningRequest(targetsPayload, { repository: plan.repository, names: resolved.names, ...(delegatedFiles ? { delegatedFiles } : {}), ...(revokeTags ? { revokeTags } : {}) });
    } catch (err) {
      // The part's refusals carry the change's path ($change.revokeTags…): give the plan's.
      if (isCeremonyError(err) && err.path?.startsWith('$change.revokeTags')) throw new CeremonyError(err.code, messageWithoutPath(err), { path: `$.delegations${err.path.slice('$change'.length)}`, cause: err });
      throw err;
    }
    return { plan, hash: intentHash(planBytes), targetsPayload, request };
  }
  let payload: RotationPayload;
  try {
    payload = buildRotationPayload(files.get(plan.previousRoot.file)!, resolved.change, { names: resolved.names });
  } catch (err) {
    if (isCeremonyError(err)) throw new CeremonyError(err.code, messageWithoutPath(err), { path: planPath(err.path), cause: err });
    throw err;
  }
  if (plan.profile === 'notary') {
    // The certificates Notary's client will check (CN = GUN, leaf, valid, not SHA-1), before anyone signs.
    checkNotaryRootCertificates({ ...payload.previous, signed: payload.root, source: `root version ${payload.root.version} (planned)` }, now, plan.repository);
  }
  const request = buildSigningRequest(payload, { repository: plan.repository });
  return { plan, hash: intentHash(planBytes), payload, request };
}
