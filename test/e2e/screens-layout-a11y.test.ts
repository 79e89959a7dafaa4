/**
 * Issue #16 acceptance, for every screen at its initial state:
 * - layouts hold at 1024×700 and 1280×800: the document is no wider than the viewport (no horizontal scroll);
 * - an axe-core scan (WCAG 2.x A/AA rules) finds no violations, in the dark theme and the light
 *   high-contrast (projector) theme.
 * axe is evaluated through the DevTools protocol (page.evaluate), which the app's CSP does not govern —
 * the app itself still runs under its production CSP, and CSP reports are still collected as errors.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SCREENS } from '../../renderer/src/screens/screens.js';
import { startSession, type E2eSession } from './support/session.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1280, height: 800 },
] as const;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

let session: E2eSession;
beforeAll(async () => {
  session = await startSession();
});
afterAll(async () => {
  await session?.close();
});

async function axe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[]; passes: unknown[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    // A scan that checked nothing would pass vacuously: the rules that passed include colour contrast.
    if (!r.passes.some((p) => (p as { id: string }).id === 'color-contrast')) throw new Error('axe did not check colour contrast');
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, ...(n.failureSummary ? { failureSummary: n.failureSummary } : {}) })) }));
  });
}

describe('every screen: no horizontal overflow at 1024 and 1280 px, no axe violations', () => {
  for (const screen of SCREENS) {
    test(`${screen.id}`, async () => {
      const { page, errors } = await session.open(screen.id);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      for (const size of SIZES) {
        await page.setViewportSize(size);
        const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
        expect(scrollWidth, `${screen.id} at ${size.width}×${size.height}`).toBeLessThanOrEqual(innerWidth);
      }
      expect(await axe(page), `${screen.id}, dark theme`).toEqual([]);
      await page.getByRole('button', { name: /High-contrast light theme/ }).click();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
      expect(await axe(page), `${screen.id}, light theme`).toEqual([]);
      expect(errors).toEqual([]);
    });
  }
});
