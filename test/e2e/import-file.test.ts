/**
 * The Import screen with a bundle file from USB (issue #6), driven in Chromium as a person would: choose
 * the trust directory (what the app's folder dialog answers: a temporary Notary trust directory), pin the
 * root file, open the bundle; the screen shows kind, repository, the short hash as hex and words, and the
 * complete verification; Install puts it in place (checked with our verifier and the real notary client,
 * offline). Tampered bundles are refused with their code and the trust directory stays byte for byte as it was.
 * A lock left by an interrupted import is removed with the screen's button (a running import's never is),
 * and the install then goes through. Leftovers of killed imports that an install's lock removes are said
 * as a notice, with the install and with a refusal alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { groupHex, groupWords, shortDigestOf } from '../../src/crypto/digest-words.js';
import { encodeBundle } from '../../src/bundle/format.js';
import { importLockPath } from '../../src/trust-store/lock.js';
import { importRepository } from '../../src/trust-store/install.js';
import { nodeTrustDirFs } from '../../src/io/trust-dir.js';
import { faultyTrustDirFs } from '../support/fs-faults.js';
import { bundleContent, expectInstalled, GUN, makeBundle, notaryMetadataDir, treeHash, type BundleFixture } from './support/import-fixtures.js';
import { startSession, type E2eSession } from './support/session.js';
import { deadPid, hereLockFields, liveLockFields } from '../support/lock-owner.js';

const SCREENSHOT = '/tmp/e2e-import-file.png';

let session: E2eSession;
let work: string;
let trustDir: string;
let fx: BundleFixture;
let inventoryPath = '';
let cleanupFault = false;
/** While set, the install's core is given a pin no root matches: refused by verification, under the lock (after its sweep). */
let refuseUnderLock = false;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-import-'));
  trustDir = join(work, 'site', 'trust');
  mkdirSync(trustDir, { recursive: true });
  fx = await makeBundle(work, 'release');
  session = await startSession({
    importTrustDir: async () => trustDir,
    importDeps: {
      chooseInventory: async () => inventoryPath,
      // While `cleanupFault` is set, the folder the swap sets aside cannot be removed (EACCES): installed, clean-up failed.
      importRepository: (source, options) =>
        importRepository(source, {
          ...options,
          ...(cleanupFault ? { trustDirFs: faultyTrustDirFs(nodeTrustDirFs(), (op, p) => (op === 'removeTree' && p.includes('.tuf-ceremony-previous-') ? 'EACCES' : undefined)) } : {}),
          ...(refuseUnderLock && !options.dryRun ? { trustedRoot: undefined, rootFingerprint: 'a'.repeat(64) } : {}),
        }),
    },
  });
});

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A person's steps up to "Verified": choose the trust directory, pin the root file, open the good bundle. */
async function openVerified() {
  const { page, errors, choose } = await session.open('import');
  await page.getByRole('button', { name: /trust directory…$/ }).click();
  await page.getByText(`Installing into ${trustDir}`).waitFor();
  await choose('Pin a root.json…', fx.pinPath);
  await page.getByText(/^Pinned: /).waitFor();
  await choose('Open a bundle file…', fx.bundlePath);
  const verified = page.getByRole('status').filter({ hasText: 'Verified: ready to install' });
  await verified.waitFor();
  return { page, errors, verified };
}

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
    const { page, errors, verified } = await openVerified();
    const hash = shortDigestOf(fx.bytes);
    await expect(page.getByTestId('bundle-kind').textContent()).resolves.toBe('trust-bundle');
    await expect(page.getByTestId('bundle-repository').textContent()).resolves.toBe(GUN);
    await expect(page.getByTestId('bundle-hash').textContent()).resolves.toBe(groupHex(hash.hex));
    await expect(page.getByTestId('bundle-words').textContent()).resolves.toBe(groupWords(hash.words)); // in groups of four, as read aloud
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

  test('a lock left by an interrupted import: Install is refused, "Remove the stale lock" removes it, Install goes through; a running import’s lock stays', async () => {
    // A fresh trust directory (what the folder dialog answers from now on).
    trustDir = join(work, 'site-stale', 'trust');
    mkdirSync(trustDir, { recursive: true });
    const lockPath = importLockPath(trustDir, 'notary');
    // First a lock held by a live process (this one): refused as running, and no button to remove it.
    const live = JSON.stringify({ created: '2026-11-25T09:00:00.000Z', ...(await liveLockFields()), pid: process.pid, token: 'e'.repeat(32) });
    writeFileSync(lockPath, live);
    const { page, errors, verified } = await openVerified();
    const install = verified.getByRole('button', { name: 'Install into the trust directory' });
    await install.click();
    const notInstalled = page.getByRole('alert').filter({ hasText: 'Not installed' });
    await notInstalled.waitFor();
    await expect(notInstalled.locator('code.code').textContent()).resolves.toBe('IMPORT_LOCKED');
    await expect(page.getByRole('button', { name: 'Remove the stale lock' }).count()).resolves.toBe(0);
    expect(readFileSync(lockPath, 'utf8')).toBe(live);

    // Now the lock of a process that is gone (killed mid-import).
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lockPath, JSON.stringify({ created: '2026-11-25T09:00:00.000Z', ...hereLockFields(), pid: dead, token: 'f'.repeat(32) }));
    await install.click();
    const stale = page.getByRole('alert').filter({ hasText: 'Not installed' });
    await expect.poll(() => stale.locator('code.code').textContent()).toBe('IMPORT_LOCK_STALE');
    const panel = page.getByRole('region', { name: 'A stale import lock' });
    await expect(panel.textContent()).resolves.toContain('never removes the lock of an import that is still running');
    expect(existsSync(notaryMetadataDir(trustDir))).toBe(false);
    await panel.getByRole('button', { name: 'Remove the stale lock' }).click();
    const removed = panel.getByRole('status');
    await removed.waitFor();
    await expect(removed.textContent()).resolves.toContain(`removed the stale import lock ${lockPath} (taken at 2026-11-25T09:00:00.000Z by process ${dead}, which is no longer running). Now install again.`);
    expect(existsSync(lockPath)).toBe(false);

    await install.click();
    const installed = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) });
    await installed.waitFor();
    await expect(installed.textContent()).resolves.toContain(notaryMetadataDir(trustDir));
    // Released normally: no warning, and no lock left behind.
    await expect(installed.locator('.lock-not-released').count()).resolves.toBe(0);
    expect(existsSync(lockPath)).toBe(false);
    await expectInstalled(trustDir, fx);
    expect(errors).toEqual([]);
  });
  test('installed, then the clean-up failed: "Installed" with a warning naming what is left; recorded in the key inventory', async () => {
    trustDir = join(work, 'site-cleanup', 'trust');
    mkdirSync(trustDir, { recursive: true });
    inventoryPath = join(work, 'site-cleanup', 'inventory.json');
    const { page, errors, choose } = await session.open('import');
    await page.getByRole('button', { name: /trust directory…$/ }).click();
    await page.getByText(`Installing into ${trustDir}`).waitFor();
    await choose('Pin a root.json…', fx.pinPath);
    await page.getByText(/^Pinned: /).waitFor();
    // A first install (nothing to set aside), then the same bundle again with the inventory chosen and the fault.
    const install = async () => {
      await choose('Open a bundle file…', fx.bundlePath);
      const verified = page.getByRole('status').filter({ hasText: 'Verified: ready to install' });
      await verified.waitFor();
      await verified.getByRole('button', { name: 'Install into the trust directory' }).click();
    };
    await install();
    await page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) }).waitFor();
    await page.getByRole('button', { name: 'Record in a key inventory…' }).click();
    await page.getByRole('button', { name: 'Choose another key inventory…' }).waitFor();
    cleanupFault = true;
    try {
      await install();
      const done = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) });
      await done.waitFor();
      const warning = done.getByRole('alert').filter({ hasText: 'IMPORT_INSTALLED_CLEANUP_FAILED' });
      await expect(warning.textContent()).resolves.toContain('installed, but tidying up after it failed');
      const left = await warning.getByRole('list', { name: 'Left beside the trust folder' }).getByRole('listitem').allTextContents();
      expect(left.map((p) => p.replace(/-[0-9a-f]{32}$/, ''))).toEqual([join(dirname(notaryMetadataDir(trustDir)), '.metadata.tuf-ceremony-previous'), join(dirname(notaryMetadataDir(trustDir)), '.metadata.tuf-ceremony-swap')]);
      await expect(done.textContent()).resolves.toContain(`Recorded in the key inventory ${inventoryPath}`);
      await expect(page.getByText('Not installed').count()).resolves.toBe(0);
      expect(readFileSync(inventoryPath, 'utf8')).toContain(GUN);
      await expectInstalled(trustDir, fx, 2);
      expect(errors).toEqual([]);
    } finally {
      cleanupFault = false;
    }
  });

  test('leftovers of killed imports beside the lock: removed, and said as a notice — with a refused install and with an install', async () => {
    trustDir = join(work, 'site-leftovers', 'trust');
    mkdirSync(trustDir, { recursive: true });
    inventoryPath = '';
    const lockPath = importLockPath(trustDir, 'notary');
    const dead = deadPid();
    /** A copy of the lock a command killed mid-rename left beside it, and the sentence main says for it. */
    const plant = (n: string, created: string) => {
      const path = `${lockPath}.stale-${n.repeat(32)}`;
      writeFileSync(path, JSON.stringify({ created, ...hereLockFields(), pid: dead, token: 'f'.repeat(32) }));
      return { path, line: `removed ${path}, a copy of the lock ${lockPath} set aside by a command killed before it removed it (process ${dead} on ${hereLockFields().host}, taken at ${created}, which is no longer running).` };
    };
    const { page, errors, verified } = await openVerified();
    const install = verified.getByRole('button', { name: 'Install into the trust directory' });
    const notice = page.getByRole('status').filter({ hasText: 'Removed left over lock files of import runs that were killed' });

    // Refused by verification, which runs under the lock: the files its sweep removed are still said.
    const first = plant('1', '2026-11-25T09:00:00.000Z');
    refuseUnderLock = true;
    try {
      await install.click();
      const notInstalled = page.getByRole('alert').filter({ hasText: 'Not installed' });
      await notInstalled.waitFor();
      await expect(notInstalled.locator('code.code').textContent()).resolves.toBe('IMPORT_PIN_NOT_FOUND');
      await expect(notInstalled.textContent()).resolves.toContain('only the left over lock files named below were removed');
      await expect(notice.getByRole('list', { name: 'Removed lock files' }).getByRole('listitem').allTextContents()).resolves.toEqual([first.line]);
    } finally {
      refuseUnderLock = false;
    }
    expect(existsSync(first.path)).toBe(false);
    expect(existsSync(notaryMetadataDir(trustDir))).toBe(false);

    // Installed: the notice sits in the "Installed" banner.
    const second = plant('2', '2026-11-25T09:30:00.000Z');
    await install.click();
    const installed = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) });
    await installed.waitFor();
    await expect(installed.getByRole('list', { name: 'Removed lock files' }).getByRole('listitem').allTextContents()).resolves.toEqual([second.line]);
    expect(existsSync(second.path)).toBe(false);
    await expectInstalled(trustDir, fx);
    expect(errors).toEqual([]);
  });
});
