/**
 * The TokenKeyPicker (renderer/src/rotation/TokenKeyPicker.tsx) driven as a person would, for the Rotation
 * and Co-sign screens' end-to-end tests on SoftHSM2 tokens.
 */
import type { Locator, Page } from 'playwright-core';

/** Pick a key on a SoftHSM2 token in a TokenKeyPicker (module, list, the key's radio). */
export async function pickTokenKey(scope: Locator | Page, token: string, keyLabel: string): Promise<void> {
  await scope.getByRole('radio', { name: /SoftHSM2/ }).first().check();
  await scope.getByRole('button', { name: 'List tokens' }).first().click();
  const radio = scope.getByRole('radio', { name: new RegExp(`Token “${token}”.*key “${keyLabel}”`) });
  await radio.waitFor();
  await radio.check();
}
