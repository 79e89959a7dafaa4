/**
 * The Import screen's key inventory (issue #17 point 5): main chooses the file (a dialog; the renderer
 * names no path), every install — a single bundle or a whole trust-bundle-set — is recorded in it exactly
 * as `import --inventory` records it, after the install and only then; a refused install or an inventory
 * this tool would not write leaves both the trust directory and the inventory as they were.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession, type ImportDeps } from '../../../electron/main/transport-import.js';
import type { ImportInstalledView, ImportSessionView, ImportSetInstalledView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { emptyInventory, INVENTORY_MAX_REPOSITORIES, inventoryBytes, parseInventory } from '../../../src/ceremony/inventory.js';
import { canMount, withReadOnly } from '../../support/fs-faults.js';
import { hereLockFields } from '../../support/lock-owner.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const nameOf = (i: number): string => `registry.example.com/org/inv-app-${i}`;
const file = (name: string, bytes: Uint8Array) => ({ name, bytes });

let repos: BuiltRepo[];
let set: Uint8Array;
let single: Uint8Array;
let pins: Record<string, string>;

beforeAll(async () => {
  repos = [];
  for (let i = 0; i < 3; i++) repos.push(await buildRepo('notary', { gun: nameOf(i) }));
  set = encodeRepositorySet(
    repos.slice(0, 2).map((r, i) => encodeBundle(bundleContent(r, nameOf(i)))),
    { name: 'two apps', created: new Date() },
  );
  single = encodeBundle(bundleContent(repos[2]!, nameOf(2)));
  pins = Object.fromEntries(repos.map((r, i) => [nameOf(i), sha(r.roots[0]!)]));
}, 120_000);

function setup(inventory: string, over: Partial<ImportDeps> = {}) {
  const work = tmp('tufc-import-inv-ipc-');
  const trust = join(work, 'trust');
  mkdirSync(trust);
  const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps({ chooseTrustDir: async () => trust, chooseInventory: async () => inventory, ...over })) });
  async function call<T>(channel: string, payload?: unknown): Promise<T> {
    const r = (await h[channel as keyof typeof h](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r.value;
  }
  return { work, trust, h, call };
}

describe('import session over IPC: the key inventory', () => {
  it('records a set and then a single bundle in the chosen inventory, each after its install', async () => {
    const dir = tmp('tufc-import-inv-');
    const inventory = join(dir, 'key-inventory.json');
    const { call } = setup(inventory);
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    const s = await call<ImportSessionView>(CHANNELS.importChooseInventory, { clear: false });
    expect(s.inventory).toBe(inventory);
    await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
    // The preview writes nothing, the inventory included.
    await call(CHANNELS.importPreview, { bundle: file('apps.tufbundle', set) });
    expect(existsSync(inventory)).toBe(false);
    const installed = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('apps.tufbundle', set) });
    expect(installed.inventory).toBe(inventory);
    let inv = parseInventory(readFileSync(inventory));
    expect(inv.repositories.map((r) => [r.repository, r.root.version, r.root.sha256])).toEqual([0, 1].map((i) => [nameOf(i), 1, sha(repos[i]!.roots[0]!)]));
    const one = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    expect(one.inventory).toBe(inventory);
    inv = parseInventory(readFileSync(inventory));
    expect(inv.repositories.map((r) => r.repository)).toEqual([nameOf(0), nameOf(1), nameOf(2)]);
    // Every repository's root keys hold root there (one fingerprint per key, whatever its certificate).
    expect(inv.keys.filter((k) => k.roles.some((x) => x.role === 'root')).every((k) => k.roles.filter((x) => x.role === 'root').every((x) => x.certificateExpires))).toBe(true);
    // Cleared: the next install records nothing.
    const cleared = await call<ImportSessionView>(CHANNELS.importChooseInventory, { clear: true });
    expect(cleared.inventory).toBeUndefined();
    const before = readFileSync(inventory);
    const again = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    expect(again.inventory).toBeUndefined();
    expect(Buffer.from(readFileSync(inventory)).equals(before)).toBe(true);
  }, 120_000);

  it('a stale inventory lock a dead process of this host left is taken over, and the installed view says so (a notice, as the CLI’s note:)', async () => {
    const dir = tmp('tufc-import-inv-stale-');
    const inventory = join(dir, 'key-inventory.json');
    const { call } = setup(inventory);
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    await call(CHANNELS.importChooseInventory, { clear: false });
    await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
    const plant = (): number => {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      writeFileSync(`${inventory}.lock`, `${JSON.stringify({ created: '2026-12-01T00:00:00.000Z', ...hereLockFields(), pid: dead, token: 'theirs' })}\n`);
      return dead;
    };
    let dead = plant();
    const installed = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('apps.tufbundle', set) });
    expect(installed.inventory).toBe(inventory);
    expect(installed.inventoryBrokeStaleLock).toBe(`took over the key inventory's lock ${inventory}.lock, left by process ${dead} on ${hostname()}, taken at 2026-12-01T00:00:00.000Z, which is no longer running`);
    expect(existsSync(`${inventory}.lock`)).toBe(false);
    dead = plant();
    const one = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    expect(one.inventoryBrokeStaleLock).toContain(`left by process ${dead} on ${hostname()}`);
    expect(parseInventory(readFileSync(inventory)).repositories.map((r) => r.repository)).toEqual([nameOf(0), nameOf(1), nameOf(2)]);
    // No lock met: no notice.
    const again = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
    expect(again.inventoryBrokeStaleLock).toBeUndefined();
  }, 120_000);

  it('a refused install, or an inventory this tool would not write, changes neither the trust directory nor the inventory', async () => {
    const dir = tmp('tufc-import-inv-bad-');
    const inventory = join(dir, 'key-inventory.json');
    const text = JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-01T00:00:00Z', keys: [{ fingerprint: 'zz' }] });
    writeFileSync(inventory, text);
    const { work, h, call } = setup(inventory);
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    await call(CHANNELS.importChooseInventory, { clear: false });
    await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
    const before = treeHash(work);
    const r = (await h[CHANNELS.importInstall]({ bundle: file('apps.tufbundle', set) })) as IpcResult<unknown>;
    expect(r).toMatchObject({ ok: false, code: 'INVENTORY_INVALID' });
    expect(treeHash(work)).toBe(before);
    expect(readFileSync(inventory, 'utf8')).toBe(text);
    // A good inventory, a set refused (no pins, nothing installed): the inventory byte-identical.
    const good = enc.encode(JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-01T00:00:00Z', repositories: [], keys: [] }));
    writeFileSync(inventory, good);
    await call(CHANNELS.importSetPin, {});
    const refused = (await h[CHANNELS.importInstall]({ bundle: file('apps.tufbundle', set) })) as IpcResult<unknown>;
    expect(refused).toMatchObject({ ok: false, code: 'IMPORT_PIN_NOT_FOUND' });
    expect(Buffer.from(readFileSync(inventory)).equals(Buffer.from(good))).toBe(true);
  }, 120_000);

  for (const form of ['single', 'set'] as const) {
    it(`${form}: an inventory the install would take over its limits refuses it, INVENTORY_TOO_LARGE, nothing installed (review 13a M1)`, async () => {
      const dir = tmp('tufc-import-inv-full-');
      const inventory = join(dir, 'key-inventory.json');
      const full = emptyInventory(new Date('2026-12-01T00:00:00Z'));
      for (let i = 0; i < INVENTORY_MAX_REPOSITORIES; i++) full.repositories.push({ repository: `filler.example.com/r/${i}`, profile: 'notary', root: { version: 1, sha256: i.toString(16).padStart(64, '0') } });
      const bytes = inventoryBytes(full);
      writeFileSync(inventory, bytes);
      const { trust, h, call } = setup(inventory);
      await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
      await call(CHANNELS.importChooseInventory, { clear: false });
      if (form === 'set') await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
      else await call(CHANNELS.importSetPin, { rootFile: file('1.root.json', repos[2]!.roots[0]!) });
      const before = treeHash(trust);
      const r = (await h[CHANNELS.importInstall]({ bundle: form === 'set' ? file('apps.tufbundle', set) : file('app.tufbundle', single) })) as IpcResult<unknown>;
      expect(r).toMatchObject({ ok: false, code: 'INVENTORY_TOO_LARGE', path: '$.repositories' });
      if (r.ok) return;
      const what = form === 'set' ? 'this set' : 'this repository';
      expect(r.message).toContain(form === 'set' ? 'nothing of the set was installed' : 'nothing was installed');
      expect(r.message).toContain(`The inventory is full: installing ${what} again with it would be refused the same way. Choose another key inventory file`);
      expect(r.message).not.toMatch(/install (it|the set) again\)/);
      expect(treeHash(trust)).toBe(before);
      expect(existsSync(join(trust, 'tuf'))).toBe(false);
      expect(Buffer.from(readFileSync(inventory)).equals(Buffer.from(bytes))).toBe(true);
      expect(existsSync(`${inventory}.lock`)).toBe(false);
    }, 120_000);
  }

  // Review B2 M1: the inventory update fails AFTER the install. The install is not a refusal: the trust
  // directory holds the new root, the transcript says installed, the view carries the inventory's failure.
  const afterInstall = [
    { fault: 'changed by another writer', code: 'INVENTORY_CHANGED', mount: false },
    { fault: 'a read-only inventory folder', code: 'READ_ONLY', mount: true },
  ] as const;
  for (const form of ['single', 'set'] as const) {
    for (const row of afterInstall) {
      it.skipIf(row.mount && !canMount())(`${form}: the inventory ${row.fault} after the install → installed, transcript says installed, ${row.code} as a warning`, async () => {
        const dir = tmp('tufc-import-inv-after-');
        const invDir = join(dir, 'inv');
        mkdirSync(invDir);
        const inventory = join(invDir, 'key-inventory.json');
        const start = enc.encode(JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-01T00:00:00Z', repositories: [], keys: [] }));
        writeFileSync(inventory, start);
        const other = enc.encode(JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: '2026-12-02T00:00:00Z', repositories: [], keys: [] }));
        const outcomes: string[] = [];
        const base = defaultImportDeps({ chooseTrustDir: async () => undefined });
        // The hook runs between the install and the inventory update (the transcript is written first).
        const { trust, h, call } = setup(inventory, {
          recordImportSession: async (...a) => {
            outcomes.push(Object.keys(a[2])[0]!);
            if (row.code === 'INVENTORY_CHANGED') writeFileSync(inventory, other);
            return base.recordImportSession(...a);
          },
        });
        await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
        await call(CHANNELS.importChooseInventory, { clear: false });
        if (form === 'set') await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
        else await call(CHANNELS.importSetPin, { rootFile: file('1.root.json', repos[2]!.roots[0]!) });
        const install = async () => (await h[CHANNELS.importInstall]({ bundle: form === 'set' ? file('apps.tufbundle', set) : file('app.tufbundle', single) })) as IpcResult<ImportInstalledView | ImportSetInstalledView>;
        const r = row.mount ? await withReadOnly(invDir, install) : await install();
        if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
        expect(r.value.inventoryError).toMatchObject({ code: row.code });
        expect(r.value.inventory).toBeUndefined();
        expect(outcomes).toEqual([form]);
        const transcript = readFileSync(r.value.transcript!, 'utf8');
        expect(transcript).not.toMatch(/refused/);
        expect(transcript).toContain('"step":"import.install"');
        const end = JSON.parse(transcript.trim().split('\n').at(-1)!) as { step: string; note: string };
        expect(end.step).toBe('session.end');
        expect(end.note).toMatch(/^installed/);
        // The trust directory holds the new roots.
        for (const i of form === 'set' ? [0, 1] : [2]) {
          expect(Buffer.from(readFileSync(join(trust, 'tuf', nameOf(i), 'metadata', 'root.json'))).equals(Buffer.from(repos[i]!.roots.at(-1)!))).toBe(true);
        }
        // The inventory holds what the other writer (or nobody) left: never this install's update.
        expect(Buffer.from(readFileSync(inventory)).equals(Buffer.from(row.code === 'INVENTORY_CHANGED' ? other : start))).toBe(true);
      }, 120_000);
    }
  }

  it('the request is checked: clear must be a boolean, nothing else', async () => {
    const { h } = setup(join(tmpdir(), 'never.json'));
    for (const payload of [{}, { clear: 'yes' }, { clear: false, path: '/etc/passwd' }]) {
      const r = (await h[CHANNELS.importChooseInventory](payload)) as IpcResult<unknown>;
      expect(r.ok, JSON.stringify(payload)).toBe(false);
    }
  });
});
