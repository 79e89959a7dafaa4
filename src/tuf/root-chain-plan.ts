/**
 * The signature checks of a root chain, planned and made ahead of the walk (issue #18: "independent
 * signature checks on every core, with the threshold walk kept sequential"). For each step the plan is
 * the checks verifyRootUpdate makes when every signature it checks verifies — the usual case, so the walk
 * finds each outcome in its memo and verifies nothing itself. A plan that guessed wrong costs only time:
 * the memo holds nothing but signatures that verified, under the key and over the bytes the walk checks,
 * and the walk verifies whatever it misses, in its own order, with its own verdicts and refusals.
 */
import type { PublicKey } from '../profiles/profile.js';
import type { ListedKey } from './keys.js';
import type { Metadata } from './metadata.js';
import type { RolePolicy } from './role.js';
import type { Root } from './root.js';
import { sharedKeysFirst } from './root-chain.js';
import type { SignatureBatch, SignatureCheck } from './signature-batch.js';
import { isUnsignedPlaceholder, newSignatureMemo, type SignatureMemo } from './verify.js';

export interface ChainStep {
  trusted: Metadata<Root>;
  next: Metadata<Root>;
  /** RootUpdateOptions.intermediate: checks stop at the thresholds. */
  intermediate: boolean;
}

export interface PlannedCheck {
  /** Index into `next.signatures`. */
  index: number;
  key: PublicKey;
  signature: Uint8Array;
}

/**
 * What verifyRootUpdate(trusted, next, { intermediate }) verifies if every check succeeds: the previous
 * root role's signatures, then the new one's (TUF 5.3.4), each stopping at its threshold for an
 * intermediate root, in sharedKeysFirst order; a signature checked under the same key for both roles
 * once (the memo keeps one outcome per index).
 */
export function plannedRootUpdateChecks(step: ChainStep): PlannedCheck[] {
  const { trusted, next, intermediate } = step;
  const sigs = next.signatures;
  const order = intermediate ? sharedKeysFirst(trusted.signed, next) : undefined;
  const planned: PlannedCheck[] = [];
  const fingerprints: (string | undefined)[] = [];
  const plan = (role: RolePolicy, keys: ReadonlyMap<string, ListedKey>) => {
    const counted = new Set<string>();
    for (let n = 0; n < sigs.length; n++) {
      if (intermediate && counted.size >= role.threshold) return;
      const i = order ? order[n]! : n;
      const sig = sigs[i]!;
      const listed = role.keyids.includes(sig.keyid) ? keys.get(sig.keyid) : undefined;
      if (!listed || isUnsignedPlaceholder(next, sig)) continue;
      const fingerprint = listed.key.fingerprint;
      counted.add(fingerprint);
      if (fingerprints[i] !== undefined) continue;
      let signature: Uint8Array;
      try {
        signature = next.profile.decodeSignature(sig, listed.key, next.source);
      } catch {
        // The walk refuses it (SIGNATURE_ENCODING), with its path: nothing to check ahead.
        continue;
      }
      fingerprints[i] = fingerprint;
      planned.push({ index: i, key: listed.key, signature });
    }
  };
  plan(trusted.signed.roles.get('root')!, trusted.signed.keys);
  plan(next.signed.roles.get('root')!, next.signed.keys);
  return planned;
}

/**
 * The steps' planned checks submitted as one batch; the returned function gives the memos for the steps'
 * new roots (RootUpdateOptions.memo) once the batch is done.
 */
export function checkChainAhead(steps: readonly ChainStep[], batch: SignatureBatch, planned?: readonly PlannedCheck[][]): () => SignatureMemo[] {
  const plans = planned ?? steps.map(plannedRootUpdateChecks);
  const checks: SignatureCheck[] = [];
  plans.forEach((plan, k) => {
    const md = steps[k]!.next;
    const data = md.signedBytes();
    for (const p of plan) checks.push({ profile: md.profile, key: p.key, signature: p.signature, data });
  });
  const finish = checks.length ? batch.submit(checks) : () => new Uint8Array(0);
  return () => memosOf(steps, plans, finish());
}

function memosOf(steps: readonly ChainStep[], plans: readonly PlannedCheck[][], outcomes: Uint8Array): SignatureMemo[] {
  let at = 0;
  return plans.map((plan, k) => {
    const memo = newSignatureMemo(steps[k]!.next);
    for (const p of plan) {
      if (outcomes[at++] !== 1) continue;
      memo.fingerprints[p.index] = p.key.fingerprint;
      memo.outcomes[p.index] = true;
    }
    return memo;
  });
}
