import { processIo } from './output.js';
import { runCli } from './program.js';

// Entry point of the `tuf-ceremony` bin (via bin/tuf-ceremony.js).
runCli(process.argv.slice(2), processIo).then(
  (status) => {
    process.exitCode = status;
  },
  () => {
    process.stderr.write('error[INTERNAL]: unexpected internal error\n');
    process.exitCode = 1;
  },
);
