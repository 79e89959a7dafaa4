/**
 * The Inspect screen, driven in Chromium as a person would: pick a folder or a file in the file chooser,
 * pin a trusted root, and read what the screen says. Behind the page are the real IPC handlers and the
 * real core (through the test bridge), and real signed repositories from test/support/repo.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildRepo, GUN, type BuiltRepo } from '../support/repo.js';
import { repoFiles, tamperExpires, writeFiles } from './support/repo-dir.js';
import { startSession, type E2eSession } from './support/session.js';

const SCREENSHOT = '/tmp/e2e-inspect.png';

let session: E2eSession;
let work: string;
let tuf: BuiltRepo;
let notary: BuiltRepo;
let tufDir: string;
let notaryDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-'));
  [tuf, notary] = await Promise.all([buildRepo('tuf', { rootVersions: 2 }), buildRepo('notary')]);
  // What a person picks is the metadata folder itself; its name is dropped from the names sent.
  tufDir = writeFiles(join(work, 'tuf', 'metadata'), repoFiles(tuf));
  notaryDir = writeFiles(join(work, 'notary', 'metadata'), repoFiles(notary));
  session = await startSession();
});

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The card of one role in the key hierarchy, found by its heading as a person reads it. */
function roleCard(page: Page, name: string): Locator {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return page.locator('section.role').filter({ has: page.getByRole('heading', { level: 3, name: new RegExp(`^${escaped}\\s`) }) });
}

function keyRow(card: Locator, keyId: string): Locator {
  return card.getByRole('row').filter({ hasText: keyId.slice(0, 8) });
}

const short = (id: string) => id.slice(0, 8);

describe('Inspect screen', () => {
  test('a TUF repository directory: roles, thresholds, signers, delegation, chain verdict; then verified against a pin', async () => {
    const { page, errors, choose } = await session.open();
    await expect(page.getByRole('heading', { level: 1, name: 'Inspect metadata' }).isVisible()).resolves.toBe(true);

    await choose('Open a metadata directory…', tufDir);
    const banner = page.getByRole('status').filter({ has: page.getByRole('heading', { level: 2 }) });
    await banner.waitFor();

    // What was opened: the folder's name, never a full path; the profile.
    const opened = page.locator('.opened');
    expect(await opened.innerText()).toMatch(/Opened metadata · directory, 7 files · TUF 1\.0/);
    expect(await opened.innerText()).not.toContain(work);

    // No pin: the chain is intact from the oldest root, and the screen says that is not a pin.
    expect(await banner.innerText()).toContain('Chain intact from the oldest root');
    expect(await banner.innerText()).toContain('pin a trusted root');

    // Every role is drawn, with its threshold as "M of N".
    for (const role of ['root', 'targets', 'snapshot', 'timestamp', 'releases']) await expect(roleCard(page, role).count()).resolves.toBe(1);
    const root = roleCard(page, 'root');
    expect(await root.locator('.threshold').innerText()).toMatch(/2 of 3\s+signatures needed/);
    expect(await root.innerText()).toContain('Threshold met: 2 valid signatures, 2 required');
    expect(await root.innerText()).toMatch(/VERSION\s+2/i);

    // Who signed root v2 and who did not: the two first keys signed, the third is missing.
    const [k0, k1, k2] = tuf.keys.root.map((k) => k.keyId);
    for (const id of [k0!, k1!]) expect(await keyRow(root, id).innerText()).toMatch(/✓\s*Signed/);
    expect(await keyRow(root, k2!).innerText()).toMatch(/✗\s*Missing/);
    // Key ID short form and key type as a person reads them.
    expect(await keyRow(root, k0!).innerText()).toContain(short(k0!));
    expect(await keyRow(root, k0!).innerText()).toContain('ed25519');
    // The full key ID is one hover away.
    await expect(keyRow(root, k0!).locator('code.keyid').getAttribute('title')).resolves.toBe(k0);

    // The delegation hangs under targets (the list of roles targets delegates to), with its paths.
    const underTargets = page.getByRole('list', { name: 'delegated by targets' });
    await expect(underTargets.getByRole('heading', { level: 3, name: /^releases/ }).count()).resolves.toBe(1);
    const releases = roleCard(page, 'releases');
    expect(await releases.innerText()).toContain('delegated by targets');
    expect(await releases.innerText()).toContain('releases/*');
    expect(await releases.locator('.threshold').innerText()).toMatch(/1 of 1/);
    expect(await keyRow(releases, tuf.keys.delegate[0]!.keyId).innerText()).toMatch(/✓\s*Signed/);

    await expect(page.getByText('No problems found.').isVisible()).resolves.toBe(true);

    // Pin the first root: the same directory now verifies against the pin.
    await choose('Pin a trusted root…', join(tufDir, '1.root.json'));
    await page.getByRole('heading', { name: 'Verified against your pinned root' }).waitFor();
    expect(await page.locator('.pin-state').innerText()).toContain('Pinned: 1.root.json');
    expect(await page.getByRole('status').filter({ hasText: 'Verified against your pinned root' }).innerText()).toContain('starting from 1.root.json');

    await page.screenshot({ path: '/tmp/e2e-inspect-tuf.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  test('a Notary (Docker Content Trust) directory: GUN, ecdsa-x509 root keys with CN, targets/releases under targets', async () => {
    const { page, errors, choose } = await session.open();
    await choose('Pin a trusted root…', join(notaryDir, 'root.json'));
    await choose('Open a metadata directory…', notaryDir);
    await page.getByRole('heading', { name: 'Verified against your pinned root' }).waitFor();

    expect(await page.locator('.opened').innerText()).toContain('Notary v1 / Docker Content Trust');
    expect(await page.locator('.repo-node').innerText()).toContain(GUN);

    const root = roleCard(page, 'root');
    expect(await root.locator('.threshold').innerText()).toMatch(/2 of 3/);
    const [k0, k1, k2] = notary.keys.root.map((k) => k.keyId);
    const row = keyRow(root, k0!);
    expect(await row.innerText()).toContain('ecdsa-x509');
    expect((await row.innerText()).replace(/\s+/g, '')).toContain(`CN=${GUN}`);
    expect(await keyRow(root, k1!).innerText()).toMatch(/✓\s*Signed/);
    expect(await keyRow(root, k2!).innerText()).toMatch(/✗\s*Missing/);
    expect(await keyRow(roleCard(page, 'targets'), notary.keys.targets[0]!.keyId).innerText()).toContain('ecdsa');

    const underTargets = page.getByRole('list', { name: 'delegated by targets' });
    await expect(underTargets.getByRole('heading', { level: 3, name: /^targets\/releases/ }).count()).resolves.toBe(1);
    // Notary delegates every target with the "" path prefix; the screen says so in words.
    expect(await roleCard(page, 'targets/releases').innerText()).toContain('"" (every target)');

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  });

  test('a root.json changed after signing, against the pinned original: refused, and nobody shown as a signer', async () => {
    const pinned = join(work, 'pin', 'root.json');
    writeFiles(join(work, 'pin'), new Map([['root.json', tuf.roots[0]!]]));
    const tamperedPath = join(work, 'tampered', 'root.json');
    writeFiles(join(work, 'tampered'), new Map([['root.json', tamperExpires(tuf.roots[0]!)]]));

    const { page, errors, choose } = await session.open();
    await choose('Pin a trusted root…', pinned);
    await choose('Open a metadata file…', tamperedPath);

    const banner = page.getByRole('alert').filter({ hasText: 'REFUSED' });
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toContain('REFUSED against your pinned root');
    expect(text).toContain('TRUSTED_ROOT_MISMATCH');
    expect(text).toContain('not the same file as the pinned root');

    // The drawing shows why: the changed bytes carry no valid signature from any root key.
    const root = roleCard(page, 'root');
    expect(await root.innerText()).toContain('Threshold NOT met: 0 valid signatures, 2 required');
    await expect(root.getByRole('row').filter({ hasText: /✓\s*Signed/ }).count()).resolves.toBe(0);
    await expect(root.getByRole('row').filter({ hasText: /✗\s*Missing/ }).count()).resolves.toBe(3);
    // And the problems list names it, with the file and JSON path.
    const problems = page.getByRole('region', { name: /Problems found/ });
    expect(await problems.innerText()).toContain('THRESHOLD_NOT_MET');
    expect(await problems.innerText()).toContain('root.json $.signatures');

    await page.screenshot({ path: '/tmp/e2e-inspect-tampered.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  test('a newer root changed after signing, against the pinned v1: the chain is refused', async () => {
    const dir = join(work, 'tampered-chain');
    const files = repoFiles(tuf);
    const v2 = tamperExpires(tuf.roots[1]!);
    files.set('2.root.json', v2);
    files.set('root.json', v2);
    writeFiles(dir, files);

    const { page, errors, choose } = await session.open();
    await choose('Pin a trusted root…', join(dir, '1.root.json'));
    await choose('Open a metadata directory…', dir);
    const banner = page.getByRole('alert').filter({ hasText: 'REFUSED' });
    await banner.waitFor();
    const text = await banner.innerText();
    // TUF 5.3.4: v2 must carry a threshold of v1's keys over its exact bytes; the change broke them all.
    expect(text).toContain('ROOT_NOT_SIGNED_BY_PREVIOUS');
    expect(text).toContain('0 of 2 required signatures for root');
    expect(text).toMatch(/Where\s+2\.root\.json \$\.signatures/i);
    expect(errors).toEqual([]);
  });

  test('a file that is not JSON: the refusal panel with JSON_MALFORMED, the message and where', async () => {
    const notJson = join(work, 'notes.json');
    writeFileSync(notJson, 'this is not JSON, it is a shopping list\n');
    const { page, errors, choose } = await session.open();
    await choose('Open a metadata file…', notJson);

    const panel = page.getByRole('alert');
    await panel.waitFor();
    const text = await panel.innerText();
    expect(text).toContain('Refused: notes.json');
    expect(text).toContain('JSON_MALFORMED');
    expect(text).toMatch(/not valid JSON/i);
    // Where: the JSON path, prefixed by the file name when the core gives it.
    expect(text).toMatch(/Where\s+(notes\.json\s+)?\$/i);
    expect(text).toContain('Nothing was written or changed.');
    // Nothing of a previous result is left on screen to be mistaken for this one.
    await expect(page.getByRole('heading', { name: 'Key hierarchy' }).count()).resolves.toBe(0);
    await page.screenshot({ path: '/tmp/e2e-inspect-malformed.png' });
    expect(errors).toEqual([]);
  });
});
