/**
 * `tuf-ceremony inspect FILE` reads a single file under the cap of what it is: a bundle (its header says so)
 * up to the bundle format's cap (DEFAULT_BUNDLE_CAPS.total, what decodeBundle accepts), anything else up to a
 * targets file's (DEFAULT_CAPS.targets); a file over its cap is refused from its size before it is read.
 * Large files are sparse (no disk written); the caps are also injected small to show the choice on a real bundle.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_MAGIC, DEFAULT_BUNDLE_CAPS } from '../../../src/bundle/format.js';
import { inspectCommand } from '../../../src/cli/inspect.js';
import { runCli } from '../../../src/cli/program.js';
import { DEFAULT_CAPS } from '../../../src/tuf/caps.js';
import { buildRepo } from '../../support/repo.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

let dir: string;
let bundleFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tufc-inspect-caps-'));
  const r = await buildRepo('tuf');
  const meta = join(dir, 'metadata');
  const files: [string, Uint8Array][] = [
    ['1.root.json', r.roots[0]!],
    ['root.json', r.roots[0]!],
    ['targets.json', r.targets],
    ['snapshot.json', r.snapshot],
    ['timestamp.json', r.timestamp],
    [`${r.delegationName}.json`, r.delegated],
  ];
  mkdirSync(meta);
  for (const [n, b] of files) writeFileSync(join(meta, n), b);
  bundleFile = join(dir, 'repo.tufbundle');
  const c = capture();
  expect(await runCli(['bundle', 'create', meta, '--kind', 'trust-bundle', '--out', bundleFile], c.io), c.err.join('\n')).toBe(0);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A sparse file of `size` bytes starting with `head`. */
function sparse(name: string, head: string, size: number): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  closeSync(fd);
  truncateSync(path, size);
  return path;
}

async function refusal(args: string[]): Promise<{ code: number; err: string }> {
  const c = capture();
  const code = await runCli(args, c.io);
  return { code, err: c.err[0] ?? '' };
}

describe('inspect FILE: the cap follows what the file is', () => {
  it('the caps are the bundle format’s and the largest metadata’s, and the bundle’s is the larger', () => {
    expect(DEFAULT_BUNDLE_CAPS.total).toBeGreaterThan(DEFAULT_CAPS.targets);
  });

  it('a bundle over the targets cap but within the bundle cap is read and decoded (refused by the bundle decoder here, not for its size)', async () => {
    const path = sparse('big.tufbundle', BUNDLE_MAGIC, DEFAULT_CAPS.targets + 1024);
    const r = await refusal(['inspect', path]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error\[BUNDLE_[A-Z_]+\]/);
    expect(r.err).not.toContain('INPUT_TOO_LARGE');
  });

  it('a file that is not a bundle over the targets cap is refused for its size, whatever its name', async () => {
    const path = sparse('not-a-bundle.tufbundle', '{"signed":', DEFAULT_CAPS.targets + 1024);
    const r = await refusal(['inspect', path]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error[INPUT_TOO_LARGE]: not-a-bundle.tufbundle is ${DEFAULT_CAPS.targets + 1024} bytes, over the cap of ${DEFAULT_CAPS.targets} for a single file that is not a bundle (at ${path})`);
  });

  it.each([
    ['just over the bundle cap', DEFAULT_BUNDLE_CAPS.total + 1],
    // 16 GiB: more than one Buffer can hold, so reading it whole would fail otherwise than with this refusal.
    ['16 GiB', 16 * 1024 ** 3],
  ])('a bundle %s is refused from its size, before it is read', async (_, size) => {
    const path = sparse(`huge-${size}.tufbundle`, BUNDLE_MAGIC, size);
    const r = await refusal(['inspect', path]);
    expect(r.err).toBe(`error[INPUT_TOO_LARGE]: huge-${size}.tufbundle is ${size} bytes, over the cap of ${DEFAULT_BUNDLE_CAPS.total} for a bundle (at ${path})`);
    expect(r.code).toBe(1);
  });

  it('with small caps injected: the real bundle gets the bundle cap; the same size of non-bundle bytes is refused', async () => {
    const bytes = readFileSync(bundleFile);
    const caps = { bundle: bytes.length, file: 1024 };
    expect(bytes.length).toBeGreaterThan(caps.file);
    const ok = capture();
    expect(await inspectCommand(bundleFile, {}, ok.io, caps)).toBe(0);
    expect(ok.out.join('\n')).toContain('TUF 1.0 repository');

    // One byte more than the bundle cap: refused before reading.
    await expect(inspectCommand(bundleFile, {}, capture().io, { ...caps, bundle: bytes.length - 1 })).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    // The same bytes without the bundle magic: the small cap of other files applies.
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, Buffer.concat([Buffer.from('{"x":'), bytes.subarray(5)]));
    await expect(inspectCommand(plain, {}, capture().io, caps)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE', message: expect.stringContaining('over the cap of 1024 for a single file that is not a bundle') });
  });

  it('a directory is still read file by file under the per-role caps', async () => {
    const c = capture();
    expect(await runCli(['inspect', join(dir, 'metadata')], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('TUF 1.0 repository');
  });

  it('a missing file is FILE_NOT_FOUND', async () => {
    const r = await refusal(['inspect', join(dir, 'absent.json')]);
    expect(r.err).toMatch(/^error\[FILE_NOT_FOUND\]/);
  });
});
