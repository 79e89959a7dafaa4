/**
 * The Root ceremony and Transcript channels (electron/main/ceremony.ts) through createIpcHandlers, as the
 * renderer calls them: a rehearsal on in-process software tokens (plan shown with its intent hash, steps
 * to done, outputs hashed, transcript verified, share cards handed to the printer), an interruption and a
 * resume, and a reviewed plan + site bindings on fake PKCS#11 tokens with each PIN asked for through a
 * pending request that names the token first — a wrong PIN is asked again with the reason (issue #16).
 * Also the print function (electron/main/print.ts) over a fake window.
 */
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CeremonySession, defaultCeremonyDeps, trackStep, planSteps, planView, type CeremonyDeps } from '../../../electron/main/ceremony.js';
import { cleanup, preparePlan } from '../ceremony/support.js';
import { ModuleChoices } from '../../../electron/main/module-choices.js';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { TokenModules } from '../../../electron/main/tokens.js';
import { htmlDataUrl, printHtmlToPdf, type PrintDocument, type PrintWindowLike } from '../../../electron/main/print.js';
import type { CeremonyStatusView, ExportPreparedView, IpcResult, PrintResultView, TranscriptView } from '../../../electron/shared/api-types.js';
import type { Inspection } from '../../../src/inspect/types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { intentHash } from '../../../src/ceremony/plan-hash.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import { STEP_NAMES, type StepName } from '../../../src/ceremony/state.js';
import { openRehearsalTokenSet } from '../../../src/ceremony/rehearsal-tokens.js';
import type { JsonObject } from '../../../src/json/types.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { REHEARSAL_NOTICE } from '../../../src/signers/rehearsal.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tufc-ceremony-ipc-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  // preparePlan's folders.
  cleanup();
});

const noModules = { load: () => Promise.reject(new Error('no PKCS#11 in this test')) };

function setup(over: Partial<CeremonyDeps> = {}) {
  const out = join(tempDir(), 'out');
  const printed: string[] = [];
  const printedDocs: PrintDocument[] = [];
  const deps = defaultCeremonyDeps({
    modules: noModules,
    // In-process software rehearsal tokens here, installed SoftHSM2 or not (SoftHSM2: test/e2e/ceremony.test.ts).
    rehearsalSoftHsm: () => undefined,
    chooseOutputDir: async () => out,
    printHtml: async (html, doc): Promise<PrintResultView> => {
      printed.push(html);
      printedDocs.push(doc);
      return { html };
    },
    ...over,
  });
  const session = new CeremonySession(deps);
  const h = createIpcHandlers({ ceremony: session });
  const call = async <T,>(channel: (typeof CHANNELS)[keyof typeof CHANNELS], payload?: unknown): Promise<T> => {
    const r = (await h[channel](payload)) as IpcResult<T>;
    if (!r.ok) throw new Error(`${channel}: ${r.code} ${r.message}`);
    return r.value;
  };
  return { out, printed, printedDocs, session, h, call };
}

describe('ceremony channels: a rehearsal on software tokens', () => {
  it('shows the plan with its intent hash, runs every step to done, lists the outputs and the verified transcript', async () => {
    const { out, printed, printedDocs, session, call } = setup();
    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyRehearse, { profile: 'tuf', repository: 'example.com/app' });
    expect(loaded.phase).toBe('loaded');
    const plan = loaded.plan!;
    expect(plan.rehearsal).toBe(true);
    expect(plan.rehearsalNotice).toMatch(/^REHEARSAL/);
    expect(plan.profile).toBe('tuf');
    expect(plan.custodians.map((c) => c.name)).toEqual(['Alice', 'Bob', 'Carol']);
    expect(plan.root).toMatchObject({ threshold: 2, keys: 4 });
    expect(plan.roles.map((r) => r.role)).toEqual(['root', 'targets', 'snapshot', 'timestamp']);
    expect(loaded.steps.every((s) => s.status === 'pending')).toBe(true);
    expect(loaded.steps.at(-1)!.name).toBe('seal');

    const started = await call<CeremonyStatusView>(CHANNELS.ceremonyStart);
    expect(['running', 'done']).toContain(started.phase);
    await session.settled();
    const done = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    expect(done.failure).toBeUndefined();
    expect(done.phase).toBe('done');
    expect(done.progress).toEqual({ done: done.steps.length, total: done.steps.length });
    expect(done.steps.every((s) => s.status === 'done')).toBe(true);

    // The hash shown is the SHA-256 of the plan.json left beside the outputs, as hex and words.
    const planBytes = readFileSync(join(out, 'plan.json'));
    const h = intentHash(planBytes);
    expect(plan.hash).toEqual({ sha256: h.sha256, grouped: h.grouped, short: h.short, words: h.words });

    const r = done.result!;
    const names = r.outputs.map((o) => o.name);
    expect(names).toEqual(
      expect.arrayContaining(['plan.json', 'metadata/root.json', 'metadata/1.root.json', 'metadata/targets.json', 'metadata/snapshot.json', 'metadata/timestamp.json', 'state/transcript.jsonl', 'state/transcript.html', 'secret/share-cards.html']),
    );
    for (const o of r.outputs) expect(o.sha256).toBe(intentHash(readFileSync(join(out, o.name))).sha256);
    expect(r.outputs.filter((o) => o.secret).map((o) => o.name)).toEqual(['secret/share-card-1-of-3.txt', 'secret/share-card-2-of-3.txt', 'secret/share-card-3-of-3.txt', 'secret/share-cards.html']);
    expect(r.transcript.sealed).toBe(true);
    expect(r.transcript.rehearsal).toBe(true);
    expect(r.transcript.planHash.sha256).toBe(h.sha256);
    expect(r.transcript.expectedKey).toEqual({ given: r.sealKeyId, matches: true });
    expect(r.transcript.entries[0]!.step).toBe('plan.review');

    const print = await call<PrintResultView>(CHANNELS.ceremonyPrintShareCards);
    expect(printed).toHaveLength(1);
    expect(print.html).toBe(readFileSync(join(out, 'secret', 'share-cards.html'), 'utf8'));

    // On completion (issue #16): the printable transcript, and the metadata/ folder prepared for Export
    // (the same bundle Export makes of that folder: secret/ and state/ are not in it).
    const printedTranscript = await call<PrintResultView>(CHANNELS.ceremonyPrintTranscript);
    expect(printed).toHaveLength(2);
    expect(printedTranscript.html).toBe(readFileSync(join(out, 'state', 'transcript.html'), 'utf8'));
    // The cards are secret and offered in the run's own secret/ folder (review 15b M2); the transcript is not.
    expect(printedDocs).toEqual([
      { name: 'share-cards.pdf', secret: true, folder: join(out, 'secret') },
      { name: 'transcript.pdf', secret: false },
    ]);
    const exported = await call<ExportPreparedView>(CHANNELS.ceremonyExportMetadata);
    expect(exported).toMatchObject({ kind: 'trust-bundle', from: 'folder', opened: 'out/metadata', profile: 'tuf' });
    expect(exported.files.map((f) => f.name).sort()).toEqual(['1.root.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    // Exactly out/metadata (review A #3): moved away, the export refuses and never reads the output folder
    // (its secret/ holds the share cards); a link in its place is refused, not followed.
    renameSync(join(out, 'metadata'), join(out, 'moved-metadata'));
    await expect(session.metadataFiles()).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining('out/metadata') });
    await expect(call(CHANNELS.ceremonyExportMetadata)).rejects.toThrow(/^.*FILE_NOT_FOUND/);
    // The bundle prepared from it before is forgotten by that refusal: nothing stale can be written.
    await expect(call(CHANNELS.exportQrFrames, { first: 0, count: 1 })).rejects.toThrow(/USAGE nothing is prepared/);
    symlinkSync(join(out, 'moved-metadata'), join(out, 'metadata'));
    await expect(session.metadataFiles()).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: expect.stringContaining('a link') });
    rmSync(join(out, 'metadata'));
    writeFileSync(join(out, 'metadata'), '{}');
    await expect(session.metadataFiles()).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: expect.stringContaining('not a folder') });
    rmSync(join(out, 'metadata'));
    renameSync(join(out, 'moved-metadata'), join(out, 'metadata'));

    // A finished ceremony does not start again into the same folder.
    const again = await session['deps'].chooseOutputDir('x');
    expect(again).toBe(out);
    await expect(call(CHANNELS.ceremonyStart)).rejects.toThrow(/USAGE .*complete/);
  });

  it('stops at a failure with its code, marks the step failed, and resumes into the same folder', async () => {
    let failOnce = true;
    const { session, call } = setup({
      fault: (point) => {
        if (point === 'signed:root:root/Bob' && failOnce) {
          failOnce = false;
          throw Object.assign(new Error('token pulled'), { name: 'Test' });
        }
      },
    });
    await call(CHANNELS.ceremonyRehearse, { profile: 'notary', repository: 'registry.example.com/org/app' });
    await call(CHANNELS.ceremonyStart);
    await session.settled();
    const failed = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    expect(failed.phase).toBe('failed');
    expect(failed.failure?.code).toBe('INTERNAL');
    expect(failed.canResume).toBe(true);
    expect(failed.steps.find((s) => s.status === 'failed')?.name).toBe('collect-signatures');
    expect(failed.steps.find((s) => s.name === 'generate-keys')?.status).toBe('done');

    await call(CHANNELS.ceremonyResume);
    await session.settled();
    const done = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    expect(done.failure).toBeUndefined();
    expect(done.phase).toBe('done');
    expect(done.result?.resumed).toBe(true);
    expect(done.result?.transcript.entries.some((e) => e.step === 'ceremony.resume')).toBe(true);
  });

  it('the banner and the transcript name the rehearsal tokens: software here; SoftHSM2 announced, then corrected to what opened; closed on reset', async () => {
    const software = setup();
    const sw = await software.call<CeremonyStatusView>(CHANNELS.ceremonyRehearse, { profile: 'tuf', repository: 'example.com/app' });
    expect(sw.plan!.rehearsalKind).toBe('software');
    expect(sw.plan!.rehearsalNotice).toMatch(/^REHEARSAL on in-process software rehearsal tokens \(SoftHSM2 is not installed\), not hardware\./);

    // A SoftHSM2 module is "installed": the banner says SoftHSM2 before the start, the path goes to the opener.
    const asked: (string | undefined)[] = [];
    let closed = 0;
    const { session, call } = setup({
      rehearsalSoftHsm: () => '/usr/lib/softhsm/libsofthsm2.so',
      openRehearsalTokens: async (custodians, softhsm) => {
        asked.push(softhsm);
        // Software tokens stand in (this is a unit test): the screen must then say what really opened.
        const set = await openRehearsalTokenSet({ custodians, softhsm: undefined });
        return { ...set, close: async () => void (closed++, await set.close()) };
      },
    });
    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyRehearse, { profile: 'notary', repository: 'registry.example.com/org/app' });
    expect(loaded.plan!.rehearsalKind).toBe('softhsm2');
    expect(loaded.plan!.rehearsalNotice).toMatch(/^REHEARSAL on SoftHSM2 rehearsal tokens .*, not hardware; the rehearsal makes its own timestamp key/);
    await call(CHANNELS.ceremonyStart);
    await session.settled();
    const done = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    expect(done.phase).toBe('done');
    expect(asked).toEqual(['/usr/lib/softhsm/libsofthsm2.so']);
    expect(done.plan!.rehearsalKind).toBe('software');
    expect(done.plan!.rehearsalNotice).toMatch(/^REHEARSAL on in-process software rehearsal tokens/);
    expect(done.log.some((l) => /^rehearsal tokens: in-process software \(Alice: “rehearsal Alice”, serial software-1-/.test(l))).toBe(true);
    // The transcript's first entry says which tokens (the notice of the kind, src/signers/rehearsal.ts).
    expect(done.result!.transcript.entries[0]!.note).toContain(REHEARSAL_NOTICE.software);
    expect(closed).toBe(0);
    await session.reset();
    expect(closed).toBe(1);
  });

  it('close() (the app quitting) closes the rehearsal tokens once, as reset() does, also while the ceremony runs (reset refuses then)', async () => {
    for (const when of ['done', 'opening'] as const) {
      let closed = 0;
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      const { session, call } = setup({
        rehearsalSoftHsm: () => '/usr/lib/softhsm/libsofthsm2.so',
        openRehearsalTokens: async (custodians) => {
          const set = await openRehearsalTokenSet({ custodians, softhsm: undefined });
          // 'opening': the ceremony runs, its tokens still being opened, when the session is closed.
          if (when === 'opening') await held;
          return { ...set, close: async () => void (closed++, await set.close()) };
        },
      });
      await call<CeremonyStatusView>(CHANNELS.ceremonyRehearse, { profile: 'tuf', repository: 'example.com/app' });
      await call(CHANNELS.ceremonyStart);
      if (when === 'done') await session.settled();
      expect((await call<CeremonyStatusView>(CHANNELS.ceremonyStatus)).phase).toBe(when === 'done' ? 'done' : 'running');
      if (when === 'opening') await expect(session.reset()).rejects.toMatchObject({ code: 'USAGE' });
      const running = session.settled();
      await session.close();
      release();
      await running;
      expect(closed, when).toBe(1);
      await session.close();
      expect(closed, when).toBe(1);
    }
  });

  it('refuses payloads that fail the schema, and a start without a plan', async () => {
    const { h } = setup();
    expect(await h[CHANNELS.ceremonyStart](undefined)).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.ceremonyStart]({})).toMatchObject({ ok: false, code: 'IPC_INVALID' });
    expect(await h[CHANNELS.ceremonyRehearse]({ profile: 'x', repository: 'a' })).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.profile' });
    expect(await h[CHANNELS.ceremonyRehearse]({ profile: 'tuf', repository: 'a', extra: 1 })).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.extra' });
    expect(await h[CHANNELS.ceremonyProvidePin]({ requestId: 'nope', pin: '1234' })).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.requestId' });
    expect(await h[CHANNELS.ceremonyProvidePin]({ requestId: 'a'.repeat(32), pin: '' })).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$.pin' });
    expect(await h[CHANNELS.ceremonyProvidePin]({ requestId: 'a'.repeat(32), pin: '1234' })).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.ceremonyLoad]({ plan: { name: '../plan.json', bytes: new Uint8Array(2) }, bindings: { name: 'b.json', bytes: new Uint8Array(2) } })).toMatchObject({
      ok: false,
      code: 'IPC_INVALID',
      path: '$.plan.name',
    });
  });
});

describe('a start in progress counts as busy (review A1)', () => {
  it('during the folder dialog a second start, a load, a rehearsal and a resume are refused; a cancelled dialog clears it; the plan launched is the one on the screen', async () => {
    let asked = 0;
    let answer!: (dir: string | undefined) => void;
    const { out, session, h, call } = setup({
      chooseOutputDir: () => {
        asked++;
        return new Promise((resolve) => (answer = resolve));
      },
    });
    const dialogOpen = async (n: number) => {
      for (let i = 0; i < 2000 && asked < n; i++) await new Promise((r) => setTimeout(r, 5));
      expect(asked).toBe(n);
    };
    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyRehearse, { profile: 'tuf', repository: 'example.com/app' });

    // Cancelled: the refusal path clears the state, so another start is not refused as busy.
    const cancelled = h[CHANNELS.ceremonyStart](undefined);
    await dialogOpen(1);
    answer(undefined);
    expect(await cancelled).toMatchObject({ ok: false, code: 'USAGE', message: expect.stringMatching(/no output folder/) });

    const first = h[CHANNELS.ceremonyStart](undefined);
    await dialogOpen(2);
    const starting = { ok: false, code: 'USAGE', message: expect.stringMatching(/a ceremony is starting/) };
    expect(await h[CHANNELS.ceremonyStart](undefined)).toMatchObject(starting);
    expect(await h[CHANNELS.ceremonyRehearse]({ profile: 'notary', repository: 'registry.example.com/other' })).toMatchObject(starting);
    const planBytes = new TextEncoder().encode(JSON.stringify(fakePlan(), null, 2));
    const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { preset: 'softhsm2' }, custodians: { Alice: { pin: 'prompt' }, Bob: { pin: 'prompt' } } };
    expect(await h[CHANNELS.ceremonyLoad]({ plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'b.json', bytes: new TextEncoder().encode(JSON.stringify(bindings)) } })).toMatchObject(starting);
    expect(await h[CHANNELS.ceremonyResume](undefined)).toMatchObject(starting);
    // Only one dialog was asked for: the refused calls did nothing.
    expect(asked).toBe(2);

    answer(out);
    expect(await first).toMatchObject({ ok: true });
    await session.settled();
    const done = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    expect(done.phase).toBe('done');
    expect(done.result!.transcript.planHash.sha256).toBe(loaded.plan!.hash.sha256);
    expect(done.plan!.repository).toBe('example.com/app');
    await session.reset();
  });
});

describe('step tracking from the machine’s step events (onStep), not its progress wording', () => {
  it('marks a step running when it starts and done when done; done-before steps done; inapplicable steps ignored; the seal last', () => {
    const plan = parsePlan(new TextEncoder().encode(JSON.stringify(fakePlan())));
    const steps = planSteps(plan);
    expect(steps.at(-1)!.name).toBe('seal');
    trackStep(steps, { step: steps[0]!.name as StepName, status: 'done', before: true });
    expect(steps[0]!.status).toBe('done');
    trackStep(steps, { step: steps[1]!.name as StepName, status: 'started' });
    expect(steps.map((s) => s.status).slice(0, 3)).toEqual(['done', 'running', 'pending']);
    // A step the plan does not use is not in the checklist: its event changes nothing.
    const missing = STEP_NAMES.filter((n) => !steps.some((s) => s.name === n));
    const before = steps.map((s) => s.status);
    for (const n of missing) trackStep(steps, { step: n, status: 'skipped' });
    trackStep(steps, { step: steps[1]!.name as StepName, status: 'skipped' });
    expect(steps.map((s) => s.status)).toEqual(before);
    trackStep(steps, { step: steps[1]!.name as StepName, status: 'done' });
    expect(steps[1]!.status).toBe('done');
    trackStep(steps, { step: 'seal', status: 'started' });
    expect(steps.at(-1)!.status).toBe('running');
    trackStep(steps, { step: 'seal', status: 'done' });
    expect(steps.at(-1)!.status).toBe('done');
  });
});

function fakePlan(): JsonObject {
  const year = (n: number) => `${new Date().getUTCFullYear() + n}-01-01T00:00:00Z`;
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'tuf',
    repository: 'example.com/repo',
    custodians: [
      { name: 'Alice', token: { serial: 'A0000001' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
      { name: 'Bob', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-bob' },
    ],
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
  };
}

describe('ceremony channels: a reviewed plan on (fake) PKCS#11 tokens, PINs through the dialog', () => {
  const PINS: Record<string, string> = { A0000001: 'alice-pin-4417', B0000002: 'bob-pin-90210' };

  it('names every token before the first PIN, asks each PIN naming the token first; a wrong PIN is asked again with the reason, not a failed step', async () => {
    const fake = new FakePkcs11([
      { label: 'alice', serial: 'A0000001', pin: PINS.A0000001 },
      { label: 'bob', serial: 'B0000002', pin: PINS.B0000002 },
    ]);
    const loginPins: string[] = [];
    const origLogin = fake.login.bind(fake);
    vi.spyOn(fake, 'login').mockImplementation((...args: Parameters<FakePkcs11['login']>) => {
      loginPins.push(args[2]);
      return origLogin(...args);
    });
    const { session, call, h } = setup({ modules: new TokenModules((path, opts) => TokenModule.load(path, { ...opts, api: fake })), moduleConfirmed: (path) => path.startsWith('/opt/fake/') });
    const planBytes = new TextEncoder().encode(JSON.stringify(fakePlan(), null, 2));
    const bindings = {
      format: 'tuf-ceremony-site-bindings',
      version: 1,
      planSha256: intentHash(planBytes).sha256,
      module: { path: '/opt/fake/libfake-pkcs11.so' },
      custodians: { Alice: { pin: 'prompt' }, Bob: { token: { serial: 'B0000002' }, pin: 'prompt' } },
    };
    const loaded = await call<CeremonyStatusView>(CHANNELS.ceremonyLoad, {
      plan: { name: 'plan.json', bytes: planBytes },
      bindings: { name: 'bindings.json', bytes: new TextEncoder().encode(JSON.stringify(bindings)) },
    });
    expect(loaded.plan!.rehearsal).toBe(false);
    expect(loaded.plan!.custodians).toMatchObject([
      { name: 'Alice', expected: { serial: 'A0000001' }, pin: 'dialog', module: '/opt/fake/libfake-pkcs11.so' },
      { name: 'Bob', expected: null, bound: { serial: 'B0000002' }, pin: 'dialog' },
    ]);

    const waitFor = async (pred: (s: CeremonyStatusView) => boolean): Promise<CeremonyStatusView> => {
      for (let i = 0; i < 500; i++) {
        const s = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
        if (pred(s)) return s;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error('timed out');
    };

    await call(CHANNELS.ceremonyStart);
    // Alice first: the request names her token before any PIN crossed.
    let s = await waitFor((x) => x.phase === 'waiting-for-pin' || x.phase === 'failed');
    expect(s.pinRequest).toMatchObject({ custodian: 'Alice', token: { label: 'alice', serial: 'A0000001', manufacturer: 'Fake Tokens Ltd' } });
    // Every custodian's token found and named before the first PIN.
    expect(s.tokens).toEqual([
      { custodian: 'Alice', label: 'alice', serial: 'A0000001' },
      { custodian: 'Bob', label: 'bob', serial: 'B0000002' },
    ]);
    expect(s.pinRequest!.retry).toBeUndefined();
    expect(loginPins).toEqual([]);
    // A stale or made-up request ID cannot answer it.
    expect(await h[CHANNELS.ceremonyProvidePin]({ requestId: 'b'.repeat(32), pin: 'x1234' })).toMatchObject({ ok: false, code: 'USAGE' });
    const first = s.pinRequest!.id;
    await call(CHANNELS.ceremonyProvidePin, { requestId: first, pin: 'wrong-pin-0000' });
    // Asked again for the same token, saying why and what the token says of the tries left (3 tries: few left).
    s = await waitFor((x) => (x.phase === 'waiting-for-pin' && x.pinRequest!.id !== first) || x.phase === 'failed');
    expect(s.failure).toBeUndefined();
    expect(s.pinRequest).toMatchObject({ custodian: 'Alice', token: { serial: 'A0000001', pinStatus: 'count-low' }, retry: { reason: 'wrong', triesLeft: null, wrongTries: 1 } });
    expect(s.pinRequest!.retry!.message).toMatch(/^The PIN was not accepted by token "alice" \(serial A0000001\)/);
    expect(JSON.stringify(s)).not.toContain('wrong-pin-0000');

    for (;;) {
      s = await waitFor((x) => x.phase !== 'running');
      if (s.phase !== 'waiting-for-pin') break;
      const serial = s.pinRequest!.token.serial;
      await call(CHANNELS.ceremonyProvidePin, { requestId: s.pinRequest!.id, pin: PINS[serial] });
    }
    expect(s.failure).toBeUndefined();
    expect(s.phase).toBe('done');
    expect(loginPins).toEqual(['wrong-pin-0000', PINS.A0000001, PINS.B0000002]);
    expect(s.result!.transcript.rehearsal).toBe(false);
    expect(s.result!.shareCards).toBe(false);
    expect(await h[CHANNELS.ceremonyPrintShareCards](undefined)).toMatchObject({ ok: false, code: 'USAGE' });
    expect(JSON.stringify(s)).not.toContain(PINS.A0000001);
    await session.reset();
  });

  it('bindings naming a library main was not shown are refused at load (MODULE_CHOICE_UNKNOWN): presets’ paths and files chosen in main’s dialog pass', async () => {
    const planBytes = new TextEncoder().encode(JSON.stringify(fakePlan()));
    const bindingsFor = (module: object, alice: object = {}) =>
      new TextEncoder().encode(JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module, custodians: { Alice: { pin: 'prompt', ...alice }, Bob: { token: { serial: 'B0000002' }, pin: 'prompt' } } }));
    const load = (h: ReturnType<typeof setup>['h'], module: object, alice?: object) => h[CHANNELS.ceremonyLoad]({ plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'b.json', bytes: bindingsFor(module, alice) } });
    // Default deps: only a preset's own install path. The refusal names where the path is written: the
    // top-level default, or the custodian's own module.
    const plain = setup();
    const refused = (await load(plain.h, { path: '/tmp/evil/libpkcs11.so' })) as IpcResult<unknown>;
    expect(refused).toMatchObject({ ok: false, code: 'MODULE_CHOICE_UNKNOWN', path: '$.module.path' });
    const own = (await load(plain.h, { preset: 'ykcs11' }, { module: { path: '/tmp/evil/libown.so' } })) as IpcResult<unknown>;
    expect(own).toMatchObject({ ok: false, code: 'MODULE_CHOICE_UNKNOWN', path: '$.custodians.Alice.module.path' });
    expect(!own.ok && own.message).toContain('the PKCS#11 library /tmp/evil/libown.so for Alice');
    expect(((await load(plain.h, { path: '/usr/lib/softhsm/libsofthsm2.so' })) as IpcResult<unknown>).ok).toBe(true);
    expect(((await load(plain.h, { preset: 'ykcs11' })) as IpcResult<unknown>).ok).toBe(true);
    // The handlers' own wiring: a file registered by the dialog passes, others do not.
    const choices = new ModuleChoices({ chooseModuleFile: async () => '/opt/vendor/libvendor-pkcs11.so' });
    const h = createIpcHandlers({ moduleChoices: choices });
    const before = (await h[CHANNELS.ceremonyLoad]({ plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'b.json', bytes: bindingsFor({ path: '/opt/vendor/libvendor-pkcs11.so' }) } })) as IpcResult<unknown>;
    expect(before).toMatchObject({ ok: false, code: 'MODULE_CHOICE_UNKNOWN' });
    await choices.choose();
    const after = (await h[CHANNELS.ceremonyLoad]({ plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'b.json', bytes: bindingsFor({ path: '/opt/vendor/libvendor-pkcs11.so' }) } })) as IpcResult<unknown>;
    expect(after.ok).toBe(true);
  });

  it('a missing token is named before the first PIN: TOKEN_NOT_PRESENT names the absent and the present tokens, no PIN is asked', async () => {
    const fake = new FakePkcs11([{ label: 'alice', serial: 'A0000001' }, { label: 'bob', serial: 'B0000002' }]);
    const { call } = setup({ modules: new TokenModules((path, opts) => TokenModule.load(path, { ...opts, api: fake })), moduleConfirmed: (path) => path.startsWith('/opt/fake/') });
    const planBytes = new TextEncoder().encode(JSON.stringify(fakePlan()));
    const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { path: '/opt/fake/libfake.so' }, custodians: { Alice: { pin: 'prompt' }, Bob: { token: { serial: 'B0000009' }, pin: 'prompt' } } };
    await call(CHANNELS.ceremonyLoad, { plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'b.json', bytes: new TextEncoder().encode(JSON.stringify(bindings)) } });
    await call(CHANNELS.ceremonyStart);
    let s: CeremonyStatusView;
    for (;;) {
      s = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
      expect(s.pinRequest).toBeUndefined();
      if (s.phase !== 'running') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(s.failure?.code).toBe('TOKEN_NOT_PRESENT');
    expect(s.failure?.message).toMatch(/missing Bob's token.*B0000009.*present Alice's token "alice" \(serial A0000001\)/);
    expect(fake.calls.some((c) => c.op === 'login')).toBe(false);
  });

  it('a cancelled PIN is asked once more ("no PIN was entered"); cancelled again, the step stops with TOKEN_LOGIN_REQUIRED and nothing logs in', async () => {
    const fake = new FakePkcs11([{ label: 'alice', serial: 'A0000001' }, { label: 'bob', serial: 'B0000002' }]);
    const { call } = setup({ modules: new TokenModules((path, opts) => TokenModule.load(path, { ...opts, api: fake })), moduleConfirmed: (path) => path.startsWith('/opt/fake/') });
    const planBytes = new TextEncoder().encode(JSON.stringify(fakePlan()));
    const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: intentHash(planBytes).sha256, module: { path: '/opt/fake/libfake.so' }, custodians: { Alice: { pin: 'prompt' }, Bob: { token: { serial: 'B0000002' }, pin: 'prompt' } } };
    await call(CHANNELS.ceremonyLoad, { plan: { name: 'plan.json', bytes: planBytes }, bindings: { name: 'b.json', bytes: new TextEncoder().encode(JSON.stringify(bindings)) } });
    await call(CHANNELS.ceremonyStart);
    const next = async (): Promise<CeremonyStatusView> => {
      for (;;) {
        const x = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
        if (x.phase !== 'running') return x;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    let s = await next();
    expect(s.phase).toBe('waiting-for-pin');
    await call(CHANNELS.ceremonyCancelPin, { requestId: s.pinRequest!.id });
    s = await next();
    expect(s.phase).toBe('waiting-for-pin');
    expect(s.pinRequest).toMatchObject({ custodian: 'Alice', retry: { reason: 'not-given' } });
    expect(s.pinRequest!.retry!.message).toMatch(/^No PIN was entered for token "alice"/);
    await call(CHANNELS.ceremonyCancelPin, { requestId: s.pinRequest!.id });
    s = await next();
    expect(s.failure?.code).toBe('TOKEN_LOGIN_REQUIRED');
    expect(fake.calls.some((c) => c.op === 'login')).toBe(false);
  });
});

/** A file anywhere under `dir` by base name (the outputs' layout may put it in a subfolder). */
function findUnder(dir: string, name: string): string {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const hit = findUnder(p, name);
      if (hit) return hit;
    } else if (e.name === name) return p;
  }
  return '';
}

describe('inspectFiles with a ceremony transcript: the keys carry their holders’ names (issue #16)', () => {
  it('root keys named by their custodians, the other keys by what they are; a tampered transcript is refused', async () => {
    const { session, call, h } = setup();
    await call(CHANNELS.ceremonyRehearse, { profile: 'tuf', repository: 'example.com/app' });
    await call(CHANNELS.ceremonyStart);
    await session.settled();
    const done = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    const out = done.outDir!;
    const files = ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json'].map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(findUnder(out, n))) }));
    const transcript = new Uint8Array(readFileSync(findUnder(out, 'transcript.jsonl')));
    const plain = await call<Inspection>(CHANNELS.inspectFiles, { files, directory: true, source: 'out' });
    expect(plain.keys.every((k) => k.holder === undefined)).toBe(true);
    const named = await call<Inspection>(CHANNELS.inspectFiles, { files, directory: true, source: 'out', holders: { name: 'transcript.jsonl', bytes: transcript } });
    expect(named.holdersFrom).toBe('transcript.jsonl');
    const rootIds = named.roles.find((r) => r.name === 'root')!.keyIds;
    const rootHolders = rootIds.map((id) => named.keys.find((k) => k.keyId === id)!.holder);
    // Every root key named: the custodians' by name, the Shamir backup's as share cards.
    expect(rootHolders.every((hd) => hd !== undefined)).toBe(true);
    const custodians = rootHolders.filter((hd) => hd!.custodian).map((hd) => hd!.name);
    expect(custodians.length).toBeGreaterThanOrEqual(2);
    for (const n of custodians) expect(n).toMatch(/^[A-Z][a-z]+$/);
    expect(rootHolders.some((hd) => hd!.name === 'Shamir backup: held as share cards')).toBe(true);
    // The other roles' keys: what they are, not a person.
    const ts = named.roles.find((r) => r.name === 'timestamp')!.keyIds[0]!;
    expect(named.keys.find((k) => k.keyId === ts)!.holder).toMatchObject({ custodian: false });
    // A transcript edited by one byte names nobody: refused.
    const edited = Uint8Array.from(transcript);
    edited[Math.floor(edited.length / 2)]! ^= 0x01;
    const refused = (await h[CHANNELS.inspectFiles]({ files, directory: true, source: 'out', holders: { name: 'transcript.jsonl', bytes: edited } })) as IpcResult<unknown>;
    expect(refused.ok).toBe(false);
    await session.reset();
  });
});

describe('transcriptVerify', () => {
  it('verifies a sealed transcript and compares the expected key; a tampered copy is refused with where', async () => {
    const { session, call, h } = setup();
    await call(CHANNELS.ceremonyRehearse, { profile: 'tuf', repository: 'example.com/app' });
    await call(CHANNELS.ceremonyStart);
    await session.settled();
    const done = await call<CeremonyStatusView>(CHANNELS.ceremonyStatus);
    const bytes = new Uint8Array(readFileSync(join(done.outDir!, 'state', 'transcript.jsonl')));
    const v = await call<TranscriptView>(CHANNELS.transcriptVerify, { file: { name: 'transcript.jsonl', bytes }, expectedSealKey: done.result!.sealKeyId });
    expect(v.sealed).toBe(true);
    expect(v.expectedKey).toEqual({ given: done.result!.sealKeyId, matches: true });
    expect(v.sealedBy!.fingerprint.words).toHaveLength(16);
    const other = await call<TranscriptView>(CHANNELS.transcriptVerify, { file: { name: 'transcript.jsonl', bytes }, expectedSealKey: 'f'.repeat(64) });
    expect(other.expectedKey).toEqual({ given: 'f'.repeat(64), matches: false });

    const text = Buffer.from(bytes).toString('utf8').replace('"actor":{"name":"administrator"', '"actor":{"name":"administratoR"');
    const r = await h[CHANNELS.transcriptVerify]({ file: { name: 'transcript.jsonl', bytes: new Uint8Array(Buffer.from(text)) } });
    expect(r).toMatchObject({ ok: false, code: 'TRANSCRIPT_CHAIN_BROKEN' });
    expect((r as { path?: string }).path).toMatch(/^line 2/);
  });
});

describe('printHtmlToPdf', () => {
  function fakeWindow(fail = false) {
    const w = {
      options: undefined as BrowserWindowConstructorOptions | undefined,
      loaded: [] as string[],
      destroyed: false,
      loadURL: async (url: string) => void w.loaded.push(url),
      webContents: {
        printToPDF: async () => {
          if (fail) throw new Error('printer on fire');
          return new Uint8Array([37, 80, 68, 70]);
        },
      },
      destroy: () => void (w.destroyed = true),
    };
    return w;
  }

  it('renders the document in a hidden window without preload or JavaScript, saves the PDF where chosen, destroys the window', async () => {
    const w = fakeWindow();
    const written: [string, Uint8Array][] = [];
    const r = await printHtmlToPdf('<p>cards</p>', { name: 'share-cards.pdf', secret: false }, {
      createWindow: (o) => {
        w.options = o;
        return w as PrintWindowLike;
      },
      chooseSavePath: async (doc) => `/tmp/chosen/${doc.name}`,
      writeFile: async (p, b) => void written.push([p, b]),
    });
    expect(r).toEqual({ saved: '/tmp/chosen/share-cards.pdf' });
    expect(w.options!.show).toBe(false);
    const wp = w.options!.webPreferences!;
    expect(wp.preload).toBeUndefined();
    expect(wp).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, webSecurity: true, devTools: false });
    expect(w.loaded).toEqual([htmlDataUrl('<p>cards</p>')]);
    expect(Buffer.from(w.loaded[0]!.split(',')[1]!, 'base64').toString()).toBe('<p>cards</p>');
    expect(written).toEqual([['/tmp/chosen/share-cards.pdf', new Uint8Array([37, 80, 68, 70])]]);
    expect(w.destroyed).toBe(true);
  });

  it('cancelled: no window; a print failure still destroys the window', async () => {
    const create = vi.fn();
    expect(await printHtmlToPdf('x', { name: 'a.pdf', secret: true }, { createWindow: create, chooseSavePath: async () => undefined })).toEqual({ cancelled: true });
    expect(create).not.toHaveBeenCalled();
    const w = fakeWindow(true);
    await expect(printHtmlToPdf('x', { name: 'a.pdf', secret: false }, { createWindow: () => w as PrintWindowLike, chooseSavePath: async () => '/tmp/a.pdf', writeFile: async () => undefined })).rejects.toThrow('printer on fire');
    expect(w.destroyed).toBe(true);
  });
});

describe('planView notices (review L3): root threshold 1 with a split key is said plainly', () => {
  it.each([
    [1, ['With root threshold 1, the holders of M share cards can sign a new root for every repository without any token: here any 2 of the 3 cards, whoever holds them.']],
    [2, undefined],
  ])('root threshold %i', (threshold, notices) => {
    const p = preparePlan('notary', (j) => void ((j.root as Record<string, unknown>).threshold = threshold));
    expect(p.plan.shamir).toEqual(expect.objectContaining({ threshold: 2, shares: 3 }));
    expect(planView({ plan: p.plan, planBytes: p.bytes, planName: 'plan.json', kind: 'plan' }).notices).toEqual(notices);
  });
});
