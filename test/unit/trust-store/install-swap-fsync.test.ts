/**
 * The one-by-one swap (every single import: src/io/trust-dir.ts swapTrustDir, concurrency 1) fsyncs, before
 * the rename, every folder it made: the staging folders mkdir makes on the way to a file's folder, and the
 * folders above the trust folder a repository's first import creates (`tuf/<host>/<org>/<app>`), with the
 * existing folder they were made in. Otherwise an import that reported success could vanish after a power loss.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTrustDirFs, swapTrustDir, type TrustDirFs } from '../../../src/io/trust-dir.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

describe('single swap: every folder it made is fsynced before the rename', () => {
  it('first import of tuf/reg/org/app/metadata with a nested file', async () => {
    const home = tmp('tufc-swap-fsync-');
    const target = join(home, 'tuf', 'reg', 'org', 'app', 'metadata');
    const base = nodeTrustDirFs();
    const synced: string[] = [];
    let renamed = false;
    const fs: TrustDirFs = { ...base, fsyncDir: (p) => (renamed || synced.push(p), base.fsyncDir(p)) };
    const enc = new TextEncoder();
    await swapTrustDir(
      target,
      new Map([
        ['root.json', enc.encode('{}')],
        ['targets/releases/team.json', enc.encode('{}')],
      ]),
      { fs, onStep: (s) => void (s === 'swap:rename-new' && (renamed = true)) },
    );
    const rel = new Set(synced.map((p) => p.slice(home.length).replace(/[0-9a-f]{32}/, 'N')));
    for (const want of ['', '/tuf', '/tuf/reg', '/tuf/reg/org', '/tuf/reg/org/app', '/tuf/reg/org/app/.metadata.tuf-ceremony-staging-N', '/tuf/reg/org/app/.metadata.tuf-ceremony-staging-N/targets', '/tuf/reg/org/app/.metadata.tuf-ceremony-staging-N/targets/releases']) {
      expect(rel.has(want), `fsynced before the rename: ${want || '(home)'}`).toBe(true);
    }
  });
});
