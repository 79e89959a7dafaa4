import { defineConfig } from 'vitest/config';

// Every test file runs in a fresh TMPDIR and fails if it leaves anything there (the files say how).
const TMPDIR_RUN = 'test/support/tmpdir-run.ts';
const TMPDIR_GUARD = 'test/support/tmpdir-guard.ts';
// The guard's afterAll must run after the file's own (which remove what they made): 'stack' runs after-hooks
// in reverse order of registration, and the setup file registers first. Vitest's default, said here.
const GUARD_ORDER = { hooks: 'stack' } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/vectors/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          environment: 'node',
          globalSetup: [TMPDIR_RUN],
          setupFiles: [TMPDIR_GUARD],
          sequence: GUARD_ORDER,
          // The CLI loads a command's modules when the command runs (issue #18): a test's first runCli call
          // pays that import inside the test, seconds on a loaded 2-core machine.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: [TMPDIR_RUN],
          setupFiles: [TMPDIR_GUARD],
          sequence: GUARD_ORDER,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: [TMPDIR_RUN],
          setupFiles: [TMPDIR_GUARD],
          sequence: GUARD_ORDER,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
