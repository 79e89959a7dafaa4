/**
 * The kinds of session transcript (src/audit/session.ts) and how each is closed, apart from the writer so
 * the verifier (verify.ts) knows them without loading the signing code.
 */

/** The session kinds, as the header's `kind` names them. */
export type SessionKind = 'rotation-request' | 'co-sign' | 'merge' | 'import' | 'rehearsal-rotation' | 'publish' | 'certificate-renewal';

/** The last entry of an unsealed session transcript (SessionTranscript.end). */
export const SESSION_END_STEP = 'session.end';

/**
 * Session kinds whose transcript is always sealed (the signing key is at hand): a copy without its seal is
 * refused by `transcript verify`, even with `--allow-unsealed`.
 */
export const SEALED_SESSION_KINDS: ReadonlySet<string> = new Set<SessionKind>(['co-sign', 'rehearsal-rotation']);
/** Session kinds never sealed (no key of their own): they end with `session.end` instead. */
export const UNSEALED_SESSION_KINDS: ReadonlySet<string> = new Set<SessionKind>(['rotation-request', 'merge', 'import', 'publish', 'certificate-renewal']);

/**
 * A session transcript's file name in a sessions folder: the start time (UTC, `:` left out so the name is
 * valid on every file system), the kind and a random tail, so that every session has its own file and
 * names sort by time: `20261206T075648.123Z-import-3f9a1c2b.transcript.jsonl`.
 */
export function sessionFileName(kind: SessionKind, started: Date, random: string): string {
  if (!/^[0-9a-f]{8,32}$/.test(random)) throw new Error('sessionFileName: the random tail is 8 to 32 lower-case hex digits');
  const stamp = started.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${kind}-${random}${SESSION_FILE_SUFFIX}`;
}

export const SESSION_FILE_SUFFIX = '.transcript.jsonl';
