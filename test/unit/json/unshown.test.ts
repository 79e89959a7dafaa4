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
  // Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt), beyond the controls above.
  ['soft hyphen, combining grapheme joiner', ['\u00ad', '\u034f']],
  ['Hangul fillers', ['\u115f', '\u1160', '\u3164', '\uffa0']],
  ['Khmer inherent vowels, Mongolian variation selectors and vowel separator', ['\u17b4', '\u17b5', '\u180b', '\u180e', '\u180f']],
  ['reserved ignorable U+2065 and U+FFF0–U+FFF8', ['\u2065', '\ufff0', '\ufff8']],
  ['variation selectors', ['\ufe00', '\ufe0f', '\u{e0100}', '\u{e01ef}']],
  ['shorthand format controls, musical symbol formatting', ['\u{1bca0}', '\u{1bca3}', '\u{1d173}', '\u{1d17a}']],
  ['tag characters and the rest of plane 14', ['\u{e0000}', '\u{e0001}', '\u{e0041}', '\u{e007f}', '\u{e0fff}']],
];
// Plans and site bindings (src/ceremony/read.ts).
const plans = new StrictReader('PLAN_INVALID');
const SHOWN = ['a', ' ', '~', '\u00a0', 'é', '\u0600', '\u200a', '\u2010', '\u2070', '\ufefe', '\ufff9', '\ufffd', '😀', '\ud83d\ude00', '\u{e1000}', '\u{1d172}'];

describe('characters that hide or reorder shown text: one rule, every user', () => {
  for (const [what, chars] of UNSHOWN) {
    it(`refused or escaped everywhere: ${what}`, () => {
      for (const ch of chars) {
        const hex = ch.codePointAt(0)!.toString(16).padStart(4, '0');
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

  it('shownOrQuoted gives two names two outputs: a name that looks like an escaped one is quoted too', () => {
    const spelled = '"a\\u200bb"'; // the name typed out: quote, a, backslash, u200b, b, quote
    expect(shownOrQuoted('a\u200bb')).toBe('"a\\u200bb"');
    expect(shownOrQuoted(spelled)).toBe(JSON.stringify(spelled));
    expect(shownOrQuoted(spelled)).not.toBe(shownOrQuoted('a\u200bb'));
    expect(JSON.parse(shownOrQuoted(spelled))).toBe(spelled);
    expect(shownOrQuoted('say "hi"')).toBe('say "hi"');
  });

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

/**
 * Default_Ignorable_Code_Point as Unicode's DerivedCoreProperties.txt (15.1) lists it, range by range: the
 * runtime's `\p{…}` must agree with the published table over every code point, so a runtime with an older
 * table cannot let one through.
 */
const DEFAULT_IGNORABLE: [number, number][] = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x061c, 0x061c], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180b, 0x180f],
  [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x206f], [0x3164, 0x3164], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
  [0xffa0, 0xffa0], [0xfff0, 0xfff8], [0x1bca0, 0x1bca3], [0x1d173, 0x1d17a], [0xe0000, 0xe0fff],
];
// The rest of the rule: controls (Cc), the line and paragraph separators, surrogate code points.
const OTHER_UNSHOWN: [number, number][] = [[0x0000, 0x001f], [0x007f, 0x009f], [0x2028, 0x2029], [0xd800, 0xdfff]];

describe('the shown-text rule covers every Default_Ignorable_Code_Point of DerivedCoreProperties.txt', () => {
  it('refuses exactly those, the controls and separators, over all of Unicode', () => {
    const inRanges = (cp: number, ranges: [number, number][]): boolean => ranges.some(([a, b]) => cp >= a && cp <= b);
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const want = inRanges(cp, DEFAULT_IGNORABLE) || inRanges(cp, OTHER_UNSHOWN);
      if (isShownText(`a${String.fromCodePoint(cp)}b`) === want) wrong.push(cp.toString(16));
      if (wrong.length > 10) break;
    }
    expect(wrong).toEqual([]);
  });
});
