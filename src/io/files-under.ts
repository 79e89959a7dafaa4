/**
 * A new folder of files written as a whole (a batch merge's per-repository results): it must not exist
 * (OUTPUT_EXISTS); the files are written into a sibling staging folder with a random name — each
 * atomically, read back and compared (writeFileVerified) — then the staging folder is renamed into place,
 * so the folder appears complete or not at all. A failure removes the staging folder (ours: created here
 * with a fresh random name) and leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { assertAbsent, writeFileVerified } from './files.js';

export async function writeNewFolder(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  await assertAbsent([dir], ' (a merged batch is never written over an existing folder: choose another --out)');
  const staging = join(dirname(dir), `.${basename(dir)}.staging-${randomBytes(8).toString('hex')}`);
  await mkdir(staging);
  try {
    for (const [name, bytes] of files) {
      const full = join(staging, ...name.split('/'));
      await mkdir(dirname(full), { recursive: true });
      await writeFileVerified(full, bytes);
    }
    await assertAbsent([dir], ' (it appeared while the batch was written)');
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}
