/**
 * `import --inventory` when the inventory update fails AFTER the install (review B2 M1): the trust folder
 * holds the new root, the session transcript of the install is written (and says installed, not refused),
 * and the command exits 1 with `error[CODE]: installed: …; the key inventory was not updated: …` — the
 * first line of stderr says the trust folder WAS updated. Two faults: another writer changed the inventory
 * between its read and its write (INVENTORY_CHANGED), and a read-only inventory folder (READ_ONLY). Stdout
 * still gets the install summary a successful import prints (text, and the same `--json` document with
 * `ok: false`, `inventoryUpdated: false` and the `error`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { emptyInventory, inventoryBytes } from '../../../src/ceremony/inventory.js';
import { runCli } from '../../../src/cli/program.js';
import { captureIo } from '../../support/cli-io.js';
import { canMount, withReadOnly } from '../../support/fs-faults.js';
import type { BuiltRepo } from '../../support/repo.js';
import { writeImportFixtures } from '../../support/import-fixtures.js';
import { hereLockFields } from '../../support/lock-owner.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

// The hook runs right after the real transcript write, i.e. between the install and the inventory update
// (the order the fix guarantees): there "another writer" changes the inventory file.
const hook = vi.hoisted(() => ({ after: undefined as (() => void) | undefined, outcomes: [] as string[] }));
vi.mock('../../../src/io/import-session-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/io/import-session-file.js')>();
  return {
    ...real,
    recordImportSession: async (...a: Parameters<typeof real.recordImportSession>) => {
      const record = await real.recordImportSession(...a);
      hook.outcomes.push(Object.keys(a[2])[0]!);
      hook.after?.();
      return record;
    },
  };
});

const gun = (i: number): string => `registry.example.com/org/inv-after-${i}`;
const T0 = new Date('2026-12-01T00:00:00Z');

describe('import --inventory: the inventory update fails after the install', () => {
  let repos: BuiltRepo[];
  let dir: string;
  let setPath: string;
  let singlePath: string;
  let pinsPath: string;
  let rootPath: string;

  beforeAll(async () => {
    dir = tmp('tufc-inv-after-');
    ({ repos, setPath, singlePath, pinsPath, rootPath } = await writeImportFixtures(dir, gun));
  }, 120_000);

  const rows = [
    { fault: 'changed by another writer', code: 'INVENTORY_CHANGED', mount: false },
    { fault: 'in a read-only folder', code: 'READ_ONLY', mount: true },
  ] as const;
  it('a lock a dead process left on the inventory is taken over, and the import says so on stderr (exit 0, the inventory written)', async () => {
    const work = mkdtempSync(join(dir, 'stale-lock-'));
    const trust = join(work, 'trust');
    mkdirSync(trust);
    const inventoryPath = join(work, 'key-inventory.json');
    writeFileSync(inventoryPath, inventoryBytes(emptyInventory(T0)));
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${inventoryPath}.lock`, `${JSON.stringify({ created: T0.toISOString(), ...hereLockFields(), pid: gone, token: 'theirs' })}\n`);
    const c = captureIo();
    expect(await runCli(['import', singlePath, '--trust-dir', trust, '--root', rootPath, '--inventory', inventoryPath], c.io), c.err.join('\n')).toBe(0);
    expect(c.err).toEqual([`note: took over the key inventory's lock ${inventoryPath}.lock, left by process ${gone} on ${hostname()}, taken at ${T0.toISOString()}, which is no longer running`]);
    expect(c.out.join('\n')).toContain(`  recorded in the key inventory ${inventoryPath}`);
    expect(readFileSync(inventoryPath, 'utf8')).toContain(gun(2));
    expect(existsSync(`${inventoryPath}.lock`)).toBe(false);
  }, 120_000);

  /** The --json document of a successful import of the same input with --inventory (a fresh site). */
  async function succeeded(form: 'single' | 'set'): Promise<Record<string, unknown>> {
    const work = mkdtempSync(join(dir, `${form}-ok-`));
    const trust = join(work, 'trust');
    mkdirSync(trust);
    const inventoryPath = join(work, 'key-inventory.json');
    const args = form === 'set' ? ['import', setPath, '--trust-dir', trust, '--pins', pinsPath, '--inventory', inventoryPath, '--json'] : ['import', singlePath, '--trust-dir', trust, '--root', rootPath, '--inventory', inventoryPath, '--json'];
    const c = captureIo();
    expect(await runCli(args, c.io)).toBe(0);
    return JSON.parse(c.out.join('\n')) as Record<string, unknown>;
  }

  for (const form of ['single', 'set'] as const) {
    for (const row of rows) {
      for (const json of [false, true]) {
      it.skipIf(row.mount && !canMount())(`${form}${json ? ' --json' : ''}: inventory ${row.fault} → exit 1, error[${row.code}] says installed, the install summary printed, transcript says installed`, async () => {
        const work = mkdtempSync(join(dir, `${form}-${row.code}-`));
        const trust = join(work, 'trust');
        mkdirSync(trust);
        const invDir = join(work, 'inv');
        mkdirSync(invDir);
        const inventoryPath = join(invDir, 'key-inventory.json');
        const start = inventoryBytes(emptyInventory(T0));
        writeFileSync(inventoryPath, start);
        const other = inventoryBytes(emptyInventory(new Date('2026-12-02T00:00:00Z')));
        hook.outcomes = [];
        hook.after = row.code === 'INVENTORY_CHANGED' ? () => writeFileSync(inventoryPath, other) : undefined;
        const args = [...(form === 'set' ? ['import', setPath, '--trust-dir', trust, '--pins', pinsPath, '--inventory', inventoryPath] : ['import', singlePath, '--trust-dir', trust, '--root', rootPath, '--inventory', inventoryPath]), ...(json ? ['--json'] : [])];
        const c = captureIo();
        try {
          const run = () => runCli(args, c.io);
          expect(row.mount ? await withReadOnly(invDir, run) : await run()).toBe(1);
        } finally {
          hook.after = undefined;
        }
        const first = c.err.join('\n').split('\n')[0]!;
        expect(first).toMatch(new RegExp(`^error\\[${row.code}\\]: installed: .*; the key inventory was not updated: `));
        expect(hook.outcomes).toEqual([form]);
        const transcriptPath = /recorded in the session transcript (\S+)\)/.exec(first)?.[1];
        expect(transcriptPath).toBeDefined();
        const transcript = readFileSync(transcriptPath!, 'utf8');
        expect(transcript).toContain('"step":"import.install"');
        const end = JSON.parse(transcript.trim().split('\n').at(-1)!) as { step: string; note: string };
        expect(end.step).toBe('session.end');
        expect(end.note).toMatch(/^installed/);
        expect(transcript).not.toMatch(/refused/);
        for (const i of form === 'set' ? [0, 1] : [2]) {
          expect(Buffer.from(readFileSync(join(trust, 'tuf', gun(i), 'metadata', 'root.json'))).equals(Buffer.from(repos[i]!.roots.at(-1)!))).toBe(true);
        }
        expect(Buffer.from(readFileSync(inventoryPath)).equals(Buffer.from(row.code === 'INVENTORY_CHANGED' ? other : start))).toBe(true);
        // The install summary, as a successful import prints it.
        if (json) {
          const doc = JSON.parse(c.out.join('\n')) as Record<string, unknown>;
          const ok = await succeeded(form);
          expect(Object.keys(doc).sort()).toEqual([...Object.keys(ok), 'error'].sort());
          expect(doc).toMatchObject({ ok: false, inventory: inventoryPath, inventoryUpdated: false, transcript: transcriptPath, error: { code: row.code } });
          expect((doc.error as { message: string }).message).toBe(first.replace(/^error\[\w+\]: /, ''));
          expect(ok).toMatchObject({ ok: true, inventoryUpdated: true });
          if (form === 'set') expect((doc.repositories as unknown[]).length).toBe(2);
          else expect(doc.files).toEqual(ok.files);
        } else {
          const out = c.out.join('\n');
          expect(out).toMatch(form === 'set' ? /^imported: 2 notary repositories of "?two"? into / : /^imported: notary repository /);
          expect(out).toContain(`NOT recorded in the key inventory ${inventoryPath} (see the error on stderr)`);
          expect(out).toContain(`session transcript ${transcriptPath} (hash-chained`);
          expect(out).not.toMatch(/^ {2}recorded in the key inventory/m);
        }
      }, 120_000);
      }
    }
  }
});
