/**
 * The two ways a co-signer signs a request: with a key on a token (PKCS#11), or with a key rebuilt from
 * Shamir share cards. Both refuse a key the request has no use for BEFORE the PIN is asked or the key is
 * rebuilt (ROTATION_SIGNER_UNKNOWN), then sign through signRequest (every signature verified). Root and
 * targets requests alike (a targets key on a token signs targets.json N+1).
 */
import { CeremonyError } from '../errors.js';
import { withReconstructedKey, type ShareCard } from '../shamir/index.js';
import { describeToken, type TokenRef } from '../signers/pkcs11/errors.js';
import { SoftwareKey } from '../signers/software.js';
import type { TokenKey } from '../signers/pkcs11/token-signer.js';
import type { SigningKey } from '../signers/signing-key.js';
import { loginAsking } from '../signers/pkcs11/pin-retry.js';
import { openExpectedToken, type CheckedToken, type ChosenToken, type PinSource, type TokenModuleDeps } from '../signers/token-keys.js';
import { checkCardSet } from '../shamir/combine.js';
import type { SignatureResponse, SigningRequest } from './request.js';
import { checkSignsConfirmedPart, keyIdsFor, signRequest, signerScope } from './sign.js';

export interface TokenSignRequest {
  module: string;
  /** The module's start-up parameters (NSS softokn), when it needs them. */
  moduleParams?: string | undefined;
  token: ChosenToken;
  /** CKA_LABEL of the key on the token. */
  label: string;
  pin: PinSource;
  /** Who signs (defaults to the expected signer's name). */
  name?: string | undefined;
  /**
   * Called with the key and the response made, while the token is still logged in: the co-signer's session
   * transcript is sealed with the same key in the same login (src/audit/session.ts), no second PIN.
   */
  whileSigned?: ((key: SigningKey, response: SignatureResponse) => Promise<void>) | undefined;
  /** The payload SHA-256 the custodian confirmed (`--expect-hash`): the key must sign that part, checked before the PIN. */
  confirmedSha256?: string | undefined;
  /** Who watched, by name (recorded on the response). */
  witnesses?: readonly string[] | undefined;
}

export interface SignedOnToken {
  response: SignatureResponse;
  token: TokenRef;
  fingerprint: string;
  rehearsal: boolean;
}

/**
 * The key labelled `label` on an opened token, logged in. Refused BEFORE the PIN is asked: a token that
 * does not show exactly one readable public key by that label (TOKEN_KEY_NOT_FOUND), and a key
 * `refuse(fingerprint)` has no use for — it returns what the key is instead ("not a targets key of root
 * version 3"), ROTATION_SIGNER_UNKNOWN. The PIN bytes are zeroed after login; the caller closes the session.
 * Shared by co-signing (signRequestOnToken) and `resign-targets`.
 */
export async function unlockTokenKey(
  opened: Pick<CheckedToken, 'session' | 'keys'>,
  label: string,
  pin: PinSource,
  refuse: (fingerprint: string) => string | undefined,
  beforeLogin?: (fingerprint: string) => void,
): Promise<{ key: TokenKey; fingerprint: string }> {
  const { session, keys } = opened;
  const where = describeToken(session.token);
  let pub = keys.filter((k) => k.label === label);
  if (pub.length === 0) {
    // The label is a hint (ykcs11 ignores labels; other modules rewrite them): a key the request asks
    // for is recognised by its fingerprint, if the token shows exactly one.
    const wanted = keys.filter((k) => k.fingerprint && refuse(k.fingerprint) === undefined);
    if (wanted.length === 1) pub = wanted;
  }
  if (pub.length !== 1 || !pub[0]!.fingerprint) {
    throw new CeremonyError('TOKEN_KEY_NOT_FOUND', `${where} shows ${pub.length === 0 ? 'no' : pub.length === 1 ? 'no readable' : 'more than one'} public key labelled "${label}" (no PIN was asked)`);
  }
  const fingerprint = pub[0]!.fingerprint;
  const refusal = refuse(fingerprint);
  if (refusal !== undefined) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key "${label}" on ${where} (fingerprint ${fingerprint.slice(0, 16)}…) is ${refusal} (no PIN was asked)`);
  beforeLogin?.(fingerprint);
  await loginAsking(session, pin);
  // Found again by CKA_ID and fingerprint (the label only led to the public key).
  const id = pub[0]!.id;
  // A key that asks for the PIN before every signature (YubiKey 9c) asks the same source again each time.
  const key = await session.findKey(id.length ? { id, fingerprint } : { label, fingerprint });
  return { key: key.withPinSource(() => pin(session.token)), fingerprint };
}

export async function signRequestOnToken(request: SigningRequest, req: TokenSignRequest, deps: TokenModuleDeps): Promise<SignedOnToken> {
  const opened = await openExpectedToken({ module: req.module, moduleParams: req.moduleParams, token: req.token }, deps);
  const { session } = opened;
  try {
    const { key, fingerprint } = await unlockTokenKey(
      opened,
      req.label,
      req.pin,
      (fp) => (keyIdsFor(request, fp).length === 0 ? `${signerScope(request)}: it has nothing to sign here` : undefined),
      (fp) => checkSignsConfirmedPart(request, fp, req.confirmedSha256),
    );
    const response = await signRequest(request, key, { name: req.name, token: tokenOf(session.token), pin: () => req.pin(session.token), witnesses: req.witnesses });
    await req.whileSigned?.(key, response);
    return { response, token: { label: session.token.label, serial: session.token.serial }, fingerprint, rehearsal: session.rehearsal };
  } finally {
    await session.close(); // logs out
  }
}

/**
 * Rebuild the key from `cards` (checked first: the key they are shares of must be a root key of the
 * request), sign, and wipe it.
 */
export async function signRequestWithShareCards(
  request: SigningRequest,
  cards: readonly ShareCard[],
  opts: {
    name?: string | undefined;
    witnesses?: readonly string[] | undefined;
    whileSigned?: ((key: SigningKey, response: SignatureResponse) => Promise<void>) | undefined;
    /** As TokenSignRequest.confirmedSha256: checked before anything is rebuilt. */
    confirmedSha256?: string | undefined;
  } = {},
): Promise<{ response: SignatureResponse; fingerprint: string }> {
  return withShareCardKey(
    cards,
    (fingerprint) => {
      if (keyIdsFor(request, fingerprint).length === 0) return signerScope(request);
      checkSignsConfirmedPart(request, fingerprint, opts.confirmedSha256);
      return undefined;
    },
    async (key, rebuilt) => {
      const response = await signRequest(request, key, { name: opts.name ?? rebuilt.label, witnesses: opts.witnesses });
      // Before the rebuilt key is wiped: it seals the session transcript too (src/audit/session.ts).
      await opts.whileSigned?.(key, response);
      return { response, fingerprint: rebuilt.fingerprint };
    },
  );
}

/**
 * The key the share cards rebuild, for `use` only: the cards are checked first and `refuse(fingerprint)`
 * (why the key has nothing to sign, or undefined) is asked before anything is rebuilt; the key is
 * disposed and the secret zeroed afterwards (withReconstructedKey), whatever `use` does.
 */
export async function withShareCardKey<T>(
  cards: readonly ShareCard[],
  refuse: (fingerprint: string) => string | undefined,
  use: (key: SoftwareKey, rebuilt: { label?: string | undefined; fingerprint: string }) => Promise<T>,
): Promise<T> {
  const set = checkCardSet(cards);
  const why = refuse(set.fingerprint);
  if (why !== undefined) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `the share cards are of key ${set.fingerprint.slice(0, 16)}…, which is ${why}: nothing was rebuilt`);
  return withReconstructedKey(
    cards,
    async (rebuilt) => {
      const key = SoftwareKey.fromSecret(rebuilt.algorithm, Uint8Array.from(rebuilt.secret), {
        label: rebuilt.label ?? `key rebuilt from split ${rebuilt.splitId}`,
        rehearsal: rebuilt.rehearsal,
        expectedFingerprint: rebuilt.fingerprint,
      });
      try {
        return await use(key, rebuilt);
      } finally {
        key.dispose();
      }
    },
    { fingerprint: set.fingerprint },
  );
}

/** The pair (serial, label) a response names its token by; a blank label is left out. */
function tokenOf(token: { serial: string; label: string }): { serial: string; label?: string } {
  return token.label ? { serial: token.serial, label: token.label } : { serial: token.serial };
}
