/**
 * PKCS#11 faults → CeremonyError codes with messages a custodian can act on. The token is named by label
 * and serial, the step by what the person was doing; no message ever contains a PIN (none is ever passed
 * in here), and the module's own text stays in `cause`.
 */
import { CeremonyError, type ErrorCode } from '../../errors.js';
import { CKF, CKR, ckrName, isPkcs11Fault, type Pkcs11Fault } from './api.js';
import { familyOfPath, lockoutRecovery, startFailureHint, wrongPinWarning, type ModuleFamily } from './quirks.js';

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
  // A placeholder serial (tpm2-pkcs11, NSS: all zeros) names nothing; the label is the token's name there.
  return token.serial && !/^0*$/.test(token.serial) ? `token ${label} (serial ${token.serial})` : `token ${label}`;
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
  /** Which module, for module-aware advice (quirks.ts): lockout recovery, start-up failures. */
  family?: ModuleFamily | undefined;
  /** Whether start-up parameters were given to the module (for start-up failure advice). */
  hasParameters?: boolean;
  /** For MECHANISM_UNSUPPORTED: what was asked, e.g. "Ed25519 keys". */
  mechanism?: string;
  /**
   * The step passes a template the token may refuse (key generation): attribute and template faults are
   * then about the template, not about the key type (keygen.ts retries once with the minimal template).
   */
  template?: boolean;
  /** For PIN_INCORRECT: the token's flags read after the failure. */
  pinTries?: PinTries;
  /** For load failures of a preset: how to install the module. */
  installHint?: string;
}

const REMOVED = new Set<number>([CKR.DEVICE_REMOVED, CKR.TOKEN_NOT_PRESENT, CKR.SESSION_HANDLE_INVALID, CKR.SESSION_CLOSED, 0x3 /* CKR_SLOT_ID_INVALID */]);
/** The token truly lacks the mechanism, curve or size asked for: "does not support X" is then true. */
const UNSUPPORTED = new Set<number>([CKR.MECHANISM_INVALID, CKR.MECHANISM_PARAM_INVALID, CKR.CURVE_NOT_SUPPORTED, CKR.KEY_SIZE_RANGE, CKR.FUNCTION_NOT_SUPPORTED]);
/** The token objects to an attribute of a template (or of a key's use): not a missing key type. */
const TEMPLATE = new Set<number>([CKR.ATTRIBUTE_TYPE_INVALID, CKR.ATTRIBUTE_VALUE_INVALID, CKR.TEMPLATE_INCONSISTENT, CKR.TEMPLATE_INCOMPLETE, 0x10 /* CKR_ATTRIBUTE_READ_ONLY */]);

/** The message for a locked PIN, with the recovery that works on this module (quirks.ts). */
export function pinLockedMessage(who: string, family: ModuleFamily | undefined, now = false): string {
  return `${now ? 'that was the last try: ' : ''}the PIN of ${who} is ${now ? 'now ' : ''}locked${now ? '' : ' after too many wrong tries'}; ${lockoutRecovery(family)}`;
}

/**
 * Map anything a backend threw to a TokenError. CeremonyErrors pass through; errors that are not faults
 * (bugs, native errors without a CKR_) become TOKEN_ERROR with the original kept as `cause` only, since
 * their text comes from native code and is not vetted. Every CKR_ a step can meet has a message saying
 * what happened and what the custodian should do; the CKR_ name is kept in `rv` (and in brackets where
 * it helps a support call), never as the whole message.
 */
export function tokenError(err: unknown, ctx: FaultContext): CeremonyError {
  if (err instanceof CeremonyError) return err;
  const token = ctx.token;
  const who = describeToken(token);
  if (!isPkcs11Fault(err)) {
    return new TokenError('TOKEN_ERROR', `unexpected failure while ${ctx.step} on ${who}; remove and reinsert the token and try again (the step did not complete)`, { token, cause: err });
  }
  const fault: Pkcs11Fault = err;
  const opts = (rv: string, extra: Partial<TokenErrorOptions> = {}): TokenErrorOptions => ({ token, rv, cause: fault, ...extra });
  const family = ctx.family ?? (ctx.modulePath ? familyOfPath(ctx.modulePath) : undefined);
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
      `the PKCS#11 module ${ctx.modulePath ?? ''} failed to start (${name}); ${startFailureHint(family ?? 'other', ctx.hasParameters ?? false)}`,
      opts(name),
    );
  }
  const retry = 'remove and reinsert the token and try again (the step did not complete)';
  switch (rv) {
    case CKR.PIN_INCORRECT:
      return new TokenError('PIN_INCORRECT', `${who} did not accept the PIN${triesText(ctx.pinTries)}${wrongPinWarning(family)}`, opts(name, { pinTries: ctx.pinTries }));
    case CKR.PIN_INVALID:
    case CKR.PIN_LEN_RANGE:
      return new TokenError('PIN_INCORRECT', `${who} did not accept the PIN: it has characters or a length this token does not allow`, opts(name));
    case CKR.PIN_LOCKED:
      return new TokenError('PIN_LOCKED', pinLockedMessage(who, family), opts(name));
    case CKR.PIN_EXPIRED:
      return new TokenError('TOKEN_LOGIN_REQUIRED', `the PIN of ${who} has expired; change it with the vendor's tool, then resume`, opts(name));
    case CKR.USER_NOT_LOGGED_IN:
      return new TokenError('TOKEN_LOGIN_REQUIRED', `${who} needs the PIN before ${ctx.step}`, opts(name));
    case CKR.USER_PIN_NOT_INITIALIZED:
      return new TokenError('TOKEN_LOGIN_REQUIRED', `${who} has no user PIN set yet; initialise it with the vendor's tool first`, opts(name));
    case CKR.USER_TYPE_INVALID:
      return new TokenError(
        'TOKEN_LOGIN_REQUIRED',
        `${who} does not take a user PIN for ${ctx.step}: it is a session-only slot (NSS's "Generic Crypto Services") or needs another kind of login (a YubiKey generates keys after the PIV management key); choose the token that holds keys`,
        opts(name),
      );
    case CKR.USER_ANOTHER_ALREADY_LOGGED_IN:
    case CKR.USER_ALREADY_LOGGED_IN:
      return new TokenError('TOKEN_ERROR', `another login is open on ${who} (another program, or the security officer); close other programs using the token, ${retry}`, opts(name));
    case CKR.OBJECT_HANDLE_INVALID:
    case CKR.KEY_HANDLE_INVALID:
      return new TokenError('TOKEN_KEY_NOT_FOUND', `the key is no longer available on ${who} while ${ctx.step} (was the token removed or logged out?); ${retry}`, opts(name));
    case CKR.KEY_FUNCTION_NOT_PERMITTED:
      return new TokenError('TOKEN_KEY_ATTRIBUTES_UNSAFE', `the key on ${who} is not allowed to do this (${ctx.step}): its attributes forbid it; a ceremony key must be a signing key`, opts(name));
    case CKR.KEY_TYPE_INCONSISTENT:
      return new TokenError('MECHANISM_UNSUPPORTED', `the key on ${who} is not of the type ${ctx.step} needs (${name}); check the key chosen`, opts(name));
    case CKR.KEY_UNEXTRACTABLE:
    case CKR.ATTRIBUTE_SENSITIVE:
      return new TokenError('TOKEN_ERROR', `${who} refused to reveal protected key material while ${ctx.step} (as it should)`, opts(name));
    case CKR.DATA_LEN_RANGE:
      return new TokenError('TOKEN_ERROR', `${who} refused the size of the data while ${ctx.step} (${name}); this is a fault of this tool or the module: report it with the transcript`, opts(name));
    case CKR.DEVICE_ERROR:
      return new TokenError('TOKEN_ERROR', `${who} reported a device error while ${ctx.step} (for a YubiKey or smart card: is pcscd running? for a TPM: is tpm2-abrmd running?); ${retry}`, opts(name));
    case CKR.DEVICE_MEMORY:
      return new TokenError('TOKEN_ERROR', `${who} has no room left for another key; delete unused keys with the vendor's tool or use another token`, opts(name));
    case CKR.HOST_MEMORY:
      return new TokenError('TOKEN_ERROR', `this computer ran out of memory while ${ctx.step} on ${who}; close other programs and try again`, opts(name));
    case CKR.TOKEN_WRITE_PROTECTED:
    case CKR.SESSION_READ_ONLY:
      return new TokenError('TOKEN_ERROR', `${who} is read-only; it cannot store a new key (is a write-protect switch on?)`, opts(name));
    case CKR.FUNCTION_CANCELED:
      return new TokenError('TOKEN_ERROR', `${who} cancelled ${ctx.step} (a touch or confirmation timed out?); try again`, opts(name));
    case CKR.FUNCTION_REJECTED:
      return new TokenError('TOKEN_ERROR', `${who} rejected ${ctx.step} (refused on the device itself); confirm on the token when asked, and try again`, opts(name));
    case CKR.TOKEN_NOT_RECOGNIZED:
      return new TokenError('TOKEN_NOT_PRESENT', `the token in the reader is not recognised by this module; check it is the right kind of token for this module`, opts(name));
    case CKR.SESSION_COUNT:
    case CKR.SESSION_EXISTS:
      return new TokenError('TOKEN_ERROR', `${who} has too many sessions open (other programs are using it: a browser, ssh-agent, p11-kit); close them and try again`, opts(name));
    case CKR.OPERATION_ACTIVE:
      return new TokenError('TOKEN_ERROR', `${who} is still busy with another operation while ${ctx.step}; wait a moment and try again`, opts(name));
    case CKR.CRYPTOKI_NOT_INITIALIZED:
      return new TokenError('TOKEN_MODULE_INVALID', `the PKCS#11 module was closed before ${ctx.step}; start the step again`, opts(name));
    case CKR.GENERAL_ERROR:
    case CKR.FUNCTION_FAILED:
      if (!ctx.template) {
        const log = family === 'tpm2-pkcs11' ? " (its own log: set TSS2_LOG=all+ERROR and TPM2_PKCS11_LOG_LEVEL=2 to see why)" : '';
        return new TokenError('TOKEN_ERROR', `${who} failed while ${ctx.step} and gave no reason (${name})${log}; ${retry}`, opts(name));
      }
      break;
    case CKR.ARGUMENTS_BAD:
      return new TokenError('TOKEN_ERROR', `the module refused the arguments of ${ctx.step} on ${who} (${name}); this is a fault of this tool or the module: report it with the transcript`, opts(name));
    default:
      break;
  }
  if (REMOVED.has(rv)) {
    return new TokenError('TOKEN_REMOVED', `${who} was removed, or its session closed, while ${ctx.step}; insert it again and resume (the step did not complete)`, opts(name));
  }
  if (ctx.template && (TEMPLATE.has(rv) || rv === CKR.GENERAL_ERROR || rv === CKR.FUNCTION_FAILED)) {
    return new TokenError('TOKEN_TEMPLATE_REFUSED', `${who} refused the key template while ${ctx.step} (${name}): an attribute asked for is one this module will not set; no key was made`, opts(name));
  }
  if (UNSUPPORTED.has(rv)) {
    return new TokenError('MECHANISM_UNSUPPORTED', `${who} does not support ${ctx.mechanism ?? 'this operation'} (${name}); use a token that does, or another key type`, opts(name));
  }
  if (TEMPLATE.has(rv)) {
    return new TokenError('TOKEN_ERROR', `${who} refused an attribute while ${ctx.step} (${name}); this module differs from the standard here: report it with the transcript`, opts(name));
  }
  return new TokenError('TOKEN_ERROR', `${who} failed while ${ctx.step} with a code this tool does not know (${name}); ${retry}, and report the code if it repeats`, opts(name));
}
