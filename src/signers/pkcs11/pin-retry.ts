/**
 * Logging in with a PIN that is asked again after a wrong one (issue #16: "a wrong or cancelled PIN
 * re-asks, not accepted, N tries left, instead of failing the step").
 *
 * The PIN source is called once per try with the reason for asking again. PKCS#11 has no tries-left
 * count: the token's flags say only "count low" or "final try" (PKCS#11 v2.40 §3.2 CK_TOKEN_INFO flags
 * CKF_USER_PIN_COUNT_LOW / CKF_USER_PIN_FINAL_TRY), so a count is given only when it is known (1 on the
 * final try). Asking stops at lockout (the login refuses with PIN_LOCKED before trying), after
 * MAX_PIN_TRIES wrong PINs in one step, and when the source itself gives up (rethrows `retry.error`).
 * Only a source made with `asksAgain` (a person at a prompt or dialog) is asked twice: a PIN from an
 * environment variable or handed in with a request is never tried twice, it would only burn a try.
 */
import { CeremonyError } from '../../errors.js';
import { describeToken, TokenError, type PinTries } from './errors.js';
import type { TokenDescription } from './identity.js';
import type { TokenSession } from './session.js';

/** Why the PIN is asked again, as the dialog or prompt says it. */
export interface PinRetry {
  /** `wrong`: the token refused the PIN (or its length); `not-given`: the person cancelled the first ask. */
  reason: 'wrong' | 'not-given';
  /** A plain sentence: "The PIN was not accepted by token "alice-1" (serial …); 1 try is left …". */
  message: string;
  /** What the token's flags say after the refusal (undefined: it says nothing). */
  pinTries: PinTries | undefined;
  /** Tries left when the token says (1 on its final try); null when it does not say. */
  triesLeft: number | null;
  /** How many wrong PINs were given in this step so far. */
  wrongTries: number;
  /** The refusal itself: a source that cannot ask again (an environment variable) throws it. */
  error: CeremonyError;
}

/** The PIN for `token`, as UTF-8 bytes zeroed after use; `retry` is set when it is asked again. */
export type PinAsker = (token: TokenDescription, retry?: PinRetry) => Promise<Uint8Array>;

const REASKS = Symbol('asks again');

/** A PIN source a person answers (terminal prompt, PIN dialog): asked again after a wrong PIN. */
export function asksAgain(ask: PinAsker): PinAsker {
  const wrapped: PinAsker = (token, retry) => ask(token, retry);
  (wrapped as PinAsker & { [REASKS]?: true })[REASKS] = true;
  return wrapped;
}

function reasks(ask: PinAsker): boolean {
  return (ask as PinAsker & { [REASKS]?: true })[REASKS] === true;
}

/** Wrong PINs accepted in one step before it stops, whatever the token's own counter (a safety net). */
export const MAX_PIN_TRIES = 5;

/**
 * Thrown by a PIN source when the person cancelled the first ask: the step asks once more, saying so,
 * and a second cancel stops it (the source throws any other error then).
 */
export class PinNotGiven extends CeremonyError {
  constructor(who: string) {
    super('TOKEN_LOGIN_REQUIRED', `${who}'s PIN was not given: the step stopped before the token was used; resume when the custodian is ready`);
    this.name = 'PinNotGiven';
  }
}

function triesSentence(tries: PinTries | undefined): { text: string; left: number | null } {
  if (tries === 'final-try') return { text: '1 try is left before the PIN locks: check the PIN before trying again.', left: 1 };
  if (tries === 'count-low') return { text: 'The token says few tries are left before the PIN locks.', left: null };
  return { text: 'The token does not say how many tries are left; every wrong try may count towards locking it.', left: null };
}

/** The retry a refusal of the PIN leads to (exported for the app's and CLI's tests). */
export function pinRetryOf(token: TokenDescription, error: CeremonyError, wrongTries: number): PinRetry {
  const pinTries = error instanceof TokenError ? error.pinTries : undefined;
  const { text, left } = triesSentence(pinTries);
  return {
    reason: 'wrong',
    message: `The PIN was not accepted by ${describeToken(token)}. ${text}`,
    pinTries,
    triesLeft: left,
    wrongTries,
    error,
  };
}

/**
 * Log `session` in, asking `ask` for the PIN until the token accepts one. Any failure other than a wrong
 * PIN (a locked PIN, a removed token) ends it at once; the bytes of every try are zeroed.
 */
export async function loginAsking(session: TokenSession, ask: PinAsker, maxTries = MAX_PIN_TRIES): Promise<void> {
  let retry: PinRetry | undefined;
  let wrong = 0;
  for (;;) {
    let bytes: Uint8Array;
    try {
      bytes = await ask(session.token, retry);
    } catch (err) {
      if (err instanceof PinNotGiven && retry === undefined && reasks(ask)) {
        retry = {
          reason: 'not-given',
          message: `No PIN was entered for ${describeToken(session.token)}. Enter it when the custodian is ready, or stop this step.`,
          pinTries: undefined,
          triesLeft: null,
          wrongTries: 0,
          error: err,
        };
        continue;
      }
      throw err;
    }
    try {
      await session.login(bytes); // zeroes the bytes
      return;
    } catch (err) {
      if (!(err instanceof CeremonyError) || err.code !== 'PIN_INCORRECT' || !reasks(ask)) throw err;
      wrong += 1;
      if (wrong >= maxTries) {
        throw new TokenError('PIN_INCORRECT', `${describeToken(session.token)} did not accept ${wrong} PINs in a row; the step stopped so the PIN can be checked before another try`, {
          token: session.token,
          ...(err instanceof TokenError && err.pinTries ? { pinTries: err.pinTries } : {}),
          cause: err,
        });
      }
      retry = pinRetryOf(session.token, err, wrong);
    } finally {
      bytes.fill(0);
    }
  }
}
