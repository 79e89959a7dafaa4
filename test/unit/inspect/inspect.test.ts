import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { INSPECT_PATH_TESTS, inspectNamedFiles } from '../../../src/inspect/inspect.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { renderInspection } from '../../../src/cli/inspect.js';
import { makeKey } from '../../support/keys.js';
import type { JsonObject } from '../../../src/json/types.js';
import { buildRepo, FAR, hashesOf, parseBytes, sign, withField, type BuiltRepo } from '../../support/repo.js';

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

  describe('hostile shapes of one unsigned file (review-12 M1): linear in what the file lists', () => {
    const enc = new TextEncoder();
    const unsignedTargets = (delegations: object) => enc.encode(JSON.stringify({ signatures: [], signed: { _type: 'targets', spec_version: '1.0.31', version: 1, expires: FAR, targets: {}, delegations } }));
    const hexId = (i: number) => i.toString(16).padStart(64, '0');

    it('one key under 60,000 made-up key IDs (TUF key IDs are not re-derived), a role for each: each key shown once, each ID looked up once', async () => {
      const k = await makeKey('tuf', 'ed25519');
      const K = 60_000;
      const keys: Record<string, unknown> = {};
      const roles: object[] = [];
      for (let i = 0; i < K; i++) {
        keys[hexId(i)] = k.json;
        roles.push({ name: `r${i}`, keyids: [hexId(i)], threshold: 1, terminating: false, paths: ['*'] });
      }
      const ins = inspectNamedFiles({ files: [{ name: 'targets.json', bytes: unsignedTargets({ keys, roles }) }] });
      expect(ins.keys).toHaveLength(K);
      expect(new Set(ins.keys.map((x) => x.keyId)).size).toBe(K);
      expect(ins.roles).toHaveLength(K + 1);
      expect(ins.roles[K]).toMatchObject({ name: `r${K - 1}`, keyIds: [hexId(K - 1)] });
      // The text rendering looks every listed ID up: by a map, not a scan of the 60,000 keys per ID.
      const text = renderInspection(ins);
      expect(text.split('\n').filter((l) => l.includes('ed25519  fp '))).toHaveLength(K);
      expect(text).not.toContain('(not in keys)');
    });

    it('150,000 delegated roles in one file are all shown (one output list: push(...list) of each level overflowed the call stack)', async () => {
      const k = await makeKey('tuf', 'ed25519');
      const N = 150_000;
      const roles = Array.from({ length: N }, (_, i) => ({ name: `r${i}`, keyids: [k.keyId], threshold: 1, terminating: false, paths: ['*'] }));
      const ins = inspectNamedFiles({ files: [{ name: 'targets.json', bytes: unsignedTargets({ keys: { [k.keyId]: k.json }, roles }) }] });
      expect(ins.roles).toHaveLength(N + 1);
      expect(ins.roles[N]).toMatchObject({ name: `r${N - 1}`, kind: 'delegation', delegatedBy: 'targets' });
      expect(ins.keys).toHaveLength(1);
      expect(ins.problems.map((p) => p.code)).toEqual(['META_MISSING']);
    });

    it('a chain of 3,000 delegated files, each delegating the next: walked in file order, each role under its delegator', async () => {
      const k = await makeKey('tuf', 'ed25519');
      const D = 3_000;
      const table = { [k.keyId]: k.json };
      const role = (name: string) => ({ name, keyids: [k.keyId], threshold: 1, terminating: false, paths: ['*'] });
      const files = [
        { name: 'root.json', bytes: r.roots[0]! },
        // targets → c0 → c1 → … and, after c0's subtree, a sibling `last`.
        { name: 'targets.json', bytes: unsignedTargets({ keys: table, roles: [role('c0'), role('last')] }) },
        { name: 'last.json', bytes: unsignedTargets({ keys: table, roles: [] }) },
      ];
      for (let i = 0; i < D; i++) files.push({ name: `c${i}.json`, bytes: unsignedTargets({ keys: table, roles: i + 1 < D ? [role(`c${i + 1}`)] : [] }) });
      const ins = inspectNamedFiles({ files, directory: true, source: 'chain' });
      const delegated = ins.roles.filter((x) => x.kind === 'delegation');
      expect(delegated).toHaveLength(D + 1);
      expect(delegated.map((x) => x.name)).toEqual([...Array.from({ length: D }, (_, i) => `c${i}`), 'last']);
      expect(delegated[D - 1]).toMatchObject({ name: `c${D - 1}`, delegatedBy: `c${D - 2}`, version: 1 });
      expect(delegated[D]).toMatchObject({ name: 'last', delegatedBy: 'targets', version: 1 });
    });
  });

  describe('a refused parse spends the shared value budget too (review-12 M2)', () => {
    const enc = new TextEncoder();
    const valuesTargets = (n: number) => enc.encode(`{"signatures":[],"signed":{"_type":"targets","expires":"${FAR}","spec_version":"1.0.31","targets":{},"version":1,"x":[${'0,'.repeat(n - 1)}0]}}`);

    it('parseMetadata: a document refused for holding more values than the budget has left takes what it parsed off the budget', () => {
      const budget = { remaining: 1_000 };
      expect(() => parseMetadata(valuesTargets(5_000), 'targets', { maxBytes: 1 << 20, source: 'x.json', budget })).toThrow(expect.objectContaining({ code: 'JSON_TOO_MANY_VALUES' }));
      expect(budget.remaining).toBeLessThanOrEqual(0);
      // Nothing is left for the next document: refused at its first value.
      expect(() => parseMetadata(valuesTargets(1), 'targets', { maxBytes: 1 << 20, source: 'y.json', budget })).toThrow(expect.objectContaining({ code: 'JSON_TOO_MANY_VALUES', path: 'y.json $' }));
    });

    it('inspect without a snapshot: six delegated files of 1.2M values; once the budget is spent, each later file is refused at its first value, not parsed up to what was left', async () => {
      const k = await makeKey('tuf', 'ed25519');
      const names = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'];
      const targets = enc.encode(JSON.stringify({ signatures: [], signed: { _type: 'targets', spec_version: '1.0.31', version: 1, expires: FAR, targets: {}, delegations: { keys: { [k.keyId]: k.json }, roles: names.map((name) => ({ name, keyids: [k.keyId], threshold: 1, terminating: false, paths: ['*'] })) } } }));
      const bomb = valuesTargets(1_200_000);
      const tr = await buildRepo('tuf');
      const ins = inspectNamedFiles({ files: [{ name: 'root.json', bytes: tr.roots[0]! }, { name: 'targets.json', bytes: targets }, ...names.map((n) => ({ name: `${n}.json`, bytes: bomb }))], directory: true, source: 'bombs' });
      const refused = ins.problems.filter((p) => p.code === 'JSON_TOO_MANY_VALUES').map((p) => p.path);
      // b0 and b1 fit (2.4M of 3M); b2 runs out part-way; b3–b5 have nothing left (before: each parsed 600,000 values again).
      expect(refused[0]).toMatch(/^b2\.json \$\.signed\.x\[\d+\]$/);
      expect(refused.slice(1)).toEqual(['b3.json $', 'b4.json $', 'b5.json $']);
      expect(ins.roles.filter((r) => r.kind === 'delegation').map((r) => [r.name, r.version])).toEqual([['b0', 1], ['b1', 1], ['b2', undefined], ['b3', undefined], ['b4', undefined], ['b5', undefined]]);
    });
  });
});


describe('a delegated role\'s entries outside its paths (review 15c L5)', () => {
  const enc = new TextEncoder();
  const entry = (profile: 'tuf' | 'notary', bytes: Uint8Array) => ({ length: bytes.length, hashes: hashesOf(profile, bytes) });
  const filesOf = (r: BuiltRepo) => [
    { name: 'root.json', bytes: r.roots[0]! },
    { name: 'targets.json', bytes: r.targets },
    { name: 'snapshot.json', bytes: r.snapshot },
    { name: 'timestamp.json', bytes: r.timestamp },
    { name: `${r.delegationName}.json`, bytes: r.delegated },
  ];

  for (const profile of ['tuf', 'notary'] as const) {
    it(`${profile}: counted apart from the role's targets, and said to be never served`, async () => {
      const r = await buildRepo(profile);
      if (profile === 'notary') {
        // buildRepo's Notary delegation has paths [""] (every path): narrow it to a prefix.
        const t = parseBytes(r.targets).signed as JsonObject;
        await r.relink({ targets: await sign(profile, withField(t, ['delegations', 'roles', 0, 'paths'], ['releases/']), r.keys.targets) });
      }
      // The delegate's file lists its own releases/v1.tar.gz and two names its delegation does not cover.
      const d = parseBytes(r.delegated).signed as JsonObject;
      const more = { ...(d.targets as JsonObject), 'other/y.txt': entry(profile, enc.encode('y')), 'app.tar.gz': entry(profile, enc.encode('shadow')) };
      await r.relink({ delegated: await sign(profile, { ...d, targets: more }, r.keys.delegate) });
      const ins = inspectNamedFiles({ files: filesOf(r), directory: true, source: 'metadata', trustedRoot: { name: 'pin.json', bytes: r.roots[0]! } });
      expect(ins.verified).toEqual({ ok: true });
      expect(ins.roles.find((x) => x.name === r.delegationName)).toMatchObject({ targetCount: 1, outsidePathsCount: 2 });
      expect(ins.roles.find((x) => x.name === 'targets')).toMatchObject({ targetCount: 2 });
      expect(ins.roles.find((x) => x.name === 'targets')?.outsidePathsCount).toBeUndefined();
      const line = renderInspection(ins).split('\n').find((l) => l.includes('(delegated by targets)'))!;
      expect(line).toMatch(/, 1 targets, 2 outside its paths: never served, paths /);
    });
  }

  it('past the inspection\'s path-test budget the entries are not matched, and the count says so (review 15f M2)', async () => {
    const r = await buildRepo('tuf');
    // 1,001 patterns × 1,000 entries: just over INSPECT_PATH_TESTS (review 15f: 1,000 × 20,000 took 47 s).
    const paths = Array.from({ length: 1001 }, (_, i) => `p${i}/*`);
    const t = parseBytes(r.targets).signed as JsonObject;
    const d = parseBytes(r.delegated).signed as JsonObject;
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}/f.txt`, entry('tuf', enc.encode(String(i)))]));
    await r.relink({ targets: await sign('tuf', withField(t, ['delegations', 'roles', 0, 'paths'], paths), r.keys.targets), delegated: await sign('tuf', { ...d, targets: many }, r.keys.delegate) });
    expect(1001 * 1000).toBeGreaterThan(INSPECT_PATH_TESTS);
    const ins = inspectNamedFiles({ files: filesOf(r), directory: true, source: 'metadata' });
    const view = ins.roles.find((x) => x.name === r.delegationName)!;
    expect(view).toMatchObject({ targetCount: 1000, pathsNotChecked: true });
    expect(view.outsidePathsCount).toBeUndefined();
    expect(renderInspection(ins)).toContain("1000 targets listed (not matched against its paths: over the inspection's path-test budget)");
  });

  it('a role whose entries are all inside its paths shows no such count', async () => {
    const r = await buildRepo('tuf');
    const ins = inspectNamedFiles({ files: filesOf(r), directory: true, source: 'metadata' });
    expect(ins.roles.find((x) => x.name === 'releases')).toMatchObject({ targetCount: 1 });
    expect(ins.roles.find((x) => x.name === 'releases')?.outsidePathsCount).toBeUndefined();
    expect(renderInspection(ins)).not.toContain('outside its paths');
  });
});
