/**
 * The `note:` lines for lock leftovers a command removed (src/trust-store/lock.ts sweepAsideLeftovers: a
 * `<lock>.stale-…` file or a `<lock>.removing` guard of a command that was killed, removed once its process
 * is provably gone). Files beside the operator's trust directory or inventory went: said, never silent.
 * One line each on stderr as it happens (so a refusal that follows does not hide it), and kept for a
 * `--json` document's `removedLockLeftovers`. The sentences name the file, the lock, and the dead owner's
 * pid, host and time, never its token.
 */
import type { Io } from './output.js';

export interface LockNotes {
  /** Print `note: <line>` to stderr and keep it. */
  note(line: string): void;
  /** Every line noted so far, in order. */
  readonly lines: readonly string[];
}

export function lockNotes(io: Io): LockNotes {
  const lines: string[] = [];
  return {
    note(line: string) {
      lines.push(line);
      io.err(`note: ${line}`);
    },
    lines,
  };
}
