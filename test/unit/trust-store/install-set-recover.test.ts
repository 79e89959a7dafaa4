/**
 * Before a Notary set import, interrupted single imports of the set's repositories are settled
 * (src/trust-store/install-set.ts recoverSetFolders): the journals are looked up 64 at once, and when any
 * exists every folder is recovered in the set's order; with no `tuf/` folder nothing more is looked up.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTrustDirFs, swapNames, swapTrustDir, type TrustDirFs } from '../../../src/io/trust-dir.js';
import { recoverSetFolders } from '../../../src/trust-store/install-set.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

/** `base` recording every lstat's path. */
function counting(base: TrustDirFs): { fs: TrustDirFs; lstats: string[] } {
  const lstats: string[] = [];
  return { fs: { ...base, lstat: (p) => (lstats.push(p), base.lstat(p)) }, lstats };
}

const folderOf = (i: number): string => `registry.example.com/org/app-${i}/metadata`;

describe('set import: settling interrupted single imports of its repositories', () => {
  it('130 repositories, a journal only at the 70th (past the first lookup batch): found, and every folder recovered in order', async () => {
    const home = tmp('tufc-set-recover-');
    const target = join(home, 'tuf');
    const folders = Array.from({ length: 130 }, (_, i) => folderOf(i));
    for (const f of folders) {
      mkdirSync(join(target, ...f.split('/')), { recursive: true });
      writeFileSync(join(target, ...f.split('/'), 'root.json'), 'old');
    }
    // The 70th repository's single import killed after it set its old folder aside: no folder at its name.
    const seventieth = join(target, ...folders[69]!.split('/'));
    await expect(
      swapTrustDir(seventieth, new Map([['root.json', new TextEncoder().encode('new')]]), {
        onStep: (s) => {
          if (s === 'keep:rename-old') throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(readdirSync(join(seventieth, '..')).some((n) => n.endsWith('tuf-ceremony-swap'))).toBe(true);

    const { fs, lstats } = counting(nodeTrustDirFs());
    await recoverSetFolders(target, folders, fs);
    // Rolled back: the old folder at its name, nothing of the swap left.
    expect(readFileSync(join(seventieth, 'root.json'), 'utf8')).toBe('old');
    expect(readdirSync(join(seventieth, '..')).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
    // Looked up: `tuf`, then the journals 64 at once up to the batch that holds one (the first 128);
    // then each folder's recovery, all 130 in the set's order.
    const journals = folders.map((f) => swapNames(join(target, ...f.split('/')), '0'.repeat(32)).journal);
    expect(lstats[0]).toBe(target);
    expect(new Set(lstats.slice(1, 129))).toEqual(new Set(journals.slice(0, 128)));
    expect(lstats.slice(129).filter((p) => p.endsWith('tuf-ceremony-swap'))).toEqual(journals);
  });

  it('no journal among 130: each looked up once, nothing recovered', async () => {
    const home = tmp('tufc-set-recover-');
    const target = join(home, 'tuf');
    mkdirSync(target);
    const folders = Array.from({ length: 130 }, (_, i) => folderOf(i));
    const { fs, lstats } = counting(nodeTrustDirFs());
    await recoverSetFolders(target, folders, fs);
    expect(lstats).toHaveLength(131);
  });

  it('no tuf/ folder: one lstat, nothing else looked up', async () => {
    const home = tmp('tufc-set-recover-');
    const target = join(home, 'tuf');
    const { fs, lstats } = counting(nodeTrustDirFs());
    await recoverSetFolders(target, [folderOf(0), folderOf(1)], fs);
    expect(lstats).toEqual([target]);
  });
});
