/**
 * `import --inventory` when recording the import would take the key inventory over a limit it is read with
 * (review 13a M1): the import is refused with INVENTORY_TOO_LARGE before anything is installed — the trust
 * directory byte for byte as it was (its sessions folder aside: the refusal is recorded there, by design),
 * the inventory as it was, no lock left beside it. A single repository and a trust-bundle-set alike.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyInventory, INVENTORY_MAX_REPOSITORIES, inventoryBytes } from '../../../src/ceremony/inventory.js';
import { runCli } from '../../../src/cli/program.js';
import { captureIo } from '../../support/cli-io.js';
import { writeImportFixtures } from '../../support/import-fixtures.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { treeHash } from '../../support/trust-tree.js';

const tmp = tempDirs();

const gun = (i: number): string => `registry.example.com/org/inv-limit-${i}`;
const T0 = new Date('2026-12-01T00:00:00Z');

/** An inventory already holding INVENTORY_MAX_REPOSITORIES repositories: one more is over the limit. */
function atRepositoryLimit(): Uint8Array {
  const inv = emptyInventory(T0);
  for (let i = 0; i < INVENTORY_MAX_REPOSITORIES; i++) inv.repositories.push({ repository: `filler.example.com/r/${i}`, profile: 'notary', root: { version: 1, sha256: i.toString(16).padStart(64, '0') } });
  return inventoryBytes(inv);
}

describe('import --inventory over the inventory limits: refused before anything is installed', () => {
  let dir: string;
  let setPath: string;
  let singlePath: string;
  let pinsPath: string;
  let rootPath: string;
  let full: Uint8Array;

  beforeAll(async () => {
    dir = tmp('tufc-inv-limit-cli-');
    ({ setPath, singlePath, pinsPath, rootPath } = await writeImportFixtures(dir, gun));
    full = atRepositoryLimit();
  }, 120_000);

  for (const form of ['single', 'set'] as const) {
    for (const json of [false, true]) {
      it(`${form}${json ? ' --json' : ''}: exit 1, error[INVENTORY_TOO_LARGE] at $.repositories, trust directory and inventory unchanged`, async () => {
        const work = join(dir, `${form}${json ? '-json' : ''}`);
        const trust = join(work, 'trust');
        mkdirSync(trust, { recursive: true });
        const inventoryPath = join(work, 'key-inventory.json');
        writeFileSync(inventoryPath, full);
        const before = treeHash(trust);
        const args = form === 'set' ? ['import', setPath, '--trust-dir', trust, '--pins', pinsPath, '--inventory', inventoryPath] : ['import', singlePath, '--trust-dir', trust, '--root', rootPath, '--inventory', inventoryPath];
        const c = captureIo();
        expect(await runCli([...args, ...(json ? ['--json'] : [])], c.io)).toBe(1);
        const over = form === 'set' ? INVENTORY_MAX_REPOSITORIES + 2 : INVENTORY_MAX_REPOSITORIES + 1;
        let code: string;
        let message: string;
        if (json) {
          const doc = JSON.parse(c.out.join('\n')) as { ok: boolean; error: { code: string; message: string; path?: string } };
          expect(doc.ok).toBe(false);
          expect(doc.error.path).toBe('$.repositories');
          ({ code, message } = doc.error);
        } else {
          const m = /^error\[(\w+)\]: (.*)$/s.exec(c.err[0] ?? '');
          expect(m, c.err.join('\n')).not.toBeNull();
          [code, message] = [m![1]!, m![2]!];
          expect(c.out).toEqual([]);
        }
        expect(code).toBe('INVENTORY_TOO_LARGE');
        expect(message).toContain(`the key inventory ${inventoryPath} would hold repositories: ${over.toLocaleString('en-US')}, over the limit of ${INVENTORY_MAX_REPOSITORIES.toLocaleString('en-US')}`);
        expect(message).toContain(form === 'set' ? 'nothing of the set was installed' : 'nothing was installed');
        expect(message).not.toMatch(/^installed: /);
        expect(message).toMatch(/the refusal is recorded in /);
        // Nothing installed: the tree as it was, no repository folder, no staging folder or journal left.
        expect(treeHash(trust)).toBe(before);
        expect(existsSync(join(trust, 'tuf'))).toBe(false);
        expect(Buffer.from(readFileSync(inventoryPath)).equals(Buffer.from(full))).toBe(true);
        expect(readdirSync(work).sort()).toEqual(['key-inventory.json', 'trust']);
        // The advice is what would work: not "import it again with --inventory" (refused the same way), but
        // another inventory file, or none.
        const what = form === 'set' ? 'this set' : 'this repository';
        expect(message).toContain(
          `The inventory is full: importing ${what} again with it would be refused the same way. Import with --inventory naming another inventory file (created if absent) to record ${what} there, or without --inventory to install ${what} unrecorded, or first remove from ${inventoryPath} the repositories this site no longer trusts`,
        );
        expect(message).not.toMatch(/import (it|the set) again with --inventory/);
        if (!json) {
          const other = join(work, 'other-inventory.json');
          const again = captureIo();
          expect(await runCli(args.map((a) => (a === inventoryPath ? other : a)), again.io), again.err.join('\n')).toBe(0);
          expect(again.out.join('\n')).toContain(`recorded in the key inventory ${other}`);
          expect(Buffer.from(readFileSync(inventoryPath)).equals(Buffer.from(full))).toBe(true);
        }
      }, 120_000);
    }
  }
});
