/**
 * Make sure dist/renderer is a build of the current renderer sources: `npm test` builds first, but a
 * lone `vitest run --project e2e` after editing a screen must not test yesterday's bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const RENDERER_DIST = join(REPO_ROOT, 'dist', 'renderer');

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Inputs of the renderer bundle: its sources, the types it imports, and the build configuration. */
function sourcesMtime(): number {
  const inputs = ['renderer', 'electron/shared', 'src/inspect/types.ts', 'src/errors.ts', 'vite.config.ts', 'package.json'];
  return Math.max(...inputs.map((p) => join(REPO_ROOT, p)).filter((p) => existsSync(p)).map(newestMtime));
}

export function rendererIsFresh(): boolean {
  const index = join(RENDERER_DIST, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= sourcesMtime();
}

const LOCK = join(REPO_ROOT, 'dist', '.renderer-build.lock');
const STALE_LOCK_MS = 5 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** mkdir is atomic: whoever creates the lock folder builds; the others wait (a lock older than 5 minutes is a dead builder's). */
function withBuildLock(run: () => void): void {
  mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile: try again
      }
      sleepSync(200);
    }
  }
  try {
    run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Build the renderer with vite unless dist/renderer is newer than every input. Several test processes may
 * ask at once (parallel vitest projects, several people's runs): one builds, under a lock, into a fresh
 * folder that then replaces dist/renderer with two renames, so a server never serves a half-emptied folder.
 */
export function ensureRendererBuilt(): void {
  if (rendererIsFresh()) return;
  withBuildLock(() => {
    if (rendererIsFresh()) return;
    const next = `${RENDERER_DIST}.next-${process.pid}`;
    const old = `${RENDERER_DIST}.old-${process.pid}`;
    rmSync(next, { recursive: true, force: true });
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'vite.config.ts', '--logLevel', 'warn', '--outDir', next, '--emptyOutDir'],
      {
        cwd: REPO_ROOT,
        stdio: 'inherit',
        // vitest sets NODE_ENV=test, which vite would inherit and build React's development bundle.
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    if (existsSync(RENDERER_DIST)) renameSync(RENDERER_DIST, old);
    renameSync(next, RENDERER_DIST);
    rmSync(old, { recursive: true, force: true });
  });
}
