/**
 * Is the key inventory (inventory.ts) still about the root a command is looking at? (issue #17 point 5)
 *
 * Every writer records, per repository, the root.json its roles were read from (version and SHA-256 of the
 * bytes). A ceremony, merge or import writes its root first and the inventory after it, so a crash between
 * the two leaves an inventory that describes the previous root; a root rotated without `--inventory` does
 * the same. `keys` and `status` compare the record with the root they are given and say so
 * ("inventory is stale for REPO (records root v1 sha256 3f2a…, found v2 9c1d…)") instead of showing the
 * older root's roles as if they were current.
 */
import type { InventoryRoot, KeyInventory } from './inventory.js';

export type InventoryFreshnessState =
  /** The inventory was written from this very root. */
  | 'current'
  /** The inventory records another root for this repository: its roles may be wrong. */
  | 'stale'
  /** The repository has roles in the inventory but no recorded root (an older inventory): cannot tell. */
  | 'unrecorded'
  /** The inventory says nothing of this repository. */
  | 'absent';

export interface InventoryFreshness {
  repository: string;
  state: InventoryFreshnessState;
  recorded: InventoryRoot | null;
  found: InventoryRoot;
  /** For people; null when current. */
  message: string | null;
}

const short = (sha: string): string => `${sha.slice(0, 16)}…`;

/** Compare the inventory's record of `repository` with the root found (given, or installed). */
export function inventoryFreshness(inv: KeyInventory, repository: string, found: InventoryRoot): InventoryFreshness {
  const rec = inv.repositories.find((x) => x.repository === repository);
  const base = { repository, found: { version: found.version, sha256: found.sha256 } };
  if (rec) {
    if (rec.root.sha256 === found.sha256) return { ...base, state: 'current', recorded: rec.root, message: null };
    return { ...base, state: 'stale', recorded: rec.root, message: `inventory is stale for ${repository} (records root v${rec.root.version} sha256 ${short(rec.root.sha256)}, found v${found.version} ${short(found.sha256)}): its roles for this repository are not shown; update it (merge or import with --inventory)` };
  }
  const hasRoles = inv.keys.some((k) => k.roles.some((x) => x.repository === repository));
  if (hasRoles) return { ...base, state: 'unrecorded', recorded: null, message: `the inventory records no root for ${repository} (written before roots were recorded): whether its roles follow root v${found.version} ${short(found.sha256)} cannot be told` };
  return { ...base, state: 'absent', recorded: null, message: `the inventory says nothing of ${repository}` };
}

/** The roles a reader may show: those of stale repositories left out (their roles may be an older root's). */
export function withoutStale<T extends { repository: string }>(roles: readonly T[], stale: ReadonlySet<string>): T[] {
  return roles.filter((x) => !stale.has(x.repository));
}

/**
 * Which repository of the inventory a root stands for, then its freshness. The name asked for comes first:
 * the first of `names` (the command's --gun, the Notary certificates' CN, the folder's repository name) the
 * inventory knows — its record says current or stale. The root's bytes cannot choose over a name: in a TUF
 * multi-repository ceremony whose keys are all shared, every repository's root.json is byte-identical, so
 * the bytes would pick whichever repository is listed first, and could hide the named repository's stale
 * record behind another's current one. Only when no name is given are the bytes used: the one repository
 * whose recorded root has these very bytes (several: which one cannot be told); else, for an inventory of
 * exactly one repository of the root's profile (a single ceremony's), that one. Undefined: the inventory
 * says nothing of the repository asked about, or cannot tell which it is.
 */
export function rootFreshness(inv: KeyInventory, found: InventoryRoot, names: readonly (string | undefined)[], profile?: string): InventoryFreshness | undefined {
  const given = names.filter((n): n is string => !!n);
  for (const name of given) {
    const f = inventoryFreshness(inv, name, found);
    if (f.state !== 'absent') return f;
  }
  if (given.length) return undefined;
  const same = inv.repositories.filter((x) => x.root.sha256 === found.sha256);
  if (same.length === 1) return inventoryFreshness(inv, same[0]!.repository, found);
  if (same.length > 1) return undefined;
  const only = inv.repositories.filter((x) => profile === undefined || x.profile === profile);
  if (only.length === 1 && inv.repositories.length === 1) return inventoryFreshness(inv, only[0]!.repository, found);
  return undefined;
}
