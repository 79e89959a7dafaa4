/**
 * What differs between PKCS#11 modules (issue #11), over the fake backend posing as each one: generation
 * templates refused and retried, read-backs that do not hold, tokens that share a serial, start-up
 * parameters, software tokens, module-aware advice, and a message for every CKR_ a step can meet.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError, ERROR_CODES } from '../../../src/errors.js';
import { CKO, CKR, type CkrName } from '../../../src/signers/pkcs11/api.js';
import { describeToken, tokenError } from '../../../src/signers/pkcs11/errors.js';
import { generationText } from '../../../src/signers/pkcs11/keygen.js';
import { familyOf, quietModuleLogs, softwareModelOf } from '../../../src/signers/pkcs11/quirks.js';
import { TokenModule, tokenSummary } from '../../../src/signers/pkcs11/token.js';
import { Pkcs11Fault } from '../../../src/signers/pkcs11/api.js';
import { FakePkcs11, type FakeTokenSpec } from '../../support/fake-pkcs11.js';

const PIN = '123456';
const ZERO = '0000000000000000';
const TPM = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';
const NSS = '/usr/lib/x86_64-linux-gnu/libsoftokn3.so';
const OTHER = '/opt/vendor/libvendor-pkcs11.so';
const NSS_PARAMS = "configdir='sql:/srv/nssdb' certPrefix='' keyPrefix='' secmod='secmod.db' flags=";

async function refusal(promise: Promise<unknown>): Promise<CeremonyError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

/** A fake posing as tpm2-pkcs11 over swtpm (strings measured on Debian 12, FIELD-NOTES). */
function tpm(specs: FakeTokenSpec[] = [{ label: 'alice', serial: ZERO }, { label: 'bob', serial: ZERO }]): FakePkcs11 {
  const fake = new FakePkcs11(specs.map((s) => ({ manufacturer: 'IBM', model: 'SW   TPM', ...s })));
  fake.moduleManufacturer = 'tpm2-software.github.io';
  fake.moduleDescription = 'TPM2.0 Cryptoki';
  return fake;
}

async function open(fake: FakePkcs11, path: string, selector: { serial?: string; label?: string }) {
  const mod = await TokenModule.load(path, { api: fake });
  const session = await mod.openToken(selector);
  await session.login(PIN);
  return { mod, session };
}

describe('generation every module accepts', () => {
  it('a module that refuses an attribute of the full template (CKR_GENERAL_ERROR, as tpm2-pkcs11 does) gets the minimal one, once; the report says so', async () => {
    const fake = new FakePkcs11([{ label: 'vendor', serial: '42' }]);
    fake.quirks.refuseTemplate = { publicKey: ['verify', 'encrypt'], rv: CKR.GENERAL_ERROR };
    const { session } = await open(fake, OTHER, { serial: '42' });
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' });
    const calls = fake.calls.filter((c) => c.op === 'generateKeyPair');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[2]).toMatchObject({ verify: true, encrypt: false });
    expect(calls[1]!.args[2]).not.toHaveProperty('verify');
    expect(calls[1]!.args[2]).not.toHaveProperty('encrypt');
    // The minimal template still says what the read-back requires of the private half.
    expect(calls[1]!.args[3]).toMatchObject({ sensitive: true, extractable: false, sign: true, decrypt: false, unwrap: false, derive: false });
    expect(key.generation).toMatchObject({ template: 'minimal', fullRefused: 'CKR_GENERAL_ERROR', readBack: { sensitive: true, extractable: false, sign: true, decrypt: false } });
    expect(key.generation!.proof).toEqual({ value: 'refused (CKR_ATTRIBUTE_SENSITIVE)', wrap: 'refused (CKR_KEY_UNEXTRACTABLE)' });
    expect(generationText(key.generation!)).toContain('minimal template (the module refused the full template: CKR_GENERAL_ERROR)');
    expect(generationText(key.generation!)).not.toMatch(/private\s*key/i); // the transcript refuses that phrase
  });

  it.each(['ATTRIBUTE_TYPE_INVALID', 'ATTRIBUTE_VALUE_INVALID', 'TEMPLATE_INCONSISTENT', 'GENERAL_ERROR'] as const)(
    'CKR_%s on both templates: TOKEN_TEMPLATE_REFUSED (never "does not support"), nothing left on the token',
    async (rv) => {
      const fake = new FakePkcs11([{ label: 'vendor', serial: '42' }]);
      fake.failNext('generateKeyPair', CKR[rv]).failNext('generateKeyPair', CKR[rv]);
      const { session } = await open(fake, OTHER, { serial: '42' });
      const err = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' }));
      expect(err.code).toBe('TOKEN_TEMPLATE_REFUSED');
      expect(err.message).not.toContain('does not support');
      expect(err.message).toContain(`CKR_${rv}`);
      expect(fake.countCalls('generateKeyPair')).toBe(2);
      expect(fake.objectsOf('42')).toEqual([]);
    },
  );

  it('a mechanism the token lacks is MECHANISM_UNSUPPORTED with no second try', async () => {
    const fake = new FakePkcs11([{ label: 'vendor', serial: '42' }]).failNext('generateKeyPair', CKR.MECHANISM_INVALID);
    const { session } = await open(fake, OTHER, { serial: '42' });
    const err = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' }));
    expect(err.code).toBe('MECHANISM_UNSUPPORTED');
    expect(err.message).toContain('does not support ECDSA P-256');
    expect(fake.countCalls('generateKeyPair')).toBe(1);
  });

  it('tpm2-pkcs11 goes straight to the minimal template (its refusal would print error lines)', async () => {
    const fake = tpm();
    fake.quirks.refuseTemplate = { publicKey: ['verify', 'encrypt'], rv: CKR.GENERAL_ERROR };
    const { session } = await open(fake, TPM, { label: 'alice' });
    const key = await session.generateKeyPair({ algorithm: 'rsa-pss-sha256', label: 'root-1', rsaBits: 2048 });
    expect(fake.countCalls('generateKeyPair')).toBe(1);
    expect(key.generation).toMatchObject({ template: 'minimal', fullSkipped: expect.stringContaining('tpm2-pkcs11') });
  });

  it.each([
    ['a token that grants CKA_DECRYPT', { decrypt: true }, 'TOKEN_KEY_ATTRIBUTES_UNSAFE', 'CKA_DECRYPT true'],
    ['a token that grants CKA_DERIVE', { derive: true }, 'TOKEN_KEY_ATTRIBUTES_UNSAFE', 'CKA_DERIVE true'],
    ['a token that grants CKA_UNWRAP', { unwrap: true }, 'TOKEN_KEY_ATTRIBUTES_UNSAFE', 'CKA_UNWRAP true'],
    ['a key that cannot sign', { sign: false }, 'TOKEN_KEY_ATTRIBUTES_UNSAFE', 'CKA_SIGN false'],
    ['a key that reads back not sensitive (tpm2-pkcs11 from a bare template)', { sensitive: false }, 'TOKEN_KEY_EXTRACTABLE', 'CKA_SENSITIVE false'],
    ['a key that reads back extractable', { extractable: true }, 'TOKEN_KEY_EXTRACTABLE', 'CKA_EXTRACTABLE true'],
  ] as const)('read-back: %s → %s, the pair destroyed', async (_what, force, code, phrase) => {
    const fake = new FakePkcs11([{ label: 'vendor', serial: '42' }]);
    fake.quirks.forcePrivate = force;
    const { session } = await open(fake, OTHER, { serial: '42' });
    const err = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' }));
    expect(err.code).toBe(code);
    expect(err.message).toContain(phrase);
    expect(err.message).toContain('destroyed');
    expect(fake.objectsOf('42')).toEqual([]);
  });

  it('a token without CKA_DERIVE / CKA_UNWRAP on its keys: read one by one, absent counts as not allowed', async () => {
    const fake = new FakePkcs11([{ label: 'vendor', serial: '42' }]);
    fake.quirks.missingAttributes = ['derive', 'unwrap', 'alwaysSensitive', 'neverExtractable'];
    const { session } = await open(fake, OTHER, { serial: '42' });
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p384', label: 'root-1' });
    expect(key.generation!.readBack).toEqual({ sensitive: true, extractable: false, sign: true, decrypt: false, unwrap: null, derive: null, alwaysSensitive: null, neverExtractable: null });
    expect(generationText(key.generation!)).toContain('derive=n/a');
  });

  it('the read-out proof runs at generation: a token that reads back non-extractable but wraps the key out (NSS softokn, measured) is refused and the pair destroyed', async () => {
    const fake = new FakePkcs11([{ label: 'vendor', serial: '42' }]);
    // Reads back CKA_EXTRACTABLE=false, but the wrap below succeeds: the fake wraps what its stored flag allows.
    const wrapped = new Uint8Array(48).fill(7);
    fake.wrapKey = async () => wrapped;
    const { session } = await open(fake, OTHER, { serial: '42' });
    const err = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' }));
    expect(err.code).toBe('TOKEN_KEY_EXTRACTABLE');
    expect(err.message).toContain('wrapped key "root-1" out of the token');
    expect(fake.objectsOf('42').filter((o) => o.class !== CKO.SECRET_KEY)).toEqual([]);
    expect(wrapped.every((b) => b === 0)).toBe(true); // what came out was wiped
  });
});

describe('token identity is the pair (serial, label)', () => {
  it('tokens sharing serial 0000000000000000: listed as not unique; the label alone opens one; the serial alone is TOKEN_AMBIGUOUS; logins are per token', async () => {
    const fake = tpm();
    const mod = await TokenModule.load(TPM, { api: fake });
    const tokens = await mod.listTokens();
    expect(tokens.map((t) => [t.label, t.serialUnique])).toEqual([
      ['alice', false],
      ['bob', false],
    ]);
    expect(tokenSummary(tokens[0]!)).toMatchObject({ serialUnique: false, software: 'swtpm (software TPM)', moduleFamily: 'tpm2-pkcs11', module: TPM, slotDescription: 'fake slot slot-1' });
    const ambiguous = await refusal(mod.openToken({ serial: ZERO }));
    expect(ambiguous.code).toBe('TOKEN_AMBIGUOUS');
    expect(ambiguous.message).toContain('choose one by label too ("alice", "bob")');
    const alice = await mod.openToken({ label: 'alice' });
    const bob = await mod.openToken({ serial: ZERO, label: 'bob' });
    expect(bob.token.label).toBe('bob');
    await alice.login(PIN);
    expect(alice.isLoggedIn).toBe(true);
    expect(bob.isLoggedIn).toBe(false); // the same serial is not the same token
    // A placeholder serial names nothing: people see the label.
    expect(describeToken(alice.token)).toBe('token "alice"');
    expect(describeToken({ label: 'c', serial: '1234' })).toBe('token "c" (serial 1234)');
    await alice.close();
    await bob.close();
  });

  it('two tokens with the same pair are TOKEN_AMBIGUOUS, never "the first one"', async () => {
    const mod = await TokenModule.load(TPM, { api: tpm([{ label: 'same', serial: ZERO }, { label: 'same', serial: ZERO }]) });
    const err = await refusal(mod.openToken({ serial: ZERO, label: 'same' }));
    expect(err.code).toBe('TOKEN_AMBIGUOUS');
    expect(err.message).toContain('relabel');
  });

  it('a serial with another label is the wrong token; distinct serials stay unique', async () => {
    const mod = await TokenModule.load(OTHER, { api: new FakePkcs11([{ label: 'alice', serial: '11' }, { label: 'bob', serial: '22' }]) });
    const wrong = await refusal(mod.openToken({ serial: '11', label: 'bob' }));
    expect(wrong.code).toBe('TOKEN_NOT_PRESENT');
    expect(wrong.message).toContain('labelled "alice", not "bob"');
    expect((await mod.listTokens()).every((t) => t.serialUnique)).toBe(true);
  });

  it('keys are found by CKA_ID and fingerprint; the label is only a hint', async () => {
    const { session } = await open(new FakePkcs11([{ label: 'vendor', serial: '42' }]), OTHER, { serial: '42' });
    const id = Uint8Array.from([1, 2, 3, 4]);
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1', id });
    const again = await session.findKey({ id, fingerprint: key.fingerprint });
    expect(again.fingerprint).toBe(key.fingerprint);
    expect(again.label).toBe('root-1');
    const other = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-2', id: Uint8Array.from([5]) });
    const err = await refusal(session.findKey({ id, fingerprint: other.fingerprint }));
    expect(err.code).toBe('TOKEN_KEY_NOT_FOUND');
  });
});

describe('"already logged in" is a login only when this process made it (issue #11: opencryptoki shares one login)', () => {
  /** A fake posing as opencryptoki's soft tokens, one login shared by all of them. */
  function ock(): FakePkcs11 {
    const fake = new FakePkcs11([
      { label: 'alice', serial: '123', manufacturer: 'IBM', model: 'Soft' },
      { label: 'bob', serial: '123', manufacturer: 'IBM', model: 'Soft' },
    ]);
    fake.moduleManufacturer = 'IBM';
    fake.moduleDescription = 'Meta-PKCS11 LIBRARY opencryptoki';
    fake.quirks.sharedLogin = true;
    return fake;
  }

  it('after a login on one token, another answering ALREADY_LOGGED_IN to any PIN is TOKEN_LOGIN_SHARED; the first login is not ended', async () => {
    const fake = ock();
    const mod = await TokenModule.load(OTHER, { api: fake });
    const alice = await mod.openToken({ label: 'alice' });
    await alice.login(PIN);
    const key = await alice.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' });
    const bob = await mod.openToken({ label: 'bob' });
    for (const pin of ['99999999', PIN]) {
      const err = await refusal(bob.login(pin));
      expect(err.code).toBe('TOKEN_LOGIN_SHARED');
      expect(err.message).toContain('token "bob" (serial 123)');
      expect(err.message).toContain('use one token of this module per process');
      expect(err.message).not.toContain(pin);
    }
    expect(bob.isLoggedIn).toBe(false);
    // No logout was sent: it would have ended alice's login too (and dropped her key handles).
    expect(fake.countCalls('logout')).toBe(0);
    expect(alice.isLoggedIn).toBe(true);
    expect(await key.sign(new TextEncoder().encode('still signs'), 'sha256')).toBeInstanceOf(Uint8Array);
    await bob.close();
    await alice.close();
  });

  it('a login this process does not count on is ended and the PIN checked once: a wrong PIN is PIN_INCORRECT (a try spent), the right one logs in', async () => {
    const fake = new FakePkcs11([{ label: 'carol', serial: '7' }]);
    const mod = await TokenModule.load(OTHER, { api: fake });
    const carol = await mod.openToken({ label: 'carol' });
    fake.failNext('login', CKR.USER_ALREADY_LOGGED_IN);
    expect((await refusal(carol.login('99999999'))).code).toBe('PIN_INCORRECT');
    expect(fake.triesLeft('7')).toBe(2);
    expect(carol.isLoggedIn).toBe(false);
    expect(fake.countCalls('login')).toBe(2);
    fake.failNext('login', CKR.USER_ALREADY_LOGGED_IN);
    await carol.login(PIN);
    expect(carol.isLoggedIn).toBe(true);
    expect(fake.countCalls('logout')).toBe(2);
    await carol.close();
  });

  it('a module that still answers ALREADY_LOGGED_IN after the logout is TOKEN_LOGIN_SHARED, never a login', async () => {
    const fake = new FakePkcs11([{ label: 'dave', serial: '8' }]);
    const mod = await TokenModule.load(OTHER, { api: fake });
    const dave = await mod.openToken({ label: 'dave' });
    fake.failNext('login', CKR.USER_ALREADY_LOGGED_IN).failNext('login', CKR.USER_ALREADY_LOGGED_IN);
    expect((await refusal(dave.login('99999999'))).code).toBe('TOKEN_LOGIN_SHARED');
    expect(dave.isLoggedIn).toBe(false);
    expect(fake.countCalls('login')).toBe(2);
    await dave.close();
  });
});

describe('module start-up parameters, families and advice', () => {
  it('NSS softokn: without its parameters a start-up failure says how to give them (no SoftHSM2 hint); with them it loads', async () => {
    const bare = new FakePkcs11([{ label: 'NSS Certificate DB', serial: ZERO }]);
    bare.requiredParameters = NSS_PARAMS;
    const err = await refusal(TokenModule.load(NSS, { api: bare }));
    expect(err.code).toBe('TOKEN_MODULE_INVALID');
    expect(err.message).toContain('--module-params');
    expect(err.message).not.toContain('SOFTHSM2_CONF');
    const fake = new FakePkcs11([{ label: 'NSS Certificate DB', serial: ZERO, manufacturer: 'Mozilla Foundation', model: 'NSS 3' }]);
    fake.requiredParameters = NSS_PARAMS;
    fake.moduleManufacturer = 'Mozilla Foundation';
    fake.moduleDescription = 'NSS Internal Crypto Services';
    const mod = await TokenModule.load(NSS, { api: fake, libraryParameters: NSS_PARAMS });
    expect(fake.calls[0]).toEqual({ op: 'initialize', args: [NSS, NSS_PARAMS] });
    expect(mod.family).toBe('nss-softokn');
    expect(mod.libraryParameters).toBe(NSS_PARAMS);
    expect((await mod.listTokens())[0]!.softwareModel).toBe('NSS softokn');
  });

  it('families and software models from the strings modules report (measured); hardware is not flagged', () => {
    expect(familyOf({ path: '/x.so', manufacturer: 'SoftHSM', description: 'Implementation of PKCS11' })).toBe('softhsm2');
    expect(familyOf({ path: '/x.so', manufacturer: 'tpm2-software.github.io', description: 'TPM2.0 Cryptoki' })).toBe('tpm2-pkcs11');
    expect(familyOf({ path: '/x.so', manufacturer: 'Mozilla Foundation', description: 'NSS Internal Crypto Services' })).toBe('nss-softokn');
    expect(familyOf({ path: '/x.so', manufacturer: 'IBM', description: 'openCryptoki' })).toBe('opencryptoki');
    expect(familyOf({ path: '/usr/lib/libykcs11.so', manufacturer: 'Fake', description: 'fake' })).toBe('ykcs11');
    expect(softwareModelOf('softhsm2', { manufacturer: 'SoftHSM project', model: 'SoftHSM v2' })).toBe('SoftHSM2');
    expect(softwareModelOf('tpm2-pkcs11', { manufacturer: 'IBM', model: 'SW   TPM' })).toBe('swtpm (software TPM)');
    expect(softwareModelOf('tpm2-pkcs11', { manufacturer: 'IFX', model: 'SLB9670' })).toBeUndefined();
    // opencryptoki 3.8 as measured on Debian 12: the module says only "IBM" / "Meta PKCS11 LIBRARY".
    expect(familyOf({ path: '/opt/ock.so', manufacturer: 'IBM', description: 'Meta PKCS11 LIBRARY' })).toBe('opencryptoki');
    expect(softwareModelOf('opencryptoki', { manufacturer: 'IBM Corp.', model: 'IBM SoftTok' })).toBe('opencryptoki soft token');
    expect(softwareModelOf('other', { manufacturer: 'IBM Corp.', model: 'IBM SoftTok' })).toBe('opencryptoki soft token');
    expect(softwareModelOf('opencryptoki', { manufacturer: 'IBM Corp.', model: 'IBM CCA Token' })).toBeUndefined();
    expect(softwareModelOf('opencryptoki', { manufacturer: 'IBM', model: 'CCA' })).toBeUndefined();
    expect(softwareModelOf('ykcs11', { manufacturer: 'Yubico (www.yubico.com)', model: 'YubiKey YK5' })).toBeUndefined();
  });

  it('module log variables are set to quiet only when the user has not set them', () => {
    const env: Record<string, string | undefined> = { TPM2_PKCS11_LOG_LEVEL: '2' };
    quietModuleLogs(env);
    expect(env).toEqual({ TPM2_PKCS11_LOG_LEVEL: '2', TSS2_LOG: 'all+NONE' });
  });

  it('a wrong PIN on a TPM warns of the dictionary-attack counter; a lock says how a TPM recovers (not the SO PIN, not a PUK)', async () => {
    const fake = tpm();
    const mod = await TokenModule.load(TPM, { api: fake });
    const s = await mod.openToken({ label: 'alice' });
    const wrong = await refusal(s.login('999999'));
    expect(wrong.code).toBe('PIN_INCORRECT');
    expect(wrong.message).toContain("dictionary-attack limit, shared by every token on this TPM");
    await refusal(s.login('999999'));
    const locked = await refusal(s.login('999999'));
    expect(locked.code).toBe('PIN_LOCKED');
    expect(locked.message).toContain('tpm2_dictionarylockout --clear-lockout');
    expect(locked.message).toContain('the SO PIN does not help');
    expect(locked.message).not.toContain('PUK');
    const ykMod = await TokenModule.load('/usr/lib/libykcs11.so', { api: new FakePkcs11([{ label: 'yk', serial: '7', pinTries: 1 }]) });
    const yk = await refusal((await ykMod.openToken({ serial: '7' })).login('999999'));
    expect(yk.code).toBe('PIN_LOCKED');
    expect(yk.message).toContain('ykman piv access unblock-pin');
  });
});

describe('a message for every CKR_ a step can meet', () => {
  const steps = ['logging in', 'generating ECDSA P-256 key "root-1"', 'signing with key "root-1"', 'listing the tokens'];
  const names = Object.keys(CKR).filter((n) => n !== 'OK') as CkrName[];
  it.each(names)('CKR_%s: a token-class code and a sentence that says what to do, never the bare code', (name) => {
    for (const step of steps) {
      for (const template of [false, true]) {
        const err = tokenError(new Pkcs11Fault('sign', CKR[name]), { step, token: { label: 'alice', serial: '11' }, mechanism: 'ECDSA P-256 keys', template, family: 'other' });
        expect(ERROR_CODES[err.code].cls).toBe('token');
        expect(err.message).not.toMatch(/^CKR_/);
        expect(err.message.replace(/\(CKR_[A-Z_0-9]+\)/g, '').length).toBeGreaterThan(40);
        if (name === 'ATTRIBUTE_VALUE_INVALID' || name === 'TEMPLATE_INCONSISTENT' || name === 'GENERAL_ERROR') expect(err.message).not.toContain('does not support');
      }
    }
  });

  it('an unknown CKR_ value is named and the custodian told what to do', () => {
    const err = tokenError(new Pkcs11Fault('sign', 0x1234), { step: 'signing', token: { label: 'a', serial: '1' } });
    expect(err.code).toBe('TOKEN_ERROR');
    expect(err.message).toContain('CKR_0x00001234');
    expect(err.message).toContain('remove and reinsert');
  });

  it("CKR_USER_TYPE_INVALID (NSS's session-only slot, a YubiKey before the management key) says so", () => {
    const err = tokenError(new Pkcs11Fault('login', CKR.USER_TYPE_INVALID), { step: 'logging in', token: { label: 'NSS Generic Crypto Services', serial: ZERO } });
    expect(err.message).toContain('session-only slot');
  });
});
