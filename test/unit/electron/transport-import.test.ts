/**
 * The Import screen's channels (electron/main/transport-import.ts through createIpcHandlers): the trust
 * directory comes from main's chooser, the preview verifies completely and writes nothing, install is the
 * CLI's core (lock, swap, record), frames are assembled by the CLI's receiver with a second bundle's
 * frames refused, and every payload is checked against its schema first.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import { CameraGate } from '../../../electron/main/camera-gate.js';
import { InProcessQrAssembly } from '../../../electron/main/qr-assembly.js';
import type { ImportInstalledView, ImportPreviewView, ImportQrDecoderView, ImportQrFrameView, ImportSessionView, ImportStaleLockView, IpcResult } from '../../../electron/shared/api-types.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { groupHex, shortDigestOf } from '../../../src/crypto/digest-words.js';
import { encodeQrFrames, QR_MAX_FRAME_CHARS } from '../../../src/transport/qr/index.js';
import { IMPORT_LOCK_NAME } from '../../../src/trust-store/lock.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { hereLockFields, liveLockFields } from '../../support/lock-owner.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

let repo: BuiltRepo;
let bundle: Uint8Array;
let other: Uint8Array;

beforeAll(async () => {
  repo = await buildRepo('notary');
  bundle = encodeBundle(bundleContent(repo, GUN));
  other = encodeBundle(bundleContent(await buildRepo('tuf'), 'example-repo'));
});

function setup() {
  const work = tmp('tufc-import-ipc-');
  const trust = join(work, 'trust');
  const chosen: string[] = [];
  const h = createIpcHandlers({
    importSession: new ImportSession(
      defaultImportDeps({
        chooseTrustDir: async (layout) => {
          chosen.push(layout);
          return trust;
        },
      }),
    ),
  });
  async function call<T>(channel: string, payload?: unknown): Promise<T> {
    const r = (await h[channel as keyof typeof h](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r.value;
  }
  return { work, trust, chosen, h, call };
}

const file = (name: string, bytes: Uint8Array) => ({ name, bytes });

describe('import session over IPC', () => {
  it('choose → preview (nothing written) → install → install again pinned by what is installed', async () => {
    const { work, trust, chosen, h, call } = setup();
    mkdirSync(trust);
    // Nothing can be installed before main was told where.
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle) })).resolves.toMatchObject({ ok: false, code: 'USAGE' });

    const s = await call<ImportSessionView>(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    expect(chosen).toEqual(['notary']);
    expect(s).toMatchObject({ trustDir: trust, layout: 'notary', qr: { received: 0, needed: 0 } });

    // No pin and nothing installed: the preview says why it cannot verify, and shows what the bundle is.
    const unpinned = await call<ImportPreviewView>(CHANNELS.importPreview, { bundle: file('b.tufbundle', bundle) });
    expect(unpinned.verification).toMatchObject({ ok: false, code: 'USAGE' });
    const hash = shortDigestOf(bundle);
    expect(unpinned.bundle).toMatchObject({ kind: 'trust-bundle', profile: 'notary', repository: GUN, bytes: bundle.length, hash: { sha256: hash.sha256, short: groupHex(hash.hex), words: hash.words } });

    const pinned = await call<ImportSessionView>(CHANNELS.importSetPin, { rootFile: file('root.json', repo.roots[0]!) });
    expect(pinned.pin).toEqual({ kind: 'file', name: 'root.json', sha256: createHash('sha256').update(repo.roots[0]!).digest('hex') });
    const before = treeHash(work);
    const preview = await call<ImportPreviewView>(CHANNELS.importPreview, { bundle: file('b.tufbundle', bundle) });
    expect(preview.verification.ok).toBe(true);
    expect(treeHash(work)).toBe(before);

    // The optional witness line (issue #16): a name that is not shown text is refused at the boundary.
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle), witnesses: [' Dana'] })).resolves.toMatchObject({ ok: false, path: '$.witnesses[0]' });
    const installed = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('b.tufbundle', bundle), witnesses: ['Dana Witness', 'Eve Auditor'] });
    expect(installed.witnesses).toEqual(['Dana Witness', 'Eve Auditor']);
    expect(installed).toMatchObject({ profile: 'notary', layout: 'notary', repository: GUN, folder: join(trust, 'tuf', ...GUN.split('/'), 'metadata'), pinnedBy: 'file', targets: 2 });
    expect(installed.roles.map((r) => `${r.name} v${r.version}`)).toEqual(['root v1', 'targets v1', 'snapshot v1', 'timestamp v1', 'targets/releases v1']);
    expect(installed.roles[0]).toMatchObject({ threshold: 2, keys: 3 });
    // The install's session transcript, as `tuf-ceremony import --witness` writes it: the same witness names.
    expect(installed.transcript!.startsWith(join(trust, 'tuf-ceremony-sessions'))).toBe(true);
    const session = verifyTranscript(readFileSync(installed.transcript!), { allowUnsealed: true });
    expect(session.header).toMatchObject({ kind: 'import', profile: 'notary', repository: GUN });
    expect(session.entries[0]!.witnesses.map((w) => w.name)).toEqual(['Dana Witness', 'Eve Auditor']);
    expect(session.entries[0]!.inputs[1]).toEqual({ name: 'root.json', sha256: createHash('sha256').update(repo.roots[0]!).digest('hex') });

    await call<ImportSessionView>(CHANNELS.importSetPin, {});
    const again = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('b.tufbundle', bundle) });
    expect(again).toMatchObject({ pinnedBy: 'installed', previous: { root: 1, targets: 1 }, witnesses: [] });
  });

  it('a bundle of another kind is named for what it is, and refused (BUNDLE_KIND_UNEXPECTED)', async () => {
    const { trust, call } = setup();
    mkdirSync(trust);
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    const request = encodeBundle({ kind: 'signing-request', profile: 'notary', repository: GUN, created: '2026-11-25T10:00:00Z', files: [{ name: 'request.json', bytes: new TextEncoder().encode('{}') }] });
    const p = await call<ImportPreviewView>(CHANNELS.importPreview, { bundle: file('req.tufbundle', request) });
    expect(p.bundle.kind).toBe('signing-request');
    expect(p.verification).toMatchObject({ ok: false, code: 'BUNDLE_KIND_UNEXPECTED' });
  });

  it('install while another process holds the trust directory’s import lock: IMPORT_LOCKED, nothing changed', async () => {
    const { work, trust, h, call } = setup();
    mkdirSync(trust);
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    await call(CHANNELS.importSetPin, { rootFile: file('root.json', repo.roots[0]!) });
    writeFileSync(join(trust, IMPORT_LOCK_NAME), JSON.stringify({ created: '2026-11-25T10:00:00.000Z', ...(await liveLockFields()), pid: process.pid, token: '0'.repeat(32) }));
    const before = treeHash(work);
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle) })).resolves.toMatchObject({ ok: false, code: 'IMPORT_LOCKED' });
    expect(treeHash(work)).toBe(before);
  });

  it('a stale lock: install refused (IMPORT_LOCK_STALE), importRemoveStaleLock removes exactly that file, install goes through', async () => {
    const { trust, h, call } = setup();
    mkdirSync(trust);
    // Nothing reported yet: nothing to remove (the renderer cannot name a file).
    await expect(h[CHANNELS.importRemoveStaleLock](undefined)).resolves.toMatchObject({ ok: false, code: 'USAGE' });
    await expect(h[CHANNELS.importRemoveStaleLock]({ path: join(trust, IMPORT_LOCK_NAME) })).resolves.toMatchObject({ ok: false, code: 'IPC_INVALID' });
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    await call(CHANNELS.importSetPin, { rootFile: file('root.json', repo.roots[0]!) });
    const lock = join(trust, IMPORT_LOCK_NAME);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, JSON.stringify({ created: '2026-11-25T10:00:00.000Z', ...hereLockFields(), pid: dead, token: '0'.repeat(32) }));
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle) })).resolves.toMatchObject({ ok: false, code: 'IMPORT_LOCK_STALE', path: lock });
    const removed = await call<ImportStaleLockView>(CHANNELS.importRemoveStaleLock);
    expect(removed).toEqual({ removed: true, message: `removed the stale import lock ${lock} (taken at 2026-11-25T10:00:00.000Z by process ${dead}, which is no longer running)` });
    expect(existsSync(lock)).toBe(false);
    // Once only: the report is used up.
    await expect(h[CHANNELS.importRemoveStaleLock](undefined)).resolves.toMatchObject({ ok: false, code: 'USAGE' });
    const installed = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('b.tufbundle', bundle) });
    expect(installed.lockNotReleased).toBeUndefined();
  });

  it('two removal requests at once: only the first acts, the second finds the report used up (USAGE)', async () => {
    const trust = join(tmp('tufc-import-ipc-'), 'trust');
    mkdirSync(trust);
    const asked: string[] = [];
    let finish: (v: undefined) => void = () => undefined;
    const h = createIpcHandlers({
      importSession: new ImportSession(
        defaultImportDeps({
          chooseTrustDir: async () => trust,
          removeStaleImportLock: (path) => {
            asked.push(path);
            return new Promise((r) => (finish = r));
          },
        }),
      ),
    });
    await h[CHANNELS.importChooseTrustDir]({ layout: 'notary' });
    await h[CHANNELS.importSetPin]({ rootFile: file('root.json', repo.roots[0]!) });
    const lock = join(trust, IMPORT_LOCK_NAME);
    writeFileSync(lock, JSON.stringify({ created: '2026-11-25T10:00:00.000Z', ...hereLockFields(), pid: spawnSync(process.execPath, ['-e', '0']).pid!, token: '0'.repeat(32) }));
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle) })).resolves.toMatchObject({ ok: false, code: 'IMPORT_LOCK_STALE' });
    const first = h[CHANNELS.importRemoveStaleLock](undefined);
    const second = h[CHANNELS.importRemoveStaleLock](undefined);
    await expect(second).resolves.toMatchObject({ ok: false, code: 'USAGE' });
    finish(undefined);
    await expect(first).resolves.toMatchObject({ ok: true, value: { removed: false } });
    expect(asked).toEqual([lock]);
  });

  it('a stale lock whose owner turns out to be alive when removal is asked is kept (IMPORT_LOCK_NOT_STALE)', async () => {
    const { trust, h, call } = setup();
    mkdirSync(trust);
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    await call(CHANNELS.importSetPin, { rootFile: file('root.json', repo.roots[0]!) });
    const lock = join(trust, IMPORT_LOCK_NAME);
    writeFileSync(lock, JSON.stringify({ created: '2026-11-25T10:00:00.000Z', ...hereLockFields(), pid: spawnSync(process.execPath, ['-e', '0']).pid!, token: '0'.repeat(32) }));
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle) })).resolves.toMatchObject({ ok: false, code: 'IMPORT_LOCK_STALE' });
    // Meanwhile a running import (this process) holds the lock at that path.
    const live = JSON.stringify({ created: '2026-11-25T10:05:00.000Z', ...(await liveLockFields()), pid: process.pid, token: '1'.repeat(32) });
    writeFileSync(lock, live);
    await expect(h[CHANNELS.importRemoveStaleLock](undefined)).resolves.toMatchObject({ ok: false, code: 'IMPORT_LOCK_NOT_STALE' });
    expect(readFileSync(lock, 'utf8')).toBe(live);
  });

  it('an install whose lock could not be released says so in the installed view (lockNotReleased)', async () => {
    const work = tmp('tufc-import-ipc-');
    const trust = join(work, 'trust');
    mkdirSync(trust);
    const note = 'the import lock /x could not be removed (EACCES): delete it once no import is running, or the next import will be refused';
    const h = createIpcHandlers({
      importSession: new ImportSession(
        defaultImportDeps({ chooseTrustDir: async () => trust, importRepository: async (input, opts) => ({ ...(await importRepository(input, opts)), lockNotReleased: note }) }),
      ),
    });
    await h[CHANNELS.importChooseTrustDir]({ layout: 'notary' });
    await h[CHANNELS.importSetPin]({ rootFile: file('root.json', repo.roots[0]!) });
    await expect(h[CHANNELS.importInstall]({ bundle: file('b.tufbundle', bundle) })).resolves.toMatchObject({ ok: true, value: { lockNotReleased: note } });
  });

  it('QR frames: progress, a second bundle’s frame refused without harm, a non-UR code refused, the bundle once complete', async () => {
    const { call } = setup();
    await call(CHANNELS.importQrCamera, { open: true });
    const mine = encodeQrFrames(bundle, { loss: 0 }).parts;
    const theirs = encodeQrFrames(other, { loss: 0 }).parts;
    const first = await call<ImportQrFrameView>(CHANNELS.importQrFrame, { text: mine[0] });
    expect(first).toMatchObject({ outcome: 'innovative', progress: { received: 1, rank: 1, refused: 0 } });
    expect(first.progress.needed).toBeGreaterThan(10);
    const foreign = await call<ImportQrFrameView>(CHANNELS.importQrFrame, { text: theirs[0] });
    expect(foreign).toMatchObject({ outcome: 'refused', refusal: { code: 'QR_FOREIGN_FRAME' }, progress: { received: 1, refused: 1 } });
    const notUr = await call<ImportQrFrameView>(CHANNELS.importQrFrame, { text: 'https://example.com/' });
    expect(notUr).toMatchObject({ outcome: 'refused', refusal: { code: 'QR_NOT_UR' }, progress: { refused: 2 } });
    expect((await call<ImportQrFrameView>(CHANNELS.importQrFrame, { text: mine[0] })).outcome).toBe('duplicate');
    let last: ImportQrFrameView | undefined;
    // The mixed schedule needs a few parts beyond the fragment count; keep going (fountain parts) until complete.
    const more = encodeQrFrames(bundle, { count: mine.length + 40 }).parts;
    for (const text of more) {
      last = await call<ImportQrFrameView>(CHANNELS.importQrFrame, { text });
      if (last.bundle) break;
    }
    expect(last?.progress.complete).toBe(true);
    expect(Buffer.from(last!.bundle!).equals(Buffer.from(bundle))).toBe(true);
    // Reset forgets the first bundle: the other one's frames are now accepted.
    await call(CHANNELS.importQrReset);
    expect((await call<ImportQrFrameView>(CHANNELS.importQrFrame, { text: theirs[0] })).outcome).toBe('innovative');
  });

  // review-15d L6: leaving the QR screen closed the gate but kept the scan — an aborted scan's solver rows,
  // a completed bundle's bytes handed out again on later frames, stale progress in the status view — and
  // frames were taken with the gate closed.
  it('closing the camera gate ends the scan: the assembly (and its worker) dropped, the status view reset, frames refused until it opens again', async () => {
    const closed: number[] = [];
    let started = 0;
    const session = new ImportSession(
      defaultImportDeps({
        startQrAssembly: () => {
          const n = ++started;
          const a = new InProcessQrAssembly();
          return Object.assign(a, { close: () => void closed.push(n) });
        },
      }),
    );
    const mine = encodeQrFrames(bundle, { loss: 0 }).parts;
    const theirs = encodeQrFrames(other, { loss: 0 }).parts;
    // Closed from the start: a frame is refused, and no worker is started for it.
    await expect(session.qrFrame(mine[0]!)).rejects.toMatchObject({ code: 'QR_SCANNER_CLOSED' });
    expect(started).toBe(0);

    // An aborted scan: 10 frames, then the scanner closes.
    session.qrScanner(true);
    for (const text of mine.slice(0, 10)) await session.qrFrame(text);
    expect(session.status().qr).toMatchObject({ received: 10, rank: 10 });
    session.qrScanner(false);
    expect(closed).toEqual([1]);
    expect(session.status().qr).toEqual({ received: 0, duplicates: 0, rank: 0, needed: 0, estimatedStillNeeded: 1, complete: false, refused: 0 });
    await expect(session.qrFrame(mine[10]!)).rejects.toMatchObject({ code: 'QR_SCANNER_CLOSED' });
    expect(session.status().qr.received).toBe(0);

    // Open again: a new assembly, nothing of the old scan (the other bundle's frame is not foreign).
    session.qrScanner(true);
    expect((await session.qrFrame(theirs[0]!)).outcome).toBe('innovative');
    expect(started).toBe(2);

    // A completed scan: its bundle is not handed out again once the scanner closed and opened.
    session.qrScanner(false);
    session.qrScanner(true);
    let last: ImportQrFrameView | undefined;
    for (const text of encodeQrFrames(bundle, { count: mine.length + 40 }).parts) {
      last = await session.qrFrame(text);
      if (last.bundle) break;
    }
    expect(last?.bundle).toBeDefined();
    session.qrScanner(false);
    expect(closed).toEqual([1, 2, 3]);
    expect(session.status().qr.complete).toBe(false);
    session.qrScanner(true);
    const again = await session.qrFrame(mine[0]!);
    expect(again.bundle).toBeUndefined();
    expect(again).toMatchObject({ outcome: 'innovative', progress: { received: 1, complete: false } });
  });

  it('over IPC: importQrCamera { open: false } and main closing the gate itself (navigation) both end the scan', async () => {
    const gate = new CameraGate();
    const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps()), cameraGate: gate });
    const call = async <T,>(channel: string, payload?: unknown): Promise<IpcResult<T>> => (await h[channel as keyof typeof h](payload)) as IpcResult<T>;
    const status = async () => ((await call<ImportSessionView>(CHANNELS.importStatus)) as { ok: true; value: ImportSessionView }).value.qr;
    const frames = encodeQrFrames(bundle, { loss: 0 }).parts;
    expect(await call(CHANNELS.importQrFrame, { text: frames[0] })).toMatchObject({ ok: false, code: 'QR_SCANNER_CLOSED' });
    await call(CHANNELS.importQrCamera, { open: true });
    for (const text of frames.slice(0, 5)) expect(await call(CHANNELS.importQrFrame, { text })).toMatchObject({ ok: true });
    expect((await status()).received).toBe(5);
    await call(CHANNELS.importQrCamera, { open: false });
    expect((await status()).received).toBe(0);
    expect(await call(CHANNELS.importQrFrame, { text: frames[5] })).toMatchObject({ ok: false, code: 'QR_SCANNER_CLOSED' });

    await call(CHANNELS.importQrCamera, { open: true });
    for (const text of frames.slice(0, 5)) await call(CHANNELS.importQrFrame, { text });
    expect((await status()).received).toBe(5);
    gate.reset(); // harden.ts: the page navigated, reloaded or went away
    expect((await status()).received).toBe(0);
    expect(await call(CHANNELS.importQrFrame, { text: frames[5] })).toMatchObject({ ok: false, code: 'QR_SCANNER_CLOSED' });
  });

  it('the QR decoder binary for the camera worker: zxing-wasm’s WebAssembly module, with its hash', async () => {
    const { call } = setup();
    const d = await call<ImportQrDecoderView>(CHANNELS.importQrDecoder);
    expect([...d.wasm.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
    expect(d.sha256).toBe(createHash('sha256').update(d.wasm).digest('hex'));
  });

  it.each([
    ['importChooseTrustDir', { layout: 'docker' }, '$.layout'],
    ['importChooseTrustDir', { layout: 'notary', path: '/etc' }, '$.path'],
    ['importSetPin', { fingerprint: 'abc' }, '$.fingerprint'],
    ['importSetPin', { rootFile: file('root.json', new Uint8Array(1)), fingerprint: 'a'.repeat(64) }, '$'],
    ['importSetPin', { rootFile: file('../root.json', new Uint8Array(1)) }, '$.rootFile.name'],
    ['importPreview', { bundle: file('dir/b.tufbundle', new Uint8Array(1)) }, '$.bundle.name'],
    ['importPreview', { bundle: { name: 'b', bytes: 'not bytes' } }, '$.bundle.bytes'],
    ['importQrFrame', { text: 'U'.repeat(QR_MAX_FRAME_CHARS + 1) }, '$.text'],
    ['importQrFrame', { text: '' }, '$.text'],
    ['importQrReset', { x: 1 }, '$'],
  ] as const)('%s refuses %j (IPC_INVALID at %s)', async (key, payload, path) => {
    const { h } = setup();
    await expect(h[CHANNELS[key]](payload)).resolves.toMatchObject({ ok: false, code: 'IPC_INVALID', path });
  });
});
