/**
 * Touch: a YubiKey key whose touch policy is "always" (or "cached", or not known) blocks each signature
 * until the custodian touches the key — about 15 seconds, then the card answers "security status not
 * satisfied" and ykcs11 fails the C_Sign. Nothing on the screen says so unless we do: before each such
 * signature the CLI and the app show "Touch your YubiKey now", and a failure after that is told apart from
 * a wrong PIN as TOUCH_TIMEOUT.
 */
import type { TouchPolicy } from '../../attestation/yubico-extensions.js';
import { isCeremonyError } from '../../errors.js';
import type { SignHash, SignOptions } from '../signing-key.js';
import { TokenError } from './errors.js';
import type { TokenKey } from './token-signer.js';

/** Does a signature with this touch policy wait for a touch? Unknown counts as yes (say it, to be safe). */
export function needsTouch(policy: TouchPolicy | undefined): boolean {
  return policy !== 'never' && policy !== 'default';
}

export function touchPrompt(serial: string): string {
  return `Touch your YubiKey now (serial ${serial.trim()}): it blinks until touched, for about 15 seconds.`;
}

/**
 * Signs with `key`, telling the custodian to touch first when the policy asks for it, and turning the
 * card's refusal after an untouched wait into TOUCH_TIMEOUT. A wrong or locked PIN keeps its own code.
 */
export async function signWithTouch(
  key: TokenKey,
  data: Uint8Array,
  hash: SignHash,
  opts: SignOptions & { touchPolicy: TouchPolicy | undefined; notify(message: string): void },
): Promise<Uint8Array> {
  const touch = needsTouch(opts.touchPolicy);
  if (touch) opts.notify(touchPrompt(key.token.serial));
  const started = Date.now();
  try {
    return await key.sign(data, hash, { ...(opts.pin !== undefined ? { pin: opts.pin } : {}), ...(opts.contextLogin ? { contextLogin: true } : {}) });
  } catch (err) {
    // The card answers an untouched wait with "security status not satisfied" (6982), which ykcs11 reports
    // as CKR_USER_NOT_LOGGED_IN — our TOKEN_LOGIN_REQUIRED with the module's fault as cause (the check
    // before signing for a missing PIN has no cause). A PIN-once key whose PIN was never given answers the
    // same, hence the message names both.
    if (touch && isCeremonyError(err) && (err.code === 'TOKEN_LOGIN_REQUIRED' || err.code === 'TOKEN_ERROR') && err.cause !== undefined) {
      const waited = Math.round((Date.now() - started) / 1000);
      throw new TokenError('TOUCH_TIMEOUT', `the YubiKey (serial ${key.token.serial.trim()}) was not touched in time (waited ${waited} s), or its PIN was not given; nothing was signed — sign again and touch the key while it blinks`, { token: key.token, cause: err });
    }
    throw err;
  }
}
