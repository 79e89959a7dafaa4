/**
 * `tuf-ceremony import --trust-dir` through a link (review-12b M1, L2). The trust directory may be a link
 * (`~/.docker` → a larger disk), or sit below a linked ancestor (macOS /tmp → /private/tmp): the import
 * follows it once, and the session transcript names the installed files inside the trust directory
 * (`tuf/<gun>/metadata/…`), as for a link-free path, never `../../data/…`. A trust directory that is a link
 * loop is refused as TRUST_DIR_INVALID, with a refusal transcript, not error[INTERNAL].
 */
import { readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import { SESSIONS_FOLDER_NAME } from '../../../src/trust-store/import-session.js';
import { captureIo } from '../../support/cli-io.js';
import { writeImportFixtures } from '../../support/import-fixtures.js';
import { buildRepo } from '../../support/repo.js';
import { linkedTrustSites } from '../../support/linked-trust-dirs.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { bundleContent } from '../../support/trust-tree.js';

const tmp = tempDirs();
const gun = (i: number): string => `registry.example.com/org/linked-${i}`;

/** The JSON-lines entries of the only transcript in `sessions`. */
function transcript(sessions: string): { step: string; note?: string; outputs?: { name: string }[] }[] {
  const files = readdirSync(sessions).filter((n) => n.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  return readFileSync(join(sessions, files[0]!), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { step: string; note?: string; outputs?: { name: string }[] });
}

describe('import --trust-dir through a link: the session transcript names tuf/…', () => {
  let dir: string;
  let fixtures: Awaited<ReturnType<typeof writeImportFixtures>>;
  beforeAll(async () => {
    dir = tmp('tufc-cli-linked-');
    fixtures = await writeImportFixtures(dir, gun);
  }, 120_000);

  /** A fresh trust directory named three ways: a real folder, a link to one, a real folder below a linked ancestor. */
  function sites(): [string, string][] {
    return linkedTrustSites(tmp('tufc-cli-linked-site-'));
  }

  it('single import', async () => {
    const meta = `tuf/${gun(2)}/metadata`;
    for (const [what, trust] of sites()) {
      const c = captureIo();
      expect(await runCli(['import', fixtures.singlePath, '--trust-dir', trust, '--root', fixtures.rootPath], c.io), `${what}: ${c.err.join('\n')}`).toBe(0);
      const entries = transcript(join(realpathSync(trust), SESSIONS_FOLDER_NAME));
      const installs = entries.filter((e) => e.step === 'import.install');
      const names = installs.flatMap((e) => (e.outputs ?? []).map((o) => o.name));
      expect(names, what).toContain(`${meta}/root.json`);
      for (const name of names) expect(name.startsWith(`${meta}/`), `${what}: ${name}`).toBe(true);
      expect(installs[0]!.note, what).toBe(`installed into the trust directory's ${meta}, in one swap`);
    }
  }, 120_000);

  it('set import', async () => {
    for (const [what, trust] of sites()) {
      const c = captureIo();
      expect(await runCli(['import', fixtures.setPath, '--trust-dir', trust, '--pins', fixtures.pinsPath], c.io), `${what}: ${c.err.join('\n')}`).toBe(0);
      const entries = transcript(join(realpathSync(trust), SESSIONS_FOLDER_NAME));
      const names = entries.filter((e) => e.step === 'import.install').flatMap((e) => (e.outputs ?? []).map((o) => o.name));
      expect(names, what).toContain(`${gun(0)}/metadata/root.json`);
      for (const name of names) expect(name.includes('..'), `${what}: ${name}`).toBe(false);
      expect(entries.at(-1)!.note, what).toBe("installed: 2 repositories into the trust directory's tuf, all at once");
    }
  }, 120_000);
});

describe('import --trust-dir that is a link loop (tuf layout)', () => {
  it('error[TRUST_DIR_INVALID] naming the path, exit 1, and the refusal recorded beside it', async () => {
    const repo = await buildRepo('tuf');
    const base = tmp('tufc-cli-loop-');
    const bundlePath = join(base, 'one.tufbundle');
    writeFileSync(bundlePath, encodeBundle(bundleContent(repo, 'example-repo')));
    const rootPath = join(base, '1.root.json');
    writeFileSync(rootPath, repo.roots[0]!);
    const trust = join(base, 'tuf-client');
    symlinkSync(trust, trust);
    const c = captureIo();
    expect(await runCli(['import', bundlePath, '--trust-dir', trust, '--root', rootPath], c.io)).toBe(1);
    const first = c.err.join('\n').split('\n')[0]!;
    expect(first).toMatch(/^error\[TRUST_DIR_INVALID\]: /);
    expect(first).toContain(trust);
    expect(first).toContain('ELOOP');
    const entries = transcript(join(base, `tuf-client.${SESSIONS_FOLDER_NAME}`));
    expect(entries.find((e) => e.step === 'import.refused')?.note).toContain('refused [TRUST_DIR_INVALID]');
  }, 60_000);
});
