/**
 * The Import screen's install removes leftovers of killed commands beside the import lock and the key
 * inventory's lock (src/trust-store/lock.ts sweepAsideLeftovers), as `tuf-ceremony import` does: said,
 * never silent. Each removal is a sentence in the installed view (`removedLockLeftovers`, as the CLI's
 * `note:` lines and --json field) and — when the install is then refused — in the refusal itself, so the
 * refusal does not hide that files went. The views reach the screen through the real IPC gate
 * (ipc-register.ts guardHandler: displaySafeValue), which escapes a hiding character in them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { guardHandler, type SenderEvent } from '../../../electron/main/ipc-register.js';
import { defaultImportDeps, ImportSession, type ImportDeps } from '../../../electron/main/transport-import.js';
import { importRepository } from '../../../src/trust-store/install.js';
import type { ImportInstalledView, ImportSetInstalledView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { inventoryLockPath } from '../../../src/io/inventory-file.js';
import { trustFolder } from '../../../src/trust-store/install.js';
import { IMPORT_LOCK_NAME, importLockPath } from '../../../src/trust-store/lock.js';
import { deadPid, hereLockFields } from '../../support/lock-owner.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const gun = (i: number): string => `registry.example.com/org/app-leftover-${i}`;
const file = (name: string, bytes: Uint8Array) => ({ name, bytes });
const APP_URL = pathToFileURL(join('/opt/app/dist/renderer', 'index.html')).href;
const top: SenderEvent = { senderFrame: { url: APP_URL, parent: null } };
const TOKEN = 'f'.repeat(32);

let repos: BuiltRepo[];
let single: Uint8Array;
let set: Uint8Array;

beforeAll(async () => {
  repos = [];
  for (let i = 0; i < 2; i++) repos.push(await buildRepo('notary', { gun: gun(i) }));
  single = encodeBundle(bundleContent(repos[0]!, gun(0)));
  set = encodeRepositorySet(
    repos.map((r, i) => encodeBundle(bundleContent(r, gun(i)))),
    { name: 'two apps', created: new Date() },
  );
}, 120_000);

/** A `<lock>.stale-…` file a command killed mid-rename left beside `lock`: its owner `pid` is gone. */
function plantAside(lock: string, pid: number, created: string, n: string): { path: string; sentence: string } {
  const path = `${lock}.stale-${n.repeat(32)}`;
  writeFileSync(path, JSON.stringify({ created, ...hereLockFields(), pid, token: TOKEN }));
  return { path, sentence: `removed ${path}, a copy of the lock ${lock} set aside by a command killed before it removed it (process ${pid} on ${hereLockFields().host}, taken at ${created}, which is no longer running)` };
}

/** An import session behind the real IPC gate (guardHandler: the sender check, then displaySafeValue). */
function setup(folderName = 'trust', over: Partial<ImportDeps> = {}) {
  const work = tmp('tufc-import-leftovers-');
  const trust = join(work, folderName);
  mkdirSync(trust);
  const inventory = join(work, 'inventory.json');
  const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps({ chooseTrustDir: async () => trust, chooseInventory: async () => inventory, ...over })) });
  const call = async <T>(channel: ChannelName, payload?: unknown) => (await guardHandler(channel, h[channel], APP_URL)(top, payload)) as IpcResult<T>;
  return { work, trust, inventory, call };
}

describe('Import screen: leftovers of killed commands removed beside the locks are said', () => {
  it('a single install: each removed file is a sentence in the installed view, the inventory lock’s too; none when nothing was removed', async () => {
    const { trust, inventory, call } = setup();
    expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
    expect((await call(CHANNELS.importSetPin, { rootFile: file('root.json', repos[0]!.roots[0]!) })).ok).toBe(true);
    expect((await call(CHANNELS.importChooseInventory, { clear: false })).ok).toBe(true);
    const pid = deadPid();
    const lock = importLockPath(trust, 'notary');
    const aside = plantAside(lock, pid, '2026-11-25T09:00:00.000Z', '1');
    // The inventory does not exist yet: its lock's leftover sits beside where it will be written.
    const invAside = plantAside(inventoryLockPath(inventory), pid, '2026-11-25T09:10:00.000Z', '2');

    const r = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.value.removedLockLeftovers).toEqual([aside.sentence, invAside.sentence]);
    expect(r.value.inventory).toBe(inventory);
    expect(existsSync(aside.path)).toBe(false);
    expect(existsSync(invAside.path)).toBe(false);
    expect(existsSync(join(trustFolder(trust, 'notary', gun(0)), 'root.json'))).toBe(true);
    // Who and when, never the dead owner's token.
    expect(JSON.stringify(r.value)).not.toContain(TOKEN);

    // Nothing left to remove: no field.
    const again = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    if (!again.ok) throw new Error(`${again.code}: ${again.message}`);
    expect(again.value).not.toHaveProperty('removedLockLeftovers');
  });

  it('the inventory update fails after its lock removed a leftover: installed, the inventory warning shown, and the removal still said', async () => {
    // Another writer changes the inventory while the install runs (after it was read): INVENTORY_CHANGED.
    let changeInventory = false;
    let inventoryPath = '';
    const { inventory, call } = setup('trust', {
      importRepository: async (input, opts) => {
        if (changeInventory) writeFileSync(inventoryPath, readFileSync(inventoryPath, 'utf8').replace(/\n?$/, '\n\n'));
        return importRepository(input, opts);
      },
    });
    inventoryPath = inventory;
    expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
    expect((await call(CHANNELS.importSetPin, { rootFile: file('root.json', repos[0]!.roots[0]!) })).ok).toBe(true);
    expect((await call(CHANNELS.importChooseInventory, { clear: false })).ok).toBe(true);
    const first = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    if (!first.ok) throw new Error(`${first.code}: ${first.message}`);
    expect(existsSync(inventory)).toBe(true);
    changeInventory = true;
    const invAside = plantAside(inventoryLockPath(inventory), deadPid(), '2026-11-25T09:20:00.000Z', '4');
    const r = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.value.inventoryError?.code).toBe('INVENTORY_CHANGED');
    expect(existsSync(invAside.path)).toBe(false);
    expect(r.value.removedLockLeftovers).toEqual([invAside.sentence]);
  });

  it('a refused install still says what its lock sweep removed: the sentences ride on the refusal; nothing installed', async () => {
    const { work, trust, call } = setup();
    expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
    // A pin the bundle's root does not match: refused by verification, which runs under the lock.
    expect((await call(CHANNELS.importSetPin, { fingerprint: 'a'.repeat(64) })).ok).toBe(true);
    const aside = plantAside(importLockPath(trust, 'notary'), deadPid(), '2026-11-25T09:00:00.000Z', '3');
    const r = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    if (r.ok) throw new Error('installed against a pin it does not match');
    expect(r.code).toBe('IMPORT_PIN_NOT_FOUND');
    expect(r.removedLockLeftovers).toEqual([aside.sentence]);
    expect(existsSync(aside.path)).toBe(false);
    expect(existsSync(trustFolder(trust, 'notary', gun(0)))).toBe(false);
    // A refusal that removed nothing carries no field.
    const before = treeHash(work);
    const quiet = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    expect(quiet).toMatchObject({ ok: false, code: 'IMPORT_PIN_NOT_FOUND' });
    expect(quiet).not.toHaveProperty('removedLockLeftovers');
    // The refusal that carried the sentences is that same refusal: its words and path unchanged.
    if (quiet.ok) throw new Error('installed against a pin it does not match');
    expect([r.message, r.path]).toEqual([quiet.message, quiet.path]);
    expect(treeHash(work)).toBe(before);
  });

  it('a set: installed or refused, the removed leftovers are said', async () => {
    const { trust, call } = setup();
    expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
    const lock = importLockPath(trust, 'notary');
    // Refused first: one repository pinned to a root it does not have.
    const wrong = { [gun(0)]: sha(repos[0]!.roots[0]!), [gun(1)]: 'b'.repeat(64) };
    expect((await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(wrong))) })).ok).toBe(true);
    const first = plantAside(lock, deadPid(), '2026-11-25T09:00:00.000Z', '4');
    const refused = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('apps.tufbundle', set) });
    if (refused.ok) throw new Error('a set installed against a wrong pin');
    expect(refused.removedLockLeftovers).toEqual([first.sentence]);
    expect(existsSync(join(trust, 'tuf'))).toBe(false);

    const pins = Object.fromEntries(repos.map((r, i) => [gun(i), sha(r.roots[0]!)]));
    expect((await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) })).ok).toBe(true);
    const second = plantAside(lock, deadPid(), '2026-11-25T09:20:00.000Z', '5');
    const r = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('apps.tufbundle', set) });
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.value.set.repositories).toHaveLength(2);
    expect(r.value.removedLockLeftovers).toEqual([second.sentence]);
    expect(readdirSync(trust).filter((n) => n.startsWith(IMPORT_LOCK_NAME))).toEqual([]);
  });

  it('the sentences pass the IPC gate’s display rule: a hiding character in the trust directory’s name arrives escaped', async () => {
    const { trust, call } = setup('trust\u200b');
    expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
    expect((await call(CHANNELS.importSetPin, { rootFile: file('root.json', repos[0]!.roots[0]!) })).ok).toBe(true);
    plantAside(importLockPath(trust, 'notary'), deadPid(), '2026-11-25T09:00:00.000Z', '6');
    const r = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    const [line] = r.value.removedLockLeftovers ?? [];
    expect(line).toContain('trust\\u200b');
    expect(line).not.toContain('\u200b');
  });
});
