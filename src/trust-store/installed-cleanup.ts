/**
 * IMPORT_INSTALLED_CLEANUP_FAILED (src/io/trust-dir.ts failedSwap) as an import throws it: the new tree IS
 * installed — renamed into place; only a step after the rename failed (the parent's fsync, removing the
 * folder it replaced) — so the error carries what was installed, the result the import would have
 * returned. A caller records and reports it as the install it is (session transcript, summary, key
 * inventory) with this failure beside it, never as a refusal ("nothing was installed" would be false).
 */
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { SwapCleanupFailed } from '../io/trust-dir.js';
import type { ImportResult } from './install.js';
import type { SetImportResult } from './install-set.js';

export type InstalledOutcome = { single: ImportResult } | { set: SetImportResult };

export class InstalledCleanupFailed extends CeremonyError {
  readonly installed: InstalledOutcome;
  /** What the swap left beside the trust folder (src/io/trust-dir.ts SwapCleanupFailed): the names the operator deals with. */
  readonly leftBeside: readonly string[];
  constructor(err: CeremonyError, installed: InstalledOutcome) {
    // The message as the swap wrote it (CeremonyError appends " (at PATH)" again).
    const message = messageWithoutPath(err);
    super('IMPORT_INSTALLED_CLEANUP_FAILED', message, { ...(err.path !== undefined ? { path: err.path } : {}), cause: err.cause ?? err });
    this.installed = installed;
    this.leftBeside = err instanceof SwapCleanupFailed ? err.leftBeside : [];
  }
}

/** Run the swap `install`; its IMPORT_INSTALLED_CLEANUP_FAILED becomes InstalledCleanupFailed carrying `installed()`. */
export async function installing(install: () => Promise<void>, installed: () => InstalledOutcome): Promise<void> {
  try {
    await install();
  } catch (err) {
    if (isCeremonyError(err, 'IMPORT_INSTALLED_CLEANUP_FAILED') && !(err instanceof InstalledCleanupFailed)) throw new InstalledCleanupFailed(err, installed());
    throw err;
  }
}
