/**
 * The tuf layout holds a delegated role whose name needs escaping twice (file-names.ts tufLayoutRoleFiles:
 * `release 2.json` for tuf-js, `release%202.json` for python-tuf). An install made before that (the name as
 * it is only) is updated to both copies — nothing of the old folder stays beside them, nothing is refused
 * for it — and a folder read back counts both copies as the one role (install.ts installedVersions).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { readRepositoryDir } from '../../../src/io/files.js';
import { createHash } from 'node:crypto';
import { encodeBundle, type BundleContent } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../../../src/bundle/set.js';
import { importRepository, installedVersions } from '../../../src/trust-store/install.js';
import { importRepositorySet } from '../../../src/trust-store/install-set.js';
import { bundleContent } from '../../support/trust-tree.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { buildRepo, FAR, metaEntry, metaKey, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const ROLE = 'release 2';
const AS_IS = 'release 2.json';
const QUOTED = 'release%202.json';

/** The repository's next state: its delegated role at version 2, snapshot and timestamp at 2. */
async function nextState(r: BuiltRepo): Promise<{ files: RepositoryFiles; delegated: Uint8Array }> {
  const delegated = await sign('tuf', targetsSigned('tuf', 2, { 'releases/v2.tar.gz': new TextEncoder().encode('release 2') }), r.keys.delegate);
  const snapshot = await sign(
    'tuf',
    { _type: 'snapshot', spec_version: '1.0.31', version: 2, expires: FAR, meta: { [metaKey('tuf', 'targets')]: metaEntry('tuf', r.targets, 1), [metaKey('tuf', ROLE)]: metaEntry('tuf', delegated, 2) } },
    r.keys.snapshot,
  );
  const timestamp = await sign('tuf', { _type: 'timestamp', spec_version: '1.0.31', version: 2, expires: FAR, meta: { 'snapshot.json': metaEntry('tuf', snapshot, 2) } }, r.keys.timestamp);
  return { files: { ...r.files(), snapshot, timestamp, delegated: new Map([[ROLE, delegated]]) }, delegated };
}

function readTree(dir: string): Map<string, Uint8Array> {
  return new Map(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
}

describe('a tuf-layout install with a role name that needs escaping', () => {
  it('an install made with the name as it is only is updated to both copies: no stale file, no refusal, rollback still checked', async () => {
    const r = await buildRepo('tuf', { delegationName: ROLE });
    const dir = join(tmp('tufc-escaped-'), 'metadata');
    const now = new Date();
    await importRepository({ files: r.files(), source: 'v1' }, { trustDir: dir, trustedRoot: r.roots[0]!, now, layout: 'tuf' });
    // What an earlier version installed: `<role>.json` only.
    rmSync(join(dir, QUOTED));
    expect(readdirSync(dir).sort()).toEqual([AS_IS, 'imports.log', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json'].sort());

    const v2 = await nextState(r);
    const result = await importRepository({ files: v2.files, source: 'v2' }, { trustDir: dir, now });
    expect(result.pinnedBy).toBe('installed');
    expect(result.previous?.delegated).toEqual({ [ROLE]: 1 });
    expect(result.versions.delegated).toEqual({ [ROLE]: 2 });
    expect(readdirSync(dir).sort()).toEqual([AS_IS, 'imports.log', QUOTED, 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json'].sort());
    for (const f of [AS_IS, QUOTED]) expect(readFileSync(join(dir, f))).toEqual(Buffer.from(v2.delegated));

    // The old state again is a rollback, and refused with the folder as it was.
    const before = readTree(dir);
    await expect(importRepository({ files: r.files(), source: 'v1 again' }, { trustDir: dir, now })).rejects.toMatchObject({ code: 'ROLLBACK' });
    expect(readTree(dir)).toEqual(before);
  });

  it('reads both copies back as the one role, the newer counting (a client updated one of them)', async () => {
    const r = await buildRepo('tuf', { delegationName: ROLE });
    const dir = join(tmp('tufc-escaped-'), 'metadata');
    const v2 = await nextState(r);
    await importRepository({ files: v2.files, source: 'v2' }, { trustDir: dir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' });
    expect(installedVersions(readTree(dir), 'tuf').versions.delegated).toEqual({ [ROLE]: 2 });
    // One copy older (either one): still version 2, and never a role named "release%202".
    for (const stale of [AS_IS, QUOTED]) {
      writeFileSync(join(dir, stale), r.delegated);
      expect(installedVersions(readTree(dir), 'tuf').versions.delegated, stale).toEqual({ [ROLE]: 2 });
      writeFileSync(join(dir, stale), v2.delegated);
    }
    // Only the escaped copy (python-tuf's) left: it is still the role's.
    rmSync(join(dir, AS_IS));
    expect(installedVersions(readTree(dir), 'tuf').versions.delegated).toEqual({ [ROLE]: 2 });
  });

  it('an installed folder read as a repository (verify, import from it) is the one role, not a second one nobody delegates to', async () => {
    const r = await buildRepo('tuf', { delegationName: ROLE });
    const work = tmp('tufc-escaped-');
    const dir = join(work, 'metadata');
    await importRepository({ files: r.files(), source: 'v1' }, { trustDir: dir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' });
    const files = await readRepositoryDir(dir);
    expect([...files.delegated.keys()]).toEqual([ROLE]);
    expect(verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true }).delegated.has(ROLE)).toBe(true);
    const pin = join(work, 'root-1.json');
    writeFileSync(pin, r.roots[0]!);
    const err: string[] = [];
    expect(await runCli(['verify', dir, '--root', pin, '--json'], { out: () => undefined, err: (s) => void err.push(s) }), err.join('\n')).toBe(0);
    // Imported from there into another folder: both copies again.
    const again = await importRepository({ files, source: dir }, { trustDir: join(work, 'copy'), trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' });
    expect(again.files.filter((f) => f.startsWith('release'))).toEqual([AS_IS, QUOTED]);

    // Only python-tuf's copy: it stands for the role. Two copies that differ: the one the snapshot records
    // (file-names.ts tufLayoutCopies; tuf-layout-copies.test.ts has the table).
    rmSync(join(dir, AS_IS));
    expect([...(await readRepositoryDir(dir)).delegated.keys()]).toEqual([ROLE]);
    writeFileSync(join(dir, AS_IS), (await nextState(r)).delegated);
    expect((await readRepositoryDir(dir)).delegated).toEqual(new Map([[ROLE, new Uint8Array(r.delegated)]]));
  });

  it('a trust-bundle-set import writes both copies too, and the next set import reads them back as the one role', async () => {
    const a = await buildRepo('tuf', { delegationName: ROLE });
    const b = await buildRepo('tuf');
    const now = new Date();
    const sha = (x: Uint8Array): string => createHash('sha256').update(x).digest('hex');
    const pins = new Map([
      ['org/app', sha(a.roots[0]!)],
      ['org/other', sha(b.roots[0]!)],
    ]);
    const setOf = (...contents: BundleContent[]) => decodeRepositorySet(encodeRepositorySet(contents.map((c) => encodeBundle(c)), { name: 'site', created: now }));
    const trustDir = join(tmp('tufc-escaped-'), 'trust');
    const first = await importRepositorySet(setOf(bundleContent(a, 'org/app'), bundleContent(b, 'org/other')), { trustDir, pins, now });
    expect(Object.keys(first.entries[0]!.fileHashes).filter((f) => f.startsWith('release'))).toEqual([AS_IS, QUOTED]);
    const folder = join(trustDir, 'org', 'app');
    expect(readdirSync(folder).filter((f) => f.startsWith('release')).sort()).toEqual([AS_IS, QUOTED]);

    const v2 = await nextState(a);
    const v2Content: BundleContent = {
      ...bundleContent(a, 'org/app'),
      files: bundleContent(a, 'org/app').files.map((f) => (f.name === AS_IS ? { ...f, bytes: v2.delegated } : f.name === 'snapshot.json' ? { ...f, bytes: v2.files.snapshot! } : f.name === 'timestamp.json' ? { ...f, bytes: v2.files.timestamp! } : f)),
    };
    const second = await importRepositorySet(setOf(v2Content, bundleContent(b, 'org/other')), { trustDir, now });
    expect(second.entries[0]!.versions.delegated).toEqual({ [ROLE]: 2 });
    for (const f of [AS_IS, QUOTED]) expect(readFileSync(join(folder, f))).toEqual(Buffer.from(v2.delegated));
    // The first state again is refused as a rollback, over the set's read-back of both copies.
    await expect(importRepositorySet(setOf(bundleContent(a, 'org/app'), bundleContent(b, 'org/other')), { trustDir, now })).rejects.toMatchObject({ code: 'ROLLBACK' });
  });
});
