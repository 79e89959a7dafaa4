/**
 * Setup file of every vitest project (vitest.config.ts): each test file runs with its own, fresh TMPDIR, and
 * fails if it leaves anything in it. Node's os.tmpdir() reads TMPDIR at every call and child processes
 * (notary-server, softhsm2-util, swtpm, chromium) inherit it, so whatever a test, the code under test or a
 * daemon it started writes "to a temp folder" lands here. The folder's name is short (/tmp/t-XXXXXX/f-XXXXXX):
 * UNIX socket paths made under it must stay within sun_path's 108 bytes.
 *
 * The check runs in this file's afterAll. Setup files' hooks are registered before the test file's, and
 * vitest runs after-hooks in reverse order (sequence.hooks defaults to 'stack'), so it runs after the
 * file's own afterAll hooks have removed what they made and stopped their daemons.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { removeCheckingEmpty } from './tmpdir-check.js';

const previous = process.env.TMPDIR;
// Inside the run's folder (test/support/tmpdir-run.ts): /tmp/t-XXXXXX/f-XXXXXX.
const dir = mkdtempSync(join(tmpdir(), 'f-'));
process.env.TMPDIR = dir;

afterAll(() => {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  removeCheckingEmpty(dir);
});
