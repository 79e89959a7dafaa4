/**
 * The export channels through createIpcHandlers (electron/main/transport-export.ts behind the schemas):
 * payloads that fail the schema are refused with IPC_INVALID and the field's path; the folder is main's
 * (a cancelled dialog writes nothing); a name that exists is refused and a fresh one proposed; a refused
 * preparation forgets the previous bundle; QR windows are served for the prepared bundle only.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultExportDeps, ExportSession } from '../../../electron/main/transport-export.js';
import type { ExportDestinationView, ExportPreparedView, ExportQrFramesView, ExportWrittenView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { decodeBundle } from '../../../src/bundle/format.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';

let tuf: BuiltRepo;
let usb: string;
let chosen: string | undefined;

function folderFiles(r: BuiltRepo) {
  return [
    { name: 'root.json', bytes: r.roots[0]! },
    { name: 'targets.json', bytes: r.targets },
    { name: 'snapshot.json', bytes: r.snapshot },
    { name: 'timestamp.json', bytes: r.timestamp },
    { name: `${r.delegationName}.json`, bytes: r.delegated },
  ];
}

function handlers() {
  return createIpcHandlers({ exportSession: new ExportSession(defaultExportDeps({ chooseExportDir: async () => chosen })) });
}

async function ok<T>(p: Promise<IpcResult<unknown>>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r.value as T;
}

beforeAll(async () => {
  tuf = await buildRepo('tuf');
  usb = mkdtempSync(join(tmpdir(), 'tufc-export-ipc-'));
});

afterAll(() => rmSync(usb, { recursive: true, force: true }));

describe('export channels', () => {
  it.each([
    [CHANNELS.exportPrepareFolder, { files: [] }, '$.files'],
    [CHANNELS.exportPrepareFolder, { files: [{ name: '../root.json', bytes: new Uint8Array(2) }] }, '$.files[0].name'],
    [CHANNELS.exportPrepareFolder, { files: [{ name: 'root.json', bytes: new Uint8Array(2) }], source: 'a/b' }, '$.source'],
    [CHANNELS.exportPrepareFolder, { files: [{ name: 'root.json', bytes: new Uint8Array(2) }], extra: 1 }, '$.extra'],
    [CHANNELS.exportPrepareBundle, { file: { name: 'b.tufbundle', bytes: 'text' } }, '$.file.bytes'],
    [CHANNELS.exportDestination, { choose: 'yes' }, '$.choose'],
    [CHANNELS.exportDestination, undefined, '$'],
    [CHANNELS.exportWrite, { fileName: '../x.tufbundle' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'dir/x.tufbundle' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: '.hidden' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: '/etc/passwd' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'autorun.inf' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'x.desktop' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'x.tufbundle.sh' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: '.tufbundle' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'x.TUFBUNDLE' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'a\\b.tufbundle' }, '$.fileName'],
    [CHANNELS.exportWrite, { fileName: 'C:x.tufbundle' }, '$.fileName'],
    [CHANNELS.exportQrFrames, { first: -1, count: 10 }, '$.first'],
    [CHANNELS.exportQrFrames, { first: 0, count: 121 }, '$.count'],
    [CHANNELS.exportQrFrames, { first: 0.5, count: 10 }, '$.first'],
    [CHANNELS.exportFullScreen, { on: 1 }, '$.on'],
  ])('%s refuses %j at %s', async (channel, payload, path) => {
    expect(await handlers()[channel](payload)).toMatchObject({ ok: false, code: 'IPC_INVALID', path });
  });

  it.each([
    ['autorun.inf:x.tufbundle', '":"'],
    ['x.tufbundle:Zone.Identifier.tufbundle', '":"'],
    ...['<', '>', '"', '|', '?', '*'].map((c) => [`a${c}b.tufbundle`, 'refused by Windows']),
    ['x.tufbundle.', 'dot or a space'],
    ['x.tufbundle ', 'dot or a space'],
    ...['CON', 'prn', 'Aux', 'nul', 'COM1', 'com9', 'COM¹', 'LPT1', 'lpt9', 'LPT³', 'CON .x', 'nul.tar'].map((d) => [`${d}.tufbundle`, 'Windows device name']),
  ])('export file name %j refused (IPC_INVALID, %s)', async (fileName, why) => {
    const r = await handlers()[CHANNELS.exportWrite]({ fileName });
    expect(r).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.fileName' });
    expect(!r.ok && r.message).toContain(why);
  });

  it('names that only look like device names pass the schema (then USAGE: nothing prepared)', async () => {
    for (const fileName of ['console.tufbundle', 'COM10.tufbundle', 'LPT0.tufbundle', 'auxiliary.tufbundle', 'con-repo.tufbundle', 'my repo 2026-11-25.tufbundle']) {
      expect(await handlers()[CHANNELS.exportWrite]({ fileName }), fileName).toMatchObject({ ok: false, code: 'USAGE' });
    }
  });

  it('nothing prepared: destination, write and frames are refused (USAGE)', async () => {
    const h = handlers();
    expect(await h[CHANNELS.exportDestination]({ choose: true })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.exportWrite]({ fileName: 'a.tufbundle' })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.exportQrFrames]({ first: 0, count: 1 })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.exportFullScreen]({ on: true })).toMatchObject({ ok: false, code: 'USAGE' });
    // Leaving full screen is always allowed (the default deps have no window: false).
    expect(await h[CHANNELS.exportFullScreen]({ on: false })).toEqual({ ok: true, value: { fullScreen: false } });
  });

  it('prepare → folder (main chooses) → write → a fresh name for the next; a cancelled dialog writes nothing', async () => {
    const h = handlers();
    const view = await ok<ExportPreparedView>(h[CHANNELS.exportPrepareFolder]({ files: folderFiles(tuf), source: 'metadata' }));
    expect(view).toMatchObject({ kind: 'trust-bundle', profile: 'tuf', repository: 'metadata', from: 'folder' });
    expect(view.files.map((f) => f.name)).toEqual(['releases.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    expect(view.hash.words).toHaveLength(16);
    expect(view.qr).toMatchObject({ available: true, fragmentLength: expect.any(Number) });

    chosen = undefined;
    expect(await h[CHANNELS.exportDestination]({ choose: true })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.exportWrite]({ fileName: view.suggestedName })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(readdirSync(usb)).toEqual([]);

    chosen = usb;
    const dest = await ok<ExportDestinationView>(h[CHANNELS.exportDestination]({ choose: true }));
    expect(dest).toEqual({ folder: usb, suggestedName: view.suggestedName, proposedName: view.suggestedName, suggestedTaken: false });
    const w = await ok<ExportWrittenView>(h[CHANNELS.exportWrite]({ fileName: dest.proposedName }));
    expect(w.path).toBe(join(usb, view.suggestedName));
    expect(w.hash.sha256).toBe(view.hash.sha256);
    expect(decodeBundle(new Uint8Array(readFileSync(w.path))).hash.sha256).toBe(view.hash.sha256);

    expect(await h[CHANNELS.exportWrite]({ fileName: dest.proposedName })).toMatchObject({ ok: false, code: 'OUTPUT_EXISTS' });
    const again = await ok<ExportDestinationView>(h[CHANNELS.exportDestination]({ choose: false }));
    expect(again).toMatchObject({ suggestedTaken: true, proposedName: view.suggestedName.replace('.tufbundle', '-2.tufbundle') });

    const frames = await ok<ExportQrFramesView>(h[CHANNELS.exportQrFrames]({ first: 3, count: 2 }));
    expect(frames.frames.map((f) => f.index)).toEqual([3, 4]);
    expect(frames.hash).toBe(view.hash.sha256);

    // A refused preparation forgets the bundle prepared before: nothing stale can be written or played.
    const broken = folderFiles(tuf).map((f) => (f.name === 'targets.json' ? { ...f, bytes: f.bytes.slice(0, -2) } : f));
    expect(await h[CHANNELS.exportPrepareFolder]({ files: broken, source: 'metadata' })).toMatchObject({ ok: false });
    expect(await h[CHANNELS.exportWrite]({ fileName: 'other.tufbundle' })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.exportQrFrames]({ first: 0, count: 1 })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(readdirSync(usb)).toEqual([view.suggestedName]);
  });

  it('a ceremony output folder (metadata/ beside secret/ and state/) is exported as its metadata/ folder; the cards are never read', async () => {
    const h = handlers();
    const listing = [
      ...folderFiles(tuf).map((f) => ({ ...f, name: `metadata/${f.name}` })),
      { name: 'secret/share-card-1-of-3.txt', bytes: new TextEncoder().encode('not a card') },
      { name: 'state/transcript.jsonl', bytes: new Uint8Array(3) },
      { name: 'plan.json', bytes: new Uint8Array(2) },
    ];
    const view = await ok<ExportPreparedView>(h[CHANNELS.exportPrepareFolder]({ files: listing, source: 'app-ceremony' }));
    expect(view).toMatchObject({ kind: 'trust-bundle', profile: 'tuf', repository: 'app-ceremony', from: 'folder' });
    expect(view.files.map((f) => f.name)).toEqual(['releases.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    // Inspect takes it the same way.
    const inspected = await h[CHANNELS.inspectFiles]({ files: listing, directory: true, source: 'app-ceremony' });
    expect(inspected.ok).toBe(true);
    // A metadata/ folder with no secret/ or state/ beside it is an ordinary folder: its layout is refused as before.
    expect(await h[CHANNELS.exportPrepareFolder]({ files: listing.filter((f) => f.name.startsWith('metadata/')) })).toMatchObject({ ok: false });
  });

  it('a folder with a stray file is refused before anything else', async () => {
    const h = handlers();
    const r = await h[CHANNELS.exportPrepareFolder]({ files: [...folderFiles(tuf), { name: 'notes.txt', bytes: new Uint8Array(1) }] });
    expect(r).toMatchObject({ ok: false, code: 'UNEXPECTED_FILE' });
  });
});
