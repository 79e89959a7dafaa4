/**
 * The Root ceremony screen's multi-repository plans (issue #17): the decisions the app makes about them,
 * as plain functions (test/unit/electron/multi-ceremony.test.ts) that ceremony.ts calls. The ceremony itself
 * is the core's (src/ceremony/multi-machine.ts runMultiCeremony, as `tuf-ceremony run` runs it).
 *
 * - `multiPlanView`: what custodians review at 2 a.m. — one row per repository (name, profile, root
 *   threshold, each role's key holder and expiry, its folder under OUT/metadata/) and the keys they share.
 *   A row that differs from the others of its profile (its own targets key, another expiry, …) is an
 *   *exception*: the row says how it differs from what most repositories of its profile have, so 997 equal
 *   rows need not be read one by one to find the three that are not.
 * - `inputsFromPlan` / `checkPlanInputs`: every server or publisher key file a repository names is among the
 *   files opened with the plan, with the reviewed SHA-256, and no other file is; refused at load, with the
 *   repository's (or the input's) JSON path, not mid-ceremony.
 * - `multiResultView`: where the outputs are (OUT/metadata/<safe name>/ per repository, OUT/state/).
 */
import { join } from 'node:path';
import { CeremonyError } from '../../src/errors.js';
import { child } from '../../src/json/fields.js';
import { METADATA_DIR, STATE_DIR } from '../../src/ceremony/layout.js';
import { repositoryFolder, type MultiCeremonyResult } from '../../src/ceremony/multi-machine.js';
import { sharedKeyId, type MultiRepositoryPlan, type PlannedRepository, type SharedKey } from '../../src/ceremony/multi-plan.js';
import { plannedKeys, type CeremonyPlan } from '../../src/ceremony/plan.js';
import { parsePublisherKey } from '../../src/ceremony/publisher-key.js';
import { parseServerKey } from '../../src/ceremony/server-key.js';
import type { CeremonyMultiPlanView, CeremonyMultiResultView, MultiRepositoryRowView, MultiSharedKeyView, NamedFile } from '../shared/api-types.js';

const ALGORITHM: Record<string, string> = { 'ecdsa-p256': 'ECDSA P-256', 'ecdsa-p384': 'ECDSA P-384', ed25519: 'Ed25519', 'rsa-pss-sha256': 'RSA-PSS 3072' };
type Role = 'targets' | 'snapshot' | 'timestamp';

/**
 * The input files by name, built once per load (review A2: a per-reference `find` over 10,000 names froze
 * main for seconds). Two files under one name, or under names one case-insensitive file system takes for the
 * same (macOS, Windows: `A.key` and `a.key`), are refused: the second would overwrite the first when staged.
 */
export function inputsByName(inputs: readonly NamedFile[]): Map<string, NamedFile> {
  const byName = new Map<string, NamedFile>();
  const folded = new Map<string, string>();
  inputs.forEach((f, i) => {
    const key = f.name.normalize('NFKC').toLowerCase();
    const first = folded.get(key);
    if (first !== undefined) {
      throw new CeremonyError('PLAN_INPUT_MISMATCH', `two input files are named ${JSON.stringify(f.name)}${first !== f.name ? ` (and ${JSON.stringify(first)}, the same name on a case-insensitive disk)` : ''}: open each key file once`, { path: `$.inputs[${i}].name` });
    }
    folded.set(key, f.name);
    byName.set(f.name, f);
  });
  return byName;
}

/**
 * The key files checked so far in one load, by how they were parsed and their name, with the SHA-256 the
 * plan gave: a file 5,000 repositories name (a shared publisher key) is parsed and hashed once.
 */
type Checked = Map<string, string>;

function checkOnce(checked: Checked, key: string, sha256: string, parse: () => unknown): void {
  if (checked.get(key) === sha256) return;
  parse();
  checked.set(key, sha256);
}

/**
 * Every key file the plan names (server keys, publishers' targets keys) must be among the inputs, with the
 * bytes the plan's SHA-256 says. `at` is the JSON path of the plan (`$`) or of a repository's entry.
 * `named` collects the names the plan uses (inputsFromPlan refuses the others).
 */
export function checkPlanInputs(plan: CeremonyPlan, inputs: ReadonlyMap<string, NamedFile>, at = '$', checked: Checked = new Map(), named?: Set<string>): void {
  const where = at === '$' ? '' : ` (repository ${plan.repository})`;
  for (const role of ['snapshot', 'timestamp'] as const) {
    const src = plan[role].key;
    if (src.kind !== 'server') continue;
    const f = inputs.get(src.keyFile);
    if (!f) throw new CeremonyError('PLAN_INPUT_MISMATCH', `the plan names ${src.keyFile} (the ${role} key${where}): open it with the plan`, { path: `${child(at, role)}.keyFile` });
    named?.add(src.keyFile);
    checkOnce(checked, `server:${src.keyFile}`, src.sha256, () => parseServerKey(f.bytes, src.keyFile, src.sha256));
  }
  for (const p of plan.targets.publishers) {
    const f = inputs.get(p.keyFile);
    if (!f) throw new CeremonyError('PLAN_INPUT_MISMATCH', `the plan names ${p.keyFile} (publisher ${p.name}'s targets key${where}): open it with the plan`, { path: `${child(at, 'targets')}.publishers` });
    named?.add(p.keyFile);
    checkOnce(checked, `publisher:${plan.profile}:${p.keyFile}`, p.sha256, () => parsePublisherKey(f.bytes, p.keyFile, plan.profile, p.sha256));
  }
}

/** Every repository's key files, each checked as for one plan, with the repository's JSON path. */
export function checkMultiPlanInputs(plan: MultiRepositoryPlan, inputs: ReadonlyMap<string, NamedFile>, named?: Set<string>): void {
  const checked: Checked = new Map();
  for (const repo of plan.repositories) checkPlanInputs(repo.plan, inputs, repo.path, checked, named);
}

/**
 * The load's input files, checked against the plan (one or many repositories): indexed by name once,
 * duplicates refused, each named key file present with the reviewed bytes, and no file the plan does not
 * name (it would only be staged and fsync'd for nothing). Returns the files to stage, in the given order.
 */
export function inputsFromPlan(plan: { single: CeremonyPlan } | { multi: MultiRepositoryPlan }, inputs: readonly NamedFile[]): NamedFile[] {
  const byName = inputsByName(inputs);
  const named = new Set<string>();
  if ('multi' in plan) checkMultiPlanInputs(plan.multi, byName, named);
  else checkPlanInputs(plan.single, byName, '$', new Map(), named);
  inputs.forEach((f, i) => {
    if (!named.has(f.name)) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${JSON.stringify(f.name)} is not a key file the plan names: open only the plan's key files with it`, { path: `$.inputs[${i}].name` });
  });
  return inputs.map((f) => ({ name: f.name, bytes: f.bytes }));
}

/** Who holds a role's key in a repository, as the table says it (a server key by kind, not by its file: each GUN names its own). */
function holderOf(plan: CeremonyPlan, role: Role): string {
  const k = plan[role].key;
  if (k.kind === 'token') return `${k.custodian}’s token, “${k.keyLabel}”`;
  if (k.kind === 'server') return 'notary-server’s key';
  return 'software key';
}

function expiresOf(plan: CeremonyPlan, role: Role): string | null {
  const r = plan[role];
  return 'expires' in r ? r.expires.text : null;
}

type Column = 'root expires' | 'targets key' | 'targets expires' | 'snapshot key' | 'snapshot expires' | 'timestamp key' | 'timestamp expires' | 'publishers' | 'consistent snapshots';

function columnsOf(plan: CeremonyPlan): Record<Column, string> {
  return {
    'root expires': plan.root.expires.text,
    'targets key': holderOf(plan, 'targets'),
    'targets expires': expiresOf(plan, 'targets') ?? 'server-managed',
    'snapshot key': holderOf(plan, 'snapshot'),
    'snapshot expires': expiresOf(plan, 'snapshot') ?? 'server-managed',
    'timestamp key': holderOf(plan, 'timestamp'),
    'timestamp expires': expiresOf(plan, 'timestamp') ?? 'server-managed',
    publishers: plan.targets.publishers.map((p) => p.name).join(', ') || 'none',
    'consistent snapshots': plan.profile === 'tuf' ? String(plan.consistentSnapshot) : 'n/a',
  };
}

/** The value most rows of a group have (the first seen wins a tie, so the plan's order decides). */
function usual(values: readonly string[]): string {
  const counts = new Map<string, number>();
  let best = values[0]!;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > counts.get(best)!) best = v;
  }
  return best;
}

/**
 * The plan's `shamir` key as the single plan's view names it (ceremony.ts planView): one software root key
 * for every repository, split M of N into share cards (src/ceremony/multi-shamir.ts).
 */
function splitKeyHolder(s: { keyAlgorithm: string; threshold: number; shares: number }): string {
  return `software backup key (${ALGORITHM[s.keyAlgorithm] ?? s.keyAlgorithm}), split ${s.threshold} of ${s.shares} into share cards`;
}

function sharedKeyView(k: SharedKey, repositories: number, shamir: MultiRepositoryPlan['shamir']): MultiSharedKeyView {
  const s = k.source;
  let holder: string;
  if (s.kind === 'token') holder = `${s.custodian}’s token, key “${s.keyLabel}” (${ALGORITHM[s.keyAlgorithm] ?? s.keyAlgorithm})${'existing' in s && s.existing ? ', made at an earlier ceremony' : ''}`;
  else if (s.kind === 'software') holder = `software key (${ALGORITHM[s.keyAlgorithm] ?? s.keyAlgorithm})`;
  else if (s.kind === 'shamir' && shamir) holder = splitKeyHolder(shamir);
  else holder = s.kind;
  return { id: k.id, role: k.role, holder, repositories };
}

/**
 * The multi-repository part of the plan view (the intent hash and custodians are the single view's): the
 * summary every status carries, and the table's rows, sent once per plan.
 */
export function multiPlanView(plan: MultiRepositoryPlan): { summary: CeremonyMultiPlanView; rows: MultiRepositoryRowView[] } {
  const columns = plan.repositories.map((r) => columnsOf(r.plan));
  const usualByProfile = new Map<string, Record<Column, string>>();
  for (const profile of ['notary', 'tuf'] as const) {
    const group = columns.filter((_, i) => plan.repositories[i]!.profile === profile);
    if (group.length === 0) continue;
    const u = {} as Record<Column, string>;
    for (const c of Object.keys(group[0]!) as Column[]) u[c] = usual(group.map((g) => g[c]));
    usualByProfile.set(profile, u);
  }
  const usedBy = new Map<string, number>();
  const rows: MultiRepositoryRowView[] = plan.repositories.map((repo: PlannedRepository, i) => {
    for (const k of plannedKeys(repo.plan)) {
      const id = sharedKeyId(repo, k);
      if (id) usedBy.set(id, (usedBy.get(id) ?? 0) + 1);
    }
    const cols = columns[i]!;
    const u = usualByProfile.get(repo.profile)!;
    const exceptions = (Object.keys(cols) as Column[]).filter((c) => cols[c] !== u[c]).map((c) => `${c}: ${cols[c]} (most ${repo.profile === 'notary' ? 'Notary' : 'TUF'} repositories: ${u[c]})`);
    return {
      name: repo.name,
      profile: repo.profile,
      folder: repositoryFolder(repo.safeName),
      // The split software root key is a root key of every repository, beside the custodians' (multi-plan.ts `shamir`).
      rootThreshold: `${repo.plan.root.threshold} of ${repo.plan.custodians.length + (repo.plan.shamir ? 1 : 0)}`,
      expires: { root: cols['root expires'], targets: expiresOf(repo.plan, 'targets'), snapshot: expiresOf(repo.plan, 'snapshot'), timestamp: expiresOf(repo.plan, 'timestamp') },
      keys: { targets: cols['targets key'], snapshot: cols['snapshot key'], timestamp: cols['timestamp key'] },
      exceptions,
    };
  });
  const notary = rows.filter((r) => r.profile === 'notary').length;
  const summary: CeremonyMultiPlanView = {
    count: rows.length,
    notary,
    tuf: rows.length - notary,
    exceptions: rows.filter((r) => r.exceptions.length > 0).length,
    sharedKeys: plan.keys.map((k) => sharedKeyView(k, usedBy.get(k.id) ?? 0, plan.shamir)),
  };
  return { summary, rows };
}

/** Where a multi-repository ceremony's outputs went, as the completion summary says it. */
export function multiResultView(r: MultiCeremonyResult): CeremonyMultiResultView {
  return {
    repositories: r.repositories.length,
    doneBefore: r.repositoriesDoneBefore,
    tokenSignatures: r.tokenSignatures,
    metadataDir: join(r.outDir, METADATA_DIR),
    stateDir: join(r.outDir, STATE_DIR),
    inventory: join(r.outDir, r.inventory),
    transcript: join(r.outDir, r.transcript),
  };
}

/** What a new multi-repository ceremony must not find in its output folder (the machine checks again). */
export function multiOutputNames(): string[] {
  return [METADATA_DIR, STATE_DIR];
}
