import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { parseJsonStrict, parseJsonText } from '../../../src/json/parse.js';

const enc = new TextEncoder();
const parse = (text: string) => parseJsonStrict(enc.encode(text), { maxBytes: 1 << 20, path: 'f.json $' });

function codeOf(fn: () => unknown): { code: string; path: string | undefined } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return { code: (err as CeremonyError).code, path: (err as CeremonyError).path };
  }
  throw new Error('expected a refusal');
}

describe('parseJsonStrict: refusals, each with its code and the JSON path', () => {
  const table: [string, string, string, string?][] = [
    ['duplicate key', '{"a":1,"a":2}', 'JSON_DUPLICATE_KEY', 'f.json $.a'],
    ['nested duplicate key', '{"signed":{"keys":{"k":1,"k":1}}}', 'JSON_DUPLICATE_KEY', 'f.json $.signed.keys.k'],
    ['duplicate key spelled with an escape', '{"a":1,"\\u0061":2}', 'JSON_DUPLICATE_KEY'],
    ['duplicate of an earlier key after keys in ascending order', '{"a":1,"b":2,"a":3}', 'JSON_DUPLICATE_KEY', 'f.json $.a'],
    ['duplicate key after a descending pair', '{"b":1,"a":2,"b":3}', 'JSON_DUPLICATE_KEY', 'f.json $.b'],
    ['float', '{"version":1.0}', 'JSON_NUMBER_INVALID', 'f.json $.version'],
    ['exponent', '[1e3]', 'JSON_NUMBER_INVALID', 'f.json $[0]'],
    ['unsafe integer', '{"length":9007199254740993}', 'JSON_NUMBER_INVALID'],
    ['leading zero', '[01]', 'JSON_NUMBER_INVALID'],
    ['negative zero', '[-0]', 'JSON_NUMBER_INVALID'],
    ['NaN literal', '[NaN]', 'JSON_MALFORMED'],
    ['trailing comma in object', '{"a":1,}', 'JSON_MALFORMED'],
    ['trailing comma in array', '[1,]', 'JSON_MALFORMED'],
    ['single quotes', "{'a':1}", 'JSON_MALFORMED'],
    ['garbage after the value', '{} {}', 'JSON_MALFORMED'],
    ['unterminated string', '{"a":"b', 'JSON_MALFORMED'],
    ['raw newline in a string', '{"a":"x\ny"}', 'JSON_MALFORMED'],
    ['invalid escape', '{"a":"\\x41"}', 'JSON_MALFORMED'],
    ['short unicode escape', '{"a":"\\u12"}', 'JSON_MALFORMED'],
    ['lone high surrogate', '{"a":"\\ud800"}', 'JSON_MALFORMED'],
    ['lone low surrogate', '{"a":"\\udc00x"}', 'JSON_MALFORMED'],
    ['byte-order mark', '\ufeff{}', 'JSON_MALFORMED'],
    ['empty input', '', 'JSON_MALFORMED'],
    ['comment', '{"a":1 /* x */}', 'JSON_MALFORMED'],
    ['deep nesting', '['.repeat(65) + ']'.repeat(65), 'JSON_TOO_DEEP'],
    ['very deep nesting does not overflow the stack', '{"a":'.repeat(100000) + '1' + '}'.repeat(100000), 'JSON_TOO_DEEP'],
  ];
  for (const [name, text, code, path] of table) {
    it(`${name} → ${code}`, () => {
      const r = codeOf(() => parse(text));
      expect(r.code).toBe(code);
      if (path) expect(r.path).toBe(path);
    });
  }

  it('refuses bytes that are not UTF-8', () => {
    expect(codeOf(() => parseJsonStrict(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), { maxBytes: 10, path: '$' })).code).toBe('JSON_MALFORMED');
  });

  it('large documents (the ASCII fast path of decoding) refuse what small ones refuse: bad UTF-8, a byte-order mark, and still read non-ASCII text', () => {
    const pad = ' '.repeat(8192);
    const big = (inner: Uint8Array) => Uint8Array.from([...enc.encode(`{"pad":"${pad}","a":"`), ...inner, ...enc.encode('"}')]);
    expect(codeOf(() => parseJsonStrict(big(new Uint8Array([0xc3, 0x28])), { maxBytes: 1 << 20, path: '$' })).code).toBe('JSON_MALFORMED');
    expect(codeOf(() => parseJsonStrict(big(new Uint8Array([0xed, 0xa0, 0x80])), { maxBytes: 1 << 20, path: '$' })).code).toBe('JSON_MALFORMED');
    expect(codeOf(() => parseJsonStrict(Uint8Array.from([0xef, 0xbb, 0xbf, ...big(new Uint8Array())]), { maxBytes: 1 << 20, path: '$' })).code).toBe('JSON_MALFORMED');
    expect(codeOf(() => parseJsonStrict(big(enc.encode('x\u0000')).subarray(0, 8200), { maxBytes: 1 << 20, path: '$' })).code).toBe('JSON_MALFORMED');
    expect((parseJsonStrict(big(enc.encode('é😀\u00e9')), { maxBytes: 1 << 20, path: '$' }) as { a: string }).a).toBe('é😀é');
    expect((parseJsonStrict(big(enc.encode('plain')), { maxBytes: 1 << 20, path: '$' }) as { a: string }).a).toBe('plain');
    expect(codeOf(() => parseJsonStrict(big(enc.encode('a\nb')).map((b) => (b === 0x5c ? 0x0a : b)), { maxBytes: 1 << 20, path: '$' })).code).toBe('JSON_MALFORMED');
  });

  it('checks the size cap before decoding', () => {
    expect(codeOf(() => parseJsonStrict(new Uint8Array(11).fill(0xff), { maxBytes: 10, path: '$' })).code).toBe('INPUT_TOO_LARGE');
  });
});

describe('parseJsonStrict: what it accepts', () => {
  it('keeps "__proto__" as plain data: no prototype switch, no pollution', () => {
    const v = parse('{"__proto__":{"version":5,"polluted":true},"constructor":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ version: 5, polluted: true });
    expect(v.version).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps integers, negatives, escapes, surrogate pairs and non-BMP text', () => {
    expect(parse('{"n":[0,-5,9007199254740991],"s":"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00😀\ue000","t":true,"f":false,"z":null}')).toEqual({
      n: [0, -5, 9007199254740991],
      s: 'a"\\/\b\f\n\r\té😀😀\ue000',
      t: true,
      f: false,
      z: null,
    });
  });

  it('reads a long string with thousands of escapes (stretches and escapes assembled in batches) to its exact value', () => {
    // Every escape JSON has, between stretches of 0–40 plain characters (non-ASCII and astral included).
    const escapes: [string, string][] = [['\\"', '"'], ['\\\\', '\\'], ['\\/', '/'], ['\\b', '\b'], ['\\f', '\f'], ['\\n', '\n'], ['\\r', '\r'], ['\\t', '\t'], ['\\u0041', 'A'], ['\\u00e9', 'é'], ['\\ud83d\\ude00', '😀'], ['\\u0000', '\u0000']];
    const plain = [...'abc déf 😀 \ue000 0123456789 ghijklmnopqrstuvwxyz']; // code points: a stretch never splits a pair
    let json = '';
    let value = '';
    for (let i = 0; i < 5000; i++) {
      const run = plain.slice(0, (i * 7) % 41).join('');
      const [escaped, char] = escapes[i % escapes.length]!;
      json += run + escaped;
      value += run + char;
    }
    expect((parse(`{"s":"${json}tail"}`) as { s: string }).s).toBe(value + 'tail');
    // Nothing but escapes, and a surrogate pair split across each possible batch boundary.
    for (let k = 1018; k <= 1026; k++) {
      expect((parse(`["${'\\n'.repeat(k)}\\ud83d\\ude00"]`) as string[])[0]).toBe('\n'.repeat(k) + '😀');
    }
  });

  it('a long escaped string still refuses what a short one does, at the same character', () => {
    const head = `{"s":"${'ab\\n'.repeat(3000)}`;
    const at = head.length;
    for (const [tail, what] of [
      ['\\ud800"}', 'lone UTF-16 surrogate'],
      ['\\ud83d"}', 'lone UTF-16 surrogate'],
      ['x\u0001"}', `raw control character in a string must be escaped (character ${at + 1})`],
      ['\\x41"}', `invalid escape "\\\\x41\\"}" (character ${at})`],
      ['\\u12"}', `a \\u escape needs four hex digits (character ${at + 2})`],
      ['abc', `unterminated string (character ${at + 3})`],
    ]) {
      let err: unknown;
      try {
        parse(head + tail!);
      } catch (e) {
        err = e;
      }
      expect(err, tail).toBeInstanceOf(CeremonyError);
      expect((err as CeremonyError).code).toBe('JSON_MALFORMED');
      expect((err as CeremonyError).path).toBe('f.json $.s');
      expect((err as CeremonyError).message).toContain(what);
    }
  });

  it('parses a 5 MB string with an escape every 1,000 characters (no per-character string building)', () => {
    const stretch = 'x'.repeat(999);
    const json = `["${(stretch + '\\n').repeat(5000)}"]`;
    const s = (parseJsonStrict(enc.encode(json), { maxBytes: 1 << 23, path: '$' }) as string[])[0]!;
    expect(s.length).toBe(5000 * 1000);
    expect(s.slice(0, 1001)).toBe(stretch + '\n' + 'x');
    expect(s.endsWith('x\n')).toBe(true);
  });

  it('accepts whitespace around tokens', () => {
    expect(parseJsonText(' \n\t{ "a" : [ 1 , 2 ] }\r\n')).toEqual({ a: [1, 2] });
  });
});
