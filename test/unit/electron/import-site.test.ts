/**
 * Issue #12 through the app's Import handlers (the same core as `tuf-ceremony import`):
 *
 * Point 1: the Import screen's pin (a root file or a fingerprint) older
 * than the installed root must not let a fork by the keys the installed root removed take the site back.
 * Preview and install both refuse (IMPORT_PIN_BEHIND_INSTALLED), nothing is written; the routine path
 * (the same old pin, a bundle whose chain reaches the installed root) installs.
 * Point 5: an operator's `<T>.previous` backup is never deleted or moved.
 * Point 8: a FIFO planted as the import lock is refused at once (NOT_A_REGULAR_FILE).
 * Point 10: a full disk, a read-only trust directory: DISK_FULL / READ_ONLY reach the screen, nothing changes.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import type { ImportInstalledView, ImportPreviewView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { nodeTrustDirFs } from '../../../src/io/trust-dir.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { IMPORT_LOCK_NAME } from '../../../src/trust-store/lock.js';
import { buildForkScenario, type ForkScenario } from '../../support/fork.js';
import { canMount, faultyTrustDirFs, withReadOnly } from '../../support/fs-faults.js';
import { GUN } from '../../support/repo.js';
import { treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

let s: ForkScenario;
beforeAll(async () => {
  s = await buildForkScenario('notary');
});

const file = (name: string, bytes: Uint8Array) => ({ name, bytes });

async function site(opts: { before?: (trust: string) => void; deps?: Parameters<typeof defaultImportDeps>[0] } = {}) {
  const work = tmp('tufc-import-pin-');
  const trust = join(work, 'trust');
  mkdirSync(trust);
  opts.before?.(trust);
  const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps({ chooseTrustDir: async () => trust, ...opts.deps })) });
  async function call<T>(channel: string, payload?: unknown): Promise<T> {
    const r = (await h[channel as keyof typeof h](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r.value;
  }
  await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
  await call(CHANNELS.importSetPin, { rootFile: file('pinned-root-v1.json', s.v1) });
  await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('v2.tufbundle', encodeBundle(await s.legit(1))) });
  const rootFile = join(trust, 'tuf', ...GUN.split('/'), 'metadata', 'root.json');
  expect(readFileSync(rootFile)).toEqual(Buffer.from(s.v2));
  return { work, trust, h, call, rootFile };
}

describe('the Import screen’s pin older than the installed root', () => {
  it.each(['a root file (v1)', 'a fingerprint (v1)'])('pinned by %s: the fork v2′ signed by the two removed keys is refused by preview and install; nothing changes', async (how) => {
    const x = await site();
    const pin = how.startsWith('a root file') ? { rootFile: file('pinned-root-v1.json', s.v1) } : { fingerprint: createHash('sha256').update(s.v1).digest('hex') };
    await x.call(CHANNELS.importSetPin, pin);
    const fork = file('fork.tufbundle', encodeBundle(s.fork));
    const before = treeHash(x.work);
    const preview = await x.call<ImportPreviewView>(CHANNELS.importPreview, { bundle: fork });
    expect(preview.verification).toMatchObject({ ok: false, code: 'IMPORT_PIN_BEHIND_INSTALLED' });
    await expect(x.h[CHANNELS.importInstall]({ bundle: fork })).resolves.toMatchObject({ ok: false, code: 'IMPORT_PIN_BEHIND_INSTALLED' });
    expect(treeHash(x.work)).toBe(before);
    expect(readFileSync(x.rootFile)).toEqual(Buffer.from(s.v2));

    // The routine path with the same pin: a newer state whose chain reaches the installed root.
    const next = await x.call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('v2-next.tufbundle', encodeBundle(await s.legit(2))) });
    expect(next).toMatchObject({ previous: { root: 2, targets: 1 } });
    expect(next.roles.find((r) => r.name === 'targets')).toMatchObject({ version: 2 });
  });
});

describe('the Import screen and the trust directory’s file system', () => {
  it('an operator’s backup `metadata.previous` beside the trust folder is left byte for byte as it was', async () => {
    let backup = '';
    const x = await site({
      before: (trust) => {
        backup = join(trust, 'tuf', ...GUN.split('/'), 'metadata.previous');
        mkdirSync(backup, { recursive: true });
        writeFileSync(join(backup, 'root.json'), '{"my":"backup"}');
      },
    });
    const backupHash = treeHash(backup);
    await x.call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('v2-next.tufbundle', encodeBundle(await s.legit(2))) });
    expect(treeHash(backup)).toBe(backupHash);
    expect(readFileSync(join(backup, 'root.json'), 'utf8')).toBe('{"my":"backup"}');
  });

  it('a FIFO planted as the import lock: install refused at once (NOT_A_REGULAR_FILE), nothing changed', async () => {
    const x = await site();
    const lock = join(x.trust, IMPORT_LOCK_NAME);
    expect(spawnSync('mkfifo', [lock]).status).toBe(0);
    const before = treeHash(x.work);
    await expect(x.h[CHANNELS.importInstall]({ bundle: file('v2-next.tufbundle', encodeBundle(await s.legit(2))) })).resolves.toMatchObject({ ok: false, code: 'NOT_A_REGULAR_FILE' });
    expect(treeHash(x.work)).toBe(before);
  });

  it('a full disk while staging (injected): DISK_FULL naming the trust directory, nothing changed', async () => {
    let full = false;
    const x = await site({
      deps: {
        importRepository: (input, o) => importRepository(input, { ...o, trustDirFs: faultyTrustDirFs(nodeTrustDirFs(), (op) => (full && op === 'writeNew' ? 'ENOSPC' : undefined)) }),
      },
    });
    full = true;
    const before = treeHash(x.work);
    const r = await x.h[CHANNELS.importInstall]({ bundle: file('v2-next.tufbundle', encodeBundle(await s.legit(2))) });
    expect(r).toMatchObject({ ok: false, code: 'DISK_FULL' });
    expect((r as { message: string }).message).toContain(x.trust);
    expect(treeHash(x.work)).toBe(before);
  });

  it.skipIf(!canMount())('a read-only trust directory (a real read-only mount): READ_ONLY, nothing changed', async () => {
    const x = await site();
    const before = treeHash(x.work);
    const bundleBytes = encodeBundle(await s.legit(2));
    const r = await withReadOnly(x.work, () => x.h[CHANNELS.importInstall]({ bundle: file('v2-next.tufbundle', bundleBytes) }));
    expect(r).toMatchObject({ ok: false, code: 'READ_ONLY' });
    expect(treeHash(x.work)).toBe(before);
  });
});
