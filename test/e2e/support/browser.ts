/**
 * Debian's chromium through playwright-core (never `playwright install`), locked down: no network
 * services, no first-run, no sync.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface LaunchOptions {
  /**
   * --- import (#6): a fake webcam playing this file (MJPEG or Y4M; chromium loops it), and the camera
   * permission prompt answered "allow" as a person would.
   */
  fakeCamera?: string;
}

export function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  const camera = opts.fakeCamera ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${opts.fakeCamera}`] : [];
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...camera],
  });
}
