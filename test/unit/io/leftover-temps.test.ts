/**
 * src/io/leftover-temps.ts against the writer it cleans up after: the temp name writeFileAtomic really uses
 * (caught at the moment it links the temp into place — what a SIGKILL there leaves behind) is recognised
 * for its output name and no other, and removeAtomicTemps removes exactly such files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

/** Directory listings taken inside writeFileAtomic, just before it links the temp file to the final name. */
const atLink: string[][] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    link: async (from: string, to: string) => {
      atLink.push(await real.readdir(dirname(from)));
      return real.link(from, to);
    },
  };
});

const { writeFileAtomic } = await import('../../../src/io/files.js');
const { atomicTempOf, removeAtomicTemps } = await import('../../../src/io/leftover-temps.js');

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'tufc-leftovers-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the temp name writeFileAtomic uses', () => {
  it('is recognised for its output, and only for it', async () => {
    const dir = tmp();
    atLink.length = 0;
    await writeFileAtomic(join(dir, 'root.json'), new TextEncoder().encode('{}'));
    expect(atLink).toHaveLength(1);
    const temps = atLink[0]!.filter((n) => n !== 'root.json');
    expect(temps).toHaveLength(1);
    const temp = temps[0]!;
    expect(atomicTempOf(temp, ['targets.json', 'root.json'])).toBe('root.json');
    expect(atomicTempOf(temp, ['targets.json', '1.root.json', 'json'])).toBeUndefined();

    // What a kill at that moment leaves: the cleanup removes it and nothing else.
    writeFileSync(join(dir, temp), 'partial');
    expect(await removeAtomicTemps(dir, ['root.json'])).toEqual([temp]);
    expect(readdirSync(dir)).toEqual(['root.json']);
  });
});

describe('atomicTempOf', () => {
  it.each([
    ['.root.json.0123456789ab.tmp', 'root.json'],
    ['.1.root.json.0123456789ab.tmp', '1.root.json'],
    ['.root.json.0123456789AB.tmp', undefined],
    ['.root.json.0123456789a.tmp', undefined],
    ['.root.json.0123456789abc.tmp', undefined],
    ['root.json.0123456789ab.tmp', undefined],
    ['.root.json.0123456789ab.tmp~', undefined],
    ['.root.json.tmp', undefined],
    ['..0123456789ab.tmp', undefined],
    ['.other.json.0123456789ab.tmp', undefined],
    ['root.json', undefined],
  ])('%s → %s', (entry, want) => {
    expect(atomicTempOf(entry, ['root.json', '1.root.json'])).toBe(want);
  });
});

describe('removeAtomicTemps', () => {
  it('removes regular files only, in the folder itself only; a missing folder has none', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'root.json'), 'out');
    writeFileSync(join(dir, '.root.json.aaaaaaaaaaaa.tmp'), 'partial');
    writeFileSync(join(dir, 'elsewhere'), 'target of a link');
    symlinkSync(join(dir, 'elsewhere'), join(dir, '.root.json.bbbbbbbbbbbb.tmp'));
    mkdirSync(join(dir, '.root.json.cccccccccccc.tmp'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', '.root.json.dddddddddddd.tmp'), 'below');
    expect(await removeAtomicTemps(dir, ['root.json'])).toEqual(['.root.json.aaaaaaaaaaaa.tmp']);
    expect(readdirSync(dir).sort()).toEqual(['.root.json.bbbbbbbbbbbb.tmp', '.root.json.cccccccccccc.tmp', 'elsewhere', 'root.json', 'sub']);
    expect(readFileSync(join(dir, 'elsewhere'), 'utf8')).toBe('target of a link');
    expect(readFileSync(join(dir, 'sub', '.root.json.dddddddddddd.tmp'), 'utf8')).toBe('below');
    expect(await removeAtomicTemps(join(dir, 'missing'), ['root.json'])).toEqual([]);
  });
});
