/**
 * Make sure dist/renderer is a build of the current renderer sources: `npm test` builds first, but a
 * lone `vitest run --project e2e` after editing a screen must not test yesterday's bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** Build the renderer with vite unless dist/renderer is newer than every input. */
export function ensureRendererBuilt(): void {
  if (rendererIsFresh()) return;
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    // vitest sets NODE_ENV=test, which vite would inherit and build React's development bundle.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
