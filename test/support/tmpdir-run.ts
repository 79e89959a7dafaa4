/**
 * globalSetup of every vitest project (vitest.config.ts): one short temp folder for the whole run
 * (/tmp/t-XXXXXX), made TMPDIR before the test workers start, so they inherit it; each test file's own
 * folder is made inside it by test/support/tmpdir-guard.ts. The run's folder is removed at the end with
 * anything left in it: the folders of files whose tests were all skipped (vitest runs no afterAll there,
 * so the guard neither checks nor removes theirs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  // Projects share one main process: the first makes the folder and removes it at the end.
  if (process.env.TUFC_TEST_RUN_TMPDIR) return () => undefined;
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 't-'));
  process.env.TUFC_TEST_RUN_TMPDIR = dir;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env.TUFC_TEST_RUN_TMPDIR;
    rmSync(dir, { recursive: true, force: true });
  };
}
