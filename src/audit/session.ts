/**
 * Session transcripts (issue #16 point 9): every signing session after the root ceremony — a rotation
 * request made (`rotate`), a co-signature (`sign`), a merge (`merge`), an import (`import`), a rehearsal's
 * rotation — leaves a transcript beside its output, in the same format as the root ceremony's
 * (types.ts: header, hash-chained entries, seal), so `transcript verify` checks every one of them.
 *
 * A session is short and runs in one process, so its transcript is built in memory and written once, at
 * the end, atomically and never over an existing file (a session that fails leaves none; its output was
 * not written either).
 *
 * Which key seals it: the key that did the session's signing, while it is at hand — a co-signer's token key
 * (in the same login as the signature, so no second PIN) or the key rebuilt from share cards (before it is
 * wiped); in a rehearsal's rotation, the first custodian's rehearsal root key (the root transcript's seal
 * key). A session with no signing key of its own (`rotate` making a request, `merge`, `import`) is written
 * unsealed: hash-chained, so an edit, a cut or a reordering is still found, but whoever ran it is not
 * proven by it; `transcript verify --allow-unsealed` accepts it and says it is unsealed. Its outputs prove
 * themselves: a merged root verifies by its signatures, an import by the chain of roots.
 *
 * The header's `planHash` is the SHA-256 of what the session's people reviewed: the rotation plan
 * (`rotate`), the signing request (`sign`, `merge`), or the bundle or metadata imported (`import`).
 */
import { CeremonyError } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { listPublicKey } from '../signers/public-key-json.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import type { SigningKey } from '../signers/signing-key.js';
import { clipText } from '../json/clip.js';
import { UNSHOWN_CHARS_MULTILINE } from '../json/fields.js';
import { looksLikeKeyMaterial, MAX_FILES, MAX_WITNESSES, NAME_MAX_CHARS, NOTE_MAX_CHARS, readText } from './schema.js';
import { SESSION_END_STEP, type SessionKind } from './session-kinds.js';
import { memorySink, TranscriptWriter, type EntryInput, type FileInput, type HeaderInput } from './transcript.js';

/**
 * The session transcript of the output at `outputPath`: `<output>.transcript.jsonl` beside it (rotate,
 * sign, merge: sessions that write one output file or folder). Sessions with no output of their own
 * (import, publish) write into a sessions folder instead: sessionFileName.
 */
export function sessionTranscriptPath(outputPath: string): string {
  return `${outputPath}.transcript.jsonl`;
}


// The runs schema.ts looksLikeKeyMaterial refuses in free text: 40+ hex, or 40+ base64 characters mixing
// digits, upper- and lower-case letters.
const LONG_HEX_RUN = /[0-9a-fA-F]{40,}/g;
const LONG_B64_RUN = /[A-Za-z0-9+/=]{40,}/g;
const shorten = (run: string): string => `${run.slice(0, 16)}…`;

/**
 * Free text from elsewhere (a refusal's message, a server's answer) made fit for a transcript note: unshown
 * characters replaced, long runs (a hash, a key ID, anything the schema would take for key material)
 * shortened to their first 16 characters, clipped to NOTE_MAX_CHARS. What still looks like a secret to
 * the schema is dropped, leaving `fallback`.
 */
export function sessionNote(text: string, fallback: string, opts: { keep?: number } = {}): string {
  // `keep: 0` for text from a network peer: a long run there could be a token, so none of it is kept.
  const cut = opts.keep === 0 ? (): string => '…' : shorten;
  let s = text
    .replace(new RegExp(UNSHOWN_CHARS_MULTILINE.source, 'gu'), '?')
    .replace(LONG_HEX_RUN, cut)
    .replace(LONG_B64_RUN, (run) => (/[0-9]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run) ? cut(run) : run));
  s = clipText(s, NOTE_MAX_CHARS);
  return s.length === 0 || looksLikeKeyMaterial(s) ? fallback : s;
}


export interface SessionHeader {
  kind: SessionKind;
  profile: 'tuf' | 'notary';
  repository: string;
  /**
   * What was reviewed: its bytes (hashed here, not kept) — the rotation plan, the signing request, the
   * bundle — or their SHA-256 when the bytes are not at hand (a bundle already decoded, a folder's listing).
   */
  reviewed: Uint8Array | { sha256: string };
  rehearsal: boolean;
  appVersion?: string;
}

export { SEALED_SESSION_KINDS, SESSION_END_STEP, SESSION_FILE_SUFFIX, UNSEALED_SESSION_KINDS, sessionFileName, type SessionKind } from './session-kinds.js';

export const SESSION_APP_VERSION = '0.1.0';

/**
 * The optional witness line (`--witness NAME`, repeatable; the app's witness names): trimmed, blanks
 * dropped, each checked by the transcript's own rules for a name BEFORE the session does anything, so a
 * name the transcript would refuse never stops a session half way. A bad name is a usage error.
 */
export function checkSessionWitnesses(names: readonly string[] | undefined, flag = '--witness'): string[] {
  const out = (names ?? []).map((n) => n.trim()).filter((n) => n !== '');
  if (out.length > MAX_WITNESSES) throw new CeremonyError('USAGE', `${flag}: at most ${MAX_WITNESSES} witnesses are named (${out.length} given)`);
  out.forEach((n, i) => {
    try {
      readText(n, `${flag}[${i}]`, { max: NAME_MAX_CHARS });
    } catch (err) {
      throw new CeremonyError('USAGE', `${flag} ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return out;
}


/** schema.ts's cap on a step name (readSlug: lower-case words joined by "-" or ".", at most 64 characters). */
const STEP_MAX_CHARS = 64;

/**
 * The step name of the entries continuing STEP's files: `STEP.inputs.more` / `STEP.outputs.more`. A STEP
 * too long for the suffix is cut at a word boundary (a prefix of a valid step name, its trailing "." or "-"
 * dropped, is one too); the continuation's note names STEP in full.
 */
export function continuationStep(step: string, what: 'inputs' | 'outputs'): string {
  const suffix = `.${what}.more`;
  if (step.length + suffix.length <= STEP_MAX_CHARS) return `${step}${suffix}`;
  const head = step.slice(0, STEP_MAX_CHARS - suffix.length).replace(/[.-]+$/, '');
  return `${head || what}${suffix}`;
}

/** A session transcript being built in memory; `bytes()` once it is finished (sealed or not). */
export class SessionTranscript {
  private ended = false;

  private constructor(
    private readonly writer: TranscriptWriter,
    private readonly sink: ReturnType<typeof memorySink>,
  ) {}

  static async start(h: SessionHeader, now: () => Date = () => new Date()): Promise<SessionTranscript> {
    const sink = memorySink();
    const header: HeaderInput = { kind: h.kind, profile: h.profile, repository: h.repository, planHash: h.reviewed instanceof Uint8Array ? sha256Hex(h.reviewed) : h.reviewed.sha256, rehearsal: h.rehearsal, appVersion: h.appVersion ?? SESSION_APP_VERSION };
    return new SessionTranscript(await TranscriptWriter.start(sink, header, { now }), sink);
  }

  get planHash(): string {
    return this.writer.header.planHash;
  }

  /**
   * Append an entry; a long note is clipped to the transcript's note cap (schema.ts NOTE_MAX_CHARS).
   *
   * An entry may name more files than one entry holds (schema.ts MAX_FILES, the cap every reader applies to
   * untrusted transcripts): a merge of a 100-repository batch's or a large threshold's response files. It
   * is then written as several entries, in order and in the same hash chain: the entry itself with its
   * first MAX_FILES inputs and outputs (its note says how many there are in all), then `STEP.inputs.more`
   * and `STEP.outputs.more` entries by the same actor with the rest, MAX_FILES each, their notes saying
   * which files of how many they hold. So every file is recorded and the cap stays what it was. (The same
   * `.inputs.more` suffix as batch's own `merge.inputs` / `merge.inputs.more`, src/cli/batch.ts.) The
   * continuation steps' names are made before the first entry is written (continuationStep: always a
   * valid step name, whatever the length of STEP), so a split can never stop half-way and cut the
   * transcript short.
   */
  async append(entry: EntryInput): Promise<void> {
    const inputs = entry.inputs ?? [];
    const outputs = entry.outputs ?? [];
    if (inputs.length <= MAX_FILES && outputs.length <= MAX_FILES) return this.appendOne(entry);
    const more = { inputs: continuationStep(entry.step, 'inputs'), outputs: continuationStep(entry.step, 'outputs') };
    const spill = (files: readonly FileInput[], what: 'inputs' | 'outputs'): string => (files.length > MAX_FILES ? `${files.length} ${what}: the first ${MAX_FILES} here, the rest in the ${more[what]} entries that follow` : '');
    const counts = [spill(inputs, 'inputs'), spill(outputs, 'outputs')].filter(Boolean).join('; ');
    const note = entry.note !== undefined ? `${clipText(entry.note, NOTE_MAX_CHARS - counts.length - 3)} (${counts})` : counts;
    await this.appendOne({ ...entry, ...(entry.inputs ? { inputs: inputs.slice(0, MAX_FILES) } : {}), ...(entry.outputs ? { outputs: outputs.slice(0, MAX_FILES) } : {}), note });
    for (const [files, what] of [[inputs, 'inputs'], [outputs, 'outputs']] as const) {
      for (let at = MAX_FILES; at < files.length; at += MAX_FILES) {
        const part = files.slice(at, at + MAX_FILES);
        await this.appendOne({ step: more[what], actor: entry.actor, [what]: part, note: `${entry.step}, continued: ${what} ${at + 1}–${at + part.length} of ${files.length}` });
      }
    }
  }

  private async appendOne(entry: EntryInput): Promise<void> {
    const note = entry.note !== undefined ? clipText(entry.note, NOTE_MAX_CHARS) : undefined;
    await this.writer.append({ ...entry, ...(note !== undefined ? { note } : {}) });
  }

  /** Seal with `key` (listed as a TUF key: seal.ts). Returns the seal's key ID (`--seal-key`). */
  async seal(key: SigningKey): Promise<string> {
    const listed = listPublicKey('tuf', key.spki);
    const seal = await this.writer.seal(metadataSigner(key, listed));
    return seal.keyid;
  }

  get sealed(): boolean {
    return this.writer.sealed;
  }

  /**
   * Close an unsealed session: its last entry, `session.end`, with the outcome in words. A session
   * transcript is written whole, so `transcript verify` refuses an unsealed one that does not end with it
   * (entries cut off at a line boundary: TRANSCRIPT_TRUNCATED). What this does not do: prove who wrote it.
   * Anyone can write a new chain; only a seal by a known key says who.
   */
  async end(outcome: string): Promise<void> {
    if (this.writer.sealed) throw new CeremonyError('TRANSCRIPT_CLOSED', 'the session transcript is sealed; a sealed session has no end entry');
    await this.append({ step: SESSION_END_STEP, actor: { name: 'tuf-ceremony', role: 'app' }, note: sessionNote(outcome, 'session ended') });
    this.ended = true;
  }

  /** The finished file: sealed, or ended (`end`). */
  bytes(): Uint8Array {
    if (!this.writer.sealed && !this.ended) throw new CeremonyError('INTERNAL', 'a session transcript is written sealed or ended, never open');
    return this.sink.bytes();
  }
}
