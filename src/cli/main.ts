import { guardedStderr, guardedStdout, processIo } from './output.js';
import { runCli } from './program.js';

// Entry point of the `tuf-ceremony` bin (via bin/tuf-ceremony.js).
// Before anything can write: a closed pipe (`… | head`) must not crash the command (output.ts guardStream).
guardedStdout();
guardedStderr();
/** Commands that only read and print: nothing of theirs can still be pending once they are done. */
const READ_ONLY = new Set(['verify', 'inspect']);

const argv = process.argv.slice(2);
runCli(argv, processIo).then(
  (status) => {
    process.exitCode = status;
    if (READ_ONLY.has(argv[0] ?? '')) exitOnceWritten(status);
  },
  () => {
    guardedStderr().write('error[INTERNAL]: unexpected internal error\n');
    process.exitCode = 1;
  },
);

/**
 * The command is done: exit now, rather than after Node's teardown of the heap, which frees object by
 * object what the operating system takes back at once (a verification of a large repository leaves
 * ≈ 150 MB: ≈ 35 ms of CPU, issue #18). Only when nothing is queued on stdout or stderr — writes to files,
 * terminals and (on Linux) pipes are synchronous, so this is the usual case; an asynchronous pipe with
 * output still queued lets the process end on its own, as before, so no output is ever cut short.
 */
function exitOnceWritten(status: number): void {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(status);
}
