/**
 * The TokenKeyPicker (renderer/src/rotation/TokenKeyPicker.tsx) and the Co-sign screen's signing steps,
 * driven as a person would, for the Rotation and Co-sign screens' end-to-end tests on SoftHSM2 tokens.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Pick a key on a SoftHSM2 token in a TokenKeyPicker (module, list, the key's radio). */
export async function pickTokenKey(scope: Locator | Page, token: string, keyLabel: string): Promise<void> {
  await scope.getByRole('radio', { name: /SoftHSM2/ }).first().check();
  await scope.getByRole('button', { name: 'List tokens' }).first().click();
  const radio = scope.getByRole('radio', { name: new RegExp(`Token “${token}”.*key “${keyLabel}”`) });
  await radio.waitFor();
  await radio.check();
}

export interface SignOnCosignScreen {
  page: Page;
  /** Page errors collected by the session (must stay empty). */
  errors: readonly string[];
  person: { name: string; label: string; pin: string };
  serial: string;
  /** The key's label on the token. */
  keyLabel: string;
  /** How the check names the key's place: "the targets role", "the old and the new root", … */
  keyIn: string;
  /** Checks on the PIN dialog before the right PIN goes in (its text; a wrong PIN first, …). */
  onDialog?: (dialog: Locator, text: string) => Promise<void>;
  /** The folder responses are written to, and the response file's name. */
  out: string;
  responseName: RegExp;
  screenshot: string;
}

/**
 * The Co-sign screen after the review: confirm the words, pick and check the token key, give the PIN in the
 * dialog, sign. Returns the response file written (exactly one matches `responseName`).
 */
export async function signOnCosignScreen(s: SignOnCosignScreen): Promise<string> {
  const { page, person } = s;
  // No token choice before the words are confirmed.
  expect(await page.getByRole('button', { name: 'List tokens' }).count()).toBe(0);
  await page.getByRole('checkbox', { name: /match the ones the administrator read out/ }).check();
  // The optional witness line (issue #16): recorded in the response.
  await page.getByLabel('Witnesses present (optional, one name per line)').fill('Dana Witness');
  await pickTokenKey(page, person.label, s.keyLabel);
  // The picker lists the keys the request asks for first, each under its signer's name (issue #16).
  const keyRadios = await page.getByRole('radio', { name: /Token “/ }).evaluateAll((els) => els.map((e) => (e.closest('label')?.textContent ?? '').trim()));
  const firstOther = keyRadios.findIndex((n) => !/’s key: /.test(n));
  if (firstOther >= 0) expect(keyRadios.slice(firstOther).some((n) => /’s key: /.test(n)), keyRadios.join('\n')).toBe(false);
  expect(keyRadios.find((n) => n.includes(`Token “${person.label}”`) && n.includes(`key “${s.keyLabel}”`))).toMatch(new RegExp(`^${person.name}’s key: `));
  await page.getByRole('button', { name: 'Check this key' }).click();
  const found = page.getByRole('status').filter({ hasText: `is ${person.name}’s key in ${s.keyIn}.` });
  await found.waitFor();
  expect(await found.innerText()).toContain(s.serial);
  // The words unticked after the check (review D2): the checked key is forgotten, nothing leads to a PIN;
  // ticked again, the key is picked and checked again.
  const words = page.getByRole('checkbox', { name: /match the ones the administrator read out/ });
  const signButton = page.getByRole('button', { name: 'Sign with this key…' });
  expect(await signButton.isEnabled()).toBe(true);
  await words.uncheck();
  await found.waitFor({ state: 'detached' });
  expect(await signButton.count()).toBe(0);
  await words.check();
  await pickTokenKey(page, person.label, s.keyLabel);
  await page.getByRole('button', { name: 'Check this key' }).click();
  await found.waitFor();

  await signButton.click();
  const dialog = page.getByRole('dialog', { name: `PIN for token “${person.label}”` });
  await dialog.waitFor();
  await s.onDialog?.(dialog, await dialog.innerText());
  await dialog.getByLabel('PIN', { exact: true }).pressSequentially(person.pin);
  await dialog.getByRole('button', { name: 'Sign' }).click();
  const done = page.getByRole('status').filter({ hasText: 'Signed: response written' });
  await done.waitFor({ timeout: 60_000 });
  const text = await done.innerText();
  expect(text).toContain(`Signed as ${person.name} on token serial ${s.serial}`);
  expect(text).toContain('Witnesses recorded in the response: Dana Witness.');
  expect(await page.content()).not.toContain(person.pin);
  expect(s.errors).toEqual([]);
  await page.screenshot({ path: s.screenshot, fullPage: true });
  const written = readdirSync(s.out).filter((f) => s.responseName.test(f));
  expect(written).toHaveLength(1);
  expect(text).toContain(written[0]!);
  // The co-sign session transcript beside the response (issue #16), named on screen.
  expect(readdirSync(s.out)).toContain(`${written[0]!}.transcript.jsonl`);
  expect(text).toContain(`${written[0]!}.transcript.jsonl`);
  expect((JSON.parse(readFileSync(join(s.out, written[0]!), 'utf8')) as { witnesses?: string[] }).witnesses).toEqual(['Dana Witness']);
  await page.context().close();
  return join(s.out, written[0]!);
}
