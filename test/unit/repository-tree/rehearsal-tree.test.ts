/**
 * Every TUF rehearsal leaves the hostable tree of its final repository in DIR/repository/ (root v1 and v2,
 * the other roles, timestamp.json), which `verify` accepts pinned to the ceremony's root v1; a Notary
 * rehearsal writes none.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { rehearseCommand } from '../../../src/cli/rehearse.js';
import { captureIo } from '../../support/cli-io.js';

vi.setConfig({ testTimeout: 90_000 });
const software = { softhsmPath: () => undefined, now: () => new Date() };
const work = mkdtempSync(join(tmpdir(), 'tufc-rehearsal-tree-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('rehearse --profile tuf writes DIR/repository/', () => {
  it('the tree of the repository after the rotation, verified from root v1', async () => {
    const out = join(work, 'tuf');
    const c = captureIo();
    expect(await rehearseCommand({ profile: 'tuf', out, json: true }, c.io, software)).toBe(0);
    const j = JSON.parse(c.out.join(''));
    expect(j.tree).toMatchObject({ dir: 'repository', rootVersions: [1, 2] });
    expect(readdirSync(join(out, 'repository')).sort()).toEqual(j.tree.files.slice().sort());
    expect(j.tree.files).toContain('timestamp.json');
    const v = captureIo();
    expect(await runCli(['verify', join(out, 'repository'), '--root', join(out, '1.root.json'), '--json'], v.io)).toBe(0);
    expect(JSON.parse(v.out.join(''))).toMatchObject({ ok: true, rootVersion: 2, trustedRootVersion: 1 });
  });

  it('a rehearsal into a folder that already holds repository/: OUTPUT_EXISTS before anything is written', async () => {
    const out = join(work, 'taken');
    const c = captureIo();
    await import('node:fs').then((fs) => fs.mkdirSync(join(out, 'repository'), { recursive: true }));
    await expect(rehearseCommand({ profile: 'tuf', out }, c.io, software)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readdirSync(out)).toEqual(['repository']);
  });

  it('a Notary rehearsal writes no tree', async () => {
    const out = join(work, 'notary');
    const c = captureIo();
    expect(await rehearseCommand({ profile: 'notary', out, json: true }, c.io, software)).toBe(0);
    expect(JSON.parse(c.out.join('')).tree).toBeNull();
    expect(existsSync(join(out, 'repository'))).toBe(false);
  });
});
