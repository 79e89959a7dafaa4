/**
 * Which folder of DIR holds the metadata to read (src/io/ceremony-output.ts explains the layouts): its own
 * module, importing only the layout names and the directory test, so that `verify` and `inspect` of a
 * metadata folder load none of the ceremony state, inventory and plan readers (issue #18).
 */
import { basename, join } from 'node:path';
import { METADATA_DIR, SECRET_DIR, STATE_DIR } from '../ceremony/layout.js';
import { isDirectory } from './files.js';

/**
 * The folder to read metadata from: DIR/metadata when DIR is a ceremony output folder (a metadata/ folder
 * beside state/ or secret/), else DIR itself. `source` names what is read, for messages ("DIR/metadata").
 */
export async function metadataDirOf(dir: string): Promise<{ dir: string; source: string; descended: boolean }> {
  const sub = async (name: string): Promise<boolean> => isDirectory(join(dir, name)).catch(() => false);
  if ((await sub(METADATA_DIR)) && ((await sub(STATE_DIR)) || (await sub(SECRET_DIR)))) {
    return { dir: join(dir, METADATA_DIR), source: `${basename(dir)}/${METADATA_DIR}`, descended: true };
  }
  return { dir, source: basename(dir), descended: false };
}
