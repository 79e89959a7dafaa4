/**
 * The ceremony state file is read back as untrusted input: its token, key and output names are the file's.
 * A name "__proto__" is kept as a name (an own entry), not taken as the record's prototype, which would
 * make every other lookup in it answer from the file's object.
 */
import { describe, expect, it } from 'vitest';
import { newState, readState, stateBytes } from '../../../src/ceremony/state.js';
import { parseJsonStrict } from '../../../src/json/parse.js';
import type { JsonObject } from '../../../src/json/types.js';

const SHA = 'a'.repeat(64);

function stateWith() {
  const o = JSON.parse(Buffer.from(stateBytes(newState({ planSha256: SHA, profile: 'tuf', repository: 'r', rehearsal: true, now: new Date(0) }))).toString('utf8')) as JsonObject;
  // JSON text, as the file is: JSON.parse / parseJsonStrict make "__proto__" an own key.
  const text = JSON.stringify(o).replace('"outputs":{}', `"outputs":{"__proto__":"${SHA}","root.json":"${SHA}"}`).replace('"tokens":{}', '"tokens":{"__proto__":{"serial":"123","label":"evil"}}');
  return readState(parseJsonStrict(new TextEncoder().encode(text), { maxBytes: 1 << 20, path: '$' }));
}

describe('ceremony state names', () => {
  it('"__proto__" as an output and a token name is an own entry; the records keep their plain prototype', () => {
    const state = stateWith();
    expect(Object.keys(state.outputs)).toEqual(['__proto__', 'root.json']);
    expect(Object.getPrototypeOf(state.outputs)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(state.tokens)).toBe(Object.prototype);
    expect(Object.keys(state.tokens)).toEqual(['__proto__']);
    // No lookup answers from the file's object.
    expect((state.tokens as Record<string, unknown>).serial).toBeUndefined();
    // Written back as read.
    expect(Buffer.from(stateBytes(state)).toString('utf8')).toContain(`"__proto__": "${SHA}"`);
  });
});
