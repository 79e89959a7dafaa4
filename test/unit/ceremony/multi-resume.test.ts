/**
 * An interrupted multi-repository ceremony resumes (src/ceremony/multi-machine.ts, multi-resume.ts): a
 * fault injected once at a named point stops it — after repository k was recorded, after its files were
 * written but before the transcript recorded them, between two of its files, while its root was being
 * signed, after the inventory, after the seal — and running the same plan into the same folder finishes it.
 * Then: the output has the files an uninterrupted run of the same plan writes; every repository verifies
 * (Notary: certificate rules per GUN; TUF: complete, as tuf-js would be pinned to it — tuf-js itself follows
 * resumed repositories in test/integration/ceremony-multi-softhsm.test.ts); no key was made twice; files
 * written before the interruption are unchanged (never a second root.json v1); the transcript verifies,
 * sealed, with its `ceremony.resume` entry and one `repository.write` per repository. What cannot resume is
 * refused with a reason, and nothing is written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftwareKey } from '../../../src/signers/software.js';
import { parseAnyPlan, type MultiRepositoryPlan } from '../../../src/ceremony/multi-plan.js';
import { runMultiCeremony, type MultiCeremonyResult } from '../../../src/ceremony/multi-machine.js';
import { checkWrittenPrefix, writeRank } from '../../../src/ceremony/multi-resume.js';
import type { MetadataRole } from '../../../src/ceremony/state.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { checkNotaryRootCertificates } from '../../../src/tuf/notary-root.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { cleanup, filesUnder, recordingTokens, serverKeyFile, sha256, tempDir } from './support.js';

afterEach(cleanup);

const NOW = new Date();
const year = (n: number) => new Date(NOW.getTime() + n * 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const CUSTODIANS = ['Alice', 'Bob', 'Carol'];
const NOTARY = ['registry.example.com/org/app-0', 'registry.example.com/org/app-1', 'registry.example.com/org/app-2'];
const TUF = ['example.com/tuf/repo-0', 'example.com/tuf/repo-1'];

class Interrupted extends Error {}

function planJson(dir: string): JsonObject {
  const repos: JsonObject[] = NOTARY.map((name, i) => {
    const bytes = serverKeyFile(dir, `ts-${i}.key`);
    return { name, timestamp: { keyFile: `ts-${i}.key`, sha256: sha256(bytes) } };
  });
  for (const name of TUF) repos.push({ name, profile: 'tuf' });
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: repos,
    custodians: CUSTODIANS.map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: year(1) },
  } as unknown as JsonObject;
}

/** Token keys the plan makes: three root keys, targets, snapshot (the TUF timestamp key is software). */
const TOKEN_KEYS = 5;

async function setup(edit?: (json: JsonObject) => void, opts: { writeGroup?: number; log?: string[] } = {}) {
  const dir = tempDir('multi-resume-');
  const json = planJson(dir);
  edit?.(json);
  const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  const any = parseAnyPlan(bytes, { rehearsal: true });
  if (any.kind !== 'multi') throw new Error('expected a multi plan');
  const tokens = await recordingTokens(CUSTODIANS);
  const softwareKeys = new Map<string, SigningKey>();
  const out = join(dir, 'out');
  const run = (fault?: (p: string) => void, o = out): Promise<MultiCeremonyResult> =>
    runMultiCeremony({
      planBytes: bytes,
      plan: any.plan,
      planName: 'plan.json',
      planDir: dir,
      outDir: o,
      tokens: tokens.provider,
      softwareKeys,
      now: () => NOW,
      ...(opts.writeGroup ? { writeGroup: opts.writeGroup } : {}),
      ...(fault || opts.log
        ? {
            fault: (p: string) => {
              opts.log?.push(p);
              fault?.(p);
            },
          }
        : {}),
      ...(opts.log ? { onRepository: (_d: number, _t: number, repo: { name: string }) => void opts.log!.push(`onRepository:${repo.name}`) } : {}),
    });
  return { dir, out, plan: any.plan as MultiRepositoryPlan, tokens, run };
}

/** Throws at the `nth` time `point` is reached, once. */
function faultAt(point: string, nth = 1): { fault: (p: string) => void; hit: () => boolean } {
  let seen = 0;
  let fired = false;
  return {
    fault: (p) => {
      if (fired || p !== point) return;
      seen += 1;
      if (seen === nth) {
        fired = true;
        throw new Interrupted(`interrupted at ${point} (#${nth})`);
      }
    },
    hit: () => fired,
  };
}

function verifyAll(out: string, result: MultiCeremonyResult): void {
  for (const r of result.repositories) {
    const read = (n: string) => new Uint8Array(readFileSync(join(out, r.dir, n)));
    const root = read('root.json');
    if (r.profile === 'notary') {
      const v = verifyRepository({ versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: NOW, gun: r.name });
      checkNotaryRootCertificates(v.root, NOW, r.name);
    } else {
      expect(read('1.root.json')).toEqual(root);
      verifyRepository(
        { versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() },
        { trustedRoot: root, now: NOW, requireComplete: true },
      );
    }
  }
}

/** The output's structure: every path, with the metadata's roles (bytes differ between runs: new signatures). */
function structure(out: string): string[] {
  return [...filesUnder(out).keys()].sort();
}

let reference: string[] | undefined;
async function uninterrupted(): Promise<string[]> {
  if (!reference) {
    const s = await setup();
    await s.run();
    reference = structure(s.out);
  }
  return reference;
}

describe('an interrupted multi-repository ceremony resumes', () => {
  const POINTS: { point: string; nth?: number; before: number; kept?: string; drop?: string[] }[] = [
    { point: 'after:check-tokens', before: 0 },
    { point: 'after:generate-keys', before: 0 },
    // Repository 2 (app-1) recorded: two repositories done before.
    { point: `recorded:${NOTARY[1]}`, before: 2 },
    // app-2's files written, not yet recorded: adopted, not signed again.
    { point: `written:${NOTARY[2]}`, before: 2, kept: NOTARY[2] },
    // Killed between two files of a Notary and of a TUF repository (the files written after it removed, as
    // such a kill leaves them): the written ones kept, the rest signed and written.
    { point: `written:${NOTARY[0]}`, before: 0, kept: NOTARY[0], drop: ['targets.json', 'snapshot.json'] },
    { point: `written:${TUF[0]}`, before: 3, kept: TUF[0], drop: ['snapshot.json', 'timestamp.json'] },
    // What a power loss can leave (files are made durable role by role, root first): a prefix of the roles,
    // and within one role any of its names — root.json lost, 1.root.json kept, is adopted from 1.root.json.
    { point: `written:${TUF[0]}`, before: 3, kept: TUF[0], drop: ['root.json', 'timestamp.json'] },
    { point: `written:${NOTARY[1]}`, before: 1, kept: NOTARY[1], drop: ['snapshot.json'] },
    // Killed right after targets.json appeared: root and targets there, snapshot and timestamp signed now.
    { point: `written:${TUF[0]}/targets.json`, before: 3, kept: TUF[0] },
    // The root of the fourth repository half signed: nothing of it written, signed again from the start.
    { point: 'signed:root:root/Alice', nth: 4, before: 3 },
    // The inventory written, the run stopped before the transcript recorded it: kept, being this ceremony's.
    { point: 'inventory-written', before: 5 },
    { point: 'inventory', before: 5 },
    { point: 'sealed', before: 5 },
  ];

  it.each(POINTS.map((p) => ({ drop: [] as string[], ...p })))('interrupted at $point, then removed: $drop', async ({ point, nth, before, kept, drop }) => {
    const s = await setup();
    const f = faultAt(point, nth);
    await expect(s.run(f.fault)).rejects.toBeInstanceOf(Interrupted);
    expect(f.hit()).toBe(true);
    const safe = kept ? s.plan.repositories.find((r) => r.name === kept)!.safeName : '';
    for (const name of drop) rmSync(join(s.out, 'metadata', safe, name));
    const written = existsSync(s.out) ? filesUnder(s.out) : new Map<string, Uint8Array>();
    const result = await s.run();
    expect(result.resumed).toBe(true);
    expect(result.repositoriesDoneBefore).toBe(before);
    // No key made twice.
    expect(s.tokens.made).toHaveLength(TOKEN_KEYS);
    // What was written before the interruption is unchanged (the journal, transcript and inventory of state/ grow or are kept).
    const now = filesUnder(s.out);
    for (const [name, bytes] of written) {
      if (name.startsWith('metadata/')) expect(now.get(name), name).toEqual(bytes);
    }
    expect(structure(s.out)).toEqual(await uninterrupted());
    verifyAll(s.out, result);
    const t = verifyTranscript(now.get('state/transcript.jsonl')!, { expectedSealKeyId: result.sealKeyId });
    expect(t.sealed).toBe(true);
    const steps = t.entries.map((e) => e.step);
    if (point !== 'sealed') expect(steps.filter((x) => x === 'ceremony.resume')).toHaveLength(1);
    expect(steps.filter((x) => x === 'repository.write')).toHaveLength(NOTARY.length + TUF.length);
    expect(steps.filter((x) => x === 'inventory.write')).toHaveLength(1);
    if (kept) {
      const entry = t.entries.find((e) => e.step === 'repository.write' && e.note?.includes(`repository ${kept} →`))!;
      expect(entry.note).toMatch(/written before an interruption, signatures and bytes checked again and kept/);
    }
  }, 60_000);
});

describe('group commit (writeGroup 2: groups [app-0, app-1], [app-2, repo-0], [repo-1])', () => {
  const ALL = [...NOTARY, ...TUF];

  it('writes what one repository at a time writes; a group\'s files all durable before its entries, its entries before the next group\'s files', async () => {
    const log: string[] = [];
    const s = await setup(undefined, { writeGroup: 2, log });
    const result = await s.run();
    expect(structure(s.out)).toEqual(await uninterrupted());
    verifyAll(s.out, result);
    const t = verifyTranscript(filesUnder(s.out).get('state/transcript.jsonl')!, { expectedSealKeyId: result.sealKeyId });
    const writes = t.entries.filter((e) => e.step === 'repository.write');
    expect(writes.map((e) => e.note!.split(' ')[2])).toEqual(ALL);
    // Each entry names the files as they are on disk.
    for (const e of writes) for (const o of e.outputs) expect(sha256(new Uint8Array(readFileSync(join(s.out, o.name)))), o.name).toBe(o.sha256);
    expect(result.repositories.map((r) => r.name)).toEqual(ALL);
    expect(log.filter((x) => x.startsWith('onRepository:'))).toEqual(ALL.map((n) => `onRepository:${n}`));
    const at = (x: string): number => {
      const i = log.indexOf(x);
      expect(i, x).toBeGreaterThanOrEqual(0);
      return i;
    };
    const lastAt = (prefix: string): number => log.reduce((m, x, i) => (x.startsWith(prefix) ? i : m), -1);
    const firstAt = (prefix: string): number => log.findIndex((x) => x.startsWith(prefix));
    const groups = [ALL.slice(0, 2), ALL.slice(2, 4), ALL.slice(4)];
    for (const [g, names] of groups.entries()) {
      for (const n of names) {
        // Every file of the group durable (written:<repo>) before any of its entries is recorded.
        for (const m of names) expect(at(`written:${m}`)).toBeLessThan(at(`recorded:${n}`));
        // The next group's first file only once this group is recorded.
        if (g + 1 < groups.length) for (const m of groups[g + 1]!) expect(at(`recorded:${n}`)).toBeLessThan(firstAt(`written:${m}/`));
      }
      // Role by role across the group: every root file of the group before any targets file.
      expect(Math.max(...names.map((n) => lastAt(`written:${n}/root.json`)))).toBeLessThan(Math.min(...names.map((n) => firstAt(`written:${n}/targets.json`))));
    }
  }, 60_000);

  const POINTS: { point: string; before: number; present: Record<string, string[]> }[] = [
    // Both roots of group 1 linked, nothing else: each folder a prefix, adopted.
    { point: `written:${NOTARY[1]}/root.json`, before: 0, present: { [NOTARY[0]!]: ['root.json'], [NOTARY[1]!]: ['root.json'] } },
    { point: `written:${NOTARY[0]}/targets.json`, before: 0, present: { [NOTARY[0]!]: ['root.json', 'targets.json'], [NOTARY[1]!]: ['root.json'] } },
    // The group's files durable, no entry: both adopted, none signed again.
    { point: `written:${NOTARY[0]}`, before: 0, present: { [NOTARY[0]!]: ['root.json', 'snapshot.json', 'targets.json'], [NOTARY[1]!]: ['root.json', 'snapshot.json', 'targets.json'] } },
    // The group's entries are durable together.
    { point: `recorded:${NOTARY[0]}`, before: 2, present: { [NOTARY[1]!]: ['root.json', 'snapshot.json', 'targets.json'], [NOTARY[2]!]: [] } },
    { point: `written:${TUF[0]}/root.json`, before: 2, present: { [NOTARY[2]!]: ['root.json'], [TUF[0]!]: ['root.json'] } },
  ];

  it.each(POINTS)('interrupted at $point: every folder a prefix of its roles, then resumed to what an uninterrupted run writes', async ({ point, before, present }) => {
    const s = await setup(undefined, { writeGroup: 2 });
    const f = faultAt(point);
    await expect(s.run(f.fault)).rejects.toBeInstanceOf(Interrupted);
    expect(f.hit()).toBe(true);
    const written = filesUnder(s.out);
    for (const [name, files] of Object.entries(present)) {
      const safe = s.plan.repositories.find((r) => r.name === name)!.safeName;
      const folder = join(s.out, 'metadata', safe);
      const names = existsSync(folder) ? [...filesUnder(folder).keys()].sort() : [];
      expect(names, name).toEqual(files);
    }
    // No temporary file anywhere: the write removes its own, also when stopped.
    expect([...written.keys()].filter((n) => /\.tmp$/.test(n))).toEqual([]);
    const result = await s.run();
    expect(result.repositoriesDoneBefore).toBe(before);
    expect(s.tokens.made).toHaveLength(TOKEN_KEYS);
    const now = filesUnder(s.out);
    for (const [name, bytes] of written) if (name.startsWith('metadata/')) expect(now.get(name), name).toEqual(bytes);
    expect(structure(s.out)).toEqual(await uninterrupted());
    verifyAll(s.out, result);
    const t = verifyTranscript(now.get('state/transcript.jsonl')!, { expectedSealKeyId: result.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'repository.write').map((e) => e.note!.split(' ')[2])).toEqual(ALL);
  }, 60_000);
});

async function refusal(fn: () => Promise<unknown>): Promise<CeremonyError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CeremonyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('what cannot resume is refused, nothing written', () => {
  async function interrupted() {
    const s = await setup();
    await expect(s.run(faultAt(`recorded:${NOTARY[1]}`).fault)).rejects.toBeInstanceOf(Interrupted);
    return s;
  }
  const CASES: [string, (s: Awaited<ReturnType<typeof setup>>) => void | Promise<void>, string, RegExp][] = [
    ['a recorded file changed', (s) => writeFileSync(join(s.out, 'metadata', 'registry.example.com%2Forg%2Fapp-0', 'targets.json'), '{}'), 'CEREMONY_STATE_INVALID', /app-0\/targets\.json is not the file written before the interruption/],
    ['a recorded file removed', (s) => rmSync(join(s.out, 'metadata', 'registry.example.com%2Forg%2Fapp-1', 'snapshot.json')), 'CEREMONY_STATE_INVALID', /app-1\/snapshot\.json was written before the interruption .* and is missing now/],
    ['a stray file in a repository folder', (s) => writeFileSync(join(s.out, 'metadata', 'registry.example.com%2Forg%2Fapp-0', 'notes.txt'), 'x'), 'CEREMONY_STATE_INVALID', /notes\.txt is not a file this ceremony writes/],
    ['the transcript removed', (s) => rmSync(join(s.out, 'state', 'transcript.jsonl')), 'CEREMONY_STATE_INVALID', /transcript\.jsonl is missing/],
    [
      // Review 15e H2: a whole-line prefix of the chain verifies; the state records how long it was.
      'the transcript cut back to its header and first entry',
      (s) => {
        const path = join(s.out, 'state', 'transcript.jsonl');
        writeFileSync(path, readFileSync(path, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
      },
      'TRANSCRIPT_TRUNCATED',
      /transcript\.jsonl has 1 entries, but ceremony-state\.json was saved when it had \d+: entries were removed from its end/,
    ],
    [
      'a root.json replaced by another run’s',
      async (s) => {
        const other = await setup();
        await other.run();
        const name = 'registry.example.com%2Forg%2Fapp-2';
        // Not recorded in this folder's transcript: adopted only if it is this ceremony's (its keys' signatures).
        mkdirSync(join(s.out, 'metadata', name));
        writeFileSync(join(s.out, 'metadata', name, 'root.json'), readFileSync(join(other.out, 'metadata', name, 'root.json')));
      },
      'CEREMONY_STATE_INVALID',
      /app-2\/root\.json, written before the interruption, does not list Alice's root key/,
    ],
  ];
  it.each(CASES)('%s', async (_name, spoil, code, message) => {
    const s = await interrupted();
    await spoil(s);
    const before = filesUnder(s.out);
    const err = await refusal(() => s.run());
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    const after = filesUnder(s.out);
    // Nothing written beside the refusal but the transcript's resume/interrupted entries and the journal.
    for (const [name, bytes] of after) if (name.startsWith('metadata/')) expect(bytes, name).toEqual(before.get(name));
    expect([...after.keys()].filter((n) => n.startsWith('metadata/')).sort()).toEqual([...before.keys()].filter((n) => n.startsWith('metadata/')).sort());
  }, 60_000);

  it("Bob's shared root key record swapped before any repository: CEREMONY_STATE_INVALID naming the record (review 15e L2), not a hardware code", async () => {
    const s = await setup();
    await expect(s.run(faultAt('after:generate-keys').fault)).rejects.toBeInstanceOf(Interrupted);
    const path = join(s.out, 'state', 'ceremony-state.json');
    const state = JSON.parse(readFileSync(path, 'utf8'));
    const other = SoftwareKey.generate('ecdsa-p256');
    Object.assign(state.keys['root/Bob'], { fingerprint: other.fingerprint, keyId: other.fingerprint, spki: Buffer.from(other.spki).toString('base64') });
    other.dispose();
    writeFileSync(path, JSON.stringify(state, null, 2));
    const err = await refusal(() => s.run());
    expect(err.code).toBe('CEREMONY_STATE_INVALID');
    expect(err.path).toBe(`${path} $.keys.root/Bob`);
    expect(err.message).toMatch(/Bob's token holds no key with the public key the state records for root\/Bob/);
    expect(existsSync(join(s.out, 'metadata'))).toBe(false);
  }, 60_000);

  it('generate-keys marked done after check-tokens, no ceremony.generate-keys entry: refused (review 15e M1)', async () => {
    const s = await setup();
    await expect(s.run(faultAt('after:check-tokens').fault)).rejects.toBeInstanceOf(Interrupted);
    const path = join(s.out, 'state', 'ceremony-state.json');
    const state = JSON.parse(readFileSync(path, 'utf8'));
    state.steps['generate-keys'] = { status: 'done', at: state.updated };
    writeFileSync(path, JSON.stringify(state, null, 2));
    const err = await refusal(() => s.run());
    expect(err.code).toBe('CEREMONY_STATE_INVALID');
    expect(err.path).toBe(`${path} $.steps.generate-keys`);
    expect(existsSync(join(s.out, 'metadata'))).toBe(false);
  }, 60_000);

  it('another plan into the same folder: CEREMONY_STATE_MISMATCH', async () => {
    const s = await interrupted();
    const other = await setup((json) => ((json.root as JsonObject).threshold = 3));
    const err = await refusal(() => other.run(undefined, s.out));
    expect(err.code).toBe('CEREMONY_STATE_MISMATCH');
  }, 60_000);

  it('a complete ceremony: CEREMONY_COMPLETE; an older layout or a metadata/ folder without state: OUTPUT_EXISTS', async () => {
    const s = await setup();
    await s.run();
    const before = filesUnder(s.out);
    expect((await refusal(() => s.run())).code).toBe('CEREMONY_COMPLETE');
    expect(filesUnder(s.out)).toEqual(before);
    renameSync(join(s.out, 'state'), join(s.dir, 'state-moved'));
    expect((await refusal(() => s.run())).code).toBe('OUTPUT_EXISTS');
    // A folder an older version wrote: its journal at the top.
    const old = await setup();
    await expect(old.run(faultAt('after:check-tokens').fault)).rejects.toBeInstanceOf(Interrupted);
    renameSync(join(old.out, 'state', 'ceremony-state.json'), join(old.out, 'ceremony-state.json'));
    expect((await refusal(() => old.run())).code).toBe('OUTPUT_EXISTS');
  }, 60_000);
});

/** Counts the signatures the custodians' token keys make from now on (certificates, metadata, the seal). */
function countTokenSignatures(s: Awaited<ReturnType<typeof setup>>): () => number {
  let n = 0;
  for (const k of s.tokens.made) {
    const sign = k.sign.bind(k);
    (k as { sign: SigningKey['sign'] }).sign = async (...args) => {
      n += 1;
      return sign(...args);
    };
  }
  return () => n;
}

describe('a repository folder that is not a prefix of its roles is refused before any token signs (review A2 L1)', () => {
  const safeOf = (s: Awaited<ReturnType<typeof setup>>, name: string) => s.plan.repositories.find((r) => r.name === name)!.safeName;
  // Each: the repository whose files were all written (not recorded) when the run stopped, the files then
  // removed (a power loss cannot leave these: a later role's file is made durable only after every earlier
  // role's), and the file the refusal names.
  const CASES: [string, string, string[], RegExp][] = [
    ['Notary root.json removed, snapshot.json there', NOTARY[0]!, ['root.json'], /app-0\/root\.json is missing, but .*app-0\/targets\.json, which is written only after it, is there/],
    ['Notary targets.json removed, snapshot.json there', NOTARY[2]!, ['targets.json'], /app-2\/targets\.json is missing, but .*app-2\/snapshot\.json, which is written only after it, is there/],
    ['TUF root.json and 1.root.json removed', TUF[0]!, ['root.json', '1.root.json'], /repo-0\/root\.json is missing, but /],
    ['TUF snapshot.json removed, timestamp.json there', TUF[1]!, ['snapshot.json', '1.snapshot.json'], /repo-1\/snapshot\.json is missing, but .*repo-1\/timestamp\.json, which is written only after it, is there/],
  ];
  it.each(CASES)('%s', async (_name, repo, remove, message) => {
    const s = await setup();
    await expect(s.run(faultAt(`written:${repo}`).fault)).rejects.toBeInstanceOf(Interrupted);
    const folder = join(s.out, 'metadata', safeOf(s, repo));
    for (const name of remove) rmSync(join(folder, name), { force: true });
    const before = filesUnder(s.out);
    const signatures = countTokenSignatures(s);
    const points: string[] = [];
    const err = await refusal(() => s.run((p) => void points.push(p)));
    expect(err.code).toBe('CEREMONY_STATE_INVALID');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/Nothing was signed/);
    // No certificate, no second root v1, no other signature: refused before the first token operation.
    expect(signatures()).toBe(0);
    expect(points.filter((p) => p.startsWith('signed:') || p.startsWith('written:'))).toEqual([]);
    // Nothing written: the output folder is as it was, the transcript included.
    expect(filesUnder(s.out)).toEqual(before);
  }, 60_000);
});

describe('a key inventory found in state/ is kept only when it is the one this ceremony builds (review A2 M3)', () => {
  const INVENTORY = join('state', 'key-inventory.json');
  type Spoil = (s: Awaited<ReturnType<typeof setup>>, inv: string) => void | Promise<void>;
  const edited = (edit: (inv: { keys: { custodian?: string }[]; updated: string }) => void): Spoil => (_s, path) => {
    const inv = JSON.parse(readFileSync(path, 'utf8'));
    edit(inv);
    writeFileSync(path, JSON.stringify(inv, null, 2) + '\n');
  };
  // Each: where the run stopped, what was done to state/key-inventory.json then.
  const CASES: [string, string, Spoil][] = [
    [
      'a schema-valid inventory of someone else put there before the inventory was written',
      `recorded:${TUF[1]}`,
      (_s, path) =>
        writeFileSync(
          path,
          JSON.stringify({ format: 'tuf-ceremony-key-inventory', version: 1, updated: NOW.toISOString(), repositories: [], keys: [{ fingerprint: 'ab'.repeat(32), algorithm: 'ecdsa-p256', origin: 'token', rehearsal: true, custodian: 'Mallory', roles: [] }] }, null, 2) + '\n',
        ),
    ],
    ['the inventory written but not recorded, then a custodian changed in it', 'inventory-written', edited((inv) => (inv.keys.find((k) => k.custodian)!.custodian = 'Mallory'))],
    ['the inventory written but not recorded, then a key removed from it', 'inventory-written', edited((inv) => inv.keys.pop())],
    [
      'the inventory of another ceremony of the same plan',
      'inventory-written',
      async (_s, path) => {
        const other = await setup();
        await other.run();
        writeFileSync(path, readFileSync(join(other.out, INVENTORY)));
      },
    ],
    ['the inventory written and recorded, then its time changed', 'inventory', edited((inv) => (inv.updated = '2020-01-01T00:00:00.000Z'))],
  ];
  it.each(CASES)('%s: CEREMONY_STATE_INVALID, nothing kept or sealed', async (_name, point, spoil) => {
    const s = await setup();
    await expect(s.run(faultAt(point).fault)).rejects.toBeInstanceOf(Interrupted);
    const path = join(s.out, INVENTORY);
    await spoil(s, path);
    const spoiled = readFileSync(path);
    const err = await refusal(() => s.run());
    expect(err.code).toBe('CEREMONY_STATE_INVALID');
    expect(err.message).toMatch(/state\/key-inventory\.json is not/);
    expect(err.path).toBe(path);
    expect(readFileSync(path)).toEqual(spoiled);
    const t = verifyTranscript(readFileSync(join(s.out, 'state', 'transcript.jsonl')), { allowUnsealed: true });
    expect(t.sealed).toBe(false);
    expect(t.entries.filter((e) => e.step === 'inventory.write' && e.outputs[0]?.sha256 === sha256(spoiled))).toEqual([]);
  }, 60_000);

  it('the inventory written but not recorded, unchanged: kept and recorded, the transcript sealed', async () => {
    const s = await setup();
    await expect(s.run(faultAt('inventory-written').fault)).rejects.toBeInstanceOf(Interrupted);
    const path = join(s.out, INVENTORY);
    const kept = readFileSync(path);
    const result = await s.run();
    expect(readFileSync(path)).toEqual(kept);
    const t = verifyTranscript(readFileSync(join(s.out, 'state', 'transcript.jsonl')), { expectedSealKeyId: result.sealKeyId });
    const entries = t.entries.filter((e) => e.step === 'inventory.write');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.outputs[0]!.sha256).toBe(sha256(kept));
    expect(entries[0]!.note).toMatch(/byte for byte the inventory this ceremony builds, kept/);
  }, 60_000);
});

describe('checkWrittenPrefix: what a power loss can leave resumes, anything else is refused naming the missing file', () => {
  const TUF_ROLES: MetadataRole[] = ['root', 'targets', 'snapshot', 'timestamp'];
  const NOTARY_ROLES: MetadataRole[] = ['root', 'targets', 'snapshot'];
  // Each: the roles the repository writes, the names in its folder, and the file a refusal names (null: resumes).
  const CASES: [MetadataRole[], string[], string | null][] = [
    [TUF_ROLES, [], null],
    [TUF_ROLES, ['attestations.json'], null],
    [TUF_ROLES, ['1.root.json'], null],
    [TUF_ROLES, ['root.json', 'targets.json', '.snapshot.json.0a1b2c3d4e5f.tmp'], null],
    [TUF_ROLES, ['1.root.json', 'targets.json', '1.targets.json', 'snapshot.json'], null],
    [TUF_ROLES, ['root.json', '1.root.json', 'targets.json', 'snapshot.json', '1.snapshot.json', 'timestamp.json'], null],
    [NOTARY_ROLES, ['root.json', 'targets.json'], null],
    [TUF_ROLES, ['targets.json'], 'root.json'],
    [TUF_ROLES, ['attestations.json', 'timestamp.json'], 'root.json'],
    [TUF_ROLES, ['root.json', '1.targets.json', 'timestamp.json'], 'snapshot.json'],
    [TUF_ROLES, ['root.json', 'snapshot.json'], 'targets.json'],
    [NOTARY_ROLES, ['targets.json', 'snapshot.json'], 'root.json'],
    [NOTARY_ROLES, ['root.json', 'snapshot.json'], 'targets.json'],
  ];
  it.each(CASES)('%j holding %j → %s', (roles, names, missing) => {
    const check = () => checkWrittenPrefix(names, roles, 'metadata/repo', '/out/metadata/repo');
    if (missing === null) return expect(check).not.toThrow();
    let err: unknown;
    try {
      check();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('CEREMONY_STATE_INVALID');
    expect((err as CeremonyError).message).toMatch(new RegExp(`^metadata/repo/${missing.replace('.', '\\.')} is missing, but `));
    expect((err as CeremonyError).path).toBe(`/out/metadata/repo/${missing}`);
  });

  it('writeRank: root (with 1.root.json and attestations.json), then targets, snapshot, timestamp', () => {
    const names = ['timestamp.json', '1.snapshot.json', 'attestations.json', 'snapshot.json', '1.targets.json', 'targets.json', '1.root.json', 'root.json'];
    expect(names.map(writeRank)).toEqual([3, 2, 0, 2, 1, 1, 0, 0]);
  });
});
