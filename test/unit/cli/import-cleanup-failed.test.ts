/**
 * `import` when a step after the swap's rename fails (IMPORT_INSTALLED_CLEANUP_FAILED: removing the folder
 * the new one replaced, here EACCES): the new tree IS installed, so the command says so truthfully
 * everywhere — the session transcript records the install (versions, files) and the failure beside it, never
 * "refused … nothing was installed"; stderr's first line is the swap's words (installed, the cause, what is
 * left where) and where the install is recorded, never "the refusal is recorded"; stdout gets the install
 * summary (text, or the `--json` document with `ok: false` and the `error`); `--inventory` records what is
 * installed; exit 1. The files named as left are there, and the next import removes them.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { captureIo } from '../../support/cli-io.js';
import { errno } from '../../support/fs-faults.js';
import { writeImportFixtures } from '../../support/import-fixtures.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

// The swap's file system with the set-aside folder's removal failing (EACCES) while `hook.fault` is set.
const hook = vi.hoisted(() => ({ fault: false }));
vi.mock('../../../src/io/trust-dir.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/io/trust-dir.js')>();
  const faulty = (): import('../../../src/io/trust-dir.js').TrustDirFs => {
    const base = real.nodeTrustDirFs();
    return {
      ...base,
      removeTree: async (p) => {
        if (hook.fault && p.includes('.tuf-ceremony-previous-')) throw errno('EACCES', join(p, 'root.json'), 'unlink');
        return base.removeTree(p);
      },
    };
  };
  return {
    ...real,
    swapTrustDir: (target: string, files: ReadonlyMap<string, Uint8Array>, opts: import('../../../src/io/trust-dir.js').SwapOptions = {}) => real.swapTrustDir(target, files, { ...opts, fs: opts.fs ?? faulty() }),
    beginTrustDirSwap: (target: string, opts: import('../../../src/io/trust-dir.js').SwapOptions = {}) => real.beginTrustDirSwap(target, { ...opts, fs: opts.fs ?? faulty() }),
  };
});

const gun = (i: number): string => `registry.example.com/org/cleanup-${i}`;
const ours = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => /\.tuf-ceremony-(swap$|previous-|staging-)/.test(n)).sort() : []);

describe('import: the install went through, then a step after the swap failed', () => {
  let dir: string;
  let setPath: string;
  let singlePath: string;
  let pinsPath: string;
  let rootPath: string;

  beforeAll(async () => {
    dir = tmp('tufc-cleanup-failed-');
    ({ setPath, singlePath, pinsPath, rootPath } = await writeImportFixtures(dir, gun));
  }, 120_000);

  for (const form of ['single', 'set'] as const) {
    for (const json of [false, true]) {
      it(`${form}${json ? ' --json' : ''}: exit 1; stderr, stdout, transcript and key inventory say installed, the cause and what is left where`, async () => {
        const work = mkdtempSync(join(dir, `${form}-`));
        const trust = join(work, 'trust');
        mkdirSync(trust);
        const inventoryPath = join(work, 'key-inventory.json');
        const args = [...(form === 'set' ? ['import', setPath, '--trust-dir', trust, '--pins', pinsPath] : ['import', singlePath, '--trust-dir', trust, '--root', rootPath]), '--inventory', inventoryPath];
        // Installed once without a fault: the second import replaces that folder, and sets the old one aside.
        expect(await runCli(args, captureIo().io)).toBe(0);
        const c = captureIo();
        hook.fault = true;
        try {
          expect(await runCli([...args, ...(json ? ['--json'] : [])], c.io)).toBe(1);
        } finally {
          hook.fault = false;
        }
        // What is left, where the message says: the folder set aside and the journal, beside the replaced folder.
        const replaced = form === 'set' ? join(trust, 'tuf') : join(trust, 'tuf', ...gun(2).split('/'), 'metadata');
        const left = ours(dirname(replaced)).map((n) => join(dirname(replaced), n));
        expect(left).toHaveLength(2);
        expect(left.some((p) => p.includes('.tuf-ceremony-previous-'))).toBe(true);

        const first = c.err[0] ?? '';
        expect(first).toMatch(/^error\[IMPORT_INSTALLED_CLEANUP_FAILED\]: the new trust folder /);
        expect(first).toContain(`${replaced} IS installed`);
        expect(first).toContain('EACCES');
        for (const p of left) expect(first).toContain(p);
        expect(first).not.toMatch(/refus|[Nn]othing was installed/);
        const transcriptPath = /the install is recorded in the session transcript (\S+)\)/.exec(first)?.[1];
        expect(transcriptPath, first).toBeDefined();

        // The transcript: the install (its files), then the failure, then an end that says installed.
        const lines = readFileSync(transcriptPath!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step?: string; note?: string });
        const steps = lines.map((l) => l.step);
        expect(steps).toContain('import.verify');
        expect(steps).toContain('import.install');
        expect(steps.at(-2)).toBe('import.cleanup-failed');
        expect(lines.at(-2)!.note).toMatch(/^installed; then a step after the swap's rename failed \[IMPORT_INSTALLED_CLEANUP_FAILED\]: .*IS installed.*EACCES/);
        expect(steps.at(-1)).toBe('session.end');
        expect(lines.at(-1)!.note).toMatch(/^installed: .*; then a step after the swap's rename failed \[IMPORT_INSTALLED_CLEANUP_FAILED\]/);
        expect(readFileSync(transcriptPath!, 'utf8')).not.toMatch(/refused|nothing was installed/);
        const verify = captureIo();
        expect(await runCli(['transcript', 'verify', transcriptPath!, '--allow-unsealed'], verify.io), verify.err.join('\n')).toBe(0);

        // Installed: every repository's imports.log has both imports' lines, and the inventory records them.
        for (const i of form === 'set' ? [0, 1] : [2]) {
          expect(readFileSync(join(trust, 'tuf', ...gun(i).split('/'), 'metadata', 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(2);
          expect(readFileSync(inventoryPath, 'utf8')).toContain(gun(i));
        }

        // Stdout: the install summary.
        if (json) {
          const doc = JSON.parse(c.out.join('\n')) as { ok: boolean; error: { code: string; message: string }; transcript: string; folder: string; inventoryUpdated: boolean };
          expect(doc.ok).toBe(false);
          expect(doc.error.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
          expect(doc.error.message).toContain('IS installed');
          expect(doc.transcript).toBe(transcriptPath);
          expect(doc.folder).toBe(form === 'set' ? join(trust, 'tuf') : replaced);
          expect(doc.inventoryUpdated).toBe(true);
          expect(c.err).toHaveLength(1);
        } else {
          const out = c.out.join('\n');
          expect(out).toMatch(/^imported: /);
          expect(out).toContain('installed, but a step after the swap failed: see the error on stderr');
          expect(out).toContain(`session transcript ${transcriptPath}`);
          expect(out).toContain(`recorded in the key inventory ${inventoryPath}`);
        }

        // "the next import removes them once the cause is fixed": it does.
        expect(await runCli(args, captureIo().io)).toBe(0);
        expect(ours(dirname(replaced))).toEqual([]);
      }, 120_000);
    }
  }
});
