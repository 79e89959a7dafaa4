/**
 * What an import installed, recorded in a key inventory (issue #17 point 5): shared by the CLI's `import`
 * (src/cli/import.ts, src/cli/import-set.ts) so a single import and a trust-bundle-set record the same thing.
 *
 * Called only after the install returned (the whole set is installed, or the one repository): each
 * repository's root as installed — its keys and roles, key IDs, Notary certificates' notAfter, and the
 * root's version and SHA-256 (install.ts metadataHashes: the bytes written) — and the expiry of the other
 * top-level roles from the files installed with it (src/ceremony/inventory-root.ts importedRepositoryRecord).
 * Pure: the caller reads and writes the inventory (src/io/inventory-file.ts).
 */
import { bundleRepositoryFiles } from '../bundle/format.js';
import type { DecodedRepositorySet } from '../bundle/set.js';
import { importedRepositoryRecord, recordImportedRepositories, recordImportedRepository } from '../ceremony/inventory-root.js';
import type { InventoryRepositoryRecord, KeyInventory } from '../ceremony/inventory.js';
import { sha256Hex } from '../crypto/digest.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import type { SetImportResult } from './install-set.js';

interface InstalledRepository {
  repository: string;
  profile: ProfileName;
  files: RepositoryFiles;
  rootSha256?: string | undefined;
}

/** One installed repository: `files` as installed, `rootSha256` the installed root.json's (else its bytes'). */
export function recordInstalledRepository(inv: KeyInventory, a: InstalledRepository & { now: Date }): void {
  recordImportedRepository(inv, installedRecord(a), a.now);
}

/** What one installed repository says of its keys (importedRepositoryRecord, from the files installed). */
function installedRecord(a: InstalledRepository): InventoryRepositoryRecord {
  const parse = <R extends 'root' | 'targets' | 'snapshot' | 'timestamp'>(role: R) => {
    const b = a.files[role];
    return b ? parseMetadata(b, role, { maxBytes: DEFAULT_CAPS[role], source: `${a.repository} ${role}.json`, profile: a.profile }).signed : undefined;
  };
  const expires: Partial<Record<'targets' | 'snapshot' | 'timestamp', Date>> = {};
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const md = parse(role);
    if (md) expires[role] = md.expires;
  }
  const sha = a.rootSha256 ?? sha256Hex(a.files.root!);
  return importedRepositoryRecord(a.repository, a.profile, parse('root') as Root, expires, sha);
}

/** Every repository a trust-bundle-set installed (importRepositorySet's result), in the set's order. */
export function recordInstalledSet(inv: KeyInventory, set: DecodedRepositorySet, result: SetImportResult, now: Date): void {
  const byName = new Map(set.repositories.map((b) => [b.repository, b] as const));
  const recs = result.entries.map((e) => installedRecord({ repository: e.repository, profile: result.profile, files: bundleRepositoryFiles(byName.get(e.repository)!, DEFAULT_CAPS), rootSha256: e.fileHashes['root.json'] }));
  // One pass over the inventory for the whole set (review 13a L1: one per repository was quadratic).
  recordImportedRepositories(inv, recs, now);
}
