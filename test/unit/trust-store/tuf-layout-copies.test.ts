/**
 * A tuf-layout folder read back after a client updated it (review-11 M1): a delegated role whose name
 * needs escaping has up to three files (as it is, python-tuf's quoted name, tuf-js's persisted name), and
 * after a normal update they differ. Which copy is the role's is decided once (file-names.ts
 * tufLayoutCopies): the one the folder's snapshot records. verify, inspect and status take that copy;
 * an import's rollback check takes the newest any copy holds.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { readRepositoryDir } from '../../../src/io/files.js';
import { tufLayoutCopies } from '../../../src/trust-store/file-names.js';
import { importRepository, installedVersions } from '../../../src/trust-store/install.js';
import { DEFAULT_CAPS } from '../../../src/tuf/caps.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { buildRepo, FAR, metaEntry, metaKey, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

/** A role with three names: as it is, python-tuf's quote(role, ''), tuf-js's encodeURIComponent. */
const ROLE = 'a b!';
const AS_IS = 'a b!';
const PY = 'a%20b%21';
const JS = 'a%20b!';

let r: BuiltRepo;
/** The role's bytes at versions 1, 2, 3 (1 is the repository's own). */
const at = new Map<number, Uint8Array>();

async function roleAt(repo: BuiltRepo, version: number): Promise<Uint8Array> {
  return sign('tuf', targetsSigned('tuf', version, { [`releases/v${version}.tar.gz`]: new TextEncoder().encode(`release ${version}`) }), repo.keys.delegate);
}

/** The repository's state `version`: the role at that version, snapshot and timestamp too. */
async function state(repo: BuiltRepo, role: string, version: number): Promise<{ files: RepositoryFiles; delegated: Uint8Array }> {
  const delegated = version === 1 ? repo.delegated : await roleAt(repo, version);
  const snapshot = await sign('tuf', { _type: 'snapshot', spec_version: '1.0.31', version, expires: FAR, meta: { [metaKey('tuf', 'targets')]: metaEntry('tuf', repo.targets, 1), [metaKey('tuf', role)]: metaEntry('tuf', delegated, version) } }, repo.keys.snapshot);
  const timestamp = await sign('tuf', { _type: 'timestamp', spec_version: '1.0.31', version, expires: FAR, meta: { 'snapshot.json': metaEntry('tuf', snapshot, version) } }, repo.keys.timestamp);
  return { files: { ...repo.files(), snapshot, timestamp, delegated: new Map([[role, delegated]]) }, delegated };
}

beforeAll(async () => {
  r = await buildRepo('tuf', { delegationName: ROLE });
  for (const v of [1, 2, 3]) at.set(v, v === 1 ? r.delegated : await roleAt(r, v));
});

describe('tufLayoutCopies: which copy is the role', () => {
  // files present (own name → version of the bytes it holds), what the snapshot records for the role
  // (its version, with length and hashes or the version alone), the copy taken (undefined: none is).
  const table: [label: string, files: Record<string, number>, recorded: { version: number; hashes: boolean }, chosen: string | undefined][] = [
    ['one copy, recorded', { [AS_IS]: 1 }, { version: 1, hashes: true }, AS_IS],
    ['one copy, not recorded: it stands (verification reports it)', { [JS]: 1 }, { version: 2, hashes: true }, JS],
    ['equal copies, not recorded: the as-is one (verification reports it)', { [AS_IS]: 1, [PY]: 1 }, { version: 2, hashes: true }, AS_IS],
    ["tuf-js updated: its persisted copy is the snapshot's", { [AS_IS]: 1, [PY]: 1, [JS]: 2 }, { version: 2, hashes: true }, JS],
    ["python-tuf updated: its quoted copy is the snapshot's", { [AS_IS]: 1, [PY]: 2 }, { version: 2, hashes: true }, PY],
    ['the as-is copy is the recorded one, the others newer', { [AS_IS]: 2, [PY]: 3, [JS]: 3 }, { version: 2, hashes: true }, AS_IS],
    ['no hashes in the snapshot: by version', { [AS_IS]: 1, [JS]: 2 }, { version: 2, hashes: false }, JS],
    ['no hashes, two copies of that version: the earlier name', { [PY]: 2, [JS]: 2, [AS_IS]: 1 }, { version: 2, hashes: false }, PY],
    ['copies differ, none recorded (snapshot updated, role not yet downloaded)', { [AS_IS]: 1, [JS]: 2 }, { version: 3, hashes: true }, undefined],
    ['copies differ, none recorded, no hashes', { [AS_IS]: 1, [PY]: 2 }, { version: 3, hashes: false }, undefined],
  ];
  for (const [label, files, recorded, chosen] of table) {
    it(label, async () => {
      const bytes = at.get(recorded.version)!;
      const entry = recorded.hashes ? metaEntry('tuf', bytes, recorded.version) : { version: recorded.version };
      const snapshot = parseMetadata(await sign('tuf', { _type: 'snapshot', spec_version: '1.0.31', version: 5, expires: FAR, meta: { 'targets.json': metaEntry('tuf', r.targets, 1), [`${ROLE}.json`]: entry } }, r.keys.snapshot), 'snapshot', { maxBytes: 1 << 20, source: 'snapshot.json' });
      const delegated = new Map(Object.entries(files).map(([name, v]) => [name, at.get(v)!]));
      const got = tufLayoutCopies(delegated, snapshot);
      expect(got.map((c) => c.role)).toEqual([ROLE]);
      expect(got[0]!.copies.map((c) => c.file)).toEqual([AS_IS, PY, JS].filter((n) => n in files).map((n) => `${n}.json`));
      expect(got[0]!.chosen?.file).toBe(chosen === undefined ? undefined : `${chosen}.json`);
    });
  }

  it('without a snapshot every file is the role of its own name', () => {
    const got = tufLayoutCopies(new Map([[AS_IS, at.get(1)!], [PY, at.get(2)!]]), undefined);
    expect(got.map((c) => [c.role, c.chosen?.file])).toEqual([[AS_IS, `${AS_IS}.json`], [PY, `${PY}.json`]]);
  });
});

describe('a client-updated tuf-layout folder (review-11 M1 repro)', () => {
  /** Install state 1 of a repository with `role`, then write what tuf-js persists after downloading state `next`. */
  async function clientUpdated(role: string, next: number): Promise<{ repo: BuiltRepo; dir: string; pin: string }> {
    const repo = role === ROLE ? r : await buildRepo('tuf', { delegationName: role });
    const work = tmp('tufc-copies-');
    const dir = join(work, 'metadata');
    await importRepository({ files: repo.files(), source: 'v1' }, { trustDir: dir, trustedRoot: repo.roots[0]!, now: new Date(), layout: 'tuf' });
    // tuf-js (updater.js persistMetadata) after refresh and a download of the role at `next`.
    const s = await state(repo, role, next);
    writeFileSync(join(dir, `${encodeURIComponent(role)}.json`), s.delegated);
    writeFileSync(join(dir, 'snapshot.json'), s.files.snapshot!);
    writeFileSync(join(dir, 'timestamp.json'), s.files.timestamp!);
    const pin = join(work, 'pin.json');
    writeFileSync(pin, repo.roots[0]!);
    return { repo, dir, pin };
  }

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  // 'release 2': tuf-js's persisted name is python-tuf's (release%202.json); 'a b!': a third name.
  for (const role of ['release 2', ROLE]) {
    it(`${JSON.stringify(role)}: status, verify and inspect take the copy the snapshot records (integ: UNEXPECTED_FILE, exit 1)`, async () => {
      const { dir, pin } = await clientUpdated(role, 2);
      expect(readdirSync(dir)).toContain(`${encodeURIComponent(role)}.json`);
      const status = await run(['status', dir, '--json']);
      expect(status.code, status.err).toBe(0);
      const item = (JSON.parse(status.out) as { items: { name: string; version?: number }[] }).items.find((i) => i.name === role);
      expect(item?.version).toBe(2);
      const verify = await run(['verify', dir, '--root', pin, '--json']);
      expect(verify.code, verify.err).toBe(0);
      const inspect = await run(['inspect', dir, '--root', pin, '--json']);
      expect(inspect.code, inspect.err).toBe(0);
      expect([...(await readRepositoryDir(dir)).delegated.keys()]).toEqual([role]);
    });
  }

  it('the install read bound counts three names per role (review-11 L7): a client-updated folder is read back whole', async () => {
    const { repo, dir } = await clientUpdated(ROLE, 2);
    // 4 top-level files + the role's 3 names + imports.log = 8 files; a cap of 3 files read 2 × 3 + 1 = 7 before.
    expect(readdirSync(dir)).toHaveLength(8);
    const caps = { ...DEFAULT_CAPS, files: 3 };
    const s3 = await state(repo, ROLE, 3);
    const result = await importRepository({ files: s3.files, source: 'v3' }, { trustDir: dir, now: new Date(), caps });
    expect(result.previous?.delegated).toEqual({ [ROLE]: 2 });
    // The install replaced the folder (7 files); one more than 3 × 3 + 1 is still refused.
    expect(readdirSync(dir)).toHaveLength(7);
    for (const n of [1, 2, 3, 4]) writeFileSync(join(dir, `x${n}.json`), repo.delegated);
    await expect(importRepository({ files: s3.files, source: 'v3' }, { trustDir: dir, now: new Date(), caps })).rejects.toMatchObject({ code: 'TRUST_DIR_INVALID', message: expect.stringContaining('more than 10 files') as unknown });
  });

  it('reading it as a repository counts roles, not names (review-11 L7): 7 metadata files, 5 roles', async () => {
    const { dir } = await clientUpdated(ROLE, 2);
    expect(readdirSync(dir).filter((n) => n !== 'imports.log')).toHaveLength(7);
    expect([...(await readRepositoryDir(dir, { ...DEFAULT_CAPS, files: 5 })).delegated.keys()]).toEqual([ROLE]);
    await expect(readRepositoryDir(dir, { ...DEFAULT_CAPS, files: 4 })).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE', message: expect.stringContaining('5 metadata files (each role once, whatever its names) exceed the cap of 4') as unknown });
    // Names are bounded too, at three per role: 13 names for a cap of 4 are refused while listing.
    for (const n of [1, 2, 3, 4, 5, 6]) writeFileSync(join(dir, `x${n}.json`), r.delegated);
    await expect(readRepositoryDir(dir, { ...DEFAULT_CAPS, files: 4 })).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE', message: expect.stringContaining('more than 12 files') as unknown });
  });

  it('copies that differ with none recorded: refused naming each copy and what the snapshot records (status: the newest copy); an import over it still works, the newest copy counting as installed', async () => {
    const { repo, dir, pin } = await clientUpdated(ROLE, 2);
    // The client refreshed to state 3 and has not downloaded the role yet.
    const s3 = await state(repo, ROLE, 3);
    writeFileSync(join(dir, 'snapshot.json'), s3.files.snapshot!);
    writeFileSync(join(dir, 'timestamp.json'), s3.files.timestamp!);
    const e = await readRepositoryDir(dir).then(
      () => undefined,
      (err: unknown) => err as { code: string; path: string; message: string },
    );
    expect([e?.code, e?.path]).toEqual(['UNEXPECTED_FILE', `snapshot.json $.signed.meta["${ROLE}.json"]`]);
    for (const part of [`"${AS_IS}.json" (version 1,`, `"${PY}.json" (version 1,`, `"${JS}.json" (version 2,`, 'snapshot.json v3 records (version 3,']) expect(e?.message).toContain(part);
    expect(e?.message).not.toMatch(/tuf-js|python-tuf/);
    const verify = await run(['verify', dir, '--root', pin, '--json']);
    expect([verify.code, verify.out]).toEqual([1, expect.stringContaining('"code": "UNEXPECTED_FILE"')]);
    // status verifies nothing and reports the newest copy (main reported both files, as two roles).
    expect((await readRepositoryDir(dir, undefined, { unrecordedCopies: 'newest' })).delegated).toEqual(new Map([[ROLE, new Uint8Array(at.get(2)!)]]));
    const status = await run(['status', dir, '--json']);
    expect(status.code, status.err).toBe(0);
    expect((JSON.parse(status.out) as { items: { name: string; version?: number }[] }).items.filter((i) => i.name.startsWith('a')).map((i) => [i.name, i.version])).toEqual([[ROLE, 2]]);

    const tree = new Map(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
    expect(installedVersions(tree, 'tuf').versions.delegated).toEqual({ [ROLE]: 2 });
    // State 3 installs: the folder is replaced whole, the two copies an install writes, tuf-js's third name gone.
    const result = await importRepository({ files: s3.files, source: 'v3' }, { trustDir: dir, now: new Date() });
    expect(result.previous?.delegated).toEqual({ [ROLE]: 2 });
    expect(result.versions.delegated).toEqual({ [ROLE]: 3 });
    expect(readdirSync(dir).filter((n) => n.startsWith('a')).sort()).toEqual([`${AS_IS}.json`, `${PY}.json`]);
    for (const f of [AS_IS, PY]) expect(readFileSync(join(dir, `${f}.json`))).toEqual(Buffer.from(s3.delegated));
    expect([...(await readRepositoryDir(dir)).delegated.keys()]).toEqual([ROLE]);
  });
});
