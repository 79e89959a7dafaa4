/**
 * The TUF rehearsal's last stage: the repository after the rotation written as the hostable tree a static
 * host serves (src/repository-tree; `tuf-ceremony tree`), in DIR/repository/ — root versions from the
 * ceremony's v1, metadata at the top, target files under targets/ — read back and verified as a client
 * pinned at root v1 reads it.
 */
import { join } from 'node:path';
import { writeVerifiedTree } from '../cli/tree.js';
import type { RepositoryFiles } from '../tuf/repository.js';

export const REPOSITORY_DIR = 'repository';

export interface RehearsalTree {
  /** Relative to DIR. */
  dir: string;
  consistentSnapshot: boolean;
  rootVersions: number[];
  files: string[];
}

export async function writeRehearsalTree(input: { out: string; files: RepositoryFiles; pinnedRoot: Uint8Array; now: Date; say: (line: string) => void; targetFiles?: ReadonlyMap<string, Uint8Array> }): Promise<RehearsalTree> {
  const written = await writeVerifiedTree({ files: input.files, trustedRoot: input.pinnedRoot, out: join(input.out, REPOSITORY_DIR), now: input.now, ...(input.targetFiles ? { targetFiles: input.targetFiles } : {}) });
  input.say(`  repository: ${written.out} (a hostable tree: ${written.entries.map((e) => e.name).join(', ')}; read back and verified from root v1)`);
  return { dir: REPOSITORY_DIR, consistentSnapshot: written.consistentSnapshot, rootVersions: written.rootVersions, files: written.entries.map((e) => e.name) };
}
