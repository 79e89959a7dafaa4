/**
 * One table of the characters that hide or reorder shown text (src/json/fields.ts UNSHOWN_CHARS), run
 * against every place that refuses or escapes them: checkShownText / isShownText / quoteShown (names in
 * plans and reviews), fileNameProblem (file names in IPC requests, electron/shared/schemas.ts) and
 * libraryPathProblem (PKCS#11 library paths, electron/main/module-choices.ts) and StrictReader.text (plans
 * and site bindings, src/ceremony/read.ts). A class missing from any of them fails here.
 */
import { describe, expect, it } from 'vitest';
import { libraryPathProblem } from '../../../electron/main/module-choices.js';
import { StrictReader } from '../../../src/ceremony/read.js';
import { fileNameProblem } from '../../../electron/shared/schemas.js';
import { isCeremonyError } from '../../../src/errors.js';
import { checkShownText, isShownText, quoteShown, shownOrQuoted } from '../../../src/json/fields.js';

const UNSHOWN: [string, string[]][] = [
  ['C0 controls (NUL, TAB, LF, ESC)', ['\u0000', '\t', '\n', '\u001b', '\u001f']],
  ['DEL', ['\u007f']],
  ['C1 controls (U+0085 NEL, U+009B CSI)', ['\u0080', '\u0085', '\u009b', '\u009f']],
  ['Arabic letter mark', ['\u061c']],
  ['zero-width space, non-joiner, joiner', ['\u200b', '\u200c', '\u200d']],
  ['left-to-right and right-to-left marks', ['\u200e', '\u200f']],
  ['line and paragraph separators', ['\u2028', '\u2029']],
  ['bidi embeddings and overrides', ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e']],
  ['word joiner and invisible operators', ['\u2060', '\u2061', '\u2062', '\u2063', '\u2064']],
  ['bidi isolates', ['\u2066', '\u2067', '\u2068', '\u2069']],
  ['deprecated format controls', ['\u206a', '\u206f']],
  ['byte-order mark (zero-width no-break space)', ['\ufeff']],
  ['lone surrogates', ['\ud800', '\udfff']],
];
// Plans and site bindings (src/ceremony/read.ts).
const plans = new StrictReader('PLAN_INVALID');
const SHOWN = ['a', ' ', '~', '\u00a0', 'é', '\u0600', '\u200a', '\u2010', '\u2065', '\u2070', '\ufefe', '\ufffd', '😀', '\ud83d\ude00'];

describe('characters that hide or reorder shown text: one rule, every user', () => {
  for (const [what, chars] of UNSHOWN) {
    it(`refused or escaped everywhere: ${what}`, () => {
      for (const ch of chars) {
        const hex = ch.charCodeAt(0).toString(16).padStart(4, '0');
        const text = `ab${ch}c`;
        expect(isShownText(text), hex).toBe(false);
        expect(() => checkShownText(text, '$.name', 64)).toThrow();
        try {
          checkShownText(text, '$.name', 64);
        } catch (e) {
          expect(isCeremonyError(e, 'SCHEMA_INVALID') && e.message.includes(`U+${hex.toUpperCase()}`), hex).toBe(true);
        }
        // Escaped so that nothing of it reaches a terminal raw.
        const quoted = quoteShown(text);
        expect(quoted.includes(ch), hex).toBe(false);
        expect(JSON.parse(quoted), hex).toBe(text);
        expect(shownOrQuoted(text), hex).toBe(quoted);
        expect(fileNameProblem(`dir/${text}.json`), hex).toMatch(/control, bidirectional or invisible/);
        expect(libraryPathProblem(`/usr/lib/${text}.so`), hex).toMatch(/control, bidirectional or invisible/);
        expect(() => plans.text(text, '$.name', 64), hex).toThrow(/invisible formatting/);
      }
    });
  }

  it('ordinary text, other format-looking but visible characters and paired surrogates pass everywhere', () => {
    for (const ch of SHOWN) {
      const text = `ab${ch}c`;
      expect(isShownText(text), ch).toBe(true);
      expect(checkShownText(text, '$.name', 64)).toBe(text);
      expect(shownOrQuoted(text)).toBe(text);
      expect(fileNameProblem(`dir/${text}.json`), ch).toBeUndefined();
      expect(libraryPathProblem(`/usr/lib/${text}.so`), ch).toBeUndefined();
      expect(plans.text(text, '$.name', 64)).toBe(text);
    }
  });
});
