/**
 * Interrupted ceremonies resume (src/ceremony/machine.ts): a fault injected once at a named point stops
 * the ceremony; running the same plan into the same folder finishes it. Completed steps are not redone,
 * keys made before are found on their tokens (none is made twice), signatures collected before are kept,
 * outputs are never overwritten, and the transcript says where it stopped and resumed. What cannot resume
 * is refused with a reason.
 */
import { outPath, readOut } from '../../support/ceremony-out.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { runCeremony, STEPS, type CeremonyResult, type CeremonyStepEvent } from '../../../src/ceremony/machine.js';
import type { CeremonyPlan } from '../../../src/ceremony/plan.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import type { JsonObject } from '../../../src/json/types.js';
import { cleanup, filesUnder, GUN, planBytesOf, preparePlan, recordingTokens, type PreparedPlan } from './support.js';

afterAll(cleanup);

const CUSTODIANS = ['Alice', 'Bob', 'Carol'];

class Interrupted extends Error {}

/** Throws once at `point`, then lets everything through. */
function faultOnce(point: string): { fault: (p: string) => void; hit: () => boolean } {
  let fired = false;
  return {
    fault: (p) => {
      if (!fired && p === point) {
        fired = true;
        throw new Interrupted(`interrupted at ${point}`);
      }
    },
    hit: () => fired,
  };
}

async function scenario(profile: 'notary' | 'tuf', point: string) {
  const p = preparePlan(profile);
  const tokens = await recordingTokens(CUSTODIANS);
  const softwareKeys = new Map<string, SigningKey>();
  const f = faultOnce(point);
  const run = (fault?: (p: string) => void) =>
    runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys, ...(fault ? { fault } : {}) });
  await expect(run(f.fault)).rejects.toBeInstanceOf(Interrupted);
  expect(f.hit()).toBe(true);
  const madeBefore = tokens.made.length;
  const result = await run();
  return { p, tokens, result, madeBefore, softwareKeys };
}

function verifyOutputs(p: PreparedPlan, result: CeremonyResult): void {
  const read = (n: string) => readOut(p.dir, n);
  const root = read('root.json');
  const files = {
    versionedRoots: new Map<number, Uint8Array>(),
    root,
    targets: read('targets.json'),
    delegated: new Map(),
    ...(result.metadata.includes('snapshot.json') ? { snapshot: read('snapshot.json') } : {}),
    ...(result.metadata.includes('timestamp.json') ? { timestamp: read('timestamp.json') } : {}),
  };
  verifyRepository(files, { trustedRoot: root, now: new Date(), ...(p.plan.profile === 'notary' ? { gun: GUN } : { requireComplete: true }) });
  const t = verifyTranscript(read('transcript.jsonl'), { expectedSealKeyId: result.sealKeyId });
  expect(t.sealed).toBe(true);
}

/** Token keys the plan makes: 3 root keys + targets + snapshot (notary: on Bob's token; tuf: software). */
const TOKEN_KEYS = { notary: 5, tuf: 4 };

describe('resume after an interruption at each point', () => {
  const POINTS: [string, 'notary' | 'tuf', string[]][] = [
    ['after:check-tokens', 'notary', ['check-tokens']],
    ['generating:root/Bob', 'notary', ['check-tokens']],
    ['generated:root/Bob', 'notary', ['check-tokens']],
    ['key-ready:targets', 'notary', ['check-tokens']],
    ['after:generate-keys', 'notary', ['check-tokens', 'generate-keys']],
    ['after:shamir-backup', 'notary', ['check-tokens', 'generate-keys', 'shamir-backup']],
    ['signed:root:root/Alice', 'notary', ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata']],
    ['signed:targets:targets', 'tuf', ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata']],
    ['after:verify-outputs', 'tuf', ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata', 'collect-signatures', 'verify-outputs']],
    ['written:root.json', 'notary', ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata', 'collect-signatures', 'verify-outputs']],
    ['sealed', 'tuf', ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata', 'collect-signatures', 'verify-outputs', 'write-outputs']],
  ];

  it.each(POINTS.map(([point, profile, skipped]) => ({ point, profile, skipped })))('$profile, interrupted at $point', async ({ point, profile, skipped }) => {
    const { p, tokens, result, madeBefore } = await scenario(profile, point);
    expect(result.resumed).toBe(true);
    expect(result.skipped).toEqual(skipped);
    // No key was made twice: every token key of the plan exactly once, across both runs.
    expect(tokens.made).toHaveLength(TOKEN_KEYS[profile]);
    if (skipped.includes('generate-keys')) expect(tokens.made.length).toBe(madeBefore);
    verifyOutputs(p, result);
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(p.dir, 'transcript.jsonl'))));
    const steps = t.entries.map((e) => e.step);
    if (point !== 'sealed') {
      // A fault inside a step is recorded as an interruption; between steps (a crash) nothing is.
      if (!point.startsWith('after:')) expect(steps).toContain('ceremony.interrupted');
      expect(steps).toContain('ceremony.resume');
      // Root signed by the threshold, Alice and Bob (a signature kept across the interruption is verified again).
      const signers = t.entries.filter((e) => e.step === 'root.sign').map((e) => e.actor.name);
      expect([...new Set(signers)]).toEqual(['Alice', 'Bob']);
    } else {
      expect(steps).not.toContain('ceremony.resume');
    }
    // One summary entry per step, whatever was redone.
    for (const name of ['check-tokens', 'generate-keys', 'write-outputs']) expect(steps.filter((s) => s === `ceremony.${name}`)).toHaveLength(1);
    if (point === 'generated:root/Bob') {
      expect(t.entries.find((e) => e.step === 'key.generate' && e.actor.name === 'Bob' && e.token?.label === 'rehearsal-root-bob')!.note).toMatch(/adopted/);
    }
  }, 60_000); // the first case loads the profiles and signers: seconds on a loaded 2-core machine
});

describe('what cannot resume is refused', () => {
  async function interrupted(profile: 'notary' | 'tuf', point: string) {
    const p = preparePlan(profile);
    const tokens = await recordingTokens(CUSTODIANS);
    const softwareKeys = new Map<string, SigningKey>();
    const f = faultOnce(point);
    await expect(
      runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys, fault: f.fault }),
    ).rejects.toBeInstanceOf(Interrupted);
    return { p, tokens, softwareKeys };
  }

  async function code(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(CeremonyError);
      return (err as CeremonyError).code;
    }
    return 'resolved';
  }

  it('another plan in the same folder', async () => {
    const { p, tokens } = await interrupted('notary', 'after:generate-keys');
    const other = structuredClone(p.json);
    (other.root as JsonObject).threshold = 3;
    const bytes = planBytesOf(other);
    expect(await code(runCeremony({ planBytes: bytes, plan: parsePlan(bytes, { rehearsal: true }), planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider }))).toBe('CEREMONY_STATE_MISMATCH');
  });

  it('other tokens than the ones the interrupted ceremony used', async () => {
    const { p } = await interrupted('notary', 'after:generate-keys');
    const fresh = await recordingTokens(CUSTODIANS);
    expect(await code(runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: fresh.provider }))).toBe('TOKEN_NOT_PRESENT');
  });

  it('a rehearsal software key that was not kept', async () => {
    const { p, tokens } = await interrupted('tuf', 'after:generate-keys');
    const run = (softwareKeys: Map<string, SigningKey>) =>
      runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys });
    expect(await code(run(new Map()))).toBe('CEREMONY_CANNOT_RESUME');
  });

  it('share cards written for a key that was wiped before it was recorded; resumes once they are destroyed', async () => {
    const { p, tokens, softwareKeys } = await interrupted('notary', 'shamir:card-2');
    const run = () => runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys });
    expect(await code(run())).toBe('CEREMONY_CANNOT_RESUME');
    for (const f of filesUnder(p.dir).keys()) if (f.startsWith('secret/share-card')) rmSync(join(p.dir, f));
    const result = await run();
    verifyOutputs(p, result);
  });

  it('stopped after the split was recorded in the state, before its shamir.split entry: the entry is written on resume', async () => {
    const { p, result } = await scenario('notary', 'shamir:recorded');
    verifyOutputs(p, result);
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(p.dir, 'transcript.jsonl'))));
    const split = t.entries.filter((e) => e.step === 'shamir.split');
    expect(split).toHaveLength(1);
    const state = JSON.parse(readFileSync(outPath(p.dir, 'ceremony-state.json'), 'utf8')) as { shamir: { fingerprint: string; splitId: string } };
    expect(split[0]!.digests![0]!.sha256).toBe(state.shamir.fingerprint);
    expect(split[0]!.note).toMatch(/split .* into 3 share cards \(any 2 rebuild it\), cards read back and checked, key wiped.*; entry written on resume: the interrupted run stopped after recording the split in its state/);
    // After the interruption and the resume, before the roots are signed.
    const steps = t.entries.map((e) => e.step);
    expect(steps.indexOf('shamir.split')).toBeGreaterThan(steps.indexOf('ceremony.resume'));
    expect(steps.indexOf('shamir.split')).toBeLessThan(steps.indexOf('root.sign'));
  });

  it('an output changed between the interruption and the resume; the file is not replaced', async () => {
    const { p, tokens, softwareKeys } = await interrupted('notary', 'written:root.json');
    writeFileSync(outPath(p.dir, 'root.json'), 'tampered');
    expect(await code(runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys }))).toBe(
      'CEREMONY_OUTPUT_CHANGED',
    );
    expect(readFileSync(outPath(p.dir, 'root.json'), 'utf8')).toBe('tampered');
  });

  it('a state file edited by hand', async () => {
    const { p, tokens, softwareKeys } = await interrupted('notary', 'after:generate-keys');
    const path = outPath(p.dir, 'ceremony-state.json');
    const state = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    (state as { keys: Record<string, JsonObject> }).keys['root/Bob']!.pin = '1234';
    writeFileSync(path, JSON.stringify(state));
    const run = runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys });
    await expect(run).rejects.toMatchObject({ code: 'CEREMONY_STATE_INVALID', path: '$.keys["root/Bob"].pin' });
  });
});

describe('step events (onStep): every step in order, on a fresh run and on resume', () => {
  /** The events a full run of `plan` reports from `from` on: started + done per applicable step, skipped otherwise, then the seal. */
  function expectedFrom(plan: CeremonyPlan, doneBefore: readonly string[]): CeremonyStepEvent[] {
    const out: CeremonyStepEvent[] = [];
    for (const s of STEPS) {
      if (!s.applies(plan)) out.push({ step: s.name, status: 'skipped' });
      else if (doneBefore.includes(s.name)) out.push({ step: s.name, status: 'done', before: true });
      else out.push({ step: s.name, status: 'started' }, { step: s.name, status: 'done' });
    }
    out.push({ step: 'seal', status: 'started' }, { step: 'seal', status: 'done' });
    return out;
  }

  it('a fresh run reports each step started then done, in STEPS order, then the seal; a step the plan skips is reported skipped', async () => {
    // Without Shamir the backup step does not apply.
    const p = preparePlan('tuf', (json) => {
      delete json.shamir;
    });
    expect(STEPS.find((s) => s.name === 'shamir-backup')!.applies(p.plan)).toBe(false);
    const tokens = await recordingTokens(CUSTODIANS);
    const events: CeremonyStepEvent[] = [];
    const lines: string[] = [];
    await runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, onStep: (e) => events.push(e), report: (l) => lines.push(l) });
    expect(events).toEqual(expectedFrom(p.plan, []));
    expect(events).toContainEqual({ step: 'shamir-backup', status: 'skipped' });
    // The CLI's words are still there, beside the events.
    expect(lines).toContain(`${STEPS[0]!.title}…`);
  });

  it('interrupted inside a step: the first run reports up to that step started; the resume reports the steps done before as done, first, then the rest', async () => {
    const p = preparePlan('notary');
    const tokens = await recordingTokens(CUSTODIANS);
    const softwareKeys = new Map<string, SigningKey>();
    const f = faultOnce('signed:root:root/Alice');
    const first: CeremonyStepEvent[] = [];
    const run = (events: CeremonyStepEvent[], fault?: (p: string) => void) =>
      runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys, onStep: (e) => events.push(e), ...(fault ? { fault } : {}) });
    await expect(run(first, f.fault)).rejects.toBeInstanceOf(Interrupted);
    const doneBefore = ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata'];
    expect(first).toEqual([...doneBefore.flatMap((step) => [{ step, status: 'started' }, { step, status: 'done' }]), { step: 'collect-signatures', status: 'started' }]);
    const second: CeremonyStepEvent[] = [];
    await run(second);
    expect(second).toEqual(expectedFrom(p.plan, doneBefore));
    expect(second.slice(0, doneBefore.length).every((e) => e.status === 'done' && e.before)).toBe(true);
  });
});

describe('temp files left by a write the kill cut short', () => {
  it('the resume removes exactly the atomic writer’s temp files of the ceremony’s outputs, says so, and leaves everything else', async () => {
    const p = preparePlan('notary');
    const tokens = await recordingTokens(CUSTODIANS);
    const softwareKeys = new Map<string, SigningKey>();
    const f = faultOnce('after:shamir-backup');
    const run = (report?: (l: string) => void, fault?: (p: string) => void) =>
      runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys, ...(report ? { report } : {}), ...(fault ? { fault } : {}) });
    await expect(run(undefined, f.fault)).rejects.toBeInstanceOf(Interrupted);

    // What a SIGKILL inside writeFileAtomic leaves: `.NAME.<12 hex>.tmp` (src/io/files.ts).
    // Each beside its output, in the metadata/, secret/ and state/ folders (src/ceremony/layout.ts).
    const planted = ['metadata/.root.json.0123456789ab.tmp', 'secret/.share-card-2-of-3.txt.a1b2c3d4e5f6.tmp', 'state/.ceremony-state.json.ffffffffffff.tmp', 'secret/.share-cards.html.000000000000.tmp'];
    mkdirSync(join(p.dir, 'metadata'), { recursive: true }); // not written yet: the interruption came before
    for (const name of planted) writeFileSync(join(p.dir, name), 'partial');
    // Look-alikes that are not (exactly) such a file, or not of an output of the ceremony: kept.
    const kept = [
      '.root.json.0123456789AB.tmp', // upper-case hex: not what writeFileAtomic writes
      '.root.json.0123456789a.tmp', // 11 hex digits
      '.root.json.0123456789abc.tmp', // 13
      'root.json.0123456789ab.tmp', // not hidden
      '.root.json.0123456789ab.tmp.bak',
      '.plan.json.0123456789ab.tmp', // the plan is the operator's, not a ceremony output
      '.notes.txt.0123456789ab.tmp',
      '.root.json.tmp',
      'notes.txt',
    ].flatMap((n) => [n, `metadata/${n}`]);
    for (const name of kept) writeFileSync(join(p.dir, name), 'keep me');
    // A folder under a temp-like name is never removed; nor a temp name of an output at the top (the old layout's place).
    mkdirSync(join(p.dir, 'metadata', '.targets.json.abcdefabcdef.tmp'));
    writeFileSync(join(p.dir, 'metadata', '.targets.json.abcdefabcdef.tmp', 'inside'), 'keep me');
    writeFileSync(join(p.dir, '.targets.json.0123456789ab.tmp'), 'keep me');

    const lines: string[] = [];
    const result = await run((l) => lines.push(l));
    verifyOutputs(p, result);
    for (const name of planted) expect(existsSync(join(p.dir, name)), name).toBe(false);
    for (const name of kept) expect(readFileSync(join(p.dir, name), 'utf8'), name).toBe('keep me');
    expect(readFileSync(join(p.dir, 'metadata', '.targets.json.abcdefabcdef.tmp', 'inside'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(p.dir, '.targets.json.0123456789ab.tmp'), 'utf8')).toBe('keep me');
    const sorted = [...planted].sort();
    expect(lines).toContain(`removed ${planted.length} temporary files left by an interrupted write: ${sorted.join(', ')}`);
    // The transcript's resume entry records it too.
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(p.dir, 'transcript.jsonl'))));
    expect(t.entries.find((e) => e.step === 'ceremony.resume')!.note).toContain(`removed temporary files left by interrupted writes: ${sorted.join(', ')}`);
  });

  it('a resume with nothing to clean says nothing about it', async () => {
    const { result, p } = await scenario('tuf', 'after:check-tokens');
    expect(result.resumed).toBe(true);
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(p.dir, 'transcript.jsonl'))));
    expect(t.entries.find((e) => e.step === 'ceremony.resume')!.note).not.toMatch(/temporary/);
  });
});
