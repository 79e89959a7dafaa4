/**
 * The Import screen with a trust directory reached through a link (review-12b M1): the operator may choose
 * a link (`~/.docker` → a larger disk) or a folder below a linked ancestor (macOS /tmp → /private/tmp).
 * The session transcript the app writes names the installed files inside the trust directory
 * (`tuf/<gun>/metadata/…`), for a single bundle and a trust-bundle-set, as for a link-free folder.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import type { ImportInstalledView, ImportSetInstalledView, IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { bundleContent } from '../../support/trust-tree.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { linkedTrustSites } from '../../support/linked-trust-dirs.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const nameOf = (i: number): string => `registry.example.com/org/linked-app-${i}`;
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

/** A trust directory named three ways: a real folder, a link to one, a real folder below a linked ancestor. */
function sites(): [string, string][] {
  return linkedTrustSites(tmp('tufc-import-linked-ipc-'));
}

function session(trust: string) {
  const h = createIpcHandlers({ importSession: new ImportSession(defaultImportDeps({ chooseTrustDir: async () => trust })) });
  return async function call<T>(channel: string, payload?: unknown): Promise<T> {
    const r = (await h[channel as keyof typeof h](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r.value;
  };
}

function entries(path: string): { step: string; note?: string; outputs?: { name: string }[] }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { step: string; note?: string; outputs?: { name: string }[] });
}

describe('import session over IPC: a linked trust directory', () => {
  it('single bundle and trust-bundle-set: the transcript names tuf/… for a plain, a linked and a linked-ancestor trust directory', async () => {
    for (const [what, trust] of sites()) {
      const call = session(trust);
      await call(CHANNELS.importChooseTrustDir, { layout: 'notary' });
      await call(CHANNELS.importSetPin, { pinsFile: file('pins.json', enc.encode(JSON.stringify(pins))) });
      const many = await call<ImportSetInstalledView>(CHANNELS.importInstall, { bundle: file('apps.tufbundle', set) });
      const setEntries = entries(many.transcript!);
      const setNames = setEntries.filter((e) => e.step === 'import.install').flatMap((e) => (e.outputs ?? []).map((o) => o.name));
      expect(setNames, what).toContain(`${nameOf(0)}/metadata/root.json`);
      expect(setEntries.at(-1)!.note, what).toBe("installed: 2 repositories into the trust directory's tuf, all at once");

      await call(CHANNELS.importSetPin, { rootFile: file('root.json', repos[2]!.roots[0]!) });
      const one = await call<ImportInstalledView>(CHANNELS.importInstall, { bundle: file('app.tufbundle', single) });
      const meta = `tuf/${nameOf(2)}/metadata`;
      const installs = entries(one.transcript!).filter((e) => e.step === 'import.install');
      const names = installs.flatMap((e) => (e.outputs ?? []).map((o) => o.name));
      expect(names, what).toContain(`${meta}/root.json`);
      for (const name of names) expect(name.startsWith(`${meta}/`), `${what}: ${name}`).toBe(true);
      expect(installs[0]!.note, what).toBe(`installed into the trust directory's ${meta}, in one swap`);
    }
  }, 120_000);
});
