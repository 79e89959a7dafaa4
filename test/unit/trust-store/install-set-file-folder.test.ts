/**
 * A set whose repository's folder is another repository's file (review-13a L2): TUF `org` installs
 * `org/root.json`, the folder repository `org/root.json` needs; Notary `a.example/org` installs
 * `a.example/org/metadata/root.json`, on the way to GUN `a.example/org/metadata/root.json`'s folder. It
 * used to fail at the staging write (EEXIST, or ENOTDIR against an installed tree), as error[INTERNAL]
 * with no refusal transcript. Now refused from the names before anything is read (BUNDLE_CONTENT_INVALID,
 * both repositories named), or against the installed tree before anything is written (TRUST_DIR_INVALID,
 * as a single import says it), in the preview as in the install.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { isCeremonyError } from '../../../src/errors.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { siteSessionsDir } from '../../../src/trust-store/import-session.js';
import { importRepositorySet, previewRepositorySet } from '../../../src/trust-store/install-set.js';
import { captureIo } from '../../support/cli-io.js';
import { setRepos } from '../../support/set-repos.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { treeHash } from '../../support/trust-tree.js';

const tmp = tempDirs();
const NOW = new Date();

const CASES: { profile: ProfileName; outer: string; inner: string; file: string }[] = [
  { profile: 'tuf', outer: 'org', inner: 'org/root.json', file: 'org/root.json' },
  { profile: 'notary', outer: 'a.example/org', inner: 'a.example/org/metadata/root.json', file: 'a.example/org/metadata/root.json' },
];

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; path?: string }> {
  try {
    await p;
  } catch (err) {
    if (isCeremonyError(err)) return { code: err.code, message: err.message, ...(err.path ? { path: err.path } : {}) };
    return { code: String(err), message: '' };
  }
  return { code: 'no error', message: '' };
}

describe.each(CASES)('$profile: $outer and $inner', ({ profile, outer, inner, file }) => {
  const { pins, setBytes, setOf } = setRepos(profile, [outer, inner], NOW);
  const trustDir = () => {
    const dir = join(tmp('set-file-folder-'), 'trust');
    mkdirSync(dir);
    return dir;
  };

  it.each([[[outer, inner]], [[inner, outer]]])('one set of %j: refused from the names, nothing written, the preview says so too', async (order) => {
    const dir = trustDir();
    const before = treeHash(join(dir, '..'), () => false);
    const at = order.indexOf(inner);
    const got = await refusal(importRepositorySet(setOf(order), { trustDir: dir, pins: pins(), now: NOW }));
    expect(got.code).toBe('BUNDLE_CONTENT_INVALID');
    expect(got.path).toBe(`repositories/0000${at}.tufbundle $.repository`);
    expect(got.message).toContain(`repository "${inner}" (${at + 1} of 2)`);
    expect(got.message).toContain(`repository "${outer}" (${2 - at} of 2)`);
    expect(got.message).toContain(file);
    expect(treeHash(join(dir, '..'), () => false)).toBe(before);
    const preview = await previewRepositorySet(setOf(order), { trustDir: dir, pins: pins(), now: NOW });
    expect(preview.rows.map((r) => [r.repository, r.ok ? 'ok' : r.error.code])).toEqual(order.map((n) => [n, n === inner ? 'BUNDLE_CONTENT_INVALID' : 'ok']));
  }, 60_000);

  it(`${outer} installed, then a set of ${inner}: TRUST_DIR_INVALID before anything is written`, async () => {
    const dir = trustDir();
    await importRepositorySet(setOf([outer]), { trustDir: dir, pins: pins(), now: NOW });
    const before = treeHash(join(dir, '..'));
    const got = await refusal(importRepositorySet(setOf([inner]), { trustDir: dir, pins: pins(), now: NOW }));
    expect(got.code).toBe('TRUST_DIR_INVALID');
    expect(got.message).toContain(`${file} in the trust directory is a file, not a folder`);
    expect(got.path?.endsWith(join(...file.split('/')))).toBe(true);
    expect(treeHash(join(dir, '..'))).toBe(before);
    const preview = await previewRepositorySet(setOf([inner]), { trustDir: dir, pins: pins(), now: NOW });
    expect(preview.rows.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['TRUST_DIR_INVALID']);
    // The outer repository's own update in the same set replaces its files: still the names' refusal first.
    expect((await refusal(importRepositorySet(setOf([outer, inner]), { trustDir: dir, pins: pins(), now: NOW }))).code).toBe('BUNDLE_CONTENT_INVALID');
  }, 60_000);

  it('import SET --pins: error[BUNDLE_CONTENT_INVALID], exit 1, the refusal recorded as for other set refusals', async () => {
    const base = tmp('set-file-folder-cli-');
    const setPath = join(base, 'set.tufbundle');
    writeFileSync(setPath, setBytes([outer, inner]));
    const pinsPath = join(base, 'pins.json');
    writeFileSync(pinsPath, JSON.stringify(Object.fromEntries(pins())));
    const trust = join(base, 'trust');
    mkdirSync(trust);
    const c = captureIo();
    expect(await runCli(['import', setPath, '--trust-dir', trust, '--pins', pinsPath], c.io)).toBe(1);
    const first = c.err.join('\n').split('\n')[0]!;
    expect(first).toMatch(/^error\[BUNDLE_CONTENT_INVALID\]: repository /);
    expect(first).toContain(`"${outer}"`);
    expect(treeHash(trust)).toBe(treeHash(trust, () => true));
    const sessions = siteSessionsDir(trust, profile);
    const files = readdirSync(sessions).filter((n) => n.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const entries = readFileSync(join(sessions, files[0]!), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { step: string; note?: string });
    expect(entries.find((e) => e.step === 'import.refused')?.note).toContain('refused [BUNDLE_CONTENT_INVALID]');
  }, 60_000);
});
