/**
 * The CLI as users run it: compiled JavaScript, not the TypeScript sources vitest transforms. `dist/` via
 * `bin/tuf-ceremony.js` (the bundle in dist/cli) when dist/ is a build of the current sources (newer than
 * every file in src/), else a private `tsc -p tsconfig.build.json` build in a temporary folder (unbundled) — so a test never rewrites the
 * shared dist/ — whose bare imports resolve from a symlink to the project's node_modules (as dist/ finds
 * them in a clone). Type errors elsewhere in the tree still emit JavaScript: type checking is `npm run
 * typecheck`'s job.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

function newestSource(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((e) => newestSource(join(path, e))));
}

export interface BuiltCli {
  /** `node` arguments that start the CLI (append the command's own arguments). */
  args: string[];
  /** The compiled `src/` folder (for a test that drives a module of the CLI itself, with its own deps). */
  srcDir: string;
  /** 'dist' or 'private build'. */
  kind: 'dist' | 'private build';
  /** Delete the private build, if one was made. */
  cleanup(): void;
}

export function builtCli(): BuiltCli {
  // bin/tuf-ceremony.js starts the bundle (dist/cli, vite.cli.config.ts), made from dist/src: both must be
  // a build of the current sources.
  const fresh = (path: string, newest: number) => existsSync(path) && statSync(path).mtimeMs >= newest;
  const newest = newestSource(join(REPO, 'src'));
  if (fresh(join(REPO, 'dist', 'src', 'cli', 'main.js'), newest) && fresh(join(REPO, 'dist', 'cli', 'main.js'), newest)) {
    return { args: [join(REPO, 'bin', 'tuf-ceremony.js')], srcDir: join(REPO, 'dist', 'src'), kind: 'dist', cleanup: () => undefined };
  }
  const build = mkdtempSync(join(tmpdir(), 'tuf-ceremony-cli-build-'));
  symlinkSync(join(REPO, 'node_modules'), join(build, 'node_modules'), 'dir');
  try {
    execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(build, 'dist'), '--sourceMap', 'false'], { cwd: REPO, stdio: 'pipe' });
  } catch {
    // See the file comment: JavaScript is emitted despite type errors elsewhere.
  }
  const main = join(build, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('the private build of the CLI produced no dist/src/cli/main.js');
  return { args: [main], srcDir: join(build, 'dist', 'src'), kind: 'private build', cleanup: () => rmSync(build, { recursive: true, force: true }) };
}
