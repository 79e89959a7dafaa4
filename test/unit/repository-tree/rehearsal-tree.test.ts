/**
 * Every TUF rehearsal leaves the hostable tree of its final repository in DIR/repository/ (root v1 and v2,
 * the other roles, timestamp.json), which `verify` accepts pinned to the ceremony's root v1; a Notary
 * rehearsal writes none.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
    expect(await runCli(['verify', join(out, 'repository'), '--root', join(out, 'metadata', '1.root.json'), '--json'], v.io)).toBe(0);
    expect(JSON.parse(v.out.join(''))).toMatchObject({ ok: true, rootVersion: 2, trustedRootVersion: 1 });
  });

  it('a rehearsal into a folder that already holds repository/: OUTPUT_EXISTS before anything is written', async () => {
    const out = join(work, 'taken');
    const c = captureIo();
    await import('node:fs').then((fs) => fs.mkdirSync(join(out, 'repository'), { recursive: true }));
    await expect(rehearseCommand({ profile: 'tuf', out }, c.io, software)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readdirSync(out)).toEqual(['repository']);
  });

  it('--profile sigstore: trusted_root.json added by a reviewed, signed targets change; in the tree under targets/', async () => {
    const out = join(work, 'sigstore');
    const c = captureIo();
    expect(await rehearseCommand({ profile: 'sigstore', out, json: true }, c.io, software)).toBe(0);
    const j = JSON.parse(c.out.join(''));
    expect(j.profile).toBe('tuf');
    expect(j.tree).toMatchObject({ consistentSnapshot: true, rootVersions: [1, 2] });
    expect(j.tree.files).toEqual(expect.arrayContaining(['2.snapshot.json', '2.targets.json', 'timestamp.json']));
    const trusted = readFileSync(join(out, 'sigstore', 'trusted_root.json'));
    const sha = createHash('sha256').update(trusted).digest('hex');
    expect(j.tree.files).toContain(`targets/${sha}.trusted_root.json`);
    const review = readFileSync(join(out, 'sigstore', 'review.txt'), 'utf8');
    expect(review).toContain(`target "trusted_root.json" ADDED: ${trusted.length.toLocaleString('en-US')} bytes, sha256 ${sha.slice(0, 16)}…`);
    expect(review).toMatch(/Fulcio CA "https:\/\/fulcio\.rehearsal\.invalid" \("O=REHEARSAL, CN=REHEARSAL Fulcio CA"\), certificate [0-9a-f]{16}… ADDED/);
    expect(review).toMatch(/Rekor log "https:\/\/rekor\.rehearsal\.invalid" key [0-9a-f]{16}… .* ADDED/);
    expect(review).toMatch(/CT log .* ADDED/);
    expect(j.sigstore.trustedRootReview).toHaveLength(3);
    const v = captureIo();
    expect(await runCli(['verify', join(out, 'repository'), '--root', join(out, 'metadata', '1.root.json'), '--json'], v.io)).toBe(0);
    expect(JSON.parse(v.out.join(''))).toMatchObject({ ok: true, rootVersion: 2, targets: 1 });
    // The site imported the same final repository (targets v2).
    expect(j.site.installed.versions.targets).toBe(2);
  });

  it('a Notary rehearsal writes no tree', async () => {
    const out = join(work, 'notary');
    const c = captureIo();
    expect(await rehearseCommand({ profile: 'notary', out, json: true }, c.io, software)).toBe(0);
    expect(JSON.parse(c.out.join('')).tree).toBeNull();
    expect(existsSync(join(out, 'repository'))).toBe(false);
  });
});
