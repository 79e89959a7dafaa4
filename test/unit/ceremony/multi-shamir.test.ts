/**
 * A Shamir-split software root key in a multi-repository plan (issue #17; src/ceremony/multi-shamir.ts),
 * on software rehearsal tokens (the same ceremony on SoftHSM2 through the CLI, with the notary client and
 * tuf-js: test/integration/ceremony-multi-shamir-softhsm.test.ts):
 *
 * - one key for every repository: listed in every root (Notary: a certificate per GUN, CN = that GUN),
 *   signing every root beside the custodians; the share cards rebuild a key whose public key is that one;
 *   no secret in any file but the cards;
 * - plan refusals, each with its code and path;
 * - resume: stopped before the cards were recorded → a new key (nothing signed by the old one), or refused
 *   while cards of the lost key lie about; stopped after → refused without cards (nothing written), finished
 *   with M cards re-entered (wrong or too few cards refused by their own codes).
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAnyPlan, type MultiRepositoryPlan } from '../../../src/ceremony/multi-plan.js';
import { runMultiCeremony, type MultiCeremonyResult } from '../../../src/ceremony/multi-machine.js';
import { runCeremony } from '../../../src/ceremony/machine.js';
import type { ShareCardSource } from '../../../src/ceremony/multi-shamir.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { parseShareCard, withReconstructedKey, type ShareCard } from '../../../src/shamir/index.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { checkNotaryRootCertificates } from '../../../src/tuf/notary-root.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { multiJson, runCommand } from '../../../src/cli/run.js';
import { captureIo } from '../../support/cli-io.js';
import { cleanup, filesUnder, preparePlan, recordingTokens, secretsOf, serverKeyFile, sha256, tempDir } from './support.js';

afterEach(cleanup);

const NOW = new Date();
const year = (n: number) => new Date(NOW.getTime() + n * 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const CUSTODIANS = ['Alice', 'Bob', 'Carol'];
const NOTARY = ['registry.example.com/org/app-0', 'registry.example.com/org/app-1'];
const TUF = ['example.com/tuf/repo-0', 'example.com/tuf/repo-1'];
const ALL = [...NOTARY, ...TUF];

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
    shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
  } as unknown as JsonObject;
}

async function setup() {
  const dir = tempDir('multi-shamir-');
  const json = planJson(dir);
  const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  const any = parseAnyPlan(bytes, { rehearsal: true });
  if (any.kind !== 'multi') throw new Error('expected a multi plan');
  const tokens = await recordingTokens(CUSTODIANS);
  const softwareKeys = new Map<string, SigningKey>();
  const out = join(dir, 'out');
  const run = (o: { fault?: (p: string) => void; shareCards?: ShareCardSource } = {}): Promise<MultiCeremonyResult> =>
    runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: out, tokens: tokens.provider, softwareKeys, now: () => NOW, ...o });
  return { dir, out, plan: any.plan as MultiRepositoryPlan, tokens, softwareKeys, run };
}

function faultAt(point: string, nth = 1): (p: string) => void {
  let seen = 0;
  let fired = false;
  return (p) => {
    if (fired || p !== point) return;
    seen += 1;
    if (seen === nth) {
      fired = true;
      throw new Interrupted(`interrupted at ${point}`);
    }
  };
}

async function refusal(fn: () => Promise<unknown>): Promise<CeremonyError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CeremonyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

function cardsIn(out: string): ShareCard[] {
  const folder = join(out, 'secret');
  return readdirSync(folder)
    .filter((n) => n.endsWith('.txt'))
    .sort()
    .map((n) => parseShareCard(new Uint8Array(readFileSync(join(folder, n))), { source: n }));
}

/** Every repository verifies as a client would; returns, per repository, the fingerprints of the root keys that signed root.json. */
function verifyAll(out: string, result: MultiCeremonyResult): Map<string, string[]> {
  const signers = new Map<string, string[]>();
  for (const r of result.repositories) {
    const read = (n: string) => new Uint8Array(readFileSync(join(out, r.dir, n)));
    const root = read('root.json');
    const v =
      r.profile === 'notary'
        ? verifyRepository({ versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: NOW, gun: r.name })
        : verifyRepository(
            { versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() },
            { trustedRoot: root, now: NOW, requireComplete: true },
          );
    if (r.profile === 'notary') checkNotaryRootCertificates(v.root, NOW, r.name);
    const role = v.root.signed.roles.get('root')!;
    expect(role.keyids).toHaveLength(4); // three custodians and the split key
    expect(role.threshold).toBe(2);
    signers.set(
      r.name,
      v.root.signatures.filter((s) => role.keyids.includes(s.keyid)).map((s) => v.root.signed.keys.get(s.keyid)!.key.fingerprint),
    );
  }
  return signers;
}

describe('a multi-repository plan with a Shamir-split root key', () => {
  it('one split key in every root, signing each; cards rebuild it; no secret anywhere but the cards', async () => {
    const s = await setup();
    const result = await s.run();
    const keySecrets = [...secretsOf(s.tokens.made), ...secretsOf([...s.softwareKeys.values()])];
    expect(result.shareCards).toEqual(['secret/share-card-1-of-3.txt', 'secret/share-card-2-of-3.txt', 'secret/share-card-3-of-3.txt', 'secret/share-cards.html']);
    const cards = cardsIn(s.out);
    expect(cards).toHaveLength(3);
    const rebuilt = await withReconstructedKey([cards[2]!, cards[0]!], (k) => ({ fingerprint: k.fingerprint, secret: Uint8Array.from(k.secret) }));
    expect(cards[0]!.label).toBe(`${ALL[0]} and 3 more`);

    const signers = verifyAll(s.out, result);
    for (const name of ALL) {
      // Signed by the first two custodians and the split key, whose public key the cards rebuild.
      expect(signers.get(name), name).toHaveLength(3);
      expect(signers.get(name), name).toContain(rebuilt.fingerprint);
    }
    // One key: the same fingerprint everywhere; Notary certificate key IDs per GUN, one TUF key ID.
    const splitIds = result.repositories.map((r) => r.rootKeyIds[3]);
    expect(new Set(splitIds.slice(0, NOTARY.length)).size).toBe(NOTARY.length);
    expect(new Set(splitIds.slice(NOTARY.length)).size).toBe(1);

    const t = verifyTranscript(new Uint8Array(readFileSync(join(s.out, result.transcript))), { expectedSealKeyId: result.sealKeyId });
    const steps = t.entries.map((e) => e.step);
    expect(steps.filter((x) => x === 'shamir.split')).toHaveLength(1);
    expect(steps.indexOf('shamir.split')).toBeLessThan(steps.indexOf('root.sign') === -1 ? Infinity : steps.indexOf('root.sign'));
    expect(steps.indexOf('shamir.split')).toBeLessThan(steps.indexOf('repository.write'));
    expect(t.entries.filter((e) => e.step === 'repository.write').every((e) => e.note!.includes('the split software root key'))).toBe(true);

    // Nothing but the cards holds a secret: every other file scanned for the token keys, the software
    // keys, the split key rebuilt from its cards and the share bytes (raw, hex, base64, base32).
    const secrets = [...keySecrets, rebuilt.secret, ...cards.map((c) => Uint8Array.from(c.share))];
    const files = filesUnder(s.out);
    const scanned = [...files].filter(([n]) => !n.startsWith('secret/'));
    expect(scanned.length).toBeGreaterThan(ALL.length * 3);
    for (const [name, bytes] of scanned) expect(scanForSecrets(bytes, secrets), name).toEqual([]);
    // Positive control: the split key planted in the transcript is found.
    const planted = new TextEncoder().encode(`${new TextDecoder().decode(files.get('state/transcript.jsonl')!)}${Buffer.from(rebuilt.secret).toString('base64')}`);
    expect(scanForSecrets(planted, secrets).map((f) => f.secret)).toContain(keySecrets.length);
    await s.tokens.provider.close();
  }, 120_000);

  const base = (): JsonObject => planJson(tempDir('multi-shamir-plan-'));
  const edit = (json: JsonObject, f: (j: Record<string, JsonValue>) => void): JsonObject => {
    const copy = structuredClone(json) as Record<string, JsonValue>;
    f(copy);
    return copy as JsonObject;
  };
  const REFUSALS: [string, (j: Record<string, JsonValue>) => void, string, RegExp][] = [
    ['threshold below 2', (j) => void ((j.shamir as JsonObject).threshold = 1), '$.shamir.threshold', /./],
    ['more cards needed than made', (j) => void ((j.shamir as JsonObject).threshold = 4), '$.shamir.shares', /3 share cards cannot meet a threshold of 4/],
    ['shares above 255', (j) => void ((j.shamir as JsonObject).shares = 256), '$.shamir.shares', /./],
    ['unknown field', (j) => void ((j.shamir as JsonObject).label = 'x'), '$.shamir.label', /./],
    ['Ed25519 with Notary repositories', (j) => void ((j.shamir as JsonObject).keyAlgorithm = 'ed25519'), '$.shamir.keyAlgorithm', /Notary root keys are ecdsa-x509 certificates.*in repository "registry\.example\.com\/org\/app-0"/],
    ['P-384 with TUF repositories', (j) => void ((j.shamir as JsonObject).keyAlgorithm = 'ecdsa-p384'), '$.shamir.keyAlgorithm', /ecdsa-p384 is refused in TUF plans.*in repository "example\.com\/tuf\/repo-0"/],
    ['a repository giving its own', (j) => void ((j.repositories as JsonObject[])[2]!.shamir = { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' }), '$.repositories[2].shamir', /./],
    ['root threshold counting the split key', (j) => void ((j.root as JsonObject).threshold = 4), '$.root.threshold', /./],
  ];
  it.each(REFUSALS)('plan refused: %s', (_what, f, path, message) => {
    const bytes = new TextEncoder().encode(JSON.stringify(edit(base(), f)));
    let err: unknown;
    try {
      parseAnyPlan(bytes, { rehearsal: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('PLAN_INVALID');
    expect((err as CeremonyError).path).toBe(path);
    expect((err as CeremonyError).message).toMatch(message);
  });
});

describe('root threshold 1 with a split key (accepted, said plainly)', () => {
  const SAID = 'with root threshold 1, the holders of M share cards can sign a new root for every repository without any token: here any 2 of the 3 cards, whoever holds them';

  it('multi-repository: the plan is accepted and the run says it (review lines and the plan.review entry)', async () => {
    const dir = tempDir('multi-shamir-t1-');
    const json = planJson(dir) as Record<string, JsonValue>;
    (json.root as Record<string, JsonValue>).threshold = 1;
    const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
    const any = parseAnyPlan(bytes, { rehearsal: true });
    if (any.kind !== 'multi') throw new Error('expected a multi plan');
    const tokens = await recordingTokens(CUSTODIANS);
    const lines: string[] = [];
    const result = await runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: join(dir, 'out'), tokens: tokens.provider, softwareKeys: new Map(), now: () => NOW, report: (l) => void lines.push(l) });
    expect(lines).toContain(`NOTE: ${SAID}, for all 4 repositories`);
    const t = verifyTranscript(new Uint8Array(readFileSync(join(dir, 'out', result.transcript))), { expectedSealKeyId: result.sealKeyId });
    expect(t.entries[0]!.step).toBe('plan.review');
    expect(t.entries[0]!.note).toContain(`root threshold 1 (${SAID}, for all 4 repositories)`);
    await tokens.provider.close();
  }, 120_000);

  it('one repository: the run says it too; threshold 2 says nothing', async () => {
    for (const threshold of [1, 2]) {
      const p = preparePlan('tuf', (j) => void ((j.root as Record<string, JsonValue>).threshold = threshold));
      expect(p.plan.shamir).toBeDefined();
      const tokens = await recordingTokens(CUSTODIANS);
      const lines: string[] = [];
      const result = await runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys: new Map(), report: (l) => void lines.push(l) });
      const t = verifyTranscript(new Uint8Array(readFileSync(result.transcriptPath)), { expectedSealKeyId: result.sealKeyId });
      if (threshold === 1) {
        expect(lines).toContain(`NOTE: ${SAID}`);
        expect(t.entries[0]!.note).toContain(`root threshold 1 (${SAID})`);
      } else {
        expect(lines.join('\n')).not.toMatch(/share cards can sign a new root/);
        expect(t.entries[0]!.note).not.toMatch(/share cards can sign a new root/);
      }
      await tokens.provider.close();
    }
  }, 120_000);
});

describe('resuming with a split key', () => {
  it('stopped before the cards were recorded: a new key, nothing of the lost one anywhere', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt('shamir:split') })).rejects.toBeInstanceOf(Interrupted);
    expect(existsSync(join(s.out, 'metadata'))).toBe(false);
    const result = await s.run();
    expect(result.resumed).toBe(true);
    const cards = cardsIn(s.out);
    const fp = await withReconstructedKey(cards.slice(0, 2), (k) => k.fingerprint);
    for (const signers of verifyAll(s.out, result).values()) expect(signers).toContain(fp);
    const t = verifyTranscript(new Uint8Array(readFileSync(join(s.out, result.transcript))), { expectedSealKeyId: result.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'shamir.split')).toHaveLength(1);
    await s.tokens.provider.close();
  }, 120_000);

  it('stopped while cards were written: refused until those cards are destroyed, then a new key', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt('shamir:card-2') })).rejects.toBeInstanceOf(Interrupted);
    const err = await refusal(() => s.run());
    expect(err.code).toBe('CEREMONY_CANNOT_RESUME');
    expect(err.message).toMatch(/share-card-1-of-3\.txt exists, but the ceremony never recorded its key.*Destroy those cards/);
    expect(existsSync(join(s.out, 'metadata'))).toBe(false);
    for (const n of readdirSync(join(s.out, 'secret'))) rmSync(join(s.out, 'secret', n));
    const result = await s.run();
    verifyAll(s.out, result);
    expect(cardsIn(s.out)).toHaveLength(3);
    await s.tokens.provider.close();
  }, 120_000);

  it('stopped after some repositories: refused without cards (nothing written), finished with two cards re-entered', async () => {
    const s = await setup();
    // Two repositories recorded, the third's root not yet signed.
    await expect(s.run({ fault: faultAt(`recorded:${ALL[1]}`) })).rejects.toBeInstanceOf(Interrupted);
    const before = filesUnder(s.out);
    const err = await refusal(() => s.run());
    expect(err.code).toBe('CEREMONY_CANNOT_RESUME');
    expect(err.message).toMatch(/wiped when the interrupted run stopped.*2 repositories still need their root signed by it: resume with 2 of its 3 share cards \(run .*--share-card/);
    expect(filesUnder(s.out)).toEqual(before); // nothing written, not even a transcript entry

    // Too few, and cards of another split: refused by their own codes before anything is signed (the
    // ceremony wipes every card given to it, so each attempt reads them again).
    expect((await refusal(() => s.run({ shareCards: async () => [cardsIn(s.out)[0]!] }))).code).toBe('SHARE_TOO_FEW');
    const other = await setup();
    await other.run();
    const foreign = cardsIn(other.out);
    await other.tokens.provider.close();
    expect((await refusal(() => s.run({ shareCards: async () => foreign.slice(0, 2) }))).code).toBe('SHARE_SPLIT_MISMATCH');
    // A card file that is not a card (its parse is the first check of a card file).
    expect((await refusal(() => s.run({ shareCards: async () => [parseShareCard(new TextEncoder().encode('not a share card\n'), { source: 'typo.txt' })] }))).code).toMatch(/^SHARE_/);
    // Every wrong try was refused before anything was written: the transcript (and every other file) byte for byte as before.
    expect(filesUnder(s.out)).toEqual(before);
    for (const name of ALL.slice(2)) expect(existsSync(join(s.out, 'metadata', s.plan.repositories.find((r) => r.name === name)!.safeName))).toBe(false);

    let asked = 0;
    const result = await s.run({
      shareCards: async () => {
        asked += 1;
        return [cardsIn(s.out)[1]!, cardsIn(s.out)[2]!];
      },
    });
    expect(asked).toBe(1);
    expect(result.resumed).toBe(true);
    expect(result.repositoriesDoneBefore).toBe(2);
    const fp = await withReconstructedKey(cardsIn(s.out).slice(0, 2), (k) => k.fingerprint);
    for (const signers of verifyAll(s.out, result).values()) expect(signers).toContain(fp);
    for (const [name, bytes] of before) if (name.startsWith('metadata/')) expect(filesUnder(s.out).get(name), name).toEqual(bytes);
    const t = verifyTranscript(new Uint8Array(readFileSync(join(s.out, result.transcript))), { expectedSealKeyId: result.sealKeyId });
    const rebuild = t.entries.filter((e) => e.step === 'shamir.rebuild');
    expect(rebuild).toHaveLength(1);
    const indexes = cardsIn(s.out).slice(1).map((c) => c.index);
    expect(rebuild[0]!.note).toContain(`rebuilt in memory from 2 share cards (indexes ${indexes.join(', ')})`);
    await s.tokens.provider.close();
  }, 180_000);

  /** Cards given where none can be used: refused (USAGE, saying why), never read, nothing written. */
  async function refusedUnneeded(s: Awaited<ReturnType<typeof setup>>, why: RegExp): Promise<void> {
    const before = existsSync(s.out) ? filesUnder(s.out) : undefined;
    const err = await refusal(() =>
      s.run({
        shareCards: async () => {
          throw new Error('no card should be read');
        },
      }),
    );
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(why);
    if (before) expect(filesUnder(s.out)).toEqual(before);
    else expect(existsSync(s.out)).toBe(false);
  }

  it('stopped after every root was written: no card needed, cards given are refused (USAGE)', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt('inventory') })).rejects.toBeInstanceOf(Interrupted);
    await refusedUnneeded(s, /--share-card given, but every repository's root is already written: the split key has nothing left to sign; run again without --share-card/);
    const result = await s.run();
    verifyAll(s.out, result);
    await s.tokens.provider.close();
  }, 120_000);

  it('a root written but not recorded keeps the split key\'s signature; no card needed for it', async () => {
    const s = await setup();
    // The last repository's files written, the transcript not told: its root is adopted, the split key not needed.
    await expect(s.run({ fault: faultAt(`written:${ALL[3]}`) })).rejects.toBeInstanceOf(Interrupted);
    await refusedUnneeded(s, /nothing left to sign/);
    const result = await s.run();
    expect(verifyAll(s.out, result).get(ALL[3]!)).toHaveLength(3);
    await s.tokens.provider.close();
  }, 120_000);

  it('a root.json written before the interruption without the split key\'s signature is refused before any token signs', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt(`written:${ALL[0]}/root.json`) })).rejects.toBeInstanceOf(Interrupted);
    const folder = join(s.out, 'metadata', s.plan.repositories[0]!.safeName);
    const text = readFileSync(join(folder, 'root.json'), 'utf8');
    const root = JSON.parse(text) as { signatures: unknown[] };
    expect(JSON.stringify(root)).toBe(text); // written compact: the edit below changes nothing else
    expect(root.signatures).toHaveLength(3); // two custodians, then the split key (rootSignerNames order)
    root.signatures.pop();
    writeFileSync(join(folder, 'root.json'), JSON.stringify(root));
    const err = await refusal(() => s.run({ shareCards: async () => cardsIn(s.out).slice(0, 2) }));
    expect(err.code).toBe('CEREMONY_STATE_INVALID');
    expect(err.message).toMatch(/root\.json, written before the interruption, lacks the signature of the split software root key/);
    // Nothing signed: the repository's other roles never written, no repository recorded.
    expect(readdirSync(folder)).toEqual(['root.json']);
    const t = verifyTranscript(new Uint8Array(readFileSync(join(s.out, 'state', 'transcript.jsonl'))), { allowUnsealed: true });
    expect(t.entries.filter((e) => e.step === 'repository.write')).toHaveLength(0);
    await s.tokens.provider.close();
  }, 120_000);

  it('stopped after the split was recorded, before its shamir.split entry: the entry is written on resume', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt('shamir:recorded') })).rejects.toBeInstanceOf(Interrupted);
    const state = JSON.parse(readFileSync(join(s.out, 'state', 'ceremony-state.json'), 'utf8')) as { shamir: { fingerprint: string } };
    const before = verifyTranscript(new Uint8Array(readFileSync(join(s.out, 'state', 'transcript.jsonl'))), { allowUnsealed: true });
    expect(before.entries.filter((e) => e.step === 'shamir.split')).toHaveLength(0);
    const result = await s.run({ shareCards: async () => cardsIn(s.out).slice(1) });
    verifyAll(s.out, result);
    const t = verifyTranscript(new Uint8Array(readFileSync(join(s.out, result.transcript))), { expectedSealKeyId: result.sealKeyId });
    const split = t.entries.filter((e) => e.step === 'shamir.split');
    expect(split).toHaveLength(1);
    expect(split[0]!.digests![0]!.sha256).toBe(state.shamir.fingerprint);
    expect(split[0]!.note).toMatch(/key kept in memory only to certify and sign the 4 roots, then wiped.*; entry written on resume/);
    const steps = t.entries.map((e) => e.step);
    expect(steps.indexOf('shamir.split')).toBeLessThan(steps.indexOf('repository.write'));
    await s.tokens.provider.close();
  }, 120_000);

  it('stopped after the split was recorded, step not marked done: re-entered cards suffice, the card files may be gone', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt('shamir:recorded') })).rejects.toBeInstanceOf(Interrupted);
    // The cards handed out and the files destroyed, as the advice says; two of them re-entered.
    const cards = readdirSync(join(s.out, 'secret')).filter((n) => n.endsWith('.txt')).sort().map((n) => readFileSync(join(s.out, 'secret', n)));
    for (const n of readdirSync(join(s.out, 'secret'))) rmSync(join(s.out, 'secret', n));
    // Without cards: refused (the key is needed), nothing written.
    const before = filesUnder(s.out);
    expect((await refusal(() => s.run())).code).toBe('CEREMONY_CANNOT_RESUME');
    expect(filesUnder(s.out)).toEqual(before);
    const result = await s.run({ shareCards: async () => [cards[0]!, cards[2]!].map((b, i) => parseShareCard(new Uint8Array(b), { source: `card-${i}` })) });
    const fp = await withReconstructedKey([cards[0]!, cards[1]!].map((b) => parseShareCard(new Uint8Array(b))), (k) => k.fingerprint);
    for (const signers of verifyAll(s.out, result).values()) expect(signers).toContain(fp);
    expect(result.repositoriesDoneBefore).toBe(0);
    await s.tokens.provider.close();
  }, 120_000);

  it('shareCards (--json) lists only the card files still there when the run ends', async () => {
    const s = await setup();
    await expect(s.run({ fault: faultAt(`recorded:${ALL[1]}`) })).rejects.toBeInstanceOf(Interrupted);
    const cards = cardsIn(s.out);
    // Card 1 handed out and its file destroyed, the printable sheet too; cards 2 and 3 re-entered.
    rmSync(join(s.out, 'secret', 'share-card-1-of-3.txt'));
    rmSync(join(s.out, 'secret', 'share-cards.html'));
    const result = await s.run({ shareCards: async () => cards.slice(1) });
    expect(result.shareCards).toEqual(['secret/share-card-2-of-3.txt', 'secret/share-card-3-of-3.txt']);
    expect(multiJson(result).shareCards).toEqual(result.shareCards);
    await s.tokens.provider.close();
  }, 120_000);

  it('cards given to a fresh run, or after a stop before the split was recorded, are refused (USAGE)', async () => {
    const s = await setup();
    await refusedUnneeded(s, /holds none: a new ceremony makes a new split key and writes its own cards; run again without --share-card/);
    await expect(s.run({ fault: faultAt('shamir:split') })).rejects.toBeInstanceOf(Interrupted);
    await refusedUnneeded(s, /stopped before its split key was recorded: that key can never be rebuilt, and this run makes a new one/);
    verifyAll(s.out, await s.run());
    await s.tokens.provider.close();
  }, 120_000);
});

describe('run --share-card', () => {
  it('more card files than the split has cards: refused (USAGE) before any is read', async () => {
    const d = tempDir('multi-shamir-cap-');
    const json = planJson(d) as Record<string, JsonValue>;
    json.timestamp = { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) }; // a real run takes no software key
    writeFileSync(join(d, 'plan.json'), JSON.stringify(json));
    // None of these files exists: a read would fail otherwise (and the bindings are never read either).
    const c = captureIo();
    const err = await refusal(() => runCommand(join(d, 'plan.json'), { bindings: join(d, 'no-such-bindings.json'), shareCard: [1, 2, 3, 4].map((i) => join(d, `card-${i}.txt`)) }, c.io));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe('--share-card was given 4 files, but the split has only 3 cards (any 2 rebuild the key): give 2 of them; no card file was read');
  });

  it('is refused for a plan without a split key (USAGE), before the bindings are read', async () => {
    const cases = [preparePlan('notary').dir, (() => {
      const d = tempDir('multi-no-shamir-');
      const json = planJson(d) as Record<string, JsonValue>;
      delete json.shamir;
      json.timestamp = { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) }; // a real run takes no software key
      writeFileSync(join(d, 'plan.json'), JSON.stringify(json));
      return d;
    })()];
    for (const d of cases) {
      const c = captureIo();
      const err = await refusal(() => runCommand(join(d, 'plan.json'), { bindings: join(d, 'no-such-bindings.json'), shareCard: [join(d, 'card.txt')] }, c.io));
      expect(err.code).toBe('USAGE');
      expect(err.message).toMatch(/--share-card resumes a multi-repository ceremony whose plan has "shamir"/);
    }
  });
});
