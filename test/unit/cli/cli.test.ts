import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { bundleContent } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

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
    dir = tmp('tufc-cli-');
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
    const bad = tmp('tufc-cli-bad-');
    writeFileSync(join(bad, 'root.json'), r3.roots[2]!);
    const pinDir = tmp('tufc-cli-pin-');
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

describe('untrusted names reach the terminal escaped (inspect, import)', () => {
  // The TUF name rule refuses only C0 and DEL: a delegated role may be named with a bidi override
  // (U+202E, "Trojan Source") and a one-character CSI (U+009B). Both are shown as \u escapes.
  const name = 'rel\u202eeases\u009b2J';
  let r: BuiltRepo;
  let dir: string;
  beforeAll(async () => {
    r = await buildRepo('tuf', { delegationName: name });
    dir = tmp('tufc-cli-names-');
    writeFileSync(join(dir, 'root.json'), r.roots[0]!);
    writeFileSync(join(dir, 'targets.json'), r.targets);
    writeFileSync(join(dir, 'snapshot.json'), r.snapshot);
    writeFileSync(join(dir, 'timestamp.json'), r.timestamp);
    writeFileSync(join(dir, `${name}.json`), r.delegated);
  });
  const raw = /[\u009b\u202e]/;

  it('inspect', async () => {
    const c = capture();
    expect(await runCli(['inspect', dir], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).not.toMatch(raw);
    expect(text).toContain('"rel\\u202eeases\\u009b2J" (delegated by targets)');
  });

  it('import', async () => {
    const work = tmp('tufc-cli-names-import-');
    const bundle = join(work, 'b.tufbundle');
    writeFileSync(bundle, encodeBundle(bundleContent(r, 'example-repo')));
    const pin = join(work, 'pin.json');
    writeFileSync(pin, r.roots[0]!);
    const trust = join(work, 'metadata');
    const c = capture();
    expect(await runCli(['import', bundle, '--trust-dir', trust, '--root', pin, '--layout', 'tuf'], c.io), c.err.join('\n')).toBe(0);
    const text = c.out.join('\n');
    expect(text).not.toMatch(raw);
    expect(text).toContain('  "rel\\u202eeases\\u009b2J" v1');
  });
});
