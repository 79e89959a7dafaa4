/**
 * Issue #16 point 8, with data loaded (the initial states are screens-layout-a11y.test.ts): a rehearsal
 * root ceremony (run through the same CeremonySession the Root ceremony screen drives) gives a real
 * repository and its sealed transcript. At 1280×800 and 1024×700:
 * - Inspect with that repository and the transcript's names: the page is no wider than the viewport,
 *   every key's holder is named (no "—"), and no fingerprint or key ID is broken across lines;
 * - Rotation with that root and transcript read: the same, the Shamir backup key named;
 * - an axe-core scan of each state finds no violations.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSession, type E2eSession } from './support/session.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
] as const;

let dir: string;
let repo: string;
let transcriptPath: string;
let session: E2eSession;

/** A file anywhere under `root` by base name (the outputs' layout may put it in a subfolder). */
function findUnder(root: string, name: string): string | undefined {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) {
      const hit = findUnder(p, name);
      if (hit) return hit;
    } else if (e.name === name) return p;
  }
  return undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-layout-data-'));
  const out = join(dir, 'out');
  mkdirSync(out);
  session = await startSession({ chooseOutputDir: async () => out });
  await session.ceremony.rehearse({ profile: 'tuf', repository: 'registry.example.com/org/a-rather-long-repository-name' });
  await session.ceremony.start(['Dana Witness']);
  await session.ceremony.settled();
  const status = session.ceremony.status();
  if (status.phase !== 'done') throw new Error(`the rehearsal did not finish: ${JSON.stringify(status.failure)}`);
  // The published metadata only, in a folder of its own (what Inspect opens).
  repo = join(dir, 'repository');
  mkdirSync(repo);
  for (const name of ['root.json', '1.root.json', 'targets.json', 'snapshot.json', 'timestamp.json']) {
    const from = findUnder(status.outDir!, name);
    if (from) copyFileSync(from, join(repo, name));
  }
  transcriptPath = findUnder(status.outDir!, 'transcript.jsonl')!;
}, 180_000);

afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function axe(page: Page): Promise<Array<{ id: string; nodes: unknown[] }>> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }>; passes: unknown[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    if (!r.passes.some((p) => (p as { id: string }).id === 'color-contrast')) throw new Error('axe did not check colour contrast');
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target) }));
  });
}

/** No horizontal scroll, and no hex group inside `selector` (key IDs, fingerprints) broken across lines. */
async function expectHolds(page: Page, what: string, selector: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `/tmp/e2e-layout-${what.toLowerCase()}-${size.width}.png`, fullPage: true });
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `${what} at ${size.width}×${size.height}`).toBeLessThanOrEqual(innerWidth);
    const split = await page.evaluate((sel) => {
      // Every hex group (a run without spaces) lies on one line: a line may break between groups, never
      // inside one ("51c | 1"). A Range over the group has one client rect per line it spans.
      const broken: string[] = [];
      const els = Array.from(document.querySelectorAll<HTMLElement>(sel));
      for (const el of els) {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent ?? '';
          for (const m of text.matchAll(/[0-9a-f]{2,}…?/gi)) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
            if (tops.size > 1) broken.push(`${el.tagName.toLowerCase()}.${el.className}: ${m[0]}`);
          }
        }
      }
      return { count: els.length, broken };
    }, selector);
    expect(split.count, `${what}: hex shown`).toBeGreaterThan(0);
    expect(split.broken, `${what} at ${size.width}×${size.height}: hex split across lines`).toEqual([]);
  }
}

describe('screens with data loaded: layouts hold at 1280×800 and 1024×700, names on keys, no axe violations', () => {
  test('Inspect: a ceremony repository with the transcript’s names', async () => {
    const { page, errors, choose } = await session.open('inspect');
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await choose('Names from a ceremony transcript…', transcriptPath);
    await page.locator('.names-state').getByText('Names from: transcript.jsonl').waitFor();
    await choose('Open a metadata directory…', repo);
    const rootCard = page.getByRole('region', { name: /^root/ }).first();
    await rootCard.waitFor({ timeout: 60_000 });
    // Every key has a holder: the custodians by name, the other keys by what they are.
    const holders = await page.locator('td.holder').allInnerTexts();
    expect(holders.length).toBeGreaterThan(3);
    for (const h of holders) expect(h.trim()).not.toMatch(/^—?$|not named/);
    const rootHolders = await rootCard.locator('td.holder').allInnerTexts();
    expect(rootHolders.some((h) => /Shamir backup/.test(h))).toBe(true);
    await expectHolds(page, 'Inspect', 'code.keyid, code.fingerprint');
    expect(await axe(page), 'Inspect with data, dark theme').toEqual([]);
    await page.getByRole('button', { name: /High-contrast light theme/ }).click();
    expect(await axe(page), 'Inspect with data, light theme').toEqual([]);
    expect(errors).toEqual([]);
  });

  test('Rotation: the ceremony root read with its transcript (the Shamir backup key named)', async () => {
    const { page, errors, choose } = await session.open('rotation');
    await page.getByRole('heading', { level: 1, name: 'Rotation' }).waitFor();
    await choose('Current root.json…', join(repo, 'root.json'));
    await choose('Ceremony transcript (optional)…', transcriptPath);
    await page.getByRole('button', { name: 'Read the root' }).click();
    const table = page.getByRole('table', { name: 'Root keys' });
    await table.waitFor({ timeout: 60_000 });
    // The names stand in the editable name fields, taken from the transcript.
    const names = await table.locator('input[type="text"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(names).toContain('Shamir backup');
    expect(names.every((n) => n !== '')).toBe(true);
    await expectHolds(page, 'Rotation', 'table code');
    expect(await axe(page), 'Rotation with data, dark theme').toEqual([]);
    await page.getByRole('button', { name: /High-contrast light theme/ }).click();
    expect(await axe(page), 'Rotation with data, light theme').toEqual([]);
    expect(errors).toEqual([]);
  });
});
