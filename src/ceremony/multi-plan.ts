/**
 * Multi-repository plans (issue #17): one reviewed plan names many repositories — Notary GUNs and/or TUF
 * repositories — that share the custodians' root keys and, unless a repository names its own, the
 * targets (and held snapshot/timestamp) keys. One ceremony, one PIN per custodian, one transcript; each
 * repository's metadata in `OUT/metadata/<safe name>/` (repository-names.ts).
 *
 * The document is a single-repository plan (plan.ts) with `repositories` in place of `repository`; every
 * top-level field is the default of each repository, and a repository entry may override the fields that
 * differ between repositories:
 *
 * ```json
 * {
 *   "format": "tuf-ceremony-plan", "version": 1, "kind": "root",
 *   "profile": "notary",
 *   "repositories": [
 *     { "name": "registry.example.com/org/app", "timestamp": { "keyFile": "app.timestamp.key", "sha256": "…" } },
 *     { "name": "registry.example.com/org/db", "timestamp": { "keyFile": "db.timestamp.key", "sha256": "…" } },
 *     { "name": "example.com/tuf/app", "profile": "tuf" }
 *   ],
 *   "custodians": [ … as in plan.ts … ],
 *   "root": { "threshold": 2, "expires": "2036-05-01T00:00:00Z" },
 *   "targets": { "key": { "custodian": "Alice", "keyAlgorithm": "ecdsa-p256", "keyLabel": "targets-2026" }, "expires": "2029-05-01T00:00:00Z" },
 *   "snapshot": { "key": { "custodian": "Bob", "keyAlgorithm": "ecdsa-p256", "keyLabel": "snapshot-2026" }, "expires": "2029-05-01T00:00:00Z" },
 *   "timestamp": { "key": { "custodian": "Carol", "keyAlgorithm": "ecdsa-p256", "keyLabel": "timestamp-2026" }, "expires": "2026-06-01T00:00:00Z" }
 * }
 * ```
 *
 * - `repositories[i]`: a name (string) or `{"name", "profile"?, "targets"?, "snapshot"?, "timestamp"?,
 *   "consistentSnapshot"?}`; the repository's plan is the top level with these fields replaced, and is
 *   checked exactly as a single-repository plan (plan.ts readPlan), so each repository obeys every rule
 *   of its profile. Refusals inside a repository name its JSON path (`$.repositories[3].timestamp.sha256`)
 *   and the repository.
 * - Notary's timestamp key is notary-server's, one per GUN: each Notary repository names its own
 *   (`timestamp: {keyFile, sha256}`); so does a server-managed snapshot. The top-level `snapshot` and
 *   `timestamp` may be left out when every repository gives its own.
 * - Shared keys: a key is the pair (custodian, keyLabel). The same pair anywhere in the plan is one key on
 *   that token, so it must have the same algorithm, the same role and the same `existingKey` everywhere
 *   (labels are never reused for another key); two distinct keys may not name the same `existingKey` (its
 *   fingerprint anywhere, or its CKA_ID on one custodian's token: plan.ts EarlierKeys). At most MAX_PLAN_TOKEN_KEYS distinct keys (a YubiKey holds
 *   24 PIV keys). Root keys are always shared: Notary root certificates are issued per GUN from the same
 *   token key (CN = that GUN), so notary's per-GUN certificate checks pass.
 * - `consistentSnapshot` at the top level applies to the TUF repositories (Notary never uses it).
 * - Names: unique, also ignoring case (they become folders, and macOS and Windows fold case), with no `.`
 *   or `..` segment, and each must make a safe folder name (repository-names.ts). At most
 *   MAX_REPOSITORIES repositories (5,000): a 1,000-repository Notary ceremony on three tokens already asks
 *   some 7,000 token signatures.
 * - `shamir` (top level only, as in plan.ts: `{"threshold", "shares", "keyAlgorithm"}`): ONE software root
 *   key shared by every repository, like a custodian's root key — listed in every root beside the
 *   custodians' keys (for Notary with a certificate per GUN, CN = that GUN), signing every root, split M-of-N
 *   into share cards in `OUT/secret/` and wiped after the last root is signed (multi-shamir.ts). The root
 *   threshold is met by the custodians' tokens, as in a one-repository plan (the split key is one more root
 *   key, its signature one more). Its algorithm must suit every repository's profile: `ecdsa-p256` when
 *   Notary and TUF repositories are mixed.
 *
 * The intent hash is the SHA-256 of the file's bytes as for every plan (plan-hash.ts); a single-repository
 * plan reads exactly as before.
 */
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { EarlierKeys, plannedKeys, PLAN_MAX_BYTES, readPlan, type CeremonyPlan, type ParsePlanOptions, type PlanCustodian, type PlannedKey } from './plan.js';
import { StrictReader } from './read.js';
import { safeRepositoryName } from './repository-names.js';

export const MAX_REPOSITORIES = 5000;
/** The shared key ID of the plan's Shamir-split software root key (one per plan). */
export const SHAMIR_SHARED_ID = 'shamir:$.shamir';
/** Distinct token keys one plan may name (all custodians together). */
export const MAX_PLAN_TOKEN_KEYS = 64;
/** 5,000 Notary repositories each naming its server's timestamp key file run to about 1.5 MB. */
export const MULTI_PLAN_MAX_BYTES = 8 * 1024 * 1024;

const OVERRIDES = ['profile', 'targets', 'snapshot', 'timestamp', 'consistentSnapshot'] as const;
type Override = (typeof OVERRIDES)[number];

export interface PlannedRepository {
  /** Position in `repositories`. */
  index: number;
  name: string;
  profile: ProfileName;
  /** Folder name under `OUT/metadata/`. */
  safeName: string;
  /** JSON path of the entry: `$.repositories[3]`. */
  path: string;
  /** The repository's own plan: the top level with the entry's fields in place, checked as a single plan. */
  plan: CeremonyPlan;
  /** Fields the entry gives itself. */
  overrides: ReadonlySet<Override>;
}

/** One key of the ceremony, however many repositories list it. */
export interface SharedKey {
  /** `token:<custodian>/<label>`, `software:<JSON path of its definition>`, `shamir:$.shamir` (SHAMIR_SHARED_ID). */
  id: string;
  role: PlannedKey['role'];
  source: PlannedKey['source'];
  /** Where the plan first names it. */
  path: string;
}

export interface MultiRepositoryPlan {
  kind: 'multi';
  custodians: PlanCustodian[];
  root: CeremonyPlan['root'];
  allowSoftwareTokens: boolean;
  repositories: PlannedRepository[];
  /** Every distinct key, in the order the ceremony makes them (custodians' root keys first). */
  keys: SharedKey[];
  /** The Shamir-split software root key every repository lists (plan.ts `shamir`), if any. */
  shamir?: NonNullable<CeremonyPlan['shamir']>;
}

/** Either kind of plan document. */
export type AnyPlan = { kind: 'single'; plan: CeremonyPlan } | { kind: 'multi'; plan: MultiRepositoryPlan };

const r = new StrictReader('PLAN_INVALID');

function bareMessage(err: CeremonyError): string {
  return messageWithoutPath(err);
}

/** The shared key a repository's planned key is. */
export function sharedKeyId(repo: PlannedRepository, planned: PlannedKey): string | undefined {
  const s = planned.source;
  if (s.kind === 'token') return `token:${s.custodian}/${s.keyLabel}`;
  if (s.kind === 'shamir') return SHAMIR_SHARED_ID;
  if (s.kind === 'software') {
    const role = planned.role as Override;
    return `software:${repo.overrides.has(role) ? child(repo.path, role) : `$.${role}`}`;
  }
  return undefined; // server and publisher keys are files the repository names; nothing is made
}

function entryName(value: JsonValue | undefined, path: string): string {
  const s = r.text(value, path, 255);
  if (!/^[\x21-\x7e]+$/.test(s)) r.fail(path, 'expected printable ASCII without spaces, such as registry.example.com/org/app');
  if (s.startsWith('/') || s.endsWith('/') || s.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    r.fail(path, 'expected a name such as registry.example.com/org/app (no empty, "." or ".." segments)');
  }
  return s;
}

/**
 * Read a multi-repository plan from its parsed document (`repositories` present). Throws PLAN_INVALID with
 * the JSON path of the first problem.
 */
export function readMultiPlan(value: JsonValue, opts: ParsePlanOptions = {}): MultiRepositoryPlan {
  const top = r.object(
    value,
    '$',
    ['format', 'version', 'kind', 'profile', 'repositories', 'custodians', 'root', 'targets'],
    ['snapshot', 'timestamp', 'consistentSnapshot', 'allowSoftwareTokens', 'shamir'],
  );
  const list = r.array(top.repositories, '$.repositories', 1, MAX_REPOSITORIES);
  const repositories: PlannedRepository[] = [];
  const byName = new Map<string, { path: string; name: string }>();
  const bySafe = new Map<string, string>();
  const keys = new Map<string, SharedKey>();
  const earlier = new EarlierKeys();

  list.forEach((entry, index) => {
    const path = child('$.repositories', index);
    let fields: JsonObject = {};
    let name: string;
    if (typeof entry === 'string') {
      name = entryName(entry, path);
    } else {
      fields = r.object(entry, path, ['name'], OVERRIDES);
      name = entryName(fields.name, child(path, 'name'));
    }
    const namePath = typeof entry === 'string' ? path : child(path, 'name');
    const folded = name.toLowerCase();
    const seen = byName.get(folded);
    if (seen) {
      const why = seen.name === name ? '' : ` (as ${JSON.stringify(seen.name)}, ignoring case: their folders would be one on macOS and Windows)`;
      r.fail(namePath, `the repository ${JSON.stringify(name)} is named twice${why}; also at ${seen.path}`);
    }
    byName.set(folded, { path: namePath, name });
    let safeName: string;
    try {
      safeName = safeRepositoryName(name, namePath);
    } catch (err) {
      if (err instanceof CeremonyError) r.fail(namePath, bareMessage(err));
      throw err;
    }
    const other = bySafe.get(safeName.toLowerCase());
    if (other) r.fail(namePath, `the folder name ${safeName} is also ${other}'s`); // unreachable while the encoding is injective; kept as a guard
    bySafe.set(safeName.toLowerCase(), name);

    const overrides = new Set<Override>(OVERRIDES.filter((k) => fields[k] !== undefined));
    const profile = (fields.profile ?? top.profile) as JsonValue;
    const merged: JsonObject = {
      format: top.format!,
      version: top.version!,
      kind: top.kind!,
      profile,
      repository: name,
      custodians: top.custodians!,
      root: top.root!,
      targets: (fields.targets ?? top.targets) as JsonValue,
    };
    for (const role of ['snapshot', 'timestamp'] as const) {
      const v = fields[role] ?? top[role];
      if (v !== undefined) merged[role] = v;
    }
    const cs = fields.consistentSnapshot ?? (profile === 'tuf' ? top.consistentSnapshot : undefined);
    if (cs !== undefined) merged.consistentSnapshot = cs;
    if (top.allowSoftwareTokens !== undefined) merged.allowSoftwareTokens = top.allowSoftwareTokens;
    // One split key for the whole plan: checked in each repository as plan.ts checks it (its algorithm against
    // that repository's profile), shared like the custodians' root keys (sharedKeyId).
    if (top.shamir !== undefined) merged.shamir = top.shamir;

    let plan: CeremonyPlan;
    try {
      plan = readPlan(merged, opts);
    } catch (err) {
      if (!(err instanceof CeremonyError)) throw err;
      const p = err.path ?? '$';
      let mapped = p;
      if (p === '$.repository') mapped = namePath;
      else {
        const field = /^\$\.([A-Za-z]+)/.exec(p)?.[1];
        if (field && overrides.has(field as Override)) mapped = path + p.slice(1);
      }
      const missing = /^\$\.(snapshot|timestamp)$/.test(p) && !overrides.has(p.slice(2) as Override) ? `; name it in the repository (${child(path, p.slice(2))}) or at the top of the plan` : '';
      throw new CeremonyError(err.code, `${bareMessage(err)}${missing} (in repository ${JSON.stringify(name)}, ${path})`, { path: mapped, cause: err });
    }
    const repo: PlannedRepository = { index, name, profile: plan.profile, safeName, path, plan, overrides };
    repositories.push(repo);

    for (const planned of plannedKeys(plan)) {
      const id = sharedKeyId(repo, planned);
      if (!id) continue;
      const where = planned.path.startsWith('$.custodians') || !overrides.has(planned.role as Override) ? planned.path : path + planned.path.slice(1);
      const known = keys.get(id);
      if (!known) {
        // A new key of the plan: the earlier key it names, if any, no other key of the plan may name (review L5;
        // readPlan compares the keys of one repository, this the keys of different repositories).
        const s = planned.source;
        if (s.kind === 'token' && s.existing) earlier.claim({ custodian: s.custodian, keyLabel: s.keyLabel, existing: s.existing }, child(where, 'existingKey'));
        keys.set(id, { id, role: planned.role, source: planned.source, path: where });
        continue;
      }
      const a = known.source;
      const b = planned.source;
      if (a.kind === 'token' && b.kind === 'token') {
        if (known.role !== planned.role) {
          r.fail(child(where, 'keyLabel'), `${b.custodian}'s key "${b.keyLabel}" would be a ${planned.role} key here and a ${known.role} key at ${known.path}; labels are never reused, and one key holds one role`);
        }
        if (a.keyAlgorithm !== b.keyAlgorithm) r.fail(child(where, 'keyAlgorithm'), `${b.custodian}'s key "${b.keyLabel}" is ${a.keyAlgorithm} at ${known.path}: one label, one key`);
        if (JSON.stringify(a.existing ?? null) !== JSON.stringify(b.existing ?? null)) {
          r.fail(where, `${b.custodian}'s key "${b.keyLabel}" is named differently at ${known.path} (existingKey): one label, one key`);
        }
      }
    }
  });

  const tokenKeys = [...keys.values()].filter((k) => k.source.kind === 'token').length;
  if (tokenKeys > MAX_PLAN_TOKEN_KEYS) r.fail('$.repositories', `the plan names ${tokenKeys} distinct token keys, more than ${MAX_PLAN_TOKEN_KEYS}: share keys between repositories (a YubiKey holds 24 PIV keys)`);

  const first = repositories[0]!.plan;
  return {
    kind: 'multi',
    custodians: first.custodians,
    root: first.root,
    allowSoftwareTokens: first.allowSoftwareTokens === true,
    repositories,
    keys: [...keys.values()].sort((x, y) => Number(y.role === 'root') - Number(x.role === 'root')),
    ...(first.shamir ? { shamir: first.shamir } : {}),
  };
}

/**
 * Parse either kind of plan: a document with `repositories` is a multi-repository plan (size cap
 * MULTI_PLAN_MAX_BYTES); any other is read as before (plan.ts, cap PLAN_MAX_BYTES), so a single-repository
 * plan's refusals and intent hash are unchanged.
 */
export function parseAnyPlan(bytes: Uint8Array, opts: ParsePlanOptions = {}): AnyPlan {
  const root = parseJsonStrict(bytes, { maxBytes: MULTI_PLAN_MAX_BYTES, path: '$', maxDepth: 16 });
  if (root !== null && typeof root === 'object' && !Array.isArray(root) && (root as JsonObject).repositories !== undefined) {
    return { kind: 'multi', plan: readMultiPlan(root, opts) };
  }
  if (bytes.length > PLAN_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `${bytes.length} bytes is over the cap of ${PLAN_MAX_BYTES} for a single-repository plan`, { path: '$' });
  return { kind: 'single', plan: readPlan(root, opts) };
}
