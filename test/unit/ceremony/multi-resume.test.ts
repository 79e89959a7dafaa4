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
import { parseAnyPlan, type MultiRepositoryPlan } from '../../../src/ceremony/multi-plan.js';
import { runMultiCeremony, type MultiCeremonyResult } from '../../../src/ceremony/multi-machine.js';
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

async function setup(edit?: (json: JsonObject) => void) {
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
    runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: o, tokens: tokens.provider, softwareKeys, now: () => NOW, ...(fault ? { fault } : {}) });
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
    // The root of the fourth repository half signed: nothing of it written, signed again from the start.
    { point: 'signed:root:root/Alice', nth: 4, before: 3 },
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
