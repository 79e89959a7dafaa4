import { guardedStderr, guardedStdout, processIo } from './output.js';
import { runCli } from './program.js';

// Entry point of the `tuf-ceremony` bin (via bin/tuf-ceremony.js).
// Before anything can write: a closed pipe (`… | head`) must not crash the command (output.ts guardStream).
guardedStdout();
guardedStderr();
runCli(process.argv.slice(2), processIo).then(
  (status) => {
    process.exitCode = status;
  },
  () => {
    guardedStderr().write('error[INTERNAL]: unexpected internal error\n');
    process.exitCode = 1;
  },
);
