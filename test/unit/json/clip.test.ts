/**
 * clipText (src/json/clip.ts): the one rule the audit layer (session notes) and the ceremony steps
 * (clipNote) clip free text by — at most `max` UTF-16 code units, "…" marking a cut, never half a
 * surrogate pair (which the transcript schema refuses as an unshown character).
 */
import { describe, expect, it } from 'vitest';
import { SessionTranscript, sessionNote } from '../../../src/audit/session.js';
import { NOTE_MAX_CHARS } from '../../../src/audit/schema.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { clipNote } from '../../../src/ceremony/steps/step.js';
import { clipText } from '../../../src/json/clip.js';
import { UNSHOWN_CHARS } from '../../../src/json/fields.js';

const face = '\u{1F600}'; // two code units
/** Words, so no run looks like key material to the transcript schema; NOTE_MAX_CHARS - 2 units. */
const words = 'word '.repeat(NOTE_MAX_CHARS).slice(0, NOTE_MAX_CHARS - 2);

describe('clipText', () => {
  const rows: [text: string, max: number, clipped: string][] = [
    ['', 0, ''],
    ['abc', 3, 'abc'],
    ['abcd', 3, 'ab…'],
    ['abcd', 1, '…'],
    // No room for the "…" itself: nothing, never over the cap (review-gaps6 L4).
    ['abcd', 0, ''],
    ['abcd', -3, ''],
    ['', -1, ''],
    [face, 1, '…'],
    // A pair that would be cut in half is left out whole.
    [`ab${face}cd`, 4, 'ab…'],
    [`ab${face}cd`, 5, `ab${face}…`],
    [`${face}${face}`, 2, '…'],
    [`${face}${face}`, 3, `${face}…`],
    [`${face}${face}`, 4, `${face}${face}`],
  ];
  it.each(rows)('%j at %i → %j', (text, max, clipped) => {
    expect(clipText(text, max)).toBe(clipped);
  });

  it('every cut of a text of pairs and single units: within the cap, a prefix, never a lone surrogate', () => {
    const text = `a${face}b${face}${face}c\u{10FFFF}d`;
    for (let max = -2; max <= text.length + 1; max++) {
      const c = clipText(text, max);
      expect(c.length, String(max)).toBeLessThanOrEqual(Math.max(0, max));
      expect(UNSHOWN_CHARS.test(c), String(max)).toBe(false);
      const kept = c === text || c === '' ? c : c.slice(0, -1);
      if (c !== text && max >= 1) expect(c.endsWith('…'), String(max)).toBe(true);
      expect(text.startsWith(kept), String(max)).toBe(true);
    }
  });

  it('clipNote and sessionNote clip by it, to the transcript cap', () => {
    const long = `${words}${face}tail`;
    expect(clipNote(long)).toBe(`${words}…`);
    expect(sessionNote(long, 'fallback')).toBe(`${words}…`);
  });

  it('a session note cut at an emoji is recorded and verifies (half a pair was refused by the schema)', async () => {
    const s = await SessionTranscript.start({ kind: 'import', profile: 'tuf', repository: 'app', reviewed: new TextEncoder().encode('bundle'), rehearsal: false }, () => new Date('2026-12-06T08:00:00.000Z'));
    const note = `${words}${face}tail`;
    await s.append({ step: 'import.verify', actor: { name: 'operator', role: 'operator' }, note });
    await s.end('installed');
    const v = verifyTranscript(s.bytes(), { allowUnsealed: true });
    expect(v.entries.find((e) => e.step === 'import.verify')?.note).toBe(`${words}…`);
  });
});
