/**
 * `verify` reads a metadata folder again only when a given-up targets file's parse was refused
 * (GivenUpRefusal, issue #18), and never reports a pass from two reads that disagree: a folder whose
 * targets file is refused as first read and passes as read again changed while it was verified
 * (FILE_CHANGED). The reads are served here (readRepositoryInput mocked), so the folder can "change".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { prettyOf, prettyRepo } from '../../support/pretty.js';
import type { BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const reads = vi.hoisted(() => ({ queue: [] as RepositoryFiles[], count: 0 }));
vi.mock('../../../src/cli/repository-input.js', () => ({
  readRepositoryInput: (): Promise<{ files: RepositoryFiles; source: string }> => {
    reads.count++;
    const files = reads.queue.shift();
    if (!files) throw new Error('read more often than the test expected');
    return Promise.resolve({ files, source: 'metadata folder' });
  },
}));

const { runCli } = await import('../../../src/cli/program.js');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function pinOf(root: Uint8Array): string {
  const pin = join(tmp('tufc-verify-reads-'), 'pin.json');
  writeFileSync(pin, root);
  return pin;
}

const duplicateKey = (t: string) => t.replace('"length": 6', '"length": 6,\n    "length": 6');

/** Fresh buffers of the repository's files as they are now (a read; the first read's are given up). */
function read(r: BuiltRepo): RepositoryFiles {
  const f = r.files();
  const copy = (b: Uint8Array): Uint8Array => Uint8Array.from(b);
  return {
    ...f,
    ...(f.root ? { root: copy(f.root) } : {}),
    ...(f.targets ? { targets: copy(f.targets) } : {}),
    ...(f.snapshot ? { snapshot: copy(f.snapshot) } : {}),
    ...(f.timestamp ? { timestamp: copy(f.timestamp) } : {}),
    versionedRoots: new Map([...f.versionedRoots].map(([v, b]) => [v, copy(b)])),
    delegated: new Map([...f.delegated].map(([n, b]) => [n, copy(b)])),
  };
}

/** The repository with its targets file refused by its parse (a duplicate key), snapshot and timestamp relinked to it by the same keys. */
async function withDuplicateKey(r: BuiltRepo): Promise<void> {
  await r.relink({ targets: prettyOf(r.targets, duplicateKey) });
}

describe('verify: when a folder is read again', () => {
  beforeEach(() => {
    reads.queue.length = 0;
    reads.count = 0;
  });

  it('a pretty folder that passes is read once', async () => {
    const r = await prettyRepo();
    reads.queue.push(r.files());
    const io = capture();
    expect(await runCli(['verify', '/folder', '--root', pinOf(r.roots[0]!)], io.io)).toBe(0);
    expect(reads.count).toBe(1);
  });

  it('a refusal after the parse (a bad signature) is reported from the first read, without a second', async () => {
    const r = await prettyRepo((t) => t.replace(/("sig": ")([0-9a-f])/, (_m, head: string, c: string) => `${head}${c === '0' ? '1' : '0'}`));
    reads.queue.push(r.files());
    const io = capture();
    expect(await runCli(['verify', '/folder', '--root', pinOf(r.roots[0]!)], io.io)).toBe(1);
    expect(io.err[0]).toMatch(/^error\[THRESHOLD_NOT_MET\]/);
    expect(reads.count).toBe(1);
  });

  it("a given-up file's parse refusal is reported from a second read, as the file earns it", async () => {
    const r = await prettyRepo();
    await withDuplicateKey(r);
    reads.queue.push(read(r), read(r));
    const io = capture();
    expect(await runCli(['verify', '/folder', '--root', pinOf(r.roots[0]!)], io.io)).toBe(1);
    expect(io.err[0]).toMatch(/^error\[JSON_DUPLICATE_KEY\]/);
    expect(reads.count).toBe(2);
  });

  it('refused as first read, passing as read again: FILE_CHANGED, never a pass', async () => {
    const r = await prettyRepo();
    const good = read(r);
    await withDuplicateKey(r);
    // The folder as first read (refused), then as it is when read again (the same keys: it passes alone).
    reads.queue.push(read(r), good);
    const io = capture();
    const status = await runCli(['verify', '/folder', '--root', pinOf(r.roots[0]!)], io.io);
    expect(reads.count).toBe(2);
    expect(status).toBe(1);
    expect(io.err[0]).toMatch(/^error\[FILE_CHANGED\]: a targets file was refused as first read and passes as read again/);
    expect(io.out).toEqual([]);
  });
});
