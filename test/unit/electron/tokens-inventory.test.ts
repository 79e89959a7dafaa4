/**
 * The Tokens screen's key inventory (issue #17): tokensList with the bytes of a key-inventory.json joins
 * each key on the token with what the inventory says of it (custodian, roles, first expiry); a key the
 * inventory does not know is said to be so; a damaged inventory is refused (INVENTORY_INVALID) before the
 * module is touched, and one over the cap by the payload schema.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { TokenModules, type TokenDeps } from '../../../electron/main/tokens.js';
import { ModuleChoices } from '../../../electron/main/module-choices.js';
import type { GeneratedKeyView, TokenModuleView } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { emptyInventory, INVENTORY_MAX_BYTES, inventoryBytes, recordRepository } from '../../../src/ceremony/inventory.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';
import { call, ok } from '../../support/ipc.js';

const PIN = 'Zq#7-pin-Wx!';
const MODULE_PATH = '/usr/lib/fake/libfake-pkcs11.so';
const MODULE = { chosen: 'c'.repeat(32) };
const modules: TokenModules[] = [];
afterEach(async () => {
  for (const m of modules.splice(0)) await m.finalizeAll();
});

function handlers() {
  const fake = new FakePkcs11([{ label: 'custodian-1', serial: '0001', pin: PIN }]);
  const m = new TokenModules((path, o) => TokenModule.load(path, { ...o, api: fake }));
  modules.push(m);
  const deps: TokenDeps = { modules: m, moduleExists: () => true, platform: 'linux' };
  const moduleChoices = new ModuleChoices({ chooseModuleFile: async () => MODULE_PATH, newId: () => MODULE.chosen });
  moduleChoices.register(MODULE_PATH);
  return createIpcHandlers({ tokens: deps, moduleChoices });
}

const generate = (keyLabel: string) => ({ module: MODULE, token: { serial: '0001', label: 'custodian-1' }, algorithm: 'ecdsa-p256', keyLabel, pin: PIN });

describe('tokensList with a key inventory', () => {
  it('each key shows its custodian and the roles it holds; an unknown key says so', async () => {
    const h = handlers();
    const root = await ok<GeneratedKeyView>(h, CHANNELS.tokensGenerateKey, generate('root-alice'));
    await ok<GeneratedKeyView>(h, CHANNELS.tokensGenerateKey, generate('stray'));
    const now = new Date('2026-12-06T00:00:00Z');
    const inv = emptyInventory(now);
    inv.keys.push({ fingerprint: root.fingerprint.sha256, algorithm: 'ecdsa-p256', origin: 'token', custodian: 'Alice', label: 'root-alice', rehearsal: false, roles: [] });
    for (const name of ['org/a', 'org/b']) {
      recordRepository(inv, { name, profile: 'notary', dir: name, keys: [{ role: 'root', keyId: 'e'.repeat(64), fingerprint: root.fingerprint.sha256, algorithm: 'ecdsa-p256', origin: 'token', certificateExpires: '2036-05-01T00:00:00Z' }], expires: { root: '2036-05-01T00:00:00Z' } }, now);
    }
    const view = await ok<TokenModuleView>(h, CHANNELS.tokensList, { module: MODULE, inventory: inventoryBytes(inv) });
    const keys = view.slots.flatMap((s) => s.token?.keys ?? []);
    const alice = keys.find((k) => k.label === 'root-alice')!;
    expect(alice).toMatchObject({ custodian: 'Alice', firstExpiry: '2036-05-01T00:00:00Z', roles: ['root (notary) in 2 repositories: org/a, org/b; first expiry 2036-05-01T00:00:00Z'] });
    expect(keys.find((k) => k.label === 'stray')).toMatchObject({ roles: [] });
    // Without an inventory, nothing is said of roles.
    const plain = await ok<TokenModuleView>(h, CHANNELS.tokensList, { module: MODULE });
    expect(plain.slots.flatMap((s) => s.token?.keys ?? []).every((k) => k.roles === undefined)).toBe(true);
  });

  it('a damaged inventory is refused with its code and path; an oversized one by the payload schema', async () => {
    const h = handlers();
    const bad = await call<TokenModuleView>(h, CHANNELS.tokensList, { module: MODULE, inventory: new TextEncoder().encode('{"format":"tuf-ceremony-key-inventory","version":1,"updated":"x","keys":[]}') });
    expect(bad).toMatchObject({ ok: false, code: 'INVENTORY_INVALID' });
    const big = await call<TokenModuleView>(h, CHANNELS.tokensList, { module: MODULE, inventory: new Uint8Array(INVENTORY_MAX_BYTES + 1) });
    expect(big.ok).toBe(false);
  });
});
