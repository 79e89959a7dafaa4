/**
 * compactJson drops a JSON text's insignificant whitespace, and a pretty-printed envelope is parsed from
 * that copy (parseSignedEnvelope): the copy must be refused exactly when the file is, parse to the same
 * value, and a refusal must be the file's own (code, path, character position).
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { canonicalBytes } from '../../../src/json/canonical.js';
import { isObject } from '../../../src/json/fields.js';
import { compactJson, compactJsonInPlace, compactLength, Misfit, parseJsonStrict, parseSignedEnvelope, type KeyedFieldReader } from '../../../src/json/parse.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const opts = { maxBytes: 1 << 24, path: 'f.json $' };
const compactText = (text: string, length?: number): string | undefined => {
  const out = compactJson(enc.encode(text), length);
  return out && dec.decode(out);
};

type Outcome = { ok: true; value: JsonValue } | { ok: false; code: string; message: string; path: string | undefined };
function outcome(fn: () => JsonValue): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return { ok: false, code: err.code, message: err.message, path: err.path };
  }
}

describe('compactJson', () => {
  const table: [string, string, string | undefined][] = [
    ['whitespace around every structural character', ' { "a" : [ 1 , 2 ] , "b" : { } }\n', '{"a":[1,2],"b":{}}'],
    ['tabs, CR and LF as python and Windows editors write them', '{\r\n\t"a":\t1\r\n}\r\n', '{"a":1}'],
    ['whitespace inside strings stays', '{ "a b" : " c\td " }', '{"a b":" c\td "}'],
    ['escaped quotes and backslashes before the closing quote', '[ "x\\"" , "y\\\\" , "\\\\\\"z" ]', '["x\\"","y\\\\","\\\\\\"z"]'],
    ['a long string (one native copy) ending in an escaped quote', `[ "${'h'.repeat(60)}\\"" , 1 ]`, `["${'h'.repeat(60)}\\"",1]`],
    ['between two numbers whitespace stays: [1 2] must stay refused', '[ 1 2 ]', '[1 2]'],
    ['inside a literal it stays', '[ tr ue ]', '[tr ue]'],
    ['inside a number it stays', '{ "a" : 1 0 }', '{"a":1 0}'],
    ['between two strings it stays', '[ "a" "b" ]', '["a" "b"]'],
    ['a number then a string', '[1 "a"]', '[1 "a"]'],
    ['non-ASCII text is copied as is', '{ "é" : "😀 \u2028" }', '{"é":"😀 \u2028"}'],
    ['whitespace only', ' \n ', ''],
    ['an unterminated string: no copy', '{ "a" : "b }', undefined],
    ['a string ending in an escaped quote at the end: no copy', '[ "a\\"', undefined],
  ];
  for (const [name, text, expected] of table) {
    it(name, () => expect(compactText(text)).toBe(expected));
  }

  it('with a length, the copy is exactly that long or refused', () => {
    expect(compactText('{ "a" : 1 }', 7)).toBe('{"a":1}');
    expect(compactText('{ "a" : 1 }', 6)).toBeUndefined();
    expect(compactText('{ "a" : 1 }', 8)).toBeUndefined();
    expect(compactText('[ "a b" ]', 5)).toBeUndefined();
  });

  it('is refused exactly when the text is, with the same value; envelopes: same refusal, canonical bytes exactly signed canonicalised, the caller\'s bytes untouched unless given up (property: 4,000 mutated pretty documents)', () => {
    let seed = 1234;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const strings = ['a', 'b c', '', 'é', '😀', 'q"uote', 'back\\slash', 'x'.repeat(50), 'y\\'.repeat(30), '" : , [ ] { }', 'new\nline\t', 'ctl\u0001', 'a/b'];
    const gen = (depth: number): JsonValue => {
      const k = Math.floor(rand() * (depth > 2 ? 4 : 6));
      if (k === 0) return pick(strings);
      if (k === 1) return Math.floor(rand() * 200000) - 100000;
      if (k === 2) return pick([true, false]);
      if (k === 3) return null;
      if (k === 4) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
      const o: JsonObject = {};
      for (let i = 0; i < Math.floor(rand() * 4); i++) o[pick(strings) + String(i)] = gen(depth + 1);
      return o;
    };
    const inserts = [' ', '\n', '\t', '\r', '  ', '"', '\\', ',', ':', '1', '-', '.', 'e', '{', '}', '[', ']', 'a', '\u00e9', '\\/', '\\u0041'];
    let valid = 0;
    let refused = 0;
    let insideToken = 0;
    let canonical = 0;
    let givenUpRefused = 0;
    for (let i = 0; i < 4000; i++) {
      let text = JSON.stringify({ signed: gen(0), signatures: [] }, null, pick([1, 2, '\t']));
      for (let m = Math.floor(rand() * 3); m >= 0; m--) {
        const at = Math.floor(rand() * (text.length + 1));
        const what = rand();
        if (what < 0.6) {
          const ins = pick(inserts);
          // Whitespace between two digits or letters of one token: the case a plain whitespace strip gets wrong.
          if (/\s/.test(ins) && /[0-9a-z]/.test(text[at - 1] ?? '') && /[0-9a-z]/.test(text[at] ?? '')) insideToken++;
          text = text.slice(0, at) + ins + text.slice(at);
        } else if (what < 0.8) text = text.slice(0, at) + text.slice(at + 1);
        else text = text.slice(0, at) + pick(inserts) + text.slice(at + 1);
      }
      const bytes = enc.encode(text);
      const file = outcome(() => parseJsonStrict(bytes, opts));
      // The envelope parse (from the copy when the file starts pretty) is refused with the file's own
      // refusal, and any canonical signed bytes it hands out are exactly the parsed `signed` canonicalised:
      // the bytes signatures are checked over say what the caller goes on to trust.
      let envelope: ReturnType<typeof parseSignedEnvelope> | undefined;
      const before = Buffer.from(bytes);
      const env = outcome(() => (envelope = parseSignedEnvelope(bytes, opts)).value);
      expect(env, text).toEqual(file);
      // Not given up: the caller's bytes are left as they were, whatever the file.
      expect(before.equals(bytes), text).toBe(true);
      // Given up (a copy the caller owns): refused exactly when the file is, else the same value and
      // the same canonical bytes; only a refusal's details may differ (ParseJsonOptions.givenUp).
      let owned: ReturnType<typeof parseSignedEnvelope> | undefined;
      const givenUp = outcome(() => (owned = parseSignedEnvelope(bytes.slice(), { ...opts, givenUp: true })).value);
      expect(givenUp.ok, text).toBe(file.ok);
      if (givenUp.ok) {
        expect(givenUp, text).toEqual(file);
        expect(owned!.values, text).toBe(envelope!.values);
        expect(owned!.canonicalSigned && Buffer.from(owned!.canonicalSigned).toString('hex'), text).toBe(envelope!.canonicalSigned && Buffer.from(envelope!.canonicalSigned).toString('hex'));
      } else if (!env.ok) givenUpRefused++;
      if (envelope?.canonicalSigned) {
        const signed = (envelope.value as JsonObject).signed!;
        expect(Buffer.from(envelope.canonicalSigned).equals(Buffer.from(canonicalBytes(signed, 'tuf'))), text).toBe(true);
        canonical++;
      }
      const copy = compactJson(bytes);
      if (copy === undefined) {
        expect(file.ok, text).toBe(false);
        refused++;
        continue;
      }
      const fromCopy = outcome(() => parseJsonStrict(copy, opts));
      expect(fromCopy.ok, text).toBe(file.ok);
      if (file.ok && fromCopy.ok) {
        expect(fromCopy.value, text).toEqual(file.value);
        valid++;
      } else refused++;
    }
    expect(valid).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
    expect(insideToken).toBeGreaterThan(50);
    expect(canonical, 'envelopes whose canonical signed bytes were checked').toBeGreaterThan(500);
    expect(givenUpRefused).toBeGreaterThan(1000);
  });
});

/**
 * compactJson's documented rule, written plainly: a string runs from its quote to the first quote not
 * escaped by a backslash (a backslash takes the byte after it); a whitespace run outside strings goes when
 * a structural character or an end of the text is on either side of it; no copy when a string is not closed.
 */
function referenceCompact(src: Uint8Array, length?: number): Uint8Array | undefined {
  const ws = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  const structural = (c: number | undefined) => c !== undefined && '{}[],:'.includes(String.fromCharCode(c));
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === 0x22) {
      let j = i + 1;
      for (;;) {
        if (j >= src.length) return undefined;
        if (src[j] === 0x5c) j += 2;
        else if (src[j] === 0x22) break;
        else j++;
      }
      out.push(...src.subarray(i, j + 1));
      i = j + 1;
    } else if (ws(c)) {
      let j = i;
      while (ws(src[j])) j++;
      const drop = i === 0 || j === src.length || structural(src[i - 1]) || structural(src[j]);
      if (!drop) out.push(...src.subarray(i, j));
      i = j;
    } else {
      out.push(c);
      i++;
    }
  }
  if (length !== undefined && out.length !== length) return undefined;
  return Uint8Array.from(out);
}

describe('compactJson and compactJsonInPlace against the documented rule (differential)', () => {
  const hex = (b: Uint8Array | undefined) => (b === undefined ? 'undefined' : Buffer.from(b).toString('hex'));

  /** Every way of compacting `bytes` gives the reference's answer; compactJson leaves its input alone. */
  function check(bytes: Uint8Array): Uint8Array | undefined {
    const label = JSON.stringify(dec.decode(bytes));
    const before = hex(bytes);
    const expected = referenceCompact(bytes);
    expect(hex(compactJson(bytes)), label).toBe(hex(expected));
    expect(hex(bytes), `compactJson changed its input: ${label}`).toBe(before);
    expect(compactLength(bytes), label).toBe(expected?.length);
    const owned = bytes.slice();
    const inPlace = compactJsonInPlace(owned);
    expect(hex(inPlace), label).toBe(hex(expected));
    if (inPlace) expect(inPlace.buffer, 'a view of the given buffer').toBe(owned.buffer);
    // With a length: exactly that long or undefined, the reference deciding.
    const lengths = expected ? [expected.length, expected.length - 1, expected.length + 1] : [0, bytes.length];
    for (const length of lengths) {
      if (length < 0) continue;
      expect(hex(compactJson(bytes, length)), `${label} length ${length}`).toBe(hex(referenceCompact(bytes, length)));
    }
    return expected;
  }

  it('hand-picked edges: backslash runs before quotes, whitespace next to ends, strings and non-ASCII', () => {
    const cases = [
      '', ' ', '\n\t', '"', '""', '"\\"', '"\\\\"', '"\\\\\\"', '"a\\" "b"', '"a\\\\" "b"', '[ "\\\\\\\"" , 1 ]',
      '"\\', '"abc\\', ' "a" ', '1 2', ' 1 ', 'a\t\r\nb', '{ "k" : "v" }', '[ 1 , [ ] ]', '{\n "a": "é 😀 \u2028"\n}',
      `[ "${'x'.repeat(30)}\\"" , "${'h'.repeat(100)}" ]`, `"${'\\'.repeat(40)}"`, `"${'\\'.repeat(41)}" `,
    ];
    for (const text of cases) check(enc.encode(text));
    // Raw bytes: invalid UTF-8 and lone high bytes are copied like any other byte.
    check(Uint8Array.from([0x20, 0xff, 0x20, 0x22, 0xc3, 0x20, 0x22, 0x0a, 0x2c, 0x09, 0xe2, 0x82]));
  });

  it('agrees on 20,000 generated and mutated texts (pretty documents, escape runs, unterminated strings, long strings)', () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieces = [' ', '  ', '\n', '\n   ', '\t', '\r\n', '"', '\\', '\\\\', '\\"', ',', ':', ': ', '{', '}', '[', ']', '1', 'a', 'é', '😀', 'ab'.repeat(40), '\u0041', ' " ', '\\\\\\"'];
    const strings = ['a', 'b c', '', 'é', 'q"uote', 'back\\slash', '\\'.repeat(3), 'x'.repeat(70), ' spaced ', '\n'];
    let defined = 0;
    let undefinedCount = 0;
    for (let i = 0; i < 20_000; i++) {
      let text: string;
      if (rand() < 0.5) {
        const doc: JsonObject = {};
        for (let k = Math.floor(rand() * 5); k >= 0; k--) doc[pick(strings) + String(k)] = rand() < 0.5 ? pick(strings) : [k, { [pick(strings)]: pick(strings) }];
        text = JSON.stringify(doc, null, pick([1, 2, '\t']));
      } else {
        text = Array.from({ length: Math.floor(rand() * 12) }, () => pick(pieces)).join('');
      }
      for (let m = Math.floor(rand() * 4); m > 0; m--) {
        const at = Math.floor(rand() * (text.length + 1));
        text = rand() < 0.7 ? text.slice(0, at) + pick(pieces) + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      }
      if (check(enc.encode(text))) defined++;
      else undefinedCount++;
    }
    expect(defined).toBeGreaterThan(5000);
    expect(undefinedCount).toBeGreaterThan(2000);
  });

  it('agrees on the large pretty file shape (long hex strings moved natively, many runs)', () => {
    const entries = Array.from({ length: 3000 }, (_, i) => `   "t/${i} x\\\"": {\n    "hashes": {\n     "sha256": "${'0f'.repeat(32)}",\n     "sha512": "${'a1'.repeat(64)}"\n    },\n    "length": ${i}\n   }`);
    const text = `{\n "signed": {\n  "targets": {\n${entries.join(',\n')}\n  }\n }\n}\n`;
    expect(check(enc.encode(text))).toBeDefined();
  });

  it('agrees on texts over a megabyte (the copy measured by compactLength first), kept runs and open strings included', () => {
    // Each entry is ~240 bytes: 7,000 make ~1.4 MB, over compactJson's exact-copy threshold.
    const entries = Array.from({ length: 7000 }, (_, i) => `   "t/${i} x\\\"": {\n    "hashes": {\n     "sha512": "${'a1'.repeat(64)}"\n    },\n    "length": ${i}\n   }`);
    const text = `{\n "signed": {\n  "targets": {\n${entries.join(',\n')}\n  }\n }\n}\n`;
    expect(text.length).toBeGreaterThan(1 << 20);
    const valid = check(enc.encode(text));
    expect(valid).toBeDefined();
    // A run between two non-structural bytes is kept (the copy is longer than the valid text's copy by it),
    // at the start, the middle and the end; an open string at the end gives no copy.
    for (const at of [40, text.length >> 1, text.length - 3]) {
      const bytes = enc.encode(`${text.slice(0, at)}1 \n 2${text.slice(at)}`);
      expect(bytes.length).toBeGreaterThan(1 << 20);
      check(bytes);
    }
    expect(check(enc.encode(`${text} "open`))).toBeUndefined();
    expect(check(enc.encode(` ${text.slice(0, -2)}   `))).toBeDefined();
  });
});

/** A reader that takes objects and keeps what the parser said about their hex strings. */
const reader: KeyedFieldReader<{ value: JsonObject; allHex: boolean }> = {
  field: 'targets',
  read: (value, allHex) => (isObject(value) ? { value, allHex } : undefined),
};

describe('parseSignedEnvelope on pretty-printed files (parsed from their compact copy)', () => {
  const pretty = (signed: string) => enc.encode(`{\n "signatures": [\n  {\n   "keyid": "ab",\n   "sig": "cd"\n  }\n ],\n "signed": ${signed}\n}\n`);
  const compact = (signed: string) => enc.encode(`{"signatures":[{"keyid":"ab","sig":"cd"}],"signed":${signed}}`);

  it('reads the same value, entries and canonical bytes as from the compact file', () => {
    const hex = 'ab'.repeat(32);
    const signedPretty = `{\n  "_type": "targets",\n  "targets": {\n   "a b/c.txt": {\n    "hashes": {\n     "sha256": "${hex}"\n    },\n    "length": 12\n   },\n   "d": {\n    "hashes": {\n     "sha256": "XY"\n    },\n    "length": 3\n   },\n   "e": 5\n  },\n  "version": 2\n }`;
    const signedCompact = `{"_type":"targets","targets":{"a b/c.txt":{"hashes":{"sha256":"${hex}"},"length":12},"d":{"hashes":{"sha256":"XY"},"length":3},"e":5},"version":2}`;
    const a = parseSignedEnvelope(pretty(signedPretty), opts, reader);
    const b = parseSignedEnvelope(compact(signedCompact), opts, reader);
    expect(a.value).toEqual(b.value);
    expect(a.values).toBe(b.values);
    expect([...a.keyed!.entries]).toEqual([...b.keyed!.entries]);
    expect(a.keyed!.misfits).toBe(1);
    expect(a.keyed!.entries.get('e')).toBeInstanceOf(Misfit);
    expect((a.keyed!.entries.get('a b/c.txt') as { allHex: boolean }).allHex).toBe(true);
    expect((a.keyed!.entries.get('d') as { allHex: boolean }).allHex).toBe(false);
    expect(dec.decode(a.canonicalSigned)).toBe(signedCompact);
  });

  it('a large file (over 1 MB, many long strings) reads the same as its compact form, its canonical bytes exactly signed', () => {
    const entries = Array.from({ length: 8000 }, (_, i) => `   "t/${String(i).padStart(5, '0')} x": {\n    "hashes": {\n     "sha256": "${'0f'.repeat(32)}"\n    },\n    "length": ${i}\n   }`);
    const signed = `{\n  "_type": "targets",\n  "targets": {\n${entries.join(',\n')}\n  }\n }`;
    const bytes = pretty(signed);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    const a = parseSignedEnvelope(bytes, opts, reader);
    const b = parseSignedEnvelope(compact(dec.decode(compactJson(enc.encode(signed))!)), opts, reader);
    expect([...a.keyed!.entries]).toEqual([...b.keyed!.entries]);
    expect(a.keyed!.entries.size).toBe(8000);
    expect(Buffer.from(a.canonicalSigned!).equals(Buffer.from(b.canonicalSigned!))).toBe(true);
    expect(dec.decode(a.canonicalSigned!.subarray(-40))).toBe(dec.decode(b.canonicalSigned!.subarray(-40)));
    expect(a.canonicalSigned!.length).toBe(b.canonicalSigned!.length);
  });

  it('hands back canonical bytes that are the canonical encoding of the parsed signed, non-ASCII around it included', () => {
    const parsed = parseSignedEnvelope(enc.encode('{\n "signatures": [{"keyid": "é😀", "sig": " "}],\n "signed": {\n  "a": "é 😀",\n  "b": [\n   1,\n   2\n  ]\n }\n}'), opts);
    expect(dec.decode(parsed.canonicalSigned)).toBe('{"a":"é 😀","b":[1,2]}');
    expect(Buffer.from(parsed.canonicalSigned!).equals(Buffer.from(canonicalBytes((parsed.value as JsonObject).signed!, 'tuf')))).toBe(true);
  });

  // Each must be refused with the very error the file as written earns (its character positions included).
  const refused: [string, string, string][] = [
    ['a duplicate key', '{\n  "a": 1,\n  "a": 2\n }', 'JSON_DUPLICATE_KEY'],
    ['a duplicate key spelled with an escape', '{\n  "a": 1,\n  "\\u0061": 2\n }', 'JSON_DUPLICATE_KEY'],
    ['a duplicate target in the reader\'s field', '{\n  "targets": {\n   "t": {},\n   "t": {}\n  }\n }', 'JSON_DUPLICATE_KEY'],
    ['a float', '{\n  "version": 1.0\n }', 'JSON_NUMBER_INVALID'],
    ['an exponent', '{\n  "version": 1e3\n }', 'JSON_NUMBER_INVALID'],
    ['a leading zero', '{\n  "version": 01\n }', 'JSON_NUMBER_INVALID'],
    ['negative zero', '{\n  "version": -0\n }', 'JSON_NUMBER_INVALID'],
    ['an unsafe integer', '{\n  "length": 9007199254740993\n }', 'JSON_NUMBER_INVALID'],
    ['whitespace inside a number', '{\n  "version": 1 2\n }', 'JSON_MALFORMED'],
    ['whitespace inside a literal', '{\n  "x": tr ue\n }', 'JSON_MALFORMED'],
    ['two strings with only whitespace between', '{\n  "x": "a" "b"\n }', 'JSON_MALFORMED'],
    ['a lone surrogate escape', '{\n  "a": "\\ud800"\n }', 'JSON_MALFORMED'],
    ['an invalid escape', '{\n  "a": "\\x41"\n }', 'JSON_MALFORMED'],
    ['a raw newline in a string', '{\n  "a": "x\ny"\n }', 'JSON_MALFORMED'],
    ['a trailing comma', '{\n  "a": 1,\n }', 'JSON_MALFORMED'],
    ['an unterminated string', '{\n  "a": "b\n }', 'JSON_MALFORMED'],
    ['too deep', '{\n  "a": ' + '[\n'.repeat(70) + ']\n'.repeat(70) + ' }', 'JSON_TOO_DEEP'],
  ];
  for (const [name, signed, code] of refused) {
    it(`refuses ${name} (${code}) exactly as the file as written`, () => {
      const bytes = pretty(signed);
      const asWritten = outcome(() => parseJsonStrict(bytes, opts));
      const got = outcome(() => parseSignedEnvelope(bytes, opts, reader).value);
      expect(asWritten.ok).toBe(false);
      expect(got).toEqual(asWritten);
      expect(got.ok || got.code).toBe(code);
    });
  }

  it('refuses what is over the value cap, and a byte-order mark after leading whitespace, as the file as written', () => {
    const many = pretty(`{\n  "a": [${' 1,\n'.repeat(50)} 1]\n }`);
    const capped = { ...opts, maxValues: 40 };
    const got = outcome(() => parseSignedEnvelope(many, capped).value);
    expect(got).toEqual(outcome(() => parseJsonStrict(many, capped)));
    expect(got.ok || got.code).toBe('JSON_TOO_MANY_VALUES');
    const bom = enc.encode('{ \ufeff"a": 1}');
    expect(outcome(() => parseSignedEnvelope(bom, opts).value)).toEqual(outcome(() => parseJsonStrict(bom, opts)));
  });

  it('refuses bytes that are not UTF-8 as the file as written', () => {
    const bytes = Uint8Array.from([...enc.encode('{\n "signed": "'), 0xc3, 0x28, ...enc.encode('"\n}')]);
    const got = outcome(() => parseSignedEnvelope(bytes, opts).value);
    expect(got).toEqual(outcome(() => parseJsonStrict(bytes, opts)));
    expect(got.ok || got.code).toBe('JSON_MALFORMED');
  });

  it('parses a file again as written only for a refusal: an error that is not one (a reader that throws) is thrown at once', () => {
    let calls = 0;
    const throwing: KeyedFieldReader<never> = {
      field: 'targets',
      read: () => {
        calls++;
        throw new TypeError('reader bug');
      },
    };
    expect(() => parseSignedEnvelope(pretty('{\n  "targets": {\n   "a": {}\n  }\n }'), opts, throwing)).toThrow(TypeError);
    expect(calls).toBe(1);
    // A refused pretty file is parsed twice, the reader run on its entries each time (KeyedFieldReader.read: no side effects).
    let reads = 0;
    const counting: KeyedFieldReader<JsonValue> = { field: 'targets', read: (value) => (reads++, value) };
    const refused = pretty('{\n  "targets": {\n   "a": {}\n  }\n }x');
    expect(outcome(() => parseSignedEnvelope(refused, opts, counting).value)).toEqual(outcome(() => parseJsonStrict(refused, opts)));
    expect(reads).toBe(2);
  });

  // Parsed, but not canonical: the signatures are checked over a re-encoding, never over these bytes.
  const notCanonical: [string, string][] = [
    ['keys out of order', '{\n  "b": 1,\n  "a": 2\n }'],
    ['keys in UTF-16 order, not code point order', '{\n  "\u{1F600}": 1,\n  "\uE000": 2\n }'],
    ['an escaped slash', '{\n  "a": "\\/"\n }'],
    ['a unicode escape for a plain letter', '{\n  "a": "\\u0041"\n }'],
    ['an HTML escape as Notary files have', '{\n  "a": "\\u003c"\n }'],
    ['an escaped newline', '{\n  "a": "x\\ny"\n }'],
    ['an escaped tab', '{\n  "a": "x\\ty"\n }'],
    ['target names out of order in the reader\'s field', '{\n  "targets": {\n   "b": {},\n   "a": {}\n  }\n }'],
  ];
  for (const [name, signed] of notCanonical) {
    it(`falls back to re-encoding when signed has ${name}`, () => {
      const parsed = parseSignedEnvelope(pretty(signed), opts, reader);
      expect(parsed.canonicalSigned).toBeUndefined();
      const plain = parseJsonStrict(pretty(signed), opts) as JsonObject;
      if (parsed.keyed) expect(Object.keys(plain.signed as JsonObject)).toContain('targets');
      else expect(parsed.value).toEqual(plain);
    });
  }
});
