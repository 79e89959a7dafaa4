/**
 * Review-13b L2: a set import gave each repository a signature-work limit of its own, so the set's work grew
 * with the number of repositories that pass. The set now has one limit for all of them (SET_SIGNATURE_WORK):
 * repositories that each pass alone are refused together once they pass it, naming the repository where it
 * ran out, and nothing is installed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet, type DecodedRepositorySet } from '../../../src/bundle/set.js';
import { isCeremonyError } from '../../../src/errors.js';
import { getProfile } from '../../../src/profiles/index.js';
import { importRepositorySet, previewRepositorySet, SET_SIGNATURE_WORK } from '../../../src/trust-store/install-set.js';
import { DEFAULT_SIGNATURE_WORK } from '../../../src/tuf/signature-work.js';
import { buildRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const NOW = new Date();
const tuf = getProfile('tuf');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a set import has one signature-work limit for all its repositories (review-13b L2)', () => {
  let singles: Uint8Array[];
  let pins: Map<string, string>;
  /** Signature checks each repository's verification makes, alone. */
  let needs: number[];

  const setOf = (bundles: Uint8Array[]): DecodedRepositorySet => decodeRepositorySet(encodeRepositorySet(bundles, { name: 'three', created: NOW }));
  const limit = (checks: number) => ({ checks, bytes: DEFAULT_SIGNATURE_WORK.bytes });
  function trustDir(): string {
    const dir = join(tmp('tufc-set-work-'), 'repos');
    mkdirSync(dir);
    return dir;
  }

  beforeAll(async () => {
    const repos = [];
    for (let i = 0; i < 3; i++) repos.push(await buildRepo('tuf', { gun: `app-${i}` }));
    singles = repos.map((r, i) => encodeBundle(bundleContent(r, `app-${i}`)));
    pins = new Map(repos.map((r, i) => [`app-${i}`, sha(r.roots[0]!)]));
    needs = [];
    for (const single of singles) {
      const spy = vi.spyOn(tuf, 'verify');
      await importRepositorySet(setOf([single]), { trustDir: trustDir(), pins, now: NOW, dryRun: true });
      needs.push(spy.mock.calls.length);
      spy.mockRestore();
    }
  }, 120_000);

  it('repositories that each pass alone are refused together past the set’s limit, at the one where it ran out; nothing installed', async () => {
    const total = needs.reduce((a, b) => a + b, 0);
    expect(needs.every((n) => n > 0)).toBe(true);
    // The set's limit: one check short of all three together.
    const set = limit(total - 1);
    const dir = trustDir();
    // Each repository alone passes under it…
    for (const single of singles) await importRepositorySet(setOf([single]), { trustDir: dir, pins, now: NOW, dryRun: true, signatureWork: set });
    // …and all three together, with exactly their total, pass too (dry run: nothing written).
    await importRepositorySet(setOf(singles), { trustDir: dir, pins, now: NOW, dryRun: true, signatureWork: limit(total) });
    const before = treeHash(join(dir, '..'));
    let err: unknown;
    try {
      await importRepositorySet(setOf(singles), { trustDir: dir, pins, now: NOW, signatureWork: set });
    } catch (e) {
      err = e;
    }
    expect(isCeremonyError(err) ? [err.code, err.path] : err).toEqual(['SIGNATURE_WORK_EXCEEDED', expect.stringMatching(/^app-2\//)]);
    const message = (err as Error).message;
    expect(message).toContain('repository "app-2" (3 of 3)');
    expect(message).toContain("the limit is the whole set's: this repository and the 2 before it together");
    expect(message).toContain('nothing of the set was installed');
    expect(treeHash(join(dir, '..'))).toBe(before);

    // The preview shares the set's limit as the install does: the first two rows pass, the third is refused.
    const preview = await previewRepositorySet(setOf(singles), { trustDir: dir, pins, now: NOW, signatureWork: set });
    expect(preview.rows.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'SIGNATURE_WORK_EXCEEDED']);
    expect(treeHash(join(dir, '..'))).toBe(before);
  }, 120_000);

  it('the default set limit is twice one verification’s', () => {
    expect(SET_SIGNATURE_WORK).toEqual({ checks: 400_000, bytes: 4 * 1024 ** 3 });
  });
});
