/**
 * A folder of session transcripts (src/audit/session.ts: the sessions folder an import or a publish writes
 * into, or any folder of `*.transcript.jsonl`), listed and summarised for people: meant for the Transcript
 * screen's list (no IPC channel or CLI command calls it yet). Each file is verified as `transcript verify
 * --allow-unsealed` verifies it;
 * one that does not verify is listed with its refusal (code and message), never skipped, so a damaged
 * transcript is seen rather than hidden.
 *
 * Pure: the folder is read through `SessionFolderReader` (src/io/session-files.ts is the node one).
 */
import { isCeremonyError } from '../errors.js';
import { MAX_TRANSCRIPT_BYTES } from './schema.js';
import { SESSION_END_STEP } from './session-kinds.js';
import { verifyTranscript } from './verify.js';

/** Names that end so are listed (session transcripts, and a ceremony's `transcript.jsonl`). */
export const TRANSCRIPT_SUFFIX = 'transcript.jsonl';
/** At most this many files are read from one folder (newest first by name); the rest are counted. */
export const SESSION_LIST_MAX = 1000;

export interface SessionFolderReader {
  /** The names of the files in `dir` (not recursive). */
  list(dir: string): Promise<string[]>;
  /** One file's bytes, read under `maxBytes` (INPUT_TOO_LARGE over it). */
  read(dir: string, name: string, maxBytes: number): Promise<Uint8Array>;
}

export interface SessionSummary {
  /** The file's name in the folder. */
  file: string;
  /** True when it verifies (sealed, or unsealed and complete as its kind requires). */
  verified: boolean;
  kind?: string;
  profile?: 'tuf' | 'notary';
  repository?: string;
  started?: string;
  rehearsal?: boolean;
  entries?: number;
  /** The steps in order (`import.verify`, `import.install`, `session.end`, …). */
  steps?: string[];
  sealed?: boolean;
  /** Who sealed it, when sealed: key ID and fingerprint (not compared with anything here). */
  sealedBy?: { keyId: string; fingerprint: string };
  /** Every witness named in it, once each, in order of appearance. */
  witnesses?: string[];
  /** True when a step of it is a refusal (`import.refused`, `publish.refused`). */
  refused?: boolean;
  /** The last entry's note: the session's outcome in words. */
  outcome?: string;
  /** Why it does not verify. */
  error?: { code: string; message: string };
}

/** Verify one transcript and say what it is; a refusal becomes `error`, never an exception. */
export function summariseSessionTranscript(file: string, bytes: Uint8Array): SessionSummary {
  try {
    const v = verifyTranscript(bytes, { allowUnsealed: true });
    const witnesses: string[] = [];
    for (const e of v.entries) for (const w of e.witnesses) if (!witnesses.includes(w.name)) witnesses.push(w.name);
    const last = v.entries[v.entries.length - 1];
    const outcome = last?.note;
    return {
      file,
      // An unsealed prefix of a ceremony (no session.end rule applies to it) is listed, not "verified".
      verified: v.sealed || last?.step === SESSION_END_STEP,
      kind: v.header.kind,
      profile: v.header.profile,
      repository: v.header.repository,
      started: v.header.started,
      rehearsal: v.header.rehearsal,
      entries: v.entries.length,
      steps: v.entries.map((e) => e.step),
      sealed: v.sealed,
      ...(v.sealedBy ? { sealedBy: { keyId: v.sealedBy.keyId, fingerprint: v.sealedBy.fingerprint } } : {}),
      witnesses,
      refused: v.entries.some((e) => e.step.endsWith('.refused')),
      ...(outcome !== undefined ? { outcome } : {}),
    };
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    return { file, verified: false, error: { code: err.code, message: err.message } };
  }
}

/**
 * The transcripts in `dir`, newest first (session file names begin with their start time), each verified
 * and summarised; at most `max` are read, `more` counts the others.
 */
export async function listSessionTranscripts(dir: string, reader: SessionFolderReader, max = SESSION_LIST_MAX): Promise<{ sessions: SessionSummary[]; more: number }> {
  const names = (await reader.list(dir)).filter((n) => n.endsWith(TRANSCRIPT_SUFFIX) && !n.startsWith('.')).sort().reverse();
  const sessions: SessionSummary[] = [];
  for (const name of names.slice(0, max)) {
    let bytes: Uint8Array;
    try {
      bytes = await reader.read(dir, name, MAX_TRANSCRIPT_BYTES);
    } catch (err) {
      if (!isCeremonyError(err)) throw err;
      sessions.push({ file: name, verified: false, error: { code: err.code, message: err.message } });
      continue;
    }
    sessions.push(summariseSessionTranscript(name, bytes));
  }
  return { sessions, more: Math.max(0, names.length - max) };
}
