/**
 * A targets file whose profile is known has `signed.targets` read straight into the model as it is parsed
 * (targetsReader, json/parse.ts KeyedFieldReader); without a known profile the same file goes through the
 * plain-object parse and parseTargetsSigned. The two must accept the same files with the same model and
 * the same signed bytes, and refuse the same files with the same code, JSON path and message — including
 * which of two bad entries is named, in the order the plain-object parse walks them.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { canonicalString } from '../../../src/json/canonical.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { parseMetadata, type Metadata } from '../../../src/tuf/metadata.js';
import type { Targets } from '../../../src/tuf/targets.js';

const enc = new TextEncoder();
const FAR = '2099-01-01T00:00:00Z';
const HEX = 'ab'.repeat(32);
const B64 = Buffer.from(HEX, 'hex').toString('base64');

function signedOf(profile: ProfileName, targets: JsonValue): JsonObject {
  return profile === 'tuf'
    ? { _type: 'targets', spec_version: '1.0.31', version: 3, expires: FAR, targets }
    : { _type: 'Targets', version: 3, expires: FAR, targets, delegations: { keys: {}, roles: [] } };
}

function file(profile: ProfileName, targets: JsonValue, style: 'compact' | 'pretty' = 'compact'): Uint8Array {
  const env = { signatures: [], signed: signedOf(profile, targets) };
  return enc.encode(style === 'compact' ? canonicalString(env, 'tuf') : JSON.stringify(JSON.parse(canonicalString(env, 'tuf')), null, 1));
}

type Outcome = { ok: Metadata<Targets> } | { code: string; path: string | undefined; message: string };

function parse(bytes: Uint8Array, profile: ProfileName | undefined): Outcome {
  try {
    return { ok: parseMetadata(bytes, 'targets', { maxBytes: 1 << 20, source: 'targets.json', ...(profile ? { profile } : {}) }) };
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return { code: err.code, path: err.path, message: err.message };
  }
}

/** The model as plain data, entries sorted by name (Map order may differ for integer-like names). */
function model(md: Metadata<Targets>): unknown {
  return { ...md.signed, targets: [...md.signed.targets].sort(([a], [b]) => (a < b ? -1 : 1)) };
}

function expectSame(bytes: Uint8Array, profile: ProfileName): Outcome {
  const fused = parse(bytes, profile);
  const plain = parse(bytes, undefined);
  if ('ok' in plain) {
    expect('ok' in fused ? 'accepted' : fused, 'the reader refused what the plain parse accepts').toBe('accepted');
    const a = (fused as { ok: Metadata<Targets> }).ok;
    expect(model(a)).toEqual(model(plain.ok));
    expect(Buffer.from(a.signedBytes()).equals(Buffer.from(plain.ok.signedBytes()))).toBe(true);
    expect(canonicalString(a.signedJson, 'tuf')).toBe(canonicalString(plain.ok.signedJson, 'tuf'));
  } else {
    expect(fused).toEqual(plain);
  }
  return fused;
}

const good = (profile: ProfileName): { length: number; hashes: JsonObject } => ({ length: 5, hashes: profile === 'tuf' ? { sha256: HEX, sha512: HEX + HEX } : { sha256: B64 } });

for (const profile of ['tuf', 'notary'] as const) {
  describe(`targetsReader (${profile} profile) against the plain-object parse`, () => {
    const ok = good(profile);
    const accepted: [string, JsonValue][] = [
      ['no targets', {}],
      ['several entries', { 'a.tgz': ok, 'b/c.tgz': ok, 'd e.tgz': { ...ok, custom: { x: [1, 'y'] } } }],
      ['an unknown field in an entry', { 'a.tgz': { ...ok, note: 'kept' } }],
      ['integer-like names and __proto__', { '10': ok, '9': ok, __proto__x: ok, 'z.tgz': ok }],
      ['an unknown hash algorithm', { 'a.tgz': { length: 0, hashes: { blake3: profile === 'tuf' ? 'cd'.repeat(32) : B64 } } }],
    ];
    for (const [name, targets] of accepted) {
      for (const style of ['compact', 'pretty'] as const) {
        it(`accepts ${name} (${style}) with the same model, JSON and signed bytes`, () => {
          const out = expectSame(file(profile, targets, style), profile);
          expect('ok' in out).toBe(true);
        });
      }
    }

    it('reads the entries in document order (the plain parse puts integer-like names first): the reader did the reading', () => {
      const bytes = file(profile, { '10': ok, '9': ok, 'a.tgz': ok });
      const fused = parse(bytes, profile) as { ok: Metadata<Targets> };
      const plain = parse(bytes, undefined) as { ok: Metadata<Targets> };
      expect([...fused.ok.signed.targets.keys()]).toEqual(['10', '9', 'a.tgz']);
      expect([...plain.ok.signed.targets.keys()]).toEqual(['9', '10', 'a.tgz']);
    });

    it('keeps a target named "__proto__" as data, in the model and in the JSON rebuilt from it', () => {
      const bytes = enc.encode(
        canonicalString({ signatures: [], signed: signedOf(profile, {}) }, 'tuf').replace('"targets":{}', `"targets":{"__proto__":${canonicalString(ok, 'tuf')}}`),
      );
      const out = expectSame(bytes, profile);
      const md = (out as { ok: Metadata<Targets> }).ok;
      expect(md.signed.targets.get('__proto__')?.length).toBe(5);
      const json = md.signedJson.targets as JsonObject;
      expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
      expect(Object.hasOwn(json, '__proto__')).toBe(true);
    });

    const refused: [string, string, JsonValue][] = [
      ['an entry that is not an object', 'SCHEMA_INVALID', { 'a.tgz': ok, 'b.tgz': [1] }],
      ['an entry that is null', 'SCHEMA_INVALID', { 'b.tgz': null }],
      ['a negative length', 'SCHEMA_INVALID', { 'a.tgz': { ...ok, length: -1 } }],
      ['a length as a string', 'SCHEMA_INVALID', { 'a.tgz': { ...ok, length: '5' } }],
      ['no length', 'SCHEMA_INVALID', { 'a.tgz': { hashes: ok.hashes } }],
      ['no hashes', 'SCHEMA_INVALID', { 'a.tgz': { length: 1 } }],
      ['empty hashes', 'SCHEMA_INVALID', { 'a.tgz': { length: 1, hashes: {} } }],
      ['hashes as an array', 'SCHEMA_INVALID', { 'a.tgz': { length: 1, hashes: [HEX] } }],
      ['a hash that is a number', 'SCHEMA_INVALID', { 'a.tgz': { length: 1, hashes: { sha256: 5 } } }],
      ['a hash that is not in the profile encoding', 'SCHEMA_INVALID', { 'a.tgz': { length: 1, hashes: { sha256: 'zz!' } } }],
      ['an upper-case hex or unpadded hash', 'SCHEMA_INVALID', { 'a.tgz': { length: 1, hashes: { sha256: profile === 'tuf' ? HEX.toUpperCase() : B64.replace(/=+$/, '') } } }],
      ['an odd-length hex hash', 'SCHEMA_INVALID', { 'a.tgz': { length: 1, hashes: { sha256: profile === 'tuf' ? 'abc' : 'abc' } } }],
      ['the later of two bad entries named first when its name is integer-like (plain-object key order)', 'SCHEMA_INVALID', { 'a.tgz': { length: -1, hashes: ok.hashes }, '7': { length: -2, hashes: ok.hashes } }],
      ['targets as an array', 'SCHEMA_INVALID', [ok]],
      ['targets as a string', 'SCHEMA_INVALID', 'a.tgz'],
    ];
    for (const [name, code, targets] of refused) {
      it(`refuses ${name} → ${code}, with the plain parse's path and message`, () => {
        const out = expectSame(file(profile, targets), profile);
        expect(out).toMatchObject({ code });
        if (name.startsWith('the later of two')) expect(out).toMatchObject({ path: 'targets.json $.signed.targets["7"].length' });
      });
    }

    it('refuses a target name given twice → JSON_DUPLICATE_KEY at that name', () => {
      const entry = canonicalString(ok, 'tuf');
      const bytes = enc.encode(canonicalString({ signatures: [], signed: signedOf(profile, {}) }, 'tuf').replace('"targets":{}', `"targets":{"a.tgz":${entry},"a.tgz":${entry}}`));
      const out = expectSame(bytes, profile);
      expect(out).toMatchObject({ code: 'JSON_DUPLICATE_KEY', path: 'targets.json $.signed.targets["a.tgz"]' });
    });

    it('refuses a target name given again after other names in ascending order → JSON_DUPLICATE_KEY (the lookup skipped while keys ascend resumes)', () => {
      const entry = canonicalString(ok, 'tuf');
      const bytes = enc.encode(canonicalString({ signatures: [], signed: signedOf(profile, {}) }, 'tuf').replace('"targets":{}', `"targets":{"a.tgz":${entry},"b.tgz":${entry},"a.tgz":${entry}}`));
      expect(expectSame(bytes, profile)).toMatchObject({ code: 'JSON_DUPLICATE_KEY', path: 'targets.json $.signed.targets["a.tgz"]' });
    });

    // The parser's hex shortcut (KeyedFieldReader.read allHex) may only ever skip a check whose answer it
    // knows: a digest spelled with escapes, or next to strings that are not hex, goes through the full check.
    const spelled: [string, (text: string) => string, string | undefined][] = [
      ['a hex digest with a \\u escape for a hex letter (decodes to lower-case hex)', (t) => t.replace(`"${HEX}"`, `"\\u0061${HEX.slice(1)}"`), undefined],
      ['a hex digest with a \\u escape for an upper-case letter', (t) => t.replace(`"${HEX}"`, `"\\u0041${HEX.slice(1)}"`), 'SCHEMA_INVALID'],
      ['an empty digest', (t) => t.replace(`"${HEX}"`, '""'), 'SCHEMA_INVALID'],
      ['a digest with a non-hex letter next to a custom string', (t) => t.replace(`"${HEX}"`, `"g${HEX.slice(1)}"`), 'SCHEMA_INVALID'],
    ];
    if (profile === 'tuf') {
      for (const [name, edit, code] of spelled) {
        it(`${code ? 'refuses' : 'accepts'} ${name}${code ? ` → ${code}` : ''}, as the plain parse does`, () => {
          const text = canonicalString({ signatures: [], signed: signedOf(profile, { 'a.tgz': { length: 1, hashes: { sha256: HEX } }, 'b.tgz': { ...ok, custom: 'not hex' } }) }, 'tuf');
          const edited = edit(text);
          expect(edited).not.toBe(text);
          const out = expectSame(enc.encode(edited), profile);
          if (code) expect(out).toMatchObject({ code, path: 'targets.json $.signed.targets["a.tgz"].hashes.sha256' });
          else expect((out as { ok: Metadata<Targets> }).ok.signed.targets.get('a.tgz')?.hashes.sha256).toBe(HEX);
        });
      }
    }

    it('refuses "targets" given twice in signed → JSON_DUPLICATE_KEY', () => {
      const bytes = enc.encode(canonicalString({ signatures: [], signed: signedOf(profile, {}) }, 'tuf').replace('"targets":{}', '"targets":{},"targets":{}'));
      expect(expectSame(bytes, profile)).toMatchObject({ code: 'JSON_DUPLICATE_KEY', path: 'targets.json $.signed.targets' });
    });

    it('a JSON error after a bad entry is still the one refused (parse before schema)', () => {
      const text = canonicalString({ signatures: [], signed: signedOf(profile, { 'a.tgz': { ...ok, length: -1 } }) }, 'tuf').replace(/"version":3/, '"version":3.5');
      expect(expectSame(enc.encode(text), profile)).toMatchObject({ code: 'JSON_NUMBER_INVALID' });
    });

    it('an object named "targets" elsewhere in the file is parsed as plain JSON', () => {
      const bytes = enc.encode(canonicalString({ other: { targets: { x: 1 } }, signatures: [], signed: signedOf(profile, { 'a.tgz': ok }) }, 'tuf'));
      const out = expectSame(bytes, profile);
      expect((out as { ok: Metadata<Targets> }).ok.unrecognized).toEqual({ other: { targets: { x: 1 } } });
    });
  });
}
