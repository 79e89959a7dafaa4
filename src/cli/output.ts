/** How the CLI reports (PRODUCT.md §3): `error[CODE]: message` first on stderr, exit 1/2/3. */
import { CeremonyError, exitCodeFor, toErrorShape } from '../errors.js';
import { terminalSafe } from '../json/fields.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Everything the CLI prints goes through terminalSafe: names and messages come from files an attacker may
 * have written, and commands escape what they show already — this is the net under all of them.
 */
export const processIo: Io = {
  out: (text) => process.stdout.write(terminalSafe(text.endsWith('\n') ? text : `${text}\n`)),
  err: (text) => process.stderr.write(terminalSafe(text.endsWith('\n') ? text : `${text}\n`)),
};

/** Print a failure and return the exit status. With --json the error object also goes to stdout. */
export function reportError(io: Io, err: unknown, json: boolean): number {
  const shape = toErrorShape(err);
  io.err(`error[${shape.code}]: ${shape.message}`);
  if (json) io.out(JSON.stringify({ ok: false, error: shape }, null, 2));
  if (!(err instanceof CeremonyError) && process.env.TUF_CEREMONY_DEBUG === '1') {
    // Opt-in only: native errors are not vetted for secrets (DEVELOPERS.md, non-negotiables).
    io.err(String((err as Error)?.stack ?? err));
  }
  return exitCodeFor(err);
}
