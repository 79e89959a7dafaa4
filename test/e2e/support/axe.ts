/**
 * An axe-core scan (WCAG 2.x A/AA rules) of what a page shows now, as test/e2e/screens-layout-a11y.test.ts
 * runs it: evaluated through the DevTools protocol (page.evaluate), which the app's CSP does not govern.
 * A scan that checked no colour contrast throws (it would pass vacuously).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

export async function axeViolations(page: Page): Promise<AxeViolation[]> {
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

/** The same scan, under the name the Import screen's e2e uses. */
export const axe = axeViolations;
