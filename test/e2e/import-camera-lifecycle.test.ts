/**
 * The webcam scanner's life cycle (review-15d L5, L2, L6) in chromium with its fake camera: the camera
 * refused (getUserMedia rejects as a denied permission does), the camera's stream ending mid-scan (its
 * tracks end, as when the device is unplugged), and the person leaving the screen mid-scan. Each time
 * the screen says so in plain words, main's camera gate closes, and the Import session's scan is
 * dropped (status view back to nothing read; frames refused until a scanner opens again).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeQrFrames } from '../../src/transport/qr/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { GUN, makeBundle, qrVideo, type BundleFixture } from './support/import-fixtures.js';
import { startSession, type E2eSession } from './support/session.js';

const tmp = tempDirs();
let work: string;
let fx: BundleFixture;
let video: string;
const sessions: E2eSession[] = [];

beforeAll(async () => {
  work = tmp('tufc-e2e-camera-life-');
  fx = await makeBundle(work, 'camera');
  video = await qrVideo(join(work, 'frames'), encodeQrFrames(fx.bytes, { loss: 0.3 }).parts);
});

afterAll(async () => {
  for (const s of sessions) await s.close();
});

/** The Import screen's webcam region, with `init` run in the page before the app's scripts. */
async function openScanner(init?: string): Promise<{ session: E2eSession; page: Page; errors: string[] }> {
  const session = await startSession({ importTrustDir: async () => join(work, 'trust'), fakeCamera: video });
  sessions.push(session);
  const { page, context, errors } = await session.open('import');
  if (init) {
    await context.addInitScript({ content: init });
    await page.reload();
  }
  await page.getByRole('link', { name: 'Read from the webcam' }).click();
  await page.getByRole('region', { name: 'Read the bundle from the webcam' }).waitFor();
  return { session, page, errors };
}

const region = (page: Page) => page.getByRole('region', { name: 'Read the bundle from the webcam' });

/**
 * The scanner's own count of decoded camera frames (shown every 10), 0 when it is not shown: read without
 * waiting (textContent() waits for the element, 30 s each time it is gone, as it is once the camera stopped).
 */
async function decodedFrames(page: Page): Promise<number> {
  const text = (await region(page).locator('.qr-rate').allTextContents())[0] ?? '';
  return Number(/^(\d+) camera frames decoded/.exec(text)?.[1] ?? 0);
}

describe('Import screen: the webcam scanner when the camera goes away', () => {
  test('camera refused: a plain sentence with advice (not the browser’s “Permission denied”), the gate closed, and a way to try again', async () => {
    const { session, page, errors } = await openScanner(
      `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));`,
    );
    const alert = region(page).getByRole('alert');
    await alert.waitFor();
    const shown = (await alert.textContent()) ?? '';
    expect(shown).toContain('The camera was refused: allow this app to use the camera in the system’s privacy settings, then choose “Start the camera again” below.');
    expect(shown).not.toContain('Permission denied');
    await expect.poll(() => session.cameraGate.isOpen()).toBe(false);
    await expect(alert.getByRole('button', { name: 'Start the camera again' }).isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);

  test('the stream ends mid-scan: decoding stops, the gate closes, the screen says so; starting the camera again reads the bundle', async () => {
    const { session, page, errors } = await openScanner(
      `{ const g = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices); navigator.mediaDevices.getUserMedia = async (c) => { const s = await g(c); window.__stream = s; return s; }; }`,
    );
    await region(page).getByText('Point the camera at the animated QR code').waitFor({ timeout: 60_000 });
    await page.getByTestId('qr-counts').filter({ hasText: /parts received · \d+ of \d+ fragments known/ }).waitFor({ timeout: 60_000 });
    expect(session.cameraGate.isOpen()).toBe(true);
    // The device goes away: its tracks end (stop() does not fire 'ended'; a source loss does, so the test fires it).
    await page.evaluate(() =>
      (window as unknown as { __stream: MediaStream }).__stream.getTracks().forEach((t) => {
        t.stop();
        t.dispatchEvent(new Event('ended'));
      }),
    );
    const alert = region(page).getByRole('alert').filter({ hasText: 'The camera stopped' });
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('The camera stopped (unplugged, or taken by another program), so reading stopped.');
    await expect(region(page).getByText('Point the camera at the animated QR code').count()).resolves.toBe(0);
    await expect.poll(() => session.cameraGate.isOpen()).toBe(false);
    // The scan was dropped with the gate (L6): the status view shows nothing read.
    expect(session.importSession.status().qr).toMatchObject({ received: 0, needed: 0 });
    // Decoding stopped: the count of decoded camera frames does not move any more.
    const before = await decodedFrames(page);
    await page.waitForTimeout(2000);
    expect(await decodedFrames(page)).toBe(before);
    expect(session.importSession.status().qr).toMatchObject({ received: 0, needed: 0 });

    await alert.getByRole('button', { name: 'Start the camera again' }).click();
    await page.locator('.bundle-card').waitFor({ timeout: 90_000 });
    await expect(page.getByTestId('bundle-repository').textContent()).resolves.toBe(GUN);
    expect(errors).toEqual([]);
  }, 180_000);

  test('leaving the screen mid-scan closes the gate and drops the scan: nothing read in the status view, frames refused', async () => {
    const { session, page, errors } = await openScanner();
    await page.getByTestId('qr-counts').filter({ hasText: /parts received · \d+ of \d+ fragments known/ }).waitFor({ timeout: 60_000 });
    expect(session.importSession.status().qr.received).toBeGreaterThan(0);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Inspect/ }).click();
    await region(page).waitFor({ state: 'detached' });
    await expect.poll(() => session.cameraGate.isOpen()).toBe(false);
    await expect.poll(() => session.importSession.status().qr.received).toBe(0);
    await expect(session.importSession.qrFrame(encodeQrFrames(fx.bytes, { count: 1 }).parts[0]!)).rejects.toMatchObject({ code: 'QR_SCANNER_CLOSED' });
    expect(errors).toEqual([]);
  }, 120_000);
});
