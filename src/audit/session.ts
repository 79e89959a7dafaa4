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
import { sha256Hex } from '../crypto/digest.js';
import { listPublicKey } from '../signers/public-key-json.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import type { SigningKey } from '../signers/signing-key.js';
import { NOTE_MAX_CHARS } from './schema.js';
import { memorySink, TranscriptWriter, type EntryInput, type HeaderInput } from './transcript.js';

/** The session transcript of the output at `outputPath`: `<output>.transcript.jsonl` beside it. */
export function sessionTranscriptPath(outputPath: string): string {
  return `${outputPath}.transcript.jsonl`;
}

/** The session kinds, as the header's `kind` names them. */
export type SessionKind = 'rotation-request' | 'co-sign' | 'merge' | 'import' | 'rehearsal-rotation' | 'publish';

export interface SessionHeader {
  kind: SessionKind;
  profile: 'tuf' | 'notary';
  repository: string;
  /** The bytes reviewed (hashed here, not kept): the rotation plan, the signing request, the bundle. */
  reviewed: Uint8Array;
  rehearsal: boolean;
  appVersion?: string;
}

export const SESSION_APP_VERSION = '0.1.0';

/** A session transcript being built in memory; `bytes()` once it is finished (sealed or not). */
export class SessionTranscript {
  private constructor(
    private readonly writer: TranscriptWriter,
    private readonly sink: ReturnType<typeof memorySink>,
  ) {}

  static async start(h: SessionHeader, now: () => Date = () => new Date()): Promise<SessionTranscript> {
    const sink = memorySink();
    const header: HeaderInput = { kind: h.kind, profile: h.profile, repository: h.repository, planHash: sha256Hex(h.reviewed), rehearsal: h.rehearsal, appVersion: h.appVersion ?? SESSION_APP_VERSION };
    return new SessionTranscript(await TranscriptWriter.start(sink, header, { now }), sink);
  }

  get planHash(): string {
    return this.writer.header.planHash;
  }

  /** Append an entry; a long note is clipped to the transcript's note cap (schema.ts NOTE_MAX_CHARS). */
  async append(entry: EntryInput): Promise<void> {
    const note = entry.note !== undefined && entry.note.length > NOTE_MAX_CHARS ? `${entry.note.slice(0, NOTE_MAX_CHARS - 1)}…` : entry.note;
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

  bytes(): Uint8Array {
    return this.sink.bytes();
  }
}
