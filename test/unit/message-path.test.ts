/**
 * The " (at PATH)" suffix, in one place for the core and the screens (src/message-path.ts): a re-thrown
 * refusal keeps its words without its own path, and only that path is cut — never a parenthesis the
 * message holds, never another path it quotes.
 */
import { describe, expect, test } from 'vitest';
import { CeremonyError, messageWithoutPath } from '../../src/errors.js';
import { pathSuffix, stripPathSuffix } from '../../src/message-path.js';

const CASES: { words: string; path?: string }[] = [
  { words: 'expected "tuf-ceremony-plan"', path: '$.format' },
  // A path holding parentheses and spaces: the older ` \(at [^)]*\)$` pattern left it whole.
  { words: 'not base64', path: 'response 2 (Alice) $.signatures[0]' },
  // A message quoting another refusal's path: only the outer one goes.
  { words: 'key 3f2a…: the chain ends at "Test Root" (at attestations.json.attestations["3f2a"].device)', path: '$.keys[0]' },
  { words: 'no path at all' },
  { words: 'an empty path is no path', path: '' },
];

describe('pathSuffix / stripPathSuffix / messageWithoutPath', () => {
  test.each(CASES)('$words ($path)', ({ words, path }) => {
    const err = new CeremonyError('SCHEMA_INVALID', words, path === undefined ? {} : { path });
    expect(err.message).toBe(`${words}${pathSuffix(path)}`);
    expect(messageWithoutPath(err)).toBe(words);
    expect(stripPathSuffix(err.message, path)).toBe(words);
    // Re-thrown with words of its own and the same path: the path is printed once.
    const wrapped = new CeremonyError(err.code, `file.json: ${messageWithoutPath(err)}`, path === undefined ? {} : { path });
    expect(wrapped.message.split(' (at ').length - 1).toBe((path ? 1 : 0) + (words.includes(' (at ') ? 1 : 0));
  });

  test('a message that does not end with its path is left whole', () => {
    expect(stripPathSuffix('the file (at $.a) was read', '$.a')).toBe('the file (at $.a) was read');
    expect(stripPathSuffix('words (at $.b)', '$.a')).toBe('words (at $.b)');
    expect(pathSuffix(undefined)).toBe('');
  });
});
