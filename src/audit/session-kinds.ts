/**
 * The kinds of session transcript (src/audit/session.ts) and how each is closed, apart from the writer so
 * the verifier (verify.ts) knows them without loading the signing code.
 */

/** The session kinds, as the header's `kind` names them. */
export type SessionKind = 'rotation-request' | 'co-sign' | 'merge' | 'import' | 'rehearsal-rotation' | 'publish';

/** The last entry of an unsealed session transcript (SessionTranscript.end). */
export const SESSION_END_STEP = 'session.end';

/**
 * Session kinds whose transcript is always sealed (the signing key is at hand): a copy without its seal is
 * refused by `transcript verify`, even with `--allow-unsealed`.
 */
export const SEALED_SESSION_KINDS: ReadonlySet<string> = new Set<SessionKind>(['co-sign', 'rehearsal-rotation']);
/** Session kinds never sealed (no key of their own): they end with `session.end` instead. */
export const UNSEALED_SESSION_KINDS: ReadonlySet<string> = new Set<SessionKind>(['rotation-request', 'merge', 'import', 'publish']);
