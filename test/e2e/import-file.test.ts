/**
 * The Import screen with a bundle file from USB (issue #6), driven in Chromium as a person would: choose
 * the trust directory (what the app's folder dialog answers: a temporary Notary trust directory), pin the
 * root file, open the bundle; the screen shows kind, repository, the short hash as hex and words, and the
 * complete verification; Install puts it in place (checked with our verifier and the real notary client,
 * offline). Tampered bundles are refused with their code and the trust directory stays byte for byte as it was.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { groupHex, shortDigestOf } from '../../src/crypto/digest-words.js';
import { encodeBundle } from '../../src/bundle/format.js';
import { bundleContent, expectInstalled, GUN, makeBundle, notaryMetadataDir, treeHash, type BundleFixture } from './support/import-fixtures.js';
import { startSession, type E2eSession } from './support/session.js';

const SCREENSHOT = '/tmp/e2e-import-file.png';

let session: E2eSession;
let work: string;
let trustDir: string;
let fx: BundleFixture;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-import-'));
  trustDir = join(work, 'site', 'trust');
  mkdirSync(trustDir, { recursive: true });
  fx = await makeBundle(work, 'release');
  session = await startSession({ importTrustDir: async () => trustDir });
});

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Import screen: a bundle file', () => {
  test('tampered bundles are refused with their code; the trust directory is unchanged', async () => {
    const { page, errors, choose } = await session.open('import');
    await page.getByRole('heading', { level: 1, name: 'Import a trust bundle' }).waitFor();
    await page.getByRole('button', { name: 'Choose the trust directory…' }).click();
    await page.getByText(`Installing into ${trustDir}`).waitFor();
    await choose('Pin a root.json…', fx.pinPath);
    await page.getByText(/^Pinned: /).waitFor();
    const before = treeHash(join(work, 'site'));

    // 1. One byte of targets.json changed inside the bundle: its manifest no longer matches.
    const flipped = new Uint8Array(fx.bytes);
    const at = Buffer.from(fx.bytes).indexOf('app.tar.gz');
    flipped[at] = flipped[at]! ^ 0x01;
    const flippedPath = join(work, 'flipped.tufbundle');
    writeFileSync(flippedPath, flipped);
    await choose('Open a bundle file…', flippedPath);
    const refusal = page.getByRole('alert').filter({ hasText: 'Refused: flipped.tufbundle' });
    await refusal.waitFor();
    await expect(refusal.locator('code.code').textContent()).resolves.toBe('BUNDLE_MANIFEST_MISMATCH');
    await expect(refusal.textContent()).resolves.toContain('Nothing was written or changed in the trust directory.');

    // 2. A well-formed bundle whose targets.json was changed after signing (manifest recomputed): it
    //    decodes, shows what it claims to be, and the verification refuses it; no Install button.
    const forged = encodeBundle({
      ...bundleContent(fx.repo, GUN),
      files: bundleContent(fx.repo, GUN).files.map((f) => (f.name === 'targets.json' ? { name: f.name, bytes: Buffer.from(Buffer.from(f.bytes).toString('utf8').replace('app.tar.gz', 'app.tar.gy')) } : f)),
    });
    const forgedPath = join(work, 'forged.tufbundle');
    writeFileSync(forgedPath, forged);
    await choose('Open a bundle file…', forgedPath);
    const failed = page.getByRole('alert').filter({ hasText: 'Verification failed' });
    await failed.waitFor();
    await expect(page.getByTestId('bundle-hash').textContent()).resolves.toBe(groupHex(shortDigestOf(forged).hex));
    const code = await failed.locator('code.code').textContent();
    expect(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'THRESHOLD_NOT_MET']).toContain(code);
    await expect(page.getByRole('button', { name: 'Install into the trust directory' }).count()).resolves.toBe(0);

    expect(treeHash(join(work, 'site'))).toBe(before);
    expect(errors).toEqual([]);
  });

  test('a trust bundle: what it is, its hash as hex and words, verified, installed; notary lists it offline', async () => {
    const { page, errors, choose } = await session.open('import');
    await page.getByRole('button', { name: /trust directory…$/ }).click();
    await page.getByText(`Installing into ${trustDir}`).waitFor();
    await choose('Pin a root.json…', fx.pinPath);
    await page.getByText(/^Pinned: /).waitFor();
    await choose('Open a bundle file…', fx.bundlePath);

    const verified = page.getByRole('status').filter({ hasText: 'Verified: ready to install' });
    await verified.waitFor();
    const hash = shortDigestOf(fx.bytes);
    await expect(page.getByTestId('bundle-kind').textContent()).resolves.toBe('trust-bundle');
    await expect(page.getByTestId('bundle-repository').textContent()).resolves.toBe(GUN);
    await expect(page.getByTestId('bundle-hash').textContent()).resolves.toBe(groupHex(hash.hex));
    await expect(page.getByTestId('bundle-words').textContent()).resolves.toBe(hash.words.join(' '));
    await expect(verified.textContent()).resolves.toContain('the pinned root file');
    // Nothing written by the verification.
    expect(existsSync(notaryMetadataDir(trustDir))).toBe(false);

    await verified.getByRole('button', { name: 'Install into the trust directory' }).click();
    const installed = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) });
    await installed.waitFor();
    await expect(installed.textContent()).resolves.toContain(notaryMetadataDir(trustDir));
    await expect(installed.getByRole('row', { name: /^root 1 2 of 3/ }).count()).resolves.toBe(1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await expectInstalled(trustDir, fx);
    expect(errors).toEqual([]);
  });
});
