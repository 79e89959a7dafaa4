import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

describe('tuf-ceremony verify / inspect', () => {
  let r: BuiltRepo;
  let dir: string;
  let pin: string;
  beforeAll(async () => {
    r = await buildRepo('tuf', { rootVersions: 2 });
    dir = mkdtempSync(join(tmpdir(), 'tufc-cli-'));
    writeFileSync(join(dir, '1.root.json'), r.roots[0]!);
    writeFileSync(join(dir, '2.root.json'), r.roots[1]!);
    writeFileSync(join(dir, 'root.json'), r.roots[1]!);
    writeFileSync(join(dir, 'targets.json'), r.targets);
    writeFileSync(join(dir, 'snapshot.json'), r.snapshot);
    writeFileSync(join(dir, 'timestamp.json'), r.timestamp);
    writeFileSync(join(dir, `${r.delegationName}.json`), r.delegated);
    pin = join(dir, '1.root.json');
  });

  it('exit 0 and the documented --json shape on success', async () => {
    const c = capture();
    expect(await runCli(['verify', dir, '--root', pin, '--json'], c.io)).toBe(0);
    const out = JSON.parse(c.out.join(''));
    expect(out).toMatchObject({ ok: true, profile: 'tuf', trustedRootVersion: 1, rootVersion: 2, targets: 2, absent: [] });
    expect(Object.keys(out.roles).sort()).toEqual(['releases', 'root', 'snapshot', 'targets', 'timestamp']);
    expect(out.rootChain[0].byPrevious.signed).toHaveLength(2);
  });

  it('exit 1 with error[CODE] first on stderr when refused', async () => {
    // Root v3 offered to a client pinned at v1, without v2: the chain has a gap.
    const r3 = await buildRepo('tuf', { rootVersions: 3 });
    const bad = mkdtempSync(join(tmpdir(), 'tufc-cli-bad-'));
    writeFileSync(join(bad, 'root.json'), r3.roots[2]!);
    const pinDir = mkdtempSync(join(tmpdir(), 'tufc-cli-pin-'));
    writeFileSync(join(pinDir, 'root.json'), r3.roots[0]!);
    const c = capture();
    expect(await runCli(['verify', bad, '--root', join(pinDir, 'root.json')], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROOT_VERSION_SKIPPED\]: /);
  });

  it('exit 1 with the error object on stdout with --json', async () => {
    const c = capture();
    expect(await runCli(['verify', dir, '--root', join(dir, 'targets.json'), '--json'], c.io)).toBe(1);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: false, error: { code: 'ROLE_TYPE_MISMATCH' } });
  });

  it('exit 2 for usage errors', async () => {
    for (const argv of [['verify', dir], ['frobnicate'], ['verify', join(dir, 'nope'), '--root', pin]]) {
      const c = capture();
      expect(await runCli(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err[0]).toMatch(/^error\[(USAGE|FILE_NOT_FOUND)\]: /);
    }
  });

  it('inspect explains roles, thresholds and signers in words', async () => {
    const c = capture();
    expect(await runCli(['inspect', dir], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/TUF 1\.0 repository, root version 2/);
    expect(text).toMatch(/root, threshold 2 of 3, version 2, .*signed 2 of 2: OK/);
    expect(text).toMatch(/releases \(delegated by targets\)/);
    expect(text).toMatch(/verification: OK/);
  });
});
