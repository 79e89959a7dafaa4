/**
 * Leftovers of writeFileAtomic (src/io/files.ts) after the process was killed mid-write. It writes
 * `.NAME.<12 lowercase hex>.tmp` (`randomBytes(6).toString('hex')`) beside NAME, fsyncs, links it to NAME and
 * unlinks it; a kill between open and unlink leaves that hidden file behind (complete or not — after the
 * link it is a second name of the finished output). Nothing reads such a file, but it wastes space and,
 * for share cards (written 0600), is one more copy of a secret on disk. The ceremony removes them when it
 * resumes (src/ceremony/machine.ts) — only names of exactly this shape for the output names it is given,
 * so a file that merely looks similar is never touched.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The random part writeFileAtomic puts in a temp name: 6 random bytes as lowercase hex. */
const TEMP_SUFFIX = /^[0-9a-f]{12}$/;

/**
 * The output name `entry` is a writeFileAtomic temp file of, among `outputNames`; undefined when it is none
 * (exactly `.` + name + `.` + 12 lowercase hex + `.tmp`).
 */
export function atomicTempOf(entry: string, outputNames: Iterable<string>): string | undefined {
  if (!entry.startsWith('.') || !entry.endsWith('.tmp')) return undefined;
  const inner = entry.slice(1, -'.tmp'.length);
  const dot = inner.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = inner.slice(0, dot);
  if (!TEMP_SUFFIX.test(inner.slice(dot + 1))) return undefined;
  for (const n of outputNames) if (n === name) return n;
  return undefined;
}

/**
 * Remove, from `dir` only (not below it), the regular files that are writeFileAtomic temp files of one of
 * `outputNames`. Returns the names removed, sorted. A folder that does not exist has none. Directories,
 * symbolic links and anything else under such a name are left alone.
 */
export async function removeAtomicTemps(dir: string, outputNames: readonly string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const entry of entries.sort()) {
    if (atomicTempOf(entry, outputNames) === undefined) continue;
    const path = join(dir, entry);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    try {
      await unlink(path);
      removed.push(entry);
    } catch (err) {
      // Gone already (another cleanup): nothing left to remove.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
