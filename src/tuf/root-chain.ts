import { CeremonyError } from '../errors.js';
import { parseMetadata, type Metadata } from './metadata.js';
import type { Root } from './root.js';
import type { SignatureWork } from './signature-work.js';
import { newSignatureMemo, requireVerified, verifyRole, type SignatureMemo, type VerificationResult, type VerifyRoleOptions } from './verify.js';

export interface RootUpdateResult {
  version: number;
  /** By the previous root's root role (keys and threshold of version N). */
  byPrevious: VerificationResult;
  /** By the new root's own root role (version N+1). */
  bySelf: VerificationResult;
}

/** Check a root against its own root role: how a pinned root is accepted (python-tuf loads it so). */
export function verifyRootSelf(root: Metadata<Root>, opts?: VerifyRoleOptions): VerificationResult {
  return verifyRole(root, 'root', root.signed.roles.get('root')!, root.signed.keys, opts);
}

export interface RootUpdateOptions {
  /**
   * An intermediate root of a longer chain (neither the first nor the last): its signatures are checked
   * only until each threshold is met, since only the verdict is shown for it (results are `partial`).
   */
  intermediate?: boolean;
  /**
   * Outcomes already known for `next`'s signatures (newSignatureMemo(next)): checks made ahead, on other
   * threads (root-chain-plan.ts). Only outcomes of the very checks verifyRole would make may be in it.
   */
  memo?: SignatureMemo;
  /** The verification's signature work (signature-work.ts): both roles' checks charged to it. */
  work?: SignatureWork;
}

/**
 * Indexes of `next`'s signatures, those by a key of both the previous and the new root role (the same
 * public key under that key ID in both) first, then the others, each group in file order.
 */
export function sharedKeysFirst(previous: Root, next: Metadata<Root>): number[] {
  const previousRole = previous.roles.get('root')!;
  const nextRole = next.signed.roles.get('root')!;
  const sigs = next.signatures;
  const order: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < sigs.length; i++) {
    const keyid = sigs[i]!.keyid;
    const before = previousRole.keyids.includes(keyid) ? previous.keys.get(keyid) : undefined;
    const after = before && nextRole.keyids.includes(keyid) ? next.signed.keys.get(keyid) : undefined;
    (before && after && before.key.fingerprint === after.key.fingerprint ? order : rest).push(i);
  }
  for (const i of rest) order.push(i);
  return order;
}

/**
 * TUF 5.3.4–5.3.5: the new root must be signed by a threshold of the previous root's keys AND a threshold
 * of its own keys, and its version must be exactly the previous one plus 1 (no skipping, no replay).
 * Notary's client checks the same pair (FIELD-NOTES: "threshold of the previous root with its certs, and
 * its own threshold with its own certs").
 */
export function verifyRootUpdate(trusted: Metadata<Root>, next: Metadata<Root>, opts: RootUpdateOptions = {}): RootUpdateResult {
  const expected = trusted.signed.version + 1;
  if (next.signed.version < expected) {
    throw new CeremonyError('ROLLBACK', `${next.source} is root version ${next.signed.version}, not newer than trusted version ${trusted.signed.version}`, {
      path: `${next.source} $.signed.version`,
    });
  }
  if (next.signed.version !== expected) {
    throw new CeremonyError('ROOT_VERSION_SKIPPED', `${next.source} is root version ${next.signed.version}; the next trusted root must be version ${expected}`, {
      path: `${next.source} $.signed.version`,
    });
  }
  if (next.profile.name !== trusted.profile.name) {
    throw new CeremonyError('ROOT_CHAIN_BROKEN', `${next.source} is ${next.profile.name} metadata but the trusted root is ${trusted.profile.name}`, {
      path: `${next.source} $.signed._type`,
    });
  }
  // Both checks are over the same bytes: a key kept across the rotation has its signature verified once.
  const check: VerifyRoleOptions = { memo: opts.memo ?? newSignatureMemo(next), stopAtThreshold: opts.intermediate === true, ...(opts.work ? { work: opts.work } : {}) };
  // An intermediate root stops at its thresholds: checking first the signatures of keys in both root
  // roles lets one verification count towards both thresholds (fewest verifications for the verdict).
  if (opts.intermediate) check.order = sharedKeysFirst(trusted.signed, next);
  const byPrevious = requireVerified(verifyRole(next, 'root', trusted.signed.roles.get('root')!, trusted.signed.keys, check), next.source, 'ROOT_NOT_SIGNED_BY_PREVIOUS');
  const bySelf = requireVerified(verifyRootSelf(next, check), next.source, 'ROOT_NOT_SIGNED_BY_SELF');
  return { version: next.signed.version, byPrevious, bySelf };
}

/**
 * TUF 5.3.3–5.3.9 from `from` up to version `to`, one version at a time, each step checked by
 * verifyRootUpdate. `rootAt(v)` gives the bytes of version v (and the file name, for messages) or
 * undefined when the input lacks it (ROOT_VERSION_SKIPPED). Returns the root reached and the steps.
 * `from` is trusted as given: the caller has checked it (its own threshold, a pin or the installed root).
 */
export function walkRootChain(
  from: Metadata<Root>,
  to: number,
  rootAt: (version: number) => { bytes: Uint8Array; source: string } | undefined,
  maxBytes: number,
): { root: Metadata<Root>; steps: RootUpdateResult[] } {
  let trusted = from;
  const steps: RootUpdateResult[] = [];
  for (let v = from.signed.version + 1; v <= to; v++) {
    const found = rootAt(v);
    if (!found) {
      throw new CeremonyError('ROOT_VERSION_SKIPPED', `root version ${v} is missing: the chain from version ${from.signed.version} to ${to} must have every version`, { path: `${v}.root.json` });
    }
    const next = parseMetadata(found.bytes, 'root', { maxBytes, source: found.source, profile: from.profile.name, knownKeys: trusted.signed.keys });
    if (next.signed.version !== v) {
      throw new CeremonyError('VERSION_MISMATCH', `${found.source} holds root version ${next.signed.version}, not ${v}`, { path: `${found.source} $.signed.version` });
    }
    steps.push(verifyRootUpdate(trusted, next, { intermediate: v < to }));
    trusted = next;
  }
  return { root: trusted, steps };
}
