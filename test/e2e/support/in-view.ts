/**
 * Issue #16: an outcome after a person's action is in front of them. The outcome's heading has focus,
 * and its reason (the message) and its next control are inside the viewport, as a person sees it.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** The element's box lies wholly inside the viewport. */
async function inViewport(page: Page, el: Locator): Promise<boolean> {
  const box = await el.boundingBox();
  const vp = page.viewportSize();
  if (!box || !vp) return false;
  return box.y >= 0 && box.x >= 0 && box.y + box.height <= vp.height && box.x + box.width <= vp.width;
}

export async function expectRevealed(page: Page, outcome: Locator, button?: string): Promise<void> {
  await expect
    .poll(() => outcome.evaluate((el) => (document.activeElement !== null && el.contains(document.activeElement) ? document.activeElement.tagName : `focus on ${document.activeElement?.tagName ?? 'nothing'}`)), { timeout: 10_000 })
    .toMatch(/^H[1-4]$/);
  await expect.poll(() => inViewport(page, outcome.getByRole('heading').first()), { timeout: 10_000 }).toBe(true);
  await expect.poll(() => inViewport(page, outcome.locator('.message').first()), { timeout: 10_000 }).toBe(true);
  if (button) await expect.poll(() => inViewport(page, outcome.getByRole('button', { name: button })), { timeout: 10_000 }).toBe(true);
}

/**
 * A PIN dialog asked again after a wrong or missing PIN (issue #16): its reason (`.pin-retry`) and the
 * retry control (the PIN field, focused, and the submit button) are inside the viewport.
 */
export async function expectPinReasked(page: Page, dialog: Locator, submit: string): Promise<void> {
  const field = dialog.getByLabel('PIN', { exact: true });
  await expect.poll(() => field.evaluate((el) => document.activeElement === el), { timeout: 10_000 }).toBe(true);
  await expect.poll(() => inViewport(page, dialog.locator('.pin-retry')), { timeout: 10_000 }).toBe(true);
  await expect.poll(() => inViewport(page, field), { timeout: 10_000 }).toBe(true);
  await expect.poll(() => inViewport(page, dialog.getByRole('button', { name: submit })), { timeout: 10_000 }).toBe(true);
}
