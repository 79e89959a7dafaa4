/**
 * The import path under fuzzing (issue #12): mutations of a valid trust bundle go through the same core
 * as `tuf-ceremony import` (bundle decoder → verification against the pin and what is installed → atomic
 * swap) into a trust directory that already holds version 1. Each is accepted or refused with a
 * registered code; a refused import leaves the whole trust directory byte for byte as it was (tree
 * digest, hidden files included), and an accepted one installs what it verified.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeBundle } from '../../src/bundle/format.js';
import { bundleImportSource } from '../../src/trust-store/bundle-source.js';
import { importRepository } from '../../src/trust-store/install.js';
import { buildRepo, GUN, type BuiltRepo } from '../support/repo.js';
import { bundleContent, treeHash } from '../support/trust-tree.js';
import { acceptedOrRefusedAsync, byteMutation, mutateBytes, params } from './support.js';

vi.setConfig({ testTimeout: 180_000 });

describe('import of mutated bundles over an installed trust directory', () => {
  let r: BuiltRepo;
  let bundle: Uint8Array;
  let work: string;
  beforeAll(async () => {
    r = await buildRepo('notary', { rootVersions: 2 });
    bundle = encodeBundle(bundleContent(r, GUN));
    work = mkdtempSync(join(tmpdir(), 'tufc-fuzz-import-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('accepted and installed, or refused with a code and the trust directory unchanged', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(byteMutation, { minLength: 1, maxLength: 2 }), async (ms) => {
        const trust = join(work, `t${n++}`);
        mkdirSync(trust);
        // What is installed: the unmutated bundle, pinned to root v1.
        await importRepository(bundleImportSource(bundle, 'good.tufbundle'), { trustDir: trust, trustedRoot: r.roots[0]!, now: new Date(), layout: 'notary', gun: GUN });
        const before = treeHash(trust);
        const mutated = ms.reduce((b, m) => mutateBytes(b, m), bundle);
        const outcome = await acceptedOrRefusedAsync(() => importRepository(bundleImportSource(mutated, 'fuzzed.tufbundle'), { trustDir: trust, now: new Date(), layout: 'notary', gun: GUN }));
        if (outcome !== 'accepted') expect(treeHash(trust), `refused with ${outcome}: the trust directory must be unchanged`).toBe(before);
        rmSync(trust, { recursive: true, force: true });
      }),
      params(1240, 40),
    );
  });
});
