/**
 * Keeping a key inventory (inventory.ts, issue #17 point 5) up to date after a rotation: the roles root
 * N+1 gives its keys replace what the inventory said of that repository (TUF 4.3: root.json lists the
 * keys of all four top-level roles), so a key the new root adds is recorded with its roles, a key it
 * removes loses them, and Notary root certificates' notAfter is read from the new root's certificates.
 *
 * Pure: the caller (src/cli/merge.ts) reads the inventory before anything is merged (a refused inventory
 * refuses the merge, nothing written) and writes the result atomically after the merged root.
 */
import type { ProfileName } from '../profiles/profile.js';
import { TOP_LEVEL_ROLES, type Root } from '../tuf/root.js';
import { recordRepositories, type InventoryRepositoryRecord, type KeyInventory, type PreviousRole } from './inventory.js';

/** An inventory date: whole seconds, as the ceremonies write them. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What root N+1 says of one repository's keys: each role's keys, root's expiry, certificates' notAfter. */
export function rootInventoryRecord(repository: string, profile: ProfileName, root: Root, dir = '', rootSha256?: string): InventoryRepositoryRecord {
  const keys: InventoryRepositoryRecord['keys'] = [];
  for (const role of TOP_LEVEL_ROLES) {
    for (const keyId of root.roles.get(role)!.keyids) {
      const listed = root.keys.get(keyId)!;
      const cert = listed.key.certificate;
      // Origin is not in root.json: a key the inventory does not know yet is taken as on a token for the
      // offline roles and as held by the server for snapshot/timestamp (recordRepository keeps a known key's).
      const origin = role === 'root' || role === 'targets' ? 'token' : 'server';
      keys.push({ role, keyId, fingerprint: listed.key.fingerprint, algorithm: listed.key.algorithm, origin, ...(cert ? { certificateExpires: isoSeconds(cert.notAfter) } : {}) });
    }
  }
  // The root's own bytes, when the caller has them: what keys / status compare to call the inventory stale.
  return { name: repository, profile, dir, keys, expires: { root: isoSeconds(root.expires) }, ...(rootSha256 ? { root: { version: root.version, sha256: rootSha256 } } : {}) };
}

/**
 * Apply root N+1 to `inv`. The other roles' metadata expiries are not in root.json: a role whose key
 * stays keeps the expiry the inventory had for it. `names` (key ID → the name the signing request gives
 * the key) become the custodian of a key the inventory had no custodian for.
 */
export function recordRotatedRoot(inv: KeyInventory, rec: InventoryRepositoryRecord, now: Date, names?: ReadonlyMap<string, string>): void {
  recordRotatedRoots(inv, [{ rec, ...(names ? { names } : {}) }], now);
}

/** One root N+1 for recordRotatedRoots: its record, and the names its signing request gives its keys. */
export interface RotatedRoot {
  rec: InventoryRepositoryRecord;
  names?: ReadonlyMap<string, string>;
}

/**
 * recordRotatedRoot for each root in turn (a batch merge), in one pass over the inventory
 * (recordRepositories), with the same result byte for byte (review 13a L1: a pass per repository made a
 * 4,000-repository batch take 12 s).
 */
export function recordRotatedRoots(inv: KeyInventory, roots: readonly RotatedRoot[], now: Date): void {
  if (roots.length === 0) return;
  // Per root, the expiries its repository's kept roles had (`role:fingerprint`), read from what the
  // inventory held for that repository just before this root replaced it.
  const kept = new Map<number, Map<string, string>>();
  const keptOf = (i: number, previous: readonly PreviousRole[]): Map<string, string> => {
    let m = kept.get(i);
    if (!m) {
      m = new Map();
      for (const p of previous) if (p.role.role !== 'root' && p.role.expires) m.set(`${p.role.role}:${p.fingerprint}`, p.role.expires);
      kept.set(i, m);
    }
    return m;
  };
  const recs = roots.map((x) => ({ ...x.rec, expires: { root: x.rec.expires.root! } }));
  recordRepositories(inv, recs, now, (key, role, i, previous) => {
    if (role.role !== 'root') {
      const e = keptOf(i, previous).get(`${role.role}:${key.fingerprint}`);
      if (e) role.expires = e;
    }
    // The first of the key's roles here whose key ID the request names (the order it was recorded in).
    const names = roots[i]!.names;
    if (!key.custodian && names?.has(role.keyId)) key.custodian = names.get(role.keyId)!;
  });
  inv.updated = isoSeconds(now);
}

/**
 * What an import installed (issue #17 point 5): root's keys and roles as rootInventoryRecord reads them, and
 * every top-level role's expiry from the files installed with it (an import has all four).
 */
export function importedRepositoryRecord(repository: string, profile: ProfileName, root: Root, expires: Partial<Record<'targets' | 'snapshot' | 'timestamp', Date>>, rootSha256?: string): InventoryRepositoryRecord {
  const rec = rootInventoryRecord(repository, profile, root, '', rootSha256);
  for (const [role, d] of Object.entries(expires)) if (d) rec.expires[role] = isoSeconds(d);
  return rec;
}

/** Apply an installed repository to `inv`: its roles replace what the inventory said of it. */
export function recordImportedRepository(inv: KeyInventory, rec: InventoryRepositoryRecord, now: Date): void {
  recordImportedRepositories(inv, [rec], now);
}

/** recordImportedRepository for each of a set's repositories, in one pass over the inventory (review 13a L1). */
export function recordImportedRepositories(inv: KeyInventory, recs: readonly InventoryRepositoryRecord[], now: Date): void {
  if (recs.length === 0) return;
  recordRepositories(inv, recs, now);
  inv.updated = isoSeconds(now);
}
