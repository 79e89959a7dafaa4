/**
 * Free text cut to a cap, for fields whose schema counts UTF-16 code units (`string.length`: a transcript
 * note, src/audit/schema.ts NOTE_MAX_CHARS). One helper for the audit layer and the ceremony steps above
 * it, which both clip what they record.
 *
 * The cut never splits a surrogate pair: half a pair is a lone surrogate, which the schemas refuse as an
 * unshown character (src/json/fields.ts UNSHOWN_CHARS), so a note clipped mid-emoji would be refused.
 */

/**
 * `text` itself when it has at most `max` code units; otherwise its start and "…", `max` units at most —
 * so with no room even for the "…" (`max` below 1, e.g. a caller's budget used up by what it appends), "".
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (!(max >= 1)) return '';
  let end = Math.max(0, max - 1);
  // A high surrogate just before the cut would lose its low half: cut before it.
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
