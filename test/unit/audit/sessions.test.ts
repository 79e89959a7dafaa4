/**
 * Session transcripts (issue #16): a session is written whole, so `transcript verify` refuses one cut at
 * a line boundary even with --allow-unsealed (unsealed kinds end with `session.end`; sealed kinds keep
 * their seal); notes from elsewhere are cleaned (sessionNote); a folder of them is listed newest first,
 * a damaged one with its refusal, never hidden (src/audit/sessions.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionTranscript, checkSessionWitnesses, continuationStep, sessionFileName, sessionNote } from '../../../src/audit/session.js';
import { listSessionTranscripts, summariseSessionTranscript } from '../../../src/audit/sessions.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { looksLikeKeyMaterial } from '../../../src/audit/schema.js';
import { isCeremonyError } from '../../../src/errors.js';
import { nodeSessionFolder, writeSessionTranscript } from '../../../src/io/session-files.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const T0 = new Date('2026-12-06T08:00:00.000Z');
const clock = () => {
  let t = T0.getTime();
  return () => new Date((t += 1000));
};
const enc = new TextEncoder();

async function unsealed(kind: 'import' | 'merge' = 'import', ended = true): Promise<SessionTranscript> {
  const s = await SessionTranscript.start({ kind, profile: 'tuf', repository: 'app', reviewed: enc.encode('bundle'), rehearsal: false }, clock());
  await s.append({ step: 'import.verify', actor: { name: 'operator', role: 'operator' }, witnesses: [{ name: 'Carol', confirmed: 'watched' }] });
  await s.append({ step: 'import.install', actor: { name: 'operator', role: 'operator' } });
  if (ended) await s.end('installed');
  return s;
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return isCeremonyError(err) ? err.code : String(err);
  }
  return 'accepted';
}

describe('session transcripts', () => {
  it('an unsealed session must end with session.end: bytes() refuses an open one, verify refuses one cut at a line boundary', async () => {
    const open = await unsealed('import', false);
    expect(code(() => open.bytes())).toBe('INTERNAL');
    const bytes = (await unsealed()).bytes();
    const v = verifyTranscript(bytes, { allowUnsealed: true });
    expect(v.entries.map((e) => e.step)).toEqual(['import.verify', 'import.install', 'session.end']);
    const lines = new TextDecoder().decode(bytes).split('\n').filter(Boolean);
    const cut = enc.encode(`${lines.slice(0, 3).join('\n')}\n`);
    expect(code(() => verifyTranscript(cut, { allowUnsealed: true }))).toBe('TRANSCRIPT_TRUNCATED');
    // A ceremony's own transcript (kind root) cut there is still an interrupted, unsealed prefix.
    const root = new TextDecoder().decode(bytes).replace('"kind":"import"', '"kind":"root"');
    expect(code(() => verifyTranscript(enc.encode(root), { allowUnsealed: true }))).toBe('TRANSCRIPT_CHAIN_BROKEN');
  });

  it('a sealed session kind without its seal is refused even with --allow-unsealed; with it, it verifies', async () => {
    const key = SoftwareKey.generate('ed25519', { label: 'co-signer', rehearsal: true });
    const s = await SessionTranscript.start({ kind: 'co-sign', profile: 'tuf', repository: 'app', reviewed: enc.encode('request'), rehearsal: false }, clock());
    await s.append({ step: 'request.review', actor: { name: 'Bob', role: 'co-signer' } });
    await s.append({ step: 'co-sign', actor: { name: 'Bob', role: 'co-signer' } });
    const keyId = await s.seal(key);
    key.dispose();
    await expect(s.end('x')).rejects.toMatchObject({ code: 'TRANSCRIPT_CLOSED' });
    const bytes = s.bytes();
    expect(verifyTranscript(bytes, { expectedSealKeyId: keyId }).sealed).toBe(true);
    const lines = new TextDecoder().decode(bytes).split('\n').filter(Boolean);
    expect(code(() => verifyTranscript(enc.encode(`${lines.slice(0, 3).join('\n')}\n`), { allowUnsealed: true }))).toBe('TRANSCRIPT_NOT_SEALED');
  });

  it('sessionNote keeps a refusal readable and never trips the schema: unshown characters, hashes, long base64, length', () => {
    const hash = 'ab'.repeat(32);
    const note = sessionNote(`no root with SHA-256 ${hash} in bundle\u202e`, 'refused');
    expect(note).toBe(`no root with SHA-256 ${hash.slice(0, 16)}… in bundle?`);
    const token = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9Abc123Xyz789Qwe456';
    expect(sessionNote(`server said ${token}`, 'refused', { keep: 0 })).toBe('server said …');
    expect(looksLikeKeyMaterial(sessionNote(`x ${token}`, 'refused'))).toBe(false);
    expect(sessionNote('word '.repeat(150), 'f')).toHaveLength(500);
    expect(sessionNote('mentions a private key', 'fallback')).toBe('fallback');
  });

  it('checkSessionWitnesses: trimmed, blanks dropped, a name the transcript refuses is a usage error', () => {
    expect(checkSessionWitnesses([' Carol ', '', 'Dan'])).toEqual(['Carol', 'Dan']);
    for (const bad of [['Eve\u200b'], ['x'.repeat(101)], ['0123456789abcdef0123456789abcdef01234567'], Array.from({ length: 17 }, (_, i) => `W${i}`)]) {
      expect(code(() => checkSessionWitnesses(bad))).toBe('USAGE');
    }
  });

  it('sessionFileName sorts by time and is one name per session', () => {
    expect(sessionFileName('import', T0, '0a1b2c3d')).toBe('20261206T080000.000Z-import-0a1b2c3d.transcript.jsonl');
    expect(() => sessionFileName('import', T0, '../x')).toThrow();
  });

  it('a folder of session transcripts is listed newest first; a damaged one is listed with its refusal', async () => {
    const dir = tmp('tufc-sessions-');
    const a = await writeSessionTranscript(dir, 'import', new Date('2026-12-06T08:00:00.000Z'), (await unsealed()).bytes());
    const b = await writeSessionTranscript(dir, 'merge', new Date('2026-12-06T09:00:00.000Z'), (await unsealed('merge')).bytes());
    const damaged = (await unsealed()).bytes().slice(0, -20);
    writeFileSync(join(dir, '20261206T100000.000Z-import-ffffffff.transcript.jsonl'), damaged);
    writeFileSync(join(dir, 'notes.txt'), 'not a transcript');
    const listed = await listSessionTranscripts(dir, nodeSessionFolder);
    expect(listed.more).toBe(0);
    expect(listed.sessions.map((s) => [s.file, s.verified, s.kind ?? null, s.error?.code ?? null])).toEqual([
      ['20261206T100000.000Z-import-ffffffff.transcript.jsonl', false, null, 'TRANSCRIPT_TRUNCATED'],
      [b.slice(dir.length + 1), true, 'merge', null],
      [a.slice(dir.length + 1), true, 'import', null],
    ]);
    expect(listed.sessions[2]).toMatchObject({ repository: 'app', witnesses: ['Carol'], refused: false, outcome: 'installed', sealed: false, steps: ['import.verify', 'import.install', 'session.end'] });
    expect((await listSessionTranscripts(dir, nodeSessionFolder, 1)).more).toBe(2);
    expect(summariseSessionTranscript('x', enc.encode('')).error?.code).toBe('TRANSCRIPT_TRUNCATED');
  });
});

describe('an entry naming more files than one entry holds (the .more split, review-gaps I3)', () => {
  it('whatever the length of its step name, every file is recorded in a transcript that verifies whole; short names keep their old continuation names', async () => {
    const files = (n: number, what: string) => Array.from({ length: n }, (_, i) => ({ name: `${what}-${i}.json`, sha256: i.toString(16).padStart(64, '0') }));
    const long = (n: number) => `merge.${'x'.repeat(n - 6)}`;
    // [step, expected continuation step of inputs]
    const cases: [string, string][] = [
      ['merge', 'merge.inputs.more'],
      [long(51), `${long(51)}.inputs.more`], // with ".outputs.more": exactly 64, kept whole
      [long(52), `${long(52)}.inputs.more`], // exactly 64 with ".inputs.more"
      [long(53), `${long(52)}.inputs.more`],
      [long(64), `${long(52)}.inputs.more`],
      [`${long(51)}-bb`, `${long(51)}.inputs.more`], // cut at a separator: the trailing "-" dropped
    ];
    for (const [step, moreInputs] of cases) {
      expect(continuationStep(step, 'inputs'), step).toBe(moreInputs);
      const s = await SessionTranscript.start({ kind: 'merge', profile: 'tuf', repository: 'app', reviewed: enc.encode('request'), rehearsal: false }, clock());
      await s.append({ step, actor: { name: 'administrator', role: 'administrator' }, inputs: files(70, 'in'), outputs: files(40, 'out'), note: 'the responses' });
      await s.end('merged');
      const v = verifyTranscript(s.bytes(), { allowUnsealed: true });
      const steps = v.entries.map((e) => e.step);
      expect(steps, step).toEqual([step, moreInputs, moreInputs, continuationStep(step, 'outputs'), 'session.end']);
      expect(steps.every((x) => x.length <= 64), step).toBe(true);
      expect(v.entries.flatMap((e) => (e.inputs ?? []).map((f) => f.name)), step).toEqual(files(70, 'in').map((f) => f.name));
      expect(v.entries.flatMap((e) => (e.outputs ?? []).map((f) => f.name)), step).toEqual(files(40, 'out').map((f) => f.name));
      // The continuation names the whole step in its note.
      expect(v.entries[1]!.note, step).toBe(`${step}, continued: inputs 33–64 of 70`);
    }
  });
});
