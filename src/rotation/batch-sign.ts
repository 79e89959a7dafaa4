/**
 * A co-signer signs a whole batch (src/rotation/batch.ts) with one key: the token is opened and the PIN
 * asked ONCE, then the key signs every repository's payload in which it is a root key of the previous or
 * the new version (targets requests: a targets key); repositories where it has nothing to sign are left
 * out of the response and listed in the review. A key with nothing to sign anywhere is refused before the
 * PIN (ROTATION_SIGNER_UNKNOWN). Each signature is verified over its request's payload (signRequest), and
 * each response is checked as the administrator's merge will check it before the batch response is made.
 */
import { CeremonyError } from '../errors.js';
import type { ShareCard } from '../shamir/index.js';
import type { TokenRef } from '../signers/pkcs11/errors.js';
import type { SigningKey } from '../signers/signing-key.js';
import { openExpectedToken, type TokenModuleDeps } from '../signers/token-keys.js';
import type { BatchRequest, BatchResponse, BatchSignPlan } from './batch.js';
import { mergeResponses } from './merge.js';
import type { SignatureResponse } from './request.js';
import { keyIdsFor, signRequest, type SignRequestOptions } from './sign.js';
import { unlockTokenKey, withShareCardKey, type TokenSignRequest } from './signers.js';

/** Which requests a key (by fingerprint) signs, and which it has nothing to sign in. */
export function batchSignPlan(batch: BatchRequest, fingerprint: string): BatchSignPlan {
  const signs: number[] = [];
  const skips: number[] = [];
  batch.requests.forEach((r, i) => (keyIdsFor(r, fingerprint).length > 0 ? signs : skips).push(i));
  return { signs, skips };
}

function refusal(batch: BatchRequest, fingerprint: string): string | undefined {
  return batchSignPlan(batch, fingerprint).signs.length === 0 ? `a key of none of the ${batch.requests.length} repositories in this batch: it has nothing to sign here` : undefined;
}

/** Sign every request the key is a signer of; each response is checked as merge will check it. */
export async function signBatch(batch: BatchRequest, key: SigningKey, opts: SignRequestOptions = {}): Promise<{ response: BatchResponse; plan: BatchSignPlan }> {
  const plan = batchSignPlan(batch, key.fingerprint);
  if (plan.signs.length === 0) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key "${key.label}" (fingerprint ${key.fingerprint.slice(0, 16)}…) is ${refusal(batch, key.fingerprint)}`);
  const responses: SignatureResponse[] = [];
  for (const i of plan.signs) {
    const request = batch.requests[i]!;
    const response = await signRequest(request, key, opts);
    mergeResponses(request, [response]); // refuses a signature that does not verify (ROTATION_SIGNATURE_INVALID)
    responses.push(response);
  }
  return { response: { batchId: batch.batchId, responses }, plan };
}

export interface SignedBatchOnToken {
  response: BatchResponse;
  plan: BatchSignPlan;
  token: TokenRef;
  fingerprint: string;
  rehearsal: boolean;
}

/**
 * Called with the key and what it signed while the key is still at hand (the token logged in, the rebuilt
 * key not yet wiped): the co-signer's session transcript is sealed with it (src/audit/session.ts).
 */
export type WhileBatchSigned = (key: SigningKey, signed: { response: BatchResponse; plan: BatchSignPlan }) => Promise<void>;

/** One token session, one PIN, every repository the key signs (signRequestOnToken, for a batch). */
export async function signBatchOnToken(batch: BatchRequest, req: Omit<TokenSignRequest, 'whileSigned'> & { whileSigned?: WhileBatchSigned | undefined }, deps: TokenModuleDeps): Promise<SignedBatchOnToken> {
  const opened = await openExpectedToken({ module: req.module, moduleParams: req.moduleParams, token: req.token }, deps);
  const { session } = opened;
  try {
    const { key, fingerprint } = await unlockTokenKey(opened, req.label, req.pin, (fp) => refusal(batch, fp));
    const token = session.token.label ? { serial: session.token.serial, label: session.token.label } : { serial: session.token.serial };
    const { response, plan } = await signBatch(batch, key, { name: req.name, token, pin: () => req.pin(session.token) });
    await req.whileSigned?.(key, { response, plan });
    return { response, plan, token: { label: session.token.label, serial: session.token.serial }, fingerprint, rehearsal: session.rehearsal };
  } finally {
    await session.close();
  }
}

/** The key rebuilt from share cards (checked first: it must sign somewhere in the batch), signs, is wiped. */
export async function signBatchWithShareCards(
  batch: BatchRequest,
  cards: readonly ShareCard[],
  opts: { name?: string | undefined; whileSigned?: WhileBatchSigned | undefined } = {},
): Promise<{ response: BatchResponse; plan: BatchSignPlan; fingerprint: string }> {
  return withShareCardKey(
    cards,
    (fingerprint) => refusal(batch, fingerprint),
    async (key, rebuilt) => {
      const signed = await signBatch(batch, key, { name: opts.name ?? rebuilt.label });
      // Before the rebuilt key is wiped: it seals the session transcript too.
      await opts.whileSigned?.(key, signed);
      return { ...signed, fingerprint: rebuilt.fingerprint };
    },
  );
}

