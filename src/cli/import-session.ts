/**
 * `import`'s session transcript on the command line (src/trust-store/import-session.ts): written after
 * the outcome, into the site's sessions folder, and named in the output. A refusal keeps its own code and
 * message first and says where it was recorded; a transcript that cannot be written never hides the
 * import's own outcome (a refusal stays that refusal; an install is reported with a warning).
 */
import { CeremonyError, exitCodeFor, isCeremonyError, messageWithoutPath, toErrorShape, type ErrorShape } from '../errors.js';
import type { Io } from './output.js';
import type { ImportSessionRecord } from '../io/import-session-file.js';

export { recordImportSession, type ImportSessionRecord } from '../io/import-session-file.js';

/** A refusal, recorded: its code and message first, then where the record is (or why there is none). */
export function refusalRecorded(err: CeremonyError, record: ImportSessionRecord): CeremonyError {
  const where = 'path' in record ? `the refusal is recorded in ${record.path}` : record.warning;
  return new CeremonyError(err.code, `${messageWithoutPath(err)} (${where})`, { ...(err.path !== undefined ? { path: err.path } : {}), cause: err });
}

/**
 * IMPORT_INSTALLED_CLEANUP_FAILED (src/trust-store/installed-cleanup.ts): the new tree IS installed, and its
 * install was recorded as one. Its code and the swap's words first (installed, what failed, what is left
 * where), then where the install is recorded — never "the refusal is recorded".
 */
export function cleanupFailedRecorded(err: CeremonyError, record: ImportSessionRecord): CeremonyError {
  const where = 'path' in record ? `the install is recorded in the session transcript ${record.path}` : record.warning;
  return new CeremonyError(err.code, `${messageWithoutPath(err)} (${where})`, { ...(err.path !== undefined ? { path: err.path } : {}), cause: err });
}

/**
 * `--json`'s error fields after an install: the first failure as `error` (the swap's clean-up, else the key
 * inventory's), and the inventory's as `inventoryError` when both failed.
 */
export function afterInstallErrors(cleanup: CeremonyError | undefined, inventory: CeremonyError | undefined): { error?: ErrorShape; inventoryError?: ErrorShape } {
  const first = cleanup ?? inventory;
  return { ...(first ? { error: toErrorShape(first) } : {}), ...(cleanup && inventory ? { inventoryError: toErrorShape(inventory) } : {}) };
}

/** Refusals worth a transcript: a usage mistake checked nothing, so it records nothing. */
export function recordsRefusal(err: unknown): err is CeremonyError {
  return isCeremonyError(err) && err.code !== 'USAGE';
}

/**
 * The key inventory update after an install that happened failed (review B2 M1): its code first, then a
 * message saying the trust folder WAS updated and where the install is recorded, so exit 1 never reads as
 * "nothing was installed". The install's transcript is written before this is called.
 */
export function inventoryNotUpdated(err: unknown, installed: string, record: ImportSessionRecord): CeremonyError {
  const where = 'path' in record ? `recorded in the session transcript ${record.path}` : record.warning;
  const code = isCeremonyError(err) ? err.code : 'INTERNAL';
  const why = isCeremonyError(err) ? err.message : 'unexpected internal error';
  return new CeremonyError(code, `installed: ${installed} (${where}); the key inventory was not updated: ${why}`, {
    ...(isCeremonyError(err) && err.path !== undefined ? { path: err.path } : {}),
    cause: err,
  });
}

/**
 * A failure after an install (the inventory update's, inventoryNotUpdated; the swap's clean-up,
 * cleanupFailedRecorded) as a line of stderr, `error[CODE]: …`, returning its exit status (1). Printed, not
 * thrown, so the install summary still follows on stdout and `--json` stays one document there.
 */
export function reportAfterInstall(failure: CeremonyError, io: Io): number {
  io.err(`error[${failure.code}]: ${toErrorShape(failure).message}`);
  return exitCodeFor(failure);
}
