/**
 * Which folder of DIR holds the metadata to read (src/io/ceremony-output.ts explains the layouts): its own
 * module, importing only the layout names and the directory test, so that `verify` and `inspect` of a
 * metadata folder load none of the ceremony state, inventory and plan readers (issue #18).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { METADATA_DIR, SECRET_DIR, STATE_DIR } from '../ceremony/layout.js';
import { CeremonyError } from '../errors.js';
import { isDirectory } from './files.js';

/**
 * The folder to read metadata from: DIR/metadata when DIR is a ceremony output folder (a metadata/ folder
 * beside state/ or secret/), else DIR itself. `source` names what is read, for messages ("DIR/metadata").
 */
export async function metadataDirOf(dir: string): Promise<{ dir: string; source: string; descended: boolean }> {
  const sub = async (name: string): Promise<boolean> => isDirectory(join(dir, name)).catch(() => false);
  if ((await sub(METADATA_DIR)) && ((await sub(STATE_DIR)) || (await sub(SECRET_DIR)))) {
    await refuseMultiRepositoryOutput(dir);
    return { dir: join(dir, METADATA_DIR), source: `${basename(dir)}/${METADATA_DIR}`, descended: true };
  }
  return { dir, source: basename(dir), descended: false };
}

/**
 * A multi-repository ceremony's output (issue #17) holds one folder per repository in metadata/ and no
 * root.json of its own: it is not one repository, and reading it as one would take each repository's
 * files for delegated roles. Refused, naming what to give instead.
 */
async function refuseMultiRepositoryOutput(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(join(dir, METADATA_DIR), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (entries.some((e) => e.name === 'root.json')) return;
  // Loaded only here (a metadata/ folder without root.json): verify and inspect of a repository load no
  // ceremony module (issue #18, test/unit/cli/lazy-modules.test.ts).
  const { repositoryOfSafeName } = await import('../ceremony/repository-names.js');
  const isSafeName = (name: string): boolean => {
    try {
      repositoryOfSafeName(name);
      return true;
    } catch {
      return false;
    }
  };
  const names = entries.filter((e) => !e.isFile() && e.name !== 'targets' && isSafeName(e.name)).map((e) => e.name).sort();
  const repository = names[0];
  if (repository === undefined) return;
  throw new CeremonyError(
    'UNEXPECTED_FILE',
    `${basename(dir)} is the output of a multi-repository ceremony, one folder per repository in ${METADATA_DIR}/: give one repository's folder (such as ${basename(dir)}/${METADATA_DIR}/${repository}), or bundle each and gather the bundles with \`bundle set\``,
    { path: join(dir, METADATA_DIR) },
  );
}
