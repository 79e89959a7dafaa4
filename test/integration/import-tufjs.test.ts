/**
 * PRODUCT §2.6 / issue 6 acceptance, TUF side: a trust bundle imported by `tuf-ceremony import` into a
 * TUF client metadata directory (the `tuf` layout) is what tuf-js's Updater reads as `metadataDir`: it
 * refreshes against a loopback server serving the same repository without walking the root chain again
 * (it already trusts root v3), finds and downloads the targets, and a newer state served later is taken
 * from there on as usual.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../src/bundle/format.js';
import { runCli } from '../../src/cli/program.js';
import { buildRepo, type BuiltRepo } from '../support/repo.js';
import { serveFiles, type Served } from '../support/file-server.js';

const enc = new TextEncoder();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

describe('import into a TUF client metadata directory, then tuf-js refreshes from it (127.0.0.1)', () => {
  let r: BuiltRepo;
  let http: Served;
  const files = new Map<string, Uint8Array>();
  let work: string;

  beforeAll(async () => {
    r = await buildRepo('tuf', { rootVersions: 3 });
    r.roots.forEach((bytes, i) => files.set(`/metadata/${i + 1}.root.json`, bytes));
    files.set('/metadata/root.json', r.roots[2]!);
    files.set('/metadata/timestamp.json', r.timestamp);
    files.set('/metadata/snapshot.json', r.snapshot);
    files.set('/metadata/targets.json', r.targets);
    files.set(`/metadata/${r.delegationName}.json`, r.delegated);
    files.set('/targets/app.tar.gz', enc.encode('app v1'));
    files.set('/targets/releases/v1.tar.gz', enc.encode('release 1'));
    http = await serveFiles(files);
    work = mkdtempSync(join(tmpdir(), 'tufc-import-tufjs-'));
  });
  afterAll(async () => {
    await http.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('tuf-js uses the imported directory as its trusted state: no root walk, targets found and downloaded', async () => {
    const bundle = encodeBundle({
      kind: 'trust-bundle',
      profile: 'tuf',
      repository: 'example-repo',
      created: '2026-11-25T10:00:00Z',
      files: [
        ...r.roots.map((bytes, i) => ({ name: `${i + 1}.root.json`, bytes })),
        { name: 'root.json', bytes: r.roots[2]! },
        { name: 'timestamp.json', bytes: r.timestamp },
        { name: 'snapshot.json', bytes: r.snapshot },
        { name: 'targets.json', bytes: r.targets },
        { name: `${r.delegationName}.json`, bytes: r.delegated },
      ],
    });
    const bundlePath = join(work, 'site.tufbundle');
    writeFileSync(bundlePath, bundle);
    const pin = join(work, 'pinned-root.json');
    writeFileSync(pin, r.roots[0]!);
    const metadataDir = join(work, 'client', 'metadata');
    mkdirSync(join(work, 'client'));
    const io = capture();
    expect(await runCli(['import', bundlePath, '--trust-dir', metadataDir, '--root', pin, '--layout', 'tuf'], io.io), io.err.join('\n')).toBe(0);
    expect(readFileSync(join(metadataDir, 'root.json'))).toEqual(Buffer.from(r.roots[2]!));

    const targetDir = join(work, 'client', 'targets');
    mkdirSync(targetDir);
    const u = new Updater({ metadataDir, targetDir, metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
    http.requests.length = 0;
    await u.refresh();
    // It trusts root v3 already: it asks only for v4 (absent) and never for v1–v3.
    expect(http.requests[0]).toBe('/metadata/4.root.json');
    expect(http.requests.filter((p) => /\/[123]\.root\.json$/.test(p))).toEqual([]);
    for (const [path, content] of [
      ['app.tar.gz', 'app v1'],
      ['releases/v1.tar.gz', 'release 1'],
    ] as const) {
      const info = await u.getTargetInfo(path);
      expect(info, path).toBeDefined();
      const file = await u.downloadTarget(info!, join(targetDir, path.replaceAll('/', '_')));
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
    // The import record is still there beside the metadata tuf-js maintains.
    expect(readFileSync(join(metadataDir, 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
