/**
 * The multi-repository ceremony's "one repository ahead" order (src/ceremony/multi-machine.ts): repository
 * k+1 is signed in memory while repository k is verified, written and recorded. These cases hold the order
 * still with gates at the ceremony's fault points (no timing), and check that disk and transcript are what
 * a sequential run leaves: files and `repository.write` lines in plan order; k's write failing while k+1
 * signs reports k's error with nothing recorded for k and no folder for k+1; k+1's signing failing while k
 * is written leaves k written and recorded; when both fail, k's error wins; no unhandled rejection; and no
 * token signs for k+1 once k's write has failed, nor for the repository after a resumed one whose files
 * written before the interruption are refused (review-cercost M1).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAnyPlan } from '../../../src/ceremony/multi-plan.js';
import { runMultiCeremony } from '../../../src/ceremony/multi-machine.js';
import { RehearsalTokenProvider } from '../../../src/ceremony/tokens.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { openRehearsalTokens, type RehearsalToken } from '../../../src/signers/rehearsal.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { cleanup, serverKeyFile, sha256, tempDir } from './support.js';

afterEach(cleanup);

const NOW = new Date();
const year = (n: number) => new Date(NOW.getTime() + n * 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const CUSTODIANS = ['Alice', 'Bob', 'Carol'];
const NAMES = [0, 1, 2].map((i) => `registry.example.com/org/app-${i}`);

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => void process.off('unhandledRejection', onUnhandled));

class Injected extends Error {}

/** A promise and its resolve, for gates between the two repositories in flight. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Waits for `p`, failing (not hanging) when the order the test holds still never comes. */
async function within(p: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`never reached: ${what}`)), 30_000)))]);
  clearTimeout(timer);
}

/** Lets every pending promise reaction run (a macrotask: the microtask queue is empty after it). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Three Notary repositories on rehearsal tokens; every token signature (`sign:<label>`) and every fault
 * point goes into one log, in the order they happen.
 */
async function setup() {
  const dir = tempDir('multi-pipeline-');
  const key = serverKeyFile(dir, 'ts.key');
  const json = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: NAMES.map((name) => ({ name, timestamp: { keyFile: 'ts.key', sha256: sha256(key) } })),
    custodians: CUSTODIANS.map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: year(1) },
  } as unknown as JsonObject;
  const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  const any = parseAnyPlan(bytes, { rehearsal: true });
  if (any.kind !== 'multi') throw new Error('expected a multi plan');
  const log: string[] = [];
  const tokens = await openRehearsalTokens({ custodians: CUSTODIANS });
  const counted = new WeakSet<SigningKey>();
  const count = (k: SigningKey): SigningKey => {
    if (counted.has(k)) return k;
    counted.add(k);
    const sign = k.sign.bind(k);
    (k as { sign: SigningKey['sign'] }).sign = async (...args) => {
      log.push(`sign:${k.label}`);
      return sign(...args);
    };
    return k;
  };
  for (const t of tokens) {
    const generate = t.generateKey.bind(t);
    const find = t.findKey.bind(t);
    (t as { generateKey: RehearsalToken['generateKey'] }).generateKey = async (...args) => count(await generate(...args));
    (t as { findKey: RehearsalToken['findKey'] }).findKey = async (...args) => count(await find(...args));
  }
  const provider = new RehearsalTokenProvider(tokens);
  const softwareKeys = new Map<string, SigningKey>();
  const out = join(dir, 'out');
  const safe = any.plan.repositories.map((r) => r.safeName);
  const run = (fault?: (p: string) => void | Promise<void>) =>
    runMultiCeremony({
      planBytes: bytes,
      plan: any.plan,
      planName: 'plan.json',
      planDir: dir,
      outDir: out,
      tokens: provider,
      softwareKeys,
      now: () => NOW,
      onRepository: (_d, _t, repo) => void log.push(`onRepository:${repo.name}`),
      fault: async (p) => {
        log.push(p);
        await fault?.(p);
      },
    });
  /** The transcript's steps, `repository.write` with the repository it names. */
  const steps = (): string[] =>
    verifyTranscript(new Uint8Array(readFileSync(join(out, 'state', 'transcript.jsonl'))), { allowUnsealed: true }).entries.map((e) =>
      e.step === 'repository.write' ? `repository.write:${(e.note ?? '').split(' ')[2]}` : e.step,
    );
  const folder = (i: number): string => join(out, 'metadata', safe[i]!);
  /** How many times `point` was reached so far. */
  const seen = (point: string): number => log.filter((x) => x === point).length;
  return { out, safe, log, run, steps, folder, seen, close: () => provider.close() };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the ceremony to stop');
}

const writes = (s: Setup): string[] => s.steps().filter((x) => x.startsWith('repository.write'));

describe('multi-repository ceremony, one repository ahead', () => {
  it('writes and records the repositories in plan order while the next one signs', async () => {
    const s = await setup();
    try {
      // Repository 0's write waits until repository 1 is fully signed: signing really runs ahead of the write.
      const ahead = gate();
      const r = await s.run(async (p) => {
        if (p === `written:${NAMES[0]}/root.json`) await within(ahead.wait, 'repository 1 signed while 0 is written');
        if (p === 'signed:snapshot:snapshot' && s.seen(p) === 2) ahead.open();
      });
      expect(r.repositories.map((x) => x.name)).toEqual(NAMES);
      expect(writes(s)).toEqual(NAMES.map((n) => `repository.write:${n}`));
      // On disk and in the transcript nothing of k+1 comes before k is recorded.
      const at = (x: string): number => {
        const i = s.log.indexOf(x);
        expect(i, x).toBeGreaterThanOrEqual(0);
        return i;
      };
      for (let k = 0; k < 2; k++) {
        expect(at(`recorded:${NAMES[k]}`)).toBeLessThan(at(`written:${NAMES[k + 1]}/root.json`));
        expect(at(`onRepository:${NAMES[k]}`)).toBeLessThan(at(`written:${NAMES[k + 1]}/root.json`));
      }
      expect(s.log.filter((x) => x.startsWith('onRepository:'))).toEqual(NAMES.map((n) => `onRepository:${n}`));
      expect(s.steps()).not.toContain('ceremony.interrupted');
      expect(unhandled).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("k's write fails while k+1 signs: k's error, nothing recorded for k, no folder for k+1", async () => {
    const s = await setup();
    try {
      const ahead = gate();
      const err = await refusal(
        s.run(async (p) => {
          if (p === `written:${NAMES[0]}/root.json`) {
            await within(ahead.wait, 'repository 1 signing while 0 is written');
            throw new Injected("repository 0's write failed");
          }
          if (p === 'signed:root:root/Alice' && s.seen(p) === 2) ahead.open();
        }),
      );
      expect(err).toBeInstanceOf(Injected);
      expect(err.message).toBe("repository 0's write failed");
      expect(writes(s)).toEqual([]);
      expect(s.steps().at(-1)).toBe('ceremony.interrupted');
      expect(readdirSync(s.folder(0))).toEqual(['root.json']);
      expect(existsSync(s.folder(1))).toBe(false);
      expect(s.log.some((x) => x.startsWith('onRepository:'))).toBe(false);
      await settle();
      expect(unhandled).toEqual([]);
      // Resume signs repository 0's other roles and every later repository.
      const r = await s.run();
      expect(r.repositories.map((x) => x.name)).toEqual(NAMES);
      expect(writes(s)).toEqual(NAMES.map((n) => `repository.write:${n}`));
    } finally {
      await s.close();
    }
  });

  it("k+1's signing fails while k's write is slow: k written and recorded, then k+1's error; resume completes", async () => {
    const s = await setup();
    try {
      const failed = gate();
      const err = await refusal(
        s.run(async (p) => {
          // Repository 0's write goes on only once repository 1's signing has failed.
          if (p === `written:${NAMES[0]}/root.json`) await within(failed.wait, "repository 1's signing failed");
          if (p === 'signed:root:root/Alice' && s.seen(p) === 2) {
            failed.open();
            throw new Injected("repository 1's token failed");
          }
        }),
      );
      expect(err).toBeInstanceOf(Injected);
      expect(err.message).toBe("repository 1's token failed");
      expect(writes(s)).toEqual([`repository.write:${NAMES[0]}`]);
      expect(s.steps().at(-1)).toBe('ceremony.interrupted');
      expect(readdirSync(s.folder(0)).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json']);
      expect(existsSync(s.folder(1))).toBe(false);
      await settle();
      expect(unhandled).toEqual([]);
      const r = await s.run();
      expect(r.repositoriesDoneBefore).toBe(1);
      expect(r.repositories.map((x) => x.name)).toEqual(NAMES);
      expect(writes(s)).toEqual(NAMES.map((n) => `repository.write:${n}`));
    } finally {
      await s.close();
    }
  });

  it("both fail: k's error wins, nothing recorded, no unhandled rejection; resume completes", async () => {
    const s = await setup();
    try {
      const failed = gate();
      const err = await refusal(
        s.run(async (p) => {
          // Repository 1's signing fails first; repository 0's write fails after it.
          if (p === `written:${NAMES[0]}/root.json`) {
            await within(failed.wait, "repository 1's signing failed");
            throw new Injected("repository 0's write failed");
          }
          if (p === 'signed:root:root/Alice' && s.seen(p) === 2) {
            failed.open();
            throw new Injected("repository 1's token failed");
          }
        }),
      );
      expect(err.message).toBe("repository 0's write failed");
      expect(writes(s)).toEqual([]);
      expect(s.steps().at(-1)).toBe('ceremony.interrupted');
      await settle();
      expect(unhandled).toEqual([]);
      const r = await s.run();
      expect(r.repositories.map((x) => x.name)).toEqual(NAMES);
    } finally {
      await s.close();
    }
  });

  it("no token signs for k+1 once k's write has failed", async () => {
    const s = await setup();
    try {
      // Repository 1 has made its first root signature when repository 0's write fails (after its files,
      // before its entry); it goes on only after that failure has been seen.
      const signing = gate();
      const failed = gate();
      let mark = -1;
      const err = await refusal(
        s.run(async (p) => {
          if (p === `written:${NAMES[0]}`) {
            await within(signing.wait, 'repository 1 signing while 0 is written');
            mark = s.log.length;
            setImmediate(failed.open);
            throw new Injected("repository 0's write failed");
          }
          if (p === 'signed:root:root/Alice' && s.seen(p) === 2) {
            signing.open();
            await within(failed.wait, "repository 0's write failed");
          }
        }),
      );
      expect(err).toBeInstanceOf(Injected);
      expect(mark).toBeGreaterThan(0);
      // Repository 0's failure waited a macrotask for repository 1 to go on: it must have had a handler.
      await settle();
      expect(unhandled).toEqual([]);
      // Without the stop repository 1 would go on: Bob's root signature, targets, snapshot.
      expect(s.log.slice(mark).filter((x) => x.startsWith('sign:'))).toEqual([]);
      expect(writes(s)).toEqual([]);
      expect(existsSync(s.folder(1))).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('a resume whose written file is refused signs nothing for the next repository', async () => {
    const s = await setup();
    try {
      // Run 1 stops inside repository 1's write: root.json and targets.json are on disk, not recorded.
      const err = await refusal(
        s.run((p) => {
          if (p === `written:${NAMES[1]}/targets.json`) throw new Injected('stopped');
        }),
      );
      expect(err).toBeInstanceOf(Injected);
      expect(readdirSync(s.folder(1)).sort()).toEqual(['root.json', 'targets.json']);
      // The same content and signatures, other bytes: adopted, then refused at writeRepository's byte check.
      const rootFile = join(s.folder(1), 'root.json');
      writeFileSync(rootFile, JSON.stringify(JSON.parse(readFileSync(rootFile, 'utf8')), null, 1));
      s.log.length = 0;
      const refused = await refusal(s.run());
      expect(refused).toBeInstanceOf(CeremonyError);
      expect((refused as CeremonyError).code).toBe('CEREMONY_STATE_INVALID');
      expect(refused.message).toContain(`${s.safe[1]}/root.json, written before the interruption, is not what this ceremony rebuilds`);
      // Repository 1 signs its one missing token role (snapshot, by Bob); repository 2 nothing: no
      // certificate, no metadata signature.
      expect(s.log.filter((x) => x.startsWith('sign:'))).toEqual(['sign:snapshot']);
      // Repository 2 is not even begun: repository 1, which adopted files, is written first.
      expect(s.log).toContain(`prepare:${NAMES[1]}`);
      expect(s.log).not.toContain(`prepare:${NAMES[2]}`);
      expect(existsSync(s.folder(2))).toBe(false);
    } finally {
      await s.close();
    }
  });
});
