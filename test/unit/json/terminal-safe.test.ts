/**
 * terminalSafe (src/json/fields.ts): the net under everything the CLI prints (src/cli/output.ts processIo).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processIo } from '../../../src/cli/output.js';
import { terminalSafe } from '../../../src/json/fields.js';

describe('terminalSafe', () => {
  it.each([
    ['an escape sequence that moves the cursor up and clears the line', 'ok\u001b[1A\u001b[2Kforged', 'ok\\u001b[1A\\u001b[2Kforged'],
    ['a C1 control sequence introducer', 'a\u009b2Jb', 'a\\u009b2Jb'],
    ['a right-to-left override', 'rel\u202eeases', 'rel\\u202eeases'],
    ['a carriage return that rewrites the line', 'REFUSED\rACCEPTED', 'REFUSED\\u000dACCEPTED'],
    ['a line separator', 'a\u2028b', 'a\\u2028b'],
    ['a zero-width joiner', 'a\u200db', 'a\\u200db'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
  ])('escapes %s', (_what, input, shown) => {
    expect(terminalSafe(input)).toBe(shown);
  });

  it('keeps line feeds, tabs are escaped, and ordinary text (accents, CJK, emoji) is left alone', () => {
    expect(terminalSafe('line 1\nline 2\n')).toBe('line 1\nline 2\n');
    expect(terminalSafe('a\tb')).toBe('a\\u0009b');
    expect(terminalSafe('Zoë 鍵 🔑 registry.example.com/org/app')).toBe('Zoë 鍵 🔑 registry.example.com/org/app');
  });

  it('JSON output stays valid JSON with the same value', () => {
    const json = JSON.stringify({ name: 'x\u202e\u009by' });
    expect(JSON.parse(terminalSafe(json))).toEqual({ name: 'x\u202e\u009by' });
  });
});

describe('processIo prints through terminalSafe', () => {
  afterEach(() => vi.restoreAllMocks());

  it('on stdout and stderr', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    processIo.out('role rel\u202eeases');
    processIo.err('error[X]: \u001b[2Khidden');
    expect(out).toHaveBeenCalledWith('role rel\\u202eeases\n');
    expect(err).toHaveBeenCalledWith('error[X]: \\u001b[2Khidden\n');
  });
});
