/**
 * The hostable tree (src/repository-tree, src/io/repository-tree.ts, `tuf-ceremony tree`): TUF 5.x file
 * names with and without consistent snapshots, hash-prefixed target files, read back by `verify` and
 * `import`, and each refusal with its code and nothing written.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { writeVerifiedTree } from '../../../src/cli/tree.js';
import { readRepositoryDir } from '../../../src/io/files.js';
import type { JsonObject } from '../../../src/json/types.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { captureIo } from '../../support/cli-io.js';
import { buildRepo, parseBytes, sign, withField, type BuiltRepo } from '../../support/repo.js';

const enc = new TextEncoder();
const hex = (alg: string, b: Uint8Array): string => createHash(alg).update(b).digest('hex');
const TARGET_BYTES = new Map<string, Uint8Array>([
  ['app.tar.gz', enc.encode('app v1')],
  ['docs/readme.txt', enc.encode('hello')],
  ['releases/v1.tar.gz', enc.encode('release 1')],
]);

/** A test repository whose root sets consistent_snapshot (root v1, re-signed by its root keys). */
async function consistentRepo(): Promise<BuiltRepo> {
  const r = await buildRepo('tuf');
  r.roots[0] = await sign('tuf', withField(parseBytes(r.roots[0]!).signed as JsonObject, ['consistent_snapshot'], true), r.keys.root.slice(0, 2));
  return r;
}

function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tufc-tree-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hostable tree: consistent snapshots', () => {
  let r: BuiltRepo;
  let out: string;
  let pin: string;
  beforeAll(async () => {
    r = await consistentRepo();
    out = join(work, 'consistent');
    pin = join(work, 'pin-consistent.json');
    writeFileSync(pin, r.roots[0]!);
    await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, targetFiles: TARGET_BYTES, out, now: new Date() });
  });

  it('names metadata N.ROLE.json and targets HASH.NAME, one copy per recorded hash (TUF 5.7.3)', () => {
    const app = TARGET_BYTES.get('app.tar.gz')!;
    const readme = TARGET_BYTES.get('docs/readme.txt')!;
    const rel = TARGET_BYTES.get('releases/v1.tar.gz')!;
    expect(listTree(out)).toEqual(
      [
        '1.root.json',
        '1.snapshot.json',
        '1.targets.json',
        '1.releases.json',
        'timestamp.json',
        `targets/${hex('sha256', app)}.app.tar.gz`,
        `targets/${hex('sha512', app)}.app.tar.gz`,
        `targets/docs/${hex('sha256', readme)}.readme.txt`,
        `targets/docs/${hex('sha512', readme)}.readme.txt`,
        `targets/releases/${hex('sha256', rel)}.v1.tar.gz`,
        `targets/releases/${hex('sha512', rel)}.v1.tar.gz`,
      ].sort(),
    );
    expect(readFileSync(join(out, '1.snapshot.json'))).toEqual(Buffer.from(r.snapshot));
    expect(readFileSync(join(out, `targets/${hex('sha256', app)}.app.tar.gz`))).toEqual(Buffer.from(app));
  });

  it('verify and import accept the tree as it is', async () => {
    const v = captureIo();
    expect(await runCli(['verify', out, '--root', pin, '--json'], v.io)).toBe(0);
    expect(JSON.parse(v.out.join(''))).toMatchObject({ ok: true, profile: 'tuf', rootVersion: 1, targets: 2, absent: [] });
    const trustDir = join(work, 'trust-consistent');
    const i = captureIo();
    expect(await runCli(['import', out, '--trust-dir', trustDir, '--root', pin, '--json'], i.io)).toBe(0);
    expect(existsSync(join(trustDir, 'timestamp.json'))).toBe(true);
  });

  it('a tree keeps older versions: the current files are the ones timestamp.json and the snapshot name', async () => {
    const copy = join(work, 'with-old');
    await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, out: copy, now: new Date() });
    // An older (and bogus) snapshot beside the current one is passed over unread.
    writeFileSync(join(copy, '7.snapshot.json'), 'not json');
    const files = await readRepositoryDir(copy);
    expect(files.snapshot).toEqual(r.snapshot);
    expect(verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true }).snapshot?.md.signed.version).toBe(1);
  });

  it('tree from a tree carries its target files; --json documents the files', async () => {
    const c = captureIo();
    const again = join(work, 'again');
    expect(await runCli(['tree', out, '--root', pin, '--out', again, '--json'], c.io)).toBe(0);
    const j = JSON.parse(c.out.join(''));
    expect(j).toMatchObject({ ok: true, consistentSnapshot: true, rootVersions: [1], missingTargets: [] });
    expect(listTree(again)).toEqual(listTree(out));
  });
});

describe('hostable tree: without consistent snapshots', () => {
  it('unversioned metadata names and targets/NAME', async () => {
    const r = await buildRepo('tuf', { rootVersions: 2 });
    const out = join(work, 'plain');
    const w = await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, targetFiles: new Map([['app.tar.gz', TARGET_BYTES.get('app.tar.gz')!]]), out, now: new Date() });
    expect(listTree(out)).toEqual(['1.root.json', '2.root.json', 'releases.json', 'snapshot.json', 'targets.json', 'targets/app.tar.gz', 'timestamp.json']);
    expect(w.missingTargets.sort()).toEqual(['docs/readme.txt', 'releases/v1.tar.gz']);
    expect(w.rootVersions).toEqual([1, 2]);
  });

  it('starts at the pinned version: roots below the pin are left out (they cannot be verified from it)', async () => {
    const r = await buildRepo('tuf', { rootVersions: 3 });
    const out = join(work, 'from-v2');
    await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[1]!, out, now: new Date() });
    expect(listTree(out).filter((n) => n.endsWith('root.json'))).toEqual(['2.root.json', '3.root.json']);
  });
});

describe('hostable tree: refusals write nothing', () => {
  let r: BuiltRepo;
  beforeAll(async () => {
    r = await consistentRepo();
  });
  const cases: { name: string; code: string; make: () => { targets?: Map<string, Uint8Array>; out?: string; files?: () => ReturnType<BuiltRepo['files']> } }[] = [
    { name: 'target bytes that do not match their entry', code: 'TARGET_FILE_MISMATCH', make: () => ({ targets: new Map([['app.tar.gz', enc.encode('app v2')]]) }) },
    { name: 'target bytes of the right length, wrong hash', code: 'TARGET_FILE_MISMATCH', make: () => ({ targets: new Map([['app.tar.gz', enc.encode('app v9')]]) }) },
    { name: 'an incomplete repository (no timestamp)', code: 'META_MISSING', make: () => ({ files: () => ({ ...r.files(), timestamp: undefined }) }) },
    { name: 'a repository that does not verify (tampered snapshot)', code: 'LENGTH_MISMATCH', make: () => ({ files: () => ({ ...r.files(), snapshot: enc.encode(Buffer.from(r.snapshot).toString() + ' ') }) }) },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}`, async () => {
      const m = c.make();
      const out = join(work, `refused-${c.code}-${Math.random().toString(16).slice(2)}`);
      await expect(writeVerifiedTree({ files: (m.files ?? (() => r.files()))(), trustedRoot: r.roots[0]!, out, now: new Date(), ...(m.targets ? { targetFiles: m.targets } : {}) })).rejects.toMatchObject({ code: c.code });
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    });
  }

  it('an existing output folder, even empty: OUTPUT_EXISTS, left as it was', async () => {
    const out = join(work, 'exists');
    mkdirSync(out);
    await expect(writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, out, now: new Date() })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readdirSync(out)).toEqual([]);
  });

  it('an unsafe target name: TARGET_NAME_UNSAFE', async () => {
    const r2 = await consistentRepo();
    const t = parseBytes(r2.targets).signed as JsonObject;
    const bad = withField(t, ['targets', '../escape'], { length: 1, hashes: { sha256: 'aa'.repeat(32) } });
    await r2.relink({ targets: await sign('tuf', bad, r2.keys.targets) });
    const out = join(work, 'unsafe');
    await expect(writeVerifiedTree({ files: r2.files(), trustedRoot: r2.roots[0]!, out, now: new Date() })).rejects.toMatchObject({ code: 'TARGET_NAME_UNSAFE' });
    expect(existsSync(out)).toBe(false);
  });

  it('a tree holding a file of no tree shape: UNEXPECTED_FILE; a tampered target file in a tree: TARGET_FILE_MISMATCH', async () => {
    const out = join(work, 'stray');
    await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, targetFiles: TARGET_BYTES, out, now: new Date() });
    const pin = join(work, 'pin-stray.json');
    writeFileSync(pin, r.roots[0]!);
    writeFileSync(join(out, 'notes.txt'), 'hello');
    const c = captureIo();
    expect(await runCli(['verify', out, '--root', pin], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[UNEXPECTED_FILE\]/);
    rmSync(join(out, 'notes.txt'));
    writeFileSync(join(out, 'targets', `${hex('sha256', TARGET_BYTES.get('app.tar.gz')!)}.app.tar.gz`), 'app v2');
    const t = captureIo();
    expect(await runCli(['tree', out, '--root', pin, '--out', join(work, 'stray-copy')], t.io)).toBe(1);
    expect(t.err[0]).toMatch(/^error\[TARGET_FILE_MISMATCH\]/);
    expect(existsSync(join(work, 'stray-copy'))).toBe(false);
  });
});
