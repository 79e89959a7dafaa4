import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError, type ErrorCode } from '../../../src/errors.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { makeSeal } from '../../../src/audit/seal.js';
import { recordHash } from '../../../src/audit/schema.js';
import type { TranscriptEntry, TranscriptHeader } from '../../../src/audit/types.js';
import type { JsonObject } from '../../../src/json/types.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { join, line, lines, parse, rechain, rehash, writeSample } from './fixtures.js';

let key: TestKey;
let other: TestKey;
let edKey: TestKey;
let sealed: Uint8Array;
let L: string[];

beforeAll(async () => {
  [key, other, edKey] = await Promise.all([makeKey('tuf', 'ecdsa-p256'), makeKey('tuf', 'ecdsa-p256'), makeKey('tuf', 'ed25519')]);
  sealed = await writeSample({ signer: key });
  L = lines(sealed);
});

function codeOf(fn: () => unknown): { code: ErrorCode; path: string | undefined; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof CeremonyError) return { code: err.code, path: err.path, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Edit one record in place (by line index, 0 = header), optionally re-hashing it. */
function edit(ls: string[], index: number, change: (o: JsonObject) => void, opts: { rehash?: boolean } = {}): string[] {
  const out = [...ls];
  const o = parse(out[index]!);
  change(o);
  out[index] = line(opts.rehash ? rehash(o) : o);
  return out;
}

/** Re-seal a transcript's lines (without its seal) with `signer`: what a forger holding some key could do. */
async function reseal(ls: string[], signer: TestKey): Promise<string[]> {
  const body = ls.filter((l) => parse(l).type !== 'seal');
  const header = parse(body[0]!) as unknown as TranscriptHeader;
  const entries = body.slice(1).map((l) => parse(l) as unknown as TranscriptEntry);
  const last = entries.length ? entries[entries.length - 1]!.hash : header.hash;
  const seal = await makeSeal(signer, { header: header.hash, entries: entries.length, last, time: '2025-05-06T10:00:00.000Z' });
  return [...body, line(seal as unknown as JsonObject)];
}

describe('verifyTranscript: a sealed transcript', () => {
  it('verifies: entries, rehearsal flag, who sealed, no problems', () => {
    const t = verifyTranscript(sealed);
    expect(t.entries.map((e) => e.step)).toEqual(['plan.review', 'token.check', 'key.generate', 'token.check', 'root.sign', 'ceremony.export']);
    expect(t.rehearsal).toBe(true);
    expect(t.sealed).toBe(true);
    expect(t.sealedBy).toMatchObject({ keyId: expect.stringMatching(/^[0-9a-f]{64}$/), fingerprint: key.key.fingerprint, keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256' });
    expect(t.problems).toEqual([]);
    expect(t.validLength).toBe(sealed.length);
    expect(t.sealKeyPinned).toBe(false);
  });

  it('pins the sealing key by key ID or by fingerprint', () => {
    const keyId = verifyTranscript(sealed).sealedBy!.keyId;
    expect(verifyTranscript(sealed, { expectedSealKeyId: keyId }).sealKeyPinned).toBe(true);
    expect(verifyTranscript(sealed, { expectedSealKeyId: key.key.fingerprint }).sealKeyPinned).toBe(true);
  });

  it('accepts Ed25519 and other key types as the sealing key', async () => {
    const bytes = await writeSample({ signer: edKey });
    expect(verifyTranscript(bytes).sealedBy).toMatchObject({ keytype: 'ed25519', scheme: 'ed25519', fingerprint: edKey.key.fingerprint });
  });

  it('the record hash is SHA-256 of the TUF canonical JSON without `hash`, and genesis prev is the header hash', () => {
    const t = verifyTranscript(sealed);
    expect(t.entries[0]!.prev).toBe(t.header.hash);
    expect(recordHash(t.entries[2]!)).toBe(t.entries[2]!.hash);
    expect(t.entries[3]!.prev).toBe(t.entries[2]!.hash);
  });
});

describe('verifyTranscript: tampering, each with its code', () => {
  // Lines: 0 header, 1–6 entries 1–6, 7 seal.
  const cases: { name: string; make: () => Promise<string[] | Uint8Array> | string[] | Uint8Array; code: ErrorCode; path?: RegExp; opts?: { expectedSealKeyId?: string } }[] = [
    { name: 'edit a field in entry 3', make: () => edit(L, 3, (o) => void ((o.actor as JsonObject).name = 'Mallory')), code: 'TRANSCRIPT_CHAIN_BROKEN', path: /^line 4 \$\.hash$/ },
    { name: 'edit entry 3 and re-hash it', make: () => edit(L, 3, (o) => void ((o.actor as JsonObject).name = 'Mallory'), { rehash: true }), code: 'TRANSCRIPT_CHAIN_BROKEN', path: /^line 5 \$\.prev$/ },
    { name: 'edit entry 3 and re-chain everything after it', make: () => rechain(edit(L, 3, (o) => void ((o.actor as JsonObject).name = 'Mallory'))), code: 'TRANSCRIPT_SEAL_INVALID', path: /^line 8 \$\.last$/ },
    { name: 'flip the rehearsal flag in the header', make: () => edit(L, 0, (o) => void (o.rehearsal = false)), code: 'TRANSCRIPT_CHAIN_BROKEN', path: /^line 1 \$\.hash$/ },
    { name: 'flip the rehearsal flag and re-chain', make: () => rechain(edit(L, 0, (o) => void (o.rehearsal = false))), code: 'TRANSCRIPT_SEAL_INVALID', path: /^line 8 \$\.header$/ },
    { name: 'drop an entry', make: () => L.filter((_, i) => i !== 3), code: 'TRANSCRIPT_SEQUENCE', path: /^line 4 \$\.seq$/ },
    { name: 'drop the last entry, keep the seal', make: () => L.filter((_, i) => i !== 6), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.entries$/ },
    { name: 'reorder two entries', make: () => [L[0]!, L[1]!, L[3]!, L[2]!, ...L.slice(4)], code: 'TRANSCRIPT_SEQUENCE', path: /^line 3 \$\.seq$/ },
    { name: 'duplicate an entry', make: () => [...L.slice(0, 4), L[3]!, ...L.slice(4)], code: 'TRANSCRIPT_SEQUENCE', path: /^line 5 \$\.seq$/ },
    {
      name: 'append an entry after the seal',
      make: () => {
        const e6 = parse(L[6]!);
        return [...L, line(rehash({ ...e6, seq: 7, prev: e6.hash!, note: 'added later' }))];
      },
      code: 'TRANSCRIPT_AFTER_SEAL',
      path: /^line 9 \$$/,
    },
    { name: 'a second seal', make: () => [...L, L[7]!], code: 'TRANSCRIPT_AFTER_SEAL' },
    { name: 'garbage after the seal', make: () => [...L, 'not json'], code: 'TRANSCRIPT_AFTER_SEAL' },
    { name: 'remove the seal', make: () => L.slice(0, 7), code: 'TRANSCRIPT_NOT_SEALED' },
    { name: "swap the seal's key (and key ID) for another key", make: () => edit(L, 7, (o) => void Object.assign(o, { key: { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pemOf(other) } }, keyid: other.keyId })), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.sig$/ },
    { name: "swap the seal's key, keep its key ID", make: () => edit(L, 7, (o) => void (o.key = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pemOf(other) } })), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.keyid$/ },
    { name: 'a seal key that is not a key', make: () => edit(L, 7, (o) => void (o.key = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: 'nope' } })), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.key/ },
    { name: 'corrupt the signature', make: () => edit(L, 7, (o) => void (o.sig = flipHex(o.sig as string, 20))), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.sig$/ },
    { name: 'a signature that is not DER', make: () => edit(L, 7, (o) => void (o.sig = 'ab'.repeat(64))), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.sig$/ },
    { name: 'change the seal time', make: () => edit(L, 7, (o) => void (o.time = '2025-05-06T09:59:59.000Z')), code: 'TRANSCRIPT_SEAL_INVALID', path: /\$\.sig$/ },
    { name: 're-sealed by another key, when the sealing key is pinned', make: async () => reseal(L, other), code: 'TRANSCRIPT_SEAL_KEY_UNEXPECTED', opts: { expectedSealKeyId: '' } },
    { name: 'truncate mid-line (in the seal)', make: () => sealed.subarray(0, sealed.length - 40), code: 'TRANSCRIPT_TRUNCATED', path: /^line 8 \$$/ },
    { name: 'truncate mid-line (in entry 4)', make: () => join(L.slice(0, 5)).subarray(0, join(L.slice(0, 5)).length - 10), code: 'TRANSCRIPT_TRUNCATED', path: /^line 5 \$$/ },
    { name: 'an empty file', make: () => new Uint8Array(0), code: 'TRANSCRIPT_TRUNCATED' },
    { name: 'an unknown field in an entry', make: () => rechain(edit(L, 2, (o) => void (o.extra = 'x'))), code: 'TRANSCRIPT_MALFORMED', path: /^line 3 \$\.extra$/ },
    { name: 'an unknown field in the header', make: () => edit(L, 0, (o) => void (o.operator = 'x')), code: 'TRANSCRIPT_MALFORMED', path: /^line 1 \$\.operator$/ },
    { name: 'an unknown field in the seal', make: () => edit(L, 7, (o) => void (o.comment = 'x')), code: 'TRANSCRIPT_MALFORMED', path: /^line 8 \$\.comment$/ },
    { name: 'an unknown record type', make: () => [...L.slice(0, 7), line({ type: 'memo' }), L[7]!], code: 'TRANSCRIPT_MALFORMED', path: /^line 8 \$\.type$/ },
    { name: 'a field of the wrong type', make: () => edit(L, 2, (o) => void (o.seq = '2')), code: 'TRANSCRIPT_MALFORMED', path: /^line 3 \$\.seq$/ },
    { name: 'words that are not the short hash', make: () => edit(L, 1, (o) => void (((o.digests as JsonObject[])[0]!.words as string[])[0] = 'aardvark')), code: 'TRANSCRIPT_MALFORMED', path: /^line 2 \$\.digests\[0\]\.words$/ },
    { name: 'a short hash that is not a prefix of the SHA-256', make: () => edit(L, 1, (o) => void ((o.digests as JsonObject[])[0]!.short = '00000000')), code: 'TRANSCRIPT_MALFORMED' },
    { name: 'a note holding a private key', make: () => rechain(edit(L, 2, (o) => void (o.note = '-----BEGIN PRIVATE KEY-----'))), code: 'TRANSCRIPT_MALFORMED', path: /^line 3 \$\.note$/ },
    { name: 'a format version this tool does not read', make: () => edit(L, 0, (o) => void (o.formatVersion = 2)), code: 'TRANSCRIPT_MALFORMED', path: /^line 1 \$\.formatVersion$/ },
    { name: 'an entry first', make: () => L.slice(1), code: 'TRANSCRIPT_MALFORMED', path: /^line 1 \$/ },
    { name: 'a second header', make: () => [L[0]!, L[0]!, ...L.slice(1)], code: 'TRANSCRIPT_MALFORMED', path: /^line 2 / },
    { name: 'not canonical: a space', make: () => [L[0]!.replace('{', '{ '), ...L.slice(1)], code: 'TRANSCRIPT_MALFORMED', path: /^line 1 \$$/ },
    { name: 'not canonical: CRLF line ends', make: () => new TextEncoder().encode(L.map((l) => `${l}\r\n`).join('')), code: 'TRANSCRIPT_MALFORMED' },
    { name: 'not canonical: an escaped character', make: () => [L[0]!, L[1]!.replace('"Ana Admin"', '"Ana\\u0020Admin"'), ...L.slice(2)], code: 'TRANSCRIPT_MALFORMED', path: /^line 2 \$$/ },
    { name: 'a duplicate key', make: () => [L[0]!.replace('{', '{"type":"header",'), ...L.slice(1)], code: 'TRANSCRIPT_MALFORMED', path: /^line 1 \$\.type$/ },
    { name: 'an empty line', make: () => [L[0]!, '', ...L.slice(1)], code: 'TRANSCRIPT_MALFORMED', path: /^line 2 \$$/ },
    { name: 'not JSON', make: () => new TextEncoder().encode('this is not a transcript\n'), code: 'TRANSCRIPT_MALFORMED', path: /^line 1 \$$/ },
    { name: 'not UTF-8', make: () => Uint8Array.from([0xff, 0xfe, 0x7b, 0x7d, 0x0a]), code: 'TRANSCRIPT_MALFORMED' },
    { name: 'an oversized line', make: () => [L[0]!, `"${'x'.repeat(130 * 1024)}"`, ...L.slice(1)], code: 'INPUT_TOO_LARGE', path: /^line 2 \$$/ },
    { name: 'an oversized last line with no end', make: () => new TextEncoder().encode(`${L[0]}\n${'x'.repeat(130 * 1024)}`), code: 'INPUT_TOO_LARGE' },
    { name: 'an oversized file', make: () => new Uint8Array(16 * 1024 * 1024 + 1).fill(0x0a), code: 'INPUT_TOO_LARGE', path: /^transcript$/ },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const made = await c.make();
      const bytes = made instanceof Uint8Array ? made : join(made);
      const opts = c.opts?.expectedSealKeyId === '' ? { expectedSealKeyId: key.key.fingerprint } : c.opts;
      const r = codeOf(() => verifyTranscript(bytes, opts));
      expect(r.code, r.message).toBe(c.code);
      if (c.path) expect(r.path, r.message).toMatch(c.path);
    });
  }

  it('re-sealed by another key verifies when nothing is pinned: the auditor must compare the fingerprint', async () => {
    const t = verifyTranscript(join(await reseal(L, other)));
    expect(t.sealedBy!.fingerprint).toBe(other.key.fingerprint);
    expect(t.sealKeyPinned).toBe(false);
  });

  it('messages say which entry', () => {
    expect(codeOf(() => verifyTranscript(join(edit(L, 3, (o) => void (o.note = 'x'))))).message).toMatch(/^entry 3 \(line 4\) does not match its hash/);
    expect(codeOf(() => verifyTranscript(join(L.filter((_, i) => i !== 3))))).toMatchObject({ message: expect.stringMatching(/^line 4 holds entry 4 where entry 3 was expected: entry 3 is missing, or entries are out of order/) });
  });

  it('a clock that goes back is reported, not refused', async () => {
    const ls = rechain(edit(L, 4, (o) => void (o.time = '2025-05-06T08:00:00.000Z')));
    const t = verifyTranscript(join(await reseal(ls, key)));
    expect(t.problems).toEqual([expect.objectContaining({ code: 'TRANSCRIPT_CLOCK', line: 5 })]);
  });
});

describe('verifyTranscript: any single-byte change anywhere is detected', () => {
  /** Deterministic PRNG (mulberry32), so a failure names a reproducible position and value. */
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (const [name, which] of [
    ['ECDSA P-256 seal', () => sealed],
    ['Ed25519 seal', async () => writeSample({ signer: edKey, steps: undefined })],
  ] as const) {
    it(`${name}: every position, flipped, replaced at random, deleted`, { timeout: 120_000 }, async () => {
      const bytes = await which();
      const rand = rng(0x5eed);
      const survivors: string[] = [];
      const check = (mutated: Uint8Array, what: string) => {
        try {
          verifyTranscript(mutated);
          survivors.push(what);
        } catch (err) {
          if (!(err instanceof CeremonyError) || err.code === 'INTERNAL') survivors.push(`${what}: ${String(err)}`);
        }
      };
      for (let i = 0; i < bytes.length; i++) {
        const flipped = Uint8Array.from(bytes);
        flipped[i]! ^= 0x01;
        check(flipped, `flip bit 0 at ${i}`);
        const replaced = Uint8Array.from(bytes);
        let v = Math.floor(rand() * 256);
        if (v === bytes[i]) v = (v + 1) & 0xff;
        replaced[i] = v;
        check(replaced, `byte ${v} at ${i}`);
        check(Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + 1)]), `delete at ${i}`);
      }
      expect(survivors).toEqual([]);
    });
  }
});

describe('verifyTranscript: an interrupted ceremony', () => {
  it('an unsealed transcript is refused unless allowUnsealed, which returns the verified prefix', async () => {
    const bytes = await writeSample();
    expect(codeOf(() => verifyTranscript(bytes)).code).toBe('TRANSCRIPT_NOT_SEALED');
    const t = verifyTranscript(bytes, { allowUnsealed: true });
    expect(t.sealed).toBe(false);
    expect(t.entries).toHaveLength(6);
    expect(t.problems.map((p) => p.code)).toEqual(['TRANSCRIPT_NOT_SEALED']);
  });

  it('every line-boundary prefix verifies as unsealed (a ceremony interrupted after any step)', () => {
    for (let n = 1; n <= 7; n++) {
      const t = verifyTranscript(join(L.slice(0, n)), { allowUnsealed: true });
      expect(t.entries).toHaveLength(n - 1);
      expect(t.sealed).toBe(false);
    }
  });

  it('a last line cut short is reported with allowUnsealed, and validLength ends before it', () => {
    const whole = join(L.slice(0, 4));
    const cut = join(L.slice(0, 5)).subarray(0, whole.length + 25);
    expect(codeOf(() => verifyTranscript(cut)).code).toBe('TRANSCRIPT_TRUNCATED');
    const t = verifyTranscript(cut, { allowUnsealed: true });
    expect(t.entries).toHaveLength(3);
    expect(t.validLength).toBe(whole.length);
    expect(t.problems.map((p) => p.code)).toEqual(['TRANSCRIPT_NOT_SEALED', 'TRANSCRIPT_TRUNCATED']);
  });

  it('a header cut short is never a prefix', () => {
    expect(codeOf(() => verifyTranscript(join(L).subarray(0, 30), { allowUnsealed: true })).code).toBe('TRANSCRIPT_TRUNCATED');
  });

  it('allowUnsealed does not excuse a broken chain', () => {
    expect(codeOf(() => verifyTranscript(join(L.filter((_, i) => i !== 2 && i !== 7)), { allowUnsealed: true })).code).toBe('TRANSCRIPT_SEQUENCE');
  });
});

function flipHex(hex: string, at: number): string {
  const c = hex[at] === '0' ? '1' : '0';
  return hex.slice(0, at) + c + hex.slice(at + 1);
}

function pemOf(k: TestKey): string {
  return (k.json.keyval as JsonObject).public as string;
}
