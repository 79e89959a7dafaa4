/**
 * File-system faults that are the machine's state, not a bug (issue #12 point 10): a full disk, a
 * read-only file system, a folder this user may not write. They get codes that name the folder and the
 * cause, instead of error[INTERNAL].
 */
import { dirname } from 'node:path';
import { CeremonyError, type ErrorCode } from '../errors.js';

const FAULTS: Record<string, { code: ErrorCode; cause: string }> = {
  ENOSPC: { code: 'DISK_FULL', cause: 'the disk is full' },
  EDQUOT: { code: 'DISK_FULL', cause: 'the disk quota is used up' },
  EROFS: { code: 'READ_ONLY', cause: 'the file system is read-only' },
  EACCES: { code: 'PERMISSION_DENIED', cause: 'permission denied' },
  EPERM: { code: 'PERMISSION_DENIED', cause: 'the operation is not permitted (an immutable file or folder?)' },
};

/** The errno code of a node file-system error (or of the cause a CeremonyError carries), if any. */
function errnoOf(err: unknown): { code: string; path?: string } | undefined {
  if (err instanceof CeremonyError) return undefined;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string') return { code: e.code, ...(typeof e.path === 'string' ? { path: e.path } : {}) };
  return undefined;
}

/** Whether `err` is one of the machine's faults fsFault and writeFault name (a full disk, read-only, no permission). */
export function isFsFault(err: unknown): boolean {
  const e = errnoOf(err);
  return e !== undefined && FAULTS[e.code] !== undefined;
}

/**
 * `err` as DISK_FULL / READ_ONLY / PERMISSION_DENIED when it is one of those faults, naming `folder` (what
 * the operator chose) and the file the failed call was about; any other error is returned unchanged.
 * `doing` says what was being done ("importing into the trust directory"), `outcome` what state it left.
 */
export function fsFault(err: unknown, folder: string, doing: string, outcome = ''): unknown {
  const e = errnoOf(err);
  const fault = e ? FAULTS[e.code] : undefined;
  if (!e || !fault) return err;
  // The file the failed call was about is the error's path (CeremonyError appends " (at …)").
  return new CeremonyError(fault.code, `${doing} ${folder} failed: ${fault.cause} (${e.code})${outcome ? `. ${outcome}` : ''}`, { path: e.path ?? folder, cause: err });
}

/** Same mapping for a plain write (an output file): names the file, its folder and the cause. */
export function writeFault(err: unknown, path: string): unknown {
  const e = errnoOf(err);
  const fault = e ? FAULTS[e.code] : undefined;
  if (!e || !fault) return err;
  return new CeremonyError(fault.code, `cannot write ${path}: ${fault.cause} (${e.code}) in ${dirname(e.path ?? path)}`, { path: e.path ?? path, cause: err });
}
