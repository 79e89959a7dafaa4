/**
 * Site bindings (src/ceremony/site-bindings.ts): the day's module, token and PIN source per custodian,
 * bound to one plan by its intent hash; refusals with codes and paths; no PIN can be written in them.
 * Server key files (src/ceremony/server-key.ts): strict, and checked against the plan's hash.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toErrorShape, type ErrorCode } from '../../../src/errors.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import { parseServerKey } from '../../../src/ceremony/server-key.js';
import { parseSiteBindings } from '../../../src/ceremony/site-bindings.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { refusal } from '../../support/refusal.js';

const enc = (v: JsonValue | string): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const PLAN: JsonObject = {
  format: 'tuf-ceremony-plan',
  version: 1,
  kind: 'root',
  profile: 'tuf',
  repository: 'example.com/repo',
  custodians: [
    { name: 'Alice', token: { serial: '1111' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
    { name: 'Bob', token: null, keyAlgorithm: 'ed25519', keyLabel: 'root-bob' },
  ],
  root: { threshold: 2, expires: '2036-01-01T00:00:00Z' },
  targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: '2029-01-01T00:00:00Z' },
  snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ed25519', keyLabel: 'snapshot' }, expires: '2029-01-01T00:00:00Z' },
  timestamp: { key: { custodian: 'Bob', keyAlgorithm: 'ed25519', keyLabel: 'timestamp' }, expires: '2027-01-01T00:00:00Z' },
};
const planBytes = enc(PLAN);
const plan = parsePlan(planBytes);
const planSha = sha(planBytes);

function bindings(): JsonObject {
  return {
    format: 'tuf-ceremony-site-bindings',
    version: 1,
    planSha256: planSha,
    module: { preset: 'ykcs11' },
    custodians: {
      Alice: { pin: 'prompt' },
      Bob: { token: { serial: '2222' }, pin: { env: 'BOB_PIN' }, module: { path: '/usr/lib/softhsm/libsofthsm2.so' } },
    },
  };
}

function set(obj: JsonObject, path: string[], value: JsonValue | undefined): JsonObject {
  const copy = structuredClone(obj);
  let cur = copy as Record<string, JsonValue>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string, JsonValue>;
  if (value === undefined) delete cur[path[path.length - 1]!];
  else cur[path[path.length - 1]!] = value;
  return copy;
}

describe('site bindings', () => {
  it('merge the plan’s token pins with the day’s choices; PIN sources, modules', () => {
    const b = parseSiteBindings(enc(bindings()), plan, planSha);
    expect(b.custodians.get('Alice')).toEqual({ module: { preset: 'ykcs11' }, moduleAt: '$.module', token: { serial: '1111' }, pin: { kind: 'prompt' } });
    expect(b.custodians.get('Bob')).toEqual({ module: { path: '/usr/lib/softhsm/libsofthsm2.so' }, moduleAt: '$.custodians.Bob.module', token: { serial: '2222' }, pin: { kind: 'env', name: 'BOB_PIN' } });
  });

  const INVALID: [string, JsonObject, ErrorCode, string][] = [
    ['bindings for another plan', set(bindings(), ['planSha256'], 'cd'.repeat(32)), 'BINDINGS_PLAN_MISMATCH', '$.planSha256'],
    ['an unknown field', set(bindings(), ['slot'], 3), 'BINDINGS_INVALID', '$.slot'],
    ['a PIN written in the bindings', set(bindings(), ['custodians', 'Alice', 'pin'], '123456'), 'BINDINGS_INVALID', '$.custodians.Alice.pin'],
    ['a PIN in a field of its own', set(bindings(), ['custodians', 'Alice', 'pinValue'], '123456'), 'BINDINGS_INVALID', '$.custodians.Alice.pinValue'],
    ['an environment variable of another shape', set(bindings(), ['custodians', 'Bob', 'pin'], { env: 'bob pin' }), 'BINDINGS_INVALID', '$.custodians.Bob.pin.env'],
    ['a custodian the plan does not have', set(bindings(), ['custodians', 'Mallory'], { pin: 'prompt' }), 'BINDINGS_INVALID', '$.custodians.Mallory'],
    ['a custodian left out', set(bindings(), ['custodians', 'Alice'], undefined), 'BINDINGS_INVALID', '$.custodians.Alice'],
    ['no token for a custodian the plan leaves to the day', set(bindings(), ['custodians', 'Bob', 'token'], undefined), 'BINDINGS_INVALID', '$.custodians.Bob.token'],
    ['a token contradicting the reviewed plan', set(bindings(), ['custodians', 'Alice', 'token'], { serial: '9999' }), 'BINDINGS_INVALID', '$.custodians.Alice.token.serial'],
    ['no module at all', set(set(bindings(), ['module'], undefined), ['custodians', 'Alice', 'module'], undefined), 'BINDINGS_INVALID', '$.custodians.Alice.module'],
    ['an unknown preset', set(bindings(), ['module'], { preset: 'yubikey' }), 'BINDINGS_INVALID', '$.module.preset'],
    ['a relative module path', set(bindings(), ['module'], { path: 'libykcs11.so' }), 'BINDINGS_INVALID', '$.module.path'],
    ['both a preset and a path', set(bindings(), ['module'], { preset: 'ykcs11', path: '/x.so' }), 'BINDINGS_INVALID', '$.module'],
  ];
  it.each(INVALID.map(([what, b, code, path]) => ({ what, b, code, path })))('$what → $code at $path', ({ b, code, path }) => {
    const err = refusal(() => parseSiteBindings(enc(b), plan, planSha));
    expect({ code: err.code, path: err.path }).toEqual({ code, path });
  });

  // Issue #13: a YubiKey custodian's PIV slots by key role, guarded slots, the management key's source.
  it('PIV: slots by key role, 9a/f9 only when allowed, the management key from the environment or asked', () => {
    const piv = { slots: { root: '9C', targets: '82' }, allowSlots: ['9a'], managementKey: { env: 'ALICE_MGMT' } };
    expect(parseSiteBindings(enc(set(bindings(), ['custodians', 'Alice', 'piv'], piv)), plan, planSha).custodians.get('Alice')!.piv).toEqual({
      slots: { root: '9c', targets: '82' },
      allowSlots: ['9a'],
      managementKey: { kind: 'env', name: 'ALICE_MGMT' },
    });
    expect(parseSiteBindings(enc(set(bindings(), ['custodians', 'Alice', 'piv'], { slots: { root: '9a' }, allowSlots: ['9a'] })), plan, planSha).custodians.get('Alice')!.piv).toEqual({
      slots: { root: '9a' },
      allowSlots: ['9a'],
      managementKey: { kind: 'prompt' },
    });
    expect(parseSiteBindings(enc(bindings()), plan, planSha).custodians.get('Alice')!.piv).toBeUndefined();
  });

  const PIV_INVALID: [string, JsonValue, string][] = [
    ['9a without an allowance', { slots: { root: '9a' } }, '$.custodians.Alice.piv.slots.root'],
    ['f9 (the attestation key) without an allowance', { slots: { root: 'f9' } }, '$.custodians.Alice.piv.slots.root'],
    ['9b (the management key)', { slots: { root: '9b' } }, '$.custodians.Alice.piv.slots.root'],
    ['a slot that is not one', { slots: { root: '96' } }, '$.custodians.Alice.piv.slots.root'],
    ['an unknown key role', { slots: { delegation: '9c' } }, '$.custodians.Alice.piv.slots.delegation'],
    ['two keys in one slot', { slots: { root: '9d', targets: '9D' } }, '$.custodians.Alice.piv.slots.targets'],
    ['an allowance for a slot that needs none', { allowSlots: ['9c'] }, '$.custodians.Alice.piv.allowSlots[0]'],
    ['a management key written in the bindings', { managementKey: '010203040506070801020304050607080102030405060708' }, '$.custodians.Alice.piv.managementKey'],
    ['an unknown field', { slot: '9c' }, '$.custodians.Alice.piv.slot'],
  ];
  it.each(PIV_INVALID.map(([what, piv, path]) => ({ what, piv, path })))('PIV: $what → BINDINGS_INVALID at $path', ({ piv, path }) => {
    const err = refusal(() => parseSiteBindings(enc(set(bindings(), ['custodians', 'Alice', 'piv'], piv)), plan, planSha));
    expect({ code: err.code, path: err.path }).toEqual({ code: 'BINDINGS_INVALID', path });
    // A management key written where its source belongs is never echoed.
    expect(err.message).not.toContain('0102030405060708');
  });

  it('module start-up parameters (NSS softokn) are read with the module; a token chosen by label alone', () => {
    const params = "configdir='sql:/srv/nssdb' certPrefix='' keyPrefix='' secmod='secmod.db'";
    const b = set(set(bindings(), ['custodians', 'Bob', 'module'], { path: '/usr/lib/x86_64-linux-gnu/libsoftokn3.so', parameters: params }), ['custodians', 'Bob', 'token'], { label: 'bob' });
    expect(parseSiteBindings(enc(b), plan, planSha).custodians.get('Bob')).toMatchObject({
      module: { path: '/usr/lib/x86_64-linux-gnu/libsoftokn3.so', parameters: params },
      token: { label: 'bob' },
    });
    const bad = refusal(() => parseSiteBindings(enc(set(bindings(), ['module'], { preset: 'ykcs11', parameters: '' })), plan, planSha));
    expect({ code: bad.code, path: bad.path }).toEqual({ code: 'BINDINGS_INVALID', path: '$.module.parameters' });
  });

  // Issue #12: a PIN written into the bindings by mistake is never echoed, in the message, the path or --json.
  const SECRET = 'Zq#7-pin-Wx!';
  it.each([
    ['as the PIN source', ['custodians', 'Alice', 'pin'], SECRET],
    ['as a number', ['custodians', 'Alice', 'pin'], 918273],
    ['as a field name in the PIN source', ['custodians', 'Alice', 'pin'], { [SECRET]: true }],
    ['beside the env name', ['custodians', 'Bob', 'pin'], { env: 'BOB_PIN', value: SECRET }],
    ['as the env name', ['custodians', 'Bob', 'pin'], { env: SECRET }],
  ] as const)('a PIN written %s is refused without being echoed', (_what, path, value) => {
    const err = refusal(() => parseSiteBindings(enc(set(bindings(), [...path], value as JsonValue)), plan, planSha));
    expect(err.code).toBe('BINDINGS_INVALID');
    const shown = JSON.stringify(toErrorShape(err));
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain('918273');
  });
});

describe('server key files', () => {
  const key = SoftwareKey.generate('ed25519');
  const pub = (listPublicKey('notary', key.spki).json.keyval as JsonObject).public as string;
  key.dispose();
  const file = enc({ keytype: 'ed25519', keyval: { public: pub, private: null } });

  it('read as notary-server serves them, with the Notary key ID', () => {
    const k = parseServerKey(file, 'timestamp.key', sha(file));
    expect(k.json).toEqual({ keytype: 'ed25519', keyval: { private: null, public: pub } });
    expect(k.keyId).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['not the reviewed bytes', file, 'ab'.repeat(32), 'timestamp.key'],
    ['another key type', enc({ keytype: 'rsa-x509', keyval: { public: pub, private: null } }), undefined, 'timestamp.key $.keyval.keytype'.replace('.keyval', '')],
    ['not a key', enc({ keytype: 'ed25519', keyval: { public: 'AAAA', private: null } }), undefined, 'timestamp.key $'],
    ['not JSON', enc('-----BEGIN PUBLIC KEY-----'), undefined, 'timestamp.key'],
  ] as const)('refused: %s', (_what, bytes, expected, path) => {
    const err = refusal(() => parseServerKey(bytes, 'timestamp.key', expected));
    expect(err.code).toBe('PLAN_INPUT_MISMATCH');
    expect(err.path).toBe(path);
  });

  it('a private key: KEY_FILE_PRIVATE (a security event), even when the plan recorded other bytes; the cap comes before the hash', () => {
    const priv = enc({ keytype: 'ed25519', keyval: { public: pub, private: pub } });
    for (const expected of [undefined, sha(priv), 'ab'.repeat(32)]) {
      const err = refusal(() => parseServerKey(priv, 'timestamp.key', expected));
      expect([err.code, err.path]).toEqual(['KEY_FILE_PRIVATE', 'timestamp.key']);
      expect(err.message).not.toContain(pub.slice(0, 16));
    }
    expect(refusal(() => parseServerKey(new Uint8Array(17 * 1024).fill(0x20), 'timestamp.key', 'ab'.repeat(32))).code).toBe('INPUT_TOO_LARGE');
  });
});
