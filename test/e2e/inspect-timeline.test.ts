/**
 * The Inspect screen's expiry timeline (issue #14), in Chromium as a person reads it: every role's expiry
 * and (Notary) every root certificate's end, nearest first, each with its state — an expired timestamp
 * first, a snapshot inside its 7-day window next, then the long-lived roles — from real signed repositories.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { buildRepo, metaEntry, metaKey, PAST, sign, typeName, type BuiltRepo } from '../support/repo.js';
import { repoFiles, writeFiles } from './support/repo-dir.js';
import { startSession, type E2eSession } from './support/session.js';

const DAY = 24 * 3600 * 1000;
let session: E2eSession;
let work: string;
let tuf: BuiltRepo;
let notary: BuiltRepo;

/** Snapshot 5 days from now (inside its 7-day window), timestamp already expired. */
async function shortLived(r: BuiltRepo): Promise<void> {
  const common = (type: string, expires: string): JsonObject => ({ _type: typeName(r.profile, type), version: 1, expires, ...(r.profile === 'tuf' ? { spec_version: '1.0.31' } : {}) });
  const meta: JsonObject = { [metaKey(r.profile, 'targets')]: metaEntry(r.profile, r.targets, 1), [metaKey(r.profile, r.delegationName)]: metaEntry(r.profile, r.delegated, 1) };
  if (r.profile === 'notary') meta.root = metaEntry(r.profile, r.roots[r.roots.length - 1]!, 1);
  const snapshotSigned = { ...common('snapshot', formatExpires(new Date(Date.now() + 5 * DAY))), meta };
  await r.relink({ snapshotSigned });
  // The timestamp over that very snapshot (relink would sign the snapshot again: ECDSA signatures differ each time).
  r.timestamp = await sign(r.profile, { ...common('timestamp', PAST), meta: { [metaKey(r.profile, 'snapshot')]: metaEntry(r.profile, r.snapshot, 1) } }, r.keys.timestamp);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-timeline-'));
  [tuf, notary] = await Promise.all([buildRepo('tuf'), buildRepo('notary')]);
  await Promise.all([shortLived(tuf), shortLived(notary)]);
  session = await startSession();
}, 180_000);

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Inspect: expiry timeline', () => {
  for (const profile of ['tuf', 'notary'] as const) {
    test(`${profile}: every expiry nearest first, with its state`, async () => {
      const repo = profile === 'tuf' ? tuf : notary;
      const dir = writeFiles(join(work, profile, 'metadata'), repoFiles(repo));
      const { page, errors, choose } = await session.open();
      await choose('Open a metadata directory…', dir);
      const timeline = page.getByRole('region', { name: 'Expiry timeline' });
      await timeline.waitFor();
      const rows = timeline.getByRole('listitem');
      const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
      const certs = profile === 'notary' ? repo.keys.root.map((k) => `root certificate ${k.keyId.slice(0, 8)}`) : [];
      // The expired timestamp first, the snapshot in its window next; root, targets and the delegation
      // (and Notary's certificates) far away, after them.
      expect(names.slice(0, 2)).toEqual(['timestamp', 'snapshot']);
      expect(new Set(names.slice(2))).toEqual(new Set(['root', 'targets', repo.delegationName, ...certs]));
      const first = await rows.nth(0).innerText();
      expect(first).toMatch(/EXPIRED/);
      expect(first).toMatch(/expired \d+ days ago/);
      const second = await rows.nth(1).innerText();
      expect(second).toMatch(/RENEW SOON/);
      expect(second).toMatch(/4 days left \(within its 7-day window\)/);
      for (let i = 2; i < names.length; i++) expect(await rows.nth(i).innerText()).toMatch(/\bOK\b/);
      // The picture: the expired one at the start of its track, the far ones further along.
      const left = await rows.evaluateAll((els) => els.map((e) => (e.querySelector('.timeline-dot') as HTMLElement).style.left));
      expect(Number.parseFloat(left[0]!)).toBe(0);
      expect(Number.parseFloat(left[1]!)).toBeLessThan(Number.parseFloat(left[2]!));
      if (profile === 'notary') expect(await timeline.innerText()).toContain(`(${'registry.example.com/org/app'})`);
      expect(errors).toEqual([]);
      await page.screenshot({ path: `/tmp/e2e-inspect-timeline-${profile}.png`, fullPage: true });
    }, 120_000);
  }
});
