/**
 * Issue #18: the schema readers of a root chain check the common case inline and format JSON paths only
 * to refuse; hex is decoded in one pass. Every refusal keeps its code and its path — these tables pin both.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { decodeHex } from '../../../src/profiles/encoding.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { serializeMetadata } from '../../../src/tuf/sign.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { refusal } from '../../support/refusal.js';
import { rootSigned, withField, type RootKeys } from '../../support/repo.js';

const HEX = /^(?:[0-9a-f]{2})+$/;

describe('decodeHex', () => {
  const refused = ['', 'a', 'abc', 'AB', 'aB', 'g0', '0g', 'ab ', ' ab', '0x', 'ab\n', '٠١', 'éa', 'ab\u0000', '+1', '-1'];
  it.each(refused)('refuses %j with the caller code and path', (text) => {
    const err = refusal(() => decodeHex(text, '$.sig', 'SIGNATURE_ENCODING', 'the signature'));
    expect(err.code).toBe('SIGNATURE_ENCODING');
    expect(err.path).toBe('$.sig');
  });

  it('decodes every lower-case hex byte', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeHex(Buffer.from(all).toString('hex'), '$', 'SCHEMA_INVALID', 'x')).toEqual(all);
  });

  it('accepts exactly what /^(?:[0-9a-f]{2})+$/ accepts, with the bytes Buffer decodes (4,000 random strings)', () => {
    const alphabet = '0123456789abcdefABCDEFg x\n';
    let accepted = 0;
    for (let n = 0; n < 4000; n++) {
      const r = randomBytes(1 + (n % 9));
      const text = n % 2 === 0 ? r.toString('hex') : Array.from(r, (b) => alphabet[b % alphabet.length]).join('');
      if (HEX.test(text)) {
        expect(decodeHex(text, '$', 'SCHEMA_INVALID', 'x')).toEqual(new Uint8Array(Buffer.from(text, 'hex')));
        accepted++;
      } else {
        expect(refusal(() => decodeHex(text, '$', 'SCHEMA_INVALID', 'x')).code).toBe('SCHEMA_INVALID');
      }
    }
    expect(accepted).toBeGreaterThan(1500);
  });
});

describe('root schema: inline checks refuse with the same codes and paths', () => {
  let keys: RootKeys;
  const ready = (async () => {
    const k = async (): Promise<TestKey> => makeKey('tuf', 'ed25519');
    keys = { root: [await k(), await k(), await k()], targets: [await k()], snapshot: [await k()], timestamp: [await k()] };
  })();

  /** A root file (signatures are not checked by parsing: any well-formed ones do). */
  function rootFile(edit: (signed: JsonObject) => JsonObject, signatures?: JsonValue[]): Uint8Array {
    const signed = edit(rootSigned('tuf', 1, keys, { root: 2 }));
    const sigs = signatures ?? keys.root.map((k) => ({ keyid: k.keyId, sig: 'ab'.repeat(64) }));
    // Written as given (serializeMetadata would rebuild each signature object).
    return signatures ? new TextEncoder().encode(JSON.stringify({ signatures: sigs, signed })) : serializeMetadata('tuf', { signed, signatures: sigs as never });
  }
  const parse = (bytes: Uint8Array) => parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: '1.root.json' });

  it('a well-formed root parses', async () => {
    await ready;
    const md = parse(rootFile((s) => s));
    expect(md.signatures).toHaveLength(3);
    expect(md.signed.roles.get('root')).toMatchObject({ threshold: 2 });
  });

  const cases: [string, (s: JsonObject) => JsonObject, string, string][] = [
    ['_type not a string', (s) => withField(s, ['_type'], 1), 'SCHEMA_INVALID', '1.root.json $.signed._type'],
    ['version a string', (s) => withField(s, ['version'], '1'), 'SCHEMA_INVALID', '1.root.json $.signed.version'],
    ['version 0', (s) => withField(s, ['version'], 0), 'SCHEMA_INVALID', '1.root.json $.signed.version'],
    ['expires not a string', (s) => withField(s, ['expires'], 20300101), 'SCHEMA_INVALID', '1.root.json $.signed.expires'],
    ['expires not a TUF date', (s) => withField(s, ['expires'], '2030-01-01T00:00:00.5Z'), 'DATE_INVALID', '1.root.json $.signed.expires'],
    ['expires on a day that does not exist', (s) => withField(s, ['expires'], '2030-02-31T00:00:00Z'), 'DATE_INVALID', '1.root.json $.signed.expires'],
    ['spec_version not a string', (s) => withField(s, ['spec_version'], 1), 'SCHEMA_INVALID', '1.root.json $.signed.spec_version'],
    ['spec_version 2.0', (s) => withField(s, ['spec_version'], '2.0.0'), 'SPEC_VERSION_UNSUPPORTED', '1.root.json $.signed.spec_version'],
    ['role keyids not an array', (s) => withField(s, ['roles', 'snapshot', 'keyids'], 'x'), 'SCHEMA_INVALID', '1.root.json $.signed.roles.snapshot.keyids'],
    [
      'a role key ID not a string',
      (s) => withField(s, ['roles', 'root', 'keyids'], [keys.root[0]!.keyId, 7]),
      'SCHEMA_INVALID',
      '1.root.json $.signed.roles.root.keyids[1]',
    ],
    [
      'a role key ID listed twice',
      (s) => withField(s, ['roles', 'root', 'keyids'], [keys.root[0]!.keyId, keys.root[1]!.keyId, keys.root[0]!.keyId]),
      'KEY_DUPLICATE_IN_ROLE',
      '1.root.json $.signed.roles.root.keyids[2]',
    ],
    ['a role key not in the table', (s) => withField(s, ['roles', 'timestamp', 'keyids'], ['cd'.repeat(32)]), 'ROLE_KEY_MISSING', '1.root.json $.signed.roles.timestamp.keyids[0]'],
    ['threshold a string', (s) => withField(s, ['roles', 'targets', 'threshold'], '1'), 'SCHEMA_INVALID', '1.root.json $.signed.roles.targets.threshold'],
    ['threshold negative', (s) => withField(s, ['roles', 'targets', 'threshold'], -1), 'SCHEMA_INVALID', '1.root.json $.signed.roles.targets.threshold'],
    ['threshold 0', (s) => withField(s, ['roles', 'targets', 'threshold'], 0), 'THRESHOLD_INVALID', '1.root.json $.signed.roles.targets.threshold'],
    ['threshold above the keys', (s) => withField(s, ['roles', 'root', 'threshold'], 4), 'THRESHOLD_INVALID', '1.root.json $.signed.roles.root.threshold'],
    ['a role missing', (s) => withField(s, ['roles', 'snapshot'], undefined), 'SCHEMA_INVALID', '1.root.json $.signed.roles.snapshot'],
    ['an extra top-level role', (s) => withField(s, ['roles', 'mirror'], { keyids: [], threshold: 1 }), 'SCHEMA_INVALID', '1.root.json $.signed.roles.mirror'],
  ];
  it.each(cases)('%s', async (_name, edit, code, path) => {
    await ready;
    const err = refusal(() => parse(rootFile(edit)));
    expect(err.code).toBe(code);
    expect(err.path).toBe(path);
  });

  const sig = (keyid: JsonValue, s: JsonValue = 'ab'.repeat(64)): JsonValue => ({ keyid, sig: s });
  const sigCases: [string, () => JsonValue[], string, string][] = [
    ['signatures not objects', () => [sig(keys.root[0]!.keyId), 'x'], 'SCHEMA_INVALID', '1.root.json $.signatures[1]'],
    ['a key ID not a string', () => [sig(5)], 'SCHEMA_INVALID', '1.root.json $.signatures[0].keyid'],
    ['a key ID in upper case', () => [sig(keys.root[0]!.keyId.toUpperCase())], 'SCHEMA_INVALID', '1.root.json $.signatures[0].keyid'],
    ['a key ID of 62 hex characters', () => [sig(keys.root[0]!.keyId.slice(2))], 'SCHEMA_INVALID', '1.root.json $.signatures[0].keyid'],
    ['a sig not a string', () => [sig(keys.root[0]!.keyId, 12)], 'SCHEMA_INVALID', '1.root.json $.signatures[0].sig'],
    // Few signatures are compared one by one, many through a set: both ways refuse a repeat where it is.
    ['two signatures by one key ID (of 3)', () => [sig(keys.root[0]!.keyId), sig(keys.root[1]!.keyId), sig(keys.root[0]!.keyId)], 'SIGNATURE_DUPLICATE', '1.root.json $.signatures[2]'],
    [
      'two signatures by one key ID (of 12)',
      () => [...Array.from({ length: 11 }, (_, i) => sig(i.toString(16).padStart(64, 'e'))), sig((3).toString(16).padStart(64, 'e'))],
      'SIGNATURE_DUPLICATE',
      '1.root.json $.signatures[11]',
    ],
  ];
  it.each(sigCases)('%s', async (_name, sigs, code, path) => {
    await ready;
    const err = refusal(() => parse(rootFile((s) => s, sigs())));
    expect(err.code).toBe(code);
    expect(err.path).toBe(path);
  });

  it('twelve signatures by distinct key IDs are kept, in order', async () => {
    await ready;
    const ids = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(64, 'e'));
    const md = parse(rootFile((s) => s, ids.map((id) => sig(id))));
    expect(md.signatures.map((s) => s.keyid)).toEqual(ids);
  });
});
