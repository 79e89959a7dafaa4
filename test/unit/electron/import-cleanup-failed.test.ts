/**
 * The Import screen's install when a step after the swap's rename fails (IMPORT_INSTALLED_CLEANUP_FAILED):
 * the new tree IS installed, so main reports and records it as the install it is, as `import` on the
 * command line does (test/unit/cli/import-cleanup-failed.test.ts): the session transcript records the
 * install with an `import.cleanup-failed` entry (never "refused … nothing was installed"), the key
 * inventory is updated exactly as after a clean install, and the result carries the swap's words and the
 * names it left beside the trust folder as a warning, for the screen to show beside "Installed".
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import type { ImportInstalledView, ImportSetInstalledView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { recordImportSession } from '../../../src/io/import-session-file.js';
import { nodeTrustDirFs, type TrustDirFs } from '../../../src/io/trust-dir.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet } from '../../../src/trust-store/install-set.js';
import { faultyTrustDirFs } from '../../support/fs-faults.js';
import { bundleContent } from '../../support/trust-tree.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const gun = (i: number): string => `registry.example.com/org/app-cleanup-${i}`;
// One clock for both runs, so their inventories can be compared whole.
const NOW = new Date();
let repos: BuiltRepo[];

beforeAll(async () => {
  repos = [];
  for (let i = 0; i < 3; i++) repos.push(await buildRepo('notary', { gun: gun(i) }));
}, 120_000);

/** The set-aside folder cannot be removed (EACCES): the swap's step after the rename fails. */
const faulty = (): TrustDirFs => faultyTrustDirFs(nodeTrustDirFs(), (op, p) => (op === 'removeTree' && p.includes('.tuf-ceremony-previous-') ? 'EACCES' : undefined));

/**
 * A session installing `bundle` twice into a fresh trust folder: first cleanly (nothing to set aside, no
 * inventory), then — with the inventory chosen — once more, with the fault when `fault` is set.
 */
async function installTwice(bundle: { name: string; bytes: Uint8Array }, fault: boolean) {
  const work = tmp('tufc-import-cleanup-ipc-');
  const trust = join(work, 'trust');
  mkdirSync(trust);
  const inventory = join(work, 'inventory.json');
  let faultOn = false;
  const transcripts: string[] = [];
  const h = createIpcHandlers({
    importSession: new ImportSession(
      defaultImportDeps({
        chooseTrustDir: async () => trust,
        chooseInventory: async () => inventory,
        now: () => NOW,
        importRepository: (source, options) => importRepository(source, faultOn ? { ...options, trustDirFs: faulty() } : options),
        importRepositorySet: (set, options) => importRepositorySet(set, faultOn ? { ...options, trustDirFs: faulty() } : options),
        recordImportSession: async (...a) => {
          const record = await recordImportSession(...a);
          if ('path' in record) transcripts.push(record.path);
          return record;
        },
      }),
    ),
  });
  const call = async (channel: string, payload?: unknown) => (await h[channel as keyof typeof h](payload)) as IpcResult<unknown>;
  expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
  const pins = Object.fromEntries(repos.map((r, i) => [gun(i), sha(r.roots[0]!)]));
  expect((await call(CHANNELS.importSetPin, { pinsFile: { name: 'pins.json', bytes: enc.encode(JSON.stringify(pins)) } })).ok).toBe(true);
  expect(await call(CHANNELS.importInstall, { bundle })).toMatchObject({ ok: true });
  expect((await call(CHANNELS.importChooseInventory, { clear: false })).ok).toBe(true);
  faultOn = fault;
  const r = await call(CHANNELS.importInstall, { bundle });
  return { r, transcripts, inventory: readFileSync(inventory, 'utf8') };
}

function expectTranscriptSaysInstalled(path: string) {
  const text = readFileSync(path, 'utf8');
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { step?: string; note?: string });
  expect(lines.map((l) => l.step)).toContain('import.install');
  expect(lines.at(-2)!.step).toBe('import.cleanup-failed');
  expect(lines.at(-1)!.note).toMatch(/^installed: .*\[IMPORT_INSTALLED_CLEANUP_FAILED\]/);
  expect(text).not.toMatch(/refused|nothing was installed/);
}

describe('import session over IPC: installed, then a step after the swap failed', () => {
  it('a single bundle: reported installed with the warning and what is left; transcript and inventory as after a clean install', async () => {
    const bundle = { name: 'app.tufbundle', bytes: encodeBundle(bundleContent(repos[0]!, gun(0))) };
    const clean = await installTwice(bundle, false);
    const failed = await installTwice(bundle, true);
    expect(failed.r.ok).toBe(true);
    if (!failed.r.ok || !clean.r.ok) return;
    const view = failed.r.value as ImportInstalledView;
    expect(view.repository).toBe(gun(0));
    expect(view.cleanupFailed?.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
    expect(view.cleanupFailed?.message).toContain('IS installed');
    // The folder it replaced, then the journal: each named, in the order to remove them.
    expect(view.cleanupFailed?.leftBeside.map((p) => basename(p).replace(/-[0-9a-f]{32}$/, ''))).toEqual(['.metadata.tuf-ceremony-previous', '.metadata.tuf-ceremony-swap']);
    for (const p of view.cleanupFailed!.leftBeside) expect(view.cleanupFailed!.message).toContain(p);
    expect((clean.r.value as ImportInstalledView).cleanupFailed).toBeUndefined();
    // The inventory is updated exactly as after the clean install.
    expect(view.inventory).toBeDefined();
    expect(view.inventoryError).toBeUndefined();
    expect(JSON.parse(failed.inventory)).toEqual(JSON.parse(clean.inventory));
    expect(failed.inventory).toContain(gun(0));
    expect(failed.transcripts).toHaveLength(2);
    expect(view.transcript).toBe(failed.transcripts[1]);
    expectTranscriptSaysInstalled(failed.transcripts[1]!);
  }, 120_000);

  it('a trust-bundle-set: the same', async () => {
    const set = encodeRepositorySet(
      repos.slice(1).map((r, i) => encodeBundle(bundleContent(r, gun(i + 1)))),
      { name: 'two', created: NOW },
    );
    const bundle = { name: 'two.tufbundle', bytes: set };
    const clean = await installTwice(bundle, false);
    const failed = await installTwice(bundle, true);
    expect(failed.r.ok).toBe(true);
    if (!failed.r.ok || !clean.r.ok) return;
    const view = failed.r.value as ImportSetInstalledView;
    expect(view.set.repositories.map((r) => r.repository)).toEqual([gun(1), gun(2)]);
    expect(view.cleanupFailed?.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
    expect(view.cleanupFailed?.leftBeside.map((p) => basename(p).replace(/-[0-9a-f]{32}$/, ''))).toEqual(['.tuf.tuf-ceremony-previous', '.tuf.tuf-ceremony-swap']);
    expect(view.inventoryError).toBeUndefined();
    expect(JSON.parse(failed.inventory)).toEqual(JSON.parse(clean.inventory));
    expect(failed.transcripts).toHaveLength(2);
    expectTranscriptSaysInstalled(failed.transcripts[1]!);
  }, 120_000);
});
