/**
 * After a targets key rotation: targets.json N+1, the same content re-signed by the new targets key(s).
 *
 * Why it is needed: once root N+1 lists another targets key, a client that updates its root verifies the
 * current targets.json against the *new* targets role (TUF 5.6.3; Notary's client the same) — the old
 * targets.json, signed by the old key, no longer verifies, and the repository is unusable until a
 * targets.json signed by the new key is published with (or right after) the root. What `notary key rotate
 * GUN targets` publishes, measured with notary 0.7 against notary-server on loopback: root N+1 (signed by
 * the root key), targets.json v+1 with the same targets re-signed by the new targets key only, and — when
 * the client holds the snapshot key — snapshot.json v+1 (server-managed snapshot: the server signs it).
 * This module makes that targets.json; snapshot v+1, when the ceremony holds the snapshot key, is
 * targets-snapshot.ts's buildSnapshotAfterTargets over these bytes and root N+1.
 *
 * Trust: the content is taken only from a targets.json that verifies under root N (the root the plan
 * rotated from), and root N+1 must follow root N (TUF 5.3.4, the check a client makes). The result is
 * verified under root N+1's targets role before its bytes are returned. Pure; the signers are injected
 * (a token key through metadataSigner, or a software key in a rehearsal).
 */
import { CeremonyError } from '../errors.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { Root } from '../tuf/root.js';
import { verifyRootUpdate } from '../tuf/root-chain.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../tuf/sign.js';
import type { Targets } from '../tuf/targets.js';
import { requireVerified, verifyRole, type VerificationResult } from '../tuf/verify.js';
import { parsePreviousRoot } from './payload.js';
import { buildTargetsPayload } from './targets-payload.js';

export interface TargetsResignInput {
  /** Root N: the root the rotation started from, under which `targets` verifies. */
  previousRoot: Uint8Array;
  /** Root N+1 (merged, signed by both thresholds): lists the new targets key(s). */
  newRoot: Uint8Array;
  /** targets.json as currently published (signed by the old targets key). */
  targets: Uint8Array;
  /** targets.json N+1's expiry; defaults to the current one (a re-signature changes nothing else). */
  expires?: Date | string;
  /** The local clock: targets.json N+1 must not be expired on arrival (TUF 5.6.4 / 5.7.4 — clients refuse it). */
  now: Date;
}

export interface TargetsResign {
  profile: ProfileName;
  newRoot: Metadata<Root>;
  previous: Metadata<Targets>;
  /** The unsigned `signed` object of targets.json N+1. */
  signed: JsonObject;
  version: number;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Check the inputs and build the unsigned targets.json N+1 (same targets and delegations, version + 1). */
export function buildTargetsResign(input: TargetsResignInput): TargetsResign {
  const previousRoot = parsePreviousRoot(input.previousRoot, 'previous root.json');
  const newRoot = parseMetadata(input.newRoot, 'root', { maxBytes: DEFAULT_CAPS.root, source: `root.json v${previousRoot.signed.version + 1}` });
  // TUF 5.3.4: root N+1 is signed by a threshold of root N's keys and of its own, and is exactly N+1.
  verifyRootUpdate(previousRoot, newRoot);
  const before = previousRoot.signed.roles.get('targets')!;
  const after = newRoot.signed.roles.get('targets')!;
  if (sameKeys(before.keyids, after.keyids) && before.threshold === after.threshold) {
    throw new CeremonyError('ROTATION_CHANGE_INVALID', `root version ${newRoot.signed.version} keeps the targets keys of version ${previousRoot.signed.version}: targets.json needs no re-signing`, { path: '$.signed.roles.targets' });
  }
  // The content comes only from a targets.json root N's targets role signed (TUF 5.6.3), checked there.
  const current = parseMetadata(input.targets, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'targets.json', profile: previousRoot.profile.name });
  const payload = buildTargetsPayload(input.previousRoot, input.targets, { expires: input.expires ?? current.signed.expiresText });
  // A client checks targets.json's expiry against its clock (TUF 5.6.4; Notary likewise): re-signing an
  // expired targets.json with its own expiry would publish one that every client refuses on arrival.
  if (payload.targets.expires.getTime() <= input.now.getTime()) {
    throw input.expires === undefined
      ? new CeremonyError('EXPIRED', `targets.json version ${current.signed.version} expired at ${current.signed.expiresText}; re-signed with that expiry it would be expired on arrival: give a future expiry (--expires)`, { path: '$.signed.expires' })
      : new CeremonyError('EXPIRED', `the expiry given (${payload.targets.expiresText}) is not in the future: targets.json version ${payload.targets.version} would be expired on arrival`, { path: '$.expires' });
  }
  return { profile: payload.profile, newRoot, previous: payload.previous, signed: payload.signed, version: payload.targets.version };
}

/**
 * Build, sign with `signers` (the new targets key(s)), and check the result as a client at root N+1 will:
 * THRESHOLD_NOT_MET when the signers do not meet the new targets role.
 */
export async function signTargetsResign(input: TargetsResignInput, signers: readonly MetadataSigner[]): Promise<TargetsResign & { bytes: Uint8Array; verification: VerificationResult }> {
  const built = buildTargetsResign(input);
  const bytes = serializeMetadata(built.profile, await signMetadata(built.profile, built.signed, signers));
  const md = parseMetadata(bytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `targets.json v${built.version}`, profile: built.profile });
  const verification = requireVerified(verifyRole(md, 'targets', built.newRoot.signed.roles.get('targets')!, built.newRoot.signed.keys), `targets.json v${built.version} under root v${built.newRoot.signed.version}`);
  return { ...built, bytes, verification };
}
