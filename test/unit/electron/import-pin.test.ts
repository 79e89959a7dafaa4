/**
 * Issue #12 point 1 through the app's handlers: the Import screen's pin (a root file or a fingerprint) older
 * than the installed root must not let a fork by the keys the installed root removed take the site back.
 * Preview and install both refuse (IMPORT_PIN_BEHIND_INSTALLED), nothing is written; the routine path
 * (the same old pin, a bundle whose chain reaches the installed root) installs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import type { ImportInstalledView, ImportPreviewView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { buildForkScenario, type ForkScenario } from '../../support/fork.js';
import { GUN } from '../../support/repo.js';
import { treeHash } from '../../support/trust-tree.js';

let s: ForkScenario;
beforeAll(async () => {
  s = await buildForkScenario('notary');
});

const file = (name: string, bytes: Uint8Array) => ({ name, bytes });

async function site() {
  const work = mkdtempSync(join(tmpdir(), 'tufc-import-pin-'));
  const trust = join(work, 'trust');
  mkdirSync(trust);
  const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps({ chooseTrustDir: async () => trust })) });
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
  return { work, h, call, rootFile };
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
