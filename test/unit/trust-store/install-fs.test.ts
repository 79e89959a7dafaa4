/**
 * The import's file system under hostile or broken conditions (issue #12 points 5, 8, 10), through the CLI
 * and the core:
 *  - a folder it did not create (an operator's `<T>.previous` backup, anything at the names it uses) is
 *    never deleted or moved; a name it needs that is taken is refused (TRUST_DIR_NAME_TAKEN), nothing touched;
 *  - a FIFO, device or socket as an input file or as the import lock is refused at once (NOT_A_REGULAR_FILE);
 *  - a full disk, a read-only file system, a forbidden folder: DISK_FULL / READ_ONLY / PERMISSION_DENIED,
 *    naming the folder, the tree unchanged — injected at single calls, and real where this machine allows.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { readRepositoryInput } from '../../../src/cli/import.js';
import { runCli } from '../../../src/cli/program.js';
import { isCeremonyError } from '../../../src/errors.js';
import { nodeLockFs } from '../../../src/io/lock-file.js';
import { nodeTrustDirFs } from '../../../src/io/trust-dir.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { importRepository, trustFolder, type ImportOptions } from '../../../src/trust-store/install.js';
import { importLockPath } from '../../../src/trust-store/lock.js';
import { captureIo } from '../../support/cli-io.js';
import { canChattr, canMount, faultyLockFs, faultyTrustDirFs, withImmutable, withReadOnly, withSmallTmpfs, type TrustDirOp } from '../../support/fs-faults.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();

function mkfifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
  return path;
}

for (const profile of ['notary', 'tuf'] as const satisfies ProfileName[]) {
  describe(`import file system (${profile})`, () => {
    let repo: BuiltRepo;
    let bundle: Uint8Array;
    let otherBundle: Uint8Array;
    const repository = profile === 'notary' ? GUN : 'example-repo';
    beforeAll(async () => {
      repo = await buildRepo(profile);
      bundle = encodeBundle(bundleContent(repo, repository));
      otherBundle = encodeBundle(bundleContent(await buildRepo(profile), repository));
    });

    /** Inputs in `in/`, the site in `site/` (its trust directory `site/trust`). */
    function setup(base?: string) {
      const dir = base ?? tmp('tufc-import-fs-');
      const inputs = tmp('tufc-import-fs-in-');
      const site = join(dir, 'site');
      const trust = join(site, 'trust');
      mkdirSync(trust, { recursive: true });
      const file = (name: string, bytes: Uint8Array) => {
        const p = join(inputs, name);
        writeFileSync(p, bytes);
        return p;
      };
      const pin = file('pinned-root.json', repo.roots[0]!);
      const b = file('b.tufbundle', bundle);
      const folder = trustFolder(trust, profile, GUN);
      const cli = async (args: string[]) => {
        const io = captureIo();
        const status = await runCli(args, io.io);
        return { status, first: io.err[0] ?? '', err: io.err };
      };
      const imp = (extra: string[] = ['--root', pin], input = b) => cli(['import', input, '--trust-dir', trust, ...extra]);
      return { dir, inputs, site, trust, folder, file, pin, b, cli, imp };
    }

    describe('never deletes or moves a folder it did not create', () => {
      it('an operator’s backup `<T>.previous` beside the trust folder survives a first install, a refused import and a re-import, byte for byte', async () => {
        const s = setup();
        const backup = `${s.folder}.previous`;
        mkdirSync(backup, { recursive: true });
        writeFileSync(join(backup, 'root.json'), '{"my":"manual backup"}');
        writeFileSync(join(backup, 'notes.txt'), 'keep me');
        const backupHash = treeHash(backup);

        const first = await s.imp();
        expect(first.status, first.err.join('\n')).toBe(0);
        expect(readFileSync(join(s.folder, 'root.json'))).toEqual(Buffer.from(repo.roots[0]!));
        expect(treeHash(backup)).toBe(backupHash);

        const before = treeHash(s.site);
        const refused = await s.imp([], s.file('other.tufbundle', otherBundle));
        expect(refused.status).toBe(1);
        expect(treeHash(s.site)).toBe(before);

        const again = await s.imp([]);
        expect(again.status, again.err.join('\n')).toBe(0);
        expect(treeHash(backup)).toBe(backupHash);
        expect(readdirSync(dirname(s.folder)).filter((n) => n.includes('tuf-ceremony-swap') || n.includes('tuf-ceremony-staging') || n.includes('tuf-ceremony-previous'))).toEqual([]);
      });

      const taken: [string, (s: ReturnType<typeof setup>) => void][] = [
        ['its swap journal’s name holds an operator’s file', (s) => writeFileSync(join(dirname(s.folder), `.${basename(s.folder)}.tuf-ceremony-swap`), 'my notes\n')],
        ['its swap journal’s name holds a FIFO', (s) => void mkfifo(join(dirname(s.folder), `.${basename(s.folder)}.tuf-ceremony-swap`))],
        [
          'a journal names a set-aside folder that is not the one it recorded (planted)',
          (s) => {
            const nonce = 'ab'.repeat(16);
            writeFileSync(join(dirname(s.folder), `.${basename(s.folder)}.tuf-ceremony-swap`), `{"nonce":"${nonce}","old":{"dev":"1","ino":"2"}}\n`);
            mkdirSync(join(dirname(s.folder), `.${basename(s.folder)}.tuf-ceremony-previous-${nonce}`));
            writeFileSync(join(dirname(s.folder), `.${basename(s.folder)}.tuf-ceremony-previous-${nonce}`, 'precious'), 'x');
          },
        ],
      ];
      it.each(taken)('%s: refused (TRUST_DIR_NAME_TAKEN), nothing touched', async (_n, plant) => {
        const s = setup();
        expect((await s.imp()).status).toBe(0);
        plant(s);
        const before = treeHash(s.site);
        const r = await s.imp([]);
        expect(r.first).toMatch(/^error\[TRUST_DIR_NAME_TAKEN\]/);
        expect(r.status).toBe(1);
        expect(treeHash(s.site)).toBe(before);
      });
    });

    describe('FIFOs, devices and sockets are refused at once (NOT_A_REGULAR_FILE)', () => {
      it('as the bundle, the pinned root, or the input of verify / inspect', async () => {
        const s = setup();
        const fifo = mkfifo(join(s.inputs, 'fifo'));
        const sock = join(s.inputs, 'sock');
        const server = createServer();
        await new Promise<void>((ok) => server.listen(sock, ok));
        try {
          const before = treeHash(s.site);
          for (const args of [
            ['import', fifo, '--trust-dir', s.trust, '--root', s.pin],
            ['import', '/dev/zero', '--trust-dir', s.trust, '--root', s.pin],
            ['import', sock, '--trust-dir', s.trust, '--root', s.pin],
            ['import', s.b, '--trust-dir', s.trust, '--root', fifo],
            ['verify', fifo, '--root', s.pin],
            ['verify', s.b, '--root', fifo],
            ['inspect', fifo],
          ]) {
            const r = await s.cli(args);
            expect(r.first, args.join(' ')).toMatch(/^error\[NOT_A_REGULAR_FILE\]/);
            expect(r.status, args.join(' ')).toBe(1);
          }
          expect(treeHash(s.site)).toBe(before);
        } finally {
          await new Promise((ok) => server.close(ok));
        }
      });

      it('planted as the import lock: refused, nothing changed, the FIFO left where it is', async () => {
        const s = setup();
        expect((await s.imp()).status).toBe(0);
        const lock = importLockPath(s.trust, profile);
        mkfifo(lock);
        const before = treeHash(s.site);
        const r = await s.imp([]);
        expect(r.first).toMatch(/^error\[NOT_A_REGULAR_FILE\]: the import lock /);
        expect(treeHash(s.site)).toBe(before);
        const removal = await s.cli(['import', s.b, '--trust-dir', s.trust, '--remove-stale-lock']);
        expect(removal.first).toMatch(/^error\[NOT_A_REGULAR_FILE\]/);
        expect(treeHash(s.site)).toBe(before);
      });
    });

    describe('a full disk, a read-only file system, a forbidden folder: named codes, tree unchanged', () => {
      const options = (s: ReturnType<typeof setup>, extra: Partial<ImportOptions>): ImportOptions => ({ trustDir: s.trust, now: NOW, ...extra });
      const cases: [string, TrustDirOp | 'lock', string, string][] = [
        ['disk full while staging a file', 'writeNew', 'ENOSPC', 'DISK_FULL'],
        ['quota used up making the staging folder', 'mkdir', 'EDQUOT', 'DISK_FULL'],
        ['disk full writing the swap journal', 'createExclusive', 'ENOSPC', 'DISK_FULL'],
        ['read-only file system at the lock (the first write)', 'lock', 'EROFS', 'READ_ONLY'],
        ['read-only file system at the swap journal', 'createExclusive', 'EROFS', 'READ_ONLY'],
        ['permission denied at the lock', 'lock', 'EACCES', 'PERMISSION_DENIED'],
        ['permission denied renaming the old tree aside', 'rename', 'EPERM', 'PERMISSION_DENIED'],
        ['permission denied reading the installed tree', 'readdir', 'EACCES', 'PERMISSION_DENIED'],
        ['permission denied reading an installed file', 'read', 'EACCES', 'PERMISSION_DENIED'],
      ];
      it.each(cases)('%s (%s %s): %s', async (_n, op, code, expected) => {
        const s = setup();
        expect((await s.imp()).status).toBe(0);
        const before = treeHash(s.site);
        const input = await readRepositoryInput(s.b, { bundleOnly: true });
        const fault = faultyTrustDirFs(nodeTrustDirFs(), (o, path) => (o === op && path.startsWith(s.site) ? code : undefined));
        const extra: Partial<ImportOptions> = op === 'lock' ? { lockFs: faultyLockFs(nodeLockFs(), code) } : { trustDirFs: fault };
        const err = await importRepository(input, options(s, extra)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isCeremonyError(err) && err.code).toBe(expected);
        expect((err as Error).message).toContain(s.trust);
        expect((err as Error).message).toContain(`(${code})`);
        expect(treeHash(s.site)).toBe(before);
      });

      it.skipIf(!canMount())('real: the trust directory on a read-only mount → error[READ_ONLY] naming it (CLI)', async () => {
        const s = setup();
        expect((await s.imp()).status).toBe(0);
        const before = treeHash(s.site);
        const r = await withReadOnly(s.site, () => s.imp([]));
        expect(r.first).toMatch(/^error\[READ_ONLY\]: importing into the trust directory /);
        expect(r.first).toContain(s.trust);
        expect(r.status).toBe(1);
        expect(treeHash(s.site)).toBe(before);
      });

      it.skipIf(!canMount())('real: the trust directory on a full disk (a tiny tmpfs) → error[DISK_FULL] (CLI)', async () => {
        const base = tmp('tufc-import-full-');
        const mnt = join(base, 'mnt');
        let s: ReturnType<typeof setup> | undefined;
        const r = await withSmallTmpfs(
          mnt,
          async () => {
            s = setup(mnt);
            expect((await s.imp()).status).toBe(0);
          },
          4,
          async () => {
            const before = treeHash(s!.site);
            const out = await s!.imp([]);
            expect(treeHash(s!.site)).toBe(before);
            return out;
          },
        );
        expect(r.first).toMatch(/^error\[DISK_FULL\]: importing into the trust directory /);
        expect(r.status).toBe(1);
      });

      it('real: an immutable trust directory (chattr +i; root bypasses permission bits) → error[PERMISSION_DENIED] (CLI)', async (ctx) => {
        const s = setup();
        if (!canChattr(s.dir)) ctx.skip();
        expect((await s.imp()).status).toBe(0);
        const before = treeHash(s.site);
        const immutable = profile === 'notary' ? s.trust : s.site;
        const r = await withImmutable(immutable, () => s.imp([]));
        expect(r.first).toMatch(/^error\[PERMISSION_DENIED\]: importing into the trust directory /);
        expect(r.status).toBe(1);
        expect(treeHash(s.site)).toBe(before);
      });
    });
  });
}
