/**
 * The Tokens channels (tokensList, tokensCheck, tokensGenerateKey): their payload schemas, and the
 * handlers over the fake PKCS#11 layer (test/support/fake-pkcs11.ts) — listing without a PIN, the
 * expected token refused before any login, key generation, every token fault with its code, and the PIN:
 * used once, zeroed, never returned, thrown, logged or kept.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIpcHandlers, type Handler } from '../../../electron/main/ipc-handlers.js';
import { defaultTokenDeps, resolveModule, TokenModules, type TokenDeps } from '../../../electron/main/tokens.js';
import type { GeneratedKeyView, TokenModuleView, TokensCheckResult } from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { MAX_KEY_LABEL, MAX_PIN_BYTES, MAX_TOKEN_TEXT } from '../../../electron/shared/schemas.js';
import { ModuleChoices } from '../../../electron/main/module-choices.js';
import { bytesToWords } from '../../../src/crypto/digest-words.js';
import { CKO, CKR } from '../../../src/signers/pkcs11/api.js';
import { MODULE_PRESETS } from '../../../src/signers/pkcs11/presets.js';
import { TokenModule, TokenSession } from '../../../src/signers/pkcs11/token.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { FakePkcs11, YUBIKEY_MECHANISMS, type FakeTokenSpec } from '../../support/fake-pkcs11.js';
import { call, ok } from '../../support/ipc.js';

/** A PIN with characters that cannot occur in hex, base64, PEM or PGP words: if it shows up, it leaked. */
const PIN = 'Zq#7-pin-Wx!';
const WRONG_PIN = 'Wr0ng#pin!';
const MODULE_PATH = '/usr/lib/fake/libfake-pkcs11.so';
/** The handle main's module file dialog issued for the fake library (electron/main/module-choices.ts). */
const MODULE = { chosen: 'c'.repeat(32) };
const ONE: FakeTokenSpec = { label: 'custodian-1', serial: '0001', pin: PIN };
const TWO: FakeTokenSpec = { label: 'custodian-2', serial: '0002', pin: PIN };

interface Rig {
  fake: FakePkcs11;
  modules: TokenModules;
  deps: TokenDeps;
  h: Record<ChannelName, Handler>;
  loads: string[];
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.modules.finalizeAll();
  vi.restoreAllMocks();
});

function rig(specs: FakeTokenSpec[] = [ONE, TWO], opts: { emptySlots?: number } = {}): Rig {
  const fake = new FakePkcs11(specs, opts);
  const loads: string[] = [];
  const modules = new TokenModules((path, o) => {
    loads.push(path);
    return TokenModule.load(path, { ...o, api: fake });
  });
  const deps: TokenDeps = { modules, moduleExists: () => true, platform: 'linux' };
  const moduleChoices = new ModuleChoices({ chooseModuleFile: async () => MODULE_PATH, newId: () => MODULE.chosen });
  moduleChoices.register(MODULE_PATH);
  const r = { fake, modules, deps, h: createIpcHandlers({ tokens: deps, moduleChoices }), loads };
  rigs.push(r);
  return r;
}

const generateReq = (over: Record<string, unknown> = {}) => ({
  module: MODULE,
  token: { serial: '0001', label: 'custodian-1' },
  algorithm: 'ecdsa-p256',
  keyLabel: 'root-1',
  pin: PIN,
  ...over,
});

/** Whether any private key object is visible on the fake token without logging in (i.e. it is still logged in). */
async function stillLoggedIn(fake: FakePkcs11, slot = 'slot-1'): Promise<boolean> {
  const s = await fake.openSession(slot, false);
  try {
    return (await fake.findObjects(s, { class: CKO.PRIVATE_KEY })).length > 0;
  } finally {
    await fake.closeSession(s);
  }
}

describe('token payload schemas: every refusal is IPC_INVALID and names the field', () => {
  const list: [string, unknown, string][] = [
    ['no payload', undefined, '$'],
    ['not an object', 'softhsm2', '$'],
    ['no module', {}, '$.module'],
    ['module not a string', { module: 3 }, '$.module'],
    ['empty module', { module: '' }, '$.module'],
    ['unknown preset', { module: 'yubikey' }, '$.module'],
    // A library path is never accepted from the renderer, however well-formed: loading it runs its code in main.
    ['an absolute library path', { module: '/usr/lib/softhsm/libsofthsm2.so' }, '$.module'],
    ['a Windows library path', { module: 'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll' }, '$.module'],
    ['a relative path', { module: 'lib/libsofthsm2.so' }, '$.module'],
    ['a path where the handle goes', { module: { chosen: '/usr/lib/softhsm/libsofthsm2.so' } }, '$.module.chosen'],
    ['a path beside the handle', { module: { chosen: 'c'.repeat(32), path: '/tmp/evil.so' } }, '$.module.path'],
    ['a handle of the wrong length', { module: { chosen: 'c'.repeat(31) } }, '$.module.chosen'],
    ['a handle in upper case', { module: { chosen: 'C'.repeat(32) } }, '$.module.chosen'],
    ['a preset object', { module: { preset: 'softhsm2' } }, '$.module'],
    ['unknown field', { module: 'softhsm2', slot: 1 }, '$.slot'],
  ];

  it.each(list)('tokensList: %s → %s', async (_what, payload, path) => {
    const r = rig();
    const res = await call(r.h, CHANNELS.tokensList, payload);
    expect(res).toMatchObject({ ok: false, code: 'IPC_INVALID', path });
    if (!res.ok) expect(res.message).toContain(CHANNELS.tokensList);
    expect(r.loads).toEqual([]);
  });

  const check: [string, unknown, string][] = [
    ['no token', { module: MODULE }, '$.token'],
    ['token not an object', { module: MODULE, token: '0001' }, '$.token'],
    ['token without serial', { module: MODULE, token: { label: 'x' } }, '$.token.serial'],
    ['empty serial', { module: MODULE, token: { serial: '', label: 'x' } }, '$.token.serial'],
    ['serial not a string', { module: MODULE, token: { serial: 1, label: 'x' } }, '$.token.serial'],
    ['serial too long', { module: MODULE, token: { serial: 'a'.repeat(MAX_TOKEN_TEXT + 1), label: 'x' } }, '$.token.serial'],
    ['label missing', { module: MODULE, token: { serial: '0001' } }, '$.token.label'],
    ['label with a control character', { module: MODULE, token: { serial: '0001', label: 'a\u0007b' } }, '$.token.label'],
    ['label too long', { module: MODULE, token: { serial: '0001', label: 'a'.repeat(MAX_TOKEN_TEXT + 1) } }, '$.token.label'],
    ['unknown field in token', { module: MODULE, token: { serial: '0001', label: 'x', slot: 'slot-1' } }, '$.token.slot'],
    ['expected not an object', { module: MODULE, token: { serial: '0001', label: 'x' }, expected: '0001' }, '$.expected'],
    ['expected without serial', { module: MODULE, token: { serial: '0001', label: 'x' }, expected: {} }, '$.expected.serial'],
    ['expected fingerprint not hex', { module: MODULE, token: { serial: '0001', label: 'x' }, expected: { serial: '0001', fingerprint: 'zz'.repeat(32) } }, '$.expected.fingerprint'],
    ['expected fingerprint upper-case', { module: MODULE, token: { serial: '0001', label: 'x' }, expected: { serial: '0001', fingerprint: 'AB'.repeat(32) } }, '$.expected.fingerprint'],
    ['expected fingerprint too short', { module: MODULE, token: { serial: '0001', label: 'x' }, expected: { serial: '0001', fingerprint: 'ab'.repeat(16) } }, '$.expected.fingerprint'],
    ['unknown field in expected', { module: MODULE, token: { serial: '0001', label: 'x' }, expected: { serial: '0001', label: 'x' } }, '$.expected.label'],
    ['a PIN where none belongs', { module: MODULE, token: { serial: '0001', label: 'x' }, pin: PIN }, '$.pin'],
  ];

  it.each(check)('tokensCheck: %s → %s', async (_what, payload, path) => {
    const r = rig();
    expect(await call(r.h, CHANNELS.tokensCheck, payload)).toMatchObject({ ok: false, code: 'IPC_INVALID', path });
    expect(r.loads).toEqual([]);
  });

  const generate: [string, unknown, string][] = [
    ['no PIN', generateReq({ pin: undefined }), '$.pin'],
    ['empty PIN', generateReq({ pin: '' }), '$.pin'],
    ['PIN as a number', generateReq({ pin: 123456 }), '$.pin'],
    ['PIN as bytes', generateReq({ pin: new TextEncoder().encode(PIN) }), '$.pin'],
    ['PIN as an array', generateReq({ pin: [PIN] }), '$.pin'],
    ['PIN as an object', generateReq({ pin: { value: PIN } }), '$.pin'],
    ['PIN too long', generateReq({ pin: `${PIN}${'x'.repeat(MAX_PIN_BYTES)}` }), '$.pin'],
    ['PIN too long in UTF-8 bytes', generateReq({ pin: 'é'.repeat(MAX_PIN_BYTES / 2 + 1) }), '$.pin'],
    ['PIN with a NUL', generateReq({ pin: `${PIN}\u0000` }), '$.pin'],
    ['PIN with a newline', generateReq({ pin: `${PIN}\n` }), '$.pin'],
    ['PIN with DEL', generateReq({ pin: `${PIN}\u007f` }), '$.pin'],
    ['no algorithm', generateReq({ algorithm: undefined }), '$.algorithm'],
    ['unknown algorithm', generateReq({ algorithm: 'rsa-1024' }), '$.algorithm'],
    ['algorithm as a profile key type', generateReq({ algorithm: 'ecdsa-sha2-nistp256' }), '$.algorithm'],
    ['no key label', generateReq({ keyLabel: undefined }), '$.keyLabel'],
    ['empty key label', generateReq({ keyLabel: '' }), '$.keyLabel'],
    ['key label too long', generateReq({ keyLabel: 'k'.repeat(MAX_KEY_LABEL + 1) }), '$.keyLabel'],
    ['key label with a tab', generateReq({ keyLabel: 'root\t1' }), '$.keyLabel'],
    ['key label with a bidi isolate', generateReq({ keyLabel: 'root\u20661' }), '$.keyLabel'],
    ['bad module', generateReq({ module: 'libsofthsm2.so' }), '$.module'],
    ['no token', generateReq({ token: undefined }), '$.token'],
    ['unknown field (an SO PIN)', generateReq({ soPin: PIN }), '$.soPin'],
    ['unknown field (the key ID by another name)', generateReq({ id: '01' }), '$.id'],
    ['key ID not hex', generateReq({ keyId: 'zz' }), '$.keyId'],
    ['key ID upper-case', generateReq({ keyId: '0A' }), '$.keyId'],
    ['key ID of an odd number of digits', generateReq({ keyId: '1' }), '$.keyId'],
    ['key ID empty', generateReq({ keyId: '' }), '$.keyId'],
    ['key ID longer than 32 bytes', generateReq({ keyId: 'ab'.repeat(33) }), '$.keyId'],
    ['key ID as a number', generateReq({ keyId: 1 }), '$.keyId'],
  ];

  it.each(generate)('tokensGenerateKey: %s → %s, and the PIN is not in the answer', async (_what, payload, path) => {
    const r = rig();
    const res = await call(r.h, CHANNELS.tokensGenerateKey, payload);
    expect(res).toMatchObject({ ok: false, code: 'IPC_INVALID', path });
    expect(JSON.stringify(res)).not.toContain(PIN);
    expect(r.loads).toEqual([]);
    expect(r.fake.calls).toEqual([]);
  });

  it('accepts presets, a handle main issued, and the limits themselves', async () => {
    const r = rig([{ ...ONE, maxPinLength: 1024 }]);
    const atLimits = generateReq({ keyLabel: 'k'.repeat(MAX_KEY_LABEL), pin: 'p'.repeat(MAX_PIN_BYTES) });
    const res = await call(r.h, CHANNELS.tokensGenerateKey, atLimits);
    // The schema let it through; the fake token then says the PIN is wrong.
    expect(res).toMatchObject({ ok: false, code: 'PIN_INCORRECT' });
  });
});

describe('tokensList: modules, slots, tokens and their public keys, without a PIN', () => {
  it('lists every slot: tokens with what they can make, a free token, an empty reader; and the keys each shows', async () => {
    const r = rig([ONE, { label: 'yubikey', serial: '12345678', mechanisms: YUBIKEY_MECHANISMS, manufacturer: 'Yubico', model: 'YubiKey YK5' }, { label: '', serial: '', uninitialized: true }], { emptySlots: 1 });
    const made = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq());
    const view = await ok<TokenModuleView>(r.h, CHANNELS.tokensList, { module: MODULE });

    expect(view).toMatchObject({ path: MODULE_PATH, manufacturer: 'Fake Tokens Ltd', libraryVersion: '1.0', rehearsal: false });
    expect(view.preset).toBeUndefined();
    expect(view.slots).toHaveLength(4);
    const [one, yk, free, empty] = view.slots;
    expect(one!.token).toMatchObject({ label: 'custodian-1', serial: '0001', pinStatus: 'ok', initialized: true, keyTypes: ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'] });
    expect(yk!.token).toMatchObject({ label: 'yubikey', manufacturer: 'Yubico', model: 'YubiKey YK5', keyTypes: ['ecdsa-p256', 'ecdsa-p384', 'rsa-pss-sha256'], keys: [] });
    expect(free!.token).toMatchObject({ initialized: false, pinStatus: 'not-initialized', keys: [] });
    expect(empty!.token).toBeUndefined();

    // The key made above, listed from its public object: same fingerprint, in hex and in words.
    expect(one!.token!.keys).toEqual([{ label: 'root-1', id: made.id, algorithm: 'ecdsa-p256', fingerprint: made.fingerprint }]);
    // Listing logged nothing in, and asked for no PIN.
    expect(await stillLoggedIn(r.fake)).toBe(false);
    expect(r.fake.calls.filter((c) => c.op === 'login')).toHaveLength(1); // the generation's only
    // Plain data: survives structured cloning (what IPC does) unchanged.
    expect(structuredClone(view)).toEqual(view);
  });

  it('shows the PIN status the token reports: few tries left, final try, locked', async () => {
    const r = rig([{ ...ONE, pinTries: 3 }]);
    const status = async () => (await ok<TokenModuleView>(r.h, CHANNELS.tokensList, { module: MODULE })).slots[0]!.token!.pinStatus;
    expect(await status()).toBe('ok');
    await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }));
    expect(await status()).toBe('count-low');
    await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }));
    expect(await status()).toBe('final-try');
    await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }));
    expect(await status()).toBe('locked');
  });

  it('loads a module once per path and keeps it; a preset resolves to its first path present', async () => {
    const r = rig();
    await ok(r.h, CHANNELS.tokensList, { module: MODULE });
    await ok(r.h, CHANNELS.tokensList, { module: MODULE });
    expect(r.loads).toEqual([MODULE_PATH]);
    expect(r.fake.countCalls('initialize')).toBe(1);
    const deps = { moduleExists: (p: string) => p === MODULE_PRESETS.softhsm2.paths.linux[1], platform: 'linux' };
    expect(resolveModule('softhsm2', deps)).toEqual({ path: MODULE_PRESETS.softhsm2.paths.linux[1], preset: 'softhsm2', installHint: 'apt-get install softhsm2' });
    expect(resolveModule(MODULE_PATH, deps)).toEqual({ path: MODULE_PATH, preset: undefined, installHint: undefined });
  });

  it('a preset that is not installed: TOKEN_MODULE_NOT_FOUND, naming the path and how to install it', async () => {
    const fake = new FakePkcs11([ONE]);
    fake.loadFailure = 'module-not-found';
    const modules = new TokenModules((path, o) => TokenModule.load(path, { ...o, api: fake }));
    rigs.push({ fake, modules } as Rig);
    const h = createIpcHandlers({ tokens: { modules, moduleExists: () => false, platform: 'linux' } });
    const res = await call(h, CHANNELS.tokensList, { module: 'ykcs11' });
    expect(res).toMatchObject({ ok: false, code: 'TOKEN_MODULE_NOT_FOUND' });
    if (!res.ok) {
      expect(res.message).toContain(MODULE_PRESETS.ykcs11.paths.linux[0]);
      expect(res.message).toContain('apt-get install ykcs11 pcscd');
    }
    // Not remembered: once installed, the next try loads it.
    fake.loadFailure = undefined;
    expect(await call(h, CHANNELS.tokensList, { module: 'ykcs11' })).toMatchObject({ ok: true, value: { preset: 'ykcs11' } });
  });

  it('a file that is not a PKCS#11 module: TOKEN_MODULE_INVALID', async () => {
    const r = rig();
    r.fake.loadFailure = 'module-invalid';
    expect(await call(r.h, CHANNELS.tokensList, { module: MODULE })).toMatchObject({ ok: false, code: 'TOKEN_MODULE_INVALID' });
  });

  it('a token whose keys cannot be listed is still listed, with the reason', async () => {
    const r = rig([ONE]);
    r.fake.failNext('findObjects', CKR.DEVICE_ERROR);
    const view = await ok<TokenModuleView>(r.h, CHANNELS.tokensList, { module: MODULE });
    expect(view.slots[0]!.token).toMatchObject({ serial: '0001', keys: [] });
    expect(view.slots[0]!.token!.keysProblem).toMatch(/device error/);
  });
});

describe('the expected token is checked before any PIN is used', () => {
  it('tokensCheck: the chosen token, found and matched by serial and by the key it must hold', async () => {
    const r = rig();
    const made = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq());
    const res = await ok<TokensCheckResult>(r.h, CHANNELS.tokensCheck, { module: MODULE, token: { serial: '0001', label: 'custodian-1' }, expected: { serial: '0001', fingerprint: made.fingerprint.sha256 } });
    expect(res.token).toMatchObject({ serial: '0001', label: 'custodian-1', pinStatus: 'ok' });
    expect(res.key).toEqual({ label: 'root-1', id: made.id, algorithm: 'ecdsa-p256', fingerprint: made.fingerprint });
  });

  it('a different token than the expected one is refused, naming the expected serial, without loading anything or logging in', async () => {
    const r = rig();
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ token: { serial: '0002', label: 'custodian-2' }, expected: { serial: '0001' } }));
    expect(res).toMatchObject({ ok: false, code: 'TOKEN_NOT_PRESENT', token: { serial: '0002', label: 'custodian-2' } });
    if (!res.ok) {
      expect(res.message).toContain('expects the token with serial 0001');
      expect(res.message).toContain('"custodian-2" (serial 0002)');
    }
    expect(r.fake.countCalls('login')).toBe(0);
    expect(r.fake.countCalls('generateKeyPair')).toBe(0);
  });

  it('a token that holds another key than the expected one is refused before login', async () => {
    const r = rig();
    await ok(r.h, CHANNELS.tokensGenerateKey, generateReq()); // custodian-1 holds root-1
    const loginsBefore = r.fake.countCalls('login');
    const someoneElse = createHash('sha256').update('another key').digest('hex');
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ keyLabel: 'root-2', expected: { serial: '0001', fingerprint: someoneElse } }));
    expect(res).toMatchObject({ ok: false, code: 'TOKEN_KEY_NOT_FOUND', token: { serial: '0001' } });
    if (!res.ok) {
      expect(res.message).toContain(someoneElse.slice(0, 16));
      expect(res.message).toContain('not the expected token');
    }
    expect(r.fake.countCalls('login')).toBe(loginsBefore);
    expect(await call(r.h, CHANNELS.tokensCheck, { module: MODULE, token: { serial: '0001', label: 'custodian-1' }, expected: { serial: '0001', fingerprint: someoneElse } })).toMatchObject({
      ok: false,
      code: 'TOKEN_KEY_NOT_FOUND',
    });
  });

  it('a chosen token that is no longer inserted: TOKEN_NOT_PRESENT naming it and the tokens present, no login', async () => {
    const r = rig();
    r.fake.removeToken('0001');
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ expected: { serial: '0001' } }));
    expect(res).toMatchObject({ ok: false, code: 'TOKEN_NOT_PRESENT' });
    if (!res.ok) expect(res.message).toMatch(/serial 0001.*not inserted.*custodian-2/);
    expect(r.fake.countCalls('login')).toBe(0);
  });

  it('a token with the right serial but another label is refused as the wrong token, no login', async () => {
    const r = rig();
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ token: { serial: '0001', label: 'custodian-9' } }));
    expect(res).toMatchObject({ ok: false, code: 'TOKEN_NOT_PRESENT' });
    if (!res.ok) expect(res.message).toContain('not the expected token');
    expect(r.fake.countCalls('login')).toBe(0);
  });
});

describe('tokensGenerateKey', () => {
  it('makes the key on the token and answers with its fingerprint (hex and words) and key IDs; the token is logged out after', async () => {
    const r = rig();
    const v = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq({ expected: { serial: '0001' } }));
    // The public key the fake token holds is the one described.
    const pub = r.fake.objectsOf('0001').find((o) => o.class === CKO.PUBLIC_KEY)!;
    const spki = new Uint8Array(Buffer.from(v.publicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
    expect(Buffer.from(spki.subarray(-65)).equals(Buffer.from(pub.ecPoint!.subarray(2)))).toBe(true);
    const sha = createHash('sha256').update(spki).digest();
    expect(v.fingerprint).toEqual({ sha256: sha.toString('hex'), hex: sha.subarray(0, 16).toString('hex'), words: bytesToWords(sha.subarray(0, 16)) });
    expect(v.fingerprint.words).toHaveLength(16);
    expect(v).toMatchObject({ token: { label: 'custodian-1', serial: '0001' }, label: 'root-1', algorithm: 'ecdsa-p256', rehearsal: false, selfTest: 'verified' });
    expect(v.id).toMatch(/^[0-9a-f]{32}$/);
    expect(v.keyIds.tuf).toBe(listPublicKey('tuf', spki).keyId);
    expect(v.keyIds.notary).toMatch(/^[0-9a-f]{64}$/);
    // Made sensitive and non-extractable, and nobody stays logged in.
    const priv = r.fake.objectsOf('0001').find((o) => o.class === CKO.PRIVATE_KEY)!;
    expect(priv).toMatchObject({ sensitive: true, extractable: false, label: 'root-1' });
    expect(await stillLoggedIn(r.fake)).toBe(false);
    expect(r.fake.countCalls('openSession')).toBe(r.fake.countCalls('closeSession'));
  });

  it.each(['ecdsa-p384', 'ed25519', 'rsa-pss-sha256'] as const)('makes %s keys where the token can', async (algorithm) => {
    const r = rig();
    const v = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq({ algorithm, keyLabel: `k-${algorithm}` }));
    expect(v.algorithm).toBe(algorithm);
    expect(v.selfTest).toBe('verified');
  });

  it('a key ID chooses CKA_ID (a YubiKey PIV slot); a taken ID is KEY_ID_EXISTS', async () => {
    const r = rig([{ ...ONE, mechanisms: YUBIKEY_MECHANISMS, manufacturer: 'Yubico (www.yubico.com)' }]);
    const v = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq({ keyId: '01' }));
    expect(v.id).toBe('01');
    expect(r.fake.objectsOf('0001').filter((o) => o.id && Buffer.from(o.id).toString('hex') === '01')).toHaveLength(2); // public and private
    const again = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ keyId: '01', keyLabel: 'root-2' }));
    expect(again).toMatchObject({ ok: false, code: 'KEY_ID_EXISTS', token: { serial: '0001' } });
    if (!again.ok) expect(again.message).toContain('PIV slot');
  });

  it('lists keys of every algorithm the profiles accept, with the fingerprints generation reported', async () => {
    const r = rig([ONE]);
    const made: GeneratedKeyView[] = [];
    for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'] as const) {
      made.push(await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq({ algorithm, keyLabel: `k-${algorithm}` })));
    }
    const keys = (await ok<TokenModuleView>(r.h, CHANNELS.tokensList, { module: MODULE })).slots[0]!.token!.keys;
    expect(keys).toEqual(made.map((m) => ({ label: m.label, id: m.id, algorithm: m.algorithm, fingerprint: m.fingerprint })));
  });

  it('a wrong PIN: PIN_INCORRECT naming the token, with the tries the token reports; no key made', async () => {
    const r = rig();
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }));
    expect(res).toMatchObject({ ok: false, code: 'PIN_INCORRECT', token: { label: 'custodian-1', serial: '0001' }, pinTries: 'count-low' });
    if (!res.ok) expect(res.message).toContain('did not accept the PIN');
    const last = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }));
    expect(last).toMatchObject({ ok: false, code: 'PIN_INCORRECT', pinTries: 'final-try' });
    if (!last.ok) expect(last.message).toContain('one try is left');
    expect(r.fake.objectsOf('0001')).toEqual([]);
    expect(r.fake.countCalls('generateKeyPair')).toBe(0);
  });

  it('the last wrong try locks the PIN: PIN_LOCKED; then refused without trying', async () => {
    const r = rig([{ ...ONE, pinTries: 1 }]);
    expect(await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }))).toMatchObject({ ok: false, code: 'PIN_LOCKED' });
    const logins = r.fake.countCalls('login');
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq());
    expect(res).toMatchObject({ ok: false, code: 'PIN_LOCKED', token: { serial: '0001' } });
    if (!res.ok) expect(res.message).toMatch(/locked.*unblock/);
    expect(r.fake.countCalls('login')).toBe(logins);
  });

  it('a PIN shorter than the token allows is not tried (it would cost a try)', async () => {
    const r = rig([{ ...ONE, minPinLength: 6 }]);
    expect(await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ pin: '12' }))).toMatchObject({ ok: false, code: 'PIN_INCORRECT' });
    expect(r.fake.countCalls('login')).toBe(0);
  });

  it('a label already on the token: KEY_LABEL_EXISTS, and the first key is untouched', async () => {
    const r = rig();
    const first = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, generateReq());
    expect(await call(r.h, CHANNELS.tokensGenerateKey, generateReq())).toMatchObject({ ok: false, code: 'KEY_LABEL_EXISTS', token: { serial: '0001' } });
    const keys = (await ok<TokenModuleView>(r.h, CHANNELS.tokensList, { module: MODULE })).slots[0]!.token!.keys;
    expect(keys.map((k) => k.fingerprint?.sha256)).toEqual([first.fingerprint.sha256]);
  });

  it('a key type the token cannot make: MECHANISM_UNSUPPORTED, before the PIN is sent', async () => {
    const r = rig([{ ...ONE, mechanisms: YUBIKEY_MECHANISMS }]);
    const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ algorithm: 'ed25519' }));
    expect(res).toMatchObject({ ok: false, code: 'MECHANISM_UNSUPPORTED', token: { serial: '0001' } });
    if (!res.ok) expect(res.message).toContain('Ed25519');
    expect(r.fake.countCalls('login')).toBe(0);
  });

  it('the token pulled out during generation: TOKEN_REMOVED', async () => {
    const r = rig();
    r.fake.failNext('generateKeyPair', CKR.DEVICE_REMOVED);
    expect(await call(r.h, CHANNELS.tokensGenerateKey, generateReq())).toMatchObject({ ok: false, code: 'TOKEN_REMOVED', token: { serial: '0001' } });
  });

  it('a token whose signature does not verify: TOKEN_SIGNATURE_INVALID, and the key is not reported as made', async () => {
    const r = rig();
    r.fake.corruptNextSignature();
    expect(await call(r.h, CHANNELS.tokensGenerateKey, generateReq())).toMatchObject({ ok: false, code: 'TOKEN_SIGNATURE_INVALID' });
  });

  it('hands the login a Uint8Array and zeroes it, on success and on failure', async () => {
    const seen: Uint8Array[] = [];
    const real = TokenSession.prototype.login;
    vi.spyOn(TokenSession.prototype, 'login').mockImplementation(function (this: TokenSession, pin: Uint8Array | string) {
      expect(pin).toBeInstanceOf(Uint8Array);
      seen.push(pin as Uint8Array);
      return real.call(this, pin);
    });
    const r = rig();
    await ok(r.h, CHANNELS.tokensGenerateKey, generateReq());
    await call(r.h, CHANNELS.tokensGenerateKey, generateReq({ keyLabel: 'root-2', pin: WRONG_PIN }));
    expect(seen).toHaveLength(2);
    for (const bytes of seen) {
      expect(bytes.length).toBeGreaterThan(0);
      expect([...bytes].every((b) => b === 0)).toBe(true);
    }
  });

  it('the PIN appears nowhere in what the handlers return, throw or log — whichever single call fails', async () => {
    const logged: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    }
    // How many PKCS#11 calls a whole generation makes, then fail each one in turn with a fault that is
    // not about the PIN (and once with a wrong PIN).
    const count = rig();
    await ok(count.h, CHANNELS.tokensGenerateKey, generateReq());
    const total = count.fake.calls.length;
    expect(total).toBeGreaterThan(10);
    const outcomes = new Set<string>();
    for (let i = 0; i <= total; i++) {
      for (const rv of [CKR.DEVICE_ERROR, CKR.GENERAL_ERROR, CKR.DEVICE_REMOVED]) {
        const r = rig();
        r.fake.failCall(i, rv);
        const res = await call(r.h, CHANNELS.tokensGenerateKey, generateReq());
        const text = JSON.stringify(res);
        expect(text, `call ${i} failing with ${rv}`).not.toContain(PIN);
        outcomes.add(res.ok ? 'ok' : res.code);
        await r.modules.finalizeAll();
      }
    }
    const wrong = rig();
    const res = await call(wrong.h, CHANNELS.tokensGenerateKey, generateReq({ pin: WRONG_PIN }));
    expect(JSON.stringify(res)).not.toContain(WRONG_PIN);
    expect([...outcomes]).toEqual(expect.arrayContaining(['ok', 'TOKEN_ERROR', 'TOKEN_MODULE_INVALID']));
    expect(logged.join('\n')).not.toContain(PIN);
    expect(logged.join('\n')).not.toContain(WRONG_PIN);
    // The fake records '<pin>' in place of every PIN it was handed.
    for (const r of [count, wrong]) expect(JSON.stringify(r.fake.calls)).not.toContain(PIN);
  });

  it('a handler that throws something unexpected answers INTERNAL, without its message (which might quote a PIN)', async () => {
    const modules = new TokenModules(async () => {
      throw new Error(`native failure with ${PIN}`);
    });
    const h = createIpcHandlers({ tokens: { modules, moduleExists: () => true, platform: 'linux' } });
    const res = await call(h, CHANNELS.tokensGenerateKey, generateReq({ module: 'softhsm2' }));
    expect(res).toEqual({ ok: false, code: 'INTERNAL', message: 'unexpected internal error' });
  });
});

describe('TokenModules (main holds one per process)', () => {
  it('loads each path once, forgets a failed load, finalises each module once on quit, then refuses to load', async () => {
    const fake = new FakePkcs11([ONE]);
    let fail = true;
    const loader = vi.fn(async (path: string) => {
      if (fail) throw new Error('not yet');
      return TokenModule.load(path, { api: fake });
    });
    const modules = new TokenModules(loader);
    await expect(modules.load(MODULE_PATH)).rejects.toThrow('not yet');
    fail = false;
    const a = await modules.load(MODULE_PATH);
    const b = await modules.load(MODULE_PATH);
    expect(a).toBe(b);
    expect(loader).toHaveBeenCalledTimes(2);
    await modules.finalizeAll();
    await modules.finalizeAll();
    expect(fake.countCalls('finalize')).toBe(1);
    await expect(modules.load(MODULE_PATH)).rejects.toMatchObject({ code: 'TOKEN_MODULE_INVALID' });
  });

  it('main wires the process platform and the file check into the default deps', () => {
    const modules = new TokenModules();
    const deps = defaultTokenDeps(modules);
    expect(deps.modules).toBe(modules);
    expect(deps.platform).toBe(process.platform);
    expect(deps.moduleExists('/nonexistent/libnothing.so')).toBe(false);
  });
});
