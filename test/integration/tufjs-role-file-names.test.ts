/**
 * A delegated role whose name needs escaping, imported into a TUF client metadata folder (the tuf layout,
 * file-names.ts tufLayoutRoleFiles), is read by tuf-js's Updater from that folder with no network at all:
 * its fetcher fails every call and records it, and none is made. Then, with the as-is copy removed (only
 * python-tuf's escaped copy left), tuf-js does go to the network for the role, under
 * `encodeURIComponent(role).json`: what proves it reads `<role>.json` as the name is (updater.js
 * loadLocalMetadata), and why both copies are installed. Should a tuf-js upgrade read the escaped name, the
 * second half fails and the layout can be revisited.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BaseFetcher, Updater } from 'tuf-js';
import { describe, expect, it } from 'vitest';
import { importRepository } from '../../src/trust-store/install.js';
import { pythonTufQuote } from '../../src/trust-store/file-names.js';
import { buildRepo } from '../support/repo.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs();

/** An air-gapped site: every download fails, and is recorded. */
class OfflineFetcher extends BaseFetcher {
  readonly asked: string[] = [];
  override fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    this.asked.push(url);
    return Promise.reject(new Error(`offline: ${url}`));
  }
}

const BASE = 'http://127.0.0.1:9/metadata';

function offlineUpdater(metadataDir: string): { u: Updater; fetcher: OfflineFetcher } {
  const fetcher = new OfflineFetcher();
  // forceCache: the trusted timestamp is taken from the folder (tuf-js refresh) — a site with no network.
  const u = new Updater({ metadataDir, metadataBaseUrl: BASE, fetcher, forceCache: true, config: { fetchRetries: 0 } });
  return { u, fetcher };
}

describe('tuf-js reads an imported delegated role whose name needs escaping from the folder, offline', () => {
  for (const role of ['release 2', '\u00fc', 'x%y', "a!b'(c)~"]) {
    it(`role ${JSON.stringify(role)}`, async () => {
      const r = await buildRepo('tuf', { delegationName: role });
      const metadataDir = join(tmp('tufc-role-names-'), 'metadata');
      const result = await importRepository({ files: r.files(), source: 'test' }, { trustDir: metadataDir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' });
      const asIs = `${role}.json`;
      const quoted = `${pythonTufQuote(role)}.json`;
      expect(quoted).not.toBe(asIs);
      expect(result.files).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json', asIs, quoted].sort());
      expect(readdirSync(metadataDir).sort()).toEqual([...result.files, 'imports.log'].sort());
      for (const f of [asIs, quoted]) expect(readFileSync(join(metadataDir, f))).toEqual(Buffer.from(r.delegated));

      const { u, fetcher } = offlineUpdater(metadataDir);
      await u.refresh();
      // Only the delegated role (paths releases/*) holds this target: found means it was loaded, from the folder.
      const info = await u.getTargetInfo('releases/v1.tar.gz');
      expect(info?.length).toBe('release 1'.length);
      expect(fetcher.asked).toEqual([]);
      // tuf-js wrote nothing back either: it did not download the role.
      expect(readdirSync(metadataDir).sort()).toEqual([...result.files, 'imports.log'].sort());

      // Without the as-is copy, python-tuf's escaped file alone does not serve tuf-js: it goes to the network.
      rmSync(join(metadataDir, asIs));
      const second = offlineUpdater(metadataDir);
      await second.u.refresh();
      await expect(second.u.getTargetInfo('releases/v1.tar.gz')).rejects.toThrow(/Unable to load targets/);
      expect(second.fetcher.asked).toEqual([`${BASE}/${encodeURIComponent(role)}.json`]);
    });
  }

  it('a plain role name is one file, read offline the same way', async () => {
    const r = await buildRepo('tuf', { delegationName: 'bin-0a_v1.2~x' });
    const metadataDir = join(tmp('tufc-role-names-'), 'metadata');
    const result = await importRepository({ files: r.files(), source: 'test' }, { trustDir: metadataDir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' });
    expect(result.files.filter((f) => f.startsWith('bin-'))).toEqual(['bin-0a_v1.2~x.json']);
    const { u, fetcher } = offlineUpdater(metadataDir);
    expect((await u.getTargetInfo('releases/v1.tar.gz'))?.length).toBe('release 1'.length);
    expect(fetcher.asked).toEqual([]);
  });
});
