/**
 * Issue #12 point 1: a pin older than the installed root must never let rotated-out keys take a site back.
 * Root v2 is installed (it removed k3 and k4); a fork v2′ signed by k3 and k4 — valid from v1 — is refused
 * when the operator pins v1 (by file or fingerprint), and the trust directory stays byte for byte the same;
 * the routine path (the same old pin, a bundle whose chain reaches the installed root) still works.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle, type BundleContent } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { trustFolder } from '../../../src/trust-store/install.js';
import { captureIo } from '../../support/cli-io.js';
import { buildForkScenario, type ForkScenario } from '../../support/fork.js';
import { GUN } from '../../support/repo.js';
import { treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const profile of ['notary', 'tuf'] as const satisfies ProfileName[]) {
  describe(`import pinned to a root older than the installed one (${profile})`, () => {
    let s: ForkScenario;
    beforeAll(async () => {
      s = await buildForkScenario(profile);
    });

    /** A trust directory with root v2 installed (first import pinned to v1). */
    async function site() {
      const dir = tmp('tufc-pin-');
      const siteDir = join(dir, 'site');
      const trust = join(siteDir, 'trust');
      mkdirSync(trust, { recursive: true });
      const file = (name: string, bytes: Uint8Array) => {
        const p = join(dir, name);
        writeFileSync(p, bytes);
        return p;
      };
      const pinV1 = file('pinned-root-v1.json', s.v1);
      const run = async (content: BundleContent, pin: string[]) => {
        const io = captureIo();
        const status = await runCli(['import', file(`b-${Math.random()}.tufbundle`, encodeBundle(content)), '--trust-dir', trust, ...pin], io.io);
        return { status, err: io.err, out: io.out };
      };
      const first = await run(await s.legit(1), ['--root', pinV1]);
      expect(first.status, first.err.join('\n')).toBe(0);
      const folder = trustFolder(trust, profile, GUN);
      expect(readFileSync(join(folder, 'root.json'))).toEqual(Buffer.from(s.v2));
      return { dir: siteDir, trust, folder, file, pinV1, run };
    }

    const refusals: [string, (x: Awaited<ReturnType<typeof site>>) => string[], string][] = [
      ['--root pinned-root-v1.json', (x) => ['--root', x.pinV1], 'IMPORT_PIN_BEHIND_INSTALLED'],
      ['--root-fingerprint of v1', () => ['--root-fingerprint', sha(s.v1)], 'IMPORT_PIN_BEHIND_INSTALLED'],
      ['no pin (the installed root is the trust)', () => [], 'TRUSTED_ROOT_MISMATCH'],
      ['--root the fork’s own v2′', (x) => ['--root', x.file('v2fork.json', s.v2fork)], 'IMPORT_PIN_CONFLICTS_INSTALLED'],
      ['--root-fingerprint of the fork’s v2′', () => ['--root-fingerprint', sha(s.v2fork)], 'IMPORT_PIN_CONFLICTS_INSTALLED'],
    ];
    it.each(refusals)('a fork v2′ signed by the two removed keys, %s: refused, trust directory unchanged', async (_name, pin, code) => {
      const x = await site();
      const before = treeHash(x.dir);
      const r = await x.run(s.fork, pin(x));
      expect(r.err[0]).toMatch(new RegExp(`^error\\[${code}\\]`));
      expect(r.status).toBe(1);
      expect(treeHash(x.dir)).toBe(before);
      expect(readFileSync(join(x.folder, 'root.json'))).toEqual(Buffer.from(s.v2));
    });

    it('the fork is what a client walking from v1 would accept (so the refusal above is the installed root’s doing)', async () => {
      const dir = tmp('tufc-pin-');
      const p = join(dir, 'fork.tufbundle');
      writeFileSync(p, encodeBundle(s.fork));
      writeFileSync(join(dir, 'v1.json'), s.v1);
      const io = captureIo();
      expect(await runCli(['verify', p, '--root', join(dir, 'v1.json')], io.io), io.err.join('\n')).toBe(0);
    });

    it('the routine path still works: the same old pin, a newer state whose chain reaches the installed root byte for byte', async () => {
      const x = await site();
      const byFile = await x.run(await s.legit(2), ['--root', x.pinV1]);
      expect(byFile.status, byFile.err.join('\n')).toBe(0);
      const byFingerprint = await x.run(await s.legit(3), ['--root-fingerprint', sha(s.v1)]);
      expect(byFingerprint.status, byFingerprint.err.join('\n')).toBe(0);
      const log = readFileSync(join(x.folder, 'imports.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pinnedBy: string; pinnedRootSha256: string; versions: { targets: number } });
      expect(log.map((l) => [l.pinnedBy, l.pinnedRootSha256, l.versions.targets])).toEqual([
        ['file', sha(s.v1), 1],
        ['file', sha(s.v1), 2],
        ['fingerprint', sha(s.v1), 3],
      ]);
      // Pinned to the installed root itself: fine too.
      const byInstalled = await x.run(await s.legit(4), ['--root', x.file('v2.json', s.v2)]);
      expect(byInstalled.status, byInstalled.err.join('\n')).toBe(0);
    });

    it('the same old pin two versions behind: a bundle with the chain 1 → 2 → 3 goes through the installed v2 and installs v3', async () => {
      const x = await site();
      const r = await x.run(await s.legitV3(2), ['--root', x.pinV1]);
      expect(r.status, r.err.join('\n')).toBe(0);
      expect(r.out.join('\n')).toContain('root v3 (was v2)');
      // And the fork, now two versions behind the installed root, is still refused.
      const before = treeHash(x.dir);
      const f = await x.run(s.fork, ['--root', x.pinV1]);
      expect(f.err[0]).toMatch(/^error\[IMPORT_PIN_BEHIND_INSTALLED\]/);
      expect(treeHash(x.dir)).toBe(before);
    });

    it('an old pin with a bundle that lacks the versions up to the installed root: refused (IMPORT_PIN_BEHIND_INSTALLED)', async () => {
      const x = await site();
      const content = await s.legit(2);
      const without = { ...content, files: content.files.filter((f) => f.name !== '2.root.json' && f.name !== 'root.json') };
      const before = treeHash(x.dir);
      const r = await x.run(without, ['--root', x.pinV1]);
      expect(r.err[0]).toMatch(/^error\[IMPORT_PIN_BEHIND_INSTALLED\]/);
      expect(treeHash(x.dir)).toBe(before);
    });
  });
}
