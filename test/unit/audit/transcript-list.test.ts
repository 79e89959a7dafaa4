/**
 * src/audit/transcript-list.ts: transcripts found in a folder by their header (not their names), each
 * verified and summarised with its seal state, and keys named from the folder's sealed transcripts.
 * Real transcripts (TranscriptWriter, sealed by real test keys) in a folder held in memory: the listing's
 * file system is injected, so the folder is a map of paths to bytes.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { listTranscripts, recogniseTranscriptHead, transcriptKindTitle, type FolderEntry, type TranscriptFolderIo } from '../../../src/audit/transcript-list.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { HEADER, join, lines, sha, STEPS, writeSample, writeUnsealedSession } from './fixtures.js';
import { yieldToEventLoop } from '../../../electron/main/transcript-folder.js';

/** A folder in memory: `files` by relative path; `links` are reported as neither file nor folder. */
function memoryFolder(files: Record<string, Uint8Array>, links: string[] = []): TranscriptFolderIo & { read_: string[] } {
  const read_: string[] = [];
  const list = async (rel: string): Promise<FolderEntry[]> => {
    const prefix = rel ? `${rel}/` : '';
    const out = new Map<string, FolderEntry['kind']>();
    for (const p of [...Object.keys(files), ...links]) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length).split('/');
      out.set(rest[0]!, rest.length > 1 ? 'directory' : links.includes(p) ? 'other' : 'file');
    }
    return [...out].map(([name, kind]) => ({ name, kind }));
  };
  const bytes = (rel: string): Uint8Array => {
    read_.push(rel);
    const b = files[rel];
    if (!b) throw new Error(`no such file ${rel}`);
    return b;
  };
  return {
    read_,
    list,
    // A copy, as the node file system gives: the listing zeroes each head it is done with.
    head: async (rel, n) => bytes(rel).slice(0, n),
    read: async (rel, max) => {
      const b = bytes(rel);
      if (b.length > max) throw new CeremonyError('INPUT_TOO_LARGE', `${rel} is over the cap`);
      return b;
    },
  };
}

const enc = new TextEncoder();
let alice: TestKey;
let admin: TestKey;
let stranger: TestKey;
let aliceKey: { keyId: string; fingerprint: string };
let adminKeyId: string;
let root: Uint8Array;
let cosign: Uint8Array;
let merge: Uint8Array;

beforeAll(async () => {
  [alice, admin, stranger] = await Promise.all([makeKey('tuf', 'ecdsa-p256'), makeKey('tuf', 'ed25519'), makeKey('tuf', 'ecdsa-p256')]);
  // Alice's key as a transcript seal names it (key ID and SPKI fingerprint).
  const probe = verifyTranscript(await writeSample({ signer: alice }));
  aliceKey = { keyId: probe.sealedBy!.keyId, fingerprint: probe.sealedBy!.fingerprint };
  // The root ceremony: Alice's token made that key; sealed by the administrator's key.
  const steps = STEPS.map((s) =>
    s.step === 'key.generate' ? { ...s, token: { serial: '12345678', keyId: aliceKey.keyId }, digests: [{ label: 'root key (ECDSA P-256) fingerprint', sha256: aliceKey.fingerprint }] } : s,
  );
  root = await writeSample({ signer: admin, steps });
  adminKeyId = verifyTranscript(root).sealedBy!.keyId;
  // A co-signing session sealed by Alice's key; a merge that is not sealed (no key of its own), ended with
  // session.end as a real merge session is.
  const session = [{ step: 'co-sign', actor: { name: 'Alice Custodian', role: 'co-signer' as const }, digests: [{ label: 'the request', sha256: sha('request') }] }];
  cosign = await writeSample({ signer: alice, steps: session, header: { kind: 'co-sign' } });
  merge = await writeUnsealedSession('merge', [{ step: 'merge', actor: { name: 'Ana Admin', role: 'administrator' } }]);
});

describe('listTranscripts', () => {
  test('finds transcripts by their header, whatever their names, and summarises each with its seal state and holder', async () => {
    const io = memoryFolder({
      'state/transcript.jsonl': root,
      'rotation/response.tcb.transcript.jsonl': cosign,
      'rotation/notes.txt': enc.encode('a note\n'),
      'merged/any-name.log': merge,
      'metadata/root.json': enc.encode('{"signed":{},"signatures":[]}\n'),
    });
    // The root transcript's seal key is anchored (the completed ceremony's own, or one entered as expected).
    const listing = await listTranscripts(io, { anchorKeys: [adminKeyId] });
    expect(listing.transcripts.map((t) => [t.name, t.kind, t.seal.state])).toEqual(
      expect.arrayContaining([
        ['state/transcript.jsonl', 'root', 'sealed'],
        ['rotation/response.tcb.transcript.jsonl', 'co-sign', 'sealed'],
        ['merged/any-name.log', 'merge', 'unsealed'],
      ]),
    );
    expect(listing.transcripts).toHaveLength(3);
    expect(listing.otherFiles).toBe(2);
    const byName = new Map(listing.transcripts.map((t) => [t.name, t]));
    const co = byName.get('rotation/response.tcb.transcript.jsonl')!;
    expect(co.kindTitle).toBe('Co-signing');
    expect(co.entries).toBe(1);
    expect(co.header).toMatchObject({ profile: 'tuf', repository: HEADER.repository, rehearsal: true });
    // Sealed by Alice's key: named from the root ceremony's transcript in the same folder.
    expect(co.seal).toMatchObject({ state: 'sealed', keyId: aliceKey.keyId, fingerprint: aliceKey.fingerprint, holder: { name: 'Alice Custodian', custodian: true } });
    // The root transcript is sealed by a key no transcript names.
    const r = byName.get('state/transcript.jsonl')!;
    expect(r.seal.state === 'sealed' && r.seal.holder).toBe(undefined);
    expect(listing.holders.byKeyId.get(aliceKey.keyId)?.name).toBe('Alice Custodian');
    expect(listing.holders.byFingerprint.get(aliceKey.fingerprint)?.name).toBe('Alice Custodian');
    // Without an anchored seal key, the same folder names nobody: a seal alone proves no authorship.
    const unanchored = await listTranscripts(io);
    expect(unanchored.holders.byFingerprint.size).toBe(0);
    expect(unanchored.transcripts.every((t) => t.seal.state !== 'sealed' || t.seal.holder === undefined)).toBe(true);
    expect(unanchored.namers.map((n) => [n.name, n.sealKeyId])).toEqual([['state/transcript.jsonl', adminKeyId]]);
  });

  test('forged self-sealed transcripts (review A #2) neither rename Alice’s key nor name Mallory’s key “Alice’s key”', async () => {
    const mallory = stranger;
    const malloryKey = verifyTranscript(await writeSample({ signer: mallory })).sealedBy!;
    const generate = (name: string, fingerprint: string, keyId: string) =>
      STEPS.map((s) => (s.step === 'key.generate' ? { ...s, actor: { name, role: 'custodian' as const }, token: { serial: '99999999', keyId }, digests: [{ label: 'root key fingerprint', sha256: fingerprint }] } : s));
    // Both sealed by Mallory's own key, as root transcripts (no date order is trusted, so their dates do not matter).
    const forgedA = await writeSample({ signer: mallory, steps: generate('Alice Custodian', malloryKey.fingerprint, malloryKey.keyId) });
    const forgedB = await writeSample({ signer: mallory, steps: generate('Mallory', aliceKey.fingerprint, aliceKey.keyId) });
    const malloryCosign = await writeSample({ signer: mallory, steps: [{ step: 'co-sign', actor: { name: 'Alice Custodian', role: 'co-signer' } }], header: { kind: 'co-sign' } });
    const files = { 'state/transcript.jsonl': root, 'z-forged-a.jsonl': forgedA, 'z-forged-b.jsonl': forgedB, 'alice-cosign.jsonl': cosign, 'mallory-cosign.jsonl': malloryCosign };
    for (const anchorKeys of [[adminKeyId], [adminKeyId, aliceKey.keyId], []]) {
      const listing = await listTranscripts(memoryFolder(files), { anchorKeys });
      const byName = new Map(listing.transcripts.map((t) => [t.name, t]));
      const alices = byName.get('alice-cosign.jsonl')!.seal;
      const mallorys = byName.get('mallory-cosign.jsonl')!.seal;
      expect(alices.state === 'sealed' && alices.holder?.name).toBe(anchorKeys.length ? 'Alice Custodian' : undefined);
      expect(mallorys.state === 'sealed' && mallorys.holder).toBe(undefined);
      expect(listing.holders.byFingerprint.get(malloryKey.fingerprint)).toBe(undefined);
    }
    // If the person enters Mallory's key as expected, the forged files are anchored too: Alice's key is then
    // shown as disputed, with both names, never silently renamed.
    const both = await listTranscripts(memoryFolder(files), { anchorKeys: [adminKeyId, malloryKey.keyId] });
    const disputed = both.holders.byFingerprint.get(aliceKey.fingerprint)!;
    expect(disputed.custodian).toBe(false);
    expect(disputed.name).toContain('disputed');
    expect(disputed.name).toContain('“Alice Custodian” in state/transcript.jsonl');
    expect(disputed.name).toContain('“Mallory” in z-forged-b.jsonl');
    // Only root transcripts name keys: a co-sign session with a key.generate step names nobody.
    const cosignNamer = await writeSample({ signer: admin, steps: generate('Mallory', aliceKey.fingerprint, aliceKey.keyId), header: { kind: 'co-sign' } });
    const sessionOnly = await listTranscripts(memoryFolder({ 'x.jsonl': cosignNamer, 'alice-cosign.jsonl': cosign }), { anchorKeys: [adminKeyId] });
    expect(sessionOnly.holders.byFingerprint.size).toBe(0);
    expect(sessionOnly.namers).toEqual([]);
  });

  test('an edited, cut or reordered transcript is listed as refused with its code, not hidden', async () => {
    const ls = lines(cosign);
    const edited = [...ls];
    edited[1] = edited[1]!.replace('co-signer', 'witness');
    // A root ceremony cut in its seal line (an interrupted ceremony); session transcripts, written whole,
    // cut anywhere: a sealed co-sign in its seal, an unsealed merge before its session.end, or in it.
    const cutRoot = root.subarray(0, root.length - 10);
    const cutCosign = cosign.subarray(0, cosign.length - 10);
    const mergeLines = lines(merge);
    const mergeNoEnd = join(mergeLines.slice(0, -1));
    const mergeCutEnd = merge.subarray(0, merge.length - 10);
    const rootLines = lines(root);
    const reordered = [rootLines[0]!, rootLines[2]!, rootLines[1]!, ...rootLines.slice(3)];
    const io = memoryFolder({
      'a.jsonl': join(edited),
      'b.jsonl': cutRoot,
      'c.jsonl': join(reordered),
      'd.jsonl': join([ls[0]!.replace('"formatVersion":1', '"formatVersion":9'), ...ls.slice(1)]),
      'e.jsonl': cutCosign,
      'f.jsonl': mergeNoEnd,
      'g.jsonl': mergeCutEnd,
    });
    const listing = await listTranscripts(io);
    const codes = Object.fromEntries(listing.transcripts.map((t) => [t.name, t.seal.state === 'refused' ? t.seal.code : t.seal.state]));
    // A cut root transcript is what an interrupted ceremony leaves: its verified prefix, unsealed and cut
    // short. A cut session transcript is refused (TRANSCRIPT_TRUNCATED), even an unsealed kind, and listed.
    expect(codes).toEqual({
      'a.jsonl': 'TRANSCRIPT_CHAIN_BROKEN',
      'b.jsonl': 'unsealed',
      'c.jsonl': 'TRANSCRIPT_SEQUENCE',
      'd.jsonl': 'TRANSCRIPT_MALFORMED',
      'e.jsonl': 'TRANSCRIPT_TRUNCATED',
      'f.jsonl': 'TRANSCRIPT_TRUNCATED',
      'g.jsonl': 'TRANSCRIPT_TRUNCATED',
    });
    expect(listing.transcripts.find((t) => t.name === 'b.jsonl')!.seal).toEqual({ state: 'unsealed', why: 'the chain is intact up to a last line cut short; no seal' });
    expect(listing.transcripts.find((t) => t.name === 'f.jsonl')).toMatchObject({ kind: 'merge', kindTitle: 'Merge of signatures' });
    expect(listing.transcripts.find((t) => t.name === 'd.jsonl')).toMatchObject({ kind: 'unknown', kindTitle: 'Unreadable transcript' });
    // The message is a sentence; where is on its own (the screens show it on its own line).
    for (const t of listing.transcripts) {
      if (t.seal.state !== 'refused') continue;
      expect(t.seal.message).not.toMatch(/\(at |\$[.[]/);
      expect(t.seal.path).toMatch(/^line \d+/);
    }
  });

  test('a transcript sealed by another key than the custodian’s names nobody; an unsealed one names no keys', async () => {
    const foreign = await writeSample({ signer: stranger, steps: [{ step: 'co-sign', actor: { name: 'Mallory', role: 'co-signer' } }], header: { kind: 'co-sign' } });
    // An unsealed "root" transcript claiming Alice's key for Mallory: not proven, so it names nobody.
    const claim = await writeSample({ steps: STEPS.map((s) => (s.step === 'key.generate' ? { ...s, actor: { name: 'Mallory', role: 'custodian' as const }, digests: [{ label: 'fingerprint', sha256: aliceKey.fingerprint }] } : s)) });
    const listing = await listTranscripts(memoryFolder({ 'x.jsonl': foreign, 'y.jsonl': claim, 'z.jsonl': cosign }));
    const z = listing.transcripts.find((t) => t.name === 'z.jsonl')!;
    expect(z.seal.state === 'sealed' && z.seal.holder).toBe(undefined);
    expect(listing.holders.byFingerprint.size).toBe(0);
  });

  test('never opens a secret/ folder, hidden folders or links, and stops at the depth cap', async () => {
    const io = memoryFolder({ 'secret/share-card-1-of-3.txt': enc.encode('SECRET'), 'secret/x.jsonl': cosign, '.hidden/y.jsonl': cosign, 'a/b/c/d/e/deep.jsonl': cosign, 'a/b/c/d/ok.jsonl': cosign }, ['link.jsonl']);
    const listing = await listTranscripts(io);
    expect(listing.transcripts.map((t) => t.name)).toEqual(['a/b/c/d/ok.jsonl']);
    expect(io.read_.filter((p) => p.startsWith('secret/') || p.startsWith('.hidden/') || p === 'link.jsonl')).toEqual([]);
  });

  test.each([
    ['more entries than the cap', { maxEntries: 3 }, 'INPUT_TOO_LARGE'],
    ['more transcripts than the cap', { maxTranscripts: 2 }, 'INPUT_TOO_LARGE'],
  ])('refuses a folder with %s (%s)', async (_what, opts, code) => {
    const io = memoryFolder({ 'a.jsonl': cosign, 'b.jsonl': cosign, 'c.jsonl': cosign, 'd.jsonl': cosign });
    await expect(listTranscripts(io, opts)).rejects.toMatchObject({ code });
  });

  test('yields between two files when asked (Electron main: setImmediate), so a queued task runs between two verifications; the listing is the same', async () => {
    const files = { 'a.jsonl': cosign, 'b.jsonl': cosign, 'c.jsonl': cosign, 'note.txt': enc.encode('not a transcript\n') };
    /** The reads and the ticks of a task that re-queues itself with setImmediate, in the order they happened. */
    async function observe(opts: Parameters<typeof listTranscripts>[1]) {
      const io = memoryFolder(files);
      const log: string[] = [];
      const read = io.read;
      io.read = async (rel, max) => {
        log.push(`read ${rel}`);
        return read(rel, max);
      };
      let done = false;
      const tick = () => {
        if (done) return;
        log.push('tick');
        setImmediate(tick);
      };
      setImmediate(tick);
      const listing = await listTranscripts(io, opts);
      done = true;
      // Between two reads (each followed at once by its verification): did the queued task run?
      const reads = log.flatMap((e, i) => (e.startsWith('read ') ? [i] : []));
      const ticked = reads.slice(1).map((at, k) => log.slice(reads[k]! + 1, at).includes('tick'));
      return { listing, ticked };
    }
    const plain = await observe({});
    // Control: an io that never leaves the microtask queue gives the queued task no turn between files.
    expect(plain.ticked).toEqual([false, false]);
    const yielding = await observe({ betweenFiles: yieldToEventLoop });
    expect(yielding.ticked).toEqual([true, true]);
    expect(yielding.listing).toEqual(plain.listing);
  });

  test('stops with INPUT_TOO_LARGE, naming the file, once the transcripts read pass the total cap', async () => {
    const io = memoryFolder({ 'a.jsonl': cosign, 'b.jsonl': cosign, 'c.jsonl': cosign });
    // Two transcripts fit, the third passes the cap: the listing stops, nothing half-listed is returned.
    const err = await listTranscripts(io, { maxTotalBytes: cosign.length * 2 + 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CeremonyError);
    expect(err).toMatchObject({ code: 'INPUT_TOO_LARGE', path: 'c.jsonl' });
    expect((err as Error).message).toMatch(/in all; choose a smaller folder/);
    // At the cap exactly, all three are listed.
    expect((await listTranscripts(io, { maxTotalBytes: cosign.length * 3 })).transcripts).toHaveLength(3);
  });

  test('a transcript whose name holds bidi or invisible characters is listed quoted and refused (review A #7)', async () => {
    const io = memoryFolder({ 'co-sign\u202Elmth.jsonl': cosign, 'a\u200Bb/x.jsonl': cosign, 'plain\u202E.txt': enc.encode('not a transcript\n') });
    const listing = await listTranscripts(io);
    expect(listing.otherFiles).toBe(1);
    expect(listing.transcripts.map((t) => [t.name, t.unshownName, t.kind, t.seal.state === 'refused' && t.seal.code])).toEqual([
      ['"a\\u200bb/x.jsonl"', true, 'co-sign', 'SCHEMA_INVALID'],
      ['"co-sign\\u202elmth.jsonl"', true, 'co-sign', 'SCHEMA_INVALID'],
    ]);
    for (const t of listing.transcripts) expect(t.name).not.toMatch(/[\u200b\u202e]/);
  });

  test('the head of a file that is not a transcript is zeroed once looked at', async () => {
    const heads: Uint8Array[] = [];
    const io = memoryFolder({ 'card.txt': enc.encode('TUFC-SHARE v1 not a transcript\n'), 'x.jsonl': cosign });
    const head = io.head;
    io.head = async (rel, n) => {
      const h = await head(rel, n);
      heads.push(h);
      return h;
    };
    const listing = await listTranscripts(io);
    expect(listing.otherFiles).toBe(1);
    expect(heads).toHaveLength(2);
    for (const h of heads) expect(h.every((b) => b === 0)).toBe(true);
  });

  test('a transcript over the size cap is listed as refused (INPUT_TOO_LARGE), its header still read', async () => {
    const io = memoryFolder({ 'big.jsonl': cosign });
    io.read = async () => {
      throw new CeremonyError('INPUT_TOO_LARGE', 'big.jsonl is over the cap');
    };
    const [item] = (await listTranscripts(io)).transcripts;
    expect(item).toMatchObject({ kind: 'co-sign', seal: { state: 'refused', code: 'INPUT_TOO_LARGE' } });
  });
});

describe('recogniseTranscriptHead', () => {
  test.each([
    ['an empty file', ''],
    ['no end of line', '{"format":"tuf-ceremony-transcript"}'],
    ['not JSON', 'hello\n'],
    ['a JSON array', '[1,2]\n'],
    ['metadata', '{"signed":{"_type":"root"},"signatures":[]}\n'],
    ['another format', '{"format":"other","type":"header"}\n'],
  ])('%s is not a transcript', (_what, text) => {
    expect(recogniseTranscriptHead(enc.encode(text))).toEqual({ transcript: false });
  });

  test('a header with the transcript format but a bad field is a transcript that is refused', () => {
    const r = recogniseTranscriptHead(enc.encode('{"format":"tuf-ceremony-transcript","type":"header"}\n'));
    expect(r.transcript).toBe(true);
    expect(r.transcript && r.refusal?.code).toBe('TRANSCRIPT_MALFORMED');
  });

  test('kinds in words; an unknown kind as written', () => {
    expect(transcriptKindTitle('root')).toBe('Root ceremony');
    expect(transcriptKindTitle('publish')).toBe('Publish');
    expect(transcriptKindTitle('future-kind')).toBe('future-kind');
  });
});
