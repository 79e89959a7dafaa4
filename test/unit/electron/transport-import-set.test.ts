/**
 * The Import screen's channels with a trust-bundle-set (issue #17): pinned by a pins file, the preview
 * verifies every repository (nothing written) and gives each its verdict; one refused repository makes
 * the whole set uninstallable and the install refused, the trust directory byte for byte as it was; the
 * install puts in every repository at once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import type { ImportSessionView, ImportSetInstalledView, ImportSetPreviewView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const nameOf = (i: number): string => `registry.example.com/org/app-${i}`;
const file = (name: string, bytes: Uint8Array) => ({ name, bytes });

let repos: BuiltRepo[];
let set: Uint8Array;
let pins: Record<string, string>;

beforeAll(async () => {
  repos = [];
  for (let i = 0; i < 3; i++) repos.push(await buildRepo('notary', { gun: nameOf(i) }));
  set = encodeRepositorySet(
    repos.map((r, i) => encodeBundle(bundleContent(r, nameOf(i)))),
    { name: 'three apps', created: new Date() },
  );
  pins = Object.fromEntries(repos.map((r, i) => [nameOf(i), sha(r.roots[0]!)]));
}, 120_000);

function setup() {
  const work = tmp('tufc-import-set-ipc-');
  const trust = join(work, 'trust');
  mkdirSync(trust);
  const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps({ chooseTrustDir: async () => trust })) });
  async function call<T>(channel: string, payload?: unknown): Promise<T> {
    const r = (await h[channel as keyof typeof h](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r.value;
  }
  return { work, trust, h, call };
}

describe('import session over IPC: a trust-bundle-set', () => {
  it('pinned by a pins file: every repository verified in the preview (nothing written), then installed at once', async () => {
    const { work, trust, call } = setup();
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    const pinsBytes = enc.encode(JSON.stringify(pins));
    const s = await call<ImportSessionView>(CHANNELS.importSetPin, { pinsFile: file('pins.json', pinsBytes) });
    expect(s.pin).toEqual({ kind: 'pins', name: 'pins.json', sha256: sha(pinsBytes), repositories: 3 });

    const before = treeHash(work);
    const preview = await call<ImportSetPreviewView>(CHANNELS.importPreview, { bundle: file('apps.tufbundle', set) });
    expect(treeHash(work)).toBe(before);
    expect(preview.bundle.kind).toBe('trust-bundle-set');
    expect(preview.verification).toEqual({ ok: true });
    expect(preview.set).toMatchObject({ name: 'three apps', profile: 'notary', folder: join(trust, 'tuf') });
    expect(preview.set.repositories.map((r) => [r.repository, r.profile, r.verdict.ok, r.pinnedBy, r.root?.version, r.root?.threshold, r.root?.keys, r.root?.previous])).toEqual(
      [0, 1, 2].map((i) => [nameOf(i), 'notary', true, 'fingerprint', 1, 2, 3, null]),
    );
    expect(preview.set.repositories[0]!.root!.expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const installed = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('apps.tufbundle', set), witnesses: ['Dana Witness'] });
    expect(installed.witnesses).toEqual(['Dana Witness']);
    expect(installed.set.folder).toBe(join(trust, 'tuf'));
    expect(installed.set.repositories.map((r) => [r.repository, r.verdict.ok, r.root?.version])).toEqual([0, 1, 2].map((i) => [nameOf(i), true, 1]));

    // Again without a pin: every repository is pinned by its installed root.
    await call(CHANNELS.importSetPin, {});
    const again = await call<ImportSetPreviewView>(CHANNELS.importPreview, { bundle: file('apps.tufbundle', set) });
    expect(again.set.repositories.map((r) => [r.pinnedBy, r.root?.previous])).toEqual([0, 1, 2].map(() => ['installed', 1]));
  });

  it('one repository refused: its row says why, the others verify, the set is not installable and the install changes nothing', async () => {
    const { work, h, call } = setup();
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    const wrong = { ...pins, [nameOf(1)]: sha(enc.encode('not the root')) };
    await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(wrong))) });
    const before = treeHash(work);
    const preview = await call<ImportSetPreviewView>(CHANNELS.importPreview, { bundle: file('apps.tufbundle', set) });
    expect(preview.set.repositories.map((r) => (r.verdict.ok ? 'ok' : r.verdict.code))).toEqual(['ok', 'IMPORT_PIN_NOT_FOUND', 'ok']);
    expect(preview.set.repositories[1]!.root).toBeUndefined();
    expect(preview.verification).toMatchObject({ ok: false, code: 'IMPORT_PIN_NOT_FOUND' });
    expect(preview.verification.ok ? '' : preview.verification.message).toContain(nameOf(1));
    await expect(h[CHANNELS.importInstall]({ bundle: file('apps.tufbundle', set) })).resolves.toMatchObject({ ok: false, code: 'IMPORT_PIN_NOT_FOUND' });
    expect(treeHash(work)).toBe(before);
  });

  it.each([
    ['one root pinned by file', { rootFile: file('root.json', new Uint8Array()) }, 'USAGE'],
    ['one root pinned by fingerprint', { fingerprint: 'ab'.repeat(32) }, 'USAGE'],
    ['nothing pinned and nothing installed', {}, 'IMPORT_PIN_NOT_FOUND'],
  ] as const)('a set with %s: not installable (%s), nothing written', async (_what, pin, code) => {
    const { work, call } = setup();
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    // A root.json pin is only checked when used: a set is refused before.
    if ('rootFile' in pin) await call(CHANNELS.importSetPin, { rootFile: file('root.json', repos[0]!.roots[0]!) });
    else await call(CHANNELS.importSetPin, pin);
    const before = treeHash(work);
    const preview = await call<ImportSetPreviewView>(CHANNELS.importPreview, { bundle: file('apps.tufbundle', set) });
    expect(preview.verification).toMatchObject({ ok: false, code });
    expect(preview.set.repositories).toHaveLength(3);
    expect(treeHash(work)).toBe(before);
  });

  it.each([
    ['not JSON', 'pins', 'JSON_MALFORMED'],
    ['a pin that is not 64 hex digits', JSON.stringify({ [nameOf(0)]: 'abc' }), 'SCHEMA_INVALID'],
    ['an array', '[]', 'SCHEMA_INVALID'],
  ])('a pins file that is %s is refused (%s) and the pin kept', async (_what, text, code) => {
    const { h, call } = setup();
    await call(CHANNELS.importSetPin, { fingerprint: 'cd'.repeat(32) });
    await expect(h[CHANNELS.importSetPin]({ pinsFile: file('pins.json', enc.encode(text)) })).resolves.toMatchObject({ ok: false, code });
    expect((await call<ImportSessionView>(CHANNELS.importStatus)).pin).toEqual({ kind: 'fingerprint', sha256: 'cd'.repeat(32) });
  });

  it('a single bundle is pinned by its repository’s line in a pins file', async () => {
    const { call } = setup();
    await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
    await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
    const single = encodeBundle(bundleContent(repos[2]!, nameOf(2)));
    const preview = await call<{ verification: { ok: boolean; result?: { pinnedBy: string } } }>(CHANNELS.importPreview, { bundle: file('one.tufbundle', single) });
    expect(preview.verification).toMatchObject({ ok: true, result: { pinnedBy: 'fingerprint' } });
  });
});

describe('import session over IPC: a delegated role python-tuf cannot store (tuf layout)', () => {
  // file-names.ts: a role whose python-tuf name (quote(role, '')) is over 255 bytes is installed under its
  // own name only; the views say so, as the CLI does, for a single bundle and per row of a set.
  const role = '\u00fc'.repeat(50);
  const notWritten = [{ role, file: `${'%C3%BC'.repeat(50)}.json`, why: 'a file name longer than 255 bytes' }];

  it('a single bundle: preview and install carry notWritten', async () => {
    const r = await buildRepo('tuf', { delegationName: role });
    const { call } = setup();
    await call(CHANNELS.importChooseTrustDir, { layout: 'tuf' });
    await call(CHANNELS.importSetPin, { rootFile: file('root.json', r.roots[0]!) });
    const bundle = file('app.tufbundle', encodeBundle(bundleContent(r, 'myorg/app')));
    const preview = await call<{ verification: { ok: true; result: { notWritten?: unknown } } }>(CHANNELS.importPreview, { bundle });
    expect(preview.verification.result.notWritten).toEqual(notWritten);
    const installed = await call<{ notWritten?: unknown; files: string[] }>(CHANNELS.importInstall, { bundle, witnesses: [] });
    expect(installed.notWritten).toEqual(notWritten);
    expect(installed.files).toContain(`${role}.json`);
  });

  it('a set: the row of the repository that has it, and only that row', async () => {
    const r = await buildRepo('tuf', { delegationName: role });
    const other = await buildRepo('tuf');
    const tufSet = encodeRepositorySet([encodeBundle(bundleContent(r, 'myorg/app')), encodeBundle(bundleContent(other, 'myorg/other'))], { name: 'two', created: new Date() });
    const { call } = setup();
    await call(CHANNELS.importChooseTrustDir, { layout: 'tuf' });
    await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify({ 'myorg/app': sha(r.roots[0]!), 'myorg/other': sha(other.roots[0]!) }))) });
    const preview = await call<ImportSetPreviewView>(CHANNELS.importPreview, { bundle: file('two.tufbundle', tufSet) });
    expect(preview.set.repositories.map((x) => [x.repository, x.notWritten])).toEqual([
      ['myorg/app', notWritten],
      ['myorg/other', undefined],
    ]);
    const installed = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('two.tufbundle', tufSet), witnesses: [] });
    expect(installed.set.repositories.map((x) => [x.repository, x.notWritten])).toEqual([
      ['myorg/app', notWritten],
      ['myorg/other', undefined],
    ]);
  });
});
