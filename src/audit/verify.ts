/**
 * Verify a transcript offline. Untrusted input, in this order: size cap → each line parsed strictly
 * (src/json/parse.ts) and required to be in canonical form → schema into new objects, unknown fields
 * refused (schema.ts) → the hash chain and the sequence → the seal's totals, key and signature.
 *
 * Each refusal has its own code (src/errors.ts, "transcript"), names the line and the JSON path, and for
 * the chain says which entry. An interrupted ceremony's transcript (no seal, perhaps a last line cut
 * short) is refused with TRANSCRIPT_NOT_SEALED / TRANSCRIPT_TRUNCATED unless `allowUnsealed`, which
 * returns the verified prefix with those findings in `problems` — what the renderer shows as "UNSEALED"
 * and what a resumed ceremony continues from.
 */
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { canonicalBytes } from '../json/canonical.js';
import { parseJsonStrict } from '../json/parse.js';
import { child } from '../json/fields.js';
import type { JsonValue } from '../json/types.js';
import { checkSeal } from './seal.js';
import { SEALED_SESSION_KINDS, SESSION_END_STEP, UNSEALED_SESSION_KINDS } from './session-kinds.js';
import { MAX_LINE_BYTES, MAX_TRANSCRIPT_BYTES, readRecord, recordHash } from './schema.js';
import type { SealedBy, TranscriptEntry, TranscriptHeader, TranscriptProblem, TranscriptSeal, VerifiedTranscript } from './types.js';

export interface VerifyTranscriptOptions {
  /** The key that must have sealed it: its TUF key ID, or its fingerprint (SHA-256 of the public key). */
  expectedSealKeyId?: string;
  /** Accept a transcript without a seal (and a last line cut short) as a verified prefix. */
  allowUnsealed?: boolean;
  /** Size cap of the whole file; MAX_TRANSCRIPT_BYTES by default. */
  maxBytes?: number;
}

const where = (line: number, path = '$') => `line ${line} ${path}`;

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parse one complete line (without its `\n`) into a record; every failure is TRANSCRIPT_MALFORMED but the size cap. */
function readLine(bytes: Uint8Array, line: number) {
  if (bytes.length > MAX_LINE_BYTES) {
    throw new CeremonyError('INPUT_TOO_LARGE', `line ${line} is ${bytes.length} bytes, over the cap of ${MAX_LINE_BYTES}`, { path: where(line) });
  }
  if (bytes.length === 0) throw new CeremonyError('TRANSCRIPT_MALFORMED', `line ${line} is empty`, { path: where(line) });
  let value: JsonValue;
  try {
    value = parseJsonStrict(bytes, { maxBytes: MAX_LINE_BYTES, path: where(line), maxDepth: 8 });
  } catch (err) {
    throw malformed(err, line);
  }
  // One spelling per record: the writer's. Any other (spaces, key order, escapes) is not ours.
  if (!bytesEqual(canonicalBytes(value, 'json'), bytes)) {
    throw new CeremonyError('TRANSCRIPT_MALFORMED', `line ${line} is not in canonical form (sorted keys, no whitespace, JSON escapes)`, { path: where(line) });
  }
  try {
    return readRecord(value, where(line));
  } catch (err) {
    throw malformed(err, line);
  }
}

function malformed(err: unknown, line: number): CeremonyError {
  if (!(err instanceof CeremonyError)) return new CeremonyError('INTERNAL', `line ${line} could not be read`, { cause: err });
  return new CeremonyError('TRANSCRIPT_MALFORMED', `line ${line}: ${messageWithoutPath(err)}`, { path: err.path ?? where(line), cause: err });
}

export function verifyTranscript(bytes: Uint8Array, opts: VerifyTranscriptOptions = {}): VerifiedTranscript {
  const maxBytes = opts.maxBytes ?? MAX_TRANSCRIPT_BYTES;
  if (bytes.length > maxBytes) {
    throw new CeremonyError('INPUT_TOO_LARGE', `the transcript is ${bytes.length} bytes, over the cap of ${maxBytes}`, { path: 'transcript' });
  }
  if (bytes.length === 0) throw new CeremonyError('TRANSCRIPT_TRUNCATED', 'the transcript is empty: it has no header', { path: where(1) });
  if (opts.expectedSealKeyId !== undefined && !/^[0-9a-f]{64}$/.test(opts.expectedSealKeyId)) {
    throw new CeremonyError('USAGE', 'the expected seal key must be a key ID or fingerprint: 64 lower-case hex digits');
  }

  const problems: TranscriptProblem[] = [];
  let header: TranscriptHeader | undefined;
  const entries: TranscriptEntry[] = [];
  const entryLines: number[] = [];
  let seal: TranscriptSeal | undefined;
  let sealLine = 0;

  // 1–2. Frame, cap and parse each complete line; a record's place decides which records are allowed.
  let start = 0;
  let line = 0;
  let validLength = 0;
  while (start < bytes.length) {
    line++;
    const nl = bytes.indexOf(0x0a, start);
    if (seal) {
      throw new CeremonyError('TRANSCRIPT_AFTER_SEAL', `line ${line} follows the seal (line ${sealLine}); nothing may be added after a transcript is sealed`, {
        path: where(line),
      });
    }
    if (nl < 0) {
      // A last line with no `\n`: the write was cut short (a crash mid-append), or the file was cut.
      if (bytes.length - start > MAX_LINE_BYTES) {
        throw new CeremonyError('INPUT_TOO_LARGE', `line ${line} is over the cap of ${MAX_LINE_BYTES} bytes`, { path: where(line) });
      }
      const message = `line ${line} is incomplete (${bytes.length - start} bytes with no end of line): the transcript was cut short`;
      if (!opts.allowUnsealed || !header) throw new CeremonyError('TRANSCRIPT_TRUNCATED', message, { path: where(line) });
      problems.push({ code: 'TRANSCRIPT_TRUNCATED', message, line });
      break;
    }
    const record = readLine(bytes.subarray(start, nl), line);
    if (line === 1) {
      if (record.type !== 'header') throw new CeremonyError('TRANSCRIPT_MALFORMED', 'line 1 must be the header record', { path: where(1, '$.type') });
      header = record;
    } else if (record.type === 'header') {
      throw new CeremonyError('TRANSCRIPT_MALFORMED', `line ${line} is a second header`, { path: where(line, '$.type') });
    } else if (record.type === 'entry') {
      entries.push(record);
      entryLines.push(line);
    } else {
      seal = record;
      sealLine = line;
    }
    start = nl + 1;
    validLength = start;
  }
  if (!header) throw new CeremonyError('TRANSCRIPT_TRUNCATED', 'the transcript has no complete header line', { path: where(1) });

  // 3. The chain: each record is what its hash says, and names the one before it.
  if (recordHash(header) !== header.hash) {
    throw new CeremonyError('TRANSCRIPT_CHAIN_BROKEN', 'the header does not match its hash: it was changed after it was written', { path: where(1, '$.hash') });
  }
  let last = header.hash;
  let lastTime = header.started;
  entries.forEach((entry, i) => {
    const at = entryLines[i]!;
    const expected = i + 1;
    if (entry.seq !== expected) {
      const missing = entry.seq - 1 > expected ? `entries ${expected}–${entry.seq - 1} are missing` : `entry ${expected} is missing`;
      const what = entry.seq < expected ? 'an entry is repeated, or entries are out of order' : `${missing}, or entries are out of order`;
      throw new CeremonyError('TRANSCRIPT_SEQUENCE', `line ${at} holds entry ${entry.seq} where entry ${expected} was expected: ${what}`, { path: where(at, '$.seq') });
    }
    if (recordHash(entry) !== entry.hash) {
      throw new CeremonyError('TRANSCRIPT_CHAIN_BROKEN', `entry ${entry.seq} (line ${at}) does not match its hash: it was changed after it was written`, {
        path: where(at, '$.hash'),
      });
    }
    if (entry.prev !== last) {
      const before = i === 0 ? 'the header' : `entry ${i}`;
      throw new CeremonyError('TRANSCRIPT_CHAIN_BROKEN', `entry ${entry.seq} (line ${at}) does not name the hash of ${before}: the chain is broken there`, {
        path: where(at, '$.prev'),
      });
    }
    if (entry.time < lastTime) {
      problems.push({ code: 'TRANSCRIPT_CLOCK', message: `entry ${entry.seq} is timed ${entry.time}, before the record above it (${lastTime}): the clock went back`, line: at });
    }
    last = entry.hash;
    lastTime = entry.time;
  });

  // 3b. Session transcripts (session.ts) are written whole, in one write, so a cut is never an
  // interruption: a line cut short, a missing seal (kinds always sealed) or a missing `session.end`
  // (kinds never sealed) is refused even with allowUnsealed.
  if (SEALED_SESSION_KINDS.has(header.kind) || UNSEALED_SESSION_KINDS.has(header.kind)) {
    const cut = problems.find((p) => p.code === 'TRANSCRIPT_TRUNCATED');
    if (cut) throw new CeremonyError('TRANSCRIPT_TRUNCATED', `${cut.message}; a ${header.kind} session transcript is written whole`, { path: where(cut.line ?? line) });
    if (!seal && SEALED_SESSION_KINDS.has(header.kind)) {
      throw new CeremonyError('TRANSCRIPT_NOT_SEALED', `a ${header.kind} session transcript is always sealed by the key that signed; this one has no seal: it was removed`);
    }
    if (!seal && UNSEALED_SESSION_KINDS.has(header.kind)) {
      const endAt = entries.findIndex((e) => e.step === SESSION_END_STEP);
      if (endAt < 0) {
        throw new CeremonyError('TRANSCRIPT_TRUNCATED', `a ${header.kind} session transcript ends with a ${SESSION_END_STEP} entry; this one ends at entry ${entries.length} without it: entries were cut off`, {
          path: where(entryLines[entries.length - 1] ?? 1),
        });
      }
      if (endAt !== entries.length - 1) {
        throw new CeremonyError('TRANSCRIPT_MALFORMED', `entry ${endAt + 1} ends the session, yet entries follow it`, { path: where(entryLines[endAt + 1]!, '$.step') });
      }
    }
  }

  // 4. The seal: its totals are this chain's, its key is what it says, its signature verifies.
  let sealedBy: SealedBy | undefined;
  let pinned = false;
  if (!seal) {
    const message = `the transcript has ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} and no seal: the ceremony was interrupted, or the seal was removed`;
    if (!opts.allowUnsealed) throw new CeremonyError('TRANSCRIPT_NOT_SEALED', message);
    problems.unshift({ code: 'TRANSCRIPT_NOT_SEALED', message });
  } else {
    const path = where(sealLine);
    if (seal.header !== header.hash) {
      throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', 'the seal names another header hash than this transcript has', { path: child(path, 'header') });
    }
    if (seal.entries !== entries.length) {
      throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', `the seal covers ${seal.entries} entries, the transcript has ${entries.length}: entries were removed or added`, {
        path: child(path, 'entries'),
      });
    }
    if (seal.last !== last) {
      throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', 'the seal names another last entry hash than the chain ends with', { path: child(path, 'last') });
    }
    sealedBy = checkSeal(seal, path);
    if (seal.time < lastTime) {
      problems.push({ code: 'TRANSCRIPT_CLOCK', message: `the seal is timed ${seal.time}, before the last entry (${lastTime}): the clock went back`, line: sealLine });
    }
    if (opts.expectedSealKeyId !== undefined) {
      if (opts.expectedSealKeyId !== sealedBy.keyId && opts.expectedSealKeyId !== sealedBy.fingerprint) {
        throw new CeremonyError(
          'TRANSCRIPT_SEAL_KEY_UNEXPECTED',
          `the transcript is sealed by key ${sealedBy.keyId.slice(0, 16)}… (fingerprint ${sealedBy.fingerprint.slice(0, 16)}…), not by the expected ${opts.expectedSealKeyId.slice(0, 16)}…`,
          { path: child(path, 'keyid') },
        );
      }
      pinned = true;
    }
  }

  return {
    header,
    entries,
    rehearsal: header.rehearsal,
    lastHash: last,
    sealed: seal !== undefined,
    seal,
    sealedBy,
    sealKeyPinned: pinned,
    problems,
    validLength,
  };
}
