import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError, type ErrorCode } from '../../../src/errors.js';
import { memorySink, TranscriptWriter, type EntryInput, type TranscriptSink } from '../../../src/audit/transcript.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { looksLikeKeyMaterial, NOTE_MAX_CHARS } from '../../../src/audit/schema.js';
import { bytesToWords } from '../../../src/crypto/digest-words.js';
import { AppendOnlyFile, createTranscriptFile, resumeTranscriptFile } from '../../../src/io/append.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { fixedClock, HEADER, lines, sha, STEPS, writeSample } from './fixtures.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

let key: TestKey;
beforeAll(async () => {
  key = await makeKey('tuf', 'ecdsa-p256');
});

const tmp = () => tempDir('tufc-transcript-');
const step: EntryInput = { step: 'token.check', actor: { name: 'Alice', role: 'custodian' } };

async function refusal(p: Promise<unknown>): Promise<{ code: ErrorCode; path: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CeremonyError) return { code: err.code, path: err.path };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('TranscriptWriter', () => {
  it('writes one canonical line per record: header, entries, seal', async () => {
    const bytes = await writeSample({ signer: key });
    const ls = lines(bytes);
    expect(ls).toHaveLength(8);
    expect(ls.map((l) => JSON.parse(l).type)).toEqual(['header', 'entry', 'entry', 'entry', 'entry', 'entry', 'entry', 'seal']);
    const header = JSON.parse(ls[0]!);
    expect(header).toMatchObject({ format: 'tuf-ceremony-transcript', formatVersion: 1, kind: 'root', rehearsal: true, started: '2025-05-06T09:00:00.000Z', appVersion: '0.1.0' });
    // Keys sorted, no whitespace.
    expect(ls[0]!.startsWith('{"appVersion":"0.1.0","format":')).toBe(true);
    // A multi-line note stays on its line (JSON escapes), and comes back intact.
    expect(ls[6]).toContain('USB stick #2.\\nStick sealed');
    expect(verifyTranscript(bytes).entries[5]!.note).toBe('Exported to USB stick #2.\nStick sealed in bag 0042.');
  });

  it('records digests as full SHA-256, short hex and PGP words; files by name and hash only', async () => {
    const t = verifyTranscript(await writeSample({ signer: key }));
    const d = t.entries[4]!.digests[0]!;
    expect(d.sha256).toBe(sha('root v1 signed bytes'));
    expect(d.short).toBe(d.sha256.slice(0, 32));
    expect(d.words).toEqual(bytesToWords(Uint8Array.from(Buffer.from(d.short, 'hex'))));
    expect(t.entries[2]!.outputs).toEqual([{ name: 'alice-root.pub', sha256: sha('alice public key') }]);
    expect(t.entries.map((e) => e.time)).toEqual(['01', '02', '03', '04', '05', '06'].map((m) => `2025-05-06T09:${m}:00.000Z`));
  });

  it('a longer short hash when asked', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    const e = await w.append({ ...step, digests: [{ label: 'x', sha256: sha('x'), shortBytes: 12 }] });
    expect(e.digests[0]!.words).toHaveLength(12);
  });

  it('writes appends in call order even when not awaited one by one', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    await Promise.all([1, 2, 3, 4].map((i) => w.append({ ...step, note: `step ${i}` })));
    await w.seal(key);
    expect(verifyTranscript(sink.bytes()).entries.map((e) => e.note)).toEqual(['step 1', 'step 2', 'step 3', 'step 4']);
  });

  it('nothing is appended after the seal', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    await w.append(step);
    await w.seal(key);
    expect(w.sealed).toBe(true);
    expect((await refusal(w.append(step))).code).toBe('TRANSCRIPT_CLOSED');
    expect((await refusal(w.seal(key))).code).toBe('TRANSCRIPT_CLOSED');
  });

  it('a failed write closes the writer (the line may be half on disk)', async () => {
    let fail = false;
    const inner = memorySink();
    const sink: TranscriptSink = { append: (l) => (fail ? Promise.reject(new Error('disk full')) : inner.append(l)) };
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    fail = true;
    await expect(w.append(step)).rejects.toThrow('disk full');
    fail = false;
    expect((await refusal(w.append(step))).code).toBe('TRANSCRIPT_CLOSED');
  });

  it('a seal whose signature does not verify is not written', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    const bad = { ...key, sign: () => new Uint8Array(64) };
    expect((await refusal(w.seal(bad))).code).toBe('TRANSCRIPT_SEAL_INVALID');
    expect(w.sealed).toBe(false);
    await w.seal(key);
    expect(verifyTranscript(sink.bytes()).sealed).toBe(true);
  });

  it('a refused entry writes nothing and the writer goes on', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    const before = sink.bytes().length;
    expect((await refusal(w.append({ ...step, note: 'x'.repeat(NOTE_MAX_CHARS + 1) }))).code).toBe('TRANSCRIPT_FIELD_INVALID');
    expect(sink.bytes().length).toBe(before);
    await w.append(step);
    expect(w.entryCount).toBe(1);
  });
});

describe('TranscriptWriter.appendAll: a group of entries, one write, one fsync (issue #17 group commit)', () => {
  it('writes exactly the bytes the same appends one by one write, in one sink call', async () => {
    const one = memorySink();
    const w1 = await TranscriptWriter.start(one, HEADER, { now: fixedClock() });
    for (const e of STEPS) await w1.append(e);
    const calls: number[] = [];
    const all = memorySink();
    const sink: TranscriptSink = { append: (l) => (calls.push(l.length), all.append(l)) };
    const w2 = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    await w2.append(STEPS[0]!);
    const records = await w2.appendAll(STEPS.slice(1));
    expect(calls).toHaveLength(3); // header, one entry, the group
    expect(Buffer.from(all.bytes()).equals(Buffer.from(one.bytes()))).toBe(true);
    expect(records.map((r) => r.seq)).toEqual(STEPS.slice(1).map((_, i) => i + 2));
    expect(w2.entryCount).toBe(STEPS.length);
    expect(w2.lastHash).toBe(w1.lastHash);
    // The writer goes on from the group's last entry.
    await w1.append(step);
    await w2.append(step);
    expect(Buffer.from(all.bytes()).equals(Buffer.from(one.bytes()))).toBe(true);
    expect(await w2.appendAll([])).toEqual([]);
    expect(calls).toHaveLength(4);
  });

  it('one refused entry writes none of the group, and the writer goes on', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    const before = sink.bytes().length;
    expect((await refusal(w.appendAll([step, { ...step, note: 'x'.repeat(NOTE_MAX_CHARS + 1) }]))).code).toBe('TRANSCRIPT_FIELD_INVALID');
    expect(sink.bytes().length).toBe(before);
    expect(w.entryCount).toBe(0);
    await w.appendAll([step, step]);
    expect(verifyTranscript(sink.bytes(), { allowUnsealed: true }).entries.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('a crash during the group write leaves whole lines and a cut one: resume keeps the whole lines and continues the chain', async () => {
    const dir = tmp();
    const path = pathJoin(dir, 'transcript.jsonl');
    const { writer, file } = await createTranscriptFile(path, HEADER, { now: fixedClock() });
    await writer.append(STEPS[0]!);
    const at = readFileSync(path).length;
    await writer.appendAll(STEPS.slice(1, 4));
    await file.close();
    const full = new Uint8Array(readFileSync(path));
    // Every length the write can have reached when the process died.
    for (let cut = at; cut <= full.length; cut += 97) {
      const copy = pathJoin(dir, `cut-${cut}.jsonl`);
      writeFileSync(copy, full.subarray(0, cut));
      const resumed = await resumeTranscriptFile(copy, { now: fixedClock('2025-05-06T10:00:00.000Z') });
      const kept = resumed.verified.entries.length;
      expect(kept).toBeGreaterThanOrEqual(1);
      expect(kept).toBeLessThanOrEqual(4);
      expect(resumed.verified.entries.map((e) => e.step)).toEqual(STEPS.slice(0, kept).map((e) => e.step));
      await resumed.writer.append(step);
      await resumed.file.close();
      expect(verifyTranscript(new Uint8Array(readFileSync(copy)), { allowUnsealed: true }).entries).toHaveLength(kept + 1);
    }
  });
});

describe('TranscriptWriter refuses what must not be recorded', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
  const cases: { name: string; input: EntryInput; code: ErrorCode; path: string }[] = [
    { name: 'a note over the size limit', input: { ...step, note: 'a'.repeat(NOTE_MAX_CHARS + 1) }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.note' },
    { name: 'a PEM private key in a note', input: { ...step, note: pem }, code: 'TRANSCRIPT_SECRET_REFUSED', path: '$.note' },
    { name: '"private key" in a witness confirmation', input: { ...step, witnesses: [{ name: 'Carol', confirmed: 'saw the Private Key' }] }, code: 'TRANSCRIPT_SECRET_REFUSED', path: '$.witnesses[0].confirmed' },
    { name: 'a 32-byte key as hex in a note', input: { ...step, note: `d=${'3f'.repeat(32)}` }, code: 'TRANSCRIPT_SECRET_REFUSED', path: '$.note' },
    { name: 'a 32-byte key as base64 in a note', input: { ...step, note: 'key Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL here' }, code: 'TRANSCRIPT_SECRET_REFUSED', path: '$.note' },
    { name: 'a base64 run in an actor name', input: { ...step, actor: { name: 'A'.repeat(20) + 'b1'.repeat(12), role: 'custodian' } }, code: 'TRANSCRIPT_SECRET_REFUSED', path: '$.actor.name' },
    { name: 'a control character in a note', input: { ...step, note: 'bell\u0007' }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.note' },
    { name: 'a bidi override in a name', input: { ...step, actor: { name: 'Alice\u202e', role: 'custodian' } }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.actor.name' },
    { name: 'a line break in a name', input: { ...step, actor: { name: 'Al\nice', role: 'custodian' } }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.actor.name' },
    { name: 'an Arabic letter mark (bidi) in a note', input: { ...step, note: 'signed by \u061cAlice' }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.note' },
    { name: 'a zero-width joiner in a name', input: { ...step, actor: { name: 'Al\u200dice', role: 'custodian' } }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.actor.name' },
    { name: 'an empty name', input: { ...step, actor: { name: '', role: 'custodian' } }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.actor.name' },
    { name: 'an unknown role', input: { ...step, actor: { name: 'Eve', role: 'root' as never } }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.actor.role' },
    { name: 'a step id that is not a slug', input: { ...step, step: 'Sign Root!' }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.step' },
    { name: 'an extra field (a payload riding along)', input: { ...step, privateKey: 'x' } as EntryInput, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.privateKey' },
    { name: 'an extra field in the token', input: { ...step, token: { serial: '1', pin: '1234' } as never }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.token.pin' },
    { name: 'a digest that is not SHA-256 hex', input: { ...step, digests: [{ label: 'x', sha256: 'xyz' }] }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.digests[0].sha256' },
    { name: 'a short hash of 2 bytes', input: { ...step, digests: [{ label: 'x', sha256: sha('x'), shortBytes: 2 }] }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.digests[0].shortBytes' },
    { name: 'a file with both bytes and sha256', input: { ...step, inputs: [{ name: 'a', sha256: sha('a'), bytes: new Uint8Array(1) } as never] }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.inputs[0]' },
    { name: 'the same output twice', input: { ...step, outputs: [{ name: 'root.json', sha256: sha('a') }, { name: 'root.json', sha256: sha('b') }] }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.outputs[1].name' },
    { name: 'a key ID that is not hex', input: { ...step, token: { serial: '1', keyId: 'abc' } }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.token.keyId' },
    { name: 'too many witnesses', input: { ...step, witnesses: Array.from({ length: 17 }, (_, i) => ({ name: `W${i}`, confirmed: 'ok' })) }, code: 'TRANSCRIPT_FIELD_INVALID', path: '$.witnesses' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const sink = memorySink();
      const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
      expect(await refusal(w.append(c.input))).toEqual({ code: c.code, path: c.path });
    });
  }

  it('header fields are checked too', async () => {
    expect((await refusal(TranscriptWriter.start(memorySink(), { ...HEADER, planHash: 'nope' }))).code).toBe('TRANSCRIPT_FIELD_INVALID');
    expect((await refusal(TranscriptWriter.start(memorySink(), { ...HEADER, repository: 'a\u0000b' }))).code).toBe('TRANSCRIPT_FIELD_INVALID');
    expect((await refusal(TranscriptWriter.start(memorySink(), { ...HEADER, secret: 'x' } as never))).path).toBe('$.secret');
  });

  it('ordinary text passes: names with accents, paths, short key IDs, line breaks in notes', async () => {
    const w = await TranscriptWriter.start(memorySink(), HEADER, { now: fixedClock() });
    await w.append({
      ...step,
      actor: { name: 'Zoë Ngũgĩ-Østergaard', role: 'custodian' },
      note: 'Key 3f2a9c1d… read aloud for registry.example.com/org/sub-group/application-name-that-is-long.\nSecond line.',
      witnesses: [{ name: 'Åsa', confirmed: 'fingerprint matches the card' }],
    });
    expect(looksLikeKeyMaterial('registry.example.com/organisation/subgroup/application/component')).toBe(false);
    expect(looksLikeKeyMaterial('d2a84f4b8b650937d2a84f4b8b650937d2a84f4b')).toBe(true);
  });
});

describe('transcript files: append-only, durable, resumable', () => {
  it('creates a new file, never over an existing one', async () => {
    const dir = tmp();
    const path = pathJoin(dir, 'transcript.jsonl');
    writeFileSync(path, 'keep me');
    expect((await refusal(createTranscriptFile(path, HEADER))).code).toBe('OUTPUT_EXISTS');
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('each append is on disk when it resolves; an interrupted ceremony leaves a verifiable prefix', async () => {
    const path = pathJoin(tmp(), 'transcript.jsonl');
    const { writer, file } = await createTranscriptFile(path, HEADER, { now: fixedClock() });
    await writer.append(STEPS[0]!);
    await writer.append(STEPS[1]!);
    // Read by someone else while the ceremony runs: the two entries are there.
    const mid = verifyTranscript(readFileSync(path), { allowUnsealed: true });
    expect(mid.entries).toHaveLength(2);
    await file.close();
  });

  it('resume cuts a last line left half-written by a crash, then continues the chain', async () => {
    const path = pathJoin(tmp(), 'transcript.jsonl');
    const first = await createTranscriptFile(path, HEADER, { now: fixedClock() });
    await first.writer.append(STEPS[0]!);
    await first.writer.append(STEPS[1]!);
    await first.file.close();
    appendFileSync(path, '{"actor":{"name":"Alice Cust'); // the crash, mid-append

    const { writer, file, verified, cutBytes } = await resumeTranscriptFile(path, { now: fixedClock('2025-05-06T11:00:00.000Z') });
    expect(verified.entries).toHaveLength(2);
    expect(cutBytes).toBe(28);
    await writer.append({ step: 'ceremony.resume', actor: { name: 'Ana Admin', role: 'administrator' }, note: 'Resumed after a power cut.' });
    await writer.append(STEPS[2]!);
    await writer.seal(key);
    await file.close();

    const t = verifyTranscript(readFileSync(path));
    expect(t.entries.map((e) => e.step)).toEqual(['plan.review', 'token.check', 'ceremony.resume', 'key.generate']);
    expect(t.sealed).toBe(true);
  });

  it('a sealed transcript is never resumed; a broken one is not either', async () => {
    const dir = tmp();
    const sealedPath = pathJoin(dir, 'sealed.jsonl');
    writeFileSync(sealedPath, await writeSample({ signer: key }));
    expect((await refusal(resumeTranscriptFile(sealedPath))).code).toBe('TRANSCRIPT_CLOSED');
    const brokenPath = pathJoin(dir, 'broken.jsonl');
    const ls = lines(await writeSample());
    writeFileSync(brokenPath, [ls[0], ls[2], ''].join('\n'));
    expect((await refusal(resumeTranscriptFile(brokenPath))).code).toBe('TRANSCRIPT_SEQUENCE');
  });

  it('AppendOnlyFile: appends only, truncates only shorter', async () => {
    const path = pathJoin(tmp(), 'log');
    const f = await AppendOnlyFile.create(path);
    await f.append(new TextEncoder().encode('one\n'));
    await f.append(new TextEncoder().encode('two\n'));
    await expect(f.truncate(100)).rejects.toThrow(RangeError);
    await f.truncate(4);
    await f.close();
    expect(readFileSync(path, 'utf8')).toBe('one\n');
    expect((await refusal(f.append(new Uint8Array(1)))).code).toBe('TRANSCRIPT_CLOSED');
  });
});
