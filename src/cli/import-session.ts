/**
 * `import`'s session transcript on the command line (src/trust-store/import-session.ts): written after
 * the outcome, into the site's sessions folder, and named in the output. A refusal keeps its own code and
 * message first and says where it was recorded; a transcript that cannot be written never hides the
 * import's own outcome (a refusal stays that refusal; an install is reported with a warning).
 */
import { dirname } from 'node:path';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { isDirectory } from '../io/files.js';
import { writeSessionTranscript } from '../io/session-files.js';
import { importSessionTranscript, siteSessionsDir, type ImportOutcome, type ImportSessionStart } from '../trust-store/import-session.js';
import type { TrustLayout } from '../trust-store/install.js';

export type ImportSessionRecord = { path: string } | { warning: string };

/** Write the transcript of `outcome`; what was written, or why not (never throws but for a bug). */
export async function recordImportSession(start: ImportSessionStart, layout: TrustLayout, outcome: ImportOutcome): Promise<ImportSessionRecord> {
  const dir = siteSessionsDir(start.trustDir, layout);
  try {
    // A trust directory that does not exist is not created by its sessions folder (a mistyped path).
    if (!(await isDirectory(dirname(dir)).catch(() => false))) return { warning: `no session transcript was written: ${dirname(dir)} is not an existing folder` };
    const started = (start.now ?? (() => new Date()))();
    const bytes = await importSessionTranscript({ ...start, now: () => started }, outcome);
    return { path: await writeSessionTranscript(dir, 'import', started, bytes) };
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    return { warning: `the session transcript could not be written in ${dir}: [${err.code}] ${err.message}` };
  }
}

/** A refusal, recorded: its code and message first, then where the record is (or why there is none). */
export function refusalRecorded(err: CeremonyError, record: ImportSessionRecord): CeremonyError {
  const where = 'path' in record ? `the refusal is recorded in ${record.path}` : record.warning;
  const suffix = err.path ? ` (at ${err.path})` : '';
  const message = suffix && err.message.endsWith(suffix) ? err.message.slice(0, err.message.length - suffix.length) : err.message;
  return new CeremonyError(err.code, `${message} (${where})`, { ...(err.path !== undefined ? { path: err.path } : {}), cause: err });
}

/** Refusals worth a transcript: a usage mistake checked nothing, so it records nothing. */
export function recordsRefusal(err: unknown): err is CeremonyError {
  return isCeremonyError(err) && err.code !== 'USAGE';
}
