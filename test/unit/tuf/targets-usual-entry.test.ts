/**
 * The parser reads a targets entry in its usual shape, `{"hashes":{…},"length":n}`, on a shortcut
 * (json/parse.ts Parser.usualEntry, KeyedFieldReader.readUsual) and falls back to the general path for
 * anything else. Each entry text below sits next to, or is one character away from, what the shortcut
 * takes: the reader's parse must give the plain-object parse's model, signed bytes, or refusal (code, path,
 * message with its character position), exactly.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { parseSignedEnvelope } from '../../../src/json/parse.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { getProfile } from '../../../src/profiles/index.js';
import { parseMetadata, type Metadata } from '../../../src/tuf/metadata.js';
import { targetsReader, type Targets } from '../../../src/tuf/targets.js';

const enc = new TextEncoder();
const HEX = 'ab'.repeat(32);
const HEX2 = 'cd'.repeat(64);
const B64 = Buffer.from(HEX, 'hex').toString('base64');

/** A targets file, canonical, whose `targets` object holds `entries` (raw JSON text) as written. */
function fileWith(profile: ProfileName, entries: string): Uint8Array {
  const signed =
    profile === 'tuf'
      ? `{"_type":"targets","expires":"2099-01-01T00:00:00Z","spec_version":"1.0.31","targets":{${entries}},"version":3}`
      : `{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2099-01-01T00:00:00Z","targets":{${entries}},"version":3}`;
  return enc.encode(`{"signatures":[],"signed":${signed}}`);
}

type Outcome = { model: unknown; json: string; shapes: unknown; signed: string } | { code: string; path: string | undefined; message: string };

function outcome(bytes: Uint8Array, profile: ProfileName | undefined): Outcome {
  try {
    const md: Metadata<Targets> = parseMetadata(bytes, 'targets', { maxBytes: 1 << 20, source: 'targets.json', ...(profile ? { profile } : {}) });
    const targets = [...md.signed.targets].sort(([a], [b]) => (a < b ? -1 : 1));
    // toEqual ignores key order and prototypes; the shortcut must give the very objects the general path
    // gives: each entry's own keys in order (the hashes' too) and plain prototypes, as JSON and
    // structuredClone see them.
    const shapes = targets.map(([name, t]) => [name, Object.keys(t), Object.getPrototypeOf(t) === Object.prototype, Object.keys(t.hashes), Object.getPrototypeOf(t.hashes) === Object.prototype]);
    return { model: { ...md.signed, targets }, json: JSON.stringify(targets), shapes, signed: Buffer.from(md.signedBytes()).toString('latin1') };
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return { code: err.code, path: err.path, message: err.message };
  }
}

for (const profile of ['tuf', 'notary'] as const) {
  const digest = profile === 'tuf' ? HEX : B64;
  const usual = `{"hashes":{"sha256":"${digest}"},"length":5}`;
  // [entry text(s) inside `targets`, accepted?]
  const table: [string, string, boolean][] = [
    ['the usual shape', `"a.tgz":${usual}`, true],
    // (Hex of a length divisible by 4 is also base64: the Notary profile takes these digests too.)
    ['two algorithms, ascending', `"a.tgz":{"hashes":{"sha256":"${HEX}","sha512":"${HEX2}"},"length":5}`, true],
    ['sha512 alone', `"a.tgz":{"hashes":{"sha512":"${HEX2}"},"length":5}`, true],
    ['three algorithms, ascending', `"a.tgz":{"hashes":{"sha256":"${HEX}","sha384":"${HEX}","sha512":"${HEX2}"},"length":5}`, true],
    ['four algorithms, ascending', `"a.tgz":{"hashes":{"blake2b":"${HEX}","sha256":"${HEX}","sha512":"${HEX2}","sha999":"${HEX}"},"length":5}`, true],
    ['another algorithm before the usual pair', `"a.tgz":{"hashes":{"md5":"${HEX}","sha256":"${HEX}","sha512":"${HEX2}"},"length":5}`, true],
    ['sha256 and another algorithm', `"a.tgz":{"hashes":{"sha256":"${HEX}","sha384":"${HEX2}"},"length":5}`, true],
    ['another algorithm and sha512', `"a.tgz":{"hashes":{"sha384":"${HEX}","sha512":"${HEX2}"},"length":5}`, true],
    ['names that begin like the usual ones', `"a.tgz":{"hashes":{"sha2560":"${HEX}","sha512x":"${HEX2}"},"length":5}`, true],
    ['a name that is a prefix of a usual one', `"a.tgz":{"hashes":{"sha25":"${HEX}","sha51":"${HEX2}"},"length":5}`, true],
    ['sha512 given twice', `"a.tgz":{"hashes":{"sha512":"${HEX2}","sha512":"${HEX2}"},"length":5}`, false],
    ['sha256 after sha512 after sha256', `"a.tgz":{"hashes":{"sha256":"${HEX}","sha512":"${HEX2}","sha256":"${HEX}"},"length":5}`, false],
    ['the usual pair with an upper-case name', `"a.tgz":{"hashes":{"SHA256":"${HEX}","sha512":"${HEX2}"},"length":5}`, true],
    ['the usual pair then an unclosed name', `"a.tgz":{"hashes":{"sha256":"${HEX}","sha512`, false],
    ['two algorithms, descending (the general path)', `"a.tgz":{"hashes":{"sha512":"${HEX2}","sha256":"${HEX}"},"length":5}`, true],
    ['an algorithm given twice', `"a.tgz":{"hashes":{"sha256":"${HEX}","sha256":"${HEX}"},"length":5}`, false],
    ['an algorithm named __proto__', `"a.tgz":{"hashes":{"__proto__":"${digest}"},"length":5}`, true],
    ['an algorithm named constructor', `"a.tgz":{"hashes":{"constructor":"${digest}"},"length":5}`, true],
    ['an integer-like algorithm name', `"a.tgz":{"hashes":{"1":"${digest}","sha256":"${digest}"},"length":5}`, true],
    ['an empty algorithm name', `"a.tgz":{"hashes":{"":"${digest}"},"length":5}`, true],
    ['a non-ASCII algorithm name', `"a.tgz":{"hashes":{"shä":"${digest}"},"length":5}`, true],
    ['an algorithm name outside the BMP', `"a.tgz":{"hashes":{"s😀":"${digest}"},"length":5}`, true],
    ['length 0', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":0}`, true],
    ['length with a leading zero', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":05}`, false],
    ['length 00', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":00}`, false],
    ['a negative length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":-5}`, false],
    ['length -0', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":-0}`, false],
    ['a 15-digit length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":999999999999999}`, true],
    ['a 16-digit safe length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":9007199254740991}`, true],
    ['an unsafe length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":9007199254740993}`, false],
    ['a fractional length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":5.0}`, false],
    ['an exponent', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":5e1}`, false],
    ['no digits', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":}`, false],
    ['a string length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":"5"}`, false],
    ['an empty digest', `"a.tgz":{"hashes":{"sha256":""},"length":5}`, false],
    ['an odd-length hex digest', `"a.tgz":{"hashes":{"sha256":"abc"},"length":5}`, false],
    ['an upper-case hex digest', `"a.tgz":{"hashes":{"sha256":"${HEX.toUpperCase()}"},"length":5}`, profile === 'notary'],
    ['a digest with an escape', `"a.tgz":{"hashes":{"sha256":"\\u0061${digest.slice(1)}"},"length":5}`, true],
    ['a digest with an escaped slash', `"a.tgz":{"hashes":{"sha256":"${digest.slice(0, -4)}\\/AA="},"length":5}`, profile === 'notary'],
    ['a digest with a raw tab', `"a.tgz":{"hashes":{"sha256":"${digest.slice(1)}\t"},"length":5}`, false],
    ['a digest with a raw DEL', `"a.tgz":{"hashes":{"sha256":"\u007f${digest.slice(1)}"},"length":5}`, false],
    ['a number digest', `"a.tgz":{"hashes":{"sha256":5},"length":5}`, false],
    ['empty hashes', `"a.tgz":{"hashes":{},"length":5}`, false],
    ['whitespace after a colon', `"a.tgz":{"hashes": {"sha256":"${digest}"},"length":5}`, true],
    ['whitespace before the closing brace', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":5 }`, true],
    ['a custom field after length', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":5,"custom":{"x":1}}`, true],
    ['an unknown field', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":5,"zzz":null}`, true],
    ['length before hashes', `"a.tgz":{"length":5,"hashes":{"sha256":"${digest}"}}`, true],
    ['length given twice', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":5,"length":6}`, false],
    ['a missing comma', `"a.tgz":{"hashes":{"sha256":"${digest}"}"length":5}`, false],
    ['an unclosed digest', `"a.tgz":{"hashes":{"sha256":"${digest}},"length":5}`, false],
    ['the usual entry after a misfit', `"a.tgz":{"hashes":{"sha256":"${digest}"},"length":-1},"b.tgz":${usual}`, false],
    ['a misfit after the usual entry', `"a.tgz":${usual},"b.tgz":{"hashes":{"sha256":"${digest}"},"length":-1}`, false],
  ];
  describe(`the usual-entry shortcut (${profile} profile) against the plain-object parse`, () => {
    for (const [name, entries, accepted] of table) {
      it(`${accepted ? 'accepts' : 'refuses'} ${name}, as the plain parse does`, () => {
        const bytes = fileWith(profile, entries);
        const fused = outcome(bytes, profile);
        expect(fused).toEqual(outcome(bytes, undefined));
        expect('model' in fused).toBe(accepted);
      });
    }

    it('an unterminated file ends the same way on either path', () => {
      const whole = fileWith(profile, `"a.tgz":${usual}`);
      for (let cut = whole.length - 40; cut < whole.length; cut++) {
        const bytes = whole.subarray(0, cut);
        expect(outcome(bytes, profile)).toEqual(outcome(bytes, undefined));
      }
    });

    // The shortcut counts the values the general path counts and needs the depth it needs: at every cap
    // around the file's own count, and at every depth limit, both parses accept or refuse alike.
    it('spends the value budget and depth as the general path does', () => {
      const bytes = fileWith(profile, `"a.tgz":${usual},"b.tgz":{"hashes":{"sha256":"${digest}","sha512":"${digest}"},"length":7}`);
      const run = (reader: boolean, maxValues: number, maxDepth: number): string => {
        try {
          const out = parseSignedEnvelope(bytes, { maxBytes: 1 << 20, path: '$', maxValues, maxDepth }, reader ? targetsReader(getProfile(profile)) : undefined);
          return `ok ${out.values}`;
        } catch (err) {
          if (!(err instanceof CeremonyError)) throw err;
          return `${err.code} ${err.path} ${err.message}`;
        }
      };
      const total = Number(run(false, 1000, 64).split(' ')[1]);
      expect(run(true, 1000, 64)).toBe(`ok ${total}`);
      for (let cap = total - 20; cap <= total + 2; cap++) expect(run(true, cap, 64), `cap ${cap}`).toBe(run(false, cap, 64));
      for (let depth = 1; depth <= 6; depth++) expect(run(true, 1000, depth), `depth ${depth}`).toBe(run(false, 1000, depth));
    });
  });
}
