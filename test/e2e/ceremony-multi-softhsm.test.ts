/**
 * Issue #17 on the Root ceremony screen: a multi-repository plan — two Notary GUNs (each naming its
 * notary-server's timestamp key file) and two TUF repositories sharing three custodians' root keys and the
 * targets key — on three SoftHSM2 tokens made by softhsm2-util, run from the screen through the bridge and
 * the real handlers: the intent hash words, the custodians and the shared keys, the repository table with
 * its count and the one exception (a TUF repository with its own targets expiry), one PIN per custodian
 * in the PIN dialog (naming the token first), progress per repository, and at the end where the outputs are;
 * every repository folder then verifies with our core, the Notary ones' root certificates name their GUN,
 * the transcript is sealed. axe finds nothing on the loaded plan nor on the completed ceremony.
 *
 * With `shamir` (src/ceremony/multi-shamir.ts): two TUF repositories sharing a split software root key,
 * shown among the shared root keys and in the threshold's count; the run stops after the split (a fault
 * injected once), a resume without cards is refused (CEREMONY_CANNOT_RESUME) with the card entry in view,
 * two of the cards the run wrote are typed in, the resume finishes, and "Print share cards…" prints the
 * run's own share-cards.html.
 *
 * And the 1,000-repository table: a plan of 1,000 repositories loaded (not run) shows its count, keeps only
 * the rows in view in the DOM, and scrolls to the last repository.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { intentHash } from '../../src/ceremony/plan-hash.js';
import { safeRepositoryName } from '../../src/ceremony/repository-names.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import type { JsonObject } from '../../src/json/types.js';
import { CeremonyError } from '../../src/errors.js';
import { startSession, type E2eSession } from './support/session.js';
import { initSoftHsmToken, useSoftHsmDir } from './support/softhsm.js';
import { axeViolations } from './support/axe.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const SO_PIN = '87654321';
const CUSTODIANS = [
  { name: 'Alice', label: 'multi-alice', pin: 'alice-5521-x' },
  { name: 'Bob', label: 'multi-bob', pin: 'bob-6632-y' },
  { name: 'Carol', label: 'multi-carol', pin: 'carol-7743-z' },
] as const;
const GUNS = ['registry.example.com/org/app', 'registry.example.com/org/db'];
const TUFS = ['example.com/tuf/web', 'example.com/tuf/docs'];
const SCREENSHOT = '/tmp/e2e-ceremony-multi.png';
const SCREENSHOT_1000 = '/tmp/e2e-ceremony-multi-1000.png';

let dir: string;
let out: string;
let session: E2eSession;
/** A fault the shamir test injects into the session's ceremony (once); undefined otherwise. */
let faultHook: ((point: string) => void) | undefined;
const serials: Record<string, string> = {};
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A notary-server style timestamp key file (the private half discarded at once). */
function serverKey(name: string): string {
  const key = SoftwareKey.generate('ed25519');
  const listed = listPublicKey('notary', key.spki);
  key.dispose();
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ keytype: 'ed25519', keyval: { public: (listed.json.keyval as JsonObject).public, private: null } }));
  return path;
}

function planOf(repositories: JsonObject[]): JsonObject {
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories,
    custodians: CUSTODIANS.map((c) => ({ name: c.name, token: { serial: serials[c.label] ?? '0000000000000000' }, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${c.name.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
    allowSoftwareTokens: true,
  } as unknown as JsonObject;
}

function writePlan(name: string, plan: JsonObject): { planPath: string; bindingsPath: string; planBytes: Uint8Array } {
  const planBytes = new Uint8Array(Buffer.from(JSON.stringify(plan, null, 2) + '\n'));
  const planPath = join(dir, `${name}.json`);
  writeFileSync(planPath, planBytes);
  const bindings = {
    format: 'tuf-ceremony-site-bindings',
    version: 1,
    planSha256: sha256(planBytes),
    module: { path: SOFTHSM },
    custodians: Object.fromEntries(CUSTODIANS.map((c) => [c.name, { pin: 'prompt' }])),
  };
  const bindingsPath = join(dir, `${name}.bindings.json`);
  writeFileSync(bindingsPath, JSON.stringify(bindings, null, 2));
  return { planPath, bindingsPath, planBytes };
}

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-ceremony-multi-'));
  mkdirSync(join(dir, 'hsm'));
  await useSoftHsmDir(join(dir, 'hsm'));
  for (const c of CUSTODIANS) serials[c.label] = initSoftHsmToken(c.label, c.pin, SO_PIN);
  out = join(dir, 'out');
  session = await startSession({ chooseOutputDir: async () => out, ceremonyDeps: { fault: (p) => faultHook?.(p) } });
});

afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Root ceremony screen: a multi-repository plan', () => {
  test('two Notary GUNs and two TUF repositories on three SoftHSM2 tokens: reviewed, one PIN per custodian, progress per repository, outputs verified', async () => {
    const keyFiles = GUNS.map((_, i) => serverKey(`ts-${i}.key`));
    const repositories: JsonObject[] = [
      ...GUNS.map((name, i) => ({ name, timestamp: { keyFile: `ts-${i}.key`, sha256: sha256(readFileSync(keyFiles[i]!)) } })),
      { name: TUFS[0]!, profile: 'tuf' },
      // The exception: its own targets expiry (the same shared targets key).
      { name: TUFS[1]!, profile: 'tuf', targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(2) } },
    ];
    const { planPath, bindingsPath, planBytes } = writePlan('multi', planOf(repositories));
    const { page, errors, choose } = await session.open('root');
    await page.getByRole('heading', { level: 1, name: 'Root ceremony' }).waitFor();
    await choose('Plan file…', planPath);
    await choose('Site bindings…', bindingsPath);
    await choose('Server key files…', keyFiles);
    await page.getByText('Inputs: ts-0.key, ts-1.key').waitFor();
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByRole('heading', { name: 'Plan intent hash — compare with the reviewed copy' }).waitFor();

    const words = await page.getByRole('list', { name: 'Plan hash words, to read aloud' }).getByRole('listitem').allInnerTexts();
    expect(words).toEqual(intentHash(planBytes).words);
    const shown = await page.getByRole('main').innerText();
    expect(shown).toMatch(/Repositories\s+4 \(2 Notary, 2 TUF\)/i);
    expect(shown).toMatch(/Root threshold\s+2 of 3/i);
    for (const c of CUSTODIANS) expect(shown).toContain(serials[c.label]!);
    expect(await page.getByTestId('repo-count').innerText()).toContain('4 repositories (2 Notary, 2 TUF) · 1 exception');
    const table = page.getByRole('table', { name: 'Repositories' });
    const rows = await table.locator('tbody tr:not(.repo-spacer) th').allInnerTexts();
    expect(rows).toEqual([...GUNS, ...TUFS]);
    const odd = table.locator('tbody tr.repo-exception');
    expect(await odd.count()).toBe(1);
    expect(await odd.locator('th').innerText()).toBe(TUFS[1]);
    expect(await page.getByRole('list', { name: 'Exceptions' }).innerText()).toContain(`targets expires: ${year(2)} (most TUF repositories: ${year(3)})`);
    // The shared keys: each custodian's root key in all four repositories; the table named by its caption.
    expect(await page.getByRole('table', { name: 'Shared keys', exact: true }).count()).toBe(1);
    // Rows carry their place in the whole table (only some are in the DOM): header 1, then 2…
    expect(await table.locator('tbody tr:not(.repo-spacer)').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('aria-rowindex')))).toEqual(['2', '3', '4', '5']);
    expect(await table.getAttribute('aria-rowcount')).toBe('5');
    expect(await page.locator('table.shared-keys').innerText()).toMatch(/root\s+Alice’s token, key “root-alice” \(ECDSA P-256\)\s+4 of 4/);
    expect(await axeViolations(page), 'multi-repository plan loaded').toEqual([]);

    await page.getByRole('checkbox', { name: /The witnesses compared the words/ }).check();
    await page.getByLabel('Witnesses present (one name per line)').fill('Dana Witness');
    await page.getByRole('button', { name: 'Start the ceremony…' }).click();

    const asked: string[] = [];
    const done = page.getByRole('heading', { name: /Ceremony complete/ });
    const dialog = page.getByRole('dialog', { name: /PIN for token/ });
    for (let guard = 0; guard < 6; guard++) {
      await Promise.race([done.waitFor({ timeout: 110_000 }), dialog.waitFor({ timeout: 110_000 })]);
      if (await done.isVisible()) break;
      const title = (await dialog.getByRole('heading', { level: 2 }).innerText()).trim();
      const custodian = CUSTODIANS.find((c) => title.endsWith(`PIN for token “${c.label}”`));
      expect(custodian, title).toBeDefined();
      expect(await dialog.innerText()).toContain(serials[custodian!.label]!);
      asked.push(custodian!.name);
      await dialog.getByLabel('PIN', { exact: true }).pressSequentially(custodian!.pin);
      await dialog.getByRole('button', { name: 'Log in and continue' }).click();
      await dialog.waitFor({ state: 'detached' });
    }
    await done.waitFor();
    // One PIN per custodian for the whole session, however many repositories.
    expect([...asked].sort()).toEqual(CUSTODIANS.map((c) => c.name).sort());
    expect(await page.getByTestId('repos-done').innerText()).toBe('4 of 4 repositories written');
    // Announced at milestones only (review A5): the live region says the end; the per-poll line is not live.
    expect(await page.getByTestId('repos-milestone').textContent()).toBe('All 4 repositories written.');
    expect(await page.getByTestId('repos-milestone').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByTestId('repos-now').getAttribute('aria-live')).toBeNull();
    expect(await page.locator('[aria-live]').filter({ has: page.getByTestId('repos-now') }).count()).toBe(0);
    const where = await page.getByRole('definition').filter({ hasText: 'metadata' }).first().innerText();
    expect(where).toContain(join(out, 'metadata'));
    expect(await page.locator('dl.multi-outputs').innerText()).toContain(join(out, 'state'));
    const checklist = await page.getByRole('list', { name: 'Ceremony checklist' }).getByRole('listitem').allInnerTexts();
    for (const item of checklist) expect(item).toMatch(/done$/i);

    // What the screen says is on disk: every repository's folder verifies; Notary roots carry per-GUN certificates.
    for (const name of [...GUNS, ...TUFS]) {
      const folder = join(out, 'metadata', safeRepositoryName(name));
      expect(await table.locator('tbody tr').filter({ hasText: name }).first().innerText()).toContain(`metadata/${safeRepositoryName(name)}/`);
      const read = (n: string) => new Uint8Array(readFileSync(join(folder, n)));
      const root = read('root.json');
      const notary = GUNS.includes(name);
      const v = verifyRepository(
        { versionedRoots: new Map(), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: notary ? undefined : read('timestamp.json'), delegated: new Map() } as Parameters<typeof verifyRepository>[0],
        { trustedRoot: root, now: new Date() },
      );
      expect(v.root.signed.roles.get('root')!.threshold).toBe(2);
      if (notary) expect(checkNotaryRootCertificates(v.root, new Date(), name)).toBe(name);
    }
    const t = verifyTranscript(readFileSync(join(out, 'state', 'transcript.jsonl')));
    expect(t.sealed).toBe(true);
    expect(t.entries.find((e) => e.step === 'plan.review')!.witnesses.map((w) => w.name)).toEqual(['Dana Witness']);
    expect(t.entries.filter((e) => e.step === 'repository.write')).toHaveLength(4);
    expect(existsSync(join(out, 'state', 'key-inventory.json'))).toBe(true);
    expect(await page.content()).not.toContain(CUSTODIANS[0].pin);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(await axeViolations(page), 'multi-repository ceremony complete').toEqual([]);

    // One repository exported: the Export screen opens with a TUF repository's bundle named after the
    // repository (as `bundle create` names it), not after its percent-encoded folder.
    await page.getByLabel('Repository to export').selectOption(TUFS[0]!);
    await page.getByRole('button', { name: 'Export this repository…' }).click();
    await page.getByRole('heading', { level: 1, name: 'Export a bundle' }).waitFor();
    expect(await page.locator('code.export-repository').innerText()).toBe(TUFS[0]);
    expect(await page.getByRole('main').innerText()).not.toContain(safeRepositoryName(TUFS[0]!));
    expect(errors).toEqual([]);

    // The screen opened again after completion (a reload): the rows arrive after the outputs panel, and the
    // export button follows the repository the select shows (review A5).
    const again = await session.open('root');
    await again.page.getByRole('heading', { name: /Ceremony complete/ }).waitFor();
    const select = again.page.getByLabel('Repository to export');
    await select.locator('option').first().waitFor({ state: 'attached' });
    expect(await select.inputValue()).toBe(GUNS[0]);
    const exportButton = again.page.getByRole('button', { name: 'Export this repository…' });
    expect(await exportButton.isEnabled()).toBe(true);
    await exportButton.click();
    await again.page.getByRole('heading', { level: 1, name: 'Export a bundle' }).waitFor();
    expect(again.errors).toEqual([]);
  });

  test('with shamir: the split key among the shared root keys; stopped after the split, refused without cards, resumed with two typed in; the cards print', async () => {
    out = join(dir, 'out-shamir');
    const names = ['example.com/tuf/split-a', 'example.com/tuf/split-b'];
    const base = planOf(names.map((name) => ({ name, profile: 'tuf' })));
    // Labels of their own: the tokens already hold the first test's keys.
    const plan = {
      ...base,
      custodians: (base.custodians as JsonObject[]).map((c) => ({ ...c, keyLabel: `split-${String(c.keyLabel)}` })),
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'split-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'split-snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'split-timestamp' }, expires: year(1) },
      shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
    } as JsonObject;
    const { planPath, bindingsPath } = writePlan('split', plan);
    let faulted = false;
    faultHook = (p) => {
      if (!faulted && p === `recorded:${names[0]}`) {
        faulted = true;
        throw new CeremonyError('TOKEN_REMOVED', 'the token was pulled (test)');
      }
    };
    try {
      const { page, errors, choose } = await session.open('root');
      await page.getByRole('heading', { level: 1, name: 'Root ceremony' }).waitFor();
      await choose('Plan file…', planPath);
      await choose('Site bindings…', bindingsPath);
      await page.getByText('Bindings: split.bindings.json').waitFor();
      await page.getByRole('button', { name: 'Show the plan' }).click();
      await page.getByTestId('repo-count').filter({ hasText: '2 repositories (0 Notary, 2 TUF)' }).waitFor();
      const shown = await page.getByRole('main').innerText();
      expect(shown).toMatch(/Root threshold\s+2 of 4/i);
      expect(await page.locator('table.shared-keys').innerText()).toMatch(/root\s+software backup key \(ECDSA P-256\), split 2 of 3 into share cards\s+2 of 2/);
      await page.getByRole('checkbox', { name: /The witnesses compared the words/ }).check();
      await page.getByLabel('Witnesses present (one name per line)').fill('Dana Witness');
      await page.getByRole('button', { name: 'Start the ceremony…' }).click();

      const dialog = page.getByRole('dialog', { name: /PIN for token/ });
      /** Answer PIN dialogs until `end` shows. */
      const untilShown = async (end: ReturnType<typeof page.getByRole>) => {
        for (let guard = 0; guard < 6; guard++) {
          await Promise.race([end.waitFor({ timeout: 110_000 }), dialog.waitFor({ timeout: 110_000 })]);
          if (await end.isVisible()) return;
          const title = (await dialog.getByRole('heading', { level: 2 }).innerText()).trim();
          const custodian = CUSTODIANS.find((c) => title.endsWith(`PIN for token “${c.label}”`))!;
          await dialog.getByLabel('PIN', { exact: true }).pressSequentially(custodian.pin);
          await dialog.getByRole('button', { name: 'Log in and continue' }).click();
          // A resume logs in to tokens whose keys exist: the next custodian's dialog may follow at once.
          await expect
            .poll(async () => (await dialog.count()) === 0 || (await dialog.getByRole('heading', { level: 2 }).innerText().catch(() => '')).trim() !== title, { timeout: 60_000 })
            .toBe(true);
        }
        await end.waitFor();
      };
      const cardsHeading = page.getByRole('heading', { name: /Enter 2 of the 3 share cards of split [0-9A-Z]{4}-[0-9A-Z]{4} to resume/ });
      await untilShown(cardsHeading);
      const cardText = (n: number) => readFileSync(join(out, 'secret', `share-card-${n}-of-3.txt`), 'utf8');
      const split = /^split: (\S+)$/m.exec(cardText(1))![1]!;
      expect(await cardsHeading.innerText()).toContain(split);

      // Without cards: refused before any PIN, the card entry still in view.
      await page.getByRole('button', { name: 'Resume without cards' }).click();
      await page.locator('code.code').filter({ hasText: 'CEREMONY_CANNOT_RESUME' }).waitFor();
      await cardsHeading.waitFor();
      expect(await axeViolations(page), 'resume asks for share cards').toEqual([]);

      for (const n of [2, 3]) {
        await page.getByRole('textbox', { name: /Card \d text/ }).fill(cardText(n));
        await page.getByRole('button', { name: 'Add this card' }).click();
      }
      await page.getByRole('status', { name: 'Cards entered' }).filter({ hasText: '2 of 2 cards: enough to rebuild the key' }).waitFor();
      await page.getByRole('button', { name: 'Resume with these cards' }).click();
      const done = page.getByRole('heading', { name: /Ceremony complete/ });
      await untilShown(done);
      expect(await page.getByTestId('repos-done').innerText()).toBe('2 of 2 repositories written');
      // No card's share data on the page.
      const html = await page.content();
      for (const n of [1, 2, 3]) for (const line of cardText(n).split('\n').flatMap((l) => /^\d+: (.{20,})$/.exec(l)?.[1] ?? [])) expect(html).not.toContain(line);

      await page.getByRole('button', { name: 'Print share cards…' }).click();
      await page.getByRole('heading', { name: 'Share cards sent to print' }).waitFor();
      expect(session.printed.at(-1)).toBe(readFileSync(join(out, 'secret', 'share-cards.html'), 'utf8'));
      const t = verifyTranscript(readFileSync(join(out, 'state', 'transcript.jsonl')));
      expect(t.sealed).toBe(true);
      expect(t.entries.filter((e) => e.step === 'shamir.rebuild')).toHaveLength(1);
      expect(errors).toEqual([]);
    } finally {
      faultHook = undefined;
    }
  });

  test('a plan of 1,000 repositories loaded (not run): the count, only the rows in view in the page, scrolled to the last', async () => {
    const repositories = Array.from({ length: 1000 }, (_, i) => ({ name: `example.com/tuf/repo-${String(i).padStart(4, '0')}`, profile: 'tuf' }));
    const { planPath, bindingsPath } = writePlan('thousand', planOf(repositories));
    const { page, errors, choose } = await session.open('root');
    await page.getByRole('heading', { level: 1, name: 'Root ceremony' }).waitFor();
    await choose('Plan file…', planPath);
    await choose('Site bindings…', bindingsPath);
    await page.getByText('Bindings: thousand.bindings.json').waitFor();
    await page.getByRole('button', { name: 'Show the plan' }).click();
    // The screen first shows the session's completed ceremony: wait for the new plan's table.
    await page.getByTestId('repo-count').filter({ hasText: '1000 repositories (0 Notary, 1000 TUF)' }).waitFor();
    expect(await page.getByTestId('repo-count').innerText()).toContain('1000 repositories (0 Notary, 1000 TUF) · no exceptions');
    const body = page.locator('table.repo-table tbody');
    const inDom = await body.locator('tr:not(.repo-spacer)').count();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(60);
    await page.locator('.repo-table-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await body.getByText('example.com/tuf/repo-0999').waitFor();
    // The last repository is row 1001 of 1001 (the header is row 1), wherever the DOM window starts.
    expect(await body.locator('tr').filter({ hasText: 'example.com/tuf/repo-0999' }).getAttribute('aria-rowindex')).toBe('1001');
    expect(await page.getByRole('table', { name: 'Repositories' }).getAttribute('aria-rowcount')).toBe('1001');
    expect(await body.locator('tr:not(.repo-spacer)').count()).toBeLessThan(60);
    expect(await body.getByText('example.com/tuf/repo-0000').count()).toBe(0);
    await page.screenshot({ path: SCREENSHOT_1000 });
    expect(await axeViolations(page), '1,000 repositories loaded').toEqual([]);
    expect(errors).toEqual([]);
  });
});
