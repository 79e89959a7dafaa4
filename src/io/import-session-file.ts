/**
 * An import's session transcript on disk (src/trust-store/import-session.ts): written after the outcome as a
 * new file in the site's sessions folder, by the CLI (src/cli/import.ts) and the app's Import screen alike.
 * A transcript that cannot be written never hides the import's own outcome: the caller gets a warning.
 */
import { dirname } from 'node:path';
import { isCeremonyError } from '../errors.js';
import { importSessionTranscript, siteSessionsDir, type ImportOutcome, type ImportSessionStart } from '../trust-store/import-session.js';
import type { TrustLayout } from '../trust-store/install.js';
import { isDirectory } from './files.js';
import { writeFault } from './fs-faults.js';
import { writeSessionTranscript } from './session-files.js';
import { refuseLinksBelow, resolveTrustDir } from './trust-dir.js';

export type ImportSessionRecord = { path: string } | { warning: string };

/** Write the transcript of `outcome`; what was written, or why not (never throws but for a bug). */
export async function recordImportSession(start: ImportSessionStart, layout: TrustLayout, outcome: ImportOutcome): Promise<ImportSessionRecord> {
  let dir = siteSessionsDir(start.trustDir, layout);
  try {
    // A trust directory that does not exist is not created by its sessions folder (a mistyped path).
    if (!(await isDirectory(dirname(dir)).catch(() => false))) return { warning: `no session transcript was written: ${dirname(dir)} is not an existing folder` };
    // The trust directory as the import resolved it, and no link at the sessions folder (review-12 L1:
    // writeFileAtomic's mkdir -p and write follow one, out of the trust directory). The import refused such
    // a folder before anything else; this holds for a refusal's transcript too, and for a link planted since.
    dir = siteSessionsDir(await resolveTrustDir(start.trustDir).catch(() => start.trustDir), layout);
    await refuseLinksBelow(dirname(dir), dir).catch((err: unknown) => {
      throw writeFault(err, dir);
    });
    const started = (start.now ?? (() => new Date()))();
    const bytes = await importSessionTranscript({ ...start, now: () => started }, outcome);
    return { path: await writeSessionTranscript(dir, 'import', started, bytes) };
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    return { warning: `the session transcript could not be written in ${dir}: [${err.code}] ${err.message}` };
  }
}
