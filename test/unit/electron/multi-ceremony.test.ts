/**
 * Multi-repository plans on the Root ceremony channels (issue #17; electron/main/multi-ceremony.ts and
 * ceremony.ts): the summary view (rows, shared keys, exceptions by profile, folders), the plan's key files
 * checked at load with the repository's JSON path, the load payload's caps, and a whole ceremony of Notary
 * and TUF repositories through createIpcHandlers on (fake) PKCS#11 tokens — one PIN per custodian, progress
 * per repository, an interruption resumed into the same folder, and where the outputs are at the end.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CeremonySession, defaultCeremonyDeps, type CeremonyDeps } from '../../../electron/main/ceremony.js';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { TokenModules } from '../../../electron/main/tokens.js';
import { ShareSetStore } from '../../../electron/main/shamir.js';
import { inputsFromPlan, multiPlanView } from '../../../electron/main/multi-ceremony.js';
import { safeRepositoryName } from '../../../src/ceremony/repository-names.js';
import { readNamedInput } from '../../../src/io/files.js';
import type { CeremonyPlanRowsView, CeremonyStatusView, ExportPreparedView, IpcResult, NamedFile, PrintResultView, ShamirSetView } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { CeremonyLoadRequestSchema, MAX_CEREMONY_INPUTS, MAX_CEREMONY_PLAN_BYTES } from '../../../electron/shared/schemas.js';
import { MAX_REPOSITORIES, MULTI_PLAN_MAX_BYTES, parseAnyPlan, type MultiRepositoryPlan } from '../../../src/ceremony/multi-plan.js';
import { intentHash } from '../../../src/ceremony/plan-hash.js';
import { MAX_PUBLISHERS } from '../../../src/ceremony/plan.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { CeremonyError } from '../../../src/errors.js';
import { formatSplitId, parseShareCard, wipeShareCard, type ShareCard } from '../../../src/shamir/index.js';
import type { JsonObject } from '../../../src/json/types.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';
import { cleanup, serverKeyFile, sha256, tempDir } from '../ceremony/support.js';

afterAll(cleanup);

const enc = new TextEncoder();
const NOW = new Date();
const year = (n: number) => new Date(NOW.getTime() + n * 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const PINS: Record<string, string> = { A0000001: 'alice-pin-4417', B0000002: 'bob-pin-90210' };

/** Notary GUNs (each naming its server's timestamp key file) and TUF repositories; the last TUF one with its own targets expiry. */
function multiPlan(dir: string, notary: number, tuf: number): { json: JsonObject; inputs: NamedFile[] } {
  const repos: JsonObject[] = [];
  const inputs: NamedFile[] = [];
  for (let i = 0; i < notary; i++) {
    const file = `ts-${i}.key`;
    const bytes = serverKeyFile(dir, file);
    inputs.push({ name: file, bytes });
    repos.push({ name: `registry.example.com/org/app-${i}`, timestamp: { keyFile: file, sha256: sha256(bytes) } });
  }
  for (let i = 0; i < tuf; i++) {
    const own: JsonObject = i === tuf - 1 && tuf > 2 ? { targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(2) } } : {};
    repos.push({ name: `example.com/tuf/repo-${i}`, profile: 'tuf', ...own });
  }
  const json = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: repos,
    custodians: [
      { name: 'Alice', token: { serial: 'A0000001' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
      { name: 'Bob', token: { serial: 'B0000002' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-bob' },
    ],
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
  } as unknown as JsonObject;
  return { json, inputs };
}

function parsed(json: JsonObject): MultiRepositoryPlan {
  const any = parseAnyPlan(enc.encode(JSON.stringify(json)));
  if (any.kind !== 'multi') throw new Error('expected a multi plan');
  return any.plan;
}

function refusal(fn: () => unknown): CeremonyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

describe('multiPlanView: the repositories as custodians review them', () => {
  it('one row per repository with profile, threshold, expiry and folder; per-GUN server keys are not exceptions, an own targets expiry is', () => {
    const dir = tempDir('multi-view-');
    const { json } = multiPlan(dir, 3, 4);
    const { summary: v, rows } = multiPlanView(parsed(json));
    expect(v).toMatchObject({ count: 7, notary: 3, tuf: 4, exceptions: 1 });
    expect(rows.map((r) => r.name)).toEqual([...[0, 1, 2].map((i) => `registry.example.com/org/app-${i}`), ...[0, 1, 2, 3].map((i) => `example.com/tuf/repo-${i}`)]);
    const gun = rows[0]!;
    expect(gun).toMatchObject({ profile: 'notary', rootThreshold: '2 of 2', keys: { timestamp: 'notary-server’s key' }, exceptions: [] });
    expect(gun.expires.timestamp).toBeNull();
    // The folder is the safe name (repository-names.ts) under metadata/.
    expect(gun.folder).toMatch(/^metadata\/registry\.example\.com%2[Ff]org%2[Ff]app-0$/);
    const odd = rows[6]!;
    expect(odd.exceptions).toEqual([`targets expires: ${year(2)} (most TUF repositories: ${year(3)})`]);
    expect(rows.slice(3, 6).every((r) => r.exceptions.length === 0)).toBe(true);
    // Shared keys: each custodian's root key in all 7; the shared targets key in all 7 (the own entry names the same key).
    expect(v.sharedKeys.find((k) => k.id === 'token:Alice/root-alice')).toMatchObject({ role: 'root', repositories: 7 });
    expect(v.sharedKeys.find((k) => k.id === 'token:Alice/targets')).toMatchObject({ role: 'targets', repositories: 7 });
    expect(v.sharedKeys.find((k) => k.id === 'token:Bob/timestamp')).toMatchObject({ role: 'timestamp', repositories: 4 });
  });

  it('1,000 repositories: 1,000 rows, no exceptions when all are alike', () => {
    const dir = tempDir('multi-view-');
    const { json } = multiPlan(dir, 0, 1000);
    const { summary: v, rows } = multiPlanView(parsed(json));
    expect(v.count).toBe(1000);
    expect(rows).toHaveLength(1000);
    // The last row differs (its own targets expiry): the only exception.
    expect(v.exceptions).toBe(1);
  });
});

describe('inputsFromPlan: every key file a repository names is opened with the plan, and nothing else (review A2)', () => {
  const dir = tempDir('multi-inputs-');
  const { json, inputs } = multiPlan(dir, 3, 1);
  const plan = parsed(json);
  const extra = { name: 'notes.txt', bytes: enc.encode('not a key') };
  it.each([
    ['a GUN’s timestamp key missing', inputs.filter((f) => f.name !== 'ts-1.key'), 'PLAN_INPUT_MISMATCH', '$.repositories[1].timestamp.keyFile'],
    ['a GUN’s timestamp key with other bytes', inputs.map((f) => (f.name === 'ts-2.key' ? { name: f.name, bytes: serverKeyFile(dir, 'other.key') } : f)), 'PLAN_INPUT_MISMATCH', undefined],
    ['two files under one name', [...inputs, inputs[0]!], 'PLAN_INPUT_MISMATCH', '$.inputs[3].name'],
    ['two names a case-insensitive disk takes for one', [inputs[0]!, { name: 'TS-0.KEY', bytes: inputs[0]!.bytes }, ...inputs.slice(1)], 'PLAN_INPUT_MISMATCH', '$.inputs[1].name'],
    ['a file the plan does not name', [...inputs.slice(0, 2), extra, inputs[2]!], 'PLAN_INPUT_MISMATCH', '$.inputs[2].name'],
  ] as const)('%s', (_what, given, code, path) => {
    const err = refusal(() => inputsFromPlan({ multi: plan }, given));
    expect(err.code).toBe(code);
    if (path) expect(err.path).toBe(path);
    if (path?.startsWith('$.inputs')) expect(err.message).toContain(JSON.stringify(given[Number(/\[(\d+)\]/.exec(path)![1])]!.name));
  });
  it('all present: accepted, in the order given', () => {
    expect(inputsFromPlan({ multi: plan }, inputs).map((f) => f.name)).toEqual(inputs.map((f) => f.name));
  });
});

describe('the load payload of a multi-repository plan', () => {
  it('caps follow the core: plan bytes, one server key per GUN, total input bytes', () => {
    expect(MAX_CEREMONY_PLAN_BYTES).toBe(MULTI_PLAN_MAX_BYTES);
    // Per repository: its snapshot and timestamp server keys and every publisher key it may name.
    expect(MAX_CEREMONY_INPUTS).toBe(MAX_REPOSITORIES * (2 + MAX_PUBLISHERS));
    const file = (name: string, n: number) => ({ name, bytes: new Uint8Array(n) });
    const ok = CeremonyLoadRequestSchema.safeParse({ plan: file('plan.json', 2 * 1024 * 1024), bindings: file('b.json', 10), inputs: Array.from({ length: 1000 }, (_, i) => file(`ts-${i}.key`, 200)) });
    expect(ok.success).toBe(true);
    expect(CeremonyLoadRequestSchema.safeParse({ plan: file('plan.json', MAX_CEREMONY_PLAN_BYTES + 1), bindings: file('b.json', 10) }).success).toBe(false);
    expect(CeremonyLoadRequestSchema.safeParse({ plan: file('plan.json', 10), bindings: file('b.json', 10), inputs: Array.from({ length: MAX_CEREMONY_INPUTS + 1 }, (_, i) => file(`k${i}`, 1)) }).success).toBe(false);
    expect(CeremonyLoadRequestSchema.safeParse({ plan: file('plan.json', 10), bindings: file('b.json', 10), inputs: Array.from({ length: 80 }, (_, i) => file(`k${i}`, 250 * 1024)) }).success).toBe(false);
  });
});

describe('a plan of MAX_REPOSITORIES Notary repositories naming three key files each loads (review A2)', () => {
  it('5,000 GUNs, each with its own snapshot and timestamp server keys and a publisher key: 15,000 input files load; one file the plan does not name is refused', async () => {
    const dir = tempDir('multi-5000-');
    const snapshot = serverKeyFile(dir, 'snapshot.key');
    const timestamp = serverKeyFile(dir, 'timestamp.key');
    const publisher = enc.encode(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const inputs: NamedFile[] = [];
    const repositories = Array.from({ length: MAX_REPOSITORIES }, (_, i) => {
      const files = { snapshot: `snapshot-${i}.key`, timestamp: `timestamp-${i}.key`, publisher: `ci-${i}.pem` };
      inputs.push({ name: files.snapshot, bytes: snapshot }, { name: files.timestamp, bytes: timestamp }, { name: files.publisher, bytes: publisher });
      return {
        name: `registry.example.com/org/app-${i}`,
        targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3), publishers: [{ name: 'CI', keyFile: files.publisher, sha256: sha256(publisher) }] },
        snapshot: { keyFile: files.snapshot, sha256: sha256(snapshot) },
        timestamp: { keyFile: files.timestamp, sha256: sha256(timestamp) },
      };
    });
    const { json } = multiPlan(dir, 0, 0);
    const planBytes = enc.encode(JSON.stringify({ ...json, repositories }));
    const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { path: '/opt/fake/libfake-pkcs11.so' }, custodians: { Alice: { pin: 'prompt' }, Bob: { pin: 'prompt' } } };
    const { h, call, session } = setup(new FakePkcs11([]));
    const request = { plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'bindings.json', bytes: enc.encode(JSON.stringify(bindings)) } };
    expect(inputs).toHaveLength(15_000);
    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyLoad, { ...request, inputs });
    expect(loaded.plan!.multi).toMatchObject({ count: MAX_REPOSITORIES, notary: MAX_REPOSITORIES });
    const unnamed = { name: 'ci-5000.pem', bytes: publisher };
    expect(await h[CHANNELS.ceremonyLoad]({ ...request, inputs: [...inputs, unnamed] })).toMatchObject({ ok: false, code: 'PLAN_INPUT_MISMATCH', path: '$.inputs[15000].name', message: expect.stringContaining('"ci-5000.pem"') });
    expect(await h[CHANNELS.ceremonyLoad]({ ...request, inputs: [...inputs, { name: 'CI-7.PEM', bytes: publisher }] })).toMatchObject({ ok: false, code: 'PLAN_INPUT_MISMATCH', path: '$.inputs[15000].name' });
    await session.reset();
  }, 240_000);
});

function setup(fake: FakePkcs11, over: Partial<CeremonyDeps> = {}, shamirSets?: ShareSetStore) {
  const out = join(tempDir('multi-ipc-'), 'out');
  const deps = defaultCeremonyDeps({
    modules: new TokenModules((path, opts) => TokenModule.load(path, { ...opts, api: fake })),
    moduleConfirmed: (path) => path.startsWith('/opt/fake/'),
    rehearsalSoftHsm: () => undefined,
    chooseOutputDir: async () => out,
    ...over,
  });
  const session = new CeremonySession(deps);
  const h = createIpcHandlers({ ceremony: session, ...(shamirSets ? { shamirSets } : {}) });
  const call = async <T,>(channel: (typeof CHANNELS)[keyof typeof CHANNELS], payload?: unknown): Promise<T> => {
    const r = (await h[channel](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${channel}: ${r.code} ${r.message}`);
    return r.value;
  };
  const waitFor = async (pred: (s: CeremonyStatusView) => boolean): Promise<CeremonyStatusView> => {
    for (let i = 0; i < 6000; i++) {
      const s = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
      if (pred(s)) return s;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('timed out');
  };
  return { out, session, h, call, waitFor };
}

describe('ceremony channels: a multi-repository plan on (fake) PKCS#11 tokens', () => {
  it('loads the plan with its table, asks one PIN per custodian, reports progress per repository, resumes after a failure, and says where the outputs are', async () => {
    const fake = new FakePkcs11([
      { label: 'alice', serial: 'A0000001', pin: PINS.A0000001 },
      { label: 'bob', serial: 'B0000002', pin: PINS.B0000002 },
    ]);
    const dir = tempDir('multi-plan-');
    const { json, inputs } = multiPlan(dir, 2, 3);
    const planBytes = enc.encode(JSON.stringify(json, null, 2));
    const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { path: '/opt/fake/libfake-pkcs11.so' }, custodians: { Alice: { pin: 'prompt' }, Bob: { pin: 'prompt' } } };
    // The interruption: once, after the third repository was written (the files of it are kept).
    let faulted = false;
    const { out, session, call, waitFor, h } = setup(fake, {
      fault: (p) => {
        if (!faulted && p === 'recorded:example.com/tuf/repo-0') {
          faulted = true;
          throw new CeremonyError('TOKEN_REMOVED', 'the token was pulled (test)');
        }
      },
    });
    const request = { plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'bindings.json', bytes: enc.encode(JSON.stringify(bindings)) }, inputs };
    expect(await h[CHANNELS.ceremonyPlanRows](undefined)).toMatchObject({ ok: false, code: 'USAGE' });
    // Without the GUNs' server key files: refused at load, naming the repository's entry.
    expect(await h[CHANNELS.ceremonyLoad]({ ...request, inputs: inputs.slice(1) })).toMatchObject({ ok: false, code: 'PLAN_INPUT_MISMATCH', path: '$.repositories[0].timestamp.keyFile' });

    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyLoad, request);
    expect(loaded.phase).toBe('loaded');
    expect(loaded.plan!.hash.words).toEqual(intentHash(planBytes).words);
    expect(loaded.plan!.multi).toMatchObject({ count: 5, notary: 2, tuf: 3, exceptions: 1 });
    expect(loaded.plan!.custodians.map((c) => c.name)).toEqual(['Alice', 'Bob']);
    const table = await call<CeremonyPlanRowsView>(CHANNELS.ceremonyPlanRows);
    expect(table.planSha256).toBe(intentHash(planBytes).sha256);
    expect(table.repositories.map((r) => r.name)).toEqual(['registry.example.com/org/app-0', 'registry.example.com/org/app-1', 'example.com/tuf/repo-0', 'example.com/tuf/repo-1', 'example.com/tuf/repo-2']);
    expect(await h[CHANNELS.ceremonyPlanRows]({})).toMatchObject({ ok: false, code: 'IPC_INVALID' });

    await call(CHANNELS.ceremonyStart, { witnesses: ['Dana'] });
    const asked: string[] = [];
    const progress: number[] = [];
    let s: CeremonyStatusView;
    for (;;) {
      s = await waitFor((x) => x.phase !== 'running' || (x.multiProgress !== undefined && x.multiProgress.done !== progress.at(-1)));
      if (s.multiProgress && s.multiProgress.done !== progress.at(-1)) progress.push(s.multiProgress.done);
      if (s.phase === 'running') continue;
      if (s.phase !== 'waiting-for-pin') break;
      asked.push(s.pinRequest!.custodian);
      await call(CHANNELS.ceremonyProvidePin, { requestId: s.pinRequest!.id, pin: PINS[s.pinRequest!.token.serial] });
    }
    expect(s.phase).toBe('failed');
    expect(s.failure).toMatchObject({ code: 'TOKEN_REMOVED' });
    expect(s.canResume).toBe(true);
    expect(asked).toEqual(['Alice', 'Bob']);
    // Progress went up one repository at a time, never down; three written before the interruption.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(s.multiProgress).toMatchObject({ done: 2, total: 5, current: 'example.com/tuf/repo-0' });
    expect(s.multiProgress!.tokenSignatures).toBeGreaterThan(0);

    await call(CHANNELS.ceremonyResume);
    for (;;) {
      s = await waitFor((x) => x.phase !== 'running');
      if (s.phase !== 'waiting-for-pin') break;
      asked.push(s.pinRequest!.custodian);
      await call(CHANNELS.ceremonyProvidePin, { requestId: s.pinRequest!.id, pin: PINS[s.pinRequest!.token.serial] });
    }
    expect(s.failure).toBeUndefined();
    expect(s.phase).toBe('done');
    expect(s.multiProgress).toMatchObject({ done: 5, total: 5 });
    expect(s.multiProgress!.current).toBeUndefined();
    const multi = s.result!.multi!;
    expect(multi).toMatchObject({ repositories: 5, doneBefore: 3, metadataDir: join(out, 'metadata'), stateDir: join(out, 'state'), inventory: join(out, 'state', 'key-inventory.json'), transcript: join(out, 'state', 'transcript.jsonl') });
    expect(s.result!.transcript.sealed).toBe(true);
    expect(s.result!.transcript.entries.find((e) => e.step === 'plan.review')!.witnesses.map((w) => w.name)).toEqual(['Dana']);
    expect(JSON.stringify(s)).not.toContain(PINS.A0000001);
    // What the screen says is on disk: each row's folder holds a repository that verifies.
    // The rows come once per plan, on their own channel (status polls carry only the summary).
    expect(s.plan!.multi).not.toHaveProperty('repositories');
    for (const row of table.repositories) {
      const folder = join(out, row.folder);
      const read = (n: string) => new Uint8Array(readFileSync(join(folder, n)));
      const root = read('root.json');
      const v = verifyRepository({ versionedRoots: new Map(), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: existsSync(join(folder, 'timestamp.json')) ? read('timestamp.json') : undefined, delegated: new Map() } as Parameters<typeof verifyRepository>[0], { trustedRoot: root, now: new Date() });
      expect(v.root.signed.roles.get('root')!.threshold).toBe(2);
    }
    expect(verifyTranscript(readFileSync(multi.transcript), { expectedSealKeyId: s.result!.sealKeyId }).sealed).toBe(true);
    // The export button's channel says where to export from instead of reading metadata/ as one repository.
    expect(await h[CHANNELS.ceremonyExportMetadata](undefined)).toMatchObject({ ok: false, code: 'USAGE' });
    // One repository's folder instead: a TUF bundle is named after its repository (as `bundle create`), not
    // after the percent-encoded folder; a name not in the plan, or a bad payload, is refused.
    const tuf = await call<ExportPreparedView>(CHANNELS.ceremonyExportRepository, { repository: 'example.com/tuf/repo-1' });
    expect(tuf.repository).toBe('example.com/tuf/repo-1');
    expect(tuf.suggestedName).not.toContain('%');
    expect(tuf.suggestedName).toMatch(/^example\.com.tuf.repo-1-trust-bundle-[0-9a-f]{8}\.tufbundle$/);
    const gun = await call<ExportPreparedView>(CHANNELS.ceremonyExportRepository, { repository: 'registry.example.com/org/app-1' });
    expect(gun.repository).toBe('registry.example.com/org/app-1');
    expect(await h[CHANNELS.ceremonyExportRepository]({ repository: 'example.com/not/planned' })).toMatchObject({ ok: false, code: 'USAGE' });
    // The bundle of app-1 prepared just before is forgotten by that refusal: nothing stale can be exported.
    expect(await h[CHANNELS.exportQrFrames]({ first: 0, count: 1 })).toMatchObject({ ok: false, code: 'USAGE', message: expect.stringMatching(/nothing is prepared/) });
    // A request refused before it is read (IPC_INVALID) forgets it too (review-gaps6 L7).
    for (const bad of [{ repository: '' }, { repository: 'x', folder: '/tmp' }]) {
      await call<ExportPreparedView>(CHANNELS.ceremonyExportRepository, { repository: 'registry.example.com/org/app-1' });
      expect(await h[CHANNELS.exportQrFrames]({ first: 0, count: 1 })).toMatchObject({ ok: true });
      expect(await h[CHANNELS.ceremonyExportRepository](bad), JSON.stringify(bad)).toMatchObject({ ok: false, code: 'IPC_INVALID' });
      expect(await h[CHANNELS.exportQrFrames]({ first: 0, count: 1 }), JSON.stringify(bad)).toMatchObject({ ok: false, code: 'USAGE', message: expect.stringMatching(/nothing is prepared/) });
    }
    await session.reset();
  });
});

/** The plan's top-level `shamir` (multi-plan.ts): one software root key for every repository, split 2 of 3. */
const SHAMIR = { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' };

describe('a multi-repository plan with a Shamir-split root key (src/ceremony/multi-shamir.ts) on the Root ceremony channels', () => {
  it('multiPlanView: the split key among the shared root keys, as the single view names it, and counted in every row’s root keys', () => {
    const { json } = multiPlan(tempDir('multi-shamir-view-'), 2, 2);
    const { summary, rows } = multiPlanView(parsed({ ...json, shamir: SHAMIR }));
    const split = summary.sharedKeys.find((k) => k.id === 'shamir:$.shamir');
    expect(split).toEqual({ id: 'shamir:$.shamir', role: 'root', holder: 'software backup key (ECDSA P-256), split 2 of 3 into share cards', repositories: 4 });
    // Root keys first: the custodians' and the split key, then the others.
    expect(summary.sharedKeys.slice(0, 3).map((k) => k.role)).toEqual(['root', 'root', 'root']);
    expect(rows.map((r) => r.rootThreshold)).toEqual(['2 of 3', '2 of 3', '2 of 3', '2 of 3']);
    // Without `shamir`: the custodians' keys only.
    const plain = multiPlanView(parsed(json));
    expect(plain.summary.sharedKeys.some((k) => k.id.startsWith('shamir:'))).toBe(false);
    expect(plain.rows[0]!.rootThreshold).toBe('2 of 2');
  });

  it('cards written and printable after the run; a resume after the split is refused without cards (saying how many), and finishes with 2 cards entered in main — wiped after', async () => {
    const fake = new FakePkcs11([
      { label: 'alice', serial: 'A0000001', pin: PINS.A0000001 },
      { label: 'bob', serial: 'B0000002', pin: PINS.B0000002 },
    ]);
    const dir = tempDir('multi-shamir-plan-');
    const { json, inputs } = multiPlan(dir, 1, 2);
    const planBytes = enc.encode(JSON.stringify({ ...json, shamir: SHAMIR }, null, 2));
    const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { path: '/opt/fake/libfake-pkcs11.so' }, custodians: { Alice: { pin: 'prompt' }, Bob: { pin: 'prompt' } } };
    // Stopped after the second repository was recorded: the split key was recorded (cards written) and is gone.
    let faulted = false;
    const printed: { html: string; name: string }[] = [];
    const sets = new ShareSetStore();
    const { out, session, call, waitFor, h } = setup(
      fake,
      {
        fault: (p) => {
          if (!faulted && p === 'recorded:example.com/tuf/repo-0') {
            faulted = true;
            throw new CeremonyError('TOKEN_REMOVED', 'the token was pulled (test)');
          }
        },
        printHtml: async (html, doc) => {
          printed.push({ html, name: doc.name });
          return { saved: `/tmp/${doc.name}` };
        },
      },
      sets,
    );
    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyLoad, { plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'bindings.json', bytes: enc.encode(JSON.stringify(bindings)) }, inputs });
    // As a single plan with `shamir`: the split key among the root keys, and the threshold M of all of them.
    expect(loaded.plan!.shamir).toEqual(SHAMIR);
    expect(loaded.plan!.root).toMatchObject({ threshold: 2, keys: 3 });
    expect(loaded.plan!.multi!.sharedKeys.find((k) => k.id === 'shamir:$.shamir')).toMatchObject({ role: 'root', repositories: 3 });

    const drive = async (): Promise<CeremonyStatusView> => {
      for (;;) {
        const s = await waitFor((x) => x.phase !== 'running');
        if (s.phase !== 'waiting-for-pin') return s;
        await call(CHANNELS.ceremonyProvidePin, { requestId: s.pinRequest!.id, pin: PINS[s.pinRequest!.token.serial] });
      }
    };
    await call(CHANNELS.ceremonyStart, { witnesses: ['Dana'] });
    let s = await drive();
    expect(s.failure).toMatchObject({ code: 'TOKEN_REMOVED' });
    const cardFiles = readdirSync(join(out, 'secret')).sort();
    expect(cardFiles).toEqual(['share-card-1-of-3.txt', 'share-card-2-of-3.txt', 'share-card-3-of-3.txt', 'share-cards.html']);
    const cardText = (n: number) => readFileSync(join(out, 'secret', `share-card-${n}-of-3.txt`), 'utf8');
    const written = parseShareCard(enc.encode(cardText(1)));
    // The screen says which split's cards to bring, and how many.
    expect(s.resumeShareCards).toEqual({ splitId: formatSplitId(written.splitId), threshold: 2, shares: 3 });
    wipeShareCard(written);

    // Without cards: refused before any PIN or signature, with the code the screen explains; still resumable.
    await call(CHANNELS.ceremonyResume);
    s = await drive();
    expect(s.failure).toMatchObject({ code: 'CEREMONY_CANNOT_RESUME' });
    expect(s.failure!.message).toContain('2 of its 3 share cards');
    // The core's words name the CLI's `--share-card`; the app says where the cards go on this screen.
    expect(s.failure!.message).toContain('enter them below and press “Resume with these cards”');
    expect(s.failure!.message).not.toMatch(/--share-card|--out|--bindings/);
    expect(s.log.filter((l) => l.includes('CEREMONY_CANNOT_RESUME'))).toEqual([`stopped: error[CEREMONY_CANNOT_RESUME]: ${s.failure!.message}`]);
    expect(s.canResume).toBe(true);
    expect(s.resumeShareCards).toMatchObject({ threshold: 2, shares: 3 });
    expect(existsSync(join(out, 'metadata', safeRepositoryName('example.com/tuf/repo-1')))).toBe(false);

    // One card only: the set is refused (too few) at the resume and wiped; nothing resumed.
    const one = await call<ShamirSetView>(CHANNELS.shamirAddCard, { card: { text: cardText(1) } });
    expect(one).toMatchObject({ complete: false, more: 1 });
    expect(await h[CHANNELS.ceremonyResume]({ shareSet: one.set })).toMatchObject({ ok: false, code: 'SHARE_TOO_FEW' });
    expect(sets.size).toBe(0);
    expect((await call<CeremonyStatusView>(CHANNELS.ceremonyStatus)).phase).toBe('failed');
    // A payload that is not a set handle: refused by the channel's schema.
    expect(await h[CHANNELS.ceremonyResume]({ shareSet: 'not-a-handle' })).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.shareSet' });
    expect(await h[CHANNELS.ceremonyResume]({ shareSet: one.set, cards: [] })).toMatchObject({ ok: false, code: 'IPC_INVALID' });

    // Two cards, one typed and one opened from a file: the set main holds resumes the ceremony.
    let set = await call<ShamirSetView>(CHANNELS.shamirAddCard, { card: { text: cardText(2) } });
    set = await call<ShamirSetView>(CHANNELS.shamirAddCard, { set: set.set, card: { file: { name: 'share-card-3-of-3.txt', bytes: enc.encode(cardText(3)) } } });
    expect(set).toMatchObject({ complete: true, threshold: 2, shares: 3 });
    const held: ShareCard[] = [...sets.heldCardsForTest(set.set)!];
    expect(held.every((c) => c.share.some((b) => b !== 0))).toBe(true);
    await call(CHANNELS.ceremonyResume, { shareSet: set.set });
    expect(sets.size).toBe(0);
    s = await drive();
    expect(s.failure).toBeUndefined();
    expect(s.phase).toBe('done');
    expect(s.resumeShareCards).toBeUndefined();
    // Used once and wiped: the cards' share bytes are zero, and no card's text is in what the screen gets.
    expect(held.every((c) => c.share.every((b) => b === 0))).toBe(true);
    const shown = JSON.stringify(s);
    // The cards' share data lines ("1: XXXX XXXX …"), without their numbers.
    const shareLines = [1, 2, 3].flatMap((n) => cardText(n).split('\n').flatMap((l) => /^\d+: (.{20,})$/.exec(l)?.[1] ?? []));
    expect(shareLines.length).toBeGreaterThanOrEqual(3);
    for (const line of shareLines) expect(shown).not.toContain(line);
    const t = verifyTranscript(readFileSync(s.result!.multi!.transcript), { expectedSealKeyId: s.result!.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'shamir.rebuild')).toHaveLength(1);
    expect(s.result!.multi).toMatchObject({ repositories: 3, doneBefore: 2 });

    // The print step: the share cards the run wrote (OUT/secret/share-cards.html), as for a single plan.
    expect(s.result!.shareCards).toBe(true);
    expect(await call<PrintResultView>(CHANNELS.ceremonyPrintShareCards)).toEqual({ saved: '/tmp/share-cards.pdf' });
    expect(printed).toHaveLength(1);
    expect(printed[0]!.html).toBe(readFileSync(join(out, 'secret', 'share-cards.html'), 'utf8'));
    // After completion a set is refused (nothing to resume) and wiped all the same.
    const late = await call<ShamirSetView>(CHANNELS.shamirAddCard, { card: { text: cardText(1) } });
    const lateCards = [...sets.heldCardsForTest(late.set)!];
    expect(await h[CHANNELS.ceremonyResume]({ shareSet: late.set })).toMatchObject({ ok: false, code: 'SHARE_TOO_FEW' });
    expect(lateCards[0]!.share.every((b) => b === 0)).toBe(true);
    await session.reset();
  }, 180_000);

  it('share cards for a plan without `shamir`: refused, and the cards wiped', async () => {
    const session = new CeremonySession(defaultCeremonyDeps({ modules: new TokenModules(), rehearsalSoftHsm: () => undefined }));
    const card = { share: Uint8Array.of(1, 2, 3) } as unknown as ShareCard;
    await expect(session.resume({ shareCards: [card] })).rejects.toMatchObject({ code: 'USAGE' });
    expect([...card.share]).toEqual([0, 0, 0]);
  });
});

/** A completed ceremony of two TUF repositories, `org%2Fapp` and `org/app` (two names, two folders). */
async function percentCeremony() {
  const fake = new FakePkcs11([
    { label: 'alice', serial: 'A0000001', pin: PINS.A0000001 },
    { label: 'bob', serial: 'B0000002', pin: PINS.B0000002 },
  ]);
  const dir = tempDir('multi-percent-');
  const { json } = multiPlan(dir, 0, 0);
  const planBytes = enc.encode(JSON.stringify({ ...json, repositories: [{ name: 'org%2Fapp', profile: 'tuf' }, { name: 'org/app', profile: 'tuf' }] }));
  const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { path: '/opt/fake/libfake-pkcs11.so' }, custodians: { Alice: { pin: 'prompt' }, Bob: { pin: 'prompt' } } };
  const env = setup(fake);
  const { call, waitFor } = env;
  await call(CHANNELS.ceremonyLoad, { plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'bindings.json', bytes: enc.encode(JSON.stringify(bindings)) } });
  await call(CHANNELS.ceremonyStart);
  let s: CeremonyStatusView;
  for (;;) {
    s = await waitFor((x) => x.phase !== 'running');
    if (s.phase !== 'waiting-for-pin') break;
    await call(CHANNELS.ceremonyProvidePin, { requestId: s.pinRequest!.id, pin: PINS[s.pinRequest!.token.serial] });
  }
  expect(s.phase).toBe('done');
  return env;
}

describe('a repository whose name holds a percent sign is exported under that name (review A3)', () => {
  it('plan repositories `org%2Fapp` and `org/app`: each exported under its own name; the folder read by the renderer keeps its folder name, as `bundle create` does outside a ceremony output', async () => {
    const { out, call, session } = await percentCeremony();
    const encoded = await call<ExportPreparedView>(CHANNELS.ceremonyExportRepository, { repository: 'org%2Fapp' });
    expect(encoded.repository).toBe('org%2Fapp');
    const plain = await call<ExportPreparedView>(CHANNELS.ceremonyExportRepository, { repository: 'org/app' });
    expect(plain.repository).toBe('org/app');
    // The same folder picked on the Export screen: only its name reaches main, not where it is, so it is not decoded.
    const folder = safeRepositoryName('org%2Fapp');
    const read = await readNamedInput(join(out, 'metadata', folder));
    const picked = await call<ExportPreparedView>(CHANNELS.exportPrepareFolder, { files: read.files.map((f) => ({ name: f.name, bytes: f.bytes })), source: folder });
    expect(picked.repository).toBe(folder);
    await session.reset();
  });
});

describe('a repository is exported only through real folders from OUT down (review A4)', () => {
  it('OUT/metadata replaced by a link, or the repository folder replaced by one: refused with NOT_A_REGULAR_FILE', async () => {
    const { out, h, call, session } = await percentCeremony();
    expect((await call<ExportPreparedView>(CHANNELS.ceremonyExportRepository, { repository: 'org/app' })).repository).toBe('org/app');
    // metadata/ moved aside and a link put in its place (it points at the very same files).
    renameSync(join(out, 'metadata'), join(out, 'metadata-moved'));
    symlinkSync(join(out, 'metadata-moved'), join(out, 'metadata'), 'dir');
    expect(await h[CHANNELS.ceremonyExportRepository]({ repository: 'org/app' })).toMatchObject({ ok: false, code: 'NOT_A_REGULAR_FILE', message: expect.stringMatching(/out\/metadata is a link/) });
    // The bundle prepared before the refusal is gone: no frames, no write, no full-screen player for it.
    const nothing = { ok: false, code: 'USAGE', message: expect.stringMatching(/nothing is prepared/) };
    expect(await h[CHANNELS.exportQrFrames]({ first: 0, count: 1 })).toMatchObject(nothing);
    expect(await h[CHANNELS.exportWrite]({ fileName: 'org-app.tufbundle' })).toMatchObject(nothing);
    expect(await h[CHANNELS.exportFullScreen]({ on: true })).toMatchObject(nothing);
    rmSync(join(out, 'metadata'));
    renameSync(join(out, 'metadata-moved'), join(out, 'metadata'));
    // The repository's own folder as a link (to its moved copy).
    const folder = join(out, 'metadata', safeRepositoryName('org/app'));
    renameSync(folder, `${folder}-moved`);
    symlinkSync(`${folder}-moved`, folder, 'dir');
    expect(await h[CHANNELS.ceremonyExportRepository]({ repository: 'org/app' })).toMatchObject({ ok: false, code: 'NOT_A_REGULAR_FILE', message: expect.stringMatching(/is a link/) });
    await session.reset();
  });
});
