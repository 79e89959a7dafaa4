/**
 * A YubiKey key generation (src/ceremony/tokens.ts generateOnYubiKey) when the PIV management key is
 * cancelled (review-a finding 8), on the fake PKCS#11 module playing a YubiKey: a cancel at the first
 * management-key prompt stops the step with the cancel's own refusal, before the custodian's login is
 * ended and without a PIN; a cancel after a wrong key stops it the same way, with no PIN asked just to log
 * back in; and when the login is restored after another failure, a cancelled PIN there never replaces the
 * failure that stopped the step.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { PlanCustodian } from '../../../src/ceremony/plan.js';
import type { CustodianBinding } from '../../../src/ceremony/site-bindings.js';
import { Pkcs11TokenProvider, type ManagementKeyRetry } from '../../../src/ceremony/tokens.js';
import { idOfSlot } from '../../../src/signers/pkcs11/piv-slots.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { FakePkcs11, YUBIKEY_MECHANISMS } from '../../support/fake-pkcs11.js';

const PIN = '246810';
const MGMT = '0102030405060708'.repeat(3);
const WRONG_MGMT = '0f0e0d0c0b0a0908'.repeat(3);
const MODULE = '/usr/lib/fake/libykcs11-mgmt.so';
const ALICE: PlanCustodian = { name: 'Alice', token: { serial: 'A0000001' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'alice-root' };

type Answer = string | 'cancel';

function setup(keys: Answer[], pins: Answer[]) {
  const fake = new FakePkcs11([{ label: 'alice-yk', serial: 'A0000001', pin: PIN, soPin: MGMT, mechanisms: YUBIKEY_MECHANISMS, manufacturer: 'Yubico (www.yubico.com)', model: 'YubiKey YK5' }]);
  const binding: CustodianBinding = {
    module: { path: MODULE },
    moduleAt: '$.module',
    token: { serial: 'A0000001' },
    pin: { kind: 'prompt' },
    piv: { slots: { root: '9c' }, allowSlots: [], managementKey: { kind: 'prompt' } },
  };
  const asked = { pins: 0, keys: [] as Array<ManagementKeyRetry | undefined> };
  const cancelled = new CeremonyError('TOKEN_LOGIN_REQUIRED', "Alice's management key was not given (cancelled)");
  const pinCancelled = new CeremonyError('TOKEN_LOGIN_REQUIRED', "Alice's PIN was not given (cancelled)");
  const answer = (script: Answer[], cancel: CeremonyError): Promise<Uint8Array> => {
    const next = script.shift();
    if (next === undefined) throw new Error('asked more often than the script answers');
    return next === 'cancel' ? Promise.reject(cancel) : Promise.resolve(new TextEncoder().encode(next));
  };
  const provider = new Pkcs11TokenProvider(
    { planSha256: '0'.repeat(64), custodians: new Map([['Alice', binding]]) },
    {
      load: (path) => TokenModule.load(path, { api: fake }),
      exists: () => true,
      platform: 'linux',
      announce: () => undefined,
      pin: () => ((asked.pins += 1), answer(pins, pinCancelled)),
      managementKey: (_c, _b, _t, retry) => (asked.keys.push(retry), answer(keys, cancelled)),
    },
  );
  const ops = () => fake.calls.map((c) => (c.op === 'login' ? `login:${String(c.args[1])}` : c.op)).filter((op) => /^(login|logout|generateKeyPair)/.test(op));
  return { fake, provider, asked, cancelled, pinCancelled, ops };
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err,
  );
}

describe('a cancelled YubiKey management key', () => {
  it('at the first prompt: the step stops with the cancel itself; the login is not ended and no PIN is asked', async () => {
    const t = setup(['cancel'], [PIN]);
    const token = await t.provider.open(ALICE);
    expect(t.asked.pins).toBe(1);
    const before = t.ops();
    expect(await refusal(token.generateKey('ecdsa-p256', 'alice-root', idOfSlot('9c')))).toBe(t.cancelled);
    expect(t.asked.pins).toBe(1);
    expect(t.asked.keys).toEqual([undefined]);
    expect(t.ops()).toEqual(before);
    await t.provider.close();
  });

  it('after a wrong key: the step stops with the cancel; no PIN is asked just to log back in', async () => {
    const t = setup([WRONG_MGMT, 'cancel'], [PIN, PIN]);
    const token = await t.provider.open(ALICE);
    const err = await refusal(token.generateKey('ecdsa-p256', 'alice-root', idOfSlot('9c')));
    expect(err).toBe(t.cancelled);
    expect(t.asked.keys).toHaveLength(2);
    expect(t.asked.keys[1]).toMatchObject({ wrongTries: 1, error: { code: 'MANAGEMENT_KEY_INCORRECT' } });
    // The open's PIN and the self-test PIN handed with the one attempt; none after the cancel.
    expect(t.asked.pins).toBe(2);
    expect(t.ops().filter((op) => op === 'login:user')).toHaveLength(1);
    await t.provider.close();
  });

  it('a cancelled PIN when the login is restored after another failure does not replace that failure', async () => {
    const t = setup([MGMT], [PIN, PIN, 'cancel']);
    const token = await t.provider.open(ALICE);
    // The fake refuses generation to an SO login (CKR_USER_NOT_LOGGED_IN): a failure that is not the key source's.
    const err = await refusal(token.generateKey('ecdsa-p256', 'alice-root', idOfSlot('9c')));
    expect(err).toBeInstanceOf(CeremonyError);
    expect(err).not.toBe(t.pinCancelled);
    expect((err as CeremonyError).message).not.toMatch(/PIN was not given/);
    // The login was tried again (the PIN asked a third time, and cancelled).
    expect(t.asked.pins).toBe(3);
    await t.provider.close();
  });
});
