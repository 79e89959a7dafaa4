/**
 * parseSignedEnvelope hands back the file's own `signed` bytes only when they are exactly the canonical
 * encoding of what was parsed: signatures are then checked over them without re-encoding.
 */
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalString } from '../../../src/json/canonical.js';
import { parseSignedEnvelope } from '../../../src/json/parse.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';

const enc = new TextEncoder();
const opts = { maxBytes: 1 << 24, path: '$' };
const envelope = (signed: string) => enc.encode(`{"signed":${signed},"signatures":[{"keyid":"ab","sig":"cd"}]}`);

/**
 * Strings long enough for the pretty path's bulk copy (≥ 24 bytes with their quotes) and just under it,
 * with escaped quotes and backslashes in runs of either parity next to the closing quote, inner spaces,
 * and multi-byte UTF-8: each copy must end exactly at the string's closing quote.
 */
const LONG_STRINGS = [
  'x'.repeat(21),
  'x'.repeat(22),
  'x'.repeat(23),
  'b1db363d4a11cf7734b0e50a29ad7208b3877c7b654eb9cf3234c0753c9a5f95',
  'a path with  spaces / and "quotes" inside it',
  'ends in a backslash \\',
  'ends in two backslashes \\\\',
  'ends in an escaped quote "',
  'backslash then quote \\" then more text',
  '"'.repeat(27),
  '\\'.repeat(27),
  'é😀 \u2028 multi-byte text, long enough',
];

function randomValue(rand: () => number, depth = 0): JsonValue {
  const pick = Math.floor(rand() * (depth > 3 ? 4 : 6));
  const strings = ['a', 'Z', '', 'é', '\u{1F600}', '\uE000', 'q"uote', 'back\\slash', '<>&', '\u2028', 'tab\tx', 'del\u007f', '10', '9', ...LONG_STRINGS];
  switch (pick) {
    case 0:
      return strings[Math.floor(rand() * strings.length)]!;
    case 1:
      return Math.floor(rand() * 2000) - 1000;
    case 2:
      return rand() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const out: JsonObject = {};
      for (let i = 0; i < Math.floor(rand() * 5); i++) out[strings[Math.floor(rand() * strings.length)]! + String(i % 2 ? '' : i)] = randomValue(rand, depth + 1);
      return out;
    }
  }
}

describe('parseSignedEnvelope', () => {
  it('returns the canonical bytes of signed, byte for byte, for canonical input (property, 500 random values)', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let checked = 0;
    for (let i = 0; i < 500; i++) {
      const signed = { _type: 'targets', v: randomValue(rand) } as JsonObject;
      const text = canonicalString(signed, 'tuf');
      // Raw control characters make canonical JSON invalid JSON: such files cannot be parsed at all.
      if (/[\u0000-\u001f]/.test(text)) continue;
      const parsed = parseSignedEnvelope(envelope(text), opts);
      expect(parsed.canonicalSigned, text).toBeDefined();
      expect(Buffer.from(parsed.canonicalSigned!).equals(Buffer.from(canonicalBytes((parsed.value as JsonObject).signed!, 'tuf')))).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('returns the canonical bytes of pretty-printed signed (indent=1, sort_keys, as python-tuf writes), property over 500 random values', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let checked = 0;
    for (let i = 0; i < 500; i++) {
      const signed = { _type: 'targets', v: randomValue(rand) } as JsonObject;
      const text = canonicalString(signed, 'tuf');
      if (/[\u0000-\u001f]/.test(text)) continue;
      // JSON.stringify keeps the parsed key order, except that integer-like keys ("10", "9") move first:
      // such files are not sorted, and must fall back to re-encoding.
      const pretty = JSON.stringify(JSON.parse(text), null, i % 2 ? 1 : '\t').replace(/\n/g, i % 3 ? '\n' : '\r\n');
      const parsed = parseSignedEnvelope(enc.encode(`{\n "signatures": [],\n "signed": ${pretty}\n}\n`), opts);
      const expected = canonicalBytes((parsed.value as JsonObject).signed!, 'tuf');
      if (parsed.canonicalSigned === undefined) {
        expect(/"(10|9)\d*"/.test(text), text).toBe(true);
        continue;
      }
      expect(Buffer.from(parsed.canonicalSigned).toString('utf8')).toBe(Buffer.from(expected).toString('utf8'));
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
  });

  const spaced: [string, string, string][] = [
    ['whitespace after a colon', '{"a": 1}', '{"a":1}'],
    ['whitespace between members', '{"a":1, "b":2}', '{"a":1,"b":2}'],
    ['whitespace inside an array', '{"a":[1, 2]}', '{"a":[1,2]}'],
    ['whitespace in and around strings', '{ "a b" :\t"c \\" d\\\\" ,\r\n"b":[ ] }', '{"a b":"c \\" d\\\\","b":[]}'],
    ['non-ASCII strings', '{\n "a": "é 😀 \u2028"\n}', '{"a":"é 😀 \u2028"}'],
    ['long strings with spaces and escapes ending at their quote', '{\n "a  b \\\\\\" c  d": [ "x  \\\\\\\\" , "y y y y y y y y y y y y\\"" ]\n}', '{"a  b \\\\\\" c  d":["x  \\\\\\\\","y y y y y y y y y y y y\\""]}'],
  ];
  for (const [name, signed, compact] of spaced) {
    it(`drops insignificant whitespace: ${name}`, () => {
      const parsed = parseSignedEnvelope(envelope(signed), opts);
      expect(Buffer.from(parsed.canonicalSigned!).toString('utf8')).toBe(compact);
      expect(Buffer.from(parsed.canonicalSigned!).equals(Buffer.from(canonicalBytes((parsed.value as JsonObject).signed!, 'tuf')))).toBe(true);
    });
  }

  const notCanonical: [string, string][] = [
    ['keys out of order', '{"b":1,"a":2}'],
    ['keys in UTF-16 order, not code point order', '{"\u{1F600}":1,"\uE000":2}'],
    ['an escaped slash', '{"a":"\\/"}'],
    ['a unicode escape for a plain letter', '{"a":"\\u0041"}'],
    ['an HTML escape as Notary files have', '{"a":"\\u003c"}'],
    ['an escaped newline', '{"a":"x\\ny"}'],
    ['pretty-printed, but keys out of order', '{\n "b": 1,\n "a": 2\n}'],
    ['pretty-printed, but an escaped newline', '{\n "a": "x\\ny"\n}'],
  ];
  for (const [name, signed] of notCanonical) {
    it(`falls back to re-encoding when signed has ${name}`, () => {
      const parsed = parseSignedEnvelope(envelope(signed), opts);
      expect(parsed.canonicalSigned).toBeUndefined();
    });
  }

  it('whitespace outside signed does not matter, and non-ASCII text around it is measured in bytes', () => {
    const signed = '{"a":"é😀","b":[1,2]}';
    const file = enc.encode(`{ "signed" : ${signed} ,\n "signatures": [{"keyid":"é","sig":"x"}] }`);
    const parsed = parseSignedEnvelope(file, opts);
    expect(Buffer.from(parsed.canonicalSigned!).toString('utf8')).toBe(signed);
  });

  it('only the top-level signed counts', () => {
    const parsed = parseSignedEnvelope(enc.encode('{"other":{"signed":{"a":1}},"signatures":[]}'), opts);
    expect(parsed.canonicalSigned).toBeUndefined();
  });
});
