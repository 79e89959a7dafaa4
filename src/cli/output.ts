/** How the CLI reports (PRODUCT.md §3): `error[CODE]: message` first on stderr, exit 1/2/3. */
import { CeremonyError, exitCodeFor, toErrorShape } from '../errors.js';
import { terminalSafe } from '../json/fields.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/**
 * A reader that goes away (`tuf-ceremony … | head`) closes the pipe: the next write fails with EPIPE,
 * which Node reports as an `'error'` event on the stream — unhandled, a crash with a stack trace in the
 * middle of the command (`sign` died before writing its response). The CLI's output is a report of work
 * whose results are files: the work goes on, output to a closed stream is dropped, and the exit status is
 * the command's own. Any write error on stdout or stderr closes that stream for the rest of the run (a
 * terminal that vanished is no different).
 */
export interface GuardedStream {
  write(text: string): void;
  /** True once a write failed: everything after is dropped. */
  readonly closed: boolean;
}

export function guardStream(stream: NodeJS.WritableStream): GuardedStream {
  let closed = false;
  // The 'error' event comes after write() returned (asynchronously, even for a synchronous pipe).
  stream.on('error', () => {
    closed = true;
  });
  return {
    write(text) {
      if (closed) return;
      try {
        stream.write(text);
      } catch {
        // A destroyed stream may also throw: the same closed reader.
        closed = true;
      }
    },
    get closed() {
      return closed;
    },
  };
}

let stdout: GuardedStream | undefined;
let stderr: GuardedStream | undefined;

/** process.stdout / process.stderr behind guardStream, installed once, at the first write. */
export function guardedStdout(): GuardedStream {
  return (stdout ??= guardStream(process.stdout));
}
export function guardedStderr(): GuardedStream {
  return (stderr ??= guardStream(process.stderr));
}

/**
 * Everything the CLI prints goes through terminalSafe: names and messages come from files an attacker may
 * have written, and commands escape what they show already — this is the net under all of them. And
 * through the guards above: a closed pipe never stops a command.
 */
export const processIo: Io = {
  out: (text) => guardedStdout().write(terminalSafe(text.endsWith('\n') ? text : `${text}\n`)),
  err: (text) => guardedStderr().write(terminalSafe(text.endsWith('\n') ? text : `${text}\n`)),
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
