import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDir, readFileCapped, readListedFile, readRepositoryDir, writeFileAtomic, writeNewFilesAtomic, writeNewFilesInFolders } from '../../../src/io/files.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

const tmp = () => tempDir('tufc-io-');

describe('writeFileAtomic', () => {
  it('writes, and never overwrites an existing file', async () => {
    const dir = tmp();
    const path = join(dir, 'root.json');
    await writeFileAtomic(path, new TextEncoder().encode('one'));
    await expect(writeFileAtomic(path, new TextEncoder().encode('two'))).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(path, 'utf8')).toBe('one');
    // No temp file is left behind after either call.
    expect(readdirSync(dir)).toEqual(['root.json']);
  });

  it('replaces only when asked to', async () => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, new TextEncoder().encode('1'));
    await writeFileAtomic(path, new TextEncoder().encode('2'), { overwrite: true });
    expect(readFileSync(path, 'utf8')).toBe('2');
  });
});

describe('writeNewFilesAtomic (a repository folder of a multi-repository ceremony)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('writes every file into a new folder, exact bytes, no temp file left', async () => {
    const dir = join(tmp(), 'repositories', 'app');
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    await writeNewFilesAtomic(dir, [
      { name: 'root.json', bytes: enc('{"root":1}') },
      { name: 'targets.json', bytes: big },
      { name: 'empty.json', bytes: new Uint8Array(0) },
    ]);
    expect(readdirSync(dir).sort()).toEqual(['empty.json', 'root.json', 'targets.json']);
    expect(readFileSync(join(dir, 'root.json'), 'utf8')).toBe('{"root":1}');
    expect(Buffer.compare(readFileSync(join(dir, 'targets.json')), Buffer.from(big))).toBe(0);
    expect(readFileSync(join(dir, 'empty.json')).length).toBe(0);
  });

  it('refuses before writing anything when one of the files exists (OUTPUT_EXISTS), and leaves that file alone', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'snapshot.json'), 'old');
    await expect(writeNewFilesAtomic(dir, [{ name: 'root.json', bytes: enc('new') }, { name: 'snapshot.json', bytes: enc('new') }])).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readdirSync(dir)).toEqual(['snapshot.json']);
    expect(readFileSync(join(dir, 'snapshot.json'), 'utf8')).toBe('old');
  });

  it('a name that is not a plain file name is refused', async () => {
    const dir = tmp();
    for (const name of ['', '.', '..', 'a/b.json', '../x.json']) {
      await expect(writeNewFilesAtomic(dir, [{ name, bytes: enc('x') }])).rejects.toMatchObject({ code: 'INTERNAL' });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a folder that cannot be written gives a named write fault, and no temp file', async () => {
    const parent = tmp();
    writeFileSync(join(parent, 'not-a-folder'), 'x');
    await expect(writeNewFilesAtomic(join(parent, 'not-a-folder', 'repo'), [{ name: 'root.json', bytes: enc('x') }])).rejects.toBeDefined();
    expect(readdirSync(parent)).toEqual(['not-a-folder']);
  });
});

describe('folders a write creates are made durable in their parents (review A2 L2)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  // Each: the folders under a fresh temp folder that exist before the write, the folder written into (all
  // relative to the temp folder, '' being itself), and the folders fsync'd, in order: the parent of each
  // level the write created, top down, then the folder itself once its names appeared. writeNewFilesAtomic
  // also fsyncs the parent of a folder it finds already there (review-12b L4: a killed run may have made it
  // without that fsync): the last column, where it differs.
  const CASES: [string, string[], string, string[], string[]?][] = [
    ['the folder exists', ['repo'], 'repo', ['repo'], ['', 'repo']],
    ['one new level', [], 'repo', ['', 'repo']],
    ['three new levels', [], 'metadata/org%2Fapp/x', ['', 'metadata', 'metadata/org%2Fapp', 'metadata/org%2Fapp/x']],
    ['two new levels under an existing one', ['metadata'], 'metadata/org/app', ['metadata', 'metadata/org', 'metadata/org/app']],
  ];
  const writers: [string, (dir: string, synced: (f: string) => void) => Promise<void>][] = [
    ['writeNewFilesAtomic', (dir, synced) => writeNewFilesAtomic(dir, [{ name: 'root.json', bytes: enc('x') }], { synced })],
    ['writeFileAtomic', (dir, synced) => writeFileAtomic(join(dir, 'root.json'), enc('x'), { synced })],
  ];
  for (const [writer, write] of writers) {
    it.each(CASES)(`${writer}: %s`, async (_name, existing, target, expected, reusing) => {
      const base = tmp();
      for (const e of existing) mkdirSync(join(base, e), { recursive: true });
      const synced: string[] = [];
      await write(join(base, target), (f) => void synced.push(f));
      expect(synced).toEqual((writer === 'writeNewFilesAtomic' && reusing ? reusing : expected).map((e) => (e ? join(base, e) : base)));
      expect(readFileSync(join(base, target, 'root.json'), 'utf8')).toBe('x');
    });
  }
});

describe('ensurePrivateDir: a new secret/ folder is made durable in its parent (review L6)', () => {
  const CASES: [string, string[], string, string[]][] = [
    ['the folder exists', ['out/secret'], 'out/secret', []],
    ['new under an existing folder', ['out'], 'out/secret', ['out']],
    ['two new levels', [], 'out/secret', ['', 'out']],
  ];
  it.each(CASES)('%s', async (_name, existing, target, expected) => {
    const base = tmp();
    for (const e of existing) mkdirSync(join(base, e), { recursive: true });
    const synced: string[] = [];
    await ensurePrivateDir(join(base, target), { synced: (f) => void synced.push(f) });
    expect(synced).toEqual(expected.map((e) => (e ? join(base, e) : base)));
    expect(statSync(join(base, target)).mode & 0o777).toBe(0o700);
  });
});

describe('writeNewFilesAtomic rank: a higher rank appears only once every lower rank is durable (review A2 L1)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const rank = (name: string) => ({ 'root.json': 0, '1.root.json': 0, 'targets.json': 1, 'snapshot.json': 2, 'timestamp.json': 3 })[name] ?? 0;
  // Each: the files in the order given, and what happens: each link, and each fsync of the folder.
  const CASES: [string, string[], string[]][] = [
    ['in role order', ['root.json', '1.root.json', 'targets.json', 'snapshot.json', 'timestamp.json'], ['link root.json', 'link 1.root.json', 'sync', 'link targets.json', 'sync', 'link snapshot.json', 'sync', 'link timestamp.json', 'sync']],
    ['given out of order: linked by rank, the order kept within a rank', ['snapshot.json', '1.root.json', 'targets.json', 'root.json'], ['link 1.root.json', 'link root.json', 'sync', 'link targets.json', 'sync', 'link snapshot.json', 'sync']],
    ['one rank: one fsync', ['root.json', '1.root.json'], ['link root.json', 'link 1.root.json', 'sync']],
    ['ranks with gaps', ['timestamp.json', 'root.json'], ['link root.json', 'sync', 'link timestamp.json', 'sync']],
  ];
  it.each(CASES)('%s', async (_name, names, expected) => {
    const dir = tmp();
    const events: string[] = [];
    await writeNewFilesAtomic(
      dir,
      names.map((name) => ({ name, bytes: enc(name) })),
      { rank, afterLink: (name) => void events.push(`link ${name}`), synced: (f) => void events.push(f === dir ? 'sync' : `sync ${f}`) },
    );
    // The folder was already there: its parent is fsync'd first (review-12b L4).
    expect(events).toEqual([`sync ${dirname(dir)}`, ...expected]);
    for (const name of names) expect(readFileSync(join(dir, name), 'utf8')).toBe(name);
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
  });

  it('a stop after a link leaves the lower ranks complete and no temp file', async () => {
    const dir = tmp();
    const files = ['snapshot.json', 'targets.json', 'root.json'].map((name) => ({ name, bytes: enc(name) }));
    await expect(writeNewFilesAtomic(dir, files, { rank, afterLink: (name) => { if (name === 'targets.json') throw new Error('stop'); } })).rejects.toThrow('stop');
    expect(readdirSync(dir).sort()).toEqual(['root.json', 'targets.json']);
  });
});

describe('writeNewFilesInFolders: a group commit over several folders (issue #17)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const rank = (name: string) => ({ 'root.json': 0, 'targets.json': 1, 'snapshot.json': 2 })[name] ?? 0;
  const ROLES = ['root.json', 'targets.json', 'snapshot.json'];
  const group = (base: string, n: number) => Array.from({ length: n }, (_, i) => ({ dir: join(base, 'metadata', `r${i}`), files: ROLES.map((name) => ({ name, bytes: enc(`${i}:${name}`) })) }));

  it('links rank by rank across the folders, each folder fsync\'d once per rank, the shared parent once', async () => {
    const base = tmp();
    mkdirSync(join(base, 'metadata'));
    const folders = group(base, 3);
    const events: string[] = [];
    const rel = (f: string) => f.slice(base.length + 1);
    await writeNewFilesInFolders(folders, { rank, afterLink: (dir, name) => void events.push(`link ${rel(dir)}/${name}`), synced: (f) => void events.push(`sync ${rel(f)}`) });
    const pass = (name: string) => [...[0, 1, 2].map((i) => `link metadata/r${i}/${name}`), ...[0, 1, 2].map((i) => `sync metadata/r${i}`)];
    expect(events).toEqual(['sync metadata', ...pass('root.json'), ...pass('targets.json'), ...pass('snapshot.json')]);
    for (const [i, f] of folders.entries()) {
      expect(readdirSync(f.dir).sort()).toEqual([...ROLES].sort());
      for (const name of ROLES) expect(readFileSync(join(f.dir, name), 'utf8')).toBe(`${i}:${name}`);
    }
  });

  it('one existing name in any folder: OUTPUT_EXISTS before a byte is written anywhere', async () => {
    const base = tmp();
    const folders = group(base, 3);
    mkdirSync(folders[2]!.dir, { recursive: true });
    writeFileSync(join(folders[2]!.dir, 'targets.json'), 'old');
    await expect(writeNewFilesInFolders(folders, { rank })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readdirSync(folders[0]!.dir)).toEqual([]);
    expect(readdirSync(folders[1]!.dir)).toEqual([]);
    expect(readdirSync(folders[2]!.dir)).toEqual(['targets.json']);
    expect(readFileSync(join(folders[2]!.dir, 'targets.json'), 'utf8')).toBe('old');
  });

  it('a name taken while the group is written (after the check) is never replaced: OUTPUT_EXISTS, no temporary file left', async () => {
    const base = tmp();
    const folders = group(base, 2);
    const err = writeNewFilesInFolders(folders, {
      rank,
      afterLink: (dir, name) => {
        // Another writer takes folder 1's root.json between folder 0's link and folder 1's.
        if (dir === folders[0]!.dir && name === 'root.json') writeFileSync(join(folders[1]!.dir, 'root.json'), 'theirs');
      },
    });
    await expect(err).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(join(folders[1]!.dir, 'root.json'), 'utf8')).toBe('theirs');
    expect(readdirSync(folders[0]!.dir)).toEqual(['root.json']);
    expect(readdirSync(folders[1]!.dir)).toEqual(['root.json']);
  });

  it('resume into folders a killed run made (review-12b L4): their parent fsync\'d once, before any name appears in them', async () => {
    const base = tmp();
    const folders = group(base, 3);
    // The killed run made metadata/r0 and metadata/r1 (and r0's root.json) and stopped before fsyncing
    // metadata/: on resume they are found already there. r2 is new.
    for (const f of folders.slice(0, 2)) mkdirSync(f.dir, { recursive: true });
    writeFileSync(join(folders[0]!.dir, 'root.json'), '0:root.json');
    const resumed = [{ ...folders[0]!, files: folders[0]!.files.filter((f) => f.name !== 'root.json') }, folders[1]!, folders[2]!];
    const events: string[] = [];
    const rel = (f: string) => f.slice(base.length + 1);
    await writeNewFilesInFolders(resumed, { rank, afterLink: (dir, name) => void events.push(`link ${rel(dir)}/${name}`), synced: (f) => void events.push(`sync ${rel(f)}`) });
    expect(events.filter((e) => e === 'sync metadata')).toHaveLength(1);
    expect(events[0]).toBe('sync metadata');
    for (const [i, f] of folders.entries()) {
      for (const name of ROLES) expect(readFileSync(join(f.dir, name), 'utf8')).toBe(`${i}:${name}`);
    }
    // All of them already there (the whole group reused): the parent is fsync'd still.
    const again = group(tmp(), 2);
    for (const f of again) mkdirSync(f.dir, { recursive: true });
    const synced: string[] = [];
    await writeNewFilesInFolders(again, { rank, synced: (f) => void synced.push(f) });
    expect(synced[0]).toBe(dirname(again[0]!.dir));
    expect(synced.filter((f) => f === dirname(again[0]!.dir))).toHaveLength(1);
  });

  // A crash injected after every single link of a group of three folders: what is on disk then. Each
  // folder holds a prefix of its ranks, each file its exact bytes, no temporary file; and every name of a
  // rank appeared only after each folder's lower-rank names were fsync'd (the `synced` events), which is
  // what makes that prefix survive a power loss too, not only a kill.
  const LINKS = 3 * ROLES.length;
  it.each(Array.from({ length: LINKS }, (_, k) => k + 1))('stopped after link %i of 9: every folder a prefix of its roles, complete files, no temporary file', async (stopAt) => {
    const base = tmp();
    const folders = group(base, 3);
    const events: { kind: 'link' | 'sync'; dir: string; name?: string }[] = [];
    let links = 0;
    await expect(
      writeNewFilesInFolders(folders, {
        rank,
        synced: (dir) => void events.push({ kind: 'sync', dir }),
        afterLink: (dir, name) => {
          events.push({ kind: 'link', dir, name });
          if (++links === stopAt) throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    for (const [i, f] of folders.entries()) {
      const names = readdirSync(f.dir);
      expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
      const present = ROLES.filter((r) => names.includes(r));
      expect(present, f.dir).toEqual(ROLES.slice(0, present.length));
      for (const name of present) expect(readFileSync(join(f.dir, name), 'utf8')).toBe(`${i}:${name}`);
    }
    // Each link of rank r came after a sync of its folder that followed the folder's links of lower rank.
    events.forEach((e, i) => {
      if (e.kind !== 'link' || rank(e.name!) === 0) return;
      const lowerLinks = events.slice(0, i).map((x, j) => ({ x, j })).filter(({ x }) => x.kind === 'link' && x.dir === e.dir && rank(x.name!) < rank(e.name!));
      const lastLower = Math.max(...lowerLinks.map(({ j }) => j));
      expect(events.slice(lastLower, i).some((x) => x.kind === 'sync' && x.dir === e.dir), `${e.dir}/${e.name}`).toBe(true);
    });
    expect(links).toBe(stopAt);
  });
});

describe('readFileCapped', () => {
  it('refuses a file over the cap before reading it', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'big.json'), 'x'.repeat(100));
    await expect(readFileCapped(join(dir, 'big.json'), 99)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect((await readFileCapped(join(dir, 'big.json'), 100)).length).toBe(100);
  });

  it('does not follow a symbolic link', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'real.json'), '{}');
    symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'));
    await expect(readFileCapped(join(dir, 'link.json'), 100)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  // Small files are read with synchronous calls, larger ones (over 1 MiB) through the promise API: both ways.
  for (const size of [1000, (1 << 20) + 1000]) {
    it(`reads a ${size}-byte file whole and byte for byte, refuses it under a smaller cap, and refuses a FIFO, a folder and a missing file`, async () => {
      const dir = tmp();
      const bytes = new Uint8Array(size).map((_, i) => (i * 7) & 255);
      writeFileSync(join(dir, 'f.bin'), bytes);
      expect(Buffer.from(await readFileCapped(join(dir, 'f.bin'), size)).equals(Buffer.from(bytes))).toBe(true);
      await expect(readFileCapped(join(dir, 'f.bin'), size - 1)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
      symlinkSync(join(dir, 'f.bin'), join(dir, 'link.bin'));
      await expect(readFileCapped(join(dir, 'link.bin'), size)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      mkdirSync(join(dir, 'sub'));
      await expect(readFileCapped(join(dir, 'sub'), size)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      await expect(readFileCapped(join(dir, 'missing.bin'), size)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      await expect(readFileCapped(join(dir, 'pipe'), size)).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE' });
    });

    // readListedFile (a file readdir just listed; no lstat before the open): the same bytes and the same
    // refusals, with the same codes, for what could take the listed file's place before it is opened.
    it(`readListedFile: a ${size}-byte file, and a link, folder, missing file or FIFO in its place, as readFileCapped`, async () => {
      const dir = tmp();
      const bytes = new Uint8Array(size).map((_, i) => (i * 7) & 255);
      writeFileSync(join(dir, 'f.bin'), bytes);
      expect(Buffer.from(await readListedFile(join(dir, 'f.bin'), size)).equals(Buffer.from(bytes))).toBe(true);
      await expect(readListedFile(join(dir, 'f.bin'), size - 1)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
      symlinkSync(join(dir, 'f.bin'), join(dir, 'link.bin'));
      await expect(readListedFile(join(dir, 'link.bin'), size)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      await expect(readListedFile(join(dir, 'link.bin'), size)).rejects.toThrow('link.bin is a link; links are not followed');
      mkdirSync(join(dir, 'sub'));
      await expect(readListedFile(join(dir, 'sub'), size)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      await expect(readListedFile(join(dir, 'missing.bin'), size)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      await expect(readListedFile(join(dir, 'pipe'), size)).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE' });
    });
  }
});

describe('readRepositoryDir', () => {
  it('sorts files into roles, versioned roots and delegations', async () => {
    const dir = tmp();
    for (const f of ['root.json', '1.root.json', '2.root.json', 'targets.json', 'snapshot.json', 'timestamp.json', 'releases.json']) writeFileSync(join(dir, f), '{}');
    mkdirSync(join(dir, 'targets'));
    writeFileSync(join(dir, 'targets', 'releases.json'), '{}');
    const files = await readRepositoryDir(dir);
    expect([...files.versionedRoots.keys()].sort()).toEqual([1, 2]);
    expect(files.targets).toBeDefined();
    expect([...files.delegated.keys()].sort()).toEqual(['releases', 'targets/releases']);
  });

  it.each([['notes.txt'], ['.hidden'], ['root.json.bak']])('refuses a stray file %s', async (name) => {
    const dir = tmp();
    writeFileSync(join(dir, 'root.json'), '{}');
    writeFileSync(join(dir, name), 'x');
    await expect(readRepositoryDir(dir)).rejects.toMatchObject({ code: 'UNEXPECTED_FILE' });
  });

  it('passes over the import record at the top of an installed folder, and only there', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'root.json'), '{}');
    writeFileSync(join(dir, 'imports.log'), 'not metadata, never read\n');
    const files = await readRepositoryDir(dir);
    expect(files.root).toBeDefined();
    mkdirSync(join(dir, 'targets'));
    writeFileSync(join(dir, 'targets', 'imports.log'), 'x');
    await expect(readRepositoryDir(dir)).rejects.toMatchObject({ code: 'UNEXPECTED_FILE', path: 'targets/imports.log' });
    // Only a regular file: a folder or a link of that name is still refused.
    const other = tmp();
    writeFileSync(join(other, 'root.json'), '{}');
    symlinkSync('/etc/hostname', join(other, 'imports.log'));
    await expect(readRepositoryDir(other)).rejects.toMatchObject({ code: 'UNEXPECTED_FILE' });
  });

  it('refuses a symbolic link inside the directory', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'root.json'), '{}');
    symlinkSync('/etc/hostname', join(dir, 'targets.json'));
    await expect(readRepositoryDir(dir)).rejects.toMatchObject({ code: 'UNEXPECTED_FILE' });
  });
});
