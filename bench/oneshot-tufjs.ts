/**
 * `node dist/bench/oneshot-tufjs.js DIR ROOT_VERSIONS`: the @tufjs/models verification of the benchmark
 * repository (full scenario) as a one-shot script — read the files, verify, print the summary, exit —
 * the peer of `tuf-ceremony verify DIR --root DIR/1.root.json` as a CLI process (bench/run.ts). It loads
 * only @tufjs/models and the bench's file reader, and works on the Buffers readFileSync returns (no copies
 * a script of its own would not make).
 */
import { loadFiles } from './files.js';
import { verifyTufjs } from './side-tufjs.js';

const [dir, versions] = process.argv.slice(2);
process.stdout.write(`${verifyTufjs(loadFiles(dir!, Number(versions), { copy: false }), 'full', new Date())}\n`);
