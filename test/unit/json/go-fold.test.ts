/**
 * src/json/go-fold.ts: the rule Go's encoding/json uses to match a JSON key to a struct field (exact, else
 * Unicode simple case folding), checked against the regular expression engine's own simple case folding
 * (`iu` flags: ECMA-262 Canonicalize with CaseFolding.txt's C and S mappings), and the refusal it gives.
 */
import { describe, expect, it } from 'vitest';
import { asciiQuoted, goFieldSet, goFold, goFoldedField, refuseGoFoldedKeys } from '../../../src/json/go-fold.js';
import { refusal } from '../../support/refusal.js';

const ROLE = goFieldSet(['keyids', 'threshold']);

describe('goFold', () => {
  it('only U+017F and U+212A fold onto an ASCII letter (as Unicode simple case folding says)', () => {
    const anyLetter = /^[a-z]$/iu;
    const found: number[] = [];
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (anyLetter.test(String.fromCodePoint(cp))) found.push(cp);
    }
    expect(found).toEqual([0x017f, 0x212a]);
    expect(goFold('\u017f')).toBe(goFold('s'));
    expect(goFold('\u212a')).toBe(goFold('k'));
  });

  it('agrees with simple case folding on every ASCII character', () => {
    for (let a = 0x20; a < 0x7f; a++) {
      for (let b = 0x20; b < 0x7f; b++) {
        const x = String.fromCharCode(a);
        const y = String.fromCharCode(b);
        const same = new RegExp(`^\\u{${a.toString(16)}}$`, 'iu');
        expect(goFold(x) === goFold(y), `${x} ${y}`).toBe(same.test(y));
      }
    }
  });
});

describe('goFoldedField', () => {
  it.each([
    ['threshold', undefined],
    ['keyids', undefined],
    ['Threshold', 'threshold'],
    ['THRESHOLD', 'threshold'],
    ['thre\u017fhold', 'threshold'],
    ['keyid\u017f', 'keyids'],
    ['\u212aeyids', 'keyids'],
    ['KEYIDS', 'keyids'],
    ['x-note', undefined],
    ['threshold ', undefined],
    ['thre\u0455hold', undefined], // Cyrillic dze: looks like s, folds to nothing ASCII
    ['\u0130', undefined],
  ])('%j → %j', (key, field) => {
    expect(goFoldedField(key, ROLE)).toBe(field);
  });
});

describe('refuseGoFoldedKeys', () => {
  it('passes exact and unrelated keys, refuses a folded one with its path, the field Go reads and the key escaped', () => {
    refuseGoFoldedKeys({ keyids: [], threshold: 1, 'x-note': 'kept' }, ROLE, '$.r');
    const err = refusal(() => refuseGoFoldedKeys({ keyids: [], threshold: 2, 'thre\u017fhold': 1 }, ROLE, () => '$.signed.roles.root'));
    expect(err.code).toBe('FIELD_NAME_AMBIGUOUS');
    expect(err.path).toBe('$.signed.roles.root["thre\\u017fhold"]');
    expect(err.message).toContain('"thre\\u017fhold"');
    expect(err.message).toContain('read it as "threshold"');
    expect(err.message).toContain('beside "threshold" itself');
    expect(err.message).not.toContain('\u017f');
    const lone = refusal(() => refuseGoFoldedKeys({ Threshold: 1, keyids: [] }, ROLE, '$.x'));
    expect(lone.path).toBe('$.x.Threshold');
    expect(lone.message).toContain('absent');
  });

  it('asciiQuoted escapes everything outside printable ASCII', () => {
    expect(asciiQuoted('\u212aey\u202e\u0000')).toBe('"\\u212aey\\u202e\\u0000"');
  });

  it('field tables must be ASCII and not fold onto one another', () => {
    expect(() => goFieldSet(['a', 'A'])).toThrow();
    expect(() => goFieldSet(['\u017f'])).toThrow();
  });
});
