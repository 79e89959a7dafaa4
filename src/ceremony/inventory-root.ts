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
import { recordRepository, type InventoryRepositoryRecord, type KeyInventory } from './inventory.js';

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
  const kept = new Map<string, string>();
  for (const k of inv.keys) {
    for (const x of k.roles) if (x.repository === rec.name && x.role !== 'root' && x.expires) kept.set(`${x.role}:${k.fingerprint}`, x.expires);
  }
  recordRepository(inv, { ...rec, expires: { root: rec.expires.root! } }, now);
  for (const k of inv.keys) {
    for (const x of k.roles) {
      if (x.repository !== rec.name || x.role === 'root') continue;
      const e = kept.get(`${x.role}:${k.fingerprint}`);
      if (e) x.expires = e;
    }
    if (!k.custodian && names) {
      const held = k.roles.find((x) => x.repository === rec.name && names.has(x.keyId));
      if (held) k.custodian = names.get(held.keyId)!;
    }
  }
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
  recordRepository(inv, rec, now);
  inv.updated = isoSeconds(now);
}
