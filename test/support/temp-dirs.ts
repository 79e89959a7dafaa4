/**
 * Temporary folders a test file makes and removes. `const tmp = tempDirs();` at the top of the file (or of a
 * describe), then `tmp('tufc-x-')` wherever a test needs a folder: every folder made through it is removed
 * after the file's (or the describe's) tests, also when a test failed half-way. A support module may call
 * it at its own top level: it runs while the test file that imports it is collected, so the folders go
 * after that file's tests. test/support/tmpdir-guard.ts fails a file that leaves anything behind in its TMPDIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  const removeAll = (): void => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  };
  try {
    afterAll(removeAll);
  } catch {
    // Not inside a vitest run: the benchmark (npm run bench) imports test/support's harnesses (swtpm.ts →
    // notary.ts, which calls this at its top level). Its folders go when the process exits.
    process.once('exit', removeAll);
  }
  return (prefix) => {
    // tmpdir() is read at each call: the guard's per-file TMPDIR is set before the file is imported.
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
