/**
 * PKCS#11 faults → CeremonyError codes with messages a custodian can act on. The token is named by label
 * and serial, the step by what the person was doing; no message ever contains a PIN (none is ever passed
 * in here), and the module's own text stays in `cause`.
 */
import { CeremonyError, type ErrorCode } from '../../errors.js';
import { CKF, CKR, ckrName, isPkcs11Fault, type Pkcs11Fault } from './api.js';

/** How a token is named to people: label and serial (slot IDs mean nothing and change, FIELD-NOTES). */
export interface TokenRef {
  label: string;
  serial: string;
}

/** What the token's flags say about the PIN's remaining tries (PKCS#11 gives no count). */
export type PinTries = 'count-low' | 'final-try';

export interface TokenErrorOptions {
  token?: TokenRef;
  /** The CKR_ name, or the load failure, that caused it. */
  rv?: string;
  pinTries?: PinTries;
  cause?: unknown;
}

/** A CeremonyError with the token it is about, so the app can show "insert token X again" or tries left. */
export class TokenError extends CeremonyError {
  readonly token: TokenRef | undefined;
  readonly rv: string | undefined;
  readonly pinTries: PinTries | undefined;

  constructor(code: ErrorCode, message: string, options: TokenErrorOptions = {}) {
    super(code, message, { cause: options.cause });
    this.name = 'TokenError';
    this.token = options.token;
    this.rv = options.rv;
    this.pinTries = options.pinTries;
  }
}

export function describeToken(token: TokenRef | undefined): string {
  if (!token) return 'the token';
  const label = token.label ? `"${token.label}"` : '(no label)';
  return token.serial ? `token ${label} (serial ${token.serial})` : `token ${label}`;
}

export function pinTriesOf(flags: number): PinTries | undefined {
  if (flags & CKF.USER_PIN_FINAL_TRY) return 'final-try';
  if (flags & CKF.USER_PIN_COUNT_LOW) return 'count-low';
  return undefined;
}

function triesText(tries: PinTries | undefined): string {
  if (tries === 'final-try') return '; one try is left before the PIN locks — check the PIN before trying again';
  if (tries === 'count-low') return '; the token says few tries are left before the PIN locks';
  return '';
}

export interface FaultContext {
  token?: TokenRef;
  /** What was being done, for the message: "logging in", "signing with key \"root-1\"", … */
  step: string;
  modulePath?: string;
  /** For MECHANISM_UNSUPPORTED: what was asked, e.g. "Ed25519 keys". */
  mechanism?: string;
  /** For PIN_INCORRECT: the token's flags read after the failure. */
  pinTries?: PinTries;
  /** For load failures of a preset: how to install the module. */
  installHint?: string;
}

const REMOVED = new Set<number>([CKR.DEVICE_REMOVED, CKR.TOKEN_NOT_PRESENT, CKR.SESSION_HANDLE_INVALID, CKR.SESSION_CLOSED, 0x3 /* CKR_SLOT_ID_INVALID */]);
const UNSUPPORTED = new Set<number>([
  CKR.MECHANISM_INVALID,
  CKR.MECHANISM_PARAM_INVALID,
  CKR.CURVE_NOT_SUPPORTED,
  CKR.KEY_SIZE_RANGE,
  CKR.FUNCTION_NOT_SUPPORTED,
  CKR.KEY_TYPE_INCONSISTENT,
  CKR.TEMPLATE_INCONSISTENT,
  CKR.ATTRIBUTE_VALUE_INVALID,
]);

/**
 * Map anything a backend threw to a TokenError. CeremonyErrors pass through; errors that are not faults
 * (bugs, native errors without a CKR_) become TOKEN_ERROR with the original kept as `cause` only, since
 * their text comes from native code and is not vetted.
 */
export function tokenError(err: unknown, ctx: FaultContext): CeremonyError {
  if (err instanceof CeremonyError) return err;
  const token = ctx.token;
  const who = describeToken(token);
  if (!isPkcs11Fault(err)) {
    return new TokenError('TOKEN_ERROR', `unexpected failure while ${ctx.step} on ${who}`, { token, cause: err });
  }
  const fault: Pkcs11Fault = err;
  const opts = (rv: string, extra: Partial<TokenErrorOptions> = {}): TokenErrorOptions => ({ token, rv, cause: fault, ...extra });
  if (fault.rv === 'module-not-found') {
    const hint = ctx.installHint ? ` (install it: ${ctx.installHint})` : '';
    return new TokenError('TOKEN_MODULE_NOT_FOUND', `the PKCS#11 module ${ctx.modulePath ?? ''} does not exist or cannot be opened${hint}`, opts(fault.rv));
  }
  if (fault.rv === 'module-invalid') {
    return new TokenError('TOKEN_MODULE_INVALID', `${ctx.modulePath ?? 'the file'} is not a PKCS#11 module (it does not export C_GetFunctionList, or is built for another system)`, opts(fault.rv));
  }
  const rv = fault.rv;
  const name = ckrName(rv);
  if (fault.operation === 'initialize') {
    return new TokenError(
      'TOKEN_MODULE_INVALID',
      `the PKCS#11 module ${ctx.modulePath ?? ''} failed to start (${name}); for SoftHSM2, check that SOFTHSM2_CONF names a readable configuration file`,
      opts(name),
    );
  }
  switch (rv) {
    case CKR.PIN_INCORRECT:
      return new TokenError('PIN_INCORRECT', `${who} did not accept the PIN${triesText(ctx.pinTries)}`, opts(name, { pinTries: ctx.pinTries }));
    case CKR.PIN_INVALID:
    case CKR.PIN_LEN_RANGE:
      return new TokenError('PIN_INCORRECT', `${who} did not accept the PIN: it has characters or a length this token does not allow`, opts(name));
    case CKR.PIN_LOCKED:
      return new TokenError(
        'PIN_LOCKED',
        `the PIN of ${who} is locked after too many wrong tries; unblock it with the PUK or SO PIN (YubiKey: ykman piv access unblock-pin), then resume`,
        opts(name),
      );
    case CKR.PIN_EXPIRED:
      return new TokenError('TOKEN_LOGIN_REQUIRED', `the PIN of ${who} has expired; change it with the vendor's tool, then resume`, opts(name));
    case CKR.USER_NOT_LOGGED_IN:
      return new TokenError('TOKEN_LOGIN_REQUIRED', `${who} needs the PIN before ${ctx.step}`, opts(name));
    case CKR.USER_PIN_NOT_INITIALIZED:
      return new TokenError('TOKEN_LOGIN_REQUIRED', `${who} has no user PIN set yet; initialise it with the vendor's tool first`, opts(name));
    case CKR.OBJECT_HANDLE_INVALID:
    case CKR.KEY_HANDLE_INVALID:
      return new TokenError('TOKEN_KEY_NOT_FOUND', `the key is no longer available on ${who} while ${ctx.step} (was the token removed or logged out?)`, opts(name));
    case CKR.DEVICE_ERROR:
      return new TokenError('TOKEN_ERROR', `${who} reported a device error while ${ctx.step} (for a YubiKey or smart card: is pcscd running?)`, opts(name));
    case CKR.DEVICE_MEMORY:
      return new TokenError('TOKEN_ERROR', `${who} has no room left for another key`, opts(name));
    case CKR.TOKEN_WRITE_PROTECTED:
    case CKR.SESSION_READ_ONLY:
      return new TokenError('TOKEN_ERROR', `${who} is read-only; it cannot store a new key`, opts(name));
    case CKR.FUNCTION_CANCELED:
      return new TokenError('TOKEN_ERROR', `${who} cancelled ${ctx.step} (a touch or confirmation timed out?); try again`, opts(name));
    case CKR.TOKEN_NOT_RECOGNIZED:
      return new TokenError('TOKEN_NOT_PRESENT', `the token in the reader is not recognised by this module`, opts(name));
    default:
      break;
  }
  if (REMOVED.has(rv)) {
    return new TokenError('TOKEN_REMOVED', `${who} was removed, or its session closed, while ${ctx.step}; insert it again and resume (the step did not complete)`, opts(name));
  }
  if (UNSUPPORTED.has(rv)) {
    return new TokenError('MECHANISM_UNSUPPORTED', `${who} does not support ${ctx.mechanism ?? 'this operation'} (${name})`, opts(name));
  }
  return new TokenError('TOKEN_ERROR', `${who} reported ${name} while ${ctx.step}`, opts(name));
}
