/**
 * The file-system side of rehearsal tokens and module presets (STYLE.md: only src/io touches node:fs):
 * whether a PKCS#11 module file exists, and a private SoftHSM2 configuration + token directory for a
 * rehearsal, so rehearsal tokens never mix with anyone's real SoftHSM2 tokens.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

/** True when `path` is a readable regular file (a module preset candidate). */
export function moduleFileExists(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface SoftHsmDir {
  /** What SOFTHSM2_CONF must name before the module is initialised. */
  confPath: string;
  tokenDir: string;
}

/**
 * Create `<dir>/tokens` (mode 0700) and `<dir>/softhsm2.conf` pointing at it (file object store, errors
 * only in the log). Refuses to overwrite an existing configuration (OUTPUT_EXISTS).
 */
export async function prepareSoftHsmDir(dir: string): Promise<SoftHsmDir> {
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir, { recursive: true, mode: 0o700 });
  const confPath = join(dir, 'softhsm2.conf');
  const conf = `# tuf-ceremony rehearsal tokens (not hardware)\ndirectories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`;
  await writeFileAtomic(confPath, new TextEncoder().encode(conf), { mode: 0o600 });
  return { confPath, tokenDir };
}

export interface TempSoftHsmDir extends SoftHsmDir {
  /** The private folder (under the system temp folder) holding the configuration and the tokens. */
  dir: string;
  /** Delete the folder and every token in it. */
  remove(): Promise<void>;
}

/**
 * A fresh private SoftHSM2 folder for one rehearsal: `<tmp>/tuf-ceremony-rehearsal-XXXXXX` with
 * `prepareSoftHsmDir`'s configuration and token directory. The caller removes it when the rehearsal ends.
 */
export async function makeTempSoftHsmDir(prefix = 'tuf-ceremony-rehearsal-'): Promise<TempSoftHsmDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    return { dir, ...(await prepareSoftHsmDir(dir)), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
