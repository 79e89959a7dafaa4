/**
 * Writing a transcript as a ceremony goes: `TranscriptWriter.start` writes the header, `append` one
 * entry per step, `seal` the signature at the end. Each record is appended as one line to a sink that
 * makes it durable before resolving (src/io/append.ts: write + fsync), so an interruption leaves a valid,
 * unsealed prefix that `TranscriptWriter.resume` continues.
 *
 * The API takes only typed, non-secret fields — names, roles, serials, key IDs, SHA-256 digests, short
 * free text — never a payload to store: files are recorded by name and hash (pass `bytes` to have them
 * hashed here; the bytes are not kept). Every record is checked by the same schema the verifier uses
 * before a byte is written (schema.ts), so the writer cannot produce a transcript the verifier refuses.
 *
 * Never pass a PIN, a share or a private key as an "input" to hash: the hash of a short secret can be
 * searched for. Tests scan written transcripts for the secrets a ceremony handled
 * (test/support/secret-scan.ts).
 */
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { shortDigest, SHORT_DIGEST_BYTES } from '../crypto/digest-words.js';
import { sha256Hex } from '../crypto/digest.js';
import { child } from '../json/fields.js';
import type { JsonValue } from '../json/types.js';
import type { MetadataSigner } from '../tuf/sign.js';
import { makeSeal } from './seal.js';
import { MAX_LINE_BYTES, readEntry, readHeader, readSeal, recordHash, recordLine } from './schema.js';
import {
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_FORMAT_VERSION,
  type ActorRole,
  type TranscriptEntry,
  type TranscriptHeader,
  type TranscriptSeal,
  type VerifiedTranscript,
} from './types.js';

/** Where records go: `append` resolves once the line is durable (written and fsync'd for a file). */
export interface TranscriptSink {
  append(line: Uint8Array): Promise<void>;
}

export interface HeaderInput {
  kind: string;
  profile: 'tuf' | 'notary';
  repository: string;
  /** SHA-256 (hex) of the reviewed plan's intent. */
  planHash: string;
  rehearsal: boolean;
  appVersion: string;
}

/** A digest shown to people: give the SHA-256 (hex or bytes) or the bytes it is of. */
export type DigestInput = { label: string; shortBytes?: number } & ({ sha256: string | Uint8Array } | { bytes: Uint8Array });

/** A public input or output, by name: give its SHA-256 (hex), or its bytes to be hashed (not kept). */
export type FileInput = { name: string } & ({ sha256: string } | { bytes: Uint8Array });

export interface EntryInput {
  /** The ceremony step (`plan.review`, `token.check`, `root.sign`). */
  step: string;
  actor: { name: string; role: ActorRole };
  token?: { serial: string; label?: string; keyId?: string };
  digests?: DigestInput[];
  inputs?: FileInput[];
  outputs?: FileInput[];
  witnesses?: { name: string; confirmed: string }[];
  /** Short free text (NOTE_MAX_CHARS). Never key material: see schema.ts. */
  note?: string;
}

export interface TranscriptWriterOptions {
  /** The clock (injected so tests and rehearsals are reproducible). */
  now?: () => Date;
}

const ENTRY_INPUT = new Set(['step', 'actor', 'token', 'digests', 'inputs', 'outputs', 'witnesses', 'note']);
const HEADER_INPUT = new Set(['kind', 'profile', 'repository', 'planHash', 'rehearsal', 'appVersion']);
const ACTOR_INPUT = new Set(['name', 'role']);
const TOKEN_INPUT = new Set(['serial', 'label', 'keyId']);
const DIGEST_INPUT = new Set(['label', 'sha256', 'bytes', 'shortBytes']);
const FILE_INPUT = new Set(['name', 'sha256', 'bytes']);
const WITNESS_INPUT = new Set(['name', 'confirmed']);

function fieldInvalid(path: string, message: string): never {
  throw new CeremonyError('TRANSCRIPT_FIELD_INVALID', message, { path });
}

/** Refuse properties the API does not name: nothing rides along into the file by accident. */
function only<T>(value: T, known: ReadonlySet<string>, path: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fieldInvalid(path, 'expected an object');
  for (const key of Object.keys(value)) {
    if (!known.has(key)) fieldInvalid(child(path, key), `unknown field ${JSON.stringify(key)}: a transcript records only its typed fields`);
  }
  return value;
}

function list<T>(value: T[] | undefined, path: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fieldInvalid(path, 'expected an array');
  return value;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function fileRecord(f: FileInput, path: string): JsonValue {
  only(f, FILE_INPUT, path);
  const hasBytes = 'bytes' in f && f.bytes !== undefined;
  const hasHash = 'sha256' in f && f.sha256 !== undefined;
  if (hasBytes === hasHash) fieldInvalid(path, 'give either sha256 or bytes');
  if (hasBytes && !isBytes(f.bytes)) fieldInvalid(child(path, 'bytes'), 'expected bytes');
  return { name: f.name, sha256: hasBytes ? sha256Hex((f as { bytes: Uint8Array }).bytes) : (f as { sha256: string }).sha256 } as JsonValue;
}

function digestRecord(d: DigestInput, path: string): JsonValue {
  only(d, DIGEST_INPUT, path);
  const hasBytes = 'bytes' in d && d.bytes !== undefined;
  const hasHash = 'sha256' in d && d.sha256 !== undefined;
  if (hasBytes === hasHash) fieldInvalid(path, 'give either sha256 or bytes');
  let sha256: string | Uint8Array;
  if (hasBytes) {
    const bytes = (d as { bytes: unknown }).bytes;
    if (!isBytes(bytes)) fieldInvalid(child(path, 'bytes'), 'expected bytes');
    sha256 = sha256Hex(bytes);
  } else {
    sha256 = (d as { sha256: string | Uint8Array }).sha256;
    if (typeof sha256 !== 'string' && !isBytes(sha256)) fieldInvalid(child(path, 'sha256'), 'expected hex or bytes');
  }
  let short;
  try {
    short = shortDigest(sha256, d.shortBytes ?? SHORT_DIGEST_BYTES);
  } catch (err) {
    fieldInvalid(child(path, d.shortBytes === undefined ? 'sha256' : 'shortBytes'), (err as Error).message.replace(/^shortDigest: /, ''));
  }
  return { label: d.label, sha256: short.sha256, short: short.hex, words: short.words };
}

/** Build an entry record from the typed input, unchecked (the schema checks it next). */
function entryRecord(input: EntryInput, seq: number, prev: string, time: string): Record<string, JsonValue> {
  only(input, ENTRY_INPUT, '$');
  const actor = only(input.actor, ACTOR_INPUT, '$.actor');
  const record: Record<string, JsonValue> = {
    type: 'entry',
    seq,
    time,
    step: input.step,
    actor: { name: actor.name, role: actor.role },
    digests: list(input.digests, '$.digests').map((d, i) => digestRecord(d, child('$.digests', i))),
    inputs: list(input.inputs, '$.inputs').map((f, i) => fileRecord(f, child('$.inputs', i))),
    outputs: list(input.outputs, '$.outputs').map((f, i) => fileRecord(f, child('$.outputs', i))),
    witnesses: list(input.witnesses, '$.witnesses').map((w, i) => {
      only(w, WITNESS_INPUT, child('$.witnesses', i));
      return { name: w.name, confirmed: w.confirmed };
    }),
    prev,
  };
  if (input.token !== undefined) {
    const t = only(input.token, TOKEN_INPUT, '$.token');
    const token: Record<string, JsonValue> = { serial: t.serial };
    if (t.label !== undefined) token.label = t.label;
    if (t.keyId !== undefined) token.keyId = t.keyId;
    record.token = token;
  }
  if (input.note !== undefined) record.note = input.note;
  return record;
}

/**
 * Run the writer's record through the verifier's schema. A shape error is the caller's
 * (TRANSCRIPT_FIELD_INVALID); TRANSCRIPT_SECRET_REFUSED passes through as it is.
 */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CeremonyError && err.code === 'SCHEMA_INVALID') {
      throw new CeremonyError('TRANSCRIPT_FIELD_INVALID', messageWithoutPath(err), { path: err.path, cause: err });
    }
    throw err;
  }
}

/** recordHash ignores `hash`; a placeholder lets the schema check the record before it is hashed. */
function withHash(record: Record<string, JsonValue>): Record<string, JsonValue> {
  return { ...record, hash: '0'.repeat(64) };
}

function isoNow(now: () => Date): string {
  const d = now();
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new CeremonyError('TRANSCRIPT_FIELD_INVALID', 'the clock returned an invalid time');
  return d.toISOString();
}

/** Collects lines in memory: for rehearsals in tests and for rendering a transcript not yet on disk. */
export function memorySink(): TranscriptSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    append(line: Uint8Array) {
      chunks.push(Uint8Array.from(line));
      return Promise.resolve();
    },
    bytes() {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}

export class TranscriptWriter {
  private queue: Promise<unknown> = Promise.resolve();
  private failed = false;
  private sealRecord: TranscriptSeal | undefined;
  private readonly now: () => Date;

  private constructor(
    private readonly sink: TranscriptSink,
    readonly header: TranscriptHeader,
    private last: string,
    private count: number,
    opts: TranscriptWriterOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Write the header of a new transcript. */
  static async start(sink: TranscriptSink, input: HeaderInput, opts: TranscriptWriterOptions = {}): Promise<TranscriptWriter> {
    only(input, HEADER_INPUT, '$');
    const draft = withHash({
      type: 'header',
      format: TRANSCRIPT_FORMAT,
      formatVersion: TRANSCRIPT_FORMAT_VERSION,
      kind: input.kind,
      profile: input.profile,
      repository: input.repository,
      planHash: input.planHash,
      rehearsal: input.rehearsal,
      started: isoNow(opts.now ?? (() => new Date())),
      appVersion: input.appVersion,
    });
    const header = checked(() => readHeader(draft, '$'));
    header.hash = recordHash(header);
    await sink.append(recordLine(header));
    return new TranscriptWriter(sink, header, header.hash, 0, opts);
  }

  /**
   * Continue an interrupted, unsealed transcript: `verified` is verifyTranscript(bytes, { allowUnsealed:
   * true }) of the file, whose bytes past `verified.validLength` (a line cut short) the caller has removed.
   */
  static resume(sink: TranscriptSink, verified: VerifiedTranscript, opts: TranscriptWriterOptions = {}): TranscriptWriter {
    if (verified.sealed) throw new CeremonyError('TRANSCRIPT_CLOSED', 'the transcript is sealed; a sealed transcript is never appended to');
    return new TranscriptWriter(sink, verified.header, verified.lastHash, verified.entries.length, opts);
  }

  get headerHash(): string {
    return this.header.hash;
  }

  /** Hash of the last record written (the header's before the first entry). */
  get lastHash(): string {
    return this.last;
  }

  get entryCount(): number {
    return this.count;
  }

  get sealed(): boolean {
    return this.sealRecord !== undefined;
  }

  /** Append one entry; resolves with the record once it is durable. Calls are written in call order. */
  append(input: EntryInput): Promise<TranscriptEntry> {
    return this.enqueue(async () => {
      this.assertOpen();
      const draft = withHash(entryRecord(input, this.count + 1, this.last, isoNow(this.now)));
      const entry = checked(() => readEntry(draft, '$'));
      entry.hash = recordHash(entry);
      const line = recordLine(entry);
      if (line.length > MAX_LINE_BYTES) fieldInvalid('$', `the entry is ${line.length} bytes, over the line cap of ${MAX_LINE_BYTES}`);
      await this.write(line);
      this.last = entry.hash;
      this.count++;
      return entry;
    });
  }

  /**
   * Append several entries, in order, as one write made durable by one fsync: a group commit (issue #17:
   * the multi-repository ceremony records a group of repositories at once). Each entry is built, chained
   * and checked exactly as `append` would, all of them before a byte is written, so one invalid entry
   * writes none. Resolves with the records once all are durable. A crash during the write leaves what an
   * interrupted `append` leaves: whole lines, then perhaps one cut short, which resume removes
   * (src/io/append.ts) — every line that survives is an entry as valid as if appended alone.
   */
  appendAll(inputs: readonly EntryInput[]): Promise<TranscriptEntry[]> {
    return this.enqueue(async () => {
      this.assertOpen();
      const entries: TranscriptEntry[] = [];
      const lines: Uint8Array[] = [];
      let last = this.last;
      for (const input of inputs) {
        const draft = withHash(entryRecord(input, this.count + entries.length + 1, last, isoNow(this.now)));
        const entry = checked(() => readEntry(draft, '$'));
        entry.hash = recordHash(entry);
        const line = recordLine(entry);
        if (line.length > MAX_LINE_BYTES) fieldInvalid('$', `the entry is ${line.length} bytes, over the line cap of ${MAX_LINE_BYTES}`);
        entries.push(entry);
        lines.push(line);
        last = entry.hash;
      }
      if (!entries.length) return entries;
      const all = new Uint8Array(lines.reduce((n, l) => n + l.length, 0));
      let at = 0;
      for (const l of lines) {
        all.set(l, at);
        at += l.length;
      }
      await this.write(all);
      this.last = last;
      this.count += entries.length;
      return entries;
    });
  }

  /** Seal the transcript with `signer` (a token or software key). Nothing can be appended afterwards. */
  seal(signer: MetadataSigner): Promise<TranscriptSeal> {
    return this.enqueue(async () => {
      this.assertOpen();
      const seal = await makeSeal(signer, { header: this.header.hash, entries: this.count, last: this.last, time: isoNow(this.now) });
      checked(() => readSeal(seal as unknown as JsonValue, '$'));
      await this.write(recordLine(seal));
      this.sealRecord = seal;
      return seal;
    });
  }

  private assertOpen(): void {
    if (this.sealRecord) throw new CeremonyError('TRANSCRIPT_CLOSED', 'the transcript is sealed; nothing can be appended to it');
    if (this.failed) throw new CeremonyError('TRANSCRIPT_CLOSED', 'a write to the transcript failed; resume it from the file');
  }

  private async write(line: Uint8Array): Promise<void> {
    try {
      await this.sink.append(line);
    } catch (err) {
      // The line may be partly on disk: appending after it would corrupt the file. Resume re-reads it.
      this.failed = true;
      throw err;
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
