import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { inspectNamedFiles } from '../../../src/inspect/inspect.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';

describe('inspectNamedFiles', () => {
  let r: BuiltRepo;
  const dirFiles = () => [
    { name: '1.root.json', bytes: r.roots[0]! },
    { name: 'root.json', bytes: r.roots[1]! },
    { name: 'targets.json', bytes: r.targets },
    { name: 'snapshot.json', bytes: r.snapshot },
    { name: 'timestamp.json', bytes: r.timestamp },
    { name: `${r.delegationName}.json`, bytes: r.delegated },
  ];
  beforeAll(async () => {
    r = await buildRepo('notary', { rootVersions: 2 });
  });

  it('explains a directory: roles, thresholds, who signed, delegations, and the verdict against a pin', () => {
    const ins = inspectNamedFiles({ files: dirFiles(), directory: true, source: 'metadata', trustedRoot: { name: '1.root.json', bytes: r.roots[0]! } });
    expect(ins).toMatchObject({ source: 'metadata', kind: 'metadata-directory', profile: 'notary', rootVersion: 2, repository: 'registry.example.com/org/app', verified: { ok: true } });
    const root = ins.roles.find((x) => x.name === 'root')!;
    expect(root).toMatchObject({ threshold: 2, thresholdMet: true });
    expect(root.signedBy).toHaveLength(2);
    expect(root.missing).toHaveLength(1);
    expect(ins.roles.find((x) => x.name === 'targets/releases')).toMatchObject({ kind: 'delegation', delegatedBy: 'targets', paths: [''] });
    expect(ins.problems).toEqual([]);
  });

  it('one file of any name is a single-file inspection unless the caller says it is a folder', () => {
    const single = inspectNamedFiles({ files: [{ name: 'backup-root.json', bytes: r.roots[0]! }] });
    expect(single).toMatchObject({ kind: 'metadata-file', source: 'backup-root.json', rootVersion: 1 });
    const folder = inspectNamedFiles({ files: [{ name: 'root.json', bytes: r.roots[0]! }], directory: true, source: 'trust' });
    expect(folder).toMatchObject({ kind: 'metadata-directory', source: 'trust' });
  });

  it('reports a pin that does not match as a verdict, and problems as a list', () => {
    const other = { name: 'pin.json', bytes: r.roots[1]! };
    const ins = inspectNamedFiles({ files: [{ name: 'root.json', bytes: r.roots[0]! }], trustedRoot: other });
    expect(ins.verified).toMatchObject({ ok: false, error: { code: 'ROLLBACK' } });
  });

  it('bounds what it reads (issue #12): a bloated file is checked against its referrer before it is parsed, an unreached one is not read', () => {
    const enc = new TextEncoder();
    // 1.2 million values: parsing it would exhaust the value budget; its length refuses it first.
    const bomb = enc.encode(`{"signed":[${'{},'.repeat(1_200_000)}{}],"signatures":[]}`);
    const files = dirFiles().map((f) => (f.name === 'targets.json' ? { ...f, bytes: bomb } : f));
    files.push({ name: 'targets/stranger.json', bytes: bomb });
    const ins = inspectNamedFiles({ files, directory: true, source: 'metadata' });
    expect(ins.verified).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH' } });
    expect(ins.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['LENGTH_MISMATCH', 'DELEGATION_INVALID']));
    // targets.json was not read, so no delegation reaches either file: neither is parsed.
    expect(ins.problems.filter((p) => p.code === 'DELEGATION_INVALID').map((p) => p.path)).toEqual(['targets/releases.json', 'targets/stranger.json']);
    expect(ins.roles.find((x) => x.name === 'targets')?.version).toBeUndefined();
    expect(ins.roles.find((x) => x.name === 'snapshot')?.version).toBe(1);
  });

  it('one parse of a single file whatever its role (a targets file is described, not verified)', () => {
    const ins = inspectNamedFiles({ files: [{ name: 'targets.json', bytes: r.targets }] });
    expect(ins).toMatchObject({ kind: 'metadata-file', profile: 'notary' });
    expect(ins.roles[0]).toMatchObject({ name: 'targets', version: 1, targetCount: 2 });
    expect(ins.problems.map((p) => p.code)).toContain('META_MISSING');
  });

  it('refuses what cannot be read at all, naming the file and the JSON path', () => {
    let err: unknown;
    try {
      inspectNamedFiles({ files: [{ name: 'notes.json', bytes: new TextEncoder().encode('not json') }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('JSON_MALFORMED');
    expect((err as CeremonyError).path).toBe('notes.json $');
    expect(() => inspectNamedFiles({ files: [{ name: 'x/../../etc.json', bytes: r.targets }, { name: 'root.json', bytes: r.roots[0]! }] })).toThrow(/not a safe relative file name/);
  });
});
