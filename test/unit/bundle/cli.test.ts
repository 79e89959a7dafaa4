/**
 * `inspect` and `verify` given a bundle file: a trust bundle is checked and read as the directory it
 * carries; other kinds are described by their manifest (inspect) or refused (verify needs a repository).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_MAGIC, encodeBundle, type BundleContent } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

describe('inspect / verify BUNDLE', () => {
  let r: BuiltRepo;
  let dir: string;
  let content: BundleContent;
  let pin: string;
  beforeAll(async () => {
    r = await buildRepo('tuf');
    dir = tmp('tufc-bundle-cli-');
    pin = join(dir, 'pin.json');
    writeFileSync(pin, r.roots[0]!);
    content = {
      kind: 'trust-bundle',
      profile: 'tuf',
      repository: 'example',
      created: '2026-11-25T10:00:00Z',
      files: [
        { name: 'root.json', bytes: r.roots[0]! },
        { name: 'timestamp.json', bytes: r.timestamp },
        { name: 'snapshot.json', bytes: r.snapshot },
        { name: 'targets.json', bytes: r.targets },
        { name: `${r.delegationName}.json`, bytes: r.delegated },
      ],
    };
  });

  it('inspect of a signing-request bundle lists its manifest and short hash', async () => {
    const path = join(dir, 'req.tufbundle');
    writeFileSync(path, encodeBundle({ ...content, kind: 'signing-request' }));
    const io = capture();
    expect(await runCli(['inspect', path], io.io)).toBe(0);
    expect(io.out.join('\n')).toContain('signing-request bundle, tuf repository example');
    expect(io.out.join('\n')).toMatch(/short hash: [0-9a-f]{4} /);
    const io2 = capture();
    expect(await runCli(['verify', path, '--root', pin], io2.io)).toBe(1);
    expect(io2.err[0]).toMatch(/^error\[BUNDLE_KIND_UNEXPECTED\]/);
  });

  it('verify of a trust bundle checks it; a lying one is refused with its code', async () => {
    const good = encodeBundle(content);
    const path = join(dir, 'good.tufbundle');
    writeFileSync(path, good);
    const io = capture();
    expect(await runCli(['verify', path, '--root', pin], io.io)).toBe(0);
    expect(io.out[0]).toMatch(/^verified: tuf repository/);
    const bad = good.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    const badPath = join(dir, 'bad.tufbundle');
    writeFileSync(badPath, bad);
    for (const cmd of [['verify', badPath, '--root', pin], ['inspect', badPath]]) {
      const io2 = capture();
      expect(await runCli(cmd, io2.io)).toBe(1);
      expect(io2.err[0]).toMatch(/^error\[BUNDLE_MANIFEST_MISMATCH\]/);
    }
    const trunc = join(dir, 'trunc.tufbundle');
    writeFileSync(trunc, BUNDLE_MAGIC);
    const io3 = capture();
    expect(await runCli(['verify', trunc, '--root', pin], io3.io)).toBe(1);
    expect(io3.err[0]).toMatch(/^error\[BUNDLE_TRUNCATED\]/);
  });
});
