/**
 * The check test/support/tmpdir-guard.ts makes of a test file's TMPDIR when the file is done: what is left
 * in it, named, and the folder removed either way.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What is left in `dir` (names relative to it, folders with a trailing slash, one level deep), at most `max`. */
export function leftIn(dir: string, max = 20): string[] {
  const left: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) left.push(entry.name);
    else {
      const inner = readdirSync(join(dir, entry.name));
      left.push(inner.length === 0 ? `${entry.name}/` : `${entry.name}/ (${inner.slice(0, 3).join(', ')}${inner.length > 3 ? ', …' : ''})`);
    }
    if (left.length >= max) break;
  }
  return left;
}

/** Removes `dir`; throws naming what was left in it, if anything was. */
export function removeCheckingEmpty(dir: string): void {
  const left = leftIn(dir);
  rmSync(dir, { recursive: true, force: true });
  if (left.length > 0) {
    throw new Error(`the test file left ${left.length >= 20 ? '20 or more entries' : `${left.length} entr${left.length === 1 ? 'y' : 'ies'}`} in its TMPDIR (${dir}): ${left.join('; ')}`);
  }
}
