/**
 * The Transcript screen's channels (issue #16): listing a folder's transcripts and opening one of them
 * (electron/main/transcript-folder.ts), the completion actions' channels before a ceremony completes, and
 * a table of invalid payloads with the code and path each must produce. Real transcripts in a temporary
 * folder, through the real handlers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { TranscriptFolders } from '../../../electron/main/transcript-folder.js';
import type { TranscriptListView, TranscriptView } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { makeKey } from '../../support/keys.js';
import { sha, STEPS, writeSample, writeUnsealedSession } from '../audit/fixtures.js';

let dir: string;
let aliceKeyId: string;
let adminKeyId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tufc-transcript-folder-'));
  const [alice, admin] = await Promise.all([makeKey('tuf', 'ecdsa-p256'), makeKey('tuf', 'ed25519')]);
  const probe = verifyTranscript(await writeSample({ signer: alice })).sealedBy!;
  aliceKeyId = probe.keyId;
  const steps = STEPS.map((s) => (s.step === 'key.generate' ? { ...s, token: { serial: '12345678', keyId: probe.keyId }, digests: [{ label: 'root key fingerprint', sha256: probe.fingerprint }] } : s));
  mkdirSync(join(dir, 'state'));
  mkdirSync(join(dir, 'secret'));
  const root = await writeSample({ signer: admin, steps });
  adminKeyId = verifyTranscript(root).sealedBy!.keyId;
  writeFileSync(join(dir, 'state', 'transcript.jsonl'), root);
  writeFileSync(join(dir, 'response.tcb.transcript.jsonl'), await writeSample({ signer: alice, steps: [{ step: 'co-sign', actor: { name: 'Alice Custodian', role: 'co-signer' }, digests: [{ label: 'request', sha256: sha('r') }] }], header: { kind: 'co-sign' } }));
  // Unsealed, ended with session.end as a real rotate session writes it; and one cut before its end.
  const request = await writeUnsealedSession('rotation-request', [{ step: 'rotation.request', actor: { name: 'Ana Admin', role: 'administrator' } }]);
  writeFileSync(join(dir, 'request.tcb.transcript.jsonl'), request);
  writeFileSync(join(dir, 'cut.tcb.transcript.jsonl'), request.subarray(0, Buffer.from(request).indexOf('session.end')));
  writeFileSync(join(dir, 'secret', 'share-card-1-of-3.txt'), 'SECRET CARD');
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('transcriptList and transcriptOpenListed', () => {
  it('lists every transcript in the chosen folder with kind, date, seal state and holder names, then opens one by its listed name', async () => {
    const h = createIpcHandlers({ chooseTranscriptFolder: async () => dir });
    const r = await h[CHANNELS.transcriptList]({ from: 'choose' });
    expect(r.ok).toBe(true);
    const listing = (r as { value: TranscriptListView }).value;
    expect(listing.folder).toBe(dir.split('/').pop());
    expect(listing.transcripts.map((t) => [t.name, t.kindTitle, t.seal.state]).sort()).toEqual([
      ['cut.tcb.transcript.jsonl', 'Rotation request', 'refused'],
      ['request.tcb.transcript.jsonl', 'Rotation request', 'unsealed'],
      ['response.tcb.transcript.jsonl', 'Co-signing', 'sealed'],
      ['state/transcript.jsonl', 'Root ceremony', 'sealed'],
    ]);
    expect(listing.transcripts.find((t) => t.name === 'cut.tcb.transcript.jsonl')!.seal).toMatchObject({ state: 'refused', code: 'TRANSCRIPT_TRUNCATED' });
    // A folder the person chose anchors no seal key: its transcripts name nobody yet.
    const co = listing.transcripts.find((t) => t.kind === 'co-sign')!;
    expect(co.seal).toMatchObject({ state: 'sealed', keyId: aliceKeyId });
    expect(co.seal.state === 'sealed' && co.seal.holder).toBe(undefined);
    expect(co.started).toMatch(/^\d{4}-/);

    // Alice's key entered as expected: it matches, but it sealed no root transcript, so it names nobody.
    const opened = await h[CHANNELS.transcriptOpenListed]({ name: 'response.tcb.transcript.jsonl', expectedSealKey: aliceKeyId.toUpperCase() });
    expect(opened.ok).toBe(true);
    const view = (opened as { value: TranscriptView }).value;
    expect(view.expectedKey).toEqual({ given: aliceKeyId, matches: true });
    expect(view.sealedBy?.holder).toBe(undefined);
    expect(view.keyNames).toBe(undefined);

    // The ceremony's seal key entered as expected anchors its root transcript: Alice's key is named.
    const rootView = await h[CHANNELS.transcriptOpenListed]({ name: 'state/transcript.jsonl', expectedSealKey: adminKeyId });
    expect(rootView).toMatchObject({ ok: true, value: { expectedKey: { given: adminKeyId, matches: true }, keyNames: [expect.objectContaining({ keyId: aliceKeyId, name: 'Alice Custodian', custodian: true })] } });

    // An unsealed session transcript opens as unsealed (rotate and merge have no key of their own).
    const unsealed = await h[CHANNELS.transcriptOpenListed]({ name: 'request.tcb.transcript.jsonl' });
    expect(unsealed).toMatchObject({ ok: true, value: { sealed: false, kind: 'rotation-request' } });
  });

  it('the completed ceremony’s output folder is listed with its seal key anchored: its root transcript names the keys', async () => {
    const folders = new TranscriptFolders({ chooseFolder: async () => undefined, ceremonyFolder: () => dir, ceremonySealKey: () => adminKeyId });
    const listing = await folders.list({ from: 'ceremony' });
    const co = listing.transcripts.find((t) => t.kind === 'co-sign')!;
    expect(co.seal).toMatchObject({ state: 'sealed', keyId: aliceKeyId, holder: { name: 'Alice Custodian', custodian: true } });
    const view = await folders.open({ name: 'response.tcb.transcript.jsonl', expectedSealKey: aliceKeyId });
    expect(view.sealedBy?.holder).toEqual({ name: 'Alice Custodian', custodian: true });
    expect(view.keyNames).toEqual([expect.objectContaining({ keyId: aliceKeyId, name: 'Alice Custodian', custodian: true })]);
  });

  it('a folder on a listed transcript’s path swapped for a link since the listing is refused, not followed (review A #5)', async () => {
    const { readFileSync, renameSync, symlinkSync } = await import('node:fs');
    const base = mkdtempSync(join(tmpdir(), 'tufc-transcript-swap-'));
    try {
      const bytes = readFileSync(join(dir, 'response.tcb.transcript.jsonl'));
      mkdirSync(join(base, 'listed', 'a'), { recursive: true });
      writeFileSync(join(base, 'listed', 'a', 'x.jsonl'), bytes);
      mkdirSync(join(base, 'other', 'secret'), { recursive: true });
      writeFileSync(join(base, 'other', 'secret', 'x.jsonl'), bytes);
      const folders = new TranscriptFolders({ chooseFolder: async () => join(base, 'listed'), ceremonyFolder: () => undefined });
      expect((await folders.list({ from: 'choose' })).transcripts.map((t) => t.name)).toEqual(['a/x.jsonl']);
      expect((await folders.open({ name: 'a/x.jsonl' })).kind).toBe('co-sign');
      // a/ becomes a link to another ceremony's secret/: opening the listed name does not follow it.
      renameSync(join(base, 'listed', 'a'), join(base, 'listed', 'a-was'));
      symlinkSync(join(base, 'other', 'secret'), join(base, 'listed', 'a'));
      await expect(folders.open({ name: 'a/x.jsonl' })).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', message: expect.stringContaining('a link') });
      // Listed again, the link is not walked into.
      expect((await folders.list({ from: 'choose' })).transcripts.map((t) => t.name)).toEqual(['a-was/x.jsonl']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('opens only names of the last listing (a file that exists but was not listed is refused)', async () => {
    const h = createIpcHandlers({ chooseTranscriptFolder: async () => dir });
    expect(await h[CHANNELS.transcriptOpenListed]({ name: 'state/transcript.jsonl' })).toMatchObject({ ok: false, code: 'USAGE' });
    await h[CHANNELS.transcriptList]({ from: 'choose' });
    expect(await h[CHANNELS.transcriptOpenListed]({ name: 'secret/share-card-1-of-3.txt' })).toMatchObject({ ok: false, code: 'USAGE' });
  });

  it('a cancelled dialog, or no completed ceremony, lists nothing (USAGE, a plain sentence)', async () => {
    const h = createIpcHandlers({});
    const chosen = await h[CHANNELS.transcriptList]({ from: 'choose' });
    expect(chosen).toMatchObject({ ok: false, code: 'USAGE', message: 'No folder was chosen; nothing was listed.' });
    expect(await h[CHANNELS.transcriptList]({ from: 'ceremony' })).toMatchObject({ ok: false, code: 'USAGE' });
  });

  it('the completion actions refuse before a ceremony has completed', async () => {
    const h = createIpcHandlers({});
    expect(await h[CHANNELS.ceremonyExportMetadata](undefined)).toMatchObject({ ok: false, code: 'USAGE' });
    expect(await h[CHANNELS.ceremonyPrintTranscript](undefined)).toMatchObject({ ok: false, code: 'USAGE' });
  });

  it('a single transcript opened on its own names the keys it records only when sealed by the expected key', async () => {
    const { readFileSync } = await import('node:fs');
    const h = createIpcHandlers({});
    const bytes = new Uint8Array(readFileSync(join(dir, 'state', 'transcript.jsonl')));
    // Sealed by the key entered as expected: its names are shown.
    const r = await h[CHANNELS.transcriptVerify]({ file: { name: 'transcript.jsonl', bytes }, expectedSealKey: adminKeyId });
    expect(r).toMatchObject({ ok: true, value: { keyNames: [expect.objectContaining({ keyId: aliceKeyId, name: 'Alice Custodian' })] } });
    // No expected key, or another one: the seal proves nothing about who wrote the names, so none are shown.
    for (const expectedSealKey of [undefined, aliceKeyId]) {
      const plain = await h[CHANNELS.transcriptVerify]({ file: { name: 'transcript.jsonl', bytes }, ...(expectedSealKey ? { expectedSealKey } : {}) });
      expect(plain.ok && (plain as { value: TranscriptView }).value.keyNames).toBe(undefined);
    }
  });
});

describe('payload schemas of the new channels: every refusal is IPC_INVALID and names the field', () => {
  const key = 'a'.repeat(64);
  it.each([
    [CHANNELS.transcriptList, undefined, '$'],
    [CHANNELS.transcriptList, {}, '$.from'],
    [CHANNELS.transcriptList, { from: 'path' }, '$.from'],
    [CHANNELS.transcriptList, { from: '/etc' }, '$.from'],
    [CHANNELS.transcriptList, { from: 'choose', folder: '/tmp' }, '$.folder'],
    [CHANNELS.transcriptOpenListed, undefined, '$'],
    [CHANNELS.transcriptOpenListed, {}, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: '' }, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: '/etc/passwd' }, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: '../outside.jsonl' }, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: 'a\\b.jsonl' }, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: 'a\u202eb.jsonl' }, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: 'x'.repeat(1025) }, '$.name'],
    [CHANNELS.transcriptOpenListed, { name: 'a.jsonl', expectedSealKey: 'abc' }, '$.expectedSealKey'],
    [CHANNELS.transcriptOpenListed, { name: 'a.jsonl', expectedSealKey: `${key}0` }, '$.expectedSealKey'],
    [CHANNELS.transcriptOpenListed, { name: 'a.jsonl', path: '/tmp/a.jsonl' }, '$.path'],
    [CHANNELS.ceremonyExportMetadata, {}, '$'],
    [CHANNELS.ceremonyExportMetadata, { folder: '/tmp' }, '$'],
    [CHANNELS.ceremonyPrintTranscript, null, '$'],
    [CHANNELS.ceremonyPrintTranscript, { html: '<p>' }, '$'],
  ] as const)('%s refuses %j at %s', async (channel, payload, path) => {
    const r = await createIpcHandlers({ chooseTranscriptFolder: async () => dir })[channel](payload);
    expect(r).toMatchObject({ ok: false, code: 'IPC_INVALID', path });
  });
});
