/**
 * The app shell in Chromium: the sidebar reaches every screen of PRODUCT.md §3, the screens that are not
 * built say so plainly, the page runs under the production CSP (it can reach no URL at all), and the
 * bridge carries the real IPC handlers' answers, refusals included.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../electron/main/security-policy.js';
import type { TufCeremonyApi } from '../../electron/shared/api-types.js';
import { startSession, type E2eSession } from './support/session.js';

let session: E2eSession;

/** The page's API, as the renderer sees it (runs inside page.evaluate). */
type PageWindow = { tufCeremony: TufCeremonyApi };

beforeAll(async () => {
  session = await startSession();
});

afterAll(async () => {
  await session?.close();
});


describe('app shell', () => {
  test('the sidebar lists every screen, and every screen is built: none says "not yet in this build"', async () => {
    const { page, errors } = await session.open();
    const nav = page.getByRole('navigation', { name: 'Screens' });
    const inspect = nav.getByRole('link', { name: 'Inspect', exact: true });
    await expect(inspect.getAttribute('aria-current')).resolves.toBe('page');
    expect(await nav.getByRole('link').count()).toBe(9);
    expect(await nav.innerText()).not.toMatch(/not yet in this build/i);

    // --- shamir: built since; its own screen, with the page title.
    const shamir = nav.getByRole('link', { name: 'Shamir', exact: true });
    await shamir.click();
    await page.getByRole('heading', { level: 1, name: 'Shamir' }).waitFor();
    await expect(shamir.getAttribute('aria-current')).resolves.toBe('page');
    expect(await page.getByRole('main').innerText()).not.toMatch(/not yet in this build/i);
    await expect(page.getByRole('button', { name: 'Check a card file…' }).isEnabled()).resolves.toBe(true);
    await expect(page.title()).resolves.toBe('Shamir — tuf-ceremony');

    // Tokens is built: no marker, its own screen.
    const tokens = nav.getByRole('link', { name: 'Tokens', exact: true });
    await tokens.click();
    await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    expect(await page.getByRole('main').innerText()).not.toMatch(/not yet in this build/i);
    await expect(page.getByRole('button', { name: 'List tokens' }).isEnabled()).resolves.toBe(true);

    for (const [title, button] of [
      ['Root ceremony', 'Prepare the rehearsal'],
      ['Transcript', 'Open transcript…'],
      // --- rotation (#5)
      ['Rotation', 'Current root.json…'],
      ['Co-sign', 'Signing request…'],
    ] as const) {
      await nav.getByRole('link', { name: title, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      expect(await page.getByRole('main').innerText()).not.toMatch(/not yet in this build/i);
      await expect(page.getByRole('button', { name: button }).isEnabled()).resolves.toBe(true);
    }

    // --- import (#6)
    await nav.getByRole('link', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Import a trust bundle' }).waitFor();
    expect(await page.getByRole('main').innerText()).not.toMatch(/not yet in this build/i);
    await expect(page.getByRole('button', { name: 'Open a bundle file…' }).isEnabled()).resolves.toBe(true);

    // --- export (#6)
    await nav.getByRole('link', { name: 'Export', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Export a bundle' }).waitFor();
    expect(await page.getByRole('main').innerText()).not.toMatch(/not yet in this build/i);
    await expect(page.getByRole('button', { name: 'Open a metadata folder…' }).isEnabled()).resolves.toBe(true);

    await inspect.click();
    await page.getByRole('heading', { level: 1, name: 'Inspect metadata' }).waitFor();
    await expect(page.getByRole('button', { name: 'Open a metadata directory…' }).isEnabled()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  test('appInfo comes through the bridge, which says it is the test bridge', async () => {
    const { page, errors } = await session.open();
    const info = await page.evaluate(() => (window as unknown as PageWindow).tufCeremony.appInfo());
    expect(info).toEqual({ ok: true, value: { name: 'tuf-ceremony', version: expect.stringMatching(/^\d+\.\d+\.\d+/), offline: true, testBridge: true } });
    const foot = page.getByRole('navigation', { name: 'Screens' });
    await foot.getByText('TEST BRIDGE (not the packaged app)').waitFor();
    await expect(foot.getByText('Offline: no network access').isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  test('a payload the IPC schema refuses comes back as a refusal (IPC_INVALID), not an exception', async () => {
    const { page } = await session.open();
    const result = await page.evaluate(() =>
      (window as unknown as PageWindow).tufCeremony.inspectFiles({ files: [{ name: '../root.json', bytes: new Uint8Array([123, 125]) }] }),
    );
    expect(result).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.files[0].name' });
  });

  test('the production CSP is in force: the page can fetch nothing, not even from its own origin', async () => {
    const { page, errors } = await session.open();
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    // The page carries main's own policy, word for word (one source: electron/main/security-policy.ts), which
    // allows 'wasm-unsafe-eval' and a blob: worker for the webcam QR decoder and nothing that reaches out.
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    const outcome = await page.evaluate(() =>
      fetch('./index.html').then(
        () => 'fetched',
        () => 'blocked',
      ),
    );
    expect(outcome).toBe('blocked');
    // Chromium reports it (the violation event is queued, so wait for it).
    await expect.poll(() => errors.join('\n'), { timeout: 30_000 }).toMatch(/Refused to connect|CSP violation: connect-src/);
    // The screens themselves needed no exception to it: no inline script or style anywhere.
    await expect(page.locator('script:not([src])').count()).resolves.toBe(0);
    await expect(page.locator('style').count()).resolves.toBe(0);
    await expect(page.locator('[style]').count()).resolves.toBe(0);
  });
});
