/**
 * The token layer over the fake PKCS#11 backend: listing, the expected token, PIN handling (tries left,
 * locked, never kept), key generation on the token (templates, refusals, software self-check), finding
 * keys, signing (verified before return, serialised per session), and every fault of issue #3 with its
 * own code — including a sweep that fails each single call of a whole ceremony step in turn.
 */
import { createHash, verify as nodeVerify, constants } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { CeremonyError, ERROR_CODES, type ErrorCode } from '../../../src/errors.js';
import type { KeyAlgorithm } from '../../../src/profiles/profile.js';
import { CKM, CKO, CKR } from '../../../src/signers/pkcs11/api.js';
import { TokenError } from '../../../src/signers/pkcs11/errors.js';
import { TokenModule, type TokenSession } from '../../../src/signers/pkcs11/token.js';
import { ALL_MECHANISMS, FakePkcs11, publicKeyOfSpki, YUBIKEY_MECHANISMS, type FakeTokenSpec } from '../../support/fake-pkcs11.js';

const PIN = '123456';
const SPEC: FakeTokenSpec = { label: 'custodian-1', serial: '0001', pin: PIN };
const MODULE = '/usr/lib/fake/libfake-pkcs11.so';
const data = new TextEncoder().encode('canonical bytes of root.json');

async function setup(specs: FakeTokenSpec[] = [SPEC], opts: { emptySlots?: number } = {}): Promise<{ fake: FakePkcs11; mod: TokenModule }> {
  const fake = new FakePkcs11(specs, opts);
  const mod = await TokenModule.load(MODULE, { api: fake });
  return { fake, mod };
}

async function loggedIn(specs: FakeTokenSpec[] = [SPEC]): Promise<{ fake: FakePkcs11; mod: TokenModule; session: TokenSession }> {
  const { fake, mod } = await setup(specs);
  const session = await mod.openToken({ serial: specs[0]!.serial });
  await session.login(specs[0]!.pin ?? PIN);
  return { fake, mod, session };
}

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<CeremonyError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

function verifiesWithNode(alg: KeyAlgorithm, spki: Uint8Array, sig: Uint8Array, hash: 'sha256' | 'sha384' = 'sha256'): boolean {
  const key = publicKeyOfSpki(spki);
  if (alg === 'ed25519') return nodeVerify(null, data, key, sig);
  if (alg === 'rsa-pss-sha256') return nodeVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
  return nodeVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
}

describe('listing modules, slots and tokens', () => {
  it('describes each token with the mechanisms that matter, and lists empty slots and free tokens', async () => {
    const { mod } = await setup(
      [SPEC, { label: 'yubikey', serial: '12345678', mechanisms: YUBIKEY_MECHANISMS, manufacturer: 'Yubico (www.yubico.com)', model: 'YubiKey YK5' }, { label: '', serial: '', uninitialized: true }],
      { emptySlots: 1 },
    );
    expect(mod.info.manufacturer).toBe('Fake Tokens Ltd');
    const slots = await mod.listSlots();
    expect(slots).toHaveLength(4);
    expect(slots.filter((s) => !s.token)).toHaveLength(1);
    const [soft, yk, free] = await mod.listTokens();
    expect(soft).toMatchObject({ label: 'custodian-1', serial: '0001', initialized: true, pinStatus: 'ok', loginRequired: true });
    expect(soft!.capabilities).toEqual({ 'ecdsa-p256': true, 'ecdsa-p384': true, ed25519: true, 'rsa-pss-sha256': true });
    expect(soft!.mechanisms).toContain('CKM_EDDSA');
    expect(soft!.rsaMaxBits).toBe(4096);
    expect(yk).toMatchObject({ manufacturer: 'Yubico (www.yubico.com)', model: 'YubiKey YK5' });
    expect(yk!.capabilities).toEqual({ 'ecdsa-p256': true, 'ecdsa-p384': true, ed25519: false, 'rsa-pss-sha256': true });
    expect(free).toMatchObject({ initialized: false, pinStatus: 'not-initialized' });
  });

  it('shares one initialised module per path in a process unless a backend is injected', async () => {
    const a = new FakePkcs11([SPEC]);
    const m1 = await TokenModule.load(MODULE, { api: a });
    await expect(TokenModule.load(MODULE, { api: a })).rejects.toMatchObject({ code: 'TOKEN_MODULE_INVALID' }); // C_Initialize twice
    await m1.finalize();
    await m1.finalize(); // twice is harmless
    await expect(m1.listTokens()).rejects.toMatchObject({ code: 'TOKEN_MODULE_INVALID' });
  });
});

describe('opening the expected token', () => {
  it('opens by serial, by label, or both; the wrong token is refused before any PIN is asked', async () => {
    const { mod, fake } = await setup([SPEC, { label: 'custodian-2', serial: '0002' }]);
    expect((await mod.openToken({ serial: '0002' })).token.label).toBe('custodian-2');
    expect((await mod.openToken({ label: 'custodian-1' })).token.serial).toBe('0001');
    const wrong = await refusal(mod.openToken({ serial: '0002', label: 'custodian-1' }));
    expect(wrong.code).toBe('TOKEN_NOT_PRESENT');
    expect(wrong.message).toContain('not the expected token');
    expect(fake.countCalls('login')).toBe(0);
  });

  it('no token: TOKEN_NOT_PRESENT naming the tokens that are there', async () => {
    const { mod } = await setup([SPEC], { emptySlots: 2 });
    const err = await refusal(mod.openToken({ serial: '9999' }));
    expect(err.code).toBe('TOKEN_NOT_PRESENT');
    expect(err.message).toContain('custodian-1');
    const none = await setup([], { emptySlots: 1 });
    expect((await refusal(none.mod.openToken({ label: 'custodian-1' }))).message).toContain('tokens present: none');
  });

  it('two tokens with one label must be told apart by serial', async () => {
    const { mod } = await setup([SPEC, { ...SPEC, serial: '0003' }]);
    expect((await refusal(mod.openToken({ label: 'custodian-1' }))).code).toBe('USAGE');
  });
});

describe('PIN', () => {
  it('a Uint8Array PIN is zeroed after login, on success and on failure, and is kept nowhere', async () => {
    const { mod } = await setup();
    const session = await mod.openToken({ serial: '0001' });
    const wrong = new TextEncoder().encode('000000');
    await refusal(session.login(wrong));
    expect([...wrong].every((b) => b === 0)).toBe(true);
    const right = new TextEncoder().encode(PIN);
    await session.login(right);
    expect([...right].every((b) => b === 0)).toBe(true);
    expect(session.isLoggedIn).toBe(true);
    // Nothing reachable from the session holds the PIN.
    const seen = new Set<unknown>();
    const scan = (v: unknown, depth: number): void => {
      if (depth > 6 || v === null || typeof v !== 'object' || seen.has(v)) {
        if (typeof v === 'string') expect(v).not.toContain(PIN);
        return;
      }
      seen.add(v);
      if (v instanceof Uint8Array) {
        expect(Buffer.from(v).includes(Buffer.from(PIN))).toBe(false);
        return;
      }
      for (const k of Object.getOwnPropertyNames(v)) {
        if (k === 'api') continue; // the backend (here the fake, which plays the token and knows its PIN)
        scan((v as Record<string, unknown>)[k], depth + 1);
      }
    };
    scan(session, 0);
  });

  it('wrong PIN: PIN_INCORRECT with the tries the token reports, then PIN_LOCKED, then no more tries', async () => {
    const { mod, fake } = await setup([{ ...SPEC, pinTries: 3 }]);
    const session = await mod.openToken({ serial: '0001' });
    const first = await refusal(session.login('111111'));
    expect(first).toBeInstanceOf(TokenError);
    expect(first).toMatchObject({ code: 'PIN_INCORRECT', pinTries: 'count-low', token: { label: 'custodian-1', serial: '0001' } });
    expect(first.message).toContain('few tries are left');
    const second = await refusal(session.login('222222'));
    expect(second).toMatchObject({ code: 'PIN_INCORRECT', pinTries: 'final-try' });
    expect(second.message).toContain('one try is left');
    expect((await mod.listTokens())[0]!.pinStatus).toBe('final-try');
    const third = await refusal(session.login('333333'));
    expect(third.code).toBe('PIN_LOCKED');
    expect(third.message).toContain('last try');
    const logins = fake.countCalls('login');
    const fourth = await refusal(session.login(PIN));
    expect(fourth.code).toBe('PIN_LOCKED');
    expect(fake.countCalls('login')).toBe(logins); // the token was not asked again
    for (const e of [first, second, third, fourth]) for (const p of ['111111', '222222', '333333', PIN]) expect(e.message).not.toContain(p);
  });

  it('a PIN of a length the token refuses is not tried (no try is spent on a typo)', async () => {
    const { mod, fake } = await setup([{ ...SPEC, minPinLength: 6, maxPinLength: 8 }]);
    const session = await mod.openToken({ serial: '0001' });
    for (const pin of ['123', '123456789', '']) {
      const err = await refusal(session.login(pin));
      expect(err.code).toBe('PIN_INCORRECT');
    }
    expect(fake.countCalls('login')).toBe(0);
    expect(fake.triesLeft('0001')).toBe(3);
  });

  it('CKR_PIN_LOCKED, CKR_PIN_LEN_RANGE and CKR_USER_ALREADY_LOGGED_IN from the token', async () => {
    const { mod, fake } = await setup();
    const session = await mod.openToken({ serial: '0001' });
    fake.failNext('login', CKR.PIN_LOCKED);
    expect((await refusal(session.login(PIN))).code).toBe('PIN_LOCKED');
    fake.failNext('login', CKR.PIN_LEN_RANGE);
    expect((await refusal(session.login(PIN))).code).toBe('PIN_INCORRECT');
    await session.login(PIN);
    // A second session on the same token: login is per token per process (FIELD-NOTES).
    const other = await mod.openToken({ serial: '0001' });
    await other.login(PIN);
    expect(other.isLoggedIn).toBe(true);
  });
});

const ALGORITHMS: KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'];

describe('key generation on the token', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: sensitive, non-extractable, sign-only; signs; verified by node:crypto and @noble/curves`, async () => {
      const { fake, session } = await loggedIn();
      const key = await session.generateKeyPair({ algorithm, label: `root-${algorithm}`, id: Uint8Array.of(7), rsaBits: 2048 });
      expect(key.algorithm).toBe(algorithm);
      expect(key.origin).toEqual({ kind: 'token', token: { label: 'custodian-1', serial: '0001' }, rehearsal: false });
      const gen = fake.calls.find((c) => c.op === 'generateKeyPair')!;
      const priv = gen.args[3] as Record<string, unknown>;
      expect(priv).toMatchObject({ token: true, private: true, sensitive: true, extractable: false, sign: true, decrypt: false, unwrap: false, derive: false, label: `root-${algorithm}` });
      expect(gen.args[2]).toMatchObject({ token: true, verify: true, encrypt: false, wrap: false, label: `root-${algorithm}` });
      // The self-test signature right after generation.
      expect(fake.countCalls('sign')).toBe(1);
      const hash = algorithm === 'ecdsa-p384' ? 'sha384' : 'sha256';
      const sig = await key.sign(data, hash);
      expect(verifiesWithNode(algorithm, key.spki, sig, hash)).toBe(true);
      if (algorithm === 'ecdsa-p256' || algorithm === 'ecdsa-p384') {
        const curve = algorithm === 'ecdsa-p256' ? p256 : p384;
        const point = key.spki.subarray(key.spki.length - (algorithm === 'ecdsa-p256' ? 65 : 97));
        expect(curve.verify(sig, new Uint8Array(createHash(hash).update(data).digest()), point, { prehash: false, lowS: false })).toBe(true);
      } else if (algorithm === 'ed25519') {
        expect(ed25519.verify(sig, data, key.spki.subarray(-32))).toBe(true);
      }
      // Trying to read it out: refused both ways.
      const report = await session.proveNotExtractable(key);
      expect(report.value).toContain('CKR_ATTRIBUTE_SENSITIVE');
      expect(report.wrap).toContain('CKR_KEY_UNEXTRACTABLE');
    });
  }

  it('P-256 signatures come back as the token gives them, high-S included', async () => {
    const { session } = await loggedIn();
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' });
    const n = p256.Point.CURVE().n;
    let high = 0;
    for (let i = 0; i < 24; i++) {
      const sig = await key.sign(data, 'sha256');
      const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
      if (s > n / 2n) high++;
    }
    expect(high).toBeGreaterThan(0);
  });

  it('refuses a label or an ID already on the token', async () => {
    const { session, fake } = await loggedIn();
    await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1', id: Uint8Array.of(1) });
    const label = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1', id: Uint8Array.of(2) }));
    expect(label.code).toBe('KEY_LABEL_EXISTS');
    const id = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-2', id: Uint8Array.of(1) }));
    expect(id.code).toBe('KEY_ID_EXISTS');
    expect(fake.countCalls('generateKeyPair')).toBe(1);
  });

  it('refuses a key type the token lacks before asking it (MECHANISM_UNSUPPORTED), and maps the token saying so', async () => {
    const { session, fake } = await loggedIn([{ ...SPEC, mechanisms: YUBIKEY_MECHANISMS }]);
    const err = await refusal(session.generateKeyPair({ algorithm: 'ed25519', label: 'ed' }));
    expect(err.code).toBe('MECHANISM_UNSUPPORTED');
    expect(err.message).toContain('Ed25519');
    expect(fake.countCalls('generateKeyPair')).toBe(0);
    fake.failNext('generateKeyPair', CKR.MECHANISM_INVALID);
    expect((await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p384', label: 'p384' }))).code).toBe('MECHANISM_UNSUPPORTED');
    fake.failNext('generateKeyPair', CKR.CURVE_NOT_SUPPORTED);
    expect((await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p384', label: 'p384' }))).code).toBe('MECHANISM_UNSUPPORTED');
    expect((await refusal(session.generateKeyPair({ algorithm: 'rsa-pss-sha256', label: 'rsa', rsaBits: 8192 }))).code).toBe('MECHANISM_UNSUPPORTED');
  });

  it('a token that ignores CKA_SENSITIVE / CKA_EXTRACTABLE: the key is destroyed and refused', async () => {
    const { session, fake } = await loggedIn();
    fake.quirks.ignoreSensitive = true;
    const err = await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'leaky' }));
    expect(err.code).toBe('TOKEN_KEY_EXTRACTABLE');
    expect(fake.objectsOf('0001')).toHaveLength(0);
  });

  it('needs the PIN first (TOKEN_LOGIN_REQUIRED)', async () => {
    const { mod } = await setup();
    const session = await mod.openToken({ serial: '0001' });
    expect((await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' }))).code).toBe('TOKEN_LOGIN_REQUIRED');
  });

  it('reads bare EC points too (modules that skip the OCTET STRING)', async () => {
    const { session, fake } = await loggedIn();
    fake.quirks.bareEcPoint = true;
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'bare' });
    expect(verifiesWithNode('ecdsa-p256', key.spki, await key.sign(data, 'sha256'))).toBe(true);
  });
});

describe('finding keys and signing', () => {
  it('finds a key by label, ID or fingerprint; a different key under the expected label is refused', async () => {
    const { session, mod } = await loggedIn();
    const made = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1', id: Uint8Array.of(1) });
    await session.generateKeyPair({ algorithm: 'ed25519', label: 'targets-1' });
    const again = await mod.openToken({ serial: '0001' });
    await again.login(PIN);
    expect((await again.findKey({ label: 'root-1' })).fingerprint).toBe(made.fingerprint);
    expect((await again.findKey({ id: Uint8Array.of(1) })).fingerprint).toBe(made.fingerprint);
    expect((await again.findKey({ fingerprint: made.fingerprint })).label).toBe('root-1');
    const listing = await again.listKeys();
    expect(listing.map((k) => [k.label, k.algorithm, k.sensitive, k.extractable])).toEqual([
      ['root-1', 'ecdsa-p256', true, false],
      ['targets-1', 'ed25519', true, false],
    ]);
    const stranger = await refusal(again.findKey({ label: 'root-1', fingerprint: 'ab'.repeat(32) }));
    expect(stranger.code).toBe('TOKEN_KEY_NOT_FOUND');
    expect(stranger.message).toContain('not the expected key');
    expect((await refusal(again.findKey({ label: 'nope' }))).code).toBe('TOKEN_KEY_NOT_FOUND');
  });

  it('before login private keys are hidden: TOKEN_KEY_NOT_FOUND says to log in', async () => {
    const { session, mod } = await loggedIn();
    await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' });
    await session.logout();
    const other = await mod.openToken({ serial: '0001' });
    const err = await refusal(other.findKey({ label: 'root-1' }));
    expect(err.code).toBe('TOKEN_KEY_NOT_FOUND');
    expect(err.message).toContain('log in first');
  });

  it('a signature that does not verify is never returned (TOKEN_SIGNATURE_INVALID)', async () => {
    const { session, fake } = await loggedIn();
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' });
    fake.corruptNextSignature();
    const err = await refusal(key.sign(data, 'sha256'));
    expect(err.code).toBe('TOKEN_SIGNATURE_INVALID');
    expect(err).toMatchObject({ token: { serial: '0001' } });
  });

  it('concurrent signatures on one session are serialised (no CKR_OPERATION_ACTIVE)', async () => {
    const { session } = await loggedIn();
    const key = await session.generateKeyPair({ algorithm: 'ed25519', label: 'k' });
    const sigs = await Promise.all(Array.from({ length: 6 }, () => key.sign(data, 'sha256')));
    expect(sigs).toHaveLength(6);
  });

  it('sign after logout asks for the PIN (TOKEN_LOGIN_REQUIRED)', async () => {
    const { session } = await loggedIn();
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' });
    await session.logout();
    expect((await refusal(key.sign(data, 'sha256'))).code).toBe('TOKEN_LOGIN_REQUIRED');
  });

  it('keys that ask for the PIN at every signature (YubiKey 9c): without it TOKEN_LOGIN_REQUIRED, with it a zeroed PIN', async () => {
    const { session, fake } = await loggedIn();
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'sig', alwaysAuthenticate: true });
    expect(key.alwaysAuthenticate).toBe(true);
    expect(fake.countCalls('sign')).toBe(0); // no self-test without a PIN
    expect((await refusal(key.sign(data, 'sha256'))).code).toBe('TOKEN_LOGIN_REQUIRED');
    const pin = new TextEncoder().encode(PIN);
    expect(verifiesWithNode('ecdsa-p256', key.spki, await key.sign(data, 'sha256', { pin }))).toBe(true);
    expect([...pin].every((b) => b === 0)).toBe(true);
    const wrong = new TextEncoder().encode('999999');
    expect((await refusal(key.sign(data, 'sha256', { pin: wrong }))).code).toBe('PIN_INCORRECT');
    expect([...wrong].every((b) => b === 0)).toBe(true);
  });
});

describe('token removed between steps', () => {
  it('removed after login: signing says TOKEN_REMOVED, and so does a check before the next step', async () => {
    const { session, fake } = await loggedIn();
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' });
    fake.removeToken('0001');
    const err = await refusal(key.sign(data, 'sha256'));
    expect(err.code).toBe('TOKEN_REMOVED');
    expect(err.message).toContain('custodian-1');
    expect((await refusal(session.checkPresent('signing'))).code).toBe('TOKEN_REMOVED');
    // Reinserted: the old session is gone for good; a new one resumes.
    fake.reinsertToken('0001');
    expect((await refusal(key.sign(data, 'sha256'))).code).toBe('TOKEN_REMOVED');
    await session.close();
  });

  it('removed between opening and login, and between login and key generation', async () => {
    const { mod, fake } = await setup();
    const session = await mod.openToken({ serial: '0001' });
    fake.removeToken('0001');
    expect((await refusal(session.login(PIN))).code).toBe('TOKEN_REMOVED');
    fake.reinsertToken('0001');
    const next = await mod.openToken({ serial: '0001' });
    await next.login(PIN);
    fake.removeToken('0001');
    expect((await refusal(next.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' }))).code).toBe('TOKEN_REMOVED');
    expect((await refusal(mod.openToken({ serial: '0001' }))).code).toBe('TOKEN_NOT_PRESENT');
  });
});

describe('module faults', () => {
  it('module not found, not a PKCS#11 library, failing to start', async () => {
    const missing = new FakePkcs11();
    missing.loadFailure = 'module-not-found';
    const nf = await refusal(TokenModule.load('/usr/lib/x86_64-linux-gnu/libykcs11.so', { api: missing, installHint: 'apt-get install ykcs11' }));
    expect(nf.code).toBe('TOKEN_MODULE_NOT_FOUND');
    expect(nf.message).toContain('/usr/lib/x86_64-linux-gnu/libykcs11.so');
    expect(nf.message).toContain('apt-get install ykcs11');
    expect(nf.errorClass).toBe('token');
    const invalid = new FakePkcs11();
    invalid.loadFailure = 'module-invalid';
    expect((await refusal(TokenModule.load('/lib/libc.so.6', { api: invalid }))).code).toBe('TOKEN_MODULE_INVALID');
    const broken = new FakePkcs11().failNext('initialize', CKR.GENERAL_ERROR);
    const start = await refusal(TokenModule.load(MODULE, { api: broken }));
    expect(start.code).toBe('TOKEN_MODULE_INVALID');
    // Module-aware: no SoftHSM2 advice for another module (quirks.ts startFailureHint).
    expect(start.message).not.toContain('SOFTHSM2_CONF');
    expect(start.message).toContain('start-up parameters');
    const softhsm = await refusal(TokenModule.load('/usr/lib/softhsm/libsofthsm2.so', { api: new FakePkcs11().failNext('initialize', CKR.GENERAL_ERROR) }));
    expect(softhsm.message).toContain('SOFTHSM2_CONF');
  });

  const TABLE: [Parameters<FakePkcs11['failNext']>[0], number, ErrorCode][] = [
    ['getSlots', CKR.DEVICE_ERROR, 'TOKEN_ERROR'],
    ['getTokenInfo', CKR.TOKEN_NOT_RECOGNIZED, 'TOKEN_NOT_PRESENT'],
    ['openSession', CKR.TOKEN_NOT_PRESENT, 'TOKEN_REMOVED'],
    ['openSession', CKR.SESSION_COUNT, 'TOKEN_ERROR'],
    ['login', CKR.PIN_INCORRECT, 'PIN_INCORRECT'],
    ['login', CKR.PIN_LOCKED, 'PIN_LOCKED'],
    ['login', CKR.PIN_EXPIRED, 'TOKEN_LOGIN_REQUIRED'],
    ['findObjects', CKR.SESSION_HANDLE_INVALID, 'TOKEN_REMOVED'],
    ['generateKeyPair', CKR.MECHANISM_INVALID, 'MECHANISM_UNSUPPORTED'],
    ['generateKeyPair', CKR.DEVICE_MEMORY, 'TOKEN_ERROR'],
    ['generateKeyPair', CKR.TOKEN_WRITE_PROTECTED, 'TOKEN_ERROR'],
    ['getAttributes', CKR.DEVICE_REMOVED, 'TOKEN_REMOVED'],
    ['sign', CKR.DEVICE_REMOVED, 'TOKEN_REMOVED'],
    ['sign', CKR.USER_NOT_LOGGED_IN, 'TOKEN_LOGIN_REQUIRED'],
    ['sign', CKR.FUNCTION_CANCELED, 'TOKEN_ERROR'],
    ['sign', CKR.KEY_HANDLE_INVALID, 'TOKEN_KEY_NOT_FOUND'],
    ['sign', CKR.MECHANISM_INVALID, 'MECHANISM_UNSUPPORTED'],
    ['sign', 0x80000001, 'TOKEN_ERROR'],
  ];
  for (const [op, rv, code] of TABLE) {
    it(`${op} failing with 0x${rv.toString(16)} → ${code}`, async () => {
      const fake = new FakePkcs11([SPEC]);
      const mod = await TokenModule.load(MODULE, { api: fake });
      const run = async () => {
        // Fail only the step under test: earlier calls of the same operation pass.
        const session = await mod.openToken({ serial: '0001' });
        await session.login(PIN);
        const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'k' });
        await key.sign(data, 'sha256');
      };
      fake.failNext(op, rv);
      const err = await refusal(run);
      expect(err.code).toBe(code);
      expect(ERROR_CODES[err.code].cls === 'token' || err.code === 'USAGE').toBe(true);
    });
  }

  it('every single call of a whole step can fail: always a token-class CeremonyError, never the PIN, never a stray error', async () => {
    const step = async (fake: FakePkcs11) => {
      const mod = await TokenModule.load(MODULE, { api: fake });
      await mod.listSlots();
      const session = await mod.openToken({ serial: '0001', label: 'custodian-1' });
      await session.login(new TextEncoder().encode(PIN));
      const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root-1' });
      await session.proveNotExtractable(key);
      await key.sign(data, 'sha256');
      const found = await session.findKey({ label: 'root-1', fingerprint: key.fingerprint });
      await found.sign(data, 'sha256');
      await session.close();
      await mod.finalize();
    };
    const clean = new FakePkcs11([SPEC]);
    await step(clean);
    const total = clean.calls.length;
    expect(total).toBeGreaterThan(25);
    const outcomes = new Map<string, number>();
    for (const rv of [CKR.GENERAL_ERROR, CKR.DEVICE_REMOVED]) {
      for (let i = 0; i < total; i++) {
        const fake = new FakePkcs11([SPEC]).failCall(i, rv);
        try {
          await step(fake);
          outcomes.set('completed', (outcomes.get('completed') ?? 0) + 1);
        } catch (err) {
          expect(err, `call ${i} (${clean.calls[i]!.op})`).toBeInstanceOf(CeremonyError);
          const e = err as CeremonyError;
          expect(e.errorClass, `call ${i} (${clean.calls[i]!.op}) → ${e.code}: ${e.message}`).toBe('token');
          expect(e.message).not.toContain(PIN);
          outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
        }
      }
    }
    // Failures while cleaning up (closing, logging out, destroying the wrapping key) do not fail the step.
    expect(outcomes.get('completed') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('TOKEN_REMOVED') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('TOKEN_ERROR') ?? 0).toBeGreaterThan(0);
  });
});

describe('constants', () => {
  it('Ed25519 and PSS numbers match PKCS#11 v3.0 (not in graphene enums, FIELD-NOTES)', () => {
    expect(CKM.EC_EDWARDS_KEY_PAIR_GEN).toBe(0x1055);
    expect(CKM.EDDSA).toBe(0x1057);
    expect(CKO.PRIVATE_KEY).toBe(3);
    expect(ALL_MECHANISMS.length).toBeGreaterThan(0);
  });
});
