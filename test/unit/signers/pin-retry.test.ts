/**
 * A wrong or cancelled PIN is asked again (issue #16), on the fake PKCS#11 module whose PIN counter
 * locks as a YubiKey's does (SoftHSM never locks): the reason and what the token's flags say of the tries
 * left go to the asker, asking stops at lockout, and a source that is not a person (an environment
 * variable, a PIN handed in with a request) is tried once only. Every PIN's bytes are zeroed.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { asksAgain, loginAsking, MAX_PIN_TRIES, PinNotGiven, type PinRetry } from '../../../src/signers/pkcs11/pin-retry.js';
import { TokenModule, type TokenDescription } from '../../../src/signers/pkcs11/token.js';
import { FakePkcs11, type FakeTokenSpec } from '../../support/fake-pkcs11.js';

const PIN = '246810';
const MODULE = '/usr/lib/fake/libfake-pin-retry.so';

async function open(spec: Partial<FakeTokenSpec> = {}) {
  const fake = new FakePkcs11([{ label: 'alice-1', serial: 'A0000001', pin: PIN, ...spec }]);
  const mod = await TokenModule.load(MODULE, { api: fake });
  const session = await mod.openToken({ serial: 'A0000001' });
  return { fake, session };
}

/** An asker answering from a script of PINs (or cancels), recording each retry and each byte array. */
function scripted(answers: Array<string | 'cancel'>) {
  const retries: Array<PinRetry | undefined> = [];
  const given: Uint8Array[] = [];
  const ask = (_token: TokenDescription, retry?: PinRetry): Promise<Uint8Array> => {
    retries.push(retry);
    const next = answers.shift();
    if (next === undefined) throw new Error('asked more often than the script answers');
    if (next === 'cancel') return Promise.reject(new PinNotGiven('Alice'));
    const bytes = new TextEncoder().encode(next);
    given.push(bytes);
    return Promise.resolve(bytes);
  };
  return { ask, retries, given };
}

async function refusal(p: Promise<unknown>): Promise<CeremonyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

describe('loginAsking: a wrong or cancelled PIN asks again', () => {
  it('wrong, wrong, right on a 3-try token: asked again with the reason and the flags (few tries, then 1 left), then logged in; bytes zeroed', async () => {
    const { session } = await open({ pinTries: 3 });
    const s = scripted(['111111', '222222', PIN]);
    await loginAsking(session, asksAgain(s.ask));
    expect(session.isLoggedIn).toBe(true);
    expect(s.retries[0]).toBeUndefined();
    expect(s.retries[1]).toMatchObject({ reason: 'wrong', pinTries: 'count-low', triesLeft: null, wrongTries: 1 });
    expect(s.retries[1]!.message).toMatch(/^The PIN was not accepted by token "alice-1" \(serial A0000001\)\. The token says few tries are left/);
    expect(s.retries[2]).toMatchObject({ reason: 'wrong', pinTries: 'final-try', triesLeft: 1, wrongTries: 2 });
    expect(s.retries[2]!.message).toContain('1 try is left before the PIN locks');
    for (const r of s.retries) expect(JSON.stringify(r ?? {})).not.toMatch(/111111|222222|246810/);
    for (const b of s.given) expect(b.every((x) => x === 0)).toBe(true);
    await session.close();
  });

  it('stops at lockout: the last wrong try locks the PIN and the step ends with PIN_LOCKED, not another ask', async () => {
    const { session } = await open({ pinTries: 2 });
    const s = scripted(['111111', '222222', PIN]);
    const err = await refusal(loginAsking(session, asksAgain(s.ask)));
    expect(err.code).toBe('PIN_LOCKED');
    expect(s.retries).toHaveLength(2);
    expect(session.isLoggedIn).toBe(false);
    await session.close();
  });

  it(`stops after ${MAX_PIN_TRIES} wrong PINs in one step on a token that does not lock`, async () => {
    const { session, fake } = await open({ pinTries: 100 });
    const s = scripted(Array.from({ length: MAX_PIN_TRIES + 1 }, (_, i) => `00000${i}`));
    const err = await refusal(loginAsking(session, asksAgain(s.ask)));
    expect(err.code).toBe('PIN_INCORRECT');
    expect(err.message).toContain(`did not accept ${MAX_PIN_TRIES} PINs in a row`);
    expect(fake.calls.filter((c) => c.op === 'login')).toHaveLength(MAX_PIN_TRIES);
    await session.close();
  });

  it('a cancelled first ask is asked once more, saying no PIN was entered; a second cancel stops with TOKEN_LOGIN_REQUIRED and no login', async () => {
    const again = await open();
    const s1 = scripted(['cancel', PIN]);
    await loginAsking(again.session, asksAgain(s1.ask));
    expect(s1.retries[1]).toMatchObject({ reason: 'not-given', triesLeft: null, wrongTries: 0 });
    expect(s1.retries[1]!.message).toMatch(/^No PIN was entered for token "alice-1"/);
    await again.session.close();

    const stop = await open();
    const s2 = scripted(['cancel', 'cancel']);
    expect((await refusal(loginAsking(stop.session, asksAgain(s2.ask)))).code).toBe('TOKEN_LOGIN_REQUIRED');
    expect(stop.fake.calls.some((c) => c.op === 'login')).toBe(false);
    await stop.session.close();
  });

  it('a source that is not a person (no asksAgain) is tried once: a wrong PIN fails at once, a cancel is not asked again', async () => {
    const { session, fake } = await open();
    const s = scripted(['111111', PIN]);
    expect((await refusal(loginAsking(session, s.ask))).code).toBe('PIN_INCORRECT');
    expect(s.retries).toHaveLength(1);
    expect(fake.calls.filter((c) => c.op === 'login')).toHaveLength(1);
    const c = scripted(['cancel', PIN]);
    expect((await refusal(loginAsking(session, c.ask))).code).toBe('TOKEN_LOGIN_REQUIRED');
    expect(c.retries).toHaveLength(1);
    await session.close();
  });

  it('a source that gives up on a retry ends the step with the refusal it was handed', async () => {
    const { session } = await open();
    let calls = 0;
    const ask = asksAgain(async (_t, retry) => {
      calls += 1;
      if (retry) throw retry.error;
      return new TextEncoder().encode('999999');
    });
    const err = await refusal(loginAsking(session, ask));
    expect(err.code).toBe('PIN_INCORRECT');
    expect(calls).toBe(2);
    await session.close();
  });
});
