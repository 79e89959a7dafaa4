/**
 * Touch: a YubiKey key whose touch policy is "always" (or "cached", or not known) blocks each signature
 * until the custodian touches the key — about 15 seconds, then the card answers "security status not
 * satisfied" and ykcs11 fails the C_Sign. Nothing on the screen says so unless we do: before each such
 * signature the CLI and the app show "Touch your YubiKey now", and a failure after that is told apart from
 * a wrong PIN as TOUCH_TIMEOUT.
 *
 * Every signing path (ceremony metadata, transcript seal, Notary certificate, rotation co-signing,
 * targets re-signing, refresh) ends in TokenKey.sign, which calls `duringTouch` for a YubiKey key. Where
 * the words go is the front end's business, set once per process with `setTouchNotice`: the CLI writes
 * them to stderr, the app sends them to the renderer on the progress channel. The default says nothing
 * (library use, tests that do not listen).
 */
import type { TouchPolicy } from '../../attestation/yubico-extensions.js';
import { isCeremonyError } from '../../errors.js';
import type { SignHash, SignOptions } from '../signing-key.js';
import { TokenError, type TokenRef } from './errors.js';
import type { TokenKey } from './token-signer.js';

/** What a YubiKey key's signature may wait for: the policy its attestation states, undefined if unknown. */
export interface PivTouch {
  policy: TouchPolicy | undefined;
}

/** A touch notice as the front ends show it. */
export interface TouchNotice {
  /** "Touch your YubiKey now (serial …)…" */
  message: string;
  serial: string;
  /** The policy it is said for ("unknown" when the attestation could not be read). */
  policy: TouchPolicy;
}

let sink: (notice: TouchNotice) => void = () => undefined;

/** Where touch notices go in this process (CLI: stderr; app: the renderer). Returns the previous sink. */
export function setTouchNotice(next: (notice: TouchNotice) => void): (notice: TouchNotice) => void {
  const previous = sink;
  sink = next;
  return previous;
}

/** Does a signature with this touch policy wait for a touch? Unknown counts as yes (say it, to be safe). */
export function needsTouch(policy: TouchPolicy | undefined): boolean {
  return policy !== 'never' && policy !== 'default';
}

export function touchPrompt(serial: string): string {
  return `Touch your YubiKey now (serial ${serial.trim()}): it blinks until touched, for about 15 seconds.`;
}

/**
 * Runs `sign` (one C_Sign on a YubiKey key), telling the custodian to touch first when the policy asks for
 * it, and turning the card's refusal after an untouched wait into TOUCH_TIMEOUT. A wrong or locked PIN
 * keeps its own code.
 */
export async function duringTouch<T>(token: TokenRef, touch: PivTouch, sign: () => Promise<T>, notify: (notice: TouchNotice) => void = sink): Promise<T> {
  const asks = needsTouch(touch.policy);
  if (asks) notify({ message: touchPrompt(token.serial), serial: token.serial.trim(), policy: touch.policy ?? 'unknown' });
  const started = Date.now();
  try {
    return await sign();
  } catch (err) {
    // The card answers an untouched wait with "security status not satisfied" (6982), which ykcs11 reports
    // as CKR_USER_NOT_LOGGED_IN — our TOKEN_LOGIN_REQUIRED with the module's fault as cause (the check
    // before signing for a missing PIN has no cause). A PIN-once key whose PIN was never given answers the
    // same, hence the message names both.
    if (asks && isCeremonyError(err) && (err.code === 'TOKEN_LOGIN_REQUIRED' || err.code === 'TOKEN_ERROR') && err.cause !== undefined) {
      const waited = Math.round((Date.now() - started) / 1000);
      throw new TokenError('TOUCH_TIMEOUT', `the YubiKey (serial ${token.serial.trim()}) was not touched in time (waited ${waited} s), or its PIN was not given; nothing was signed — sign again and touch the key while it blinks`, { token, cause: err });
    }
    throw err;
  }
}

/**
 * Signs with `key`, telling `notify` (instead of the process's sink) to touch when the policy asks for
 * it. For callers that show the notice themselves.
 */
export async function signWithTouch(
  key: TokenKey,
  data: Uint8Array,
  hash: SignHash,
  opts: SignOptions & { touchPolicy: TouchPolicy | undefined; notify(message: string): void },
): Promise<Uint8Array> {
  const own = key.pivTouch;
  key.pivTouch = undefined; // said here, once
  try {
    return await duringTouch(key.token, { policy: opts.touchPolicy }, () => key.sign(data, hash, { ...(opts.pin !== undefined ? { pin: opts.pin } : {}), ...(opts.contextLogin ? { contextLogin: true } : {}) }), (n) => opts.notify(n.message));
  } finally {
    key.pivTouch = own;
  }
}
